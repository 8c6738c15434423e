"""A clock the test moves by hand: what the code under test asks for as `clock()`."""

from datetime import datetime, timedelta


class Clock:
    """Time that moves only when the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by `delta` (as `timedelta` takes it); the new now."""
        self.now += timedelta(**delta)
        return self.now
