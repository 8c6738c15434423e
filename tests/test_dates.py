"""Dates and times as people type them, and the span of dates loanwatch keeps (bot/dates.py)."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import (
    EARLIEST,
    LATEST,
    check_date,
    check_time,
    looks_like_date,
    parse_date,
    parse_time,
    take_date,
)
from bot.errors import InputError

TYPED_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-/:T +Z.２０１９－／²٣", max_size=30),
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-10", date(2026, 12, 10)),
        ("2026-1-5", date(2026, 1, 5)),
        ("2026/12/10", date(2026, 12, 10)),
        ("2026/1/5", date(2026, 1, 5)),
        (" 2026-12-10\n", date(2026, 12, 10)),
        ("２０２６－１２－１０", date(2026, 12, 10)),
        ("2000-01-01", EARLIEST),
        ("2100-12-31", LATEST),
    ],
)
def test_it_reads_dates_as_people_type_them(typed: str, expected: date) -> None:
    """ISO, slashes (Excel's way) and full-width digits all read as the same date."""
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "due date is empty"),
        ("2026-02-30", 'due date "2026-02-30" is not a date; write it as YYYY-MM-DD'),
        ("20261210", 'due date "20261210" is not a date'),
        ("2026-W50-1", "is not a date"),
        ("2026-12-10T09:00", "is not a date"),
        ("²⁰²⁶-¹²-¹⁰", "is not a date"),
        ("٢٠٢٦-١٢-١٠", "is not a date"),
        ("0001-01-01", "due date 0001-01-01 is outside the dates loanwatch keeps"),
        ("1999-12-31", "(2000-01-01 to 2100-12-31); check the year"),
        ("2101-01-01", "due date 2101-01-01 is outside"),
        ("9999-12-31", "is outside"),
    ],
)
def test_it_refuses_what_is_not_a_date_it_believes(typed: str, says: str) -> None:
    """Impossible days, other scripts' digits and years outside 2000-2100 are refused."""
    with pytest.raises(InputError) as refused:
        parse_date(typed, "due date")

    assert says in str(refused.value)


def test_the_bounds_hold_for_dates_that_were_never_typed() -> None:
    """A caller that skips the parser is refused by the same rule, for dates and for times."""
    assert check_date(EARLIEST) == EARLIEST
    assert check_date(LATEST) == LATEST
    with pytest.raises(InputError, match="draw date 1999-12-31 is outside"):
        check_date(EARLIEST - timedelta(days=1), "draw date")
    with pytest.raises(InputError, match="is outside"):
        check_date(date.min)
    with pytest.raises(InputError, match="observation time 2101-01-01T00:00:00"):
        check_time(datetime(2101, 1, 1, tzinfo=UTC), "observation time")
    assert check_time(datetime(2100, 12, 31, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01 09:30", datetime(2026, 12, 1, 9, 30)),  # noqa: DTZ001 - naive on purpose
        ("2026-12-01T09:30", datetime(2026, 12, 1, 9, 30)),  # noqa: DTZ001
        ("2026/12/1 9:30", datetime(2026, 12, 1, 9, 30)),  # noqa: DTZ001
        ("2026-12-01T09:30:15", datetime(2026, 12, 1, 9, 30, 15)),  # noqa: DTZ001
        (
            "2026-12-01T09:30:00+08:00",
            datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("2026-12-01T01:30Z", datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
        ("2026-12-01 09:30+0800", datetime(2026, 12, 1, 1, 30, tzinfo=UTC)),
    ],
)
def test_it_reads_times_with_or_without_an_offset(typed: str, expected: datetime) -> None:
    """Without an offset a time comes back naive, for the caller's zone; with one, aware."""
    moment = parse_time(typed)

    assert moment == expected
    assert (moment.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2026-12-01", 'observed at "2026-12-01" has no time of day'),
        ("yesterday 9:00", 'observed at "yesterday 9:00" is not a time'),
        ("2026-12-01T25:00", "is not a time"),
        # An impossible date is not a date, whether or not a time of day follows it.
        ("2026-13-01", 'observed at "2026-13-01": 2026-13-01 is not a date'),
        ("2026-02-30T10:00", 'observed at "2026-02-30T10:00": 2026-02-30 is not a date'),
        ("2026/2/30 9:30", "2026/2/30 is not a date"),
        ("2026-12-01T09:30+99:00", "is not a time"),
        ("0001-01-01T00:00", "observed at 0001-01-01T00:00:00 is outside"),
        ("9999-12-31T23:00+00:00", "is outside"),
    ],
)
def test_it_refuses_what_is_not_a_time_it_believes(typed: str, says: str) -> None:
    """A date alone, nonsense, an impossible hour or offset, and times outside 2000-2100."""
    with pytest.raises(InputError) as refused:
        parse_time(typed, "observed at")

    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("word", "meant_as_a_date"),
    [
        ("2026-12-01", True),
        ("-2026-12-01", True),
        ("2026/12/1", True),
        ("1/2", True),
        ("２０２６－１２－０１", True),
        ("20261201", True),
        ("２０２６１２０１", True),
        ("12345678", False),
        ("202612011", False),
        ("7", False),
        ("2nd", False),
        ("-", False),
        ("-5", False),
        ("early", False),
    ],
)
def test_a_word_meant_as_a_date_is_told_from_a_note(word: str, meant_as_a_date: bool) -> None:
    """It starts like a number and has a date separator after its first character, or it is
    eight digits that make a calendar date."""
    assert looks_like_date(word) is meant_as_a_date


