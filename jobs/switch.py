"""What the dead man's switch is told after a check cycle: is loanwatch doing its job?

A cycle that ran clean is not enough: if no notification reaches anyone, loanwatch is not
doing its job, and its own alerts about that cannot get out either. So the ping is `/fail`
when the cycle failed, or when delivery is failing, which is, read from the database (so it
holds whichever worker delivers, across restarts):

- a destination (a transport and a channel) has been failing transiently for
  LOANWATCH_DELIVERY_DEGRADED_AFTER_MINUTES or longer, the streak that raises
  `delivery_degraded` (`jobs.delivery_health`): Slack unreachable, 5xx, rate limits; or
- a notification became a dead letter since the previous check cycle: a `delivery_failed`
  alert was opened or seen again from the previous cycle's slot up to this cycle's slot
  (a bad token, a missing channel, no alert channel at all). Each dead letter counts once:
  the slots part time between the cycles' pings.

Once sends get through again, and no new dead letter came, the next ping is a success.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.models import Alert, DeliveryDestination, SchedulerSlot
from jobs.replay import CHECKS_JOB
from jobs.scheduler import slot_start


def delivery_failing(
    session: Session, now: datetime, *, interval: timedelta, degraded_after: timedelta
) -> str | None:
    """Why delivery counts as failing at the check cycle of `now`, or None when it does not."""
    failing = session.execute(
        select(DeliveryDestination.destination, DeliveryDestination.failing_since)
        .where(DeliveryDestination.failing_since <= now - degraded_after)
        .order_by(DeliveryDestination.failing_since)
    ).first()
    if failing is not None:
        return (
            f"delivery to {failing.destination} has been failing since "
            f"{failing.failing_since:%Y-%m-%d %H:%M} UTC"
        )
    this_slot = slot_start(now, interval)
    previous = session.scalar(
        select(func.max(SchedulerSlot.slot)).where(
            SchedulerSlot.job == CHECKS_JOB, SchedulerSlot.slot < this_slot
        )
    )
    since = previous if previous is not None else this_slot - interval
    dead = session.scalar(
        select(func.count())
        .select_from(Alert)
        .where(
            Alert.check == Check.DELIVERY_FAILED,
            Alert.last_seen_at >= since,
            Alert.last_seen_at < this_slot,
        )
    )
    if dead:
        return f"{dead} notification(s) became dead letters since the previous check cycle"
    return None
