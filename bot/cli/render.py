"""Plain-text tables and summaries for the terminal, laid out for a finance reader."""

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from bot.alerts.findings import Finding
from bot.calendar import BusinessCalendar
from bot.ledger.bills import RecordedBill
from bot.ledger.confirmations import Confirmed
from bot.ledger.facilities import facility_zone
from bot.ledger.portfolio import Position
from bot.ledger.repayments import PlacedAgain, breakdown
from bot.ledger.repayments.payoff import Payoff
from bot.ledger.replan import Replanned
from bot.ledger.schedule import RepaymentDayRule
from bot.ledger.terms import describe_penalty, describe_rate, effective_due_date
from bot.models import Bill, Draw, Facility, Installment, Repayment
from bot.money import format_money


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int] | None = None
) -> str:
    """Columns padded to fit; the columns named in `right` (indexes) are right-aligned (amounts)."""
    right = right or set()
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            padded.append(pad + cell if i in right else cell + pad)
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def schedule(
    draw: Draw,
    facility: Facility,
    installments: Sequence[Installment],
    calendar: BusinessCalendar | None = None,
) -> str:
    """A draw and its installments, with the totals a treasurer checks first.

    Given the calendar, a due date the facility's holiday rule moves shows the day it is
    collected in a `collected` column.
    """
    total_interest = sum((i.interest for i in installments), Decimal("0.00"))
    head = (
        f"Draw #{draw.id} on {facility.slug}: {format_money(draw.amount, facility.currency)} "
        f"drawn {draw.drawn_on.isoformat()}, {draw.months} months, {draw.repayment_method}, "
        f"{describe_rate(draw)}, day count {draw.day_count}, rounding {draw.rounding}"
    )
    collected = [
        effective_due_date(facility, i.due_date, calendar) if calendar else i.due_date
        for i in installments
    ]
    moved = any(day != i.due_date for day, i in zip(collected, installments, strict=True))
    rows = [
        [
            str(i.seq),
            i.due_date.isoformat(),
            *([day.isoformat() if day != i.due_date else ""] if moved else []),
            format_money(i.principal, facility.currency),
            format_money(i.interest, facility.currency),
            format_money(i.amount, facility.currency),
            i.status,
        ]
        for i, day in zip(installments, collected, strict=True)
    ]
    headers = ["#", "due", *(["collected"] if moved else []), "principal", "interest"]
    amounts = {2, 3, 4} if not moved else {3, 4, 5}
    body = table([*headers, "amount", "status"], rows, right=amounts)
    foot = f"total interest {format_money(total_interest, facility.currency)}"
    return f"{head}\n{body}\n{foot}"


def _limit(position: Position) -> str:
    """The configured limit, and the lower one the platform shows when it cut the line (what
    `available` is measured against)."""
    limit = format_money(position.facility.limit_amount, position.facility.currency)
    if position.cut_to is None:
        return limit
    return f"{limit} (cut to {format_money(position.cut_to, position.facility.currency)})"


def positions_table(positions: Sequence[Position]) -> str:
    """Facilities with limit / outstanding / available by the ledger, and their terms."""
    rows = [
        [
            p.facility.slug,
            p.facility.platform.display_name,
            _limit(p),
            format_money(p.outstanding, p.facility.currency),
            format_money(p.available, p.facility.currency),
            describe_rate(p.facility),
            p.facility.repayment_method,
            p.facility.day_count,
            p.facility.rounding,
            _repayment_day(p.facility),
            p.facility.holiday_rule,
        ]
        for p in positions
    ]
    headers = [
        "facility",
        "platform",
        "limit",
        "outstanding",
        "available",
        "rate",
        "method",
        "days",
        "rounding",
        "repayment day",
        "holidays",
    ]
    return table(headers, rows, right={2, 3, 4})


def _repayment_day(facility: Facility) -> str:
    """The repayment day as the list shows it: "10 (skip-short)", "first draw's", "draw's"."""
    if facility.repayment_day is not None:
        return f"{facility.repayment_day} ({facility.first_period})"
    first_draw = RepaymentDayRule(facility.repayment_day_rule) is RepaymentDayRule.FIRST_DRAW
    return "first draw's" if first_draw else "each draw's"


def bill_recorded(result: RecordedBill, facility: Facility) -> str:
    """What `bill add` answers: recorded, already had, or corrected ¥3,520.50 → ¥3,510.50."""
    bill = result.row
    paid = ", paid" if bill.paid else ""
    due = bill.due_date.isoformat()
    amount = format_money(bill.amount, facility.currency)
    if result.previous is not None:
        was = format_money(result.previous.amount, facility.currency)
        return (
            f"corrected {was} → {amount}: bill due {due} on {facility.slug}{paid} "
            f"(#{bill.id}; #{result.previous.id} kept as history)"
        )
    verb = "recorded" if result.new else "already had"
    return f"{verb} bill #{bill.id} on {facility.slug}: {amount} due {due}{paid}"


def bill_removed(bill: Bill, facility: Facility) -> str:
    """What `bill remove` answers."""
    amount = format_money(bill.amount, facility.currency)
    return (
        f"removed bill #{bill.id} on {facility.slug}: {amount} due {bill.due_date.isoformat()} "
        f"({bill.removal_reason}); kept as history, its alerts clear on the next check"
    )


