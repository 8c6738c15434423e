"""`loanwatch requests list`'s answers and an import's summary in the reader's language
(LOANWATCH_LANGUAGE): the answer a person gave in words (已到账, 看不到), the format a saved
mapping reads in words (映射 abc), its name as it is."""

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.audit import Actor
from bot.i18n import EN, PSEUDO, ZH
from bot.ledger.arrival_requests import answer_arrived, send_arrival_request
from bot.ledger.reading_answers import answer_unavailable
from bot.models import Draw
from tests.cli.test_import_languages import ABC
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)
from tests.support.pseudo import unmarked

DANA = "U0DANA"
ABC_MAPPING = (
    'mapping add abc --kind repayments --columns "paid_on=交易日期,amount=-交易金额,'
    'reference=日 志 号,note=交易摘要" --date-format %Y%m%d --where "交易摘要=正常还款"'
)


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str], terminal_clock) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database, Tuesday 2026-12-01 10:00 Shanghai."""
    return loanwatch_on(database_url, capsys)


@pytest.fixture
def answered(loanwatch: Loanwatch, terminal_clock, database_url: str) -> Loanwatch:
    """Dana could not see jiebei-main's limit (`unavailable`); Alice's draw #1 arrived."""
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300k"))
    terminal_clock.advance(minutes=-60)
    ok(loanwatch(f"facility set jiebei-main --owner {DANA} --readings 'workdays 10:00'"))
    terminal_clock.advance(minutes=60)
    ok(loanwatch("draw add jiebei-main 20000 --months 6 --on 2026-11-08"))
    ok(loanwatch(f"check --at {terminal_clock().isoformat()}"))
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        answer_unavailable(session, Actor(DANA, "slack"), 1, now=terminal_clock())
        arrival = send_arrival_request(
            session,
            session.get_one(Draw, 1),
            drawer="U0ALICE",
            slot=terminal_clock(),
            now=terminal_clock(),
        )
        assert arrival is not None
        answer_arrived(session, Actor("U0ALICE", "slack"), arrival.id, now=terminal_clock())
    engine.dispose()
    return loanwatch


def listed(loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, language: str) -> str:
    monkeypatch.setenv("LOANWATCH_LANGUAGE", language)
    return ok(loanwatch("requests list --state answered")).out


def test_the_answers_in_chinese(answered: Loanwatch, monkeypatch: pytest.MonkeyPatch) -> None:
    out = listed(answered, monkeypatch, ZH)

    [reading] = [line for line in out.splitlines() if DANA in line]
    [arrival] = [line for line in out.splitlines() if "U0ALICE" in line]
    assert "看不到" in reading
    assert "已到账" in arrival
    assert "jiebei-main" in reading
    assert "unavailable" not in out
    assert "arrived" not in out


def test_the_answers_in_english_keep_their_codes(
    answered: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = listed(answered, monkeypatch, EN)

    assert "answered  unavailable  " in out
    assert "answered  arrived  " in out


def test_pseudo_the_answers_go_through_the_catalogs(
    answered: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = listed(answered, monkeypatch, PSEUDO)

    assert "⟦unavailable⟧" in out
    assert "⟦arrived⟧" in out
    assert unmarked(out.splitlines(), allowed={"jiebei-main"}) == []


def imported(loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, language: str) -> str:
    ok(loanwatch("facility add jiebei-main --platform jiebei --limit 300,000 --daily-rate 0.04%"))
    ok(loanwatch("draw add jiebei-main 50,000 --months 12 --on 2023-12-01"))
    ok(loanwatch(ABC_MAPPING))
    monkeypatch.setenv("LOANWATCH_LANGUAGE", language)
    return ok(loanwatch(f"import {ABC} --facility jiebei-main --mapping abc")).out


def test_the_import_summary_names_the_mapping_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = imported(loanwatch, monkeypatch, ZH)

    assert "格式：映射 abc" in out
    assert "mapping" not in out


def test_the_import_summary_in_english_is_as_it_was(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "format: mapping abc" in imported(loanwatch, monkeypatch, EN)


def test_pseudo_the_import_summary_goes_through_the_catalogs(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = imported(loanwatch, monkeypatch, PSEUDO)

    assert "⟦mapping abc⟧" in out
    assert unmarked(out.splitlines(), allowed={"abc"}) == []
