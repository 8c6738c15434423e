"""App Home: the dashboard — the reading requests waiting for the caller's answer, the caller's
next on-call shifts and overdue tickets (if any),
facilities with limit / used / available, bills due this week, open alerts (each with its
Acknowledge button)."""

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.said import check_name, severity_name, summary_of
from bot.dashboard import Dashboard
from bot.holidays import missing_holidays_said
from bot.i18n import _, pgettext
from bot.i18n.formats import big_money, day, moment, money
from bot.ledger.request_reminders import waiting_for
from bot.models import Facility, Platform
from bot.oncall.shifts import Shift, next_shifts
from bot.slack.blocks import ACK_ACTION
from bot.slack.context import Loanwatch, loanwatch_of
from bot.slack.mrkdwn import escape_within, mention
from bot.slack.reading_blocks import MAX_WAITING
from bot.slack.request_blocks import waiting_blocks
from bot.slack.ticket_words import home_line
from bot.tickets.changes import overdue_tickets
from bot.tickets.words import ticket_label
from bot.zones import shown_zone

# Slack allows 100 blocks in a Home view; leave room for headers and notes.
MAX_FACILITY_BLOCKS = 40


def home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
    """Publish a fresh dashboard for the person who opened Home."""
    if event.get("tab", "home") != "home":
        return
    publish_home(loanwatch_of(context), client, event["user"])


def publish_home(lw: Loanwatch, client: WebClient, user: str) -> None:
    """Publish `user`'s Home as it is now (on opening it, and after an answer given there)."""
    with lw.reading() as session:
        overdue = [
            home_line(ticket_label(t.number), slug, t.subject, platform, t.last_contact_at)
            for t in overdue_tickets(session)
            for slug, platform in [_names(session, t.facility_id)]
        ]
        now = lw.clock()
        shifts = [shift_line(s, near=now.date()) for s in next_shifts(session, user, now)]
        waiting, total = waiting_for(session, user, limit=MAX_WAITING)
    updated = moment(lw.clock(), shown_zone(None, lw.settings.timezone))
    view = home_view(lw.dashboard(), updated, overdue, shifts, waiting_blocks(waiting, total))
    client.views_publish(user_id=user, view=view)


def shift_line(shift: Shift, *, near: date | None = None) -> str:
    """`• *finance*: 2026-12-07 09:00 CST → 2026-12-14 09:00 CST`, in the rotation's zone."""
    zone = ZoneInfo(shift.timezone)
    starts, ends = moment(shift.starts, zone, near=near), moment(shift.ends, zone, near=near)
    if shift.override:
        return _("• *{rotation}* (override): {starts} → {ends}").format(
            rotation=shift.rotation, starts=starts, ends=ends
        )
    return f"• *{shift.rotation}*: {starts} → {ends}"


def home_view(
    board: Dashboard,
    updated: str,
    overdue: Sequence[str] = (),
    shifts: Sequence[str] = (),
    waiting: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The Home tab as a view; `waiting` the blocks of the viewer's open reading requests,
    `overdue` the lines of the overdue tickets (the platform left three follow-ups
    unanswered), `shifts` the viewer's next on-call shifts, each shown first when there are
    any."""
    # First: it is about how far everything below can be trusted.
    blocks: list[dict[str, Any]] = [
        _context(f"⚠️ {missing_holidays_said(year)}") for year in board.unknown_years
    ]
    blocks += waiting
    if shifts:
        blocks += [_header(_("Your on-call shifts")), _section("\n".join(shifts))]
    if overdue:
        title = _("Overdue tickets ({count})").format(count=len(overdue))
        blocks += [_header(title), _section("\n".join(overdue))]
    blocks.append(_header(_("Credit lines")))
    for p in board.positions[:MAX_FACILITY_BLOCKS]:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(f"*{p.slug}* · {escape_within(p.name, 200)}"),
                "fields": [
                    _field(_("Limit"), big_money(p.limit, p.currency)),
                    _field(pgettext("amount drawn", "Used"), big_money(p.outstanding, p.currency)),
                    _field(_("Available"), big_money(p.available, p.currency)),
                ],
            }
        )
    if len(board.positions) > MAX_FACILITY_BLOCKS:
        more = len(board.positions) - MAX_FACILITY_BLOCKS
        blocks.append(_context(_("{count} more: `/loan status`").format(count=more)))
    if not board.positions:
        blocks.append(
            _context(_("No facilities yet; an admin adds one with `/loan facility add`."))
        )
    blocks += [{"type": "divider"}, _header(_("Bills due this week"))]
    if board.due_this_week:
        lines = [
            f"• {day(u.due_date, near=u.due_date)} *{u.slug}*: {money(u.amount, u.currency)}"
            for u in board.due_this_week
        ]
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(lines))})
    else:
        blocks.append(_context(_("Nothing due in the next 7 days.")))
    title = _("Open alerts ({count})").format(count=board.open_alert_count)
    blocks += [{"type": "divider"}, _header(title)]
    blocks += [_alert_section(alert) for alert in board.open_alerts]
    if not board.open_alerts:
        blocks.append(_context(_("Nothing is firing.")))
    blocks.append(_context(_("Updated {updated}").format(updated=updated)))
    return {"type": "home", "blocks": blocks}


def _alert_section(alert: Any) -> dict[str, Any]:
    """An open alert: its id, severity and check, who acknowledged it, its summary; the
    Acknowledge button while no one has."""
    severity = severity_name(alert.severity)
    owner = ""
    if alert.acknowledged_by:
        owner = _(" · ack {person}").format(person=mention(alert.acknowledged_by))
    section: dict[str, Any] = {
        "type": "section",
        "text": _mrkdwn(
            # The check's name, as every surface says it (English keeps its code, `bill_missing`).
            _("*{id}* {severity} `{check}`").format(
                id=alert.id, severity=severity, check=check_name(alert.check)
            )
            + f"{owner}\n{escape_within(summary_of(alert.summary, alert.wording), 2500)}"
        ),
    }
    if not alert.acknowledged_by:
        section["accessory"] = {
            "type": "button",
            "action_id": ACK_ACTION,
            "text": {"type": "plain_text", "text": _("Acknowledge")},
            "value": str(alert.id),
        }
    return section


def _field(label: str, value: str) -> dict[str, Any]:
    return _mrkdwn(f"*{label}*\n{value}")


def _names(session: Session, facility_id: int) -> tuple[str, str]:
    row = session.execute(
        select(Facility.slug, Platform.display_name)
        .join(Platform, Platform.id == Facility.platform_id)
        .where(Facility.id == facility_id)
    ).one()
    return row.slug, row.display_name


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text[:3000])}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}
