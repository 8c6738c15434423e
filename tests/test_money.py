"""Money as finance people type it and read it (DESIGN.md, "The money rules")."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.money import (
    FEN,
    MAX_AMOUNT,
    MoneyInputError,
    format_money,
    format_rate,
    money_str,
    parse_amount,
    parse_daily_rate,
    round_fen,
    take_amount,
)

ACCEPTED_AMOUNTS = [
    ("50000", "50000.00"),
    ("50,000.00", "50000.00"),
    ("¥1,200", "1200.00"),
    ("￥1,200.50", "1200.50"),
    ("5万", "50000.00"),
    ("1.5万", "15000.00"),
    ("5万元", "50000.00"),
    ("1亿", "100000000.00"),
    ("50k", "50000.00"),
    ("50K", "50000.00"),
    ("1,200元", "1200.00"),
    ("CNY 1,200", "1200.00"),
    ("RMB1200", "1200.00"),
    ("1200 CNY", "1200.00"),
    ("1200 rmb", "1200.00"),
    ("５０，０００．００", "50000.00"),
    ("５万", "50000.00"),
    ("  899.75\n", "899.75"),
    ("0.5", "0.50"),
    ("0.01", "0.01"),
    ("0.001k", "1.00"),
    ("1.2345万", "12345.00"),
    ("1.23456万", "12345.60"),
    ("1.234567万", "12345.67"),
    ("1,000,000.5", "1000000.50"),
    ("999,999,999,999.99", "999999999999.99"),
]

REFUSED_AMOUNTS = [
    ("", "amount is empty"),
    ("   ", "amount is empty"),
    ("1.234", 'amount "1.234" has more than two decimals'),
    ("1.200", 'amount "1.200" has more than two decimals'),
    ("1.2345678万", 'amount "1.2345678万" (= 12345.678) has more than two decimals'),
    ("-5", 'amount "-5" is negative'),
    ("−5", 'amount "−5" is negative'),
    ("(5)", 'amount "(5)" is negative'),
    ("¥-5", 'amount "¥-5" is negative'),
    ("-¥5", 'amount "-¥5" is negative'),
    ("NaN", 'amount "NaN" is not a number'),
    ("Infinity", 'amount "Infinity" is not a number'),
    ("inf", 'amount "inf" is not a number'),
    ("-inf", 'amount "-inf" is not a number'),
    ("1e5", 'amount "1e5" uses exponent notation'),
    ("1E-2", 'amount "1E-2" uses exponent notation'),
    ("1000000000000", 'amount "1000000000000" is too large'),
    ("10000亿", 'amount "10000亿" is too large'),
    ("1,000,000,000,000.00", "is too large"),
    ("abc", 'amount "abc" is not an amount'),
    ("5 apples", 'amount "5 apples" is not an amount'),
    ("5万k", 'amount "5万k" is not an amount'),
    ("1.2m", 'amount "1.2m" is not an amount'),
    ("$5", 'amount "$5" is not an amount'),
    ("五万", 'amount "五万" is not an amount'),
    ("1,20,0", 'amount "1,20,0" has commas in the wrong places'),
    ("10,00", 'amount "10,00" has commas in the wrong places'),
    ("1,000.00,5", "has commas in the wrong places"),
    ("1.000,50", 'amount "1.000,50" has commas in the wrong places'),
    ("0", 'amount "0" is zero'),
    ("0.00", 'amount "0.00" is zero'),
    ("¥0", 'amount "¥0" is zero'),
    ("0万", 'amount "0万" is zero'),
]

ACCEPTED_RATES = [
    ("0.04%", "0.0004"),
    ("0.0004", "0.0004"),
    ("万4", "0.0004"),
    ("万分之4", "0.0004"),
    ("万1.5", "0.00015"),
    ("０．０４％", "0.0004"),
    ("万４", "0.0004"),
    (" 0.035 % ", "0.00035"),
    ("0.035%/day", "0.00035"),
    ("0.05%/天", "0.0005"),
    ("0", "0"),
    ("0%", "0"),
    ("0.999999%", "0.00999999"),
    ("0.000001%", "0.00000001"),
]

REFUSED_RATES = [
    ("", "daily rate is empty"),
    ("-0.04%", 'daily rate "-0.04%" is negative'),
    ("NaN", 'daily rate "NaN" is not a number'),
    ("inf%", 'daily rate "inf%" is not a number'),
    ("4e-4", 'daily rate "4e-4" uses exponent notation'),
    ("0.05", "did you mean 0.05%?"),
    ("0.01", "did you mean 0.01%?"),
    ("5", "did you mean 万5 (0.05%)?"),
    ("1%", 'daily rate "1%" would be 1.00%/day'),
    ("18%", "if you have an annual rate, divide it by 365"),
    ("万100", "no lender charges 1% a day or more"),
    ("0.0000001%", 'daily rate "0.0000001%" is too precise'),
    ("0.000000001", "is too precise"),
    ("万四", 'daily rate "万四" is not a rate'),
    ("万4%", 'daily rate "万4%" is not a rate'),
    ("four", 'daily rate "four" is not a rate'),
]


@pytest.mark.parametrize(("typed", "expected"), ACCEPTED_AMOUNTS)
def test_it_reads_amounts_as_people_type_them(typed: str, expected: str) -> None:
    """Grouping, currency marks, 万/亿/k and full-width digits all read as exact yuan."""
    amount = parse_amount(typed)

    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(("typed", "fragment"), REFUSED_AMOUNTS)
def test_it_refuses_amounts_that_are_not_money(typed: str, fragment: str) -> None:
    """Each refused amount gets a one-line message naming what was wrong."""
    with pytest.raises(MoneyInputError) as refused:
        parse_amount(typed)

    assert fragment in str(refused.value)
    assert "\n" not in str(refused.value)


def test_it_refuses_more_than_two_decimals() -> None:
    """The message says the fen is the smallest unit and shows what a good amount looks like."""
    with pytest.raises(
        MoneyInputError,
        match=r'^amount "1\.234" has more than two decimals; amounts are in yuan to the fen, '
        r"e\.g\. 1\.23$",
    ):
        parse_amount("1.234")


def test_it_names_the_field_in_the_message() -> None:
    """A caller's field name leads the message, so the person knows which box to fix."""
    with pytest.raises(MoneyInputError, match=r'^repayment "0" is zero'):
        parse_amount("0", what="repayment")


