"""Which language a channel message is written in.

A message to a channel about a facility speaks the facility's language if it has one
(`facility set FAC --language zh-CN`), else the channel's (`channel set C… --language zh-CN`),
else the workspace's (LOANWATCH_LANGUAGE). What goes to one person follows that person's Slack
language instead (bot.slack.languages); the CLI speaks the workspace's.

    with use(channel_language(session, "C0ALERTS", facility_language=None, default="en")):
        ...   # words the message
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.i18n import _, parse_language
from bot.ledger.facilities import check_channel
from bot.models import ChannelLanguage, Facility


def channel_language(
    session: Session, channel: str | None, *, facility_language: str | None, default: str
) -> str:
    """The language of a message to `channel` (about a facility whose own language is given)."""
    if facility_language:
        return facility_language
    if channel:
        chosen = session.scalar(
            select(ChannelLanguage.language).where(ChannelLanguage.channel == channel)
        )
        if chosen:
            return chosen
    return default


def channel_languages(session: Session) -> dict[str, str]:
    """Every channel with a language of its own → that language."""
    return dict(session.execute(select(ChannelLanguage.channel, ChannelLanguage.language)).all())


def set_channel_language(
    session: Session, channel: str, language: str | None, *, actor: audit.Actor, now: datetime
) -> str:
    """Give `channel` its own language (`language` as typed), or None: the workspace's again.
    What was done, in words; bad input changes nothing."""
    channel = check_channel(channel)
    chosen = parse_language(language, dash=True) if language is not None else None
    row = session.get(ChannelLanguage, channel)
    if (row.language if row else None) == chosen:
        return _("nothing changed")
    before = audit.snapshot(row) if row else None
    if chosen is None:
        assert row is not None
        audit.record(session, actor, "channel.language", row, at=now, before=before)
        session.delete(row)
        return _("{channel} follows the workspace's language again").format(channel=channel)
    if row is None:
        row = ChannelLanguage(channel=channel, language=chosen, updated_at=now)
        session.add(row)
    else:
        row.language, row.updated_at = chosen, now
    audit.record(session, actor, "channel.language", row, at=now, before=before)
    return _("messages to {channel} are written in {language} from now on").format(
        channel=channel, language=chosen
    )


def set_facility_language(
    session: Session, facility: Facility, language: str, *, actor: audit.Actor, now: datetime
) -> bool:
    """Write the facility's channel messages in `language` as typed (`-`: its channel's, else
    the workspace's, again); audited as `facility.language`. False when it was that already,
    and nothing was written; a bad language is an InputError naming the choices."""
    typed = language.strip()
    chosen = None if typed == "-" else parse_language(typed, dash=True)
    if chosen == facility.language:
        return False
    before = audit.snapshot(facility)
    facility.language = chosen
    session.flush()
    audit.record(session, actor, "facility.language", facility, at=now, before=before)
    return True
