"""Requests people made from Slack that change the ledger, kept so that each takes effect once."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class CommandRequest(Base):
    """One request (a slash command, a modal submission) by its Slack key.

    The key is unique, and the row commits with the change it asked for, so a retry of the same
    request finds the row and gets the same answer instead of logging the draw again. A request
    that needs the person's confirmation (the same draw twice within minutes) waits here as
    `pending`; the confirm button carries only this row's id.
    """

    __tablename__ = "command_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
