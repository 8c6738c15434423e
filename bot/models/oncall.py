"""On-call: rotations and their overrides, escalation policies, and the steps each alert ran."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class Rotation(Base):
    """Who is on call, in turn: members hand over every `length_days` at the handoff time.

    Handoff k is at `handoff_time` local (in `timezone`) on `anchor + k × length_days`; the
    member on call from it is `members[k mod len(members)]` (`bot.oncall.rotations`).
    """

    __tablename__ = "oncall_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    members: Mapped[list[str]] = mapped_column(JSON)
    # "mon 09:00" as typed, kept to show it back; the anchor and time are what count.
    handoff: Mapped[str] = mapped_column(String(32))
    handoff_time: Mapped[str] = mapped_column(String(5))  # "09:00"
    anchor: Mapped[date] = mapped_column(Date)  # the local date of handoff 0
    length_days: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    # A Slack user group (S…) kept in step with whoever is on call, or None.
    usergroup: Mapped[str | None] = mapped_column(String(32), default=None)
    # Whom the group was last set to (its sync written to the outbox); None: never yet. A
    # wake-up that finds someone else on call claims the change by a conditional UPDATE.
    usergroup_user: Mapped[str | None] = mapped_column(String(32), default=None)


class OncallOverride(Base):
    """`user` is on call for the rotation over [starts_at, ends_at), whoever's turn it is."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("oncall_rotations.id"), index=True)
    user: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class EscalationPolicy(Base):
    """The ladder for one severity, as an admin set it (the defaults live in the code)."""

    __tablename__ = "escalation_policies"

    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    # [{"after": seconds, "action": "oncall"|"dm"|"next"|"here"|"group", "target": …}]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    repeat: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class EscalationStep(Base):
    """One step of one alert's ladder, run once: the unique key is the claim.

    A worker inserts the row in the transaction that writes the step's notices; a second worker
    inserting the same (alert, round, rung) fails on the key and runs nothing. The rung is what
    the step does and how many times the round did it before (`dm#0`, `here#1`,
    `group:S0FIN#0`), not its position, so a ladder that changes mid-round (a new policy, a
    warning turned critical) neither repeats nor skips a step (`bot.oncall.engine`).
    """

    __tablename__ = "escalation_steps"
    __table_args__ = (UniqueConstraint("alert_id", "round", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)  # its position in its ladder
    action: Mapped[str] = mapped_column(String(16))
    # The ladder it was run on (None: written before revision 0026), a group step's group.
    severity: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(32))
    rung: Mapped[str] = mapped_column(String(48))
    # Fell due while the alert was silenced and was passed over when the silence ended.
    skipped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
