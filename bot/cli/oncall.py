"""`loanwatch oncall` and `loanwatch escalation`: rotations, overrides, who is on call, ladders."""

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from bot.cli.context import CliState
from bot.cli.params import TIME, in_zone
from bot.cli.render import table
from bot.models import Rotation
from bot.oncall import policy as ladders
from bot.oncall import rotations, usergroups
from bot.zones import local

_USERGROUP_HELP = (
    "Slack user group id (S0123ABCD) to keep in step with whoever is on call; - for none. "
    "Needs the usergroups:write scope."
)


@click.group("oncall")
def oncall_group() -> None:
    """On-call rotations, overrides, and who is on call."""


@oncall_group.group("rotation")
def rotation_group() -> None:
    """Rotations: add, set, list, remove."""


@rotation_group.command("add")
@click.argument("name")
@click.option("--members", required=True, help="Slack user ids in turn order: U0123,U0456.")
@click.option("--handoff", required=True, help='When shifts change: "mon 09:00" (or "09:00").')
@click.option("--length", required=True, help="Shift length: 1w, 1d or Nd.")
@click.option("--timezone", help="IANA zone of the handoff time (default: LOANWATCH_TIMEZONE).")
@click.option("--usergroup", help=_USERGROUP_HELP)
@click.pass_obj
def rotation_add(
    state: CliState,
    name: str,
    members: str,
    handoff: str,
    length: str,
    timezone: str | None,
    usergroup: str | None,
) -> None:
    """Add rotation NAME; the first member is on call from the latest handoff."""
    if usergroup is not None:
        usergroups.check_usergroup(usergroup)  # refused before anything is written
    with state.transaction() as session:
        rotation = rotations.add_rotation(
            session,
            state.actor,
            name,
            members=members,
            handoff=handoff,
            length=length,
            timezone=timezone or state.settings.timezone,
            now=state.now,
        )
        if usergroup is not None:
            usergroups.set_usergroup(session, state.actor, name, usergroup, now=state.now)
        now = rotations.who(session, rotation, state.now)
        click.echo(f"added rotation {rotation.name}: {_describe(rotation)}")
        click.echo(_who_line(now, ZoneInfo(rotation.timezone)))


@rotation_group.command("set")
@click.argument("name")
@click.option("--usergroup", required=True, help=_USERGROUP_HELP)
@click.pass_obj
def rotation_set(state: CliState, name: str, usergroup: str) -> None:
    """Keep a Slack user group in step with whoever is on call in rotation NAME (or stop)."""
    with state.transaction() as session:
        rotation = usergroups.set_usergroup(session, state.actor, name, usergroup, now=state.now)
        if rotation.usergroup is None:
            click.echo(f"rotation {name} keeps no user group in step any more")
        else:
            click.echo(
                f"rotation {name}: user group {rotation.usergroup} follows whoever is on call "
                "(set at the next wake-up: `loanwatch check` or the worker)"
            )


@rotation_group.command("list")
@click.pass_obj
def rotation_list(state: CliState) -> None:
    """Rotations, their members and handoffs, and who is on call now."""
    with state.transaction() as session:
        found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
        if not found:
            click.echo("no rotations yet; add one with `loanwatch oncall rotation add`")
            return
        rows = []
        for rotation in found:
            on_call = rotations.who(session, rotation, state.now)
            rows.append(
                [
                    rotation.name,
                    ",".join(rotation.members),
                    _describe(rotation),
                    on_call.user,
                    local(on_call.until, ZoneInfo(rotation.timezone)),
                    rotation.usergroup or "-",
                ]
            )
        click.echo(table(["rotation", "members", "shifts", "on call", "until", "user group"], rows))


@rotation_group.command("remove")
@click.argument("name")
@click.pass_obj
def rotation_remove(state: CliState, name: str) -> None:
    """Remove rotation NAME and its overrides (refused while a facility names it or it is
    LOANWATCH_DEFAULT_ROTATION)."""
    with state.transaction() as session:
        rotations.remove_rotation(
            session,
            state.actor,
            name,
            now=state.now,
            default=state.settings.default_rotation,
        )
        click.echo(f"removed rotation {name}")


