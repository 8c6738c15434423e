"""The compiled catalogs, loaded once per language.

The build compiles bot/locale/*/LC_MESSAGES/loanwatch.po into .mo files beside them
(setup.py's build step, `make catalogs`); those ship in the package. A checkout whose .mo is
missing or older than its .po (a translator just edited it) reads the .po itself, so what runs
is always what the .po says.
"""

import gettext
import io
import logging
from functools import cache
from pathlib import Path
from string import Formatter

log = logging.getLogger(__name__)

DOMAIN = "loanwatch"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Our language code → the catalog's folder (gettext's spelling).
CATALOG_OF = {"zh-CN": "zh_CN"}
PSEUDO_CODE = "x-pseudo"
OPEN, CLOSE = "⟦", "⟧"
# How a compiled catalog keys a text with a context: `context` + this + the message id.
CONTEXT_SEPARATOR = "\x04"
NEWER = 2.0  # seconds by which a .po must be newer than its .mo to be read instead


class Pseudo(gettext.NullTranslations):
    """English, every text the catalogs hold marked ⟦…⟧: what reaches a reader unmarked bypassed
    them (tests/support/pseudo.py). A text passed to `_()` that no catalog holds (a word never
    marked with N_, so never extracted) stays unmarked, as it stays English for a Chinese
    reader."""

    def __init__(self, known: frozenset[str]) -> None:
        super().__init__()
        self._known = known

    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}" if message in self._known else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        said = msgid1 if n == 1 else msgid2
        return f"{OPEN}{said}{CLOSE}" if msgid1 in self._known else said

    def pgettext(self, context: str, message: str) -> str:
        known = f"{context}{CONTEXT_SEPARATOR}{message}" in self._known
        return f"{OPEN}{message}{CLOSE}" if known else message

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        said = msgid1 if n == 1 else msgid2
        known = f"{context}{CONTEXT_SEPARATOR}{msgid1}" in self._known
        return f"{OPEN}{said}{CLOSE}" if known else said


def _known_texts() -> frozenset[str]:
    """Every message id the Chinese catalog holds (a plural by its singular, a text with a
    context as `context\x04id`): what extraction found in the code."""
    catalog = getattr(translations("zh-CN"), "_catalog", {})
    return frozenset(key[0] if isinstance(key, tuple) else key for key in catalog if key)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (ours: "en", "zh-CN"); English is the message ids themselves."""
    if language == PSEUDO_CODE:
        return Pseudo(_known_texts())
    folder = CATALOG_OF.get(language)
    if folder is None:
        return gettext.NullTranslations()
    try:
        return _load(LOCALE_DIR / folder / "LC_MESSAGES")
    except Exception:  # a .po edited by hand (a broken Plural-Forms header, a bad file)
        log.exception("the %s catalog cannot be read: its language is shown in English", language)
        return gettext.NullTranslations()


def _load(folder: Path) -> gettext.NullTranslations:
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    # A package unpacks its .po a moment after its .mo: only a .po edited since counts as newer.
    if mo.exists() and (not po.exists() or mo.stat().st_mtime + NEWER >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return _checked(gettext.GNUTranslations(compiled), folder)
    if not po.exists():
        log.warning("no catalog at %s: its language is shown in English", folder)
        return gettext.NullTranslations()
    return _checked(gettext.GNUTranslations(io.BytesIO(compile_po(po))), folder)


def _checked(found: gettext.GNUTranslations, folder: Path) -> gettext.GNUTranslations:
    """The catalog less each translation that fills a placeholder its English does not have (a
    .po edited by hand on a server, past tests/test_i18n.py): that text is shown in English,
    logged, rather than failing every message it is in. A text with a context (pgettext) is
    kept as `context` EOT `message`: the message is what its translation is checked against."""
    entries: dict[object, str] = found._catalog  # type: ignore[attr-defined]
    for key, translated in list(entries.items()):
        english = english_of(key)
        if not english:
            continue  # the header
        wanted, given = _fields(english), _fields(translated)
        if wanted is None or given is None or not given <= wanted:
            log.warning(
                "%s: the translation of %r fills other placeholders: shown in English",
                folder,
                english,
            )
            del entries[key]
    return found


def english_of(key: object) -> str:
    """The English message id of a compiled catalog's key: a plural's singular (its key is
    `(msgid, n)`), a context's message (gettext keeps `context\x04msgid`)."""
    english = key[0] if isinstance(key, tuple) else key
    return str(english).rpartition(CONTEXT_SEPARATOR)[2]


def _fields(text: object) -> frozenset[tuple[str, str, str | None]] | None:
    """What a str.format text fills: each placeholder with its format spec and conversion, as
    written (a spec or conversion the English lacks, `{id:>99999999}`, `{where!z}`, a
    placeholder inside a spec, is another placeholder); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return frozenset(
            (name, spec or "", conversion)
            for _, name, spec, conversion in Formatter().parse(text)
            if name is not None
        )
    except ValueError:
        return None


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po file (Babel), fuzzy entries left out as gettext does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every .po under `locale_dir` into the .mo beside it; the .mo files written."""
    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        mo.write_bytes(compile_po(po))
        written.append(mo)
    return written
