"""Bills as the platform shows them, version by version, and what was known of them at a time.

A bill is the platform's statement for one facility and due date (and reference, where the
platform gives one). :func:`record_bill` keeps one row per version:

- seen again for the same amount: the current version's `last_seen_at` moves, nothing else;
- seen for another amount: a **correction**. A new row becomes the current version (its
  `observed_at` when the platform showed the new amount) and the old one is kept as history,
  its `superseded_at` set to that moment; both audited (`bill.correct`);
- seen for an amount it has had before, or unpaid once it was seen paid, in an older
  observation (or one with no time of its own, such as a statement imported again without an
  observed_at): nothing changes;
- seen paid: `paid_at` records when, `paid_recorded_at` when loanwatch recorded it, and
  `observed_at` keeps when the bill was first seen.

:func:`remove_bill` takes a bill entered by mistake out (a typo), with a reason, audited: its
current version is superseded by nothing. History stays, so :func:`bill_known_at` and
:func:`bill_unpaid_at` let a check run as of an earlier moment see the bills as they were then.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import check_date
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.ledger.locks import lock_facilities
from bot.models import Bill, Facility
from bot.typed import free_text, reference_text

# What the columns hold: a platform's bill number, and why a bill was removed.
REF_CHARS = 128
REASON_CHARS = 2000


@dataclass(frozen=True)
class RecordedBill:
    """The version a bill observation landed in: new, seen before, or a correction of `previous`."""

    row: Bill
    new: bool
    updated: bool = False
    previous: Bill | None = None

    @property
    def corrected(self) -> bool:
        """The platform showed another amount: `row` replaced `previous`."""
        return self.previous is not None


def bill_known_at(now: datetime, bill: Any = Bill) -> ColumnElement[bool]:
    """The bill version (of `Bill` or an alias of it) was the current one at `now`: seen and
    recorded by then (a statement imported late was not known before it was recorded, however
    early the platform showed it; NULL: known from `observed_at`), not yet replaced."""
    return and_(
        bill.observed_at <= now,
        or_(bill.recorded_at.is_(None), bill.recorded_at <= now),
        or_(bill.superseded_at.is_(None), bill.superseded_at > now),
    )


def bill_unpaid_at(now: datetime) -> ColumnElement[bool]:
    """The bill was not known paid at `now`: the platform had not shown it paid by then, or
    loanwatch had not recorded the paid mark yet (an import recorded late). A paid row without
    `paid_at` is one written before bills kept it: paid since it was first seen; without
    `paid_recorded_at`, known paid from `paid_at`."""
    recorded_later = and_(Bill.paid_recorded_at.is_not(None), Bill.paid_recorded_at > now)
    return or_(Bill.paid.is_(False), Bill.paid_at > now, recorded_later)


def paid_mark_after(now: datetime) -> ColumnElement[bool]:
    """A paid bill whose paid mark was shown or recorded after `now` (indexed probes)."""
    return or_(Bill.paid_at > now, Bill.paid_recorded_at > now)


def current_bill_versions() -> ColumnElement[bool]:
    """The bills as they stand: each bill's latest version, removed ones left out."""
    return Bill.superseded_at.is_(None)


def record_bill(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    due_date: date,
    amount: Decimal,
    paid: bool,
    now: datetime,
    observed_at: datetime,
    reference: str | None = None,
    untimed: bool = False,
) -> RecordedBill:
    """Record a bill the platform shows at `observed_at` (see the module's rules). `untimed`:
    the observation has no time of its own (`observed_at` is when it was imported), so it may
    be an old statement imported again: an amount the bill has had, or "unpaid" once it was
    seen paid, changes nothing."""
    check_date(due_date, "due date")
    reference = reference_text(reference, "the bill's reference", limit=REF_CHARS)
    if amount <= 0:
        raise InputError(_("a bill must be more than zero"))
    # Two writers of the same bill at once: the second reads what the first wrote.
    lock_facilities(session, [facility.id])
    current = _current_version(session, facility, due_date, reference)
    if current is None:
        bill = _new_version(facility, due_date, amount, paid, observed_at, reference, actor, now)
        # The checks' summaries follow at the next flush, through the hook on the application's
        # sessions (bot.ledger.summaries.keep_summaries); nothing here needs to update them.
        session.add(bill)
        audit.record(session, actor, "bill.add", bill, at=now)
        return RecordedBill(bill, new=True)
    if current.amount == amount:
        if current.paid and not paid and (untimed or observed_at < _paid_since(current)):
            return RecordedBill(current, new=False)  # an older statement, from before the payment
        return _seen_again(session, actor, current, paid, observed_at, now)
    if _seen_before(session, current, amount, observed_at, untimed=untimed):
        return RecordedBill(current, new=False)
    return _correct(session, actor, current, amount, paid, observed_at, reference, now)


def _current_version(
    session: Session, facility: Facility, due_date: date, reference: str | None
) -> Bill | None:
    """The current version of the bill for this due date and reference.

    With a reference: the version with that reference, else one without any (the platform now
    prints its number). Without one: the version without a reference, else the day's only bill.
    """
    versions = session.scalars(
        select(Bill)
        .where(Bill.facility_id == facility.id, Bill.due_date == due_date, current_bill_versions())
        .order_by(Bill.id)
    ).all()
    same = [v for v in versions if v.reference == reference]
    unnumbered = [v for v in versions if v.reference is None]
    if same:
        return same[0]
    if unnumbered:
        return unnumbered[0]
    if reference is None and len(versions) == 1:
        return versions[0]
    return None


