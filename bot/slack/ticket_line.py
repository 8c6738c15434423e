"""The line a ticket's change adds to its thread, in the language in use (the channel's).

Said from the notice's facts (bot.tickets.notices.TicketNotice: the event, its entry's data),
not from the English kept on the timeline, so a Chinese channel reads it in Chinese; a notice
written before its entry kept those facts says the kept text.
"""

from bot.alerts.resolve_reasons import said as said_reason
from bot.i18n import _
from bot.slack.mrkdwn import escape_within, mention
from bot.tickets.notices import TicketNotice
from bot.tickets.readdress import where
from bot.tickets.words import EntryKind, TicketState, Via


def line_of(notice: TicketNotice) -> str:
    """One mrkdwn line per timeline kind."""
    who, label = mention(notice.actor), notice.ticket
    platform = notice.platform_name or notice.platform
    typed = escape_within(notice.text, 2000) if notice.text else ""
    said = {"who": who, "ticket": label, "platform": platform, "text": typed}
    if notice.event == EntryKind.OPENED:
        return _opened(notice, said)
    if notice.event == EntryKind.SENT:
        return _(
            "{who} sent {ticket} to {platform} by hand; the follow-up clock starts now."
        ).format(**said)
    if notice.event == EntryKind.REPLIED:
        if notice.case_ref:
            return _("{who} recorded {platform}'s reply (case {case}): {text}").format(
                case=escape_within(notice.case_ref, 100), **said
            )
        return _("{who} recorded {platform}'s reply: {text}").format(**said)
    if notice.event == EntryKind.NOTE:
        return _("{who} noted: {text}").format(**said)
    if notice.event == EntryKind.REMINDER:
        return _reminder(notice, said)
    if notice.event == EntryKind.ALERT_RESOLVED:
        return _alert_resolved(notice, said)
    if notice.event == EntryKind.CLOSED:
        still = notice.data.get("open_alerts") or []
        if still:
            return _(
                "{who} closed {ticket}: {text}. Still open: alert {ids}; resolve it if it is fixed."
            ).format(ids=", ".join(str(a) for a in still), **said)
        return _("{who} closed {ticket}: {text}.").format(**said)
    if notice.event == EntryKind.REOPENED:
        return _("{who} reopened {ticket}: {text}").format(**said)
    if notice.event == EntryKind.DELIVERY_FAILED:
        return f":warning: {_delivery_failed(notice, typed)}"
    if notice.event == EntryKind.CONTACT_CHANGED:
        return _contact_changed(notice, platform, typed)
    return f"{label}: {notice.event} {typed}".strip()


def _opened(notice: TicketNotice, said: dict[str, str]) -> str:
    if notice.via == Via.MANUAL:
        return _(
            "{who} opened {ticket}. {platform} is reached by hand: paste the text below "
            "into its customer service, attach the usage records file, then press "
            "*Mark as sent*."
        ).format(**said)
    via = _("email") if notice.via == Via.EMAIL else _("webhook")
    return _(
        "{who} opened {ticket}; it is sent to {platform} by {via} with the usage "
        "records of the last {days} days.\n{summary}"
    ).format(
        via=via,
        days=notice.data.get("days"),
        summary=escape_within(notice.records_summary, 2000),
        **said,
    )


def _reminder(notice: TicketNotice, said: dict[str, str]) -> str:
    owner = mention(notice.owner)
    undelivered = notice.data.get("first_undelivered")
    if undelivered:
        why = _(
            "the first message to the platform was not delivered (outbox {outbox} is a "
            "dead letter), so no follow-up was sent; fix what its admin alert says, then "
            "`loanwatch outbox retry {outbox}`"
        ).format(outbox=undelivered)
        return _("{owner}: {platform} never got {ticket}: {why}.").format(
            owner=owner, why=why, **said
        )
    days, count = notice.data.get("days"), notice.data.get("follow_up")
    why = said["text"]
    if days is not None and count is not None:
        why = _("no answer after {days} business days (follow-up {count})").format(
            days=days, count=count
        )
    return _("{owner}: {platform} has not answered {ticket}: {why}.").format(
        owner=owner, why=why, **said
    )


def _alert_resolved(notice: TicketNotice, said: dict[str, str]) -> str:
    alert = notice.data.get("alert")
    if notice.state != TicketState.CLOSED:
        return _("Alert {alert} resolved. Has {platform} fixed it? Close {ticket}?").format(
            alert=alert, **said
        )
    if "reason" not in notice.data:  # kept before the reason was
        return f"{said['text'].capitalize()}."
    reason = notice.data.get("reason")
    if reason:
        return _(
            "Alert {alert} resolved: {reason}; close {ticket} if the platform has fixed it."
        ).format(alert=alert, reason=escape_within(said_reason(str(reason)) or "", 500), **said)
    return _("Alert {alert} resolved; close {ticket} if the platform has fixed it.").format(
        alert=alert, **said
    )


def _delivery_failed(notice: TicketNotice, typed: str) -> str:
    error = notice.data.get("error")
    if error is None:
        return typed
    how = _("email") if notice.via == Via.EMAIL else _("webhook")
    return _(
        "The {via} to the platform was not delivered: {error}. "
        "The admins were alerted; once it is fixed they can retry the message."
    ).format(via=how, error=escape_within(str(error), 600))


def _contact_changed(notice: TicketNotice, platform: str, typed: str) -> str:
    old, new = notice.data.get("from"), notice.data.get("to")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return typed
    said = {
        "via": _("email") if notice.via == Via.EMAIL else _("webhook"),
        "platform": platform,
        "old": escape_within(where(old), 600),
        "new": escape_within(where(new), 600),
    }
    if old.get("secret_env") != new.get("secret_env"):
        return _(
            "The {via} contact of {platform} was corrected: {old} → {new} (secret in {secret}). "
            "This ticket's messages go there from now on."
        ).format(secret=escape_within(str(new.get("secret_env")), 200), **said)
    return _(
        "The {via} contact of {platform} was corrected: {old} → {new}. "
        "This ticket's messages go there from now on."
    ).format(**said)
