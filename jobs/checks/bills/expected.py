"""The bills the ledger expects: `bill_missing` and `bill_amount_mismatch`.

Both read the cycle's unsettled installment groups (`scans.unsettled_groups`) and match bills
to installments the same way (the package's docstring says how); each then reads the little
more it needs for its own candidates: the installments of the groups that may be missing, or
the bills near the groups that may be mismatched.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.db import among
from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Moment, Money, Text
from bot.ledger.bills import bill_known_at
from bot.models import Bill, BillDay, Installment
from bot.thresholds import Thresholds
from jobs.checks.bills.asked import Asked, asked_about
from jobs.checks.bills.penalties import LateDay, penalties_of
from jobs.checks.bills.scans import installments_in_scope, unsettled_groups
from jobs.checks.common import (
    CHUNK,
    CycleScans,
    DueDay,
    bill_matches,
    days_after,
    earliest_today,
    facilities,
    fen,
    flag,
    installment_current,
    installment_open,
    local_midnight,
    local_today,
    moved,
    scans_for,
    setting,
    unbilled_after_shift,
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
    3. Critical when the due date is at most `bill_critical_days` away (or past), else warning
       (the facility's own, or the default).
    4. When the facility's owner was asked about the bill (a bill request), the alert says so,
       and when they answered Not yet (`asked.asked_about`).
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = {
        (group.facility_id, group.due_date): group
        for group in unsettled_groups(scans)
        if group.may_be_missing
    }
    visible = _visible_by_now(now, calendar, _installments_in(scans, groups), groups)
    missing = unbilled_after_shift(session, now, visible, _Visible.due_day)
    days = {(m.group.facility_id, m.group.due_date) for m in missing}
    asked = asked_about(session, now, days)
    return [
        _missing_finding(m, asked.get((m.group.facility_id, m.group.due_date))) for m in missing
    ]


class _Visible(NamedTuple):
    """An installment whose bill should be visible by now, and none is in its window."""

    installment: Any
    group: Any  # its unsettled group: the facility's terms, the due date
    today: date  # in the facility's zone
    visible_at: datetime
    shifted: date  # the due date moved to the next business day

    def due_day(self) -> DueDay:
        """The due date a bill may still match, moved off a holiday."""
        group = self.group
        return DueDay(group.facility_id, group.due_date, self.shifted, group.window)


def _visible_by_now(
    now: datetime,
    calendar: BusinessCalendar,
    installments: list[Any],
    groups: dict[tuple[int, date], Any],
) -> list[_Visible]:
    """The installments whose bill should be visible at `now` (rules 1 and 2 of bill_missing)."""
    visible = []
    for installment in installments:
        group = groups[installment.facility_id, installment.due_date]
        visible_at = local_midnight(moved(group.due_date, -group.lead), group.timezone)
        visible_at += timedelta(hours=group.grace)
        today = local_today(now, group.timezone)
        if now < visible_at:
            continue
        if not installment.open and moved(group.due_date, group.window) < today:
            continue
        shifted = calendar.next_business_day(group.due_date)
        visible.append(_Visible(installment, group, today, visible_at, shifted))
    return visible


def _missing_finding(missing: _Visible, asked: Asked | None) -> Finding:
    """The finding for an installment whose bill is missing: critical close to its due date."""
    installment, group = missing.installment, missing.group
    days_left = (group.due_date - missing.today).days
    critical = days_left <= group.critical_days
    zone = group.timezone
    args: dict[str, Arg] = {
        "amount": Money(installment.amount, group.currency),
        "due": Day(group.due_date),
        "lead": group.lead,
        "grace": group.grace,
    }
    facts: list[tuple[str, Arg]] = [
        (N_("Facility"), group.slug),
        (N_("Draw"), f"#{installment.draw_id}"),
        (N_("Due date"), Day(group.due_date)),
        (N_("Expected"), args["amount"]),
        (N_("Bill expected since"), Moment(missing.visible_at, zone)),
        (N_("Matched within"), Text(N_("± {days} days"), {"days": group.window})),
    ]
    if missing.shifted != group.due_date:
        facts.append((N_("Holiday-shifted due date"), Day(missing.shifted)))
    summary = Text(
        N_("expected {amount} due {due}, no bill seen; lead {lead} days, grace {grace} h"), args
    )
    if asked is not None:
        args |= {"owner": asked.owner, "asked": Moment(asked.sent_at, zone)}
        facts.append((N_("Owner asked"), Text(N_("{owner} at {asked}"), args)))
        summary = Text(
            N_(
                "expected {amount} due {due}, no bill seen; lead {lead} days, grace {grace} h; "
                "the owner {owner} was asked {asked}"
            ),
            args,
        )
        if asked.not_yet_at is not None:
            args["not_yet"] = Moment(asked.not_yet_at, zone)
            facts.append((N_("Owner answered"), Text(N_("Not yet, at {not_yet}"), args)))
            summary = Text(
                N_(
                    "expected {amount} due {due}, no bill seen; lead {lead} days, grace {grace} "
                    "h; the owner {owner} was asked {asked} and answered Not yet at {not_yet}"
                ),
                args,
            )
    return worded(
        Check.BILL_MISSING,
        group.facility_id,
        f"{group.due_date.isoformat()}#d{installment.draw_id}",
        Severity.CRITICAL if critical else Severity.WARNING,
        summary,
        facts,
    )


def _installments_in(scans: CycleScans, groups: dict[tuple[int, date], Any]) -> list[Any]:
    """The in-scope installments of `groups` (keyed by facility and due date), in order, each
    saying whether it was still `open` (unpaid) at `now`."""
    if not groups:
        return []
    session, now = scans.session, scans.now
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
                flag(installment_open(scans)).label("open"),
            ).where(
                among(session, Installment.facility_id, facility_ids[start : start + CHUNK]),
                Installment.due_date.between(min(due_dates), max(due_dates)),
                installment_current(scans),
                fen(Installment.amount) > 0,
            )
        ):
            group = groups.get((installment.facility_id, installment.due_date))
            # The same per-installment scope as the groups': paid ones only within the window.
            if group is not None and (
                installment.open
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
    window once all are paid; after that still when a bill is due that very day (paying the
    installments does not make their bill right). Exactly tolerance × n off is quiet.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    groups = [group for group in unsettled_groups(scans) if group.near]
    if not groups:
        return []
    bills = _bills_near(scans, groups)
    mismatched = []
    for group in groups:
        today = local_today(now, group.timezone)
        bill_due = bills.matched(group, calendar.next_business_day(group.due_date))
        if bill_due is None:
            continue
        # Paid and past the window, only the bill of the group's own day is still compared.
        past = not group.open and moved(group.due_date, group.window) < today
        if past and bill_due != group.due_date:
            continue
        billed = bills.amounts[group.facility_id][bill_due]
        allowed = group.tolerance * group.installments
        if abs(billed - group.expected) <= allowed:
            continue
        mismatched.append((group, bill_due, billed, allowed))
    # A late day's bill may carry the penalty the ledger computes: asked once for all of them.
    late = penalties_of(
        scans,
        [
            LateDay(group.facility_id, group.due_date, bills.seen_on(group, bill_due))
            for group, bill_due, billed, _ in mismatched
            if billed > group.expected
        ],
    )
    findings = []
    for group, bill_due, billed, allowed in mismatched:
        penalty = late.get((group.facility_id, group.due_date))
        if penalty is not None and any(
            abs(billed - group.expected - charged) <= allowed
            for charged in (penalty.computed, penalty.recorded)
            if charged > 0
        ):
            continue
        findings.append(_mismatch_finding(group, bill_due, billed, allowed))
    return findings


@dataclass
class _BillsNear:
    """The bills near the groups' due dates: amounts by facility and day, summed per day."""

    amounts: dict[int, dict[date, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    # Days whose bills belong to installments due that very day: not another day's to match.
    taken: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))
    # When each day's bills were last seen (the latest version's observation).
    seen: dict[tuple[int, date], datetime] = field(default_factory=dict)

    def seen_on(self, group: Any, bill_due: date) -> date:
        """The day (in the group's facility's zone) the matched bill was last seen."""
        return self.seen[group.facility_id, bill_due].astimezone(ZoneInfo(group.timezone)).date()

    def matched(self, group: Any, shifted: date) -> date | None:
        """The day of the bill that matches the group: that very day, else the nearest."""
        matching = [
            bill_due
            for bill_due in self.amounts[group.facility_id]
            if bill_matches(bill_due, group.due_date, shifted, group.window)
            and (bill_due == group.due_date or bill_due not in self.taken[group.facility_id])
        ]
        if not matching:
            return None
        return min(
            matching,
            key=lambda d: (min(abs((d - group.due_date).days), abs((d - shifted).days)), d),
        )