def _paid_since(bill: Bill) -> datetime:
    return bill.paid_at or bill.observed_at


def _seen_before(
    session: Session, current: Bill, amount: Decimal, observed_at: datetime, *, untimed: bool
) -> bool:
    """An older observation (an earlier statement imported again) of an amount since corrected:
    seen before the current version, or, `untimed`, at a time nobody knows."""
    if not untimed and observed_at >= current.observed_at:
        return False
    origin = current.origin_id or current.id
    return (
        session.scalar(
            select(Bill.id).where(
                or_(Bill.id == origin, Bill.origin_id == origin), Bill.amount == amount
            )
        )
        is not None
    )


def _seen_again(
    session: Session,
    actor: audit.Actor,
    current: Bill,
    paid: bool,
    observed_at: datetime,
    now: datetime,
) -> RecordedBill:
    """The same bill seen again: when it was last seen moves; its paid state may change."""
    last_seen = max(current.last_seen_at or current.observed_at, observed_at)
    if paid == current.paid:
        current.last_seen_at = last_seen
        return RecordedBill(current, new=False)
    before = audit.snapshot(current)
    current.last_seen_at = last_seen
    current.paid = paid
    # When it was first seen stays; when it was seen paid is kept apart.
    current.paid_at = max(observed_at, current.observed_at) if paid else None
    current.paid_recorded_at = now if paid else None
    audit.record(session, actor, "bill.update", current, at=now, before=before)
    return RecordedBill(current, new=False, updated=True)


def _correct(
    session: Session,
    actor: audit.Actor,
    current: Bill,
    amount: Decimal,
    paid: bool,
    observed_at: datetime,
    reference: str | None,
    now: datetime,
) -> RecordedBill:
    """Another amount for the same bill: a new current version, the old one kept as history."""
    # A version is current from when it was seen and recorded until superseded_at, which is
    # when its successor was (a correction imported late leaves the old amount current until
    # then): the two never overlap and leave no gap.
    since = max(observed_at, current.observed_at)
    before = audit.snapshot(current)
    current.superseded_at = max(since, now)
    audit.record(session, actor, "bill.supersede", current, at=now, before=before)
    bill = _new_version(
        current, current.due_date, amount, paid, since, reference or current.reference, actor, now
    )
    bill.origin_id = current.origin_id or current.id
    session.add(bill)
    audit.record(session, actor, "bill.correct", bill, at=now, before=before)
    return RecordedBill(bill, new=False, updated=True, previous=current)


def _new_version(
    owner: Facility | Bill,
    due_date: date,
    amount: Decimal,
    paid: bool,
    observed_at: datetime,
    reference: str | None,
    actor: audit.Actor,
    now: datetime,
) -> Bill:
    facility_id = owner.id if isinstance(owner, Facility) else owner.facility_id
    return Bill(
        facility_id=facility_id,
        due_date=due_date,
        amount=amount,
        paid=paid,
        paid_at=observed_at if paid else None,
        paid_recorded_at=now if paid else None,
        observed_at=observed_at,
        last_seen_at=observed_at,
        recorded_at=now,
        reference=reference,
        source=actor.source,
    )


def remove_bill(
    session: Session,
    actor: audit.Actor,
    facility: Facility,
    *,
    due_date: date,
    reason: str,
    now: datetime,
    reference: str | None = None,
) -> Bill:
    """Take out a bill entered by mistake: its current version ends now, kept as history.

    The alert it caused clears on the next check; a check run as of an earlier moment still
    sees it, as it was known then. Several bills due that day need the reference to tell them
    apart.
    """
    check_date(due_date, "due date")
    why = free_text(reason, "the reason", limit=REASON_CHARS)
    if why is None:
        raise InputError(_("say why the bill is removed (--reason), for the audit trail"))
    versions = session.scalars(
        select(Bill)
        .where(Bill.facility_id == facility.id, Bill.due_date == due_date, current_bill_versions())
        .order_by(Bill.id)
    ).all()
    if reference is not None:
        versions = [v for v in versions if v.reference == reference]
    if not versions:
        raise NotFoundError(
            _("{facility} has no bill due {due} to remove").format(
                facility=facility.slug, due=due_date.isoformat()
            )
        )
    if len(versions) > 1:
        references = ", ".join(v.reference or "(none)" for v in versions)
        raise InputError(
            _(
                "{facility} has {count} bills due {due}; name the one to remove by its "
                "reference: {references}"
            ).format(
                facility=facility.slug,
                count=len(versions),
                due=due_date.isoformat(),
                references=references,
            )
        )
    bill = versions[0]
    before = audit.snapshot(bill)
    bill.superseded_at = max(now, bill.observed_at, bill.recorded_at or bill.observed_at)
    bill.removal_reason = why
    audit.record(session, actor, "bill.remove", bill, at=now, before=before)
    return bill