def repayment_summary(
    repayment: Repayment, facility: Facility, later: Sequence[PlacedAgain] = ()
) -> str:
    """Where a repayment's money went, what loanwatch could not explain, and, for one dated
    before others (`later`), that those were placed again and which carry penalty now."""
    placed = breakdown(repayment)
    money = facility.currency
    parts = [
        f"principal {format_money(placed.principal, money)}",
        f"interest {format_money(placed.interest, money)}",
    ]
    if placed.penalty or repayment.penalty_given is not None:
        parts.append(f"penalty {format_money(placed.penalty, money)}")
    if placed.fee:
        parts.append(f"fee {format_money(placed.fee, money)}")
    lines = [
        f"repayment #{repayment.id} on {facility.slug}: "
        f"{format_money(repayment.amount, money)} on {repayment.paid_on.isoformat()} = "
        + " + ".join(parts)
    ]
    if placed.penalty and placed.penalty_computed:
        lines.append(
            f"the penalty (罚息) of {format_money(placed.penalty, money)} is loanwatch's "
            f"computation ({describe_penalty(facility)}); if the platform's statement "
            "itemises another, record it with --penalty"
        )
    if placed.unexplained:
        lines.append(
            f"{format_money(placed.unexplained, money)} of it is more than loanwatch can explain "
            "(a fee, a penalty above its own, or more than was owed): recorded, and a "
            "repayment_mismatch alert will ask about it; once checked, `loanwatch repay accept "
            f"{facility.slug} {repayment.id} --reason ...`"
        )
    if later:
        lines.append(_placed_again_words(later, money))
    return "\n".join(lines)


def _placed_again_words(later: Sequence[PlacedAgain], currency: str) -> str:
    """`dated before 2 later repayments, placed again in date order: #3 (2026-03-01) now
    carries penalty ¥16.61; #4 (2026-03-05) no penalty`."""
    count = len(later)
    each = "; ".join(
        f"#{row.id} ({row.paid_on.isoformat()}) "
        + (
            f"now carries penalty {format_money(row.penalty, currency)}"
            if row.penalty
            else "no penalty"
        )
        for row in later
    )
    return (
        f"dated before {count} later repayment{'' if count == 1 else 's'}, placed again in "
        f"date order: {each}"
    )


def draw_confirmed(result: Confirmed, facility: Facility) -> str:
    """What `draw confirm` answers: the draw, and when its money arrived, in the facility's zone."""
    draw = result.draw
    assert draw.confirmed_at is not None
    when = draw.confirmed_at.astimezone(facility_zone(facility)).strftime("%Y-%m-%d %H:%M")
    verb = "already confirmed" if result.already else "confirmed"
    return (
        f"draw #{draw.id} on {facility.slug} {verb}: "
        f"{format_money(draw.amount, facility.currency)} arrived {when} ({facility.timezone})"
    )


def payoff_summary(quote: Payoff) -> str:
    """A payoff quote: principal, interest to the day, penalty, total."""
    facility, money = quote.facility, quote.facility.currency
    rows = [
        ["principal", format_money(quote.principal, money)],
        ["interest to the day", format_money(quote.interest, money)],
        ["penalty", format_money(quote.penalty, money)],
        ["total", format_money(quote.total, money)],
    ]
    head = f"Payoff of {facility.slug} on {quote.on.isoformat()}"
    return f"{head}\n{table(['', 'amount'], rows, right={1})}"


def replanned_summary(done: Replanned, facility: Facility) -> str:
    """What `facility set --replan` did: the draws planned again, the repayments placed again."""
    if not done.draws:
        return f"nothing to re-plan: {facility.slug}'s draws already follow its terms"
    count = len(done.draws)
    ids = ", ".join(str(draw_id) for draw_id in done.draws)
    placed = done.repayments
    methods = "".join(f"\ndraw #{i}: {was} → {now}" for i, was, now in done.methods)
    return (
        f"re-planned {count} draw{'' if count == 1 else 's'} of {facility.slug} under its terms "
        f"(draw{'' if count == 1 else 's'} {ids}); {placed} repayment{'' if placed == 1 else 's'} "
        "placed again; the old schedules are kept as versions (audited: draw.replan)"
    ) + methods


def replayed_summary(placed: int, facility: Facility) -> str:
    """What a new holiday rule did to what is logged (`facility set --holiday-rule`): the days
    installments are collected moved, so the repayments were placed again."""
    if not placed:
        return "draws already logged keep their terms and schedules"
    return (
        f"draws already logged keep their terms and due dates; the day each is collected "
        f"moved, so {placed} repayment{'' if placed == 1 else 's'} placed again under the "
        f"holiday rule {facility.holiday_rule} (audited: repayment.replay)"
    )


def replay_summary(
    at: datetime,
    latest: datetime,
    findings: Sequence[Finding],
    failed: Sequence[str],
    *,
    run: bool = True,
) -> str:
    """What `check --at` a moment before the latest run (``run``) or, before any run, the
    latest record in the ledger found, and that it changed nothing."""
    before = (
        f"before the latest check (as of {latest.astimezone(at.tzinfo).isoformat()})"
        if run
        else f"before the latest entry (recorded {latest.astimezone(at.tzinfo).isoformat()})"
    )
    head = (
        f"replay as of {at.isoformat()}, {before}: "
        f"{len(findings)} findings; nothing was changed (no alert opened, updated or resolved, "
        "nothing notified, nothing audited)"
        + (f"; checks failed: {', '.join(failed)}" if failed else "")
    )
    rows = [
        [f.severity.upper(), f.check, f.facts.get("Facility", "-"), f.subject or "-", f.summary]
        for f in findings
    ]
    if not rows:
        return head
    return head + "\n" + table(["severity", "check", "facility", "subject", "summary"], rows)
