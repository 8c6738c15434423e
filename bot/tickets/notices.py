"""The outbox rows a ticket change writes, as typed payloads (never a contract kept in strings).

Two kinds of row:

- `ticket.notice` goes to the team (the facility's channel, or the console): what happened to
  the ticket. The Slack side turns it into the ticket's message and thread.
- `ticket.platform` goes to the platform (channel `email:<platform>` or `webhook:<platform>`):
  the first message with the usage records, or a follow-up. Its `event_id` names the ticket
  event it sends: the email transport's Message-ID and the webhook's Idempotency-Key come from
  it, so a retry sends the same name again; `thread_event_id` is the first message's, for
  `In-Reply-To`/`References`. docs/tickets.md shows the whole shape.

Both carry `title`, `text` and `facts`, which the console transport prints as they are.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class TicketNoticeKind(StrEnum):
    """`outbox.kind` of a row about a ticket."""

    NOTICE = "ticket.notice"  # to the team
    PLATFORM = "ticket.platform"  # to the platform


TICKET_KINDS = frozenset(TicketNoticeKind)


@dataclass(frozen=True)
class TicketNotice:
    """What the team is told: the event (an EntryKind), the ticket as it now is, who acted."""

    event: str
    event_id: str
    ticket: str  # "T-3"
    ticket_id: int
    facility: str
    platform: str
    subject: str
    state: str
    via: str
    owner: str
    actor: str
    title: str
    text: str
    overdue: bool = False
    case_ref: str | None = None
    open_alerts: list[int] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    # For the team's chat (bot.slack.ticket_blocks): the ticket's number, the platform's
    # display name, its state in words ("Ticket T-3 · waiting on Jiebei"), the entry's data.
    number: int = 0
    platform_name: str = ""
    status: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # The next follow-up (ISO) and the facility's zone, for each reader's way of writing it.
    next_follow_up: str | None = None
    zone: str | None = None
    # The language its channel reads (bot.languages.channel_language), when it was written.
    language: str | None = None
    # The message of the alert it was opened from ("CHANNEL_ID:TS"): the ticket goes in its
    # thread. Each linked alert's message, with that alert's notice as it now is (naming the
    # ticket), so the alert shows the ticket's state: [{"ref": …, "notice": {…}}].
    thread_ref: str | None = None
    alert_messages: list[dict[str, Any]] = field(default_factory=list)
    # The opening only: what the platform is told (the discrepancy), the ready-to-paste first
    # message for a manual contact, and the usage records (bot.tickets.text.usage.csv_bytes).
    records_summary: str = ""
    paste_text: str = ""
    attachment_name: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        """The row's JSON."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "TicketNotice":
        """Read a row back; keys this version does not know are ignored."""
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in payload.items() if key in known})


@dataclass(frozen=True)
class PlatformMessage:
    """What the platform is sent: a first message with the records, or a follow-up."""

    event: str  # "opened" (first message) or "reminder" (a follow-up)
    event_id: str
    thread_event_id: str
    ticket: str
    ticket_id: int
    facility: str
    platform: str
    via: str
    language: str
    title: str  # the email's Subject: "[T-3] jiebei-main: subject"
    text: str  # the body, in the platform's language
    summary: str
    to: list[str] = field(default_factory=list)
    url: str | None = None
    secret_env: str | None = None
    follow_up: int = 0  # 0 for the first message, then 1, 2, 3…
    attachment_name: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The row's JSON."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "PlatformMessage":
        """Read a row back; keys this version does not know are ignored."""
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in payload.items() if key in known})
