"""Plain-text tables and summaries for the terminal, laid out for a finance reader."""

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from bot.alerts.findings import Finding
from bot.alerts.said import severity_name, summary_of
from bot.calendar import BusinessCalendar
from bot.cli.words import penalty_words, rate_words, word
from bot.i18n import ZH, _, current, ngettext
from bot.i18n.formats import big_money, day, moment
from bot.ledger.bills import RecordedBill
from bot.ledger.confirmations import Confirmed
from bot.ledger.facilities import facility_zone
from bot.ledger.portfolio import Position
from bot.ledger.repayments import PlacedAgain, breakdown
from bot.ledger.repayments.payoff import Payoff
from bot.ledger.replan import Replanned
from bot.ledger.schedule import RepaymentDayRule
from bot.ledger.terms import effective_due_date
from bot.models import Bill, Draw, Facility, Installment, Repayment
from bot.money import format_money


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def padded(text: str, columns: int) -> str:
    """`text` padded with spaces to take at least `columns` columns in a terminal."""
    return text + " " * (columns - _width(text))


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
    head = _(
        "Draw #{id} on {facility}: {amount} drawn {drawn}, {months} months, {method}, {rate}, "
        "day count {day_count}, rounding {rounding}"
    ).format(
        id=draw.id,
        facility=facility.slug,
        amount=format_money(draw.amount, facility.currency),
        drawn=day(draw.drawn_on),
        months=draw.months,
        method=word(draw.repayment_method),
        rate=rate_words(draw),
        day_count=word(draw.day_count),
        rounding=word(draw.rounding),
    )
    collected = [
        effective_due_date(facility, i.due_date, calendar) if calendar else i.due_date
        for i in installments
    ]
    moved = any(day != i.due_date for day, i in zip(collected, installments, strict=True))
    rows = [
        [
            str(i.seq),
            day(i.due_date),
            *([day(on) if on != i.due_date else ""] if moved else []),
            format_money(i.principal, facility.currency),
            format_money(i.interest, facility.currency),
            format_money(i.amount, facility.currency),
            word(i.status),
        ]
        for i, on in zip(installments, collected, strict=True)
    ]
    headers = ["#", _("due"), *([_("collected")] if moved else []), _("principal")]
    amounts = {2, 3, 4} if not moved else {3, 4, 5}
    body = table([*headers, _("interest"), _("amount"), _("status")], rows, right=amounts)
    foot = _("total interest {amount}").format(
        amount=format_money(total_interest, facility.currency)
    )
    return f"{head}\n{body}\n{foot}"


def _limit(position: Position) -> str:
    """The configured limit, and the lower one the platform shows when it cut the line (what
    `available` is measured against)."""
    limit = big_money(position.facility.limit_amount, position.facility.currency)
    if position.cut_to is None:
        return limit
    return _("{limit} (cut to {cut})").format(
        limit=limit, cut=big_money(position.cut_to, position.facility.currency)
    )


def positions_table(positions: Sequence[Position]) -> str:
    """Facilities with limit / outstanding / available by the ledger, and their terms (and
    their languages, where one has its own)."""
    languages = any(p.facility.language for p in positions)
    rows = [
        [
            p.facility.slug,
            p.facility.platform.display_name,
            _limit(p),
            big_money(p.outstanding, p.facility.currency),
            big_money(p.available, p.facility.currency),
            rate_words(p.facility),
            word(p.facility.repayment_method),
            word(p.facility.day_count),
            word(p.facility.rounding),
            _repayment_day(p.facility),
            word(p.facility.holiday_rule),
            *([p.facility.language or ""] if languages else []),
        ]
        for p in positions
    ]
    headers = [
        _("facility"),
        _("platform"),
        _("limit"),
        _("outstanding"),
        _("available"),
        _("rate"),
        _("method"),
        _("days"),
        _("rounding"),
        _("repayment day"),
        _("holidays"),
        *([_("language")] if languages else []),
    ]
    return table(headers, rows, right={2, 3, 4})


def _repayment_day(facility: Facility) -> str:
    """The repayment day as the list shows it: "10 (skip-short)", "first draw's", "draw's"."""
    if facility.repayment_day is not None:
        return _("{day} ({first_period})").format(
            day=facility.repayment_day, first_period=word(facility.first_period)
        )
    first_draw = RepaymentDayRule(facility.repayment_day_rule) is RepaymentDayRule.FIRST_DRAW
    return _("first draw's") if first_draw else _("each draw's")


