"""The language a person reads, and the words in it: gettext catalogs managed by Babel.

Every text a person reads is written in English in the code, as the message id, and goes
through `_` (or `ngettext`) when it is shown; the catalog of the language in use gives the
words (bot/locale/zh_CN/LC_MESSAGES/loanwatch.po; docs/languages.md says how to add one).
The language in use is this context's: a Slack request sets its reader's, the delivery worker
a channel's, the CLI LOANWATCH_LANGUAGE's.

    with use(ZH):
        _("Acknowledge")                          # "确认收到"
        _("{count} alerts open").format(count=3)  # placeholders keep their names

A text kept in a module-level constant is marked with `N_` (Babel finds it; nothing is
translated then) and translated where it is shown: `_(BUTTON)`. One English word that means
two things on two surfaces gets a context, so the catalog holds a translation for each:
`pgettext("amount drawn", "Used")` (已用) beside the alert fact `_("Used")` (使用率).
Translated text is formatted with `str.format` and named placeholders, so a translation may
put them in its own order.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from bot.errors import InputError
from bot.i18n.catalogs import translations

EN: Final = "en"
ZH: Final = "zh-CN"
# Marks every translated text ⟦like this⟧ (tests/support/pseudo.py): English that reaches a
# reader without going through the catalogs shows up unmarked. Not for people.
PSEUDO: Final = "x-pseudo"
# The languages a person may choose, as LOANWATCH_LANGUAGE and `--language` spell them.
LANGUAGES: Final = (EN, ZH)

# This context's language (a request's, a delivery's), else the process's default (the
# workspace's LOANWATCH_LANGUAGE, which every thread shares).
_current: ContextVar[str | None] = ContextVar("loanwatch_language", default=None)
_default = EN

# How people and Slack write a language, folded (lower case, "_" as "-"), → ours.
_ALIASES = {
    "en": EN,
    "english": EN,
    "英文": EN,
    "英语": EN,
    "zh": ZH,
    "zh-cn": ZH,
    "zh-hans": ZH,
    "zh-hans-cn": ZH,
    "chinese": ZH,
    "中文": ZH,
    "简体中文": ZH,
    PSEUDO: PSEUDO,
}
# Any other Chinese tag, folded: `zh-tw`, `zh-hant-hk`; not `zh-` nor a list (`zh-cn,en`).
_CHINESE_TAG = re.compile(r"zh(?:-[a-z0-9]{2,8})+")


def current() -> str:
    """The language of this context (a request's reader, a channel), else the process's."""
    return _current.get() or _default


@contextmanager
def use(language: str) -> Iterator[str]:
    """Speak `language` within the block (and in what it calls), then as before."""
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def speak(language: str) -> None:
    """Speak `language` from here to the end of this context, for what cannot be wrapped in
    :func:`use`: a Slack request's middleware, after which Bolt runs the listener (the app
    runs each request in a context of its own, so it ends with the request)."""
    _current.set(language)


def set_default(language: str) -> None:
    """The process's language where no context chose one: LOANWATCH_LANGUAGE, set at start."""
    global _default
    _default = language


def default() -> str:
    """The process's language (the workspace's)."""
    return _default


def _(message: str) -> str:
    """`message` in the language in use (itself where the catalog has no words for it)."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in the language in use (Chinese has one)."""
    return translations(current()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """`message` as meant in `context` (a few words saying which meaning: "holiday rule"), in
    the language in use; the catalog keeps its words apart from `message`'s without one."""
    return translations(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, count: int) -> str:
    """:func:`ngettext` with a context, as :func:`pgettext`."""
    return translations(current()).npgettext(context, singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it, which Babel looks for)
    """Mark a text kept in a constant for the catalogs; it is translated where shown: `_(x)`."""
    return message


def parse_language(text: str, *, pseudo: bool = False, dash: bool = False) -> str:
    """A language as typed (`zh-CN`, `zh_CN`, `zh-TW`, `中文`, `en`), or InputError naming the
    choices (with `dash`, also `-`, which the caller takes for "the default again"). The
    pseudo-locale only with `pseudo` (LOANWATCH_LANGUAGE): no facility or channel has it."""
    folded = text.strip().lower().replace("_", "-")
    choices = _(", ").join(LANGUAGES)
    if not folded:
        needed = (
            _("a language is needed: one of {choices}, or - for the default again")
            if dash
            else _("a language is needed: one of {choices}")
        )
        raise InputError(needed.format(choices=choices))
    found = _ALIASES.get(folded) or (ZH if _CHINESE_TAG.fullmatch(folded) else None)
    if found is None or (found == PSEUDO and not pseudo):
        raise InputError(
            _("unknown language {typed}; use one of: {choices}").format(
                typed=_typed(text), choices=choices
            )
        )
    return found


def _typed(text: str, limit: int = 40) -> str:
    """What was typed, on one line and shortened: bot.typed.quote's rule, written here because
    bot.typed's own messages are translated through this module."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def from_locale(locale: str | None, default: str) -> str:
    """The language for a Slack locale (`zh-CN`, `en-US`, `ja-JP`): Chinese or English when it
    is one of those, else `default`. Every Chinese locale reads the Simplified catalog."""
    folded = (locale or "").strip().lower().replace("_", "-")
    if folded.startswith("zh"):
        return ZH
    if folded == "en" or folded.startswith("en-"):
        return EN
    return default