def _bills_near(scans: CycleScans, groups: list[Any]) -> _BillsNear:
    """The bills of the groups' facilities due near an installment in scope, seen by `now`."""
    session, now, thresholds = scans.session, scans.now, scans.thresholds
    facility = facilities(scans)
    window = setting(facility.bill_match_window_days, thresholds.bill_match_window_days)
    pad = scans.calendar.max_shift_days
    scope = installments_in_scope(scans, facility, window)
    installment_near = exists().where(
        Installment.facility_id == Bill.facility_id,
        facility.id == Installment.facility_id,
        scope,
        Bill.due_date.between(
            days_after(Installment.due_date, -window),
            days_after(Installment.due_date, window + pad),
        ),
    )
    bills = _BillsNear()
    candidates = sorted({group.facility_id for group in groups})
    for start in range(0, len(candidates), CHUNK):
        for facility_id, due_date, amount, own_installments, seen_at in session.execute(
            select(
                Bill.facility_id,
                Bill.due_date,
                Bill.amount,
                BillDay.installments,
                func.coalesce(Bill.last_seen_at, Bill.observed_at),
            )
            .outerjoin(
                BillDay,
                and_(BillDay.facility_id == Bill.facility_id, BillDay.day == Bill.due_date),
            )
            .where(
                bill_known_at(now),
                among(session, Bill.facility_id, candidates[start : start + CHUNK]),
                installment_near,
            )
        ):
            bills.amounts[facility_id][due_date] += amount
            # Seen again after `now` (a check run as of an earlier moment): seen by `now`.
            seen_by_now = min(seen_at, now)
            bills.seen[facility_id, due_date] = max(
                bills.seen.get((facility_id, due_date), seen_by_now), seen_by_now
            )
            if own_installments:
                bills.taken[facility_id].add(due_date)
    return bills


