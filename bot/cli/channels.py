"""`loanwatch channel set|list`: a Slack channel's own language for the messages sent to it.

A facility's own language (`facility set FAC --language`) comes first; a channel's is for the
messages about facilities without one, and for the channel's digests (bot.languages).
"""

import click

from bot.cli.context import CliState
from bot.cli.render import table
from bot.i18n import _
from bot.languages import channel_languages, set_channel_language


@click.group("channel")
def channel_group() -> None:
    """Slack channels' own languages."""


@channel_group.command("set")
@click.argument("channel")
@click.option(
    "--language",
    required=True,
    help="zh-CN or en for the messages sent to CHANNEL (- for LOANWATCH_LANGUAGE again).",
)
@click.pass_obj
def channel_set(state: CliState, channel: str, language: str) -> None:
    """Write the messages to CHANNEL (a Slack channel id, C…) in a language of its own."""
    typed = language.strip()
    with state.transaction() as session:
        said = set_channel_language(
            session,
            channel.strip(),
            None if typed == "-" else typed,
            actor=state.actor,
            now=state.now,
        )
    click.echo(said)


@channel_group.command("list")
@click.pass_obj
def channel_list(state: CliState) -> None:
    """The channels with a language of their own."""
    with state.transaction() as session:
        chosen = channel_languages(session)
    if not chosen:
        click.echo(
            _("no channel has a language of its own; every one follows {language}").format(
                language="LOANWATCH_LANGUAGE"
            )
        )
        return
    rows = [[channel, chosen[channel]] for channel in sorted(chosen)]
    click.echo(table([_("channel"), _("language")], rows))


def register(cli: click.Group) -> None:
    """Add the channel commands."""
    cli.add_command(channel_group)
