"""What a person reads in Slack about tickets besides the ticket's message and thread
(bot.slack.ticket_blocks): the forms' words, the answers to `/loan ticket …`, the refusals."""

from collections.abc import Sequence
from datetime import datetime

from bot.i18n import N_, _
from bot.i18n.formats import day
from bot.models import Ticket
from bot.slack.mrkdwn import escape, escape_within, mention
from bot.tickets.contacts import Contact, shown_url
from bot.tickets.words import Via, is_overdue, kind_words, state_words, ticket_label

# What each role may do with a ticket, for the refusals ("Only operators may open tickets.").
OPEN = N_("open tickets")
NOTE = N_("add notes to tickets")
REPLY = N_("record the platform's replies")
SENT = N_("mark tickets as sent")
CLOSE = N_("close tickets")
REOPEN = N_("reopen tickets")

# The forms.
OPEN_TITLE = N_("Open a ticket")
OPEN_SUBMIT = N_("Open ticket")
FACILITY_LABEL = N_("Facility")
SUBJECT_LABEL = N_("Subject")
DAYS_LABEL = N_("Usage records: days back")
BODY_LABEL = N_("Anything to add for the platform")
REPLY_TITLE = N_("Record the reply")
REPLY_LABEL = N_("What did the platform answer?")
CASE_LABEL = N_("Their case number (工单号), if they gave one")
NOTE_TITLE = N_("Add a note")
NOTE_LABEL = N_("Note")
CLOSE_TITLE = N_("Close the ticket")
CLOSE_LABEL = N_("How was it resolved?")
SAVE = N_("Save")
CANCEL = N_("Cancel")
DAYS_NOT_NUMBER = N_("write the number of days back, 1 to 3660, e.g. 90")

NO_TICKETS = N_("No tickets.")
NOT_A_TICKET_BUTTON = N_(
    "This button is out of date or was not made by loanwatch, so nothing was done. "
    "Use `/loan ticket show T-n`."
)


def contact_words(contact: Contact, platform: str) -> str:
    """How the ticket will reach the platform, for the form."""
    language = _(LANGUAGE_NAMES.get(contact.language, contact.language))
    if contact.via == Via.EMAIL:
        return _("It goes to {platform} by email to {to} ({language}).").format(
            platform=platform, to=", ".join(contact.to), language=language
        )
    if contact.via == Via.WEBHOOK:
        return _("It goes to {platform} by webhook to {url} ({language}).").format(
            platform=platform, url=shown_url(contact.url), language=language
        )
    return _(
        "{platform} is reached by hand: loanwatch prepares the text ({language}) and "
        "the usage records, and someone sends them and presses Mark as sent."
    ).format(platform=platform, language=language)


# The language the platform reads (bot.tickets.words.Language), as the form names it; English
# keeps the code it has always shown.
LANGUAGE_NAMES = {"zh": N_("zh"), "en": N_("en")}
# How a platform is reached (bot.tickets.words.Via), in words.
VIA_WORDS = {Via.EMAIL: N_("email"), Via.WEBHOOK: N_("webhook"), Via.MANUAL: N_("by hand")}


def via_words(via: str) -> str:
    """`email`, `webhook`, `manual` as a person reads it."""
    known = VIA_WORDS.get(via)  # type: ignore[call-overload]
    return _(known) if known else via


def summary_words(summary: str) -> str:
    """The discrepancy the platform will be told of, shown on the form."""
    return _("*What the platform is told:*\n{summary}").format(summary=escape_within(summary, 2800))


def opened(label: str, facility: str) -> str:
    """The answer to the opener."""
    return _(
        "You opened {ticket} with {facility}'s platform; its message follows in the "
        "facility's channel."
    ).format(ticket=label, facility=escape(facility))


def noted(label: str) -> str:
    return _("You added a note to {ticket}.").format(ticket=label)


def replied(label: str, case_ref: str | None) -> str:
    if case_ref:
        return _("You recorded the platform's reply on {ticket} (case {case}).").format(
            ticket=label, case=escape(case_ref)
        )
    return _("You recorded the platform's reply on {ticket}.").format(ticket=label)


