"""What the bill checks read once a cycle and share, and the candidate SQL that finds it.

- :func:`unsettled_groups`: the installment groups (a facility's installments due on one date)
  that `bill_missing` or `bill_amount_mismatch` may report, each flagged for the rule it may
  fire: `may_be_missing` and `near`. Candidate days come from `bill_days`' partial indexes
  (:func:`_candidate_days`, one branch per rule), and the probes sit in the groups' HAVING.
- :func:`unpaid_bills`: the unpaid bills that `bill_due_soon` or `bill_overdue` may report.

A check asks for a scan through the cycle's :class:`CycleScans`, so the first one to ask runs
its queries and the others read the result. What one check alone reads is in its own module.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select, union
from sqlalchemy.orm import aliased

from bot.calendar import ONE_DAY, BusinessCalendar
from bot.db import among
from bot.ledger.bills import bill_known_at, bill_unpaid_at, paid_mark_after
from bot.models import Bill, BillDay, Draw, Facility, Installment
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    as_date,
    billed_for_own_installments,
    days_after,
    earliest_today,
    facilities,
    fen,
    flag,
    installment_current,
    installment_open,
    latest_today,
    ledger_ahead,
    longest,
    paid_since,
    setting,
)


def unsettled_groups(scans: CycleScans) -> list[Any]:
    """Installment groups `bill_missing` or `bill_amount_mismatch` may report, read once a cycle.

    A group is a facility's installments due on one date, in the scope both checks share (not
    superseded, more than 0.00, on an active facility; unpaid ones however old, paid ones until
    due date + match window, or with a bill due that very day). Almost every group has its bill
    on the due date itself, for the right amount: it is settled, and neither check can fire for
    it, so it never leaves the database. Only for the rest are bills looked for within the
    windows, one index probe each: `in_window` (± match window: not missing) and `near` (the
    window widened for a holiday shift: worth matching amounts in Python). Groups with neither a
    near bill nor a chance of being missing are dropped too.
    """
    return scans.once(
        "unsettled_groups", lambda: _unsettled_groups(scans, scans.calendar.max_shift_days)
    )


def _unsettled_groups(scans: CycleScans, pad: int) -> list[Any]:
    """The candidate days from `bill_days` (:func:`_candidate_days`), then their installment
    groups a chunk of days at a time (:func:`_groups_on`), each probed in the query's HAVING."""
    query = _groups_query(scans, pad)
    days = sorted(
        (row.facility_id, row.day) for row in scans.session.execute(_candidate_days(scans, pad))
    )
    return _groups_on(scans, query, days)


def _groups_query(scans: CycleScans, pad: int) -> Select[Any]:
    """The installment groups in scope that are not settled on their day and that a bill check
    may report, with the facility's terms and the rule each may fire (`may_be_missing`, `near`).
    """
    now, thresholds = scans.now, scans.thresholds
    facility = facilities(scans)
    lead = setting(facility.bill_lead_days, thresholds.bill_lead_days)
    grace = setting(facility.bill_grace_hours, thresholds.bill_grace_hours)
    window = setting(facility.bill_match_window_days, thresholds.bill_match_window_days)
    tolerance = setting(facility.amount_tolerance, thresholds.amount_tolerance)
    critical = setting(facility.bill_critical_days, thresholds.bill_critical_days)
    expected = func.sum(Installment.amount)
    probe = _probes(now, lead, window, tolerance, expected, pad)
    return (
        select(
            facility.id.label("facility_id"),
            facility.slug,
            facility.timezone,
            facility.currency,
            lead.label("lead"),
            grace.label("grace"),
            window.label("window"),
            tolerance.label("tolerance"),
            critical.label("critical_days"),
            Installment.due_date,
            expected.label("expected"),
            func.count().label("installments"),
            func.max(case((installment_open(scans), 1), else_=0)).label("open"),
            flag(probe.may_be_missing).label("may_be_missing"),
            flag(probe.near).label("near"),
        )
        .join(facility, facility.id == Installment.facility_id)
        .where(installments_in_scope(scans, facility, window))
        .group_by(
            facility.id, *_terms_read(facility), Installment.facility_id, Installment.due_date
        )
        # The probes sit in HAVING (their columns are grouped), so they run once per group.
        .having(and_(not_(probe.settled_same_day), or_(probe.may_be_missing, probe.near)))
    )


def _terms_read(facility: Any) -> tuple[Any, ...]:
    """The facility's columns a group reads, to group by as well when they come from the terms
    in force at `now` (a subquery, whose id PostgreSQL does not know them to depend on)."""
    if facility is Facility:
        return ()
    return (
        facility.slug,
        facility.timezone,
        facility.currency,
        facility.bill_lead_days,
        facility.bill_grace_hours,
        facility.bill_match_window_days,
        facility.amount_tolerance,
        facility.bill_critical_days,
    )


