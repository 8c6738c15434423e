"""What `loanwatch oncall` and `loanwatch escalation` say at the terminal, said once here.

The refusals are the domain's (`bot.oncall`), the same on every surface; an escalation step's
own words are `bot.oncall.words`.
"""

from zoneinfo import ZoneInfo

from bot.models import Rotation
from bot.oncall import policy as ladders
from bot.oncall.overrides import OverrideLine
from bot.oncall.rotations import OnCall
from bot.zones import local

NO_ROTATIONS = "no rotations yet; add one with `loanwatch oncall rotation add`"
NO_OVERRIDES = (
    "no overrides in force or to come; add one with "
    "`loanwatch oncall override add NAME --user U0123ABCD --until 4h`"
)
NOTHING_TO_SET = (
    "say what to change: --members U0123,U0456 and/or --usergroup S0123ABCD (- for none)"
)
OVERRIDE_COLUMNS = ["id", "rotation", "user", "from", "until", "set by"]
ROTATION_COLUMNS = ["rotation", "members", "shifts", "on call", "until", "user group"]


def describe(rotation: Rotation) -> str:
    """`1w shifts, handoff mon 09:00 Asia/Shanghai`."""
    days = rotation.length_days
    length = f"{days // 7}w" if days % 7 == 0 else f"{days}d"
    return f"{length} shifts, handoff {rotation.handoff} {rotation.timezone}"


def added(rotation: Rotation) -> str:
    return f"added rotation {rotation.name}: {describe(rotation)}"


def removed(name: str) -> str:
    return f"removed rotation {name}"


def members_set(rotation: Rotation) -> str:
    return f"{rotation.name}: members {','.join(rotation.members)} (turns in that order)"


def usergroup_set(rotation: Rotation) -> str:
    if rotation.usergroup is None:
        return f"rotation {rotation.name} keeps no user group in step any more"
    return (
        f"rotation {rotation.name}: user group {rotation.usergroup} follows whoever is on call "
        "(set at the next wake-up: `loanwatch check` or the worker)"
    )


def who_line(on_call: OnCall, zone: ZoneInfo, after: str | None = None) -> str:
    """`finance: U0ANN (override) on call until 2026-12-07 09:00 CST, then U0BEN`."""
    how = " (override)" if on_call.override else ""
    then = f", then {after}" if after and after != on_call.user else ""
    return (
        f"{on_call.rotation}: {on_call.user}{how} on call until {local(on_call.until, zone)}{then}"
    )


def no_rotation_then(rotation: str, added: str) -> str:
    """`who --at` a time before the rotation was added."""
    return f"{rotation}: no rotation then (added {added})"


def override_set(user: str, rotation: str, begin: str, end: str) -> str:
    return f"{user} is on call in {rotation} from {begin} until {end}"


def override_row(line: OverrideLine) -> list[str]:
    zone = ZoneInfo(line.timezone)
    return [
        str(line.id),
        line.rotation,
        line.user,
        local(line.starts, zone),
        local(line.ends, zone),
        line.created_by,
    ]


def override_removed(line: OverrideLine) -> str:
    zone = ZoneInfo(line.timezone)
    return (
        f"removed override {line.id}: {line.user} in {line.rotation} from "
        f"{local(line.starts, zone)} until {local(line.ends, zone)}; the rotation's turns hold "
        "again"
    )


def ladder_text(ladder: ladders.Ladder) -> str:
    """`0m:oncall,15m:dm, last step repeated 2× every 1h15m`."""
    repeat = (
        f", last step repeated {ladder.repeat}× every {ladders.typed_delay(ladder.repeat_gap)}"
        if ladder.repeat
        else ""
    )
    return ladder.typed() + repeat


def ladder_line(severity: str, ladder: ladders.Ladder, *, default: bool) -> str:
    return f"{severity}: {ladder_text(ladder)}" + (" (default)" if default else "")


def already_default(severity: str) -> str:
    return f"{severity} has the default ladder already; nothing changed"


NEVER = "info: never escalates"


def when_it_escalates(business_hours: str, urgent_days: int) -> str:
    return (
        f"warnings escalate within business hours {business_hours} on working days; "
        f"due within {urgent_days} business days escalates as critical"
    )
