"""Requests to a person in Slack: a reading, a bill, or whether a draw's money arrived."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class ReadingRequest(Base):
    """One question to one person, sent once: a unique key of its kind is the claim.

    A worker inserts the row in the transaction that writes the direct message to the outbox;
    a second worker inserting the same key fails on it and sends nothing (as `EscalationStep`
    does). What the key is depends on the `kind`:

    - `limit`: a facility's scheduled reading, unique per (facility, slot);
    - `bill`: a facility's bill due on `due_date` (the platform shows one bill a day), unique
      per (facility, due date); `slot` is when the bill's lead window opened;
    - `draw`: whether draw `draw_id`'s money arrived, unique per draw; `slot` is when it was due
      to be asked (a day after the draw was logged).

    Every kind has the same life: `open` when sent, `answered` once, with the answer, who gave
    it and when; a late answer counts as any other.
    """

    __tablename__ = "reading_requests"
    __table_args__ = (
        Index(
            "uq_reading_requests_limit_slot",
            "facility_id",
            "slot",
            unique=True,
            sqlite_where=text("kind = 'limit'"),
            postgresql_where=text("kind = 'limit'"),
        ),
        UniqueConstraint("facility_id", "due_date"),
        UniqueConstraint("draw_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # limit | bill | draw (bot.ledger.reading_requests.RequestKind)
    kind: Mapped[str] = mapped_column(String(8), default="limit", server_default="limit")
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    # The bill asked about (kind `bill`) and the draw (kind `draw`); NULL for the other kinds.
    due_date: Mapped[date | None] = mapped_column(Date)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    owner: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | answered
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The limit reading the answer recorded (Same as last, Changed…); NULL otherwise.
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("limit_readings.id"))
    # The bill the answer recorded (Yes, as expected; Different amount…); NULL otherwise.
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    # When its one reminder was written to the outbox (bot.ledger.request_reminders); NULL
    # before. Setting it (`WHERE reminded_at IS NULL`) is the claim: one reminder, ever.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
