"""`/loan status [FACILITY]`: where the lines stand, what is due this week, what is firing."""

from collections.abc import Callable
from datetime import datetime

from bot.dashboard import Dashboard
from bot.holidays import missing_holidays_note
from bot.money import format_money
from bot.slack.blocks import MAX_TEXT
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch
from bot.slack.mrkdwn import escape_within, mention, truncate
from bot.slack.reply import Reply


def status(lw: Loanwatch, call: Invocation) -> Reply:
    """The portfolio, or one facility with its latest reading."""
    facility = call.words[0] if call.words else None
    return Reply(render(lw.dashboard(facility), one=facility is not None, when=lw.when))


def render(board: Dashboard, *, one: bool, when: Callable[[datetime, str | None], str]) -> str:
    """The dashboard as mrkdwn, within Slack's 3,000 characters.

    `when(moment, facility_zone)` shows a time (`Loanwatch.when`): a reading in its facility's
    zone, as that facility's alerts show their times.
    """
    lines = []
    if not board.positions:
        lines.append("No facilities yet; an admin adds one with `facility add`.")
    for p in board.positions:
        money = p.currency
        lines.append(
            f"*{p.slug}*: limit {format_money(p.limit, money)} · used "
            f"{format_money(p.outstanding, money)} · available {format_money(p.available, money)}"
        )
    if one and board.latest_reading is not None:
        r = board.latest_reading
        money = board.positions[0].currency if board.positions else "CNY"
        shown = f", available {format_money(r.available, money)}" if r.available is not None else ""
        lines.append(
            f"Platform shows (at {when(r.observed_at, r.timezone)}): limit "
            f"{format_money(r.limit_amount, money)}{shown}, {r.status}"
        )
    elif one:
        lines.append("No limit reading from the platform yet.")
    if board.due_this_week:
        lines.append("*Due this week*")
        lines.extend(
            f"• {u.due_date.isoformat()} {u.slug}: {format_money(u.amount, u.currency)}"
            for u in board.due_this_week
        )
    else:
        lines.append("Nothing due this week.")
    if board.open_alert_count:
        lines.append(f"*Open alerts* ({board.open_alert_count})")
        lines.extend(
            f"• {a.id} {a.severity} {a.check}: {escape_within(a.summary, 200)}"
            + (f" (ack {mention(a.acknowledged_by)})" if a.acknowledged_by else "")
            for a in board.open_alerts
        )
    else:
        lines.append("No open alerts.")
    # First: it is about how far every line below can be trusted.
    notes = [f"⚠️ {missing_holidays_note(year)}" for year in board.unknown_years]
    return truncate("\n".join(notes + lines), MAX_TEXT)