def marked_sent(label: str) -> str:
    return _(
        "You marked {ticket} as sent; loanwatch chases it if the platform stays quiet."
    ).format(ticket=label)


def reopened(label: str) -> str:
    return _("You reopened {ticket}; its message and thread say where it stands.").format(
        ticket=label
    )


def closed(label: str, open_alerts: list[int]) -> str:
    """What the closer is told: closed, and which of its alerts are still open."""
    if not open_alerts:
        return _("You closed {ticket}.").format(ticket=label)
    ids = ", ".join(str(a) for a in open_alerts)
    return _(
        "You closed {ticket}. Its alert {ids} is still open: resolve it if it is fixed."
    ).format(ticket=label, ids=ids)


def list_line(ticket: Ticket, platform: str, facility: str, zone_when: str | None) -> str:
    """One ticket in `/loan ticket list`."""
    overdue = is_overdue(ticket.state, ticket.follow_ups)
    flag = " :rotating_light: *" + _("OVERDUE") + "*" if overdue else ""
    chase = " · " + _("next follow-up {when}").format(when=zone_when) if zone_when else ""
    return _("• *{ticket}* {facility}: {subject} — {state}{flag} · owner {owner}{chase}").format(
        ticket=ticket_label(ticket.number),
        facility=escape(facility),
        subject=escape(ticket.subject),
        state=state_words(ticket.state, platform),
        flag=flag,
        owner=mention(ticket.owner),
        chase=chase,
    )


# `/loan ticket list` stays well under Slack's 40,000 characters of message text.
MAX_LISTED = 50
LIST_CHARS = 12_000


def list_text(lines: Sequence[str]) -> str:
    """The list's lines, as many as fit, then how many more and where to see them all."""
    if not lines:
        return _(NO_TICKETS)
    shown: list[str] = []
    size = 0
    for line in lines[:MAX_LISTED]:
        if shown and size + len(line) + 1 > LIST_CHARS:
            break
        shown.append(line)
        size += len(line) + 1
    left = len(lines) - len(shown)
    if left:
        shown.append(_("… and {count} more; see `loanwatch export tickets`").format(count=left))
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
    how = _("{state} · via {via} · owner {owner}").format(
        state=state_words(ticket.state, platform, overdue),
        via=via_words(ticket.via),
        owner=mention(ticket.owner),
    )
    if ticket.case_ref:
        how += " · " + _("case {case}").format(case=escape(ticket.case_ref))
    lines = [f"*{ticket_label(ticket.number)}* {escape(facility)}: {escape(ticket.subject)}", how]
    if alerts:
        lines.append(_("Alerts: {ids}").format(ids=", ".join(str(a) for a in alerts)))
    if ticket.resolution:
        lines.append(_("Resolution: {text}").format(text=escape(ticket.resolution)))
    for when, kind, who, text in timeline:
        said = f": {escape_within(text, 300)}" if text else ""
        lines.append(
            _("• {when} {kind} by {who}{said}").format(
                when=when, kind=kind_words(kind), who=mention(who), said=said
            )
        )
    return "\n".join(lines)


def home_line(
    label: str, facility: str, subject: str, platform: str, since: datetime | None
) -> str:
    """An overdue ticket on App Home."""
    if since is None:
        return _(
            ":rotating_light: *{ticket}* {facility}: {subject} — overdue: "
            "{platform} has not answered three follow-ups"
        ).format(
            ticket=label, facility=escape(facility), subject=escape(subject), platform=platform
        )
    return _(
        ":rotating_light: *{ticket}* {facility}: {subject} — overdue: "
        "{platform} has not answered three follow-ups (waiting since {since})"
    ).format(
        ticket=label,
        facility=escape(facility),
        subject=escape(subject),
        platform=platform,
        since=day(since.date()),
    )


def problem(message: str) -> str:
    """A button's refusal of what makes no sense (a closed ticket, marked sent already), as
    `/loan ticket …` answers bad input: a `:warning:` line."""
    return f":warning: {escape(message)}"
