"""`loanwatch digest`: the daily digest on demand, printed, or sent to a channel."""

from datetime import datetime
from pathlib import Path

import click

from bot.cli.context import CliState
from bot.cli.delivery import deliver_now
from bot.cli.helptexts import TranslatedCommand
from bot.cli.params import AS_OF, in_zone
from bot.dates import check_time
from bot.digest.chart import cashflow_png
from bot.digest.sending import channel_scopes, digest_for, enqueue_digest, scope_of
from bot.digest.text import chart_title, digest_text
from bot.errors import InputError
from bot.i18n import N_, _


@click.command(
    "digest",
    cls=TranslatedCommand,
    help=N_(
        "Print the daily digest of the whole portfolio; with --channel, send that channel's.\n\n"
        "Sent, it goes through the outbox like the scheduled one (Slack with SLACK_BOT_TOKEN, "
        "with its chart; else the console prints it)."
    ),
)
@click.option(
    "--channel",
    help=N_("Only the facilities posting to this channel (an id, C0123ABCD), and send it there."),
)
@click.option("--at", "at", type=AS_OF, help=N_("As of this time (default: now)."))
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=N_("Also write the 13-week cash-flow chart to this PNG file."),
)
@click.pass_obj
def digest_command(
    state: CliState, channel: str | None, at: datetime | None, chart: Path | None
) -> None:
    now = in_zone(at, state.settings.zone) or state.now
    check_time(now, "--at", zone=state.settings.zone)
    if chart is not None and not chart.resolve().parent.is_dir():  # before anything is sent
        raise InputError(
            _("cannot write the chart to {path}: there is no folder {folder}").format(
                path=chart, folder=chart.resolve().parent
            )
        )
    options = state.settings.digest_options()
    with state.transaction() as session:
        scope = None
        if channel is not None:
            scope = scope_of(session, channel, options)
            if scope is None:
                channels = [s.channel for s in channel_scopes(session, options)]
                known = _(", ").join(channels) or _("none")
                raise InputError(
                    _(
                        "no facility posts to channel {channel}; channels with facilities: {known}"
                    ).format(channel=repr(channel), known=known)
                )
        digest = digest_for(session, now, options, scope)
        if chart is not None:  # before the digest is queued: a chart that fails sends nothing
            _write_chart(chart, cashflow_png(digest.cashflow, title=chart_title(digest)))
        sent = enqueue_digest(session, digest, channel, now=state.now) if channel else None
    if sent is None:
        click.echo(digest_text(digest))
        return
    deliver_now(state)
    click.echo(_("digest for {channel} sent (outbox {id})").format(channel=channel, id=sent))


def _write_chart(chart: Path, png: bytes) -> None:
    try:
        chart.write_bytes(png)
    except OSError as exc:  # a full disk, a folder one may not write in
        raise InputError(
            _("cannot write the chart to {path}: {error}").format(
                path=chart, error=exc.strerror or exc
            )
        ) from None


def register(cli: click.Group) -> None:
    """Add the digest command."""
    cli.add_command(digest_command)
