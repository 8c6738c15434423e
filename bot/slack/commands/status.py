"""`/loan status [FACILITY]`: where the lines stand, what is due this week, what is firing.

A reply to one person, in their language (the request's, bot.slack.languages); the dashboard it
shows is data (`bot.dashboard`, cached as such), worded here.
"""

from collections.abc import Callable
from datetime import date, datetime

from bot.alerts.said import check_name, severity_name, summary_of
from bot.dashboard import AlertLine, Dashboard, ReadingLine
from bot.holidays import missing_holidays_said
from bot.i18n import _
from bot.i18n.formats import big_money, day, moment, money
from bot.ledger.observations import status_name
from bot.ledger.portfolio import PositionLine
from bot.slack.blocks import MAX_TEXT
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch
from bot.slack.mrkdwn import escape_within, mention, truncate
from bot.slack.reply import Reply
from bot.zones import shown_zone


def status(lw: Loanwatch, call: Invocation) -> Reply:
    """The portfolio, or one facility with its latest reading."""
    facility = call.words[0] if call.words else None
    now = lw.clock()
    today = now.astimezone(lw.settings.zone).date()

    def when(at: datetime, zone: str | None) -> str:
        return moment(at, shown_zone(zone, lw.settings.timezone), near=today)

    return Reply(render(lw.dashboard(facility), one=facility is not None, when=when, today=today))


def render(
    board: Dashboard,
    *,
    one: bool,
    when: Callable[[datetime, str | None], str],
    today: date | None = None,
) -> str:
    """The dashboard as mrkdwn, within Slack's 3,000 characters, in the language in use.

    `when(moment, facility_zone)` shows a time (`Loanwatch.when`): a reading in its facility's
    zone, as that facility's alerts show their times. `today` leaves the year off this year's
    dates in Chinese.
    """
    lines = []
    if not board.positions:
        lines.append(_("No facilities yet; an admin adds one with `facility add`."))
    lines.extend(_position(p) for p in board.positions)
    if one and board.latest_reading is not None:
        money_in = board.positions[0].currency if board.positions else "CNY"
        lines.append(_reading(board.latest_reading, money_in, when))
    elif one:
        lines.append(_("No limit reading from the platform yet."))
    if board.due_this_week:
        lines.append("*" + _("Due this week") + "*")
        lines.extend(
            _("• {due} {slug}: {amount}").format(
                due=day(u.due_date, near=today), slug=u.slug, amount=money(u.amount, u.currency)
            )
            for u in board.due_this_week
        )
    else:
        lines.append(_("Nothing due this week."))
    if board.open_alert_count:
        lines.append(_("*Open alerts* ({count})").format(count=board.open_alert_count))
        lines.extend(_alert(a) for a in board.open_alerts)
    else:
        lines.append(_("No open alerts."))
    # First: it is about how far every line below can be trusted.
    notes = [f"⚠️ {missing_holidays_said(year)}" for year in board.unknown_years]
    return truncate("\n".join(notes + lines), MAX_TEXT)


def _position(p: PositionLine) -> str:
    return _("*{slug}*: limit {limit} · used {used} · available {available}").format(
        slug=p.slug,
        limit=big_money(p.limit, p.currency),
        used=money(p.outstanding, p.currency),
        available=money(p.available, p.currency),
    )


def _reading(r: ReadingLine, currency: str, when: Callable[[datetime, str | None], str]) -> str:
    words = {
        "at": when(r.observed_at, r.timezone),
        "limit": big_money(r.limit_amount, currency),
        "status": status_name(r.status),
    }
    if r.available is not None:
        return _("Platform shows (at {at}): limit {limit}, available {available}, {status}").format(
            available=money(r.available, currency), **words
        )
    return _("Platform shows (at {at}): limit {limit}, {status}").format(**words)


def _alert(a: AlertLine) -> str:
    words = {
        "id": a.id,
        "severity": severity_name(a.severity),
        "check": check_name(a.check),
        "summary": escape_within(summary_of(a.summary, a.wording), 200),
    }
    if a.acknowledged_by:
        return _("• {id} {severity} {check}: {summary} (ack {who})").format(
            who=mention(a.acknowledged_by), **words
        )
    return _("• {id} {severity} {check}: {summary}").format(**words)
