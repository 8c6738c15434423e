"""Dashboards (`bot.dashboard`) kept a few seconds, so a burst of `/loan status` costs one read.

What is kept is the data, never a rendered text: each reader words it in their own language."""

import threading
import time
from collections.abc import Callable, Hashable

from bot.dashboard import Dashboard


class DashboardCache:
    """Dashboards for a few seconds, so a burst of `/loan status` costs one read.

    An entry is used while it is younger than `seconds` and nothing was written through this
    process since (the app bumps `generation` on every commit). Writes by other processes (the
    worker's checks, another replica, the CLI) show within `seconds`. Zero turns it off.
    """

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.monotonic = monotonic
        self.generation = 0
        self._entries: dict[Hashable, tuple[float, int, Dashboard]] = {}
        self._lock = threading.Lock()

    def written(self) -> None:
        """Something was committed: every entry is out of date."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def get(self, key: Hashable) -> Dashboard | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, generation, board = entry
            if generation != self.generation or self.monotonic() - stored_at >= self.seconds:
                del self._entries[key]
                return None
            return board

    def put(self, key: Hashable, board: Dashboard, generation: int) -> None:
        """Keep `board`, read while the cache was at `generation` (taken before the read)."""
        if self.seconds <= 0:
            return
        with self._lock:
            if generation == self.generation:
                self._entries[key] = (self.monotonic(), generation, board)
