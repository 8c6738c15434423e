"""The language a Slack channel is written to in, where it is not the workspace's."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base
from bot.models.types import UTCDateTime


class ChannelLanguage(Base):
    """`loanwatch channel set C… --language zh-CN`: messages to the channel in that language,
    unless a facility's own language says otherwise (bot.languages)."""

    __tablename__ = "channel_languages"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