def test_a_date_without_dashes_is_refused_with_the_form_to_use() -> None:
    """`20261201` where a date may stand: refused, saying how to write it, not a note."""
    with pytest.raises(InputError, match=r"write dates as YYYY-MM-DD \(2026-12-01\)"):
        take_date(["20261201", "early"], 0, "payment date")
    with pytest.raises(InputError, match="write dates as YYYY-MM-DD"):
        parse_date("20261201", "due date")


def test_taking_a_date_refuses_one_that_is_mistyped() -> None:
    """`-2026-12-01` after an amount is a mistyped date, refused, not the start of a note."""
    assert take_date(["2026-12-01", "early"], 0) == (date(2026, 12, 1), 1)
    assert take_date(["paid", "early"], 0) == (None, 0)
    assert take_date([], 0) == (None, 0)
    with pytest.raises(InputError, match='payment date "-2026-12-01" is not a date'):
        take_date(["-2026-12-01"], 0, "payment date")


@settings(max_examples=300, deadline=None)
@given(TYPED_TEXT)
def test_any_text_is_a_date_in_the_span_or_a_message(text: str) -> None:
    """Whatever is typed, the date parser returns a date from 2000 to 2100 or an InputError."""
    try:
        day = parse_date(text)
    except InputError:
        return
    assert EARLIEST <= day <= LATEST


@settings(max_examples=300, deadline=None)
@given(TYPED_TEXT)
def test_any_text_is_a_time_in_the_span_or_a_message(text: str) -> None:
    """Whatever is typed, the time parser returns a time from 2000 to 2100 or an InputError."""
    try:
        moment = parse_time(text)
    except InputError:
        return
    assert EARLIEST <= moment.date() <= LATEST


HALF_PAST_MIDNIGHT_IN_KIRIBATI = datetime(2000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=14)))


def test_a_moment_is_in_the_span_by_its_date_where_it_is_read() -> None:
    """00:30 on 2000-01-01 at +14:00 is 1999-12-31 in Shanghai: refused there, kept in
    Kiribati's own zone, and a moment at the calendar's edge is refused, not an overflow."""
    shanghai, kiribati = ZoneInfo("Asia/Shanghai"), ZoneInfo("Pacific/Kiritimati")
    with pytest.raises(InputError, match=r"\(1999-12-31 18:30 in Asia/Shanghai\) is outside"):
        check_time(HALF_PAST_MIDNIGHT_IN_KIRIBATI, zone=shanghai)
    assert check_time(HALF_PAST_MIDNIGHT_IN_KIRIBATI, zone=kiribati)
    edge = datetime(1, 1, 1, tzinfo=UTC)
    with pytest.raises(InputError, match=r"0001-01-01T00:00:00\+00:00 is outside"):
        check_time(edge, zone=ZoneInfo("America/New_York"))