class _Probes(NamedTuple):
    """What is asked of each installment group, one index probe each."""

    # Due within the lead and no bill within ± the match window: `bill_missing` may fire.
    may_be_missing: ColumnElement[bool]
    # A bill within the window widened for a holiday shift: worth matching amounts.
    near: ColumnElement[bool]
    # The bills due that very day add up to the group, within its tolerance.
    settled_same_day: ColumnElement[bool]


def _probes(
    now: datetime,
    lead: ColumnElement[int],
    window: ColumnElement[int],
    tolerance: ColumnElement[Decimal],
    expected: ColumnElement[Decimal],
    pad: int,
) -> _Probes:
    """The probes of a group (its facility's `lead`, `window` and `tolerance`, `expected` sum)."""

    def bill_between(first: Any, last: Any) -> Any:
        # A bill due on another day that has installments of its own is theirs, not this one's.
        return exists().where(
            Bill.facility_id == Installment.facility_id,
            bill_known_at(now),
            Bill.due_date.between(first, last),
            or_(Bill.due_date == Installment.due_date, ~billed_for_own_installments()),
        )

    in_window = bill_between(
        days_after(Installment.due_date, -window), days_after(Installment.due_date, window)
    )
    near = bill_between(
        days_after(Installment.due_date, -window), days_after(Installment.due_date, window + pad)
    )
    may_be_missing = and_(
        Installment.due_date <= days_after(as_date(latest_today(now)), lead), not_(in_window)
    )
    # What the platform billed on the group's own day, probed for the few candidate groups.
    billed_same_day = (
        select(func.sum(fen(Bill.amount)))
        .where(
            Bill.facility_id == Installment.facility_id,
            Bill.due_date == Installment.due_date,
            bill_known_at(now),
        )
        .scalar_subquery()
    )
    settled_same_day = and_(
        billed_same_day.is_not(None),
        func.abs(billed_same_day - fen(expected)) <= fen(tolerance) * func.count(),
    )
    return _Probes(may_be_missing, near, settled_same_day)


def _groups_on(scans: CycleScans, query: Select[Any], days: list[tuple[int, date]]) -> list[Any]:
    """The groups of `query` on these (facility, day) pairs, in order, 5,000 days a query."""
    wanted = set(days)
    groups = []
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        ids = sorted({facility_id for facility_id, _ in chunk})
        # The chunk's facilities on the chunk's dates: a few more groups than asked for, which
        # are dropped here; a list of (facility, date) pairs made PostgreSQL test every pair
        # against every row. The ids bound the facility too, or PostgreSQL hashes every one.
        groups.extend(
            group
            for group in scans.session.execute(
                query.where(
                    among(scans.session, Installment.facility_id, ids),
                    among(scans.session, facilities(scans).id, ids),
                    among(scans.session, Installment.due_date, sorted({day for _, day in chunk})),
                )
            )
            if (group.facility_id, group.due_date) in wanted
        )
    return sorted(groups, key=lambda group: (group.facility_id, group.due_date))


def _candidate_days(scans: CycleScans, pad: int) -> Any:
    """The facility days whose installments may be unsettled, from `bill_days`.

    Every other day with installments has bills due that very day adding up to the ledger to
    the fen, seen by `now`: settled, whatever the tolerance. The rest are few, and each comes
    from a partial index:

    - bills on the day that do not add up (`bill_amount_mismatch`);
    - no bill on the day, and due within the longest lead of any facility: unpaid ones however
      old, paid ones within the longest match window (`bill_missing`);
    - no bill on the day, but a bill on a nearby day that has no installments of its own: the
      one bill that may match these installments within a window (`bill_amount_mismatch`);
    - bills on the day seen after `now`, installments paid now that the allocations in
      force at `now` had not paid in full, and installments superseded after `now` (a check
      run "as of" an earlier moment).
    """
    now, most = scans.now, longest(scans)
    last_due = latest_today(now) + timedelta(days=most.lead_days)
    first_paid = earliest_today(now) - timedelta(days=most.match_window_days)
    has_installments, unbilled = BillDay.installments > 0, BillDay.bills == 0
    orphan = aliased(BillDay, name="orphan")

    def days(*where: Any) -> Any:
        return select(BillDay.facility_id, BillDay.day).where(has_installments, *where)

    # Paid now, open at `now`, or superseded since: not among the days `bill_days` counts.
    on_day = select(Installment.facility_id, Installment.due_date.label("day"))
    reopened = (
        [on_day.where(paid_since(now)), on_day.where(Installment.superseded_at > now)]
        if ledger_ahead(scans)
        else []
    )
    return union(
        *reopened,
        days(BillDay.bills > 0, BillDay.billed != BillDay.expected),
        days(unbilled, BillDay.open > 0, BillDay.day <= last_due),
        days(unbilled, BillDay.day.between(first_paid, last_due)),
        days(unbilled).join(
            orphan,
            and_(
                orphan.facility_id == BillDay.facility_id,
                orphan.installments == 0,
                orphan.bills > 0,
                BillDay.day.between(
                    days_after(orphan.day, -(most.match_window_days + pad)),
                    days_after(orphan.day, most.match_window_days),
                ),
            ),
        ),
        days(BillDay.billed_seen_at > now),
    )


