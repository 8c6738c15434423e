"""`loanwatch oncall` and `loanwatch escalation`: rotations, overrides, who is on call, ladders."""

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from bot.cli import oncall_words as words
from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.params import TIME, TimeType, in_zone
from bot.cli.render import table
from bot.errors import InputError
from bot.i18n import N_, _, formats
from bot.models import Rotation
from bot.oncall import policy as ladders
from bot.oncall import rotations, usergroups
from bot.oncall.overrides import override_until, overrides_ahead, remove_override

_USERGROUP_HELP = N_(
    "Slack user group id (S0123ABCD) to keep in step with whoever is on call; - for none. "
    "Needs the usergroups:write scope."
)


@click.group(
    "oncall", cls=TranslatedGroup, help=N_("On-call rotations, overrides, and who is on call.")
)
def oncall_group() -> None:
    pass


@oncall_group.group("rotation", help=N_("Rotations: add, set, list, remove."))
def rotation_group() -> None:
    pass


@rotation_group.command(
    "add", help=N_("Add rotation NAME; the first member is on call from the latest handoff.")
)
@click.argument("name")
@click.option("--members", required=True, help=N_("Slack user ids in turn order: U0123,U0456."))
@click.option("--handoff", required=True, help=N_('When shifts change: "mon 09:00" (or "09:00").'))
@click.option("--length", required=True, help=N_("Shift length: 1w, 1d or Nd."))
@click.option("--timezone", help=N_("IANA zone of the handoff time (default: LOANWATCH_TIMEZONE)."))
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
            # Only a missing option means the default: an empty one is refused as a zone.
            timezone=state.settings.timezone if timezone is None else timezone,
            now=state.now,
        )
        if usergroup is not None:
            usergroups.set_usergroup(session, state.actor, name, usergroup, now=state.now)
        now = rotations.who(session, rotation, state.now)
        click.echo(words.added(rotation))
        click.echo(words.who_line(now, ZoneInfo(rotation.timezone)))


@rotation_group.command(
    "set",
    help=N_(
        "Change rotation NAME: its members (in turn order), or the Slack user group kept in "
        "step with whoever is on call (or stop). Each change is audited."
    ),
)
@click.argument("name")
@click.option("--members", help=N_("The members in their new turn order: U0123,U0456."))
@click.option("--usergroup", help=_USERGROUP_HELP)
@click.pass_obj
def rotation_set(state: CliState, name: str, members: str | None, usergroup: str | None) -> None:
    if members is None and usergroup is None:
        raise InputError(_(words.NOTHING_TO_SET))
    with state.transaction() as session:
        if members is not None:
            rotation = rotations.set_members(session, state.actor, name, members, now=state.now)
            click.echo(words.members_set(rotation))
            on_call = rotations.who(session, rotation, state.now)
            click.echo(words.who_line(on_call, ZoneInfo(rotation.timezone)))
        if usergroup is not None:
            rotation = usergroups.set_usergroup(
                session, state.actor, name, usergroup, now=state.now
            )
            click.echo(words.usergroup_set(rotation))


@rotation_group.command(
    "list", help=N_("Rotations, their members and handoffs, and who is on call now.")
)
@click.pass_obj
def rotation_list(state: CliState) -> None:
    with state.transaction() as session:
        found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
        if not found:
            click.echo(_(words.NO_ROTATIONS))
            return
        rows = []
        for rotation in found:
            on_call = rotations.who(session, rotation, state.now)
            rows.append(
                [
                    rotation.name,
                    ",".join(rotation.members),
                    words.describe(rotation),
                    on_call.user,
                    formats.moment(on_call.until, ZoneInfo(rotation.timezone)),
                    rotation.usergroup or "-",
                ]
            )
        click.echo(table(words.columns(words.ROTATION_COLUMNS), rows))


@rotation_group.command(
    "remove",
    help=N_(
        "Remove rotation NAME and its overrides (refused while a facility names it or it is "
        "LOANWATCH_DEFAULT_ROTATION)."
    ),
)
@click.argument("name")
@click.pass_obj
def rotation_remove(state: CliState, name: str) -> None:
    with state.transaction() as session:
        rotations.remove_rotation(
            session,
            state.actor,
            name,
            now=state.now,
            default=state.settings.default_rotation,
        )
        click.echo(words.removed(name))


