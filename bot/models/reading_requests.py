"""Reading requests: the owner of a facility asked, at a scheduled slot, what the platform shows."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class ReadingRequest(Base):
    """One request for one facility's scheduled slot, sent once: the unique key is the claim.

    A worker inserts the row in the transaction that writes the direct message to the outbox;
    a second worker inserting the same (facility, slot) fails on the key and sends nothing
    (as `EscalationStep` does). The answer (`same`, `changed`, `unavailable`) is kept with who
    gave it and when; a late answer counts as any other.
    """

    __tablename__ = "reading_requests"
    __table_args__ = (UniqueConstraint("facility_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    owner: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | answered
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The limit reading the answer recorded (Same as last, Changed…); NULL otherwise.
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("limit_readings.id"))
    # When its one reminder was written to the outbox (bot.ledger.request_reminders); NULL
    # before. Setting it (`WHERE reminded_at IS NULL`) is the claim: one reminder, ever.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
