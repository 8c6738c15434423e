"""What an alert is and how alerts behave: states, severities ranked, the policy, a run's tally.

An alert is `open`, `acknowledged` or `resolved`; a snooze (`snoozed_until`) and a silence
quiet it without changing its state. How the rest of the package uses these:

- `detection`: one run of the checks (findings → alerts) and the wake-ups between runs;
- `opening`: a new alert's first columns, and opening thousands at once;
- `quiet`: what quiets an alert (snoozes, silences) and what has run out since;
- `actions`: what people do (acknowledge, snooze, resolve, list);
- `admin`: alerts about loanwatch itself (`delivery_failed`, `delivery_degraded`,
  `check_failed`, `holidays_unknown`, `owner_gone`), opened and resolved by whoever noticed;
- `transition`: the conditional UPDATE every state change goes through;
- `notifier`: the outbox rows those changes write, and storm grouping;
- `notices`: what a notice carries and how it is worded, for every surface.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.alerts.findings import Severity
from bot.calendar import BusinessCalendar


class AlertState(StrEnum):
    """Where an alert stands; `open` and `acknowledged` both mean "not resolved"."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# What `list_alerts` and `loanwatch alert list --state` take; `open` means not resolved.
LIST_STATES = ("open", "acknowledged", "resolved", "all")

# A snooze longer than this is a mute by another name: resolve the alert or add a silence.
MAX_SNOOZE = timedelta(days=30)

_RANK = {Severity.WARNING: 0, Severity.CRITICAL: 1}


def rank(severity: str) -> int:
    """How severe, as a number to compare: critical above warning (unknown counts as warning)."""
    try:
        return _RANK[Severity(severity)]
    except ValueError:
        return 0


@dataclass(frozen=True)
class AlertPolicy:
    """How alerts behave; `Settings.alert_policy()` builds it from settings."""

    ack_expiry: timedelta = timedelta(hours=24)
    # More than this many NEW alerts of one check for one channel in one run → one grouped message.
    storm_threshold: int = 5
    # Where alerts of facilities without their own channel (and admin alerts) go.
    default_channel: str | None = None
    # Where loanwatch's own alerts (on no facility) go: the default channel, else the first
    # admin's user id, whose direct message with the app the Slack transport opens.
    admin_channel: str | None = None
    # The zone an alert on no facility shows its times in (LOANWATCH_TIMEZONE; bot.zones).
    timezone: str = "UTC"
    # The business days that decide when a bank collects a due date on a holiday, as the
    # message's money at risk shows it (China's, plus the admin's LOANWATCH_HOLIDAYS_FILE):
    # the same days the checks count with. None: China's as the library knows them.
    calendar: BusinessCalendar | None = None


@dataclass(frozen=True)
class RunSummary:
    """What one run did to the alerts."""

    opened: int = 0
    # Alerts found again (re-detected) this run.
    updated: int = 0
    resolved: int = 0
    reminded: int = 0
    # Outbox rows written.
    notified: int = 0
    # Notifications withheld because a silence covered the alert.
    silenced: int = 0
    # Alerts told about inside an `alert.group` row instead of one row each.
    grouped: int = 0
