"""This installation of loanwatch: who it is, and the key it signs its own things with."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class Installation(Base):
    """One row, made at `loanwatch db upgrade` (and again if it is ever missing).

    `installation_id` tells this database's Slack posts from those of another loanwatch that
    posts to the same channel (staging beside production). `secret` signs what loanwatch hands
    to Slack and expects back unchanged (a modal's `private_metadata`); it never leaves the
    database and is not a setting, so there is nothing for an admin to rotate or leak.
    """

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