def bill_recorded(result: RecordedBill, facility: Facility) -> str:
    """What `bill add` answers: recorded, already had, or corrected ¥3,520.50 → ¥3,510.50."""
    bill = result.row
    due = day(bill.due_date)
    amount = format_money(bill.amount, facility.currency)
    facts = {"id": bill.id, "facility": facility.slug, "amount": amount, "due": due}
    if result.previous is not None:
        was = format_money(result.previous.amount, facility.currency)
        corrected = (
            _(
                "corrected {was} → {amount}: bill due {due} on {facility}, paid (#{id}; "
                "#{previous} kept as history)"
            )
            if bill.paid
            else _(
                "corrected {was} → {amount}: bill due {due} on {facility} (#{id}; #{previous} "
                "kept as history)"
            )
        )
        return corrected.format(was=was, previous=result.previous.id, **facts)
    if result.new:
        said = (
            _("recorded bill #{id} on {facility}: {amount} due {due}, paid")
            if bill.paid
            else _("recorded bill #{id} on {facility}: {amount} due {due}")
        )
    else:
        said = (
            _("already had bill #{id} on {facility}: {amount} due {due}, paid")
            if bill.paid
            else _("already had bill #{id} on {facility}: {amount} due {due}")
        )
    return said.format(**facts)


def bill_removed(bill: Bill, facility: Facility) -> str:
    """What `bill remove` answers."""
    return _(
        "removed bill #{id} on {facility}: {amount} due {due} ({reason}); kept as history, its "
        "alerts clear on the next check"
    ).format(
        id=bill.id,
        facility=facility.slug,
        amount=format_money(bill.amount, facility.currency),
        due=day(bill.due_date),
        reason=bill.removal_reason,
    )


def repayment_summary(
    repayment: Repayment, facility: Facility, later: Sequence[PlacedAgain] = ()
) -> str:
    """Where a repayment's money went, what loanwatch could not explain, and, for one dated
    before others (`later`), that those were placed again and which carry penalty now."""
    placed = breakdown(repayment)
    money = facility.currency
    parts = [
        _("principal {amount}").format(amount=format_money(placed.principal, money)),
        _("interest {amount}").format(amount=format_money(placed.interest, money)),
    ]
    if placed.penalty or repayment.penalty_given is not None:
        parts.append(_("penalty {amount}").format(amount=format_money(placed.penalty, money)))
    if placed.fee:
        parts.append(_("fee {amount}").format(amount=format_money(placed.fee, money)))
    lines = [
        _("repayment #{id} on {facility}: {amount} on {paid} = {parts}").format(
            id=repayment.id,
            facility=facility.slug,
            amount=format_money(repayment.amount, money),
            paid=day(repayment.paid_on),
            parts=" + ".join(parts),
        )
    ]
    if placed.penalty and placed.penalty_computed:
        lines.append(
            _(
                "the penalty (罚息) of {amount} is loanwatch's computation ({rule}); if the "
                "platform's statement itemises another, record it with --penalty"
            ).format(
                amount=format_money(placed.penalty, money),
                rule=penalty_words(facility.penalty_multiplier, facility.penalty_on_interest),
            )
        )
    if placed.unexplained:
        lines.append(
            _(
                "{amount} of it is more than loanwatch can explain (a fee, a penalty above its "
                "own, or more than was owed): recorded, and a repayment_mismatch alert will ask "
                "about it; once checked, `loanwatch repay accept {facility} {id} --reason ...`"
            ).format(
                amount=format_money(placed.unexplained, money),
                facility=facility.slug,
                id=repayment.id,
            )
        )
    if later:
        lines.append(_placed_again_words(later, money))
    return "\n".join(lines)


def _placed_again_words(later: Sequence[PlacedAgain], currency: str) -> str:
    """`dated before 2 later repayments, placed again in date order: #3 (2026-03-01) now
    carries penalty ¥16.61; #4 (2026-03-05) no penalty`."""
    count = len(later)
    each = "; ".join(
        (
            _("#{id} ({paid}) now carries penalty {amount}").format(
                id=row.id, paid=day(row.paid_on), amount=format_money(row.penalty, currency)
            )
            if row.penalty
            else _("#{id} ({paid}) no penalty").format(id=row.id, paid=day(row.paid_on))
        )
        for row in later
    )
    return ngettext(
        "dated before {count} later repayment, placed again in date order: {each}",
        "dated before {count} later repayments, placed again in date order: {each}",
        count,
    ).format(count=count, each=each)


