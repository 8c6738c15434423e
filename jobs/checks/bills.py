"""Bill checks: the platform's bills against the installments the ledger expects.

Matching (shared by every check here and by `draw_unconfirmed`)
    A bill matches an installment of the same facility when the bill's due date is within the
    facility's match window (default ± 3 days) of the installment's due date, or of that date
    moved to the next business day (a due date on 2025-10-01 matches a bill due 2025-10-09).
    A bill due on a day that has installments of its own matches only those: one draw's bill
    never stands in for another draw's missing one. Amounts play no part in matching;
    comparing them is `bill_amount_mismatch`'s job. Superseded installments, and the 0.00
    installments a tiny draw can end with, expect no bill.

How the SQL is shaped
    `bill_days` (one row per facility and day: installments expected against bills billed,
    kept in step with every write by `bot.ledger.summaries`) singles out the few days that may
    fire through partial indexes; a day whose bills add up to the ledger to the fen is settled
    and never read. The checks then run their set-based queries over those days' installments
    and bills only, using the plain window (a join with per-facility window sizes, see
    ``common.days_after``). Only the candidates whose due date moves on a holiday need the
    shifted window; those few are finished in Python after at most one more query.
    Observations recorded after `now` are ignored, so a check run "as of" a past moment sees
    the database as it was then (`bill_days` says when its newest bill was seen, and a day
    seen after `now` is read in full).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select, union
from sqlalchemy.orm import Session, aliased

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.models import Bill, BillDay, Facility, Installment, InstallmentStatus
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    as_date,
    bill_dates_near,
    bill_matches,
    billed_for_own_installments,
    days_after,
    earliest_today,
    fen,
    flag,
    latest_today,
    local_midnight,
    local_time,
    local_today,
    longest,
    moved,
    scans_for,
    setting,
)

ONE_DAY = timedelta(days=1)


def unsettled_groups(scans: CycleScans) -> list[Any]:
    """Installment groups `bill_missing` or `bill_amount_mismatch` may report, read once a cycle.

    A group is a facility's installments due on one date, in the scope both checks share (not
    superseded, more than 0.00, on an active facility; unpaid ones however old, paid ones until
    due date + match window). Almost every group has its bill on the due date itself, for the
    right amount: it is settled, and neither check can fire for it, so it never leaves the
    database. Only for the rest are bills looked for within the windows, one index probe each:
    `in_window` (± match window: not missing) and `near` (the window widened for a holiday
    shift: worth matching amounts in Python). Groups with neither a near bill nor a chance of
    being missing are dropped too.
    """
    return scans.once(
        "unsettled_groups", lambda: _unsettled_groups(scans, scans.calendar.max_shift_days)
    )


def _unsettled_groups(scans: CycleScans, pad: int) -> list[Any]:
    now, thresholds = scans.now, scans.thresholds
    lead = setting(Facility.bill_lead_days, thresholds.bill_lead_days)
    grace = setting(Facility.bill_grace_hours, thresholds.bill_grace_hours)
    window = setting(Facility.bill_match_window_days, thresholds.bill_match_window_days)
    tolerance = setting(Facility.amount_tolerance, thresholds.amount_tolerance)

    def bill_between(first: Any, last: Any) -> Any:
        # A bill due on another day that has installments of its own is theirs, not this one's.
        return exists().where(
            Bill.facility_id == Installment.facility_id,
            Bill.observed_at <= now,
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
            Bill.observed_at <= now,
        )
        .scalar_subquery()
    )
    expected = func.sum(Installment.amount)
    settled_same_day = and_(
        billed_same_day.is_not(None),
        func.abs(billed_same_day - fen(expected)) <= fen(tolerance) * func.count(),
    )
    query = (
        select(
            Facility.id.label("facility_id"),
            Facility.slug,
            Facility.timezone,
            Facility.currency,
            lead.label("lead"),
            grace.label("grace"),
            window.label("window"),
            tolerance.label("tolerance"),
            Installment.due_date,
            expected.label("expected"),
            func.count().label("installments"),
            func.max(case((Installment.status == InstallmentStatus.SCHEDULED, 1), else_=0)).label(
                "open"
            ),
            flag(may_be_missing).label("may_be_missing"),
            flag(near).label("near"),
        )
        .join(Facility, Facility.id == Installment.facility_id)
        .where(_installments_in_scope(now, window))
        .group_by(Facility.id, Installment.facility_id, Installment.due_date)
        # The probes sit in HAVING (their columns are grouped), so they run once per group.
        .having(and_(not_(settled_same_day), or_(may_be_missing, near)))
    )
    days = sorted(
        (row.facility_id, row.day) for row in scans.session.execute(_candidate_days(scans, pad))
    )
    wanted = set(days)
    groups = []
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        # The chunk's facilities on the chunk's dates: a few more groups than asked for, which
        # are dropped here; a list of (facility, date) pairs made PostgreSQL test every pair
        # against every row.
        groups.extend(
            group
            for group in scans.session.execute(
                query.where(
                    among(
                        scans.session,
                        Installment.facility_id,
                        sorted({facility_id for facility_id, _ in chunk}),
                    ),
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
    - bills on the day seen after `now` (a check run "as of" an earlier moment).
    """
    now, most = scans.now, longest(scans)
    last_due = latest_today(now) + timedelta(days=most.lead_days)
    first_paid = earliest_today(now) - timedelta(days=most.match_window_days)
    has_installments, unbilled = BillDay.installments > 0, BillDay.bills == 0
    orphan = aliased(BillDay, name="orphan")

    def days(*where: Any) -> Any:
        return select(BillDay.facility_id, BillDay.day).where(has_installments, *where)

    return union(
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


def bill_missing(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An installment whose bill should be visible by now, and no bill matches it.

    1. In scope: installments not superseded, on active facilities; unpaid ones however old,
       paid ones until their due date + the match window has passed (after that the platform's
       bill for a settled installment is history).
    2. Visible from the start of (due − lead days) in the facility's zone, plus grace hours:
       quiet at that moment minus a minute, firing from it.
    3. Critical when the due date is at most `bill_critical_days` away (or past), else warning.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = {
        (group.facility_id, group.due_date): group
        for group in unsettled_groups(scans)
        if group.may_be_missing
    }
    candidates = []
    for installment in _installments_in(session, now, groups):
        row = groups[installment.facility_id, installment.due_date]
        visible_at = local_midnight(moved(row.due_date, -row.lead), row.timezone)
        visible_at += timedelta(hours=row.grace)
        today = local_today(now, row.timezone)
        if now < visible_at:
            continue
        if installment.status == InstallmentStatus.PAID and moved(row.due_date, row.window) < today:
            continue
        shifted = calendar.next_business_day(row.due_date)
        candidates.append((installment, row, today, visible_at, shifted))

    shifted_windows = [
        (shifted, row.window) for _, row, _, _, shifted in candidates if shifted != row.due_date
    ]
    near_shift = bill_dates_near(
        session, now, sorted({row.facility_id for _, row, *_ in candidates}), shifted_windows
    )

    findings = []
    for installment, row, today, visible_at, shifted in candidates:
        if any(
            bill_matches(bill_due, row.due_date, shifted, row.window)
            for bill_due in near_shift.get(row.facility_id, ())
        ):
            continue
        days_left = (row.due_date - today).days
        critical = days_left <= thresholds.bill_critical_days
        amount = format_money(installment.amount, row.currency)
        facts = {
            "Facility": row.slug,
            "Draw": f"#{installment.draw_id}",
            "Due date": row.due_date.isoformat(),
            "Expected": amount,
            "Bill expected since": local_time(visible_at, row.timezone),
            "Matched within": f"± {row.window} days",
        }
        if shifted != row.due_date:
            facts["Holiday-shifted due date"] = shifted.isoformat()
        findings.append(
            Finding(
                check=Check.BILL_MISSING,
                facility_id=row.facility_id,
                subject=f"{row.due_date.isoformat()}#d{installment.draw_id}",
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                summary=(
                    f"expected {amount} due {row.due_date.isoformat()}, no bill seen; "
                    f"lead {row.lead} days, grace {row.grace} h"
                ),
                facts=facts,
            )
        )
    return findings


def _installments_in(
    session: Session, now: datetime, groups: dict[tuple[int, date], Any]
) -> list[Any]:
    """The in-scope installments of `groups` (keyed by facility and due date), in order."""
    if not groups:
        return []
    facility_ids = sorted({facility_id for facility_id, _ in groups})
    due_dates = [due_date for _, due_date in groups]
    installments = []
    for start in range(0, len(facility_ids), CHUNK):
        for installment in session.execute(
            select(
                Installment.draw_id,
                Installment.facility_id,
                Installment.due_date,
                Installment.amount,
                Installment.status,
            ).where(
                among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                Installment.due_date.between(min(due_dates), max(due_dates)),
                Installment.status != InstallmentStatus.SUPERSEDED,
                fen(Installment.amount) > 0,
            )
        ):
            group = groups.get((installment.facility_id, installment.due_date))
            # The same per-installment scope as the groups': paid ones only within the window.
            if group is not None and (
                installment.status == InstallmentStatus.SCHEDULED
                or installment.due_date >= earliest_today(now) - timedelta(days=group.window)
            ):
                installments.append(installment)
    return sorted(installments, key=lambda i: (i.facility_id, i.due_date, i.draw_id))


def bill_amount_mismatch(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A matched bill's amount is off from what the ledger expects by more than the tolerance.

    Platforms show one bill a day, so the installments of one facility due on one date are
    compared as a group: their sum against the matched bill (if the platform shows several bills
    on that date, their sum), with a tolerance of the facility's amount tolerance (0.01) times
    the number of installments. The matched bill is the one due that very day, else the one
    nearest the due date (or the shifted due date), the earlier on a tie, among bills due on
    days without installments of their own (those belong to their own day's installments).
    Groups are in scope while any installment in them is unpaid, and until due date + match
    window once all are paid. Exactly tolerance × n off is quiet.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = [group for group in unsettled_groups(scans) if group.near]
    if not groups:
        return []

    window = setting(Facility.bill_match_window_days, thresholds.bill_match_window_days)
    pad = calendar.max_shift_days
    scope = _installments_in_scope(now, window)
    installment_near = exists().where(
        Installment.facility_id == Bill.facility_id,
        Facility.id == Installment.facility_id,
        scope,
        Bill.due_date.between(
            days_after(Installment.due_date, -window),
            days_after(Installment.due_date, window + pad),
        ),
    )
    bills: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    # Days whose bills belong to installments due that very day: not another day's to match.
    taken: dict[int, set[date]] = defaultdict(set)
    candidates = sorted({group.facility_id for group in groups})
    for start in range(0, len(candidates), CHUNK):
        for facility_id, due_date, amount, own_installments in session.execute(
            select(Bill.facility_id, Bill.due_date, Bill.amount, BillDay.installments)
            .outerjoin(
                BillDay,
                and_(BillDay.facility_id == Bill.facility_id, BillDay.day == Bill.due_date),
            )
            .where(
                Bill.observed_at <= now,
                among(session, Bill.facility_id, candidates[start : start + CHUNK]),
                installment_near,
            )
        ):
            bills[facility_id][due_date] += amount
            if own_installments:
                taken[facility_id].add(due_date)

    findings = []
    for group in groups:
        today = local_today(now, group.timezone)
        if not group.open and moved(group.due_date, group.window) < today:
            continue
        shifted = calendar.next_business_day(group.due_date)
        matching = [
            bill_due
            for bill_due in bills[group.facility_id]
            if bill_matches(bill_due, group.due_date, shifted, group.window)
            and (bill_due == group.due_date or bill_due not in taken[group.facility_id])
        ]
        if not matching:
            continue
        bill_due = min(
            matching,
            key=lambda d: (min(abs((d - group.due_date).days), abs((d - shifted).days)), d),
        )
        billed = bills[group.facility_id][bill_due]
        difference = billed - group.expected
        allowed = group.tolerance * group.installments
        if abs(difference) <= allowed:
            continue
        money = {
            "billed": format_money(billed, group.currency),
            "expected": format_money(group.expected, group.currency),
            "difference": format_money(difference, group.currency),
        }
        of_installments = f" ({group.installments} installments)" if group.installments > 1 else ""
        findings.append(
            Finding(
                check=Check.BILL_AMOUNT_MISMATCH,
                facility_id=group.facility_id,
                subject=group.due_date.isoformat(),
                severity=Severity.WARNING,
                summary=(
                    f"bill due {bill_due.isoformat()} shows {money['billed']}, the ledger expects "
                    f"{money['expected']} due {group.due_date.isoformat()}{of_installments}; "
                    f"off by {money['difference']}"
                ),
                facts={
                    "Facility": group.slug,
                    "Due date": group.due_date.isoformat(),
                    "Bill due date": bill_due.isoformat(),
                    "Billed": money["billed"],
                    "Expected": money["expected"],
                    "Difference": money["difference"],
                    "Tolerance": format_money(allowed, group.currency),
                    "Installments": str(group.installments),
                },
            )
        )
    return findings


def bill_unexpected(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """A bill (paid or not, however old) that matches no installment: an unlogged draw?"""
    require_aware(now, "now")
    window = setting(Facility.bill_match_window_days, thresholds.bill_match_window_days)
    expected = and_(
        Installment.facility_id == Bill.facility_id,
        Installment.status != InstallmentStatus.SUPERSEDED,
        fen(Installment.amount) > 0,
    )
    installment_in_window = exists().where(
        expected,
        Installment.due_date.between(
            days_after(Bill.due_date, -window), days_after(Bill.due_date, window)
        ),
    )
    scope = and_(Facility.active, Bill.observed_at <= now, ~installment_in_window)
    candidates = session.execute(
        select(
            Bill.id,
            Bill.facility_id,
            Bill.due_date,
            Bill.amount,
            Bill.paid,
            Bill.observed_at,
            Facility.slug,
            Facility.timezone,
            Facility.currency,
            window.label("window"),
        )
        # An installment due the same day is in any window: only bills on days without one
        # (`bill_days` keeps them in a partial index) need the window tested.
        .join(
            BillDay,
            and_(
                BillDay.facility_id == Bill.facility_id,
                BillDay.day == Bill.due_date,
                BillDay.installments == 0,
                BillDay.bills > 0,
            ),
        )
        .join(Facility, Facility.id == Bill.facility_id)
        .where(scope)
        .order_by(Bill.facility_id, Bill.due_date, Bill.id)
    ).all()
    if not candidates:
        return []

    # No installment lies within the window of these bills, but one due before a holiday may
    # shift into it: it is due at most `max_shift_days` before the window opens.
    pad = calendar.max_shift_days
    dates = {
        moved(bill.due_date, -(bill.window + back))
        for bill in candidates
        for back in range(1, pad + 1)
    }
    facility_ids = sorted({bill.facility_id for bill in candidates})
    installments: dict[int, set[date]] = defaultdict(set)
    for start in range(0, len(facility_ids), CHUNK):
        for facility_id, due_date in session.execute(
            select(Installment.facility_id, Installment.due_date)
            .where(
                Installment.status != InstallmentStatus.SUPERSEDED,
                fen(Installment.amount) > 0,
                among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                among(session, Installment.due_date, sorted(dates)),
            )
            .distinct()
        ):
            installments[facility_id].add(due_date)

    findings = []
    for bill in candidates:
        if any(
            bill_matches(bill.due_date, due, calendar.next_business_day(due), bill.window)
            for due in installments.get(bill.facility_id, ())
        ):
            continue
        amount = format_money(bill.amount, bill.currency)
        findings.append(
            Finding(
                check=Check.BILL_UNEXPECTED,
                facility_id=bill.facility_id,
                subject=f"{bill.due_date.isoformat()}#b{bill.id}",
                severity=Severity.WARNING,
                summary=(
                    f"bill of {amount} due {bill.due_date.isoformat()} matches no installment "
                    f"within ± {bill.window} days; is a draw missing from the ledger?"
                ),
                facts={
                    "Facility": bill.slug,
                    "Bill due date": bill.due_date.isoformat(),
                    "Billed": amount,
                    "Paid": "yes" if bill.paid else "no",
                    "Seen": local_time(bill.observed_at, bill.timezone),
                },
            )
        )
    return findings


def bill_due_soon(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An unpaid bill due today or within the next `due_soon_days` business days.

    Business days, because a finance team needs working days to pay: on 2025-09-30 a bill due
    2025-10-09 is 9 calendar days away but only one business day. Firing starts at the start of
    the day (facility zone) on which the due date comes within the horizon.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    last_days: dict[tuple[date, int], date] = {}
    findings = []
    for bill in unpaid_bills(scans):
        today = local_today(now, bill.timezone)
        if (today, bill.soon) not in last_days:
            last_days[today, bill.soon] = _business_days_after(calendar, today, bill.soon)
        last_day = last_days[today, bill.soon]
        if not today <= bill.due_date <= last_day:
            continue
        days = (bill.due_date - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days > 1 else ''}"
        amount = format_money(bill.amount, bill.currency)
        findings.append(
            Finding(
                check=Check.BILL_DUE_SOON,
                facility_id=bill.facility_id,
                subject=f"{bill.due_date.isoformat()}#b{bill.id}",
                severity=Severity.WARNING,
                summary=f"bill of {amount} is due {bill.due_date.isoformat()} ({when}), not paid",
                facts={
                    "Facility": bill.slug,
                    "Bill due date": bill.due_date.isoformat(),
                    "Billed": amount,
                    "Due soon means": f"within {bill.soon} business days",
                },
            )
        )
    return findings


def bill_overdue(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """An unpaid bill whose due date has ended in the facility's zone: critical.

    The bill's own date counts, not a holiday-shifted one: the platform printed it, and paying
    late is expensive, so the check errs on the early side.
    """
    require_aware(now, "now")
    findings = []
    scans = scans_for(scans, session, now, thresholds, calendar)
    for bill in unpaid_bills(scans):
        days = (local_today(now, bill.timezone) - bill.due_date).days
        if days <= 0:
            continue
        amount = format_money(bill.amount, bill.currency)
        findings.append(
            Finding(
                check=Check.BILL_OVERDUE,
                facility_id=bill.facility_id,
                subject=f"{bill.due_date.isoformat()}#b{bill.id}",
                severity=Severity.CRITICAL,
                summary=(
                    f"bill of {amount} was due {bill.due_date.isoformat()}, "
                    f"{days} day{'s' if days > 1 else ''} ago, and is not paid"
                ),
                facts={
                    "Facility": bill.slug,
                    "Bill due date": bill.due_date.isoformat(),
                    "Billed": amount,
                    "Days overdue": str(days),
                },
            )
        )
    return findings


def unpaid_bills(scans: CycleScans) -> list["UnpaidBill"]:
    """Unpaid bills `bill_due_soon` or `bill_overdue` may report, read once a cycle.

    Unpaid (of more than 0.00), of active facilities, seen by `now`, and either due before the
    latest local date anywhere (maybe overdue) or due within the due-soon horizon. Each check
    finishes its own in Python, in the facility's zone.
    """
    return scans.once("unpaid_bills", lambda: _unpaid_bills(scans))


class UnpaidBill(NamedTuple):
    """An unpaid bill `bill_due_soon` or `bill_overdue` may report, with its facility's terms."""

    id: int
    facility_id: int
    due_date: date
    amount: Decimal
    slug: str
    timezone: str
    currency: str
    soon: int


def _unpaid_bills(scans: CycleScans) -> list[UnpaidBill]:
    now, thresholds, calendar = scans.now, scans.thresholds, scans.calendar
    first, last = earliest_today(now), latest_today(now)
    # The last due date any facility's horizon reaches from any local "today" on Earth (a few
    # dates): every unpaid bill that may be due soon or overdue is due by then, and the partial
    # index on unpaid bills reads just those. The checks finish each in its facility's zone.
    last_possible = max(
        _business_days_after(calendar, first + timedelta(days=n), longest(scans).due_soon_days)
        for n in range((last - first).days + 1)
    )
    # Bills first, then their facilities: joined in one query, PostgreSQL misjudged how few
    # unpaid bills the range holds and hashed every facility.
    bills = scans.session.execute(
        select(Bill.id, Bill.facility_id, Bill.due_date, Bill.amount).where(
            not_(Bill.paid),
            Bill.due_date <= last_possible,
            fen(Bill.amount) > 0,
            Bill.observed_at <= now,
        )
    ).all()
    # Sorted here: asked to sort, PostgreSQL walked the whole facility index to avoid a sort.
    bills.sort(key=lambda bill: (bill.facility_id, bill.due_date, bill.id))
    soon = setting(Facility.due_soon_days, thresholds.due_soon_days)
    facility_ids = sorted({bill.facility_id for bill in bills})
    facilities = {}
    for start in range(0, len(facility_ids), CHUNK):
        for facility in scans.session.execute(
            select(
                Facility.id,
                Facility.slug,
                Facility.timezone,
                Facility.currency,
                soon.label("soon"),
            ).where(
                Facility.active,
                among(scans.session, Facility.id, facility_ids[start : start + CHUNK]),
            )
        ):
            facilities[facility.id] = facility
    return [
        UnpaidBill(*bill, *facility[1:])
        for bill in bills
        if (facility := facilities.get(bill.facility_id)) is not None
    ]


def _business_days_after(calendar: BusinessCalendar, today: date, count: int) -> date:
    day = today
    for _ in range(count):
        day = calendar.next_business_day(day + ONE_DAY)
    return day


def _installments_in_scope(now: datetime, window: ColumnElement[int]) -> ColumnElement[bool]:
    """Installments the bill checks look at: on active facilities, not superseded, not zero,
    and still unpaid or due within the match window of today (a bill may still show them)."""
    return and_(
        Facility.active,
        Installment.status != InstallmentStatus.SUPERSEDED,
        fen(Installment.amount) > 0,
        or_(
            Installment.status == InstallmentStatus.SCHEDULED,
            Installment.due_date >= days_after(as_date(earliest_today(now)), -window),
        ),
    )
