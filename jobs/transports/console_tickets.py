"""A `ticket.notice` row on the console, in the language in use.

English prints what the row keeps (its title, its timeline entry's text, its facts), as it
always has. Another language says it again with the Slack side's words (bot.slack.ticket_line,
bot.slack.ticket_blocks' labels, bot.tickets.words), as plain text: people by their id, what
they typed as typed.
"""

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import EN, N_, _, current
from bot.i18n.formats import labelled, moment
from bot.slack.ticket_blocks import FACT_LABELS
from bot.slack.ticket_line import line_of
from bot.slack.ticket_words import kind_words, via_words
from bot.tickets.notices import TicketNotice
from bot.tickets.words import name_of

STATE = N_("State")
# Slack's mention of a person, `<@U0ALICE>`: the console names them by their id.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def ticket_lines(payload: Mapping[str, Any]) -> list[str]:
    """The notice's headline, what happened, and its facts (label: value), one per line."""
    notice = TicketNotice.from_payload(dict(payload))
    if current() == EN:
        header, text, facts = notice.title, notice.text, dict(notice.facts)
    else:
        header, text, facts = _title(notice), plain(line_of(notice)), _facts(notice)
    lines = [line for line in (header, text) if line]
    lines.extend(f"  {labelled(label, value)}" for label, value in facts.items())
    return lines


def plain(mrkdwn: str) -> str:
    """A Slack line as plain text: `<@U0ALICE>` as `U0ALICE`, `&lt;` as `<`."""
    return html.unescape(_MENTION.sub(lambda found: found.group(1), mrkdwn))


def _title(notice: TicketNotice) -> str:
    title = _("Ticket {ticket} · {event} · {facility}: {subject}").format(
        ticket=notice.ticket,
        event=kind_words(notice.event),
        facility=notice.facility,
        subject=notice.subject,
    )
    return f"{title} · {_('OVERDUE')}" if notice.overdue else title


def _facts(notice: TicketNotice) -> dict[str, str]:
    said = {}
    for label, value in notice.facts.items():
        words = str(value)
        if label == "State":
            words = name_of(words)
        elif label == "Via":
            words = via_words(words)
        elif label == "Next follow-up" and notice.next_follow_up and notice.zone:
            words = moment(datetime.fromisoformat(notice.next_follow_up), ZoneInfo(notice.zone))
        known = STATE if label == "State" else FACT_LABELS.get(label)
        said[_(known) if known else label] = words
    return said
