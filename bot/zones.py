"""Which time zone a time is shown in: one rule for alert messages and `/loan` answers.

A time about something that belongs to a facility (an alert on it, its acknowledgement's expiry,
a snooze of that alert, a silence of the facility, its latest reading) is shown in the
facility's own zone: its team works there, and the checks read its days there. Anything else
(an alert about loanwatch itself, a silence of a check or of everything, App Home's "updated")
is shown in LOANWATCH_TIMEZONE. Alert messages (`bot.alerts.notices`) and the Slack answers
(`bot.slack.context.Loanwatch.when`) both go through :func:`shown_zone`, so an alert and the
answer about it never disagree on what time a snooze ends.
"""

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Facility


def shown_zone(facility_zone: str | None, default: str | None) -> tzinfo:
    """The facility's zone when the thing belongs to a facility, else `default`.

    `default` is LOANWATCH_TIMEZONE (UTC when none is given). A zone name that is not known
    (a facility row edited by hand) shows UTC, which names itself, rather than fail the answer.
    """
    try:
        return ZoneInfo(facility_zone or default or "UTC")
    except (ValueError, LookupError):
        return UTC


def facility_zone(session: Session, facility_id: int | None) -> str | None:
    """The time zone of the facility something belongs to; None when it belongs to none."""
    if facility_id is None:
        return None
    return session.scalar(select(Facility.timezone).where(Facility.id == facility_id))


def local(moment: datetime | None, zone: tzinfo) -> str:
    """A moment as the team reads it: `2026-12-03 09:00 CST`."""
    if moment is None:
        return "an unknown time"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"
