"""`loanwatch outbox`: the notifications not delivered yet, and what an admin can do about them."""

from datetime import datetime

import click

from bot.alerts import outbox_admin
from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.params import OUTBOX_ID
from bot.cli.render import table
from bot.cli.words import word
from bot.errors import InputError
from bot.i18n import N_, _, ngettext
from bot.models import OutboxMessage
from bot.tickets.contacts import shown_url
from bot.tickets.readdress import readdress_retried

# `outbox list` shows this many rows, oldest first, and says how many more there are.
LIST_LIMIT = 200
ERROR_WIDTH = 60


@click.group(
    "outbox", cls=TranslatedGroup, help=N_("Notifications not delivered yet: list, retry, drop.")
)
def outbox_group() -> None:
    pass


@outbox_group.command(
    "list", help=N_("Notifications not delivered yet (pending, being sent, dead), oldest first.")
)
@click.option("--dead", is_flag=True, help=N_("Only dead letters (permanent failures)."))
@click.pass_obj
def outbox_list(state: CliState, dead: bool) -> None:
    with state.transaction() as session:
        rows, total = outbox_admin.undelivered(session, dead_only=dead, limit=LIST_LIMIT)
        lines = [_line(message) for message in rows]
    if not lines:
        click.echo(_("no dead letters") if dead else _("every notification has been delivered"))
        return
    headers = [
        _("id"),
        _("kind"),
        _("channel"),
        _("state"),
        _("attempts"),
        _("next attempt"),
        _("last error"),
    ]
    click.echo(table(headers, lines, right={0, 4}))
    if total > len(lines):
        click.echo(_("… and {count} more").format(count=total - len(lines)))


@outbox_group.command(
    "retry",
    help=N_("Send a dead letter (or a waiting notification) again, now: ID, or --all-dead."),
)
@click.argument("message_id", type=OUTBOX_ID, required=False)
@click.option("--all-dead", is_flag=True, help=N_("Retry every dead letter."))
@click.pass_obj
def outbox_retry(state: CliState, message_id: int | None, all_dead: bool) -> None:
    if (message_id is None) == (not all_dead):
        raise InputError(_("give exactly one of an outbox id or --all-dead"))
    moved: list[str] = []
    with state.transaction() as session:
        if message_id is not None:
            retried = [outbox_admin.retry(session, state.actor, message_id, now=state.now)]
        else:
            retried = outbox_admin.retry_all_dead(session, state.actor, now=state.now)
        for message in retried:
            # A ticket's message goes where its corrected contact now says.
            label = readdress_retried(
                session,
                state.actor,
                message,
                now=state.now,
                default_channel=state.settings.default_alert_channel,
            )
            if label is not None:
                moved.append(
                    _("outbox {id} ({ticket}) now goes to {to}").format(
                        id=message.id, ticket=label, to=_where(message)
                    )
                )
    for line in moved:
        click.echo(line)
    if message_id is not None:
        click.echo(_("outbox {id} is pending again, due now").format(id=message_id))
        return
    if not retried:
        click.echo(_("no dead letters to retry"))
        return
    click.echo(
        ngettext(
            "{count} dead letter is pending again, due now: {ids}",
            "{count} dead letters are pending again, due now: {ids}",
            len(retried),
        ).format(count=len(retried), ids=_ids(retried))
    )


@outbox_group.command(
    "drop", help=N_("Never send a notification: it is dropped, with your reason.")
)
@click.argument("message_id", type=OUTBOX_ID)
@click.option("--reason", required=True, help=N_("Why it will never be sent (kept in the audit)."))
@click.pass_obj
def outbox_drop(state: CliState, message_id: int, reason: str) -> None:
    with state.transaction() as session:
        outbox_admin.drop(
            session,
            state.actor,
            message_id,
            reason,
            now=state.now,
            policy=state.settings.alert_policy(),
        )
    click.echo(_("outbox {id} dropped: {reason}").format(id=message_id, reason=reason.strip()))


def _line(message: OutboxMessage) -> list[str]:
    waits = message.state == "pending"
    return [
        str(message.id),
        message.kind,
        message.channel or "-",
        word(message.state),
        str(message.attempts),
        _when(message.next_attempt_at) if waits else "-",
        _short(message.last_error),
    ]


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _short(error: str | None) -> str:
    if not error:
        return "-"
    line = " ".join(error.split())
    return line if len(line) <= ERROR_WIDTH else line[: ERROR_WIDTH - 1] + "…"


def _ids(messages: list[OutboxMessage]) -> str:
    return ", ".join(str(m.id) for m in messages)


def register(cli: click.Group) -> None:
    """Add the outbox commands."""
    cli.add_command(outbox_group)


def _where(message: OutboxMessage) -> str:
    payload = message.payload or {}
    return ", ".join(payload.get("to") or []) or shown_url(payload.get("url"))