@oncall_group.command("override")
@click.argument("name")
@click.option("--user", required=True, help="Slack user id of who is on call instead.")
@click.option("--from", "starts", type=TIME, help="Start (default: now); rotation's zone.")
@click.option("--until", "ends", required=True, type=TIME, help="End, in the rotation's zone.")
@click.pass_obj
def override(
    state: CliState, name: str, user: str, starts: datetime | None, ends: datetime
) -> None:
    """Put USER on call in rotation NAME from --from until --until."""
    with state.transaction() as session:
        rotation = rotations.get_rotation(session, name)
        zone = ZoneInfo(rotation.timezone)
        begin = in_zone(starts, zone) or state.now
        end = in_zone(ends, zone)
        assert end is not None
        rotations.add_override(
            session, state.actor, name, user=user, starts=begin, ends=end, now=state.now
        )
        click.echo(
            f"{user} is on call in {name} from {local(begin, zone)} until {local(end, zone)}"
        )


@oncall_group.command("who")
@click.option("--rotation", "name", help="One rotation (default: every rotation).")
@click.option("--at", "at", type=TIME, help="At this time (default: now).")
@click.pass_obj
def who_command(state: CliState, name: str | None, at: datetime | None) -> None:
    """Who is on call (the user id), until the next handoff, and who is next."""
    moment = in_zone(at, state.settings.zone) or state.now
    with state.transaction() as session:
        if name is not None:
            found = [rotations.get_rotation(session, name)]
        else:
            found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
        if not found:
            click.echo("no rotations yet; add one with `loanwatch oncall rotation add`")
            return
        for rotation in found:
            on_call = rotations.who(session, rotation, moment)
            after = rotations.who(session, rotation, on_call.until).user
            click.echo(_who_line(on_call, ZoneInfo(rotation.timezone), after))


def _describe(rotation: Rotation) -> str:
    days = rotation.length_days
    length = f"{days // 7}w" if days % 7 == 0 else f"{days}d"
    return f"{length} shifts, handoff {rotation.handoff} {rotation.timezone}"


def _who_line(on_call: rotations.OnCall, zone: ZoneInfo, after: str | None = None) -> str:
    how = " (override)" if on_call.override else ""
    then = f", then {after}" if after and after != on_call.user else ""
    return (
        f"{on_call.rotation}: {on_call.user}{how} on call until {local(on_call.until, zone)}{then}"
    )


@click.group("escalation")
def escalation_group() -> None:
    """Escalation ladders per severity."""


@escalation_group.command("set")
@click.argument("severity", type=click.Choice(["critical", "warning"]))
@click.option("--steps", required=True, help='Steps: "0m:oncall,15m:dm,45m:next,2h:here".')
@click.option("--repeat", default=0, show_default=True, type=int, help="Repeat the last step.")
@click.pass_obj
def escalation_set(state: CliState, severity: str, steps: str, repeat: int) -> None:
    """Set SEVERITY's ladder (docs/oncall.md says what each step does)."""
    with state.transaction() as session:
        ladder = ladders.set_policy(
            session, state.actor, severity, steps=steps, repeat=repeat, now=state.now
        )
        click.echo(f"{severity}: {_ladder_text(ladder)}")


@escalation_group.command("show")
@click.pass_obj
def escalation_show(state: CliState) -> None:
    """Each severity's ladder (info alerts never escalate)."""
    with state.transaction() as session:
        for severity, (ladder, custom) in ladders.policies(session).items():
            origin = "" if custom else " (default)"
            click.echo(f"{severity}: {_ladder_text(ladder)}{origin}")
    click.echo("info: never escalates")
    settings = state.settings
    click.echo(
        f"warnings escalate within business hours {settings.business_hours} on working days; "
        f"due within {settings.urgent_days} business days escalates as critical"
    )


def _ladder_text(ladder: ladders.Ladder) -> str:
    repeat = (
        f", last step repeated {ladder.repeat}× every {ladders.typed_delay(ladder.repeat_gap)}"
        if ladder.repeat
        else ""
    )
    return ladder.typed() + repeat


def register(cli: click.Group) -> None:
    """Add the oncall and escalation commands."""
    cli.add_command(oncall_group)
    cli.add_command(escalation_group)
