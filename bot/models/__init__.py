"""Every table, imported here so `Base.metadata` knows them all (Alembic reads it)."""

from bot.models.alerts import (
    Alert,
    CheckRequest,
    CheckRun,
    DeliveryDestination,
    OutboxMessage,
    SchedulerSlot,
    Silence,
)
from bot.models.api import ApiIdempotencyKey, ApiToken
from bot.models.audit import AuditRecord
from bot.models.base import Base
from bot.models.installation import Installation
from bot.models.languages import ChannelLanguage
from bot.models.ledger import (
    AllocationHistory,
    Draw,
    Facility,
    Installment,
    InstallmentStatus,
    Platform,
    Repayment,
    RepaymentAllocation,
)
from bot.models.mappings import StatementMapping
from bot.models.observations import Bill, DrawConfirmation, LimitReading
from bot.models.oncall import EscalationPolicy, EscalationStep, OncallOverride, Rotation
from bot.models.reading_requests import ReadingRequest
from bot.models.requests import CommandRequest
from bot.models.summaries import BillDay, FacilitySummary
from bot.models.terms import FACILITY_THRESHOLDS, VERSIONED_COLUMNS, FacilityTermsVersion
from bot.models.tickets import (
    PlatformContact,
    Ticket,
    TicketAlert,
    TicketCounter,
    TicketEntry,
)

__all__ = [
    "FACILITY_THRESHOLDS",
    "VERSIONED_COLUMNS",
    "Alert",
    "AllocationHistory",
    "ApiIdempotencyKey",
    "ApiToken",
    "AuditRecord",
    "Base",
    "Bill",
    "BillDay",
    "ChannelLanguage",
    "CheckRequest",
    "CheckRun",
    "CommandRequest",
    "DeliveryDestination",
    "Draw",
    "DrawConfirmation",
    "EscalationPolicy",
    "EscalationStep",
    "Facility",
    "FacilitySummary",
    "FacilityTermsVersion",
    "Installation",
    "Installment",
    "InstallmentStatus",
    "LimitReading",
    "OncallOverride",
    "OutboxMessage",
    "Platform",
    "PlatformContact",
    "ReadingRequest",
    "Repayment",
    "RepaymentAllocation",
    "Rotation",
    "SchedulerSlot",
    "Silence",
    "StatementMapping",
    "Ticket",
    "TicketAlert",
    "TicketCounter",
    "TicketEntry",
]
