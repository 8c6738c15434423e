"""Rotations and overrides: who is on call at a moment, until when, and who comes next.

Handoff k of a rotation happens at its handoff time, on the local date `anchor + k × length`
in the rotation's zone. A wall time a daylight-saving change skips (02:30 in America/New_York
on the March change day) happens when the clock has moved past it, one gap later (03:30 EDT,
the same instant as 02:30 EST); a wall time the change repeats (01:30 on the November change
day) happens at its first occurrence. So each change day has exactly one handoff: none lost,
none doubled.

An override puts a user on call for a while whatever the rotation says; the latest override
made wins where two overlap.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.clock import require_aware
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.ledger.facilities import check_timezone
from bot.models import Facility, OncallOverride, Rotation
from bot.typed import fold_width

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_HANDOFF = re.compile(r"(?:([a-z]{3})[a-z]*\s+)?([0-9]{1,2}):([0-9]{2})")
_LENGTH = re.compile(r"([0-9]{1,3})\s*([wd])")
MAX_MEMBERS = 50
MAX_LENGTH_DAYS = 8 * 7
MAX_OVERRIDE = timedelta(days=90)


@dataclass(frozen=True)
class OnCall:
    """Who is on call at `at`, since when, until the next handoff, and who comes next."""

    rotation: str
    at: datetime
    user: str
    since: datetime
    until: datetime  # the next handoff (or the end of the override in force)
    next_user: str | None  # the member after the scheduled one, for "next" escalation steps
    override: bool


# --- reading what people type ------------------------------------------------------------------


def parse_handoff(text: str) -> tuple[int | None, time]:
    """`mon 09:00` → (0, 09:00); `09:00` → (None, 09:00): a weekday is optional."""
    match = _HANDOFF.fullmatch(fold_width(text).strip().lower())
    day = match.group(1) if match else None
    if match is None or (day is not None and day not in WEEKDAYS):
        raise InputError(
            _('handoff "{text}" is not a weekday and a time; write it like "mon 09:00"').format(
                text=text
            )
        )
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise InputError(
            _('handoff "{text}" has no such time of day; write it like "mon 09:00"').format(
                text=text
            )
        )
    return (WEEKDAYS.index(day) if day else None), time(hour, minute)


def parse_length(text: str) -> int:
    """`1w`, `2w`, `1d`, `3d` → days."""
    match = _LENGTH.fullmatch(fold_width(text).strip().lower())
    if match is None:
        raise InputError(
            _('length "{text}" is not a shift length; write 1w, 1d or Nd (e.g. 3d)').format(
                text=text
            )
        )
    days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if not 1 <= days <= MAX_LENGTH_DAYS:
        raise InputError(
            _("a shift lasts from 1 day to {weeks} weeks, not {text}").format(
                weeks=MAX_LENGTH_DAYS // 7, text=text
            )
        )
    return days


def parse_members(text: str) -> list[str]:
    """`U1,U2` → Slack user ids, in turn order, each once."""
    members = [part.strip() for part in fold_width(text).split(",") if part.strip()]
    if not members:
        raise InputError(_("a rotation needs at least one member: --members U0123ABCD,U0456EFGH"))
    for member in members:
        check_user(member)
    if len(set(members)) != len(members):
        raise InputError(_("a member is listed twice in --members; list each person once"))
    if len(members) > MAX_MEMBERS:
        raise InputError(_("a rotation has at most {most} members").format(most=MAX_MEMBERS))
    return members


def check_user(user: str) -> str:
    """A Slack user id (U…, W…), or an InputError that says where to find one."""
    if not USER_ID.fullmatch(user):
        raise InputError(
            _(
                "{user!r} is not a Slack user id (like U0123ABCD); find it in the person's "
                "profile: ⋮ → Copy member ID"
            ).format(user=user)
        )
    return user


# --- the arithmetic of handoffs ----------------------------------------------------------------


def handoff_at(rotation: Rotation, k: int) -> datetime:
    """The moment (UTC) of handoff `k` (see the module's note on daylight saving)."""
    zone = ZoneInfo(rotation.timezone)
    day = rotation.anchor + timedelta(days=k * rotation.length_days)
    hour, minute = (int(part) for part in rotation.handoff_time.split(":"))
    # fold=0: a skipped wall time takes the offset before the change (one gap later on the
    # clock), a repeated one its first occurrence.
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def shift_index(rotation: Rotation, at: datetime) -> int:
    """The k with handoff k ≤ at < handoff k+1."""
    require_aware(at, "at")
    local_day = at.astimezone(ZoneInfo(rotation.timezone)).date()
    k = (local_day - rotation.anchor).days // rotation.length_days
    while handoff_at(rotation, k) > at:
        k -= 1
    while handoff_at(rotation, k + 1) <= at:
        k += 1
    return k


def scheduled(rotation: Rotation, k: int) -> str:
    """The member on call for shift `k`."""
    return rotation.members[k % len(rotation.members)]


def who(session: Session, rotation: Rotation, at: datetime) -> OnCall:
    """Who is on call in `rotation` at `at`: an override in force, else whose turn it is."""
    return on_call(rotation, at, overrides_after(session, [rotation.id], at))


def overrides_after(
    session: Session, rotation_ids: list[int], at: datetime
) -> list[OncallOverride]:
    """The overrides of these rotations that end after `at`, newest first (one query)."""
    if not rotation_ids:
        return []
    return list(
        session.scalars(
            select(OncallOverride)
            .where(OncallOverride.rotation_id.in_(rotation_ids), OncallOverride.ends_at > at)
            .order_by(OncallOverride.id.desc())
        )
    )


def on_call(rotation: Rotation, at: datetime, overrides: list[OncallOverride]) -> OnCall:
    """:func:`who` from overrides already read (newest first; other rotations' are ignored)."""
    k = shift_index(rotation, at)
    since, until = handoff_at(rotation, k), handoff_at(rotation, k + 1)
    user = scheduled(rotation, k)
    overrides = [o for o in overrides if o.rotation_id == rotation.id and o.ends_at > at]
    covering = next((o for o in overrides if o.starts_at <= at), None)
    if covering is not None:
        user, since, until = covering.user, covering.starts_at, covering.ends_at
    # The person on call changes at the next handoff, or when an override begins before it:
    # one newer than the override in force (an older one beginning under it stays hidden).
    starts = [
        o.starts_at
        for o in overrides
        if at < o.starts_at < until and (covering is None or o.id > covering.id)
    ]
    until = min([until, *starts])
    following = [scheduled(rotation, k + step) for step in range(1, len(rotation.members) + 1)]
    next_user = next((member for member in following if member != user), None)
    return OnCall(rotation.name, at, user, since, until, next_user, covering is not None)


def handoffs_between(rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    """The handoffs in (start, end], in order."""
    k = shift_index(rotation, start) + 1
    found = []
    while (moment := handoff_at(rotation, k)) <= end:
        found.append(moment)
        k += 1
    return found


# --- rotations and overrides in the database ----------------------------------------------------


def get_rotation(session: Session, name: str) -> Rotation:
    """The rotation named `name`, or a NotFoundError naming those that exist."""
    rotation = session.scalar(select(Rotation).where(Rotation.name == name))
    if rotation is None:
        names = ", ".join(session.scalars(select(Rotation.name).order_by(Rotation.name)))
        if names:
            raise NotFoundError(
                _("no rotation named {name!r}; there are: {names}").format(name=name, names=names)
            )
        raise NotFoundError(
            _("no rotation named {name!r}; add one with `loanwatch oncall rotation add`").format(
                name=name
            )
        )
    return rotation


def add_rotation(
    session: Session,
    actor: audit.Actor,
    name: str,
    *,
    members: str,
    handoff: str,
    length: str,
    timezone: str,
    now: datetime,
) -> Rotation:
    """A new rotation; shift 0 starts at the latest handoff at or before `now`."""
    if not _NAME.fullmatch(name):
        raise InputError(
            _(
                "rotation name {name!r} must be lower-case letters, digits, - or _ (e.g. finance)"
            ).format(name=name)
        )
    people = parse_members(members)
    weekday, at = parse_handoff(handoff)
    days = parse_length(length)
    zone = check_timezone(timezone)
    if weekday is not None and days % 7:
        raise InputError(
            _(
                'a handoff on a weekday ("{handoff}") needs a length in whole weeks; '
                'for a shift of days give only the time, e.g. "09:00"'
            ).format(handoff=handoff)
        )
    if session.scalar(select(Rotation.id).where(Rotation.name == name)) is not None:
        raise InputError(
            _("rotation {name!r} already exists; remove it first or pick another name").format(
                name=name
            )
        )
    today = now.astimezone(zone).date()
    anchor = today if weekday is None else today - timedelta(days=(today.weekday() - weekday) % 7)
    rotation = Rotation(
        name=name,
        members=people,
        # Kept as it counts ("mon 09:00", "09:00"), however it was typed ("Mon 9:00").
        handoff=(f"{WEEKDAYS[weekday]} " if weekday is not None else "") + at.strftime("%H:%M"),
        handoff_time=at.strftime("%H:%M"),
        anchor=anchor,
        length_days=days,
        timezone=timezone,
        created_at=now,
        created_by=actor.name,
    )
    if handoff_at(rotation, 0) > now:
        rotation.anchor = anchor - timedelta(days=days)
    session.add(rotation)
    audit.record(session, actor, "oncall.rotation_add", rotation, at=now)
    return rotation


def remove_rotation(
    session: Session, actor: audit.Actor, name: str, *, now: datetime, default: str | None = None
) -> None:
    """Remove a rotation and its overrides; refused while a facility names it, or while it is
    the `default` (LOANWATCH_DEFAULT_ROTATION): the alerts escalating on it would go quiet."""
    rotation = get_rotation(session, name)
    if name == default:
        raise InputError(
            _(
                "rotation {name!r} is LOANWATCH_DEFAULT_ROTATION, the rotation of every facility "
                "that names none; set that setting to another rotation (or remove it) first"
            ).format(name=name)
        )
    users = list(
        session.scalars(
            select(Facility.slug).where(Facility.oncall_rotation == name).order_by(Facility.slug)
        )
    )
    if users:
        raise InputError(
            _(
                "rotation {name!r} is the rotation of {facilities}; give those facilities "
                "another one first (`loanwatch facility set SLUG --rotation NAME`)"
            ).format(name=name, facilities=", ".join(users))
        )
    before = audit.snapshot(rotation)
    for override in session.scalars(
        select(OncallOverride).where(OncallOverride.rotation_id == rotation.id)
    ):
        session.delete(override)
    audit.record(
        session, actor, "oncall.rotation_remove", rotation, at=now, before=before, after={}
    )
    session.delete(rotation)
    session.flush()


def set_members(
    session: Session, actor: audit.Actor, name: str, members: str, *, now: datetime
) -> Rotation:
    """Rotation `name`'s members, in turn order, become `members` (audited). The shifts keep
    their handoffs: shift k goes to the k-th of the new list (modulo its length), the current
    one included, so who is on call may change at once; overrides stay."""
    rotation = get_rotation(session, name)
    people = parse_members(members)
    before = audit.snapshot(rotation)
    rotation.members = people
    session.flush()
    audit.record(session, actor, "oncall.rotation_set", rotation, at=now, before=before)
    return rotation


def add_override(
    session: Session,
    actor: audit.Actor,
    name: str,
    *,
    user: str,
    starts: datetime,
    ends: datetime,
    now: datetime,
) -> OncallOverride:
    """`user` on call in rotation `name` over [starts, ends)."""
    rotation = get_rotation(session, name)
    check_user(user)
    require_aware(starts, "--from")
    require_aware(ends, "--until")
    if ends <= starts:
        raise InputError(_("an override must end after it starts (--until later than --from)"))
    if ends <= now:
        raise InputError(_("that override would be over already; give an --until in the future"))
    if ends - starts > MAX_OVERRIDE:
        raise InputError(
            _("an override lasts at most {days} days; change the rotation instead").format(
                days=MAX_OVERRIDE.days
            )
        )
    override = OncallOverride(
        rotation_id=rotation.id,
        user=user,
        starts_at=starts.astimezone(UTC),
        ends_at=ends.astimezone(UTC),
        created_at=now,
        created_by=actor.name,
    )
    session.add(override)
    audit.record(session, actor, "oncall.override", override, at=now)
    return override


def rotation_of(session: Session, facility_id: int | None, default: str | None) -> Rotation | None:
    """The rotation an alert on this facility escalates to: the facility's, else the default."""
    name = None
    if facility_id is not None:
        name = session.scalar(select(Facility.oncall_rotation).where(Facility.id == facility_id))
    name = name or default
    if name is None:
        return None
    return session.scalar(select(Rotation).where(Rotation.name == name))


def set_facility_rotation(
    session: Session, actor: audit.Actor, facility: Facility, name: str, *, now: datetime
) -> bool:
    """The facility's alerts escalate to rotation `name` (`-` for the default); audited. False
    when they already do, and nothing was written."""
    wanted = None if name == "-" else get_rotation(session, name).name
    if wanted == facility.oncall_rotation:
        return False
    before = audit.snapshot(facility)
    facility.oncall_rotation = wanted
    session.flush()
    audit.record(session, actor, "facility.rotation", facility, at=now, before=before)
    return True