class _OverrideGroup(TranslatedGroup):
    """`oncall override NAME …` (the form before `list` and `remove` came) means `add`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["add", *args]
        return super().parse_args(ctx, args)


@oncall_group.group(
    "override",
    cls=_OverrideGroup,
    help=N_("Overrides: add (`override NAME …` for short), list, remove."),
)
def override_group() -> None:
    pass


@override_group.command(
    "add", help=N_("Put USER on call in rotation NAME from --from until --until.")
)
@click.argument("name")
@click.option("--user", required=True, help=N_("Slack user id of who is on call instead."))
@click.option(
    "--from",
    "starts",
    type=TimeType(N_("start time")),
    help=N_(
        "Start (default: now), in the rotation's zone without an offset; a time the zone "
        "skips is refused, one it has twice is the first."
    ),
)
@click.option(
    "--until",
    "ends",
    required=True,
    help=N_(
        "End: a duration from the start (4h), a time of day (18:00: the next one) or a date "
        "and time, in the rotation's zone."
    ),
)
@click.pass_obj
def override_add(state: CliState, name: str, user: str, starts: datetime | None, ends: str) -> None:
    with state.transaction() as session:
        rotation = rotations.get_rotation(session, name)
        zone = ZoneInfo(rotation.timezone)
        begin = in_zone(starts, zone) or state.now
        end = override_until(ends, begin, zone)
        rotations.add_override(
            session, state.actor, name, user=user, starts=begin, ends=end, now=state.now
        )
        click.echo(
            words.override_set(user, name, formats.moment(begin, zone), formats.moment(end, zone))
        )


@override_group.command(
    "list",
    help=N_("Overrides in force or to come, soonest first, with the id `override remove` takes."),
)
@click.option("--rotation", "name", help=N_("One rotation's (default: every rotation's)."))
@click.pass_obj
def override_list(state: CliState, name: str | None) -> None:
    with state.transaction() as session:
        if name is not None:
            rotations.get_rotation(session, name)  # an unknown name is refused, not "none"
        found = overrides_ahead(session, state.now, name)
    if not found:
        click.echo(_(words.NO_OVERRIDES))
        return
    click.echo(
        table(words.columns(words.OVERRIDE_COLUMNS), [words.override_row(line) for line in found])
    )


@override_group.command(
    "remove", help=N_("Take override ID back (audited); the rotation's turns hold again.")
)
@click.argument("override_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_obj
def override_remove(state: CliState, override_id: int) -> None:
    with state.transaction() as session:
        line = remove_override(session, state.actor, override_id, now=state.now)
        click.echo(words.override_removed(line))


@oncall_group.command(
    "who", help=N_("Who is on call (the user id), until the next handoff, and who is next.")
)
@click.option("--rotation", "name", help=N_("One rotation (default: every rotation)."))
@click.option(
    "--at",
    "at",
    type=TIME,
    help=N_(
        "At this time (default: now). Without an offset it is read in the rotation's zone "
        "when --rotation names one, else in LOANWATCH_TIMEZONE; a time that zone skips (the hour "
        "clocks go forward) is refused, one it has twice is the first."
    ),
)
@click.pass_obj
def who_command(state: CliState, name: str | None, at: datetime | None) -> None:
    with state.transaction() as session:
        if name is not None:
            found = [rotations.get_rotation(session, name)]
        else:
            found = list(session.scalars(select(Rotation).order_by(Rotation.name)))
        # One rule for a typed time: the rotation's zone when one is named (as override's).
        zone = ZoneInfo(found[0].timezone) if name is not None else state.settings.zone
        moment = in_zone(at, zone) or state.now
        if not found:
            click.echo(_(words.NO_ROTATIONS))
            return
        for rotation in found:
            if moment < rotation.created_at:
                added = formats.moment(rotation.created_at, ZoneInfo(rotation.timezone))
                click.echo(words.no_rotation_then(rotation.name, added))
                continue
            on_call = rotations.who(session, rotation, moment)
            after = rotations.who(session, rotation, on_call.until).user
            click.echo(words.who_line(on_call, ZoneInfo(rotation.timezone), after))


@click.group("escalation", cls=TranslatedGroup, help=N_("Escalation ladders per severity."))
def escalation_group() -> None:
    pass


@escalation_group.command(
    "set", help=N_("Set SEVERITY's ladder (docs/oncall.md says what each step does).")
)
@click.argument("severity", type=click.Choice(["critical", "warning"]))
@click.option("--steps", required=True, help=N_('Steps: "0m:oncall,15m:dm,45m:next,2h:here".'))
@click.option("--repeat", default=0, show_default=True, type=int, help=N_("Repeat the last step."))
@click.pass_obj
def escalation_set(state: CliState, severity: str, steps: str, repeat: int) -> None:
    with state.transaction() as session:
        ladder = ladders.set_policy(
            session, state.actor, severity, steps=steps, repeat=repeat, now=state.now
        )
        click.echo(words.ladder_line(severity, ladder, default=False))


@escalation_group.command("reset", help=N_("Put SEVERITY's default ladder back (audited)."))
@click.argument("severity", type=click.Choice(["critical", "warning"]))
@click.pass_obj
def escalation_reset(state: CliState, severity: str) -> None:
    with state.transaction() as session:
        if not ladders.reset_policy(session, state.actor, severity, now=state.now):
            click.echo(words.already_default(severity))
            return
        ladder, _ = ladders.policies(session)[severity]
        click.echo(words.ladder_line(severity, ladder, default=True))


@escalation_group.command("show", help=N_("Each severity's ladder (info alerts never escalate)."))
@click.pass_obj
def escalation_show(state: CliState) -> None:
    with state.transaction() as session:
        for severity, (ladder, custom) in ladders.policies(session).items():
            click.echo(words.ladder_line(severity, ladder, default=not custom))
    click.echo(_(words.NEVER))
    settings = state.settings
    click.echo(words.when_it_escalates(settings.business_hours, settings.urgent_days))


def register(cli: click.Group) -> None:
    """Add the oncall and escalation commands."""
    cli.add_command(oncall_group)
    cli.add_command(escalation_group)
