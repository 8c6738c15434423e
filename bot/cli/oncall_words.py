"""What `loanwatch oncall` and `loanwatch escalation` say at the terminal, said once here.

The refusals are the domain's (`bot.oncall`), the same on every surface; an escalation step's
own words are `bot.oncall.words`. The constants are marked for the catalogs and translated
where shown (`_(NO_ROTATIONS)`).
"""

from zoneinfo import ZoneInfo

from bot.cli.words import word
from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.models import Rotation
from bot.oncall import policy as ladders
from bot.oncall.overrides import OverrideLine
from bot.oncall.rotations import OnCall

NO_ROTATIONS = N_("no rotations yet; add one with `loanwatch oncall rotation add`")
NO_OVERRIDES = N_(
    "no overrides in force or to come; add one with "
    "`loanwatch oncall override add NAME --user U0123ABCD --until 4h`"
)
NOTHING_TO_SET = N_(
    "say what to change: --members U0123,U0456 and/or --usergroup S0123ABCD (- for none)"
)
OVERRIDE_COLUMNS = [N_("id"), N_("rotation"), N_("user"), N_("from"), N_("until"), N_("set by")]
ROTATION_COLUMNS = [
    N_("rotation"),
    N_("members"),
    N_("shifts"),
    N_("on call"),
    N_("until"),
    N_("user group"),
]


def columns(names: list[str]) -> list[str]:
    """A table's column names in the language in use."""
    return [_(name) for name in names]


def describe(rotation: Rotation) -> str:
    """`1w shifts, handoff mon 09:00 Asia/Shanghai`."""
    days = rotation.length_days
    length = (
        _("{weeks}w").format(weeks=days // 7) if days % 7 == 0 else _("{days}d").format(days=days)
    )
    return _("{length} shifts, handoff {handoff} {zone}").format(
        length=length, handoff=rotation.handoff, zone=rotation.timezone
    )


def added(rotation: Rotation) -> str:
    return _("added rotation {rotation}: {shifts}").format(
        rotation=rotation.name, shifts=describe(rotation)
    )


def removed(name: str) -> str:
    return _("removed rotation {rotation}").format(rotation=name)


def members_set(rotation: Rotation) -> str:
    return _("{rotation}: members {members} (turns in that order)").format(
        rotation=rotation.name, members=",".join(rotation.members)
    )


def usergroup_set(rotation: Rotation) -> str:
    if rotation.usergroup is None:
        return _("rotation {rotation} keeps no user group in step any more").format(
            rotation=rotation.name
        )
    return _(
        "rotation {rotation}: user group {usergroup} follows whoever is on call (set at the "
        "next wake-up: `loanwatch check` or the worker)"
    ).format(rotation=rotation.name, usergroup=rotation.usergroup)


def who_line(on_call: OnCall, zone: ZoneInfo, after: str | None = None) -> str:
    """`finance: U0ANN (override) on call until 2026-12-07 09:00 CST, then U0BEN`."""
    facts = {
        "rotation": on_call.rotation,
        "user": on_call.user,
        "until": moment(on_call.until, zone),
        "next": after,
    }
    then = bool(after and after != on_call.user)
    if on_call.override:
        said = (
            _("{rotation}: {user} (override) on call until {until}, then {next}")
            if then
            else _("{rotation}: {user} (override) on call until {until}")
        )
    else:
        said = (
            _("{rotation}: {user} on call until {until}, then {next}")
            if then
            else _("{rotation}: {user} on call until {until}")
        )
    return said.format(**facts)


def no_rotation_then(rotation: str, added: str) -> str:
    """`who --at` a time before the rotation was added."""
    return _("{rotation}: no rotation then (added {added})").format(rotation=rotation, added=added)


def override_set(user: str, rotation: str, begin: str, end: str) -> str:
    return _("{user} is on call in {rotation} from {begin} until {end}").format(
        user=user, rotation=rotation, begin=begin, end=end
    )


def override_row(line: OverrideLine) -> list[str]:
    zone = ZoneInfo(line.timezone)
    return [
        str(line.id),
        line.rotation,
        line.user,
        moment(line.starts, zone),
        moment(line.ends, zone),
        line.created_by,
    ]


def override_removed(line: OverrideLine) -> str:
    zone = ZoneInfo(line.timezone)
    return _(
        "removed override {id}: {user} in {rotation} from {begin} until {end}; the rotation's "
        "turns hold again"
    ).format(
        id=line.id,
        user=line.user,
        rotation=line.rotation,
        begin=moment(line.starts, zone),
        end=moment(line.ends, zone),
    )


def ladder_text(ladder: ladders.Ladder) -> str:
    """`0m:oncall,15m:dm, last step repeated 2× every 1h15m`."""
    if not ladder.repeat:
        return ladder.typed()
    return _("{steps}, last step repeated {times}× every {gap}").format(
        steps=ladder.typed(), times=ladder.repeat, gap=ladders.typed_delay(ladder.repeat_gap)
    )


def ladder_line(severity: str, ladder: ladders.Ladder, *, default: bool) -> str:
    said = _("{severity}: {ladder} (default)") if default else _("{severity}: {ladder}")
    return said.format(severity=word(severity), ladder=ladder_text(ladder))


def already_default(severity: str) -> str:
    return _("{severity} has the default ladder already; nothing changed").format(
        severity=word(severity)
    )


NEVER = N_("info: never escalates")


def when_it_escalates(business_hours: str, urgent_days: int) -> str:
    return _(
        "warnings escalate within business hours {hours} on working days; due within {days} "
        "business days escalates as critical"
    ).format(hours=business_hours, days=urgent_days)
