"""`loanwatch channel set|list`: a Slack channel's own language for the messages sent to it.

A facility's own language (`facility set FAC --language`) comes first; a channel's is for the
messages about facilities without one, and for the channel's digests (bot.languages).
"""

import click

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.render import table
from bot.i18n import N_, _
from bot.languages import channel_languages, set_channel_language


@click.group("channel", cls=TranslatedGroup, help=N_("Slack channels' own languages."))
def channel_group() -> None:
    pass


@channel_group.command(
    "set",
    help=N_("Write the messages to CHANNEL (a Slack channel id, C…) in a language of its own."),
)
@click.argument("channel")
@click.option(
    "--language",
    required=True,
    help=N_("zh-CN or en for the messages sent to CHANNEL (- for LOANWATCH_LANGUAGE again)."),
)
@click.pass_obj
def channel_set(state: CliState, channel: str, language: str) -> None:
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


@channel_group.command("list", help=N_("The channels with a language of their own."))
@click.pass_obj
def channel_list(state: CliState) -> None:
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
