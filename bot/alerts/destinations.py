"""Where notifications go, and since when sending there has kept failing.

A destination is a transport and a channel ("slack:C0123ABCD"). Its `failing_since` is the
start of a streak of transient failures there: the first one sets it, later ones keep it. Any
other outcome ends the streak and empties it: a send that gets through, a permanent failure (a
dead letter: Slack answered, and said no), and an admin dropping or retrying a row for that
channel (a person has looked at it). So a `delivery_degraded` alert measures one unbroken run
of failures, and a blip weeks after an old one starts a streak of its own.

The worker (`jobs.delivery_health`) starts and ends streaks as it sends; the admin's outbox
commands (`bot.alerts.outbox_admin`) end them too.
"""

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.models import DeliveryDestination

__all__ = ["destination", "end_streak", "end_streaks_to"]

# `destination()` for a row without a channel.
NO_CHANNEL = "-"


def destination(transport: str, channel: str | None) -> str:
    """The name of where a row goes: its transport and channel ("slack:C0123ABCD")."""
    return f"{transport}:{channel or NO_CHANNEL}"


def end_streak(session: Session, where: str) -> None:
    """The streak of failures at `where` is over (its alert, if open, stays open until a send
    there gets through)."""
    session.execute(
        update(DeliveryDestination)
        .where(
            DeliveryDestination.destination == where,
            DeliveryDestination.failing_since.is_not(None),
        )
        .values(failing_since=None)
        .execution_options(synchronize_session=False)
    )


def end_streaks_to(session: Session, channel: str | None) -> None:
    """The streak is over at `channel`, whichever transport sends there."""
    suffix = ":" + (channel or NO_CHANNEL)
    session.execute(
        update(DeliveryDestination)
        .where(
            DeliveryDestination.destination.endswith(suffix, autoescape=True),
            DeliveryDestination.failing_since.is_not(None),
        )
        .values(failing_since=None)
        .execution_options(synchronize_session=False)
    )
