"""`loanwatch token`: the bearer tokens scripts use for the ingest API (docs/api.md)."""

from datetime import datetime

import click

from bot.api.tokens import Scope, create_token, list_tokens, revoke_token
from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.render import table
from bot.i18n import N_, _
from bot.models import ApiToken


@click.group(
    "token",
    cls=TranslatedGroup,
    help=N_("Tokens for the ingest API (/api/v1): create, list, revoke."),
)
def token_group() -> None:
    pass


@token_group.command(
    "create", help=N_("Create a token named NAME and print it, once: it cannot be shown again.")
)
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in Scope]),
    required=True,
    help=N_("observations:write posts observations (and reads); observations:read only reads."),
)
@click.pass_obj
def token_create(state: CliState, name: str, scope: str) -> None:
    with state.transaction() as session:
        _row, token = create_token(session, state.actor, name, Scope(scope), now=state.now)
    click.echo(token)
    click.echo(created_note(name, scope), err=True)


def created_note(name: str, scope: str) -> str:
    """What `token create` says beside the token it prints (the demo says it too)."""
    return _(
        "token {name} ({scope}) created; it is shown only this once, so store it now (send it "
        "as `Authorization: Bearer <token>`)"
    ).format(name=name, scope=scope)


@token_group.command("list", help=N_("Every token: name, scope, created, last used, revoked."))
@click.pass_obj
def token_list(state: CliState) -> None:
    with state.transaction() as session:
        tokens = list_tokens(session)
        if not tokens:
            click.echo(_("no tokens; create one with `loanwatch token create NAME --scope …`"))
            return
        click.echo(tokens_table(tokens))


def tokens_table(tokens: list[ApiToken]) -> str:
    """The tokens as `token list` shows them: name, scope, first characters, times."""
    rows = [
        [
            t.name,
            t.scope,
            t.prefix + "…",
            _when(t.created_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
        ]
        for t in tokens
    ]
    headers = [_("name"), _("scope"), _("starts"), _("created"), _("last used"), _("revoked")]
    return table(headers, rows)


@token_group.command(
    "revoke", help=N_("Revoke the token named NAME: requests with it get 401 from now on.")
)
@click.argument("name")
@click.pass_obj
def token_revoke(state: CliState, name: str) -> None:
    with state.transaction() as session:
        row = revoke_token(session, state.actor, name, now=state.now)
        when = _when(row.revoked_at)
    click.echo(_("token {name} revoked ({when})").format(name=name, when=when))


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


def register(cli: click.Group) -> None:
    """Add the token commands."""
    cli.add_command(token_group)