@pytest.mark.parametrize("typed", ["0", "0.00", "¥0", "0万"])
def test_it_accepts_zero_as_a_limit_reading(typed: str) -> None:
    """A frozen line shows a limit of 0, so limit readings may be zero."""
    amount = parse_amount(typed, allow_zero=True)

    assert amount == 0
    assert str(amount) == "0.00"


def test_it_still_refuses_negatives_when_zero_is_allowed() -> None:
    """Allowing zero does not let a negative limit through."""
    with pytest.raises(MoneyInputError, match="is negative"):
        parse_amount("-1", allow_zero=True)


def test_it_refuses_the_first_amount_at_the_absurd_limit() -> None:
    """One trillion itself is refused; one fen below is accepted."""
    below = MAX_AMOUNT - FEN

    assert parse_amount(money_str(below)) == below
    with pytest.raises(MoneyInputError, match="too large"):
        parse_amount(str(MAX_AMOUNT))


def test_it_keeps_every_digit_of_long_numbers() -> None:
    """A stray digit far past the fen is refused, not lost to the 28-digit Decimal context."""
    with pytest.raises(MoneyInputError, match="more than two decimals"):
        parse_amount("1.2345670000000000000000000000001万")


def test_it_quotes_long_input_on_one_line() -> None:
    """Pasted junk is quoted shortened and on one line, so the message stays readable."""
    with pytest.raises(MoneyInputError) as refused:
        parse_amount("abc\ndef " * 6)

    message = str(refused.value)
    assert message.startswith('amount "abc def abc def')
    assert "…" in message
    assert "\n" not in message


def test_a_money_input_error_is_an_input_error() -> None:
    """Callers that handle InputError show money mistakes to the person too."""
    assert issubclass(MoneyInputError, InputError)
    assert issubclass(MoneyInputError, ValueError)


