"""`/loan import FACILITY [--mapping NAME | --format FORMAT]`: arm an import for the next file
the person shares (bot.ledger.import_requests; the file_shared event does the rest,
bot.slack.events.files). The options are the CLI's: `loanwatch import FILE --facility FAC
[--format auto|alipay|bills|limits] [--mapping NAME]`."""

import uuid

from bot.errors import InputError
from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.ledger.facilities import get_facility
from bot.ledger.import_requests import ImportTarget, arm
from bot.slack import import_words as words
from bot.slack.commands.invocation import Invocation
from bot.slack.context import Loanwatch
from bot.slack.reply import Reply
from bot.zones import shown_zone

USAGE = N_("import FACILITY [--mapping NAME | --format alipay|bills|limits], then share the file")


def import_file(lw: Loanwatch, call: Invocation) -> Reply:
    """Arm the import; the answer says what to share, where, and until when."""
    target = parse_target(call.words)
    with lw.transaction() as session:
        armed = arm(
            session,
            call.user_id,
            call.trigger_id or uuid.uuid4().hex,
            target,
            channel=call.channel_id,
            now=lw.clock(),
        )
        zone = get_facility(session, target.facility).timezone
    until = moment(armed.expires_at, shown_zone(zone, lw.settings.timezone))
    return Reply(words.armed(target, until))


def parse_target(typed: list[str]) -> ImportTarget:
    """The facility, then `--mapping NAME` or `--format FORMAT` (also written `--mapping=NAME`)."""
    if not typed:
        raise InputError(_("say which facility the file is for"))
    options: dict[str, str] = {}
    rest = list(typed[1:])
    while rest:
        # A phone or a Mac may turn the two hyphens typed into a dash.
        word = "--" + rest.pop(0)[1:] if rest[0].startswith("—") else rest.pop(0)
        name, has_value, value = word.partition("=")
        if name not in ("--mapping", "--format"):
            raise InputError(
                _(
                    "{typed!r} is not understood; after the facility come --mapping NAME or "
                    "--format FORMAT"
                ).format(typed=word)
            )
        if not has_value:
            if not rest:
                raise InputError(_("{option} needs a value after it").format(option=name))
            value = rest.pop(0)
        if name in options:
            raise InputError(_("{option} is given twice").format(option=name))
        options[name] = value
    if "--mapping" in options and "--format" in options:
        raise InputError(_("--mapping says how to read the file; leave out --format"))
    return ImportTarget(
        typed[0], fmt=options.get("--format", "auto").lower(), mapping=options.get("--mapping")
    )
