"""What every listener needs: settings, the database, roles, the clock and the alert policy.

Bolt hands listeners a `context`; the app puts one :class:`Loanwatch` in it under `loanwatch`,
so listeners stay plain functions that a test can call with a context of its own.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.alerts.policy import AlertPolicy
from bot.calendar import BusinessCalendar
from bot.clock import utcnow
from bot.dashboard import Dashboard, dashboard
from bot.db import transaction
from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.installation import ThisInstallation, this_installation
from bot.ledger.facilities import get_facility
from bot.models import AuditRecord
from bot.settings import Settings
from bot.slack.dashboard_cache import DashboardCache
from bot.slack.roles import Role, RoleBook
from bot.zones import shown_zone

KEY = "loanwatch"
# audit_records.actor holds 200 characters; a refused request's user id is what it said it was.
ACTOR_LENGTH = 200


@dataclass
class Loanwatch:
    """The app's dependencies, shared by every listener."""

    settings: Settings
    sessions: sessionmaker[Session]
    roles: RoleBook
    policy: AlertPolicy
    clock: Callable[[], datetime] = field(default=utcnow)
    dashboards: DashboardCache = field(default_factory=lambda: DashboardCache(0))

    def __deepcopy__(self, memo: dict[int, Any]) -> "Loanwatch":
        """Itself: Bolt copies a request's context for a lazy listener, and the dependencies
        (the database, the role cache, the clock) are the process's, shared, not copied."""
        return self

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed if the block succeeds, else rolled back."""
        with transaction(self.sessions) as session:
            yield session
        self.dashboards.written()

    @contextmanager
    def committing(self) -> Iterator[sessionmaker[Session]]:
        """The sessions, for a domain call that runs its own transactions (draw requests): once
        it returns, the dashboards are emptied, as after :meth:`transaction`."""
        yield self.sessions
        self.dashboards.written()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reading only: nothing is committed, and the dashboards stay cached."""
        with self.sessions() as session:
            yield session

    def installation(self) -> ThisInstallation:
        """This installation's id and signing key (bot.installation), read when needed: a key
        made again (its row emptied by hand) takes effect at once."""
        with transaction(self.sessions) as session:
            return this_installation(session)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """The business calendar (Chinese holidays, plus the admin's file for later years)."""
        return self.settings.calendar()

    def dashboard(self, facility: str | None = None) -> Dashboard:
        """The portfolio's dashboard (or one facility's), from the cache when it is fresh."""
        key = facility  # as typed: slugs are matched exactly
        board = self.dashboards.get(key)
        if board is not None:
            return board
        generation = self.dashboards.generation
        with self.reading() as session:
            chosen = get_facility(session, facility) if facility else None
            known = self.calendar.known
            board = dashboard(
                session, self.clock(), facility=chosen, known_year=known, zone=self.settings.zone
            )
        self.dashboards.put(key, board, generation)
        return board

    def when(self, at: datetime | None, facility_zone: str | None = None) -> str:
        """A time in the reader's form (bot.i18n.formats: `2026-12-03 09:00 CST`,
        `12月3日（周四）09:00`) in the zone of the facility it belongs to (`facility_zone`), else
        in LOANWATCH_TIMEZONE (the rule of bot.zones)."""
        zone = shown_zone(facility_zone, self.settings.timezone)
        return moment(at, zone, near=self.clock().astimezone(zone).date())

    def may(self, user_id: str, needed: Role, action: str) -> bool:
        """True if `user_id` holds `needed`; otherwise the refusal is audited and False returned."""
        held = self.roles.role_of(user_id)
        if held >= needed:
            return True
        self.refuse(
            user_id,
            "slack_action",
            {"action": action, "needed": needed.name.lower(), "held": held.name},
        )
        return False

    def refuse(self, user_id: str, entity: str, details: dict[str, Any]) -> None:
        """Write the audit record of a refusal (action `refused`): who, what, and why."""
        with self.transaction() as session:
            session.add(
                AuditRecord(
                    at=self.clock(),
                    actor=user_id[:ACTOR_LENGTH],
                    source="slack",
                    action="refused",
                    entity=entity,
                    entity_id=None,
                    before=None,
                    after=details,
                )
            )


def loanwatch_of(context: Any) -> Loanwatch:
    """The Loanwatch a listener's Bolt context carries."""
    return context[KEY]


def actor(user_id: str) -> audit.Actor:
    """A Slack user as the audit trail and the alerts name them (their user id)."""
    return audit.Actor(user_id, "slack")


# Who holds each role, as a refusal names them.
ROLE_HOLDERS = {
    Role.VIEWER: N_("viewers"),
    Role.OPERATOR: N_("operators"),
    Role.TREASURER: N_("treasurers"),
    Role.ADMIN: N_("admins"),
}


def refusal(needed: Role, what: str) -> str:
    """The ephemeral answer to someone who may not do `what` (an English text marked with N_,
    translated here)."""
    return _(
        "Only {role} may {what}. Ask an admin to add you (or one of your user groups) to {setting}."
    ).format(role=_(ROLE_HOLDERS[needed]), what=_(what), setting=needed.setting)
