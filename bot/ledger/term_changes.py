"""Changing a facility's terms (`loanwatch facility set`): for later draws, and what it moves.

The limit and the checks' thresholds are terms too: every check run from the change on reads
the new ones, and a check `--at` an earlier moment the version in force then
(`bot.ledger.terms_history`). A draw copies its facility's schedule terms when it is logged, so
a change of those reaches the draws logged from then on. Two terms reach further, and are read
from the facility whenever a repayment is placed: the holiday rule (when an installment is
collected, and so whether a payment was late) and the penalty rule. A holiday rule change
replays the facility's repayments under the new rule, in the same transaction, as a backdated
repayment does; a penalty rule change applies from the next day on
(`bot.ledger.repayments.penalty`), so nothing recorded changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import _
from bot.ledger.facilities import unknown_threshold
from bot.ledger.repayments.replay import replay
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)
from bot.ledger.terms import check_penalty, checked_rate, daily_rate_of
from bot.ledger.terms_history import keep_terms
from bot.models import FACILITY_THRESHOLDS, Facility, Repayment


@dataclass(frozen=True)
class TermChanges:
    """The terms a person changes on a facility; None leaves a term as it is.

    `thresholds` holds only the thresholds to change, by name: a value, or None for the
    default from settings again.
    """

    limit_amount: Decimal | None = None
    daily_rate: Decimal | None = None
    annual_rate: Decimal | None = None
    rate_basis: int | None = None
    repayment_method: RepaymentMethod | None = None
    day_count: DayCount | None = None
    rounding: Rounding | None = None
    first_period: FirstPeriod | None = None
    repayment_day: int | None = None
    repayment_day_rule: RepaymentDayRule | None = None
    holiday_rule: HolidayRule | None = None
    # Not a term of the schedule: how close to its due date a missing bill turns critical.
    bill_critical_days: int | None = None
    penalty_multiplier: Decimal | None = None
    penalty_on_interest: bool | None = None
    thresholds: Mapping[str, int | Decimal | None] = field(default_factory=dict)

    def empty(self) -> bool:
        """True when nothing is to change."""
        return not self.thresholds and all(
            getattr(self, f.name) is None for f in fields(self) if f.name != "thresholds"
        )

    def reaches_draws(self) -> bool:
        """True when a term the draws copy or their repayments read is to change (not only the
        limit or the checks' thresholds)."""
        return any(
            getattr(self, f.name) is not None for f in fields(self) if f.name not in _NOT_OF_DRAWS
        )


# What the draws neither copy nor read: the limit and the checks' thresholds.
_NOT_OF_DRAWS = frozenset({"limit_amount", "bill_critical_days", "thresholds"})


_ENUM_TERMS = (
    "repayment_method",
    "day_count",
    "rounding",
    "first_period",
    "repayment_day_rule",
    "holiday_rule",
)


def change_terms(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    changes: TermChanges,
    *,
    now: datetime,
    calendar: BusinessCalendar | None = None,
) -> bool:
    """Change a facility's terms for the draws logged from now on, and its limit and thresholds
    for the checks from now on (audited); False when the changes are the terms it already has,
    and nothing was written.

    Draws already logged keep the terms they copied, and their schedules do not change. A new
    holiday rule moves the day every installment is collected, so the facility's repayments
    are placed again under it (`repayment.replay`, in the same transaction; ``calendar``
    decides business days, default China's). A new penalty rule needs no replay: it applies
    to the days after the one it was made on (`bot.ledger.repayments.penalty`), and no
    repayment is dated after today.
    """
    if changes.empty():
        raise InputError(_("nothing to change; give at least one term, e.g. --rounding down"))
    if changes.repayment_day is not None and not 1 <= changes.repayment_day <= 31:
        raise InputError(
            _("repayment day {day} is not a day of the month (1-31)").format(
                day=changes.repayment_day
            )
        )
    if changes.limit_amount is not None and changes.limit_amount <= 0:
        raise InputError(_("a facility's limit must be more than zero"))
    unknown = sorted(set(changes.thresholds) - set(FACILITY_THRESHOLDS))
    if unknown:
        raise unknown_threshold(unknown[0])
    before = audit.snapshot(facility)
    was = _values(facility)
    if changes.limit_amount is not None:
        facility.limit_amount = changes.limit_amount
    for name, value in changes.thresholds.items():
        setattr(facility, name, value)
    if changes.daily_rate is not None or changes.annual_rate is not None:
        rate = checked_rate(changes.daily_rate, changes.annual_rate, changes.rate_basis)
        facility.daily_rate = daily_rate_of(rate)
        facility.annual_rate = rate.value if rate.is_annual else None
        facility.rate_basis = rate.basis if rate.is_annual else None
    elif changes.rate_basis is not None:
        if facility.annual_rate is None:
            raise InputError(
                _(
                    "{facility} has a daily rate; a 360- or 365-day year goes with --annual-rate"
                ).format(facility=facility.slug)
            )
        rate = checked_rate(None, facility.annual_rate, changes.rate_basis)
        facility.daily_rate = daily_rate_of(rate)
        facility.rate_basis = rate.basis
    for name in _ENUM_TERMS:
        value = getattr(changes, name)
        if value is not None:
            setattr(facility, name, str(value))
    if changes.repayment_day is not None:
        facility.repayment_day = changes.repayment_day
    if changes.bill_critical_days is not None:
        facility.bill_critical_days = changes.bill_critical_days
    if changes.penalty_multiplier is not None:
        facility.penalty_multiplier = check_penalty(changes.penalty_multiplier)
    if changes.penalty_on_interest is not None:
        facility.penalty_on_interest = changes.penalty_on_interest
    if _values(facility) == was:
        # The terms it already has: the history of terms holds changes only, and so does the audit.
        return False
    session.flush()
    audit.record(session, actor, "facility.update", facility, before=before, at=now)
    keep_terms(session, actor, facility, now=now)
    if facility.holiday_rule != before["holiday_rule"]:
        _replay_all(session, actor, facility, calendar or BusinessCalendar(), now=now)
    return True


def _values(facility: Facility) -> dict[str, Any]:
    """The facility's column values, compared as values (0.0004 is 0.00040000)."""
    return {
        column.key: getattr(facility, column.key) for column in Facility.__mapper__.column_attrs
    }


def _replay_all(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    calendar: BusinessCalendar,
    *,
    now: datetime,
) -> None:
    """Place the facility's repayments again from its first one (audited), if it has any."""
    first = session.scalar(
        select(func.min(Repayment.paid_on)).where(Repayment.facility_id == facility.id)
    )
    if first is not None:
        replay(session, actor, facility, calendar, since=first, now=now)
