"""`loanwatch … --help` in the reader's language (LOANWATCH_LANGUAGE).

Click keeps each command's help and each option's help from import, when no language is
chosen yet: they are the English message ids, marked `N_` where they are written
(`@click.command("check", cls=TranslatedCommand, help=N_("…"))`, `help=N_("…")` on an option).
These classes translate them when the help is written: the command's help and short help
and each parameter's help go through `_()`, on a copy of the command, so nothing click
keeps changes. The root group makes its subcommands and subgroups with them
(`command_class`, `group_class`); a group or command declared on its own names its class.

Click's own words stay English: "Usage:", "Options:", "Commands:", "[required]",
"[default: …]" and its error messages come from gettext's process-wide domain, which has no
catalog for them and does not follow the language chosen here (docs/languages.md). Its help
option's "Show this message and exit." is a parameter's help like ours, and is translated.
"""

import copy
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import click

from bot.i18n import N_, _

# The help option's help as click writes it (its own wording, in English): translated here.
HELP_OPTION = N_("Show this message and exit.")


class FilledOption(click.Option):
    """An option whose help has named placeholders, each filled when the help is written with
    what its function says then (in the reader's language): `fill={"default": lambda: …}`."""

    def __init__(self, *args: Any, fill: Mapping[str, Callable[[], str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fill = fill


def _said(text: str | None) -> str | None:
    return _(text) if text else text


def _said_param(param: click.Parameter) -> click.Parameter:
    """A copy of `param` with its help in the reader's language (itself when it has none)."""
    english = getattr(param, "help", None)
    if not english:
        return param
    shown = copy.copy(param)
    said = _(english)
    if isinstance(param, FilledOption):
        said = said.format(**{name: words() for name, words in param.fill.items()})
    shown.help = said  # type: ignore[attr-defined]
    return shown


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _first_sentence(text: str, limit: int) -> str:
    """A translation's short help: its first sentence (to "。"), cut to `limit` columns.
    Click's own rule looks for an English full stop and counts characters, not columns."""
    first = " ".join(text.partition("\n\n")[0].split())
    end = first.find("。")
    if end >= 0:
        first = first[: end + 1]
    if _width(first) <= limit:
        return first
    while first and _width(first) > limit - 1:
        first = first[:-1]
    return first + "…"


class _Translating(click.Command):
    """What a command shows in --help, in the reader's language, when it is shown."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        shown = copy.copy(self)
        shown.help = _said(self.help)
        # The help option is among them, translated: the copy does not add click's again.
        shown.params = [_said_param(param) for param in self.get_params(ctx)]
        shown.add_help_option = False
        super(_Translating, shown).format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        shown = copy.copy(self)
        shown.help, shown.short_help = _said(self.help), _said(self.short_help)
        if not shown.short_help and shown.help and _width(shown.help) > len(shown.help):
            shown.short_help = _first_sentence(shown.help, limit)
        return super(_Translating, shown).get_short_help_str(limit)


class TranslatedCommand(_Translating, click.Command):
    """A command whose --help is in the reader's language."""


class TranslatedGroup(_Translating, click.Group):
    """A group whose --help is in the reader's language, as are its subcommands' and
    subgroups' (made with this module's classes)."""

    command_class = TranslatedCommand
    group_class = type  # click's word for "this group's own class"