@pytest.mark.parametrize(("typed", "expected"), ACCEPTED_RATES)
def test_it_reads_daily_rates_as_lenders_quote_them(typed: str, expected: str) -> None:
    """Percentages, plain fractions and 万 forms all become an unrounded fraction per day."""
    assert parse_daily_rate(typed) == Decimal(expected)


@pytest.mark.parametrize(("typed", "fragment"), REFUSED_RATES)
def test_it_refuses_daily_rates_that_cannot_be_real(typed: str, fragment: str) -> None:
    """Each refused rate gets a one-line message naming what was wrong."""
    with pytest.raises(MoneyInputError) as refused:
        parse_daily_rate(typed)

    assert fragment in str(refused.value)
    assert "\n" not in str(refused.value)


def test_it_suggests_a_percentage_for_a_plain_rate_that_is_too_big() -> None:
    """Someone who types 0.05 almost certainly meant 0.05 %, and the message says so."""
    with pytest.raises(MoneyInputError, match=r"did you mean 0\.05%\?$"):
        parse_daily_rate("0.05")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("899.7543", "899.75")],
)
def test_it_rounds_halves_up_to_the_fen(value: str, expected: str) -> None:
    """round_fen rounds halves away from zero and always leaves two places."""
    rounded = round_fen(Decimal(value))

    assert rounded == Decimal(expected)
    assert str(rounded) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("899.75", "899.75"),
        ("10000", "10000.00"),
        ("-3.1", "-3.10"),
        ("-0.00", "0.00"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_it_writes_plain_amounts_for_exports(value: str, expected: str) -> None:
    """Exports get two places, no grouping, and never "-0.00"."""
    assert money_str(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("50000", "CNY", "¥50,000.00"),
        ("1234.5", "USD", "$1,234.50"),
        ("1234.5", "EUR", "1,234.50 EUR"),
        ("-3.1", "CNY", "-¥3.10"),
        ("0", "CNY", "¥0.00"),
    ],
)
def test_it_formats_money_for_people(value: str, currency: str, expected: str) -> None:
    """People see grouping and the currency sign they expect."""
    assert format_money(Decimal(value), currency) == expected


@pytest.mark.parametrize("formatter", [money_str, format_money])
def test_it_refuses_to_round_silently_when_formatting(formatter: object) -> None:
    """Formatting a sub-fen amount is a bug upstream: rounding must be explicit."""
    assert callable(formatter)
    with pytest.raises(ValueError, match="round it with round_fen first"):
        formatter(Decimal("899.7543"))


@pytest.mark.parametrize("formatter", [round_fen, money_str, format_money])
def test_it_refuses_floats(formatter: object) -> None:
    """A float never gets near money, not even to be formatted."""
    assert callable(formatter)
    with pytest.raises(TypeError, match="money must be a Decimal"):
        formatter(899.75)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("0.0004", "0.04%/day"),
        ("0.00035", "0.035%/day"),
        ("0.000400", "0.04%/day"),
        ("0", "0.00%/day"),
        ("0.005", "0.50%/day"),
        ("0.00000001", "0.000001%/day"),
    ],
)
def test_it_formats_daily_rates_as_percentages(rate: str, expected: str) -> None:
    """Rates show as percent per day with at least two decimals and no needless zeros."""
    assert format_rate(Decimal(rate)) == expected


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.0099"), places=8))
def test_a_formatted_rate_reads_back_as_the_same_rate(rate: Decimal) -> None:
    """What format_rate shows, parse_daily_rate reads back unchanged."""
    assert parse_daily_rate(format_rate(rate)) == rate


