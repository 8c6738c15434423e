"""What the platforms show: bills, limit readings and payouts, recorded as observed."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import check_time
from bot.errors import InputError
from bot.i18n import N_, _
from bot.ledger import bills
from bot.ledger.facilities import facility_zone
from bot.ledger.locks import lock_facilities
from bot.models import Draw, DrawConfirmation, Facility, LimitReading
from bot.typed import free_text, reference_text

T = TypeVar("T")

# Clocks drift; a reading a few minutes "in the future" is a skewed clock, not bad input.
CLOCK_SKEW = timedelta(minutes=5)
# A payout confirms a logged draw of the same amount within this many days of its date.
CONFIRM_MATCH_DAYS = 3
# What the columns hold: a payout's order number (as long as a bill's), and its description.
REF_CHARS = bills.REF_CHARS
DESCRIPTION_CHARS = 500


class LimitStatus(StrEnum):
    """The state a platform shows for a credit line."""

    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


# A line's status as every surface names it (the digest, `/loan status`, a reading's reply and
# request, the CLI, a limit alert's facts): 正常, 已冻结, 已关闭.
STATUS_NAMES = {"active": N_("active"), "frozen": N_("frozen"), "closed": N_("closed")}


def status_name(status: str) -> str:
    """A line's status in the language in use (`frozen` → 已冻结); one without words as kept."""
    known = STATUS_NAMES.get(str(status))
    return str(status) if known is None else _(known)


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """The row an observation landed in: new, or seen before (and maybe updated)."""

    row: T
    new: bool
    updated: bool = False


def record_bill(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    due_date: date,
    amount: Decimal,
    paid: bool,
    now: datetime,
    observed_at: datetime | None = None,
    reference: str | None = None,
    from_statement: bool = False,
) -> bills.RecordedBill:
    """Record a bill the platform shows: new, seen again, or corrected (`bot.ledger.bills`).
    `from_statement`: a row of an imported file, which may be an old statement imported again;
    without an `observed_at` of its own, an amount the bill has had, or "unpaid" once it was
    seen paid, changes nothing."""
    return bills.record_bill(
        session,
        actor,
        facility,
        due_date=due_date,
        amount=amount,
        paid=paid,
        now=now,
        observed_at=observation_time(observed_at, now, facility),
        reference=reference,
        untimed=from_statement and observed_at is None,
    )


def record_limit_reading(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    limit_amount: Decimal,
    now: datetime,
    available: Decimal | None = None,
    status: LimitStatus = LimitStatus.ACTIVE,
    observed_at: datetime | None = None,
) -> Recorded[LimitReading]:
    """Record what the platform shows as the limit; zero is a legitimate (frozen-line) reading."""
    observed_at = observation_time(observed_at, now, facility)
    lock_facilities(session, [facility.id])
    existing = session.scalar(
        select(LimitReading).where(
            LimitReading.facility_id == facility.id, LimitReading.observed_at == observed_at
        )
    )
    if existing is not None:
        same = (existing.limit_amount, existing.available, existing.status) == (
            limit_amount,
            available,
            str(status),
        )
        if same:
            return Recorded(existing, new=False)
        raise different_reading(facility, observed_at)
    reading = LimitReading(
        facility_id=facility.id,
        observed_at=observed_at,
        limit_amount=limit_amount,
        available=available,
        status=str(status),
        source=actor.source,
        recorded_at=now,
    )
    # The checks' summaries follow at the next flush, through the hook on the application's
    # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
    session.add(reading)
    audit.record(session, actor, "limit.add", reading, at=now)
    return Recorded(reading, new=True)


def record_draw_confirmation(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    occurred_at: datetime,
    amount: Decimal,
    external_ref: str,
    description: str | None,
    now: datetime,
) -> Recorded[DrawConfirmation]:
    """Record a payout seen in a statement and confirm the unconfirmed draw it matches, if any."""
    check_time(occurred_at, N_("payout time"), zone=facility_zone(facility))
    ref = reference_text(external_ref, "the payout's order number", limit=REF_CHARS)
    if ref is None:
        raise InputError(_("a payout needs the platform's order number"))
    external_ref = ref
    description = free_text(description, "the payout's description", limit=DESCRIPTION_CHARS)
    lock_facilities(session, [facility.id])
    existing = session.scalar(
        select(DrawConfirmation).where(
            DrawConfirmation.facility_id == facility.id,
            DrawConfirmation.external_ref == external_ref,
        )
    )
    if existing is not None:
        return Recorded(existing, new=False)
    day = occurred_at.astimezone(facility_zone(facility)).date()
    draw = session.scalar(
        select(Draw)
        .where(
            Draw.facility_id == facility.id,
            Draw.amount == amount,
            Draw.confirmed_at.is_(None),
            Draw.drawn_on.between(
                day - timedelta(days=CONFIRM_MATCH_DAYS), day + timedelta(days=CONFIRM_MATCH_DAYS)
            ),
        )
        .order_by(Draw.drawn_on, Draw.id)
    )
    confirmation = DrawConfirmation(
        facility_id=facility.id,
        occurred_at=occurred_at,
        amount=amount,
        external_ref=external_ref,
        description=description,
        draw_id=draw.id if draw else None,
        observed_at=now,
    )
    session.add(confirmation)
    if draw is not None:
        before = audit.snapshot(draw)
        draw.confirmed_at = occurred_at
        draw.confirmed_seen_at = now
        audit.record(session, actor, "draw.confirm", draw, at=now, before=before)
    audit.record(session, actor, "payout.add", confirmation, at=now)
    return Recorded(confirmation, new=True)


def different_reading(facility: Facility, observed_at: datetime) -> InputError:
    """The refusal of a second, different reading of a facility at the same moment."""
    return InputError(
        _(
            "{facility} already has a different reading at {at}; readings are what the "
            "platform showed at a moment and are not edited"
        ).format(facility=facility.slug, at=observed_at.isoformat())
    )


def observation_time(observed_at: datetime | None, now: datetime, facility: Facility) -> datetime:
    """When an observation was made: `now` if not said, else the time given, checked."""
    if observed_at is None:
        return now
    if observed_at.tzinfo is None:
        raise InputError(_("time {at} has no time zone").format(at=observed_at.isoformat()))
    check_time(observed_at, N_("observation time"), zone=facility_zone(facility))
    if observed_at > now + CLOCK_SKEW:
        raise InputError(
            _(
                "observation time {at} is in the future; record what the platform showed, "
                "when it showed it"
            ).format(at=observed_at.isoformat())
        )
    return observed_at
