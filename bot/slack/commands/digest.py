"""`/loan digest`: the daily digest, here and now, posted to the channel it was asked in (in
the channel's language, `bot.digest.sending`); the reply to who asked is in theirs."""

from bot.digest.sending import send_digest_now
from bot.errors import InputError
from bot.i18n import N_, _
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch
from bot.slack.reply import Reply

ON_ITS_WAY = N_(
    "The digest is on its way to this channel: the facilities that post here (all of them, "
    "where none does), with the 13-week cash-flow chart in its thread."
)


def digest(lw: Loanwatch, call: Invocation) -> Reply:
    """Write the channel's digest to the outbox; the worker posts it with its chart."""
    if call.words:
        raise InputError(_("`digest` takes nothing after it"))
    with lw.transaction() as session:
        send_digest_now(
            session, call.channel_id, now=lw.clock(), options=lw.settings.digest_options()
        )
    return Reply(_(ON_ITS_WAY))
