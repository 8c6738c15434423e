"""The `loanwatch` command line.

Bad input exits with status 2 and one line on stderr, and writes nothing: every command runs in
one transaction that only commits when the whole command succeeded.
"""

import contextlib
import io
import os
import sys
from collections.abc import Sequence

import click
from pydantic import ValidationError

from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedGroup
from bot.cli.holiday_warning import say_unknown_holidays
from bot.db import SchemaBehindError
from bot.errors import InputError
from bot.i18n import N_, _, default, set_default
from bot.logs import redact_with_environment
from bot.settings import LanguageSetting

EXIT_BAD_INPUT = 2
EXIT_SCHEMA_BEHIND = 3


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=TranslatedGroup,
    help=N_("Watch credit lines: the company's ledger against what the platforms show."),
)
@click.option(
    "--database-url",
    metavar="URL",
    help=N_("Database to use (default: DATABASE_URL from the environment or .env)."),
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    ctx.obj = CliState(database_url=database_url)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from bot.cli import (
        alerts,
        channels,
        data,
        db,
        demo,
        digest,
        facilities,
        ledger,
        mappings,
        oncall,
        outbox,
        requests,
        slack,
        status,
        tickets,
        tokens,
        worker,
    )

    for module in (
        db,
        facilities,
        channels,
        ledger,
        data,
        mappings,
        alerts,
        digest,
        oncall,
        tickets,
        outbox,
        requests,
        tokens,
        worker,
        slack,
        status,
        demo,
    ):
        module.register(cli)


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (the console script exits with it)."""
    before = default()
    try:
        return _main(argv)
    finally:
        set_default(before)  # a test calls main() many times in one process


def _main(argv: Sequence[str] | None) -> int:
    try:
        # The CLI speaks the workspace's language; a bad LOANWATCH_LANGUAGE is a bad setting.
        set_default(LanguageSetting().language)
        say_unknown_holidays()
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="loanwatch",
            standalone_mode=False,
        )
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        _fail(_("aborted"))
        return 1
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else cli.get_help(click.Context(cli)))
        return 0
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "))
        return EXIT_BAD_INPUT
    except InputError as exc:
        _fail(str(exc))
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'setting'}: {e['msg']}" for e in exc.errors()
        )
        _fail(_("bad setting: {problems}").format(problems=problems))
        return EXIT_BAD_INPUT
    except SchemaBehindError as exc:
        _fail(str(exc))
        return EXIT_SCHEMA_BEHIND
    except BrokenPipeError:
        # The reader went away (`… | head -1`) after the work was committed: stop writing, and
        # keep Python from complaining again when it flushes stdout at exit.
        _silence_stdout()
        return 1
    return result if isinstance(result, int) else 0


def _silence_stdout() -> None:
    # Not a real file under a test's runner: nothing to silence.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(message: str) -> None:
    # A bad setting's message may quote its value: a token pasted in the wrong variable.
    said = _("loanwatch: error: {message}").format(message=redact_with_environment(message))
    click.echo(said, err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
