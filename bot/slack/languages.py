"""Each person's language: their Slack locale (`users.info` with `include_locale`), cached.

A Chinese locale reads Chinese, an English one English, any other the workspace's language
(LOANWATCH_LANGUAGE). The lookup happens while Slack waits for our answer, so it is short and
never retried; when Slack does not answer, the person gets the workspace's language for a
minute and is asked about again after. In the app it runs beside the role lookup, both waited
for until one deadline (bot.slack.lookups): past it, this request speaks the workspace's
language and a later answer is kept for the next.
"""

import logging
import threading
import time
from collections.abc import Callable

from bot.i18n import from_locale
from bot.slack.lookups import Lookups

log = logging.getLogger(__name__)

KEEP_SECONDS = 3600.0  # a person changes their Slack language rarely
RETRY_SECONDS = 60.0  # after Slack did not say
MOST_PEOPLE = 10_000  # kept at once; the oldest go first


class UserLanguages:
    """user id → language, from `lookup(user_id)` (their Slack locale, or None)."""

    def __init__(
        self,
        lookup: Callable[[str], str | None],
        default: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        lookups: Lookups | None = None,
    ) -> None:
        self._lookup = lookup
        self._lookups = lookups
        self._default = default
        self._clock = clock
        self._known: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def of(self, user_id: str | None) -> str:
        """The language to write to `user_id` in (the workspace's for no one)."""
        if not user_id:
            return self._default
        with self._lock:
            known = self._known.get(user_id)
        if known is not None and known[1] > self._clock():
            return known[0]
        if self._lookups is None:
            return self._load(user_id)
        try:
            return self._lookups.wait(("language", user_id), lambda: self._load(user_id))
        except TimeoutError:
            log.warning("Slack did not say %s's language in time", user_id)
            return self._default

    def _load(self, user_id: str) -> str:
        """Ask Slack, keep the answer (or the workspace's language for a minute), return it."""
        now = self._clock()
        try:
            language, keep = from_locale(self._lookup(user_id), self._default), KEEP_SECONDS
        except Exception as exc:  # Slack down, slow, or the scope missing: not the person's fault
            log.warning("could not read %s's Slack language: %s", user_id, exc)
            language, keep = self._default, RETRY_SECONDS
        with self._lock:
            if len(self._known) >= MOST_PEOPLE:
                self._known.pop(next(iter(self._known)))
            self._known[user_id] = (language, now + keep)
        return language


def slack_locale(client: object) -> Callable[[str], str | None]:
    """A lookup of a person's Slack locale through `client` (a WebClient)."""

    def lookup(user_id: str) -> str | None:
        answer = client.users_info(user=user_id, include_locale=True)  # type: ignore[attr-defined]
        user = answer.get("user") or {}
        locale = user.get("locale")
        return locale if isinstance(locale, str) else None

    return lookup
