"""Who may do what in Slack: viewer < operator < treasurer < admin, from user and group ids.

Settings list user ids (U…, W…) and user-group ids (S…) per role. A person holds the highest
role they are listed in, directly or through a group. With no role configured at all, everyone
holds every role (a first install should work before anyone has read about roles); `loanwatch
run` and `web` warn about it at start-up.

Group membership comes from Slack (`usergroups.users.list`) and is cached for a few minutes, so a
click does not cost a Web API call each time. In the app the groups a person's role may need
are asked for as the request starts (`warm`), beside their language, and waited for until the
same deadline (bot.slack.lookups): past it, the request goes on with what was known before.
"""

import logging
import threading
import time
from collections.abc import Callable
from enum import IntEnum

from bot.slack.lookups import Lookups

log = logging.getLogger(__name__)


class Role(IntEnum):
    """Each role may do everything the ones below it may."""

    VIEWER = 0
    OPERATOR = 1  # ack, snooze, resolve alerts; record bills and limit readings; open tickets,
    # add notes to them, record the platform's replies
    TREASURER = 2  # draws, repayments, silences, closing tickets
    ADMIN = 3  # facilities, on-call

    @property
    def setting(self) -> str:
        return f"LOANWATCH_{self.name}S"


GroupMembers = Callable[[str], list[str]]


class RoleBook:
    """Answers "what role does this user hold?" from the configured ids."""

    def __init__(
        self,
        members: dict[str, tuple[str, ...]],
        group_members: GroupMembers | None = None,
        *,
        cache_seconds: float = 300.0,
        retry_seconds: float = 30.0,
        lookups: Lookups | None = None,
    ) -> None:
        self._direct = {Role[name.upper()]: ids for name, ids in members.items()}
        self._group_members = group_members
        self._cache_seconds = cache_seconds
        self._retry_seconds = retry_seconds
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._lookups = lookups

    @property
    def open(self) -> bool:
        """True when no role is configured, so everyone holds every role."""
        return not any(self._direct.values())

    def role_of(self, user_id: str) -> Role:
        """The highest role `user_id` holds."""
        if self.open:
            return Role.ADMIN
        for role in sorted(self._direct, reverse=True):
            for entry in self._direct[role]:
                if entry == user_id or (entry.startswith("S") and user_id in self._group(entry)):
                    return role
        return Role.VIEWER

    def warm(self, user_id: str) -> None:
        """Start asking Slack about the groups `role_of(user_id)` would look in (those listed
        before the person is found by their own id) that are not known fresh; returns at once."""
        if self._lookups is None or self._group_members is None or self.open:
            return
        for role in sorted(self._direct, reverse=True):
            for entry in self._direct[role]:
                if entry == user_id:
                    return
                if entry.startswith("S") and self._fresh(entry) is None:
                    self._lookups.start(("group", entry), lambda group=entry: self._load(group))

    def _fresh(self, group_id: str) -> frozenset[str] | None:
        with self._lock:
            cached = self._cache.get(group_id)
        return cached[1] if cached and time.monotonic() < cached[0] else None

    def _group(self, group_id: str) -> frozenset[str]:
        fresh = self._fresh(group_id)
        if fresh is not None:
            return fresh
        if self._group_members is None:
            return frozenset()
        if self._lookups is None:
            return self._load(group_id)
        try:
            return self._lookups.wait(("group", group_id), lambda: self._load(group_id))
        except TimeoutError:
            # Slack is slow: this request goes on with what was known (the call goes on and
            # keeps its answer for the next one).
            log.warning("Slack did not list user group %s in time", group_id)
            with self._lock:
                cached = self._cache.get(group_id)
            return cached[1] if cached else frozenset()

    def _load(self, group_id: str) -> frozenset[str]:
        """Ask Slack for the group's members and keep them (see `_group`)."""
        assert self._group_members is not None
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(group_id)
        try:
            users = frozenset(self._group_members(group_id))
        except Exception:
            # Slack unreachable: keep what we knew, if anything (a person keeps their role
            # through a Slack hiccup), else grant nothing; either way, ask again only after a
            # short while, so an outage does not cost every click a slow call.
            log.warning("could not read members of user group %s", group_id, exc_info=True)
            users = cached[1] if cached else frozenset()
            with self._lock:
                self._cache[group_id] = (now + self._retry_seconds, users)
            return users
        with self._lock:
            self._cache[group_id] = (now + self._cache_seconds, users)
        return users
