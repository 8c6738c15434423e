"""The words of `/loan repay` and `/loan facility list` replies that take more than a line."""

from bot.i18n import _, ngettext
from bot.i18n.formats import big_money, day
from bot.ledger.portfolio import Position, positions
from bot.ledger.repayments import PlacedAgain
from bot.money import format_money
from bot.slack.context import Loanwatch
from bot.slack.mrkdwn import escape
from bot.slack.reply import Reply


def placed_again_words(later: list[PlacedAgain], currency: str) -> str:
    """`; dated before 1 later repayment, placed again in date order: #3 (2026-03-01) now
    carries penalty ¥16.61` (nothing when none is later)."""
    if not later:
        return ""
    each = _("; ").join(
        (
            _("#{repayment} ({paid_on}) now carries penalty {penalty}")
            if row.penalty
            else _("#{repayment} ({paid_on}) no penalty")
        ).format(
            repayment=row.id,
            paid_on=day(row.paid_on),
            penalty=format_money(row.penalty, currency) if row.penalty else "",
        )
        for row in later
    )
    count = len(later)
    return ngettext(
        ". Dated before {count} later repayment, placed again in date order: {each}",
        ". Dated before {count} later repayments, placed again in date order: {each}",
        count,
    ).format(count=count, each=each)


def _position_line(p: Position) -> str:
    """`• *jiebei-main* (借呗 Jiebei): limit ¥300,000.00, used …, available …`; a line whose
    platform shows a lower limit says so, and its available is measured against that."""
    currency = p.facility.currency
    limit = big_money(p.facility.limit_amount, currency)
    if p.cut_to is not None:
        limit = _("{limit} (the platform shows {shown})").format(
            limit=limit, shown=big_money(p.cut_to, currency)
        )
    return _(
        "• *{facility}* ({platform}): limit {limit}, used {used}, available {available}"
    ).format(
        facility=p.facility.slug,
        platform=escape(p.facility.platform.display_name),
        limit=limit,
        used=big_money(p.outstanding, currency),
        available=big_money(p.available, currency),
    )


def facility_list(lw: Loanwatch) -> Reply:
    with lw.reading() as session:
        current = positions(session)
        if not current:
            return Reply(_("No facilities yet; an admin adds one with `facility add`."))
        lines = [_position_line(p) for p in current]
    return Reply("\n".join(lines))