def draw_confirmed(result: Confirmed, facility: Facility) -> str:
    """What `draw confirm` answers: the draw, and when its money arrived, in the facility's zone."""
    draw = result.draw
    assert draw.confirmed_at is not None
    zone = facility_zone(facility)
    when = (
        moment(draw.confirmed_at, zone)  # 11月27日（周五）10:30, another zone than Beijing's named
        if current() == ZH
        else f"{draw.confirmed_at.astimezone(zone):%Y-%m-%d %H:%M} ({facility.timezone})"
    )
    said = (
        _("draw #{id} on {facility} already confirmed: {amount} arrived {when}")
        if result.already
        else _("draw #{id} on {facility} confirmed: {amount} arrived {when}")
    )
    return said.format(
        id=draw.id,
        facility=facility.slug,
        amount=format_money(draw.amount, facility.currency),
        when=when,
    )


def payoff_summary(quote: Payoff) -> str:
    """A payoff quote: principal, interest to the day, penalty, total."""
    facility, money = quote.facility, quote.facility.currency
    rows = [
        [_("principal"), format_money(quote.principal, money)],
        [_("interest to the day"), format_money(quote.interest, money)],
        [_("penalty"), format_money(quote.penalty, money)],
        [_("total"), format_money(quote.total, money)],
    ]
    head = _("Payoff of {facility} on {day}").format(facility=facility.slug, day=day(quote.on))
    return f"{head}\n{table(['', _('amount')], rows, right={1})}"


def replanned_summary(done: Replanned, facility: Facility) -> str:
    """What `facility set --replan` did: the draws planned again, the repayments placed again."""
    if not done.draws:
        return _("nothing to re-plan: {facility}'s draws already follow its terms").format(
            facility=facility.slug
        )
    count = len(done.draws)
    ids = ", ".join(str(draw_id) for draw_id in done.draws)
    placed = done.repayments
    methods = "".join(
        "\n" + _("draw #{id}: {was} → {now}").format(id=i, was=word(was), now=word(now))
        for i, was, now in done.methods
    )
    drawn = ngettext(
        "re-planned {count} draw of {facility} under its terms (draw {ids})",
        "re-planned {count} draws of {facility} under its terms (draws {ids})",
        count,
    ).format(count=count, facility=facility.slug, ids=ids)
    moved = ngettext(
        "{drawn}; {placed} repayment placed again; the old schedules are kept as versions "
        "(audited: draw.replan)",
        "{drawn}; {placed} repayments placed again; the old schedules are kept as versions "
        "(audited: draw.replan)",
        placed,
    ).format(drawn=drawn, placed=placed)
    return moved + methods


def replayed_summary(placed: int, facility: Facility) -> str:
    """What a new holiday rule did to what is logged (`facility set --holiday-rule`): the days
    installments are collected moved, so the repayments were placed again."""
    if not placed:
        return _("draws already logged keep their terms and schedules")
    return ngettext(
        "draws already logged keep their terms and due dates; the day each is collected moved, "
        "so {count} repayment placed again under the holiday rule {rule} (audited: "
        "repayment.replay)",
        "draws already logged keep their terms and due dates; the day each is collected moved, "
        "so {count} repayments placed again under the holiday rule {rule} (audited: "
        "repayment.replay)",
        placed,
    ).format(count=placed, rule=word(facility.holiday_rule))


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
    seen = latest.astimezone(at.tzinfo).isoformat()
    before = (
        _("before the latest check (as of {seen})")
        if run
        else _("before the latest entry (recorded {seen})")
    ).format(seen=seen)
    head = _(
        "replay as of {at}, {before}: {count} findings; nothing was changed (no alert opened, "
        "updated or resolved, nothing notified, nothing audited)"
    ).format(at=at.isoformat(), before=before, count=len(findings))
    if failed:
        head += _("; checks failed: {checks}").format(checks=", ".join(failed))
    rows = [
        [
            severity_name(f.severity).upper(),
            f.check,
            f.facts.get("Facility", "-"),
            f.subject or "-",
            summary_of(f.summary, f.wording.to_json() if f.wording else None),
        ]
        for f in findings
    ]
    if not rows:
        return head
    headers = [_("severity"), _("check"), _("facility"), _("subject"), _("summary")]
    return head + "\n" + table(headers, rows)
