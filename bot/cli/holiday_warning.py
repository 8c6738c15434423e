"""A short command's warning that a year's holidays are unknown, said to the person.

`bot.calendar` logs one WARNING per process and year it counts weekends only in. The
long-running commands (`web`, `worker`, `run`) configure logging, and the warning is a log line
there, in English as every log. A short command configures none: Python would print the log's
English on stderr. The person reads it, so it is said in LOANWATCH_LANGUAGE instead, in
`bot.holidays`' words (what `/loan status` says).
"""

import logging

import click

from bot.calendar import log as calendar_log
from bot.holidays import missing_holidays_said
from bot.i18n import _


class _SaidOnStderr(logging.Handler):
    """The unknown year's note on stderr, while the process has no logging of its own."""

    def emit(self, record: logging.LogRecord) -> None:
        year = getattr(record, "unknown_year", None)
        if not isinstance(year, int) or logging.getLogger().handlers:
            return  # not that warning, or logging is configured: it is a log line there
        click.echo(_("warning: {warning}").format(warning=missing_holidays_said(year)), err=True)


def say_unknown_holidays() -> None:
    """Say the calendar's unknown-year warning on stderr in the reader's language (once set)."""
    if not any(isinstance(handler, _SaidOnStderr) for handler in calendar_log.handlers):
        calendar_log.addHandler(_SaidOnStderr(logging.WARNING))