def installments_in_scope(
    scans: CycleScans, facility: Any, window: ColumnElement[int]
) -> ColumnElement[bool]:
    """Installments the bill checks look at: on active facilities (`facility`, as the checks
    read it at `now`), of draws logged by `now`, not superseded, not zero, and still unpaid at
    `now`, due within the match window of today (a bill may still show them), or billed that
    very day (paying an installment does not make its bill agree with it:
    `bill_amount_mismatch` keeps comparing them)."""
    now = scans.now
    own_bill = aliased(Bill, name="own_bill")
    return and_(
        facility.active,
        exists().where(Draw.id == Installment.draw_id, Draw.created_at <= now),
        installment_current(scans),
        fen(Installment.amount) > 0,
        or_(
            installment_open(scans),
            Installment.due_date >= days_after(as_date(earliest_today(now)), -window),
            exists().where(
                own_bill.facility_id == Installment.facility_id,
                own_bill.due_date == Installment.due_date,
                bill_known_at(now, own_bill),
            ),
        ),
    )


def unpaid_bills(scans: CycleScans) -> list["UnpaidBill"]:
    """Unpaid bills `bill_due_soon` or `bill_overdue` may report, read once a cycle.

    Unpaid at `now` (of more than 0.00; the version current then), of active facilities, and
    either due before the latest local date anywhere (maybe overdue) or due within the due-soon
    horizon. Each check finishes its own in Python, in the facility's zone.
    """
    return scans.once("unpaid_bills", lambda: _unpaid_bills(scans))


def bill_subject(bill: Any) -> str:
    """An alert's subject for one bill: its due date and its first version's id, so that a
    correction of the amount keeps the alert it already has."""
    return f"{bill.due_date.isoformat()}#b{bill.origin_id or bill.id}"


class UnpaidBill(NamedTuple):
    """An unpaid bill `bill_due_soon` or `bill_overdue` may report, with its facility's terms.

    `id` is the version's; `origin_id` the bill's first version (None: this one), which an
    alert about the bill is keyed on, so a corrected bill keeps its alert.
    """

    id: int
    facility_id: int
    due_date: date
    amount: Decimal
    origin_id: int | None
    slug: str
    timezone: str
    currency: str
    soon: int
    holiday_rule: str


def _unpaid_bills(scans: CycleScans) -> list[UnpaidBill]:
    now, thresholds, calendar = scans.now, scans.thresholds, scans.calendar
    first, last = earliest_today(now), latest_today(now)
    # The last due date any facility's horizon reaches from any local "today" on Earth (a few
    # dates): every unpaid bill that may be due soon or overdue is due by then, and the partial
    # index on unpaid bills reads just those. The checks finish each in its facility's zone.
    last_possible = max(
        business_days_after(calendar, first + timedelta(days=n), longest(scans).due_soon_days)
        for n in range((last - first).days + 1)
    )
    # Bills first, then their facilities: joined in one query, PostgreSQL misjudged how few
    # unpaid bills the range holds and hashed every facility.
    # Two index reads: the current unpaid versions (a partial index), and the few versions
    # that changed after `now` (seen paid, corrected or removed since), for a check run as of
    # an earlier moment; each then as it was at `now`.
    unpaid_then = and_(
        Bill.due_date <= last_possible,
        fen(Bill.amount) > 0,
        bill_known_at(now),
        bill_unpaid_at(now),
    )
    columns = (Bill.id, Bill.facility_id, Bill.due_date, Bill.amount, Bill.origin_id)
    rows = {
        bill.id: bill
        for where in (
            and_(not_(Bill.paid), Bill.superseded_at.is_(None)),
            or_(paid_mark_after(now), Bill.superseded_at > now),
        )
        for bill in scans.session.execute(select(*columns).where(where, unpaid_then))
    }
    bills = list(rows.values())
    # Sorted here: asked to sort, PostgreSQL walked the whole facility index to avoid a sort.
    bills.sort(key=lambda bill: (bill.facility_id, bill.due_date, bill.id))
    then = facilities(scans)
    soon = setting(then.due_soon_days, thresholds.due_soon_days)
    facility_ids = sorted({bill.facility_id for bill in bills})
    terms = {}
    for start in range(0, len(facility_ids), CHUNK):
        for facility in scans.session.execute(
            select(
                then.id,
                then.slug,
                then.timezone,
                then.currency,
                soon.label("soon"),
                then.holiday_rule,
            ).where(
                then.active,
                among(scans.session, then.id, facility_ids[start : start + CHUNK]),
            )
        ):
            terms[facility.id] = facility
    return [
        UnpaidBill(*bill, *facility[1:])
        for bill in bills
        if (facility := terms.get(bill.facility_id)) is not None
    ]


def business_days_after(calendar: BusinessCalendar, today: date, count: int) -> date:
    """The day `count` business days after `today` (`today` itself for 0)."""
    day = today
    for _ in range(count):
        day = calendar.next_business_day(day + ONE_DAY)
    return day