def _mismatch_finding(group: Any, bill_due: date, billed: Decimal, allowed: Decimal) -> Finding:
    """The finding for a group whose matched bill is off by more than `allowed`."""
    currency = group.currency
    args: dict[str, Arg] = {
        "bill_due": Day(bill_due),
        "billed": Money(billed, currency),
        "expected": Money(group.expected, currency),
        "due": Day(group.due_date),
        "difference": Money(billed - group.expected, currency),
        "count": group.installments,
    }
    summary = (
        N_(
            "bill due {bill_due} shows {billed}, the ledger expects {expected} due {due} "
            "({count} installments); off by {difference}"
        )
        if group.installments > 1
        else N_(
            "bill due {bill_due} shows {billed}, the ledger expects {expected} due {due}; "
            "off by {difference}"
        )
    )
    return worded(
        Check.BILL_AMOUNT_MISMATCH,
        group.facility_id,
        group.due_date.isoformat(),
        Severity.WARNING,
        Text(summary, args),
        [
            (N_("Facility"), group.slug),
            (N_("Due date"), args["due"]),
            (N_("Bill due date"), args["bill_due"]),
            (N_("Billed"), args["billed"]),
            (N_("Expected"), args["expected"]),
            (N_("Difference"), args["difference"]),
            (N_("Tolerance"), Money(allowed, currency)),
            (N_("Installments"), group.installments),
        ],
    )
