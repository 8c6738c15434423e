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

Click wraps and shortens help by characters; a Chinese character takes two columns. A Chinese
help is wrapped here by the columns it takes, where Chinese breaks a line (`_Formatter`, the
commands' context's `formatter_class`), and its short help is its first sentence, cut to fit.
English is wrapped by click, as it always was.
"""

import copy
import re
import unicodedata
from collections.abc import Callable, Mapping
from itertools import dropwhile
from typing import Any

import click

from bot.i18n import EN, N_, _, current

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


# Chinese punctuation that never starts a line (it stays at the end of the line before), and
# that never ends one (it goes to the next with what it opens).
_CLOSING = frozenset("，。、；：？！）》」』”’…")
_OPENING = frozenset("（《「『“‘")
# A space, a quoted value typed back whole ("due_date=还款日"), a run of other characters, or
# one Chinese character.
_PIECES = re.compile(r"\s+|\"[^\"\s]*\"|'[^'\s]*'|[^\s\u2e80-\uffef]+|.")


def _click_wraps(text: str) -> bool:
    """Whether click wraps `text` as it always has: English (also an English help quoting a
    Chinese value, as it was), or a text without Chinese."""
    return current() == EN or _width(text) == len(text)


def _wrap(text: str, columns: int) -> list[str]:
    """`text` (one paragraph) in lines of `columns` columns, broken between words or between
    two Chinese characters (not in a quoted value); a closing mark goes to the next line with
    what it closes, an opening one with what it opens."""
    lines: list[str] = []
    line: list[str] = []
    for piece in _PIECES.findall(" ".join(text.split())):
        if piece == " ":
            line += [" "] if line else []
            continue
        if line and _width("".join(line) + piece) > columns:
            cut = _cut(line, closing=piece in _CLOSING)
            if cut > 0:
                lines.append("".join(line[:cut]).rstrip())
                line = list(dropwhile(" ".__eq__, line[cut:]))
        line.append(piece)
    return [*lines, "".join(line).rstrip()]


def _cut(line: list[str], *, closing: bool) -> int:
    """Where `line`'s pieces end for a break before the next piece: before the piece a closing
    mark that comes next closes (and the marks closing it already), before opening marks."""
    cut = len(line)
    if closing:
        while cut > 0 and line[cut - 1] in _CLOSING:
            cut -= 1
        cut -= 1
    while cut > 0 and line[cut - 1] in _OPENING:
        cut -= 1
    return cut


class _Formatter(click.HelpFormatter):
    """Click's help layout, with a text holding Chinese wrapped by the columns it takes (two a
    character; click counts characters); any other text as click wraps it."""

    def write_text(self, text: str) -> None:
        if _click_wraps(text):
            return super().write_text(text)
        indent = " " * self.current_indent
        paragraphs = [_wrap(part, self.width - self.current_indent) for part in text.split("\n\n")]
        self.write("\n\n".join("\n".join(indent + line for line in lines) for lines in paragraphs))
        self.write("\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if all(_click_wraps(second) for _first, second in rows):
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(max(len(first) for first, _second in rows), col_max) + col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + margin)
            text_width = max(self.width - first_col - 2, 10)
            if _click_wraps(second):
                lines = click.wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            else:
                lines = _wrap(second, text_width)
            self.write("\n".join([lines[0], *(margin + line for line in lines[1:])]) + "\n")


class _Context(click.Context):
    formatter_class = _Formatter


class _Translating(click.Command):
    """What a command shows in --help, in the reader's language, when it is shown."""

    context_class = _Context

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
        if not shown.short_help and shown.help and not _click_wraps(shown.help):
            shown.short_help = _first_sentence(shown.help, limit)
        return super(_Translating, shown).get_short_help_str(limit)


class TranslatedCommand(_Translating, click.Command):
    """A command whose --help is in the reader's language."""


class TranslatedGroup(_Translating, click.Group):
    """A group whose --help is in the reader's language, as are its subcommands' and
    subgroups' (made with this module's classes)."""

    command_class = TranslatedCommand
    group_class = type  # click's word for "this group's own class"
