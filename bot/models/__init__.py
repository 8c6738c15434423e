"""Every table, imported here so `Base.metadata` knows them all (Alembic reads it)."""

from bot.models.audit import AuditRecord
from bot.models.base import Base
from bot.models.ledger import Draw, Facility, Installment, Platform, Repayment, RepaymentAllocation
from bot.models.observations import Bill, DrawConfirmation, LimitReading

__all__ = [
    "AuditRecord",
    "Base",
    "Bill",
    "Draw",
    "DrawConfirmation",
    "Facility",
    "Installment",
    "LimitReading",
    "Platform",
    "Repayment",
    "RepaymentAllocation",
]
