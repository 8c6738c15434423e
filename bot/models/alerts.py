"""Alerts and what surrounds them: silences, the delivery outbox, scheduler slots, check runs
and the facilities whose checks are due."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class Alert(Base):
    """The lifecycle of one finding: open → acknowledged → resolved, with snoozes on the way.

    At most one alert per fingerprint is not resolved (a partial unique index enforces it), so a
    re-detection updates the open alert instead of opening a second one.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200), index=True)
    check: Mapped[str] = mapped_column(String(64))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    summary: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # How summary and facts were worded (bot.i18n.wording), to say them in any language;
    # None for an alert opened before it was kept (it is said in English as kept).
    wording: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolve_reason: Mapped[str | None] = mapped_column(Text)
    # Which rung of the escalation ladder has been notified (0 = channel post).
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The escalation ladder (bot.oncall.engine): round 0 runs from the opening; an expired
    # acknowledgement or an ended snooze starts the next round, timed from when it ran out.
    escalation_round: Mapped[int] = mapped_column(Integer, default=0)
    escalation_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The token of the grouped (storm) message the alert was opened in, or None: alerts told
    # together escalate together, in that message's thread (bot.oncall.claims).
    told_in: Mapped[str | None] = mapped_column(String(32))
    # "CHANNEL_ID:TS" of the alert's own Slack message, set by the delivery worker when the first
    # message about this alert alone is posted; later notices update that message in place.
    message_ref: Mapped[str | None] = mapped_column(String(100))
    # Bumped on every change: a conditional UPDATE on it settles races (double click, ack vs
    # auto-resolve) so exactly one of two writers wins.
    version: Mapped[int] = mapped_column(Integer, default=1)


class Silence(Base):
    """Quiet a facility, a check or everything for a while, with a reason (platform maintenance)."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    check: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def new_token() -> str:
    """A random token that names one outbox row among every loanwatch's, ever (128 bits)."""
    return secrets.token_hex(16)


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as the change it reports.

    A worker claims a row with a conditional UPDATE (state pending → sending, owner set) and
    only the worker whose UPDATE matched sends it.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the transport answered (a Slack message ts), for updating the message later.
    transport_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Random, made with the row. With the installation's id it goes into what the transport
    # posts, so a retry recognises its own post and never another database's (staging beside
    # production) or that of a restored backup whose ids started again. None on rows written
    # before migration 0008, whose posts name only the outbox id.
    token: Mapped[str | None] = mapped_column(String(32), default=new_token)
    # Why a row in state `dropped` will never be sent: an admin's reason, or the later row of
    # the same alert that superseded it.
    dropped_reason: Mapped[str | None] = mapped_column(Text)


class DeliveryDestination(Base):
    """Where notifications go (a transport and a channel, "slack:C0123ABCD"), and its health.

    A row appears when sending there first fails. `failing_since` is set by a transient failure
    when it is empty and emptied by the next successful send; `alerted_at` says a
    `delivery_degraded` admin alert is open about the destination (at most one at a time).
    """

    __tablename__ = "delivery_destinations"

    destination: Mapped[str] = mapped_column(String(200), primary_key=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchedulerSlot(Base):
    """One run of a scheduled job, claimed by inserting it: the unique key lets one process win."""

    __tablename__ = "scheduler_slots"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckRun(Base):
    """One real run of the checks: the moment it evaluated as of, written in its transaction.

    A replay (jobs/replay.py) is rolled back, so it leaves none. `check --at` a moment before
    the latest row is a replay, whether or not that run found anything.
    """

    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How many facilities the run checked: a prompt run's few (jobs/prompt.py); NULL for a run
    # of the whole portfolio.
    facilities: Mapped[int | None] = mapped_column(Integer)


class CheckRequest(Base):
    """A facility whose checks are due: new observations arrived since it was last checked.

    Written in the transaction that records them (`bot.ledger.check_marks`), deleted by the
    worker's prompt run that checks the facility, in that run's transaction (`jobs.prompt`).
    `requested_at` is the latest write (the debounce waits for quiet after it),
    `first_requested_at` the oldest one not yet checked (the cap on that wait). A facility
    whose run raised keeps its mark with `attempts` counted and is not claimed before
    `not_before` (the pause doubles with each failure).
    """

    __tablename__ = "check_requests"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
