"""What a person reads in Slack about tickets besides the ticket's message and thread
(bot.slack.ticket_blocks): the forms' words, the answers to `/loan ticket …`, the refusals."""

from collections.abc import Sequence
from datetime import datetime

from bot.models import Ticket
from bot.slack.mrkdwn import escape, escape_within, mention
from bot.tickets.contacts import Contact, shown_url
from bot.tickets.words import Via, is_overdue, state_words, ticket_label

# What each role may do with a ticket, for the refusals ("Only operators may open tickets.").
OPEN = "open tickets"
NOTE = "add notes to tickets"
REPLY = "record the platform's replies"
SENT = "mark tickets as sent"
CLOSE = "close tickets"
REOPEN = "reopen tickets"

# The forms.
OPEN_TITLE = "Open a ticket"
OPEN_SUBMIT = "Open ticket"
FACILITY_LABEL = "Facility"
SUBJECT_LABEL = "Subject"
DAYS_LABEL = "Usage records: days back"
BODY_LABEL = "Anything to add for the platform"
REPLY_TITLE = "Record the reply"
REPLY_LABEL = "What did the platform answer?"
CASE_LABEL = "Their case number (工单号), if they gave one"
NOTE_TITLE = "Add a note"
NOTE_LABEL = "Note"
CLOSE_TITLE = "Close the ticket"
CLOSE_LABEL = "How was it resolved?"
SAVE = "Save"
CANCEL = "Cancel"
DAYS_NOT_NUMBER = "write the number of days back, 1 to 3660, e.g. 90"

NO_TICKETS = "No tickets."
NOT_A_TICKET_BUTTON = (
    "This button is out of date or was not made by loanwatch, so nothing was done. "
    "Use `/loan ticket show T-n`."
)


def contact_words(contact: Contact, platform: str) -> str:
    """How the ticket will reach the platform, for the form."""
    if contact.via == Via.EMAIL:
        return f"It goes to {platform} by email to {', '.join(contact.to)} ({contact.language})."
    if contact.via == Via.WEBHOOK:
        return f"It goes to {platform} by webhook to {shown_url(contact.url)} ({contact.language})."
    return (
        f"{platform} is reached by hand: loanwatch prepares the text ({contact.language}) and "
        "the usage records, and someone sends them and presses Mark as sent."
    )


def summary_words(summary: str) -> str:
    """The discrepancy the platform will be told of, shown on the form."""
    return f"*What the platform is told:*\n{escape_within(summary, 2800)}"


def opened(label: str, facility: str) -> str:
    """The answer to the opener."""
    return (
        f"You opened {label} with {escape(facility)}'s platform; its message follows in the "
        "facility's channel."
    )


def noted(label: str) -> str:
    return f"You added a note to {label}."


def replied(label: str, case_ref: str | None) -> str:
    case = f" (case {escape(case_ref)})" if case_ref else ""
    return f"You recorded the platform's reply on {label}{case}."


def marked_sent(label: str) -> str:
    return f"You marked {label} as sent; loanwatch chases it if the platform stays quiet."


def reopened(label: str) -> str:
    return f"You reopened {label}; its message and thread say where it stands."


def closed(label: str, open_alerts: list[int]) -> str:
    """What the closer is told: closed, and which of its alerts are still open."""
    if not open_alerts:
        return f"You closed {label}."
    ids = ", ".join(str(a) for a in open_alerts)
    return f"You closed {label}. Its alert {ids} is still open: resolve it if it is fixed."


def list_line(ticket: Ticket, platform: str, facility: str, zone_when: str | None) -> str:
    """One ticket in `/loan ticket list`."""
    overdue = is_overdue(ticket.state, ticket.follow_ups)
    flag = " :rotating_light: *OVERDUE*" if overdue else ""
    chase = f" · next follow-up {zone_when}" if zone_when else ""
    return (
        f"• *{ticket_label(ticket.number)}* {escape(facility)}: {escape(ticket.subject)} — "
        f"{state_words(ticket.state, platform)}{flag} · owner {mention(ticket.owner)}{chase}"
    )


# `/loan ticket list` stays well under Slack's 40,000 characters of message text.
MAX_LISTED = 50
LIST_CHARS = 12_000


def list_text(lines: Sequence[str]) -> str:
    """The list's lines, as many as fit, then how many more and where to see them all."""
    if not lines:
        return NO_TICKETS
    shown: list[str] = []
    size = 0
    for line in lines[:MAX_LISTED]:
        if shown and size + len(line) + 1 > LIST_CHARS:
            break
        shown.append(line)
        size += len(line) + 1
    left = len(lines) - len(shown)
    if left:
        shown.append(f"… and {left} more; see `loanwatch export tickets`")
    return "\n".join(shown)


def show_lines(
    ticket: Ticket,
    platform: str,
    facility: str,
    alerts: Sequence[int],
    timeline: Sequence[tuple[str, str, str, str | None]],
) -> str:
    """`/loan ticket show T-n`: the ticket and its timeline (when, kind, who, text)."""
    overdue = is_overdue(ticket.state, ticket.follow_ups)
    lines = [
        f"*{ticket_label(ticket.number)}* {escape(facility)}: {escape(ticket.subject)}",
        f"{state_words(ticket.state, platform, overdue)} · via {ticket.via} · owner "
        f"{mention(ticket.owner)}"
        + (f" · case {escape(ticket.case_ref)}" if ticket.case_ref else ""),
    ]
    if alerts:
        lines.append("Alerts: " + ", ".join(str(a) for a in alerts))
    if ticket.resolution:
        lines.append(f"Resolution: {escape(ticket.resolution)}")
    for when, kind, who, text in timeline:
        said = f": {escape_within(text, 300)}" if text else ""
        lines.append(f"• {when} {kind} by {mention(who)}{said}")
    return "\n".join(lines)


def home_line(
    label: str, facility: str, subject: str, platform: str, since: datetime | None
) -> str:
    """An overdue ticket on App Home."""
    waiting = f" (waiting since {since:%Y-%m-%d})" if since is not None else ""
    return (
        f":rotating_light: *{label}* {escape(facility)}: {escape(subject)} — overdue: "
        f"{platform} has not answered three follow-ups{waiting}"
    )


def problem(message: str) -> str:
    """A button's refusal of what makes no sense (a closed ticket, marked sent already), as
    `/loan ticket …` answers bad input: a `:warning:` line."""
    return f":warning: {escape(message)}"
