"""Overrides as people manage them: until when one runs, which are in force or to come, and
taking one back. Making one is `bot.oncall.rotations.add_override`; who is on call reads them
there too.

Until when is said the same way on every surface (`loanwatch oncall override … --until`,
Slack's `/loan oncall take until …`): a duration counted from the override's start (`4h`,
`1d 2h`), the next such time of day after its start (`18:00`), or a date and time (`2026-12-08
09:00`), in the rotation's zone.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.dates import parse_time, wall_time
from bot.durations import DURATION, latin_units, parse_duration
from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.models import OncallOverride, Rotation
from bot.typed import fold_width

_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True)
class OverrideLine:
    """An override in force or to come, as plain values (its times aware, in UTC)."""

    id: int
    rotation: str
    timezone: str
    user: str
    starts: datetime
    ends: datetime
    created_by: str


def override_until(typed: str, start: datetime, zone: ZoneInfo) -> datetime:
    """The end of an override starting at `start`: a duration from then, the next such time of
    day after it, or a date and time (in `zone`)."""
    folded = fold_width(typed).strip()
    duration = DURATION.fullmatch(latin_units(folded))
    if folded.startswith("-") or (duration is not None and any(duration.groups())):
        return start + parse_duration(folded, N_("duration until the end of an override"))
    if clock := _CLOCK.fullmatch(folded):
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise InputError(_("{typed!r} is not a time of day").format(typed=typed))
        local_start = start.astimezone(zone)
        moment, _shift = wall_time(datetime.combine(local_start.date(), time(hour, minute)), zone)
        if moment <= local_start:
            moment, _shift = wall_time(
                datetime.combine(local_start.date() + timedelta(days=1), time(hour, minute)), zone
            )
        return moment
    # A date and time: the rule every typed time follows (a skipped wall time is refused).
    moment, _shift = wall_time(parse_time(folded, "until"), zone)
    return moment


def overrides_ahead(
    session: Session, now: datetime, rotation: str | None = None
) -> list[OverrideLine]:
    """The overrides that have not ended by `now` (of one rotation, or of all), soonest first."""
    query = (
        select(OncallOverride, Rotation.name, Rotation.timezone)
        .join(Rotation, Rotation.id == OncallOverride.rotation_id)
        .where(OncallOverride.ends_at > now)
        .order_by(OncallOverride.starts_at, OncallOverride.id)
    )
    if rotation is not None:
        query = query.where(Rotation.name == rotation)
    return [
        OverrideLine(o.id, name, zone, o.user, o.starts_at, o.ends_at, o.created_by)
        for o, name, zone in session.execute(query)
    ]


def remove_override(
    session: Session, actor: audit.Actor, override_id: int, *, now: datetime
) -> OverrideLine:
    """Take override `override_id` back (audited): the rotation's turns hold again over it."""
    found = session.execute(
        select(OncallOverride, Rotation.name, Rotation.timezone)
        .join(Rotation, Rotation.id == OncallOverride.rotation_id)
        .where(OncallOverride.id == override_id)
    ).first()
    if found is None:
        raise NotFoundError(
            _("no override {id}; `loanwatch oncall override list` shows their ids").format(
                id=override_id
            )
        )
    override, name, zone = found
    line = OverrideLine(
        override.id, name, zone, override.user, override.starts_at, override.ends_at,
        override.created_by,
    )  # fmt: skip
    audit.record(
        session,
        actor,
        "oncall.override_remove",
        override,
        at=now,
        before=audit.snapshot(override),
        after={},
    )
    session.delete(override)
    session.flush()
    return line
