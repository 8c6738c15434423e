"""A person's next shifts: what App Home shows the one who opened it.

For each rotation the person is a member of, the next `count` shift windows that are theirs
by turn (the one they are in now included), start and end, less the time someone else's
override takes out of them; and every override they hold that has not ended yet, in any
rotation. Times stay aware (UTC); each window names its rotation's zone, the zone its handoffs
are set in, for showing.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import require_aware
from bot.models import OncallOverride, Rotation
from bot.oncall.rotations import handoff_at, scheduled, shift_index

NEXT_SHIFTS = 3


@dataclass(frozen=True)
class Shift:
    """`user` on call in `rotation` over [starts, ends); `override`: taken out of turn."""

    rotation: str
    timezone: str
    starts: datetime
    ends: datetime
    override: bool = False


def next_shifts(
    session: Session, user: str, now: datetime, *, count: int = NEXT_SHIFTS
) -> list[Shift]:
    """The person's next shifts by turn (`count` per rotation) and their overrides, by start."""
    require_aware(now, "now")
    found: list[Shift] = []
    rotations = {r.id: r for r in session.scalars(select(Rotation).order_by(Rotation.name))}
    overrides = list(
        session.scalars(
            select(OncallOverride)
            .where(OncallOverride.ends_at > now)
            .order_by(OncallOverride.starts_at, OncallOverride.id)
        )
    )
    for rotation in rotations.values():
        if user in rotation.members:
            # Someone else's override takes that time out of the person's turn.
            taken = [
                (o.starts_at, o.ends_at)
                for o in overrides
                if o.rotation_id == rotation.id and o.user != user
            ]
            for turn in _turns(rotation, user, now, count):
                found += _minus(turn, taken)
    for override in (o for o in overrides if o.user == user):
        rotation = rotations[override.rotation_id]
        found.append(
            Shift(rotation.name, rotation.timezone, override.starts_at, override.ends_at, True)
        )
    return sorted(found, key=lambda s: (s.starts, s.rotation, s.override))


def _turns(rotation: Rotation, user: str, now: datetime, count: int) -> list[Shift]:
    """The next `count` shifts that are `user`'s turn, from the one running at `now`."""
    turns: list[Shift] = []
    k = shift_index(rotation, now)
    # A member's turn comes once every len(members) shifts: this many steps find `count`.
    for step in range(count * len(rotation.members)):
        if scheduled(rotation, k + step) == user:
            starts, ends = handoff_at(rotation, k + step), handoff_at(rotation, k + step + 1)
            turns.append(Shift(rotation.name, rotation.timezone, starts, ends))
            if len(turns) == count:
                break
    return turns


def _minus(turn: Shift, taken: list[tuple[datetime, datetime]]) -> list[Shift]:
    """What is left of `turn` once the spans in `taken` are cut out of it (maybe nothing)."""
    pieces = [(turn.starts, turn.ends)]
    for cut_from, cut_until in taken:
        pieces = [
            part
            for starts, ends in pieces
            for part in ((starts, min(ends, cut_from)), (max(starts, cut_until), ends))
            if part[0] < part[1]
        ]
    return [replace(turn, starts=starts, ends=ends) for starts, ends in pieces]