@given(
    st.decimals(
        min_value=Decimal("0.01"),
        max_value=Decimal("100000000000"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_formatted_amount_reads_back_as_the_same_amount(amount: Decimal) -> None:
    """What format_money and money_str write, parse_amount reads back unchanged."""
    assert parse_amount(format_money(amount)) == amount
    assert parse_amount(money_str(amount)) == amount


@pytest.mark.parametrize("typed", ["²", "٣٠٠", "①", "³⁰⁰", "3²"])
def test_superscripts_and_other_scripts_digits_are_not_amounts(typed: str) -> None:
    """Only ASCII and full-width digits are money: "²" is not ¥2.00, though isdigit() says so."""
    with pytest.raises(MoneyInputError, match="is not an amount"):
        parse_amount(typed)


@pytest.mark.parametrize(
    "typed", ["123456789012345678901234567890", "123456789012345678901234567890%", "9" * 60 + "%"]
)
def test_a_rate_of_thirty_digits_is_refused_with_a_message(typed: str) -> None:
    """An absurd rate is refused as too high; writing it out does not overflow the context."""
    with pytest.raises(MoneyInputError, match="no lender charges 1% a day or more"):
        parse_daily_rate(typed)


@pytest.mark.parametrize(
    ("words", "expected", "after"),
    [
        (["3", "万"], "30000.00", 2),
        (["2", "k"], "2000.00", 2),
        (["2", "K", "note"], "2000.00", 2),
        (["1.5", "万元"], "15000.00", 2),
        (["1.5", "万", "元"], "15000.00", 2),
        (["300", "元", "early"], "300.00", 2),
        (["¥", "300"], "300.00", 2),
        (["CNY", "100", "RMB"], "100.00", 3),
        (["５", "万"], "50000.00", 2),
        (["5万", "2026-12-01"], "50000.00", 1),
        (["7", "-2026-12-01"], "7.00", 1),
        (["7", "万能", "note"], "7.00", 1),
    ],
)
def test_a_unit_typed_apart_belongs_to_the_amount(words: list[str], expected: str, after: int):
    """A command arrives split at spaces; "3 万" is still ¥30,000.00, and the next word is next."""
    assert take_amount(words) == (Decimal(expected), after)


def test_taking_an_amount_reads_what_the_form_reads() -> None:
    """The words joined are exactly what parse_amount reads in a form's field."""
    for typed in ("5 万", "¥ 300", "1.5 万元", "2 k"):
        assert take_amount(typed.split()) == (parse_amount(typed), len(typed.split()))


def test_a_missing_amount_says_so() -> None:
    """No word left where the amount should be is a message, not an IndexError."""
    with pytest.raises(MoneyInputError, match="available is missing"):
        take_amount(["200k", "available"], 2, what="available")


def outcome(parse: Callable[[], Decimal]) -> tuple[Decimal | None, str]:
    """What a parser made of some text: (the value, "") or (None, the message it refused with)."""
    try:
        return parse(), ""
    except MoneyInputError as refused:
        return None, str(refused)


TYPED_MONEY = st.one_of(
    st.text(max_size=70),
    st.text(alphabet="0123456789.,%万亿kK¥￥元-−() e²٣１２３，．CNYRMB人民币分之/天", max_size=70),
)


@settings(max_examples=500, deadline=None)
@given(TYPED_MONEY)
def test_any_text_is_an_amount_or_a_message(text: str) -> None:
    """Whatever is typed, an amount comes back to the fen and below a trillion, or a
    MoneyInputError says why; never a decimal or index error from deeper down."""
    amount, refused = outcome(lambda: parse_amount(text, allow_zero=True))
    if amount is None:
        assert "\n" not in refused
    else:
        assert amount == amount.quantize(FEN)
        assert 0 <= amount < MAX_AMOUNT


@settings(max_examples=500, deadline=None)
@given(TYPED_MONEY)
def test_any_text_is_a_daily_rate_or_a_message(text: str) -> None:
    """Whatever is typed, a rate below 1 % a day comes back, or a MoneyInputError says why."""
    rate, refused = outcome(lambda: parse_daily_rate(text))
    if rate is None:
        assert "\n" not in refused
    else:
        assert 0 <= rate < Decimal("0.01")


@settings(max_examples=300, deadline=None)
@given(st.lists(TYPED_MONEY, max_size=4), st.integers(min_value=0, max_value=5))
def test_any_words_are_an_amount_or_a_message(words: list[str], start: int) -> None:
    """The tokenizer, like the parser, answers any words with an amount or a MoneyInputError."""
    try:
        _amount, after = take_amount(words, start, allow_zero=True)
    except MoneyInputError:
        return
    assert start < after <= min(start + 3, len(words))
