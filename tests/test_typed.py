"""Whole numbers, ids and free text as people type them (bot/typed.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.typed import (
    MAX_ID,
    MAX_TEXT_CHARS,
    NOT_A_SILENCE_ID,
    NOT_AN_ALERT_ID_ON_ITS_MESSAGE,
    fold_width,
    free_text,
    record_id,
    whole_number,
)

DIGITISH = st.text(alphabet="0123456789#１２３²³¹٣۴①⑫ -+.", max_size=30)


def test_full_width_forms_fold_to_ascii_and_nothing_else_does() -> None:
    """What a Chinese input method types becomes ASCII; superscripts and other digits stay."""
    assert fold_width("５０，０００．００￥％　") == "50,000.00¥% "
    assert fold_width("²٣①") == "²٣①"


@pytest.mark.parametrize(("typed", "expected"), [("12", 12), ("#12", 12), ("１２", 12), (" 7 ", 7)])
def test_it_reads_an_id_as_shown(typed: str, expected: int) -> None:
    """An alert's id with or without its #, in ASCII or full-width digits."""
    assert record_id(typed, NOT_AN_ALERT_ID_ON_ITS_MESSAGE) == expected


@pytest.mark.parametrize(
    "typed", ["²", "٣", "①", "twelve", "", "#", "0", "-1", "1.5", str(MAX_ID + 1), "9" * 40]
)
def test_it_refuses_an_id_that_is_not_one(typed: str) -> None:
    """Superscripts and other scripts' digits (str.isdigit() says yes to some), zero, negatives
    and ids beyond what the database's INTEGER column holds are refused with the same message."""
    with pytest.raises(InputError, match="is not an alert id; say which alert by its number"):
        record_id(typed, NOT_AN_ALERT_ID_ON_ITS_MESSAGE)


def test_a_whole_number_says_its_range() -> None:
    """Out of range names the range; not a number says to write digits."""
    assert whole_number("366", "lead days", high=366) == 366
    with pytest.raises(InputError, match="367 is not in the range 0 to 366 for lead days"):
        whole_number("367", "lead days", high=366)
    with pytest.raises(InputError, match='lead days "²" is not a whole number'):
        whole_number("²", "lead days")
    with pytest.raises(InputError, match="is not in the range"):
        whole_number("9" * 400, "lead days")


@pytest.mark.parametrize("typed", ["-3", "−3", "－３", " -3 "])
def test_a_negative_whole_number_is_said_to_be_negative_with_its_range(typed: str) -> None:
    """A minus (ASCII, Unicode or full-width) is not "not a whole number": it is negative."""
    with pytest.raises(InputError) as raised:
        whole_number(typed, "lead days", high=366)
    assert str(raised.value) == (
        f'lead days "{typed.strip()}" is negative; write a whole number from 0 to 366'
    )


@settings(max_examples=300, deadline=None)
@given(DIGITISH)
def test_any_text_is_an_id_or_a_message(text: str) -> None:
    """Whatever is typed, an id comes back in 1 … MAX_ID or an InputError is raised."""
    try:
        value = record_id(text, NOT_A_SILENCE_ID, "silence list")
    except InputError:
        return
    assert 1 <= value <= MAX_ID


def test_free_text_is_trimmed_and_capped() -> None:
    """A note is stored trimmed, empty is none, and past the cap it is refused, not cut."""
    assert free_text("  supplier deposit \n", "note") == "supplier deposit"
    assert free_text("   ", "note") is None
    assert free_text(None, "note") is None
    assert free_text("x" * MAX_TEXT_CHARS, "note") == "x" * MAX_TEXT_CHARS
    with pytest.raises(InputError, match="note is 2,001 characters long; keep it to 2,000"):
        free_text("x" * (MAX_TEXT_CHARS + 1), "note")
