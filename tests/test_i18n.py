"""The catalogs: every text marked for translation has its Chinese, with the same placeholders,
and they compile; the language in use, dates and amounts as each language writes them."""

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from bot.errors import InputError
from bot.i18n import (
    EN,
    PSEUDO,
    ZH,
    _,
    catalogs,
    current,
    from_locale,
    npgettext,
    parse_language,
    pgettext,
    use,
)
from bot.i18n.catalogs import _load, compile_po
from bot.i18n.formats import big_money, day, moment, percent
from bot.slack.languages import UserLanguages
from tests.support.pseudo import unmarked

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "bot" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "loanwatch.po"
PYBABEL = Path(sys.executable).parent / "pybabel"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# A text in the catalogs: its context (pgettext's, else None) and its English message id.
Key = tuple[str | None, str]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[Key]:
    """The texts in the code now, each its context (pgettext's, else None) and message id
    (Babel's extraction, as `make catalogs` runs it)."""
    pot = tmp_path_factory.mktemp("catalog") / "loanwatch.pot"
    subprocess.run(
        [str(PYBABEL), "extract", "-F", str(LOCALE / "babel.cfg"), "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as source:
        return {_key(m) for m in read_po(source) if m.id}


def _key(message: Message) -> Key:
    """A text's key: one English word with two contexts is two texts, each its own Chinese."""
    message_id = message.id
    return (message.context, message_id if isinstance(message_id, str) else message_id[0])


def _catalog() -> dict[Key, Message]:
    with PO.open("rb") as source:
        return {_key(m): m for m in read_po(source) if m.id}


def test_every_text_in_the_code_has_its_chinese(extracted) -> None:
    catalog = _catalog()
    missing = sorted(m for m in extracted if m not in catalog)
    assert missing == [], f"not in the catalog (run `make catalogs`, then translate): {missing}"
    untranslated = sorted(
        m for m in extracted if not _strings(catalog[m]) or not all(_strings(catalog[m]))
    )
    assert untranslated == [], f"no Chinese yet in {PO.name}: {untranslated}"
    fuzzy = sorted(m for m in extracted if catalog[m].fuzzy)
    assert fuzzy == [], f"marked fuzzy (a guess to check): {fuzzy}"


def test_a_text_with_a_context_is_kept_apart_from_the_same_english_without(extracted) -> None:
    """pgettext's texts are extracted with their context, each translated on its own."""
    catalog = _catalog()
    contexts = [
        ("amount drawn", "Used"),
        ("holiday rule", "none"),
        ("ticket state", "open"),
        ("reading request", "open"),
    ]
    for context, english in contexts:
        assert (context, english) in extracted
        assert (None, english) in extracted
        assert catalog[(context, english)].string != catalog[(None, english)].string


def test_the_catalog_keeps_no_text_the_code_no_longer_has(extracted) -> None:
    assert sorted(set(_catalog()) - extracted) == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    wrong = []
    for message_id, message in _catalog().items():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {frozenset(PLACEHOLDER.findall(i)) for i in ids}
        for translated in _strings(message):
            if frozenset(PLACEHOLDER.findall(translated)) not in wanted:
                wrong.append((message_id, translated))
    assert wrong == []


def _strings(message: Message) -> list[str]:
    string = message.string  # type: ignore[attr-defined]
    return [s for s in (string if isinstance(string, tuple) else (string,))]


def test_the_catalogs_compile_and_are_read() -> None:
    compiled = compile_po(PO)
    assert compiled[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # a .mo's magic number
    with use(ZH):
        assert _("an unknown time") == "时间未知"
        assert (pgettext("holiday rule", "none"), _("none")) == ("不顺延", "无")
    assert _("an unknown time") == "an unknown time"


def test_babels_own_checks_find_nothing_to_refuse() -> None:
    """What `pybabel compile` checks (a text that reads as a %-format, "3.5% or", must keep
    its conversions in Chinese): `make catalogs` and the build stop on any of it."""
    with PO.open("rb") as source:
        catalog = read_po(source)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_a_context_in_english_and_the_pseudo_locale_is_as_without_one() -> None:
    assert pgettext("holiday rule", "none") == "none"
    assert npgettext("any", "{n} day", "{n} days", 2) == "{n} days"
    with use(PSEUDO):
        assert pgettext("holiday rule", "none") == _("none") == "⟦none⟧"
        # No catalog holds "any" as a context: unmarked, as it stays English in Chinese.
        assert npgettext("any", "{n} day", "{n} days", 1) == "{n} day"


def test_the_pseudo_locale_marks_only_what_the_catalogs_hold() -> None:
    """A word given to `_()` but never marked for extraction has no Chinese: the pseudo-locale
    leaves it unmarked, so a pseudo test finds it as English ("an outbox message" filled into
    a sentence, found by an attack)."""
    with use(PSEUDO):
        assert _("an unknown time") == "⟦an unknown time⟧"
        assert _("a word nobody marked") == "a word nobody marked"
    with use(ZH):
        assert _("a word nobody marked") == "a word nobody marked"


def test_the_language_is_the_contexts_then_back() -> None:
    assert current() == EN
    with use(ZH):
        assert current() == ZH
        with use(PSEUDO):
            assert _("an unknown time") == "⟦an unknown time⟧"
        assert current() == ZH
    assert current() == EN


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("zh-CN", ZH),
        ("zh_cn", ZH),
        ("中文", ZH),
        ("zh", ZH),
        ("zh_TW", ZH),
        ("en", EN),
        (" EN ", EN),
    ],
)
def test_languages_as_people_type_them(typed: str, language: str) -> None:
    assert parse_language(typed) == language


def test_an_unknown_language_names_the_choices() -> None:
    with pytest.raises(InputError, match=r"unknown language fr; use one of: en, zh-CN"):
        parse_language("fr")


@pytest.mark.parametrize("typed", ["zh-CN,en", "zh-", "zh-CN en", "zh--CN", "zhongwen"])
def test_a_list_or_a_broken_tag_is_an_unknown_language(typed: str) -> None:
    with pytest.raises(InputError, match=r"unknown language .*; use one of: en, zh-CN"):
        parse_language(typed)
    with use(ZH), pytest.raises(InputError) as chinese:
        parse_language(typed)
    assert str(chinese.value).startswith("不支持的语言 ")


@pytest.mark.parametrize("typed", ["zh-TW", "zh-Hant-HK", "ZH_cn", "中文"])
def test_other_chinese_tags_read_the_simplified_catalog(typed: str) -> None:
    assert parse_language(typed) == ZH


def test_no_language_at_all_says_one_is_needed_and_names_the_choices() -> None:
    with pytest.raises(InputError) as bare:
        parse_language("  ")
    with pytest.raises(InputError) as dashed:
        parse_language("", dash=True)
    with use(ZH), pytest.raises(InputError) as chinese:
        parse_language("", dash=True)
    with use(PSEUDO), pytest.raises(InputError) as pseudo:
        parse_language("", dash=True)
    assert str(bare.value) == "a language is needed: one of en, zh-CN"
    assert str(dashed.value) == "a language is needed: one of en, zh-CN, or - for the default again"
    assert str(chinese.value) == "需要指定语言：可选 en，zh-CN，或用 - 恢复默认语言"
    assert unmarked([str(pseudo.value)], {"en", "zh-CN"}) == []


def test_the_pseudo_locale_is_for_the_workspace_setting_only() -> None:
    assert parse_language("x-pseudo", pseudo=True) == PSEUDO
    with pytest.raises(InputError, match=r"unknown language x-pseudo"):
        parse_language("x-pseudo")


@pytest.mark.parametrize(
    ("locale", "language"),
    [("zh-CN", ZH), ("zh-TW", ZH), ("en-US", EN), ("en-GB", EN), ("ja-JP", "dflt"), (None, "dflt")],
)
def test_a_slack_locale_is_chinese_english_or_the_workspaces(locale, language) -> None:
    assert from_locale(locale, "dflt") == language


def test_dates_and_moments_as_each_language_writes_them() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    at = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert day(date(2026, 12, 10), near=date(2026, 12, 7)) == "2026-12-10"
    assert moment(at, shanghai) == "2026-12-03 09:00 CST"
    with use(ZH):
        assert day(date(2026, 12, 10), near=date(2026, 12, 7)) == "12月10日（周四）"
        assert day(date(2027, 1, 4), near=date(2026, 12, 7)) == "2027年1月4日（周一）"
        assert day(date(2027, 1, 4)) == "2027年1月4日（周一）"
        assert moment(at, shanghai, near=date(2026, 12, 1)) == "12月3日（周四）09:00"
        # Another zone is named: a Chinese reader takes a bare time to be Beijing's.
        assert (
            moment(at, ZoneInfo("Europe/London"), near=at.date()) == "12月3日（周四）01:00（GMT）"
        )
        assert moment(at, UTC, near=at.date()) == "12月3日（周四）01:00（UTC）"


def test_a_percentage_has_no_space_before_its_sign_in_chinese() -> None:
    assert percent(Decimal("41.7")) == "41.7 %"
    with use(ZH):
        assert percent(Decimal("41.7")) == "41.7%"
        assert percent(80) == "80%"


def test_large_amounts_also_in_wan_for_a_chinese_reader() -> None:
    assert big_money(Decimal("300000")) == "¥300,000.00"
    with use(ZH):
        assert big_money(Decimal("300000")) == "¥300,000.00（30万）"
        assert big_money(Decimal("1234500")) == "¥1,234,500.00（123.45万）"
        assert big_money(Decimal("150000000")) == "¥150,000,000.00（1.5亿）"
        assert big_money(Decimal("9999.99")) == "¥9,999.99"
        assert big_money(Decimal("99999999.99")) == "¥99,999,999.99（1亿）"
        assert big_money(Decimal("-50000")) == "-¥50,000.00（-5万）"
        assert big_money(Decimal("50000"), "USD") == "$50,000.00"


def test_a_persons_language_is_asked_of_slack_once_then_kept() -> None:
    asked: list[str] = []
    now = [0.0]

    def lookup(user: str) -> str | None:
        asked.append(user)
        return {"U0ZH": "zh-CN", "U0EN": "en-US", "U0JA": "ja-JP"}[user]

    languages = UserLanguages(lookup, EN, clock=lambda: now[0])
    assert [languages.of(u) for u in ("U0ZH", "U0EN", "U0JA", "U0ZH")] == [ZH, EN, EN, ZH]
    assert asked == ["U0ZH", "U0EN", "U0JA"]
    now[0] = 3601
    assert languages.of("U0ZH") == ZH
    assert asked[-1] == "U0ZH"
    assert len(asked) == 4


def test_when_slack_does_not_say_the_workspaces_language_for_a_minute() -> None:
    now = [0.0]
    answers: list[object] = [TimeoutError("slow"), "zh-CN"]

    def lookup(user: str) -> str | None:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    languages = UserLanguages(lookup, EN, clock=lambda: now[0])
    assert languages.of("U0ZH") == EN
    now[0] = 30
    assert languages.of("U0ZH") == EN
    now[0] = 61
    assert languages.of("U0ZH") == ZH


def test_the_pseudo_check_finds_english_outside_the_marks() -> None:
    with use(PSEUDO):
        marked = _("an unknown time")
    assert unmarked([f"{marked} · jb-main <@U0ALICE> 2026-12-10 ¥4.00"], {"jb-main"}) == []
    assert unmarked([f"Opened: {marked}"]) == ["'Opened' in 'Opened: ⟦an unknown time⟧'"]


def test_a_translation_filling_other_placeholders_is_shown_in_english(tmp_path, caplog) -> None:
    """A .po edited by hand on a server (past this file's tests): the bad text falls back to
    English instead of failing every message it is in; the good ones still translate."""
    folder = tmp_path / "LC_MESSAGES"
    folder.mkdir()
    (folder / "loanwatch.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "{count} alerts open"\nmsgstr "{count} 条告警{oops}"\n\n'
        'msgid "due {day}"\nmsgstr "{day.__class__} 到期"\n\n'
        'msgid "alert {id}"\nmsgstr "告警 {id:>99999999}"\n\n'
        'msgid "on {where} {what}"\nmsgstr "{where:{what}}"\n\n'
        'msgid "check {check}"\nmsgstr "检查项 {check!z}"\n\n'
        'msgid "an unknown time"\nmsgstr "时间未知"\n\n'
        # A context is no placeholder: its message is what the translation is checked against.
        'msgctxt "for {who}"\nmsgid "Used"\nmsgstr "已用{who}"\n\n'
        'msgctxt "a {"\nmsgid "Limit {n}"\nmsgstr "额度 {n}"\n',
        encoding="utf-8",
    )
    loaded = _load(folder)
    assert loaded.pgettext("for {who}", "Used") == "Used"
    assert loaded.pgettext("a {", "Limit {n}") == "额度 {n}"
    assert loaded.gettext("{count} alerts open").format(count=3) == "3 alerts open"
    assert loaded.gettext("due {day}").format(day="12-10") == "due 12-10"
    assert loaded.gettext("alert {id}") == "alert {id}"
    assert loaded.gettext("on {where} {what}") == "on {where} {what}"
    assert loaded.gettext("check {check}") == "check {check}"
    assert loaded.gettext("an unknown time") == "时间未知"
    assert "fills other placeholders" in caplog.text


def test_an_empty_language_setting_is_no_setting(monkeypatch) -> None:
    from bot.settings import LanguageSetting

    monkeypatch.setenv("LOANWATCH_LANGUAGE", "")
    assert LanguageSetting().language == EN
    monkeypatch.setenv("LOANWATCH_LANGUAGE", "zh_CN")
    assert LanguageSetting().language == ZH


def test_a_catalog_that_cannot_be_read_leaves_its_language_in_english(
    tmp_path, monkeypatch, caplog
) -> None:
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "loanwatch.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1;\\n"\n\n'
        'msgid "an unknown time"\nmsgstr "时间未知"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    catalogs.translations.cache_clear()
    try:
        with use(ZH):
            assert _("an unknown time") == "an unknown time"
        assert "cannot be read" in caplog.text
    finally:
        catalogs.translations.cache_clear()


def test_an_open_ticket_and_an_open_alert_are_two_words_in_chinese() -> None:
    """`open` is an alert no one has taken (未处理) and a ticket not sent yet (未发出)."""
    from bot.alerts.said import state_name
    from bot.tickets.words import name_of

    with use(ZH):
        assert (state_name("open"), name_of("open"), name_of("waiting")) == (
            "未处理",
            "未发出",
            "等待回复",
        )
    assert (state_name("open"), name_of("open")) == ("open", "open")
