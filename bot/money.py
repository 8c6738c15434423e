"""Money as finance people type it and read it: parsing, rounding and formatting.

Amounts are ``Decimal`` yuan with exactly two places (fen); rates are ``Decimal`` fractions per
day. Nothing here touches float. Parsing raises :class:`MoneyInputError` with a one-line message
that names the field, quotes what was typed and says how to fix it.

Scaling by 万, 亿 or k shifts the decimal exponent of the typed number instead of multiplying,
so the result is exact however many digits were typed (``Decimal`` multiplication would round
to the context precision of 28 digits and could hide a stray digit).
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

from bot.errors import InputError
from bot.i18n import N_, _
from bot.typed import fold_width, quote

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")  # one trillion yuan: at or above this, a typo is likelier.

# A daily rate of 1 % is 365 % a year: no lender charges that, so it is a typo or an annual rate.
_MAX_DAILY_RATE = Decimal("0.01")
_MAX_RATE_PLACES = 8
_MAX_INPUT_CHARS = 64
_QUOTE_CHARS = 40

# Marked for the catalogs, translated where a message shows them: `_(_AMOUNT_EXAMPLES)`.
_AMOUNT_EXAMPLES = N_("50000, 50,000.00, ¥1,200, 5万 or 50k")
_RATE_EXAMPLES = N_("0.04%, 0.0004 or 万4")

# Powers of ten for the multipliers people type after an amount.
_UNIT_SHIFT = {"k": 3, "万": 4, "亿": 8}

_AMOUNT = re.compile(
    r"""
    (?:(?:¥|CNY|RMB|人民币)\s*)?                  # currency before the number
    (?P<number>[0-9][0-9,]*(?:\.[0-9,]+)?|\.[0-9]+)  # commas are checked apart
    \s*(?P<unit>[k万亿])?                         # at most one multiplier
    \s*(?:元|CNY|RMB)?                            # currency after the number
    """,
    re.IGNORECASE | re.VERBOSE,
)
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_NEGATIVE = re.compile(r"\(.*\)|(?:¥|CNY|RMB|人民币)?\s*[-−]", re.IGNORECASE)
_EXPONENT = re.compile(r"[0-9.]e[-+−]?[0-9]", re.IGNORECASE)
_DECORATION = re.compile(r"[\s¥+\-−()%元]|CNY|RMB|人民币|万分之|万", re.IGNORECASE)
_NOT_A_NUMBER = {"nan", "snan", "qnan", "inf", "infinity", "∞"}
# Typed apart from the number, these still belong to it: "¥ 300", "3 万", "1.5 万元", "2 k".
_CURRENCY_WORD = re.compile(r"¥|CNY|RMB|人民币", re.IGNORECASE)
_UNIT_WORD = re.compile(r"[k万亿]\s*(?:元|CNY|RMB)?|元|CNY|RMB", re.IGNORECASE)

_ANNUAL_EXAMPLES = N_("3.5%, 0.035 or 3.5%/year")
# 100 % a year: no credit line charges that; a typo, or a daily rate in the wrong option.
_MAX_ANNUAL_RATE = Decimal(1)
_ANNUAL_RATE = re.compile(
    r"""
    (?:年化|年利率)?\s*
    (?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
    \s*(?P<percent>%)?
    (?:\s*(?:/\s*(?:year|yr|y|年)|p\.?a\.?|per\s+year|a\s+year))?
    """,
    re.IGNORECASE | re.VERBOSE,
)

_RATE = re.compile(
    r"""
    (?P<wan>万分之|万)?\s*                        # 万4 and 万分之4 mean 4 in ten thousand
    (?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
    \s*(?P<percent>%)?
    (?:\s*(?:/\s*(?:day|d|天|日)|per\s+day))?    # "0.04%/day", as format_rate writes it
    """,
    re.IGNORECASE | re.VERBOSE,
)


class MoneyInputError(InputError):
    """An amount or rate a person typed that cannot be taken as money: the message says why."""


def round_fen(value: Decimal) -> Decimal:
    """Round to the fen (0.01), halves away from zero."""
    _require_decimal(value)
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_amount(text: str, *, allow_zero: bool = False, what: str = N_("amount")) -> Decimal:
    """Read an amount of yuan as a person types it; the result has exactly two places.

    `what` names the field in a message (an English text marked with N_, translated here)."""
    normalized = fold_width(text).strip()
    words = {"what": _(what), "typed": _quote(text), "examples": _(_AMOUNT_EXAMPLES)}
    if not normalized:
        raise MoneyInputError(
            _("{what} is empty; enter an amount in yuan, e.g. {examples}").format(**words)
        )
    if len(normalized) > _MAX_INPUT_CHARS:
        raise MoneyInputError(
            _("{what} {typed} is too long to be an amount; enter yuan, e.g. {examples}").format(
                **words
            )
        )
    _refuse_special_numbers(normalized, what, words["typed"], _AMOUNT_EXAMPLES)
    if _NEGATIVE.match(normalized):
        raise MoneyInputError(
            _("{what} {typed} is negative; enter the amount without a sign, e.g. 1,200.00").format(
                **words
            )
        )
    match = _AMOUNT.fullmatch(normalized)
    if match is None:
        raise MoneyInputError(
            _("{what} {typed} is not an amount; write yuan like {examples}").format(**words)
        )
    number_text = match["number"]
    if "," in number_text and not _GROUPED.fullmatch(number_text):
        raise MoneyInputError(
            _(
                "{what} {typed} has commas in the wrong places; commas go between groups of "
                "three digits and a point marks the fen, e.g. 1,200,000.50"
            ).format(**words)
        )
    unit = (match["unit"] or "").lower()
    value = _shift(Decimal(number_text.replace(",", "")), _UNIT_SHIFT.get(unit, 0))
    if value >= MAX_AMOUNT:
        raise MoneyInputError(
            _(
                "{what} {typed} is too large (a trillion yuan or more); check the number of digits"
            ).format(**words)
        )
    # Without a multiplier, "1.200" is refused too: it may be a European 1,200.
    fraction_digits = len(number_text.partition(".")[2])
    if value != value.quantize(FEN) or (not unit and fraction_digits > 2):
        said = (
            _(
                "{what} {typed} (= {value}) has more than two decimals; amounts are in yuan to "
                "the fen, e.g. 1.23"
            )
            if unit
            else _(
                "{what} {typed} has more than two decimals; amounts are in yuan to the fen, "
                "e.g. 1.23"
            )
        )
        raise MoneyInputError(said.format(value=f"{value:f}", **words))
    if value == 0 and not allow_zero:
        raise MoneyInputError(
            _("{what} {typed} is zero; enter an amount above 0.00, e.g. 1,200.00").format(**words)
        )
    return value.quantize(FEN)


def check_amount(value: Decimal, *, what: str = N_("amount"), allow_zero: bool = False) -> Decimal:
    """An amount that came as a number rather than typed (the API, a recorder's argument),
    held to :func:`parse_amount`'s rules: not negative (nor "-0"), to the fen, below a
    trillion, and zero only where `allow_zero`."""
    _require_decimal(value)
    words = {"what": _(what), "typed": f'"{value}"'}
    if value.is_signed():
        raise MoneyInputError(
            _("{what} {typed} is negative; send the amount without a sign").format(**words)
        )
    if value >= MAX_AMOUNT:
        raise MoneyInputError(
            _(
                "{what} {typed} is too large (a trillion yuan or more); check the number of digits"
            ).format(**words)
        )
    if value != value.quantize(FEN):
        raise MoneyInputError(
            _("{what} {typed} has more than two decimals; amounts are to the fen").format(**words)
        )
    if value == 0 and not allow_zero:
        raise MoneyInputError(
            _("{what} {typed} is zero; it must be more than zero").format(**words)
        )
    return value.quantize(FEN)


def _rate_text(text: str, what: str, per: str, examples: str) -> tuple[str, str]:
    """A typed rate folded to ASCII and trimmed, with its quoted form for messages; refused when
    empty, too long, or a special number (NaN, infinity, an exponent)."""
    normalized = fold_width(text).strip()
    typed = _quote(text)
    words = {"what": _(what), "typed": typed, "examples": _(examples)}
    if not normalized:
        said = (
            _("{what} is empty; enter the rate per day, e.g. {examples}")
            if per == "day"
            else _("{what} is empty; enter the rate per year, e.g. {examples}")
        )
        raise MoneyInputError(said.format(**words))
    if len(normalized) > _MAX_INPUT_CHARS:
        said = (
            _("{what} {typed} is too long to be a rate; enter the rate per day, e.g. {examples}")
            if per == "day"
            else _(
                "{what} {typed} is too long to be a rate; enter the rate per year, e.g. {examples}"
            )
        )
        raise MoneyInputError(said.format(**words))
    _refuse_special_numbers(normalized, what, typed, examples)
    return normalized, typed


def parse_daily_rate(text: str) -> Decimal:
    """Read a daily interest rate (0.04%, 0.0004, 万4) as an unrounded fraction per day."""
    what = N_("daily rate")
    normalized, typed = _rate_text(text, what, "day", _RATE_EXAMPLES)
    words = {"what": _(what), "typed": typed, "examples": _(_RATE_EXAMPLES)}
    if re.match(r"(?:万分之|万)?\s*[-−]", normalized):
        raise MoneyInputError(
            _(
                "{what} {typed} is negative; enter the rate without a sign, e.g. 0.04% (0 is "
                "fine for an interest-free line)"
            ).format(**words)
        )
    match = _RATE.fullmatch(normalized)
    if match is None or (match["wan"] and match["percent"]):
        raise MoneyInputError(
            _("{what} {typed} is not a rate; write the rate per day like {examples}").format(
                **words
            )
        )
    number = Decimal(match["number"])
    if match["wan"]:
        rate = _shift(number, -4)
    elif match["percent"]:
        rate = _shift(number, -2)
    else:
        rate = number
    if rate >= _MAX_DAILY_RATE:
        raise MoneyInputError(_implausible_rate_message(typed, match, number, rate))
    rate = rate.normalize()
    if -rate.as_tuple().exponent > _MAX_RATE_PLACES:
        raise MoneyInputError(
            _(
                "{what} {typed} is too precise; a daily rate has at most {places} decimal places "
                "as a fraction ({percent_places} after the point in a percentage), e.g. 0.035%"
            ).format(places=_MAX_RATE_PLACES, percent_places=_MAX_RATE_PLACES - 2, **words)
        )
    return rate


def parse_annual_rate(text: str) -> Decimal:
    """Read an annual interest rate (3.5%, 0.035, 3.5%/year) as an unrounded fraction per year."""
    what = N_("annual rate")
    normalized, typed = _rate_text(text, what, "year", _ANNUAL_EXAMPLES)
    words = {"what": _(what), "typed": typed, "examples": _(_ANNUAL_EXAMPLES)}
    if re.match(r"(?:年化|年利率)?\s*[-−]", normalized):
        raise MoneyInputError(
            _("{what} {typed} is negative; enter the rate without a sign, e.g. 3.5%").format(
                **words
            )
        )
    match = _ANNUAL_RATE.fullmatch(normalized)
    if match is None:
        raise MoneyInputError(
            _("{what} {typed} is not a rate; write the rate per year like {examples}").format(
                **words
            )
        )
    number = Decimal(match["number"])
    rate = _shift(number, -2) if match["percent"] else number
    if rate >= _MAX_ANNUAL_RATE:
        said = (
            _(
                "{what} {typed} would be {percent}% a year, and no lender charges 100% a year "
                "or more"
            )
            if match["percent"]
            else _(
                "{what} {typed} would be {percent}% a year, and no lender charges 100% a year "
                "or more; did you mean {number}%?"
            )
        )
        raise MoneyInputError(
            said.format(percent=f"{_shift(rate, 2).normalize():f}", number=match["number"], **words)
        )
    rate = rate.normalize()
    if -rate.as_tuple().exponent > _MAX_RATE_PLACES:
        raise MoneyInputError(
            _(
                "{what} {typed} is too precise; an annual rate has at most {places} decimal "
                "places as a fraction ({percent_places} after the point in a percentage), "
                "e.g. 3.4875%"
            ).format(places=_MAX_RATE_PLACES, percent_places=_MAX_RATE_PLACES - 2, **words)
        )
    return rate


def amount_words(words: Sequence[str], start: int = 0) -> int:
    """How many of the words from `start` on make up one amount (1 to 3).

    A command line arrives split at spaces, but "3 万" is thirty thousand, not 3 and a note
    saying 万: a currency mark typed apart before the number ("¥ 300", "CNY 100") and a unit or
    currency typed apart after it ("3 万", "2 k", "1.5 万元", "300 元") belong to the amount.
    """
    end = start + 1
    if end < len(words) and _CURRENCY_WORD.fullmatch(fold_width(words[start]).strip()):
        end += 1
    if end < len(words) and _UNIT_WORD.fullmatch(fold_width(words[end]).strip()):
        end += 1
    return min(end, len(words)) - start


def take_amount(
    words: Sequence[str], start: int = 0, *, allow_zero: bool = False, what: str = N_("amount")
) -> tuple[Decimal, int]:
    """The amount at `words[start]` (with its unit, see :func:`amount_words`) and the index of
    the word after it. The words are joined with one space and read by :func:`parse_amount`,
    so "5 万" in a command and "5 万" in a form are the same ¥50,000.00."""
    if start >= len(words):
        raise MoneyInputError(
            _("{what} is missing; enter an amount in yuan, e.g. {examples}").format(
                what=_(what), examples=_(_AMOUNT_EXAMPLES)
            )
        )
    end = start + amount_words(words, start)
    return parse_amount(" ".join(words[start:end]), allow_zero=allow_zero, what=what), end


def money_str(value: Decimal) -> str:
    """Write a fen-exact amount plainly for exports: "10000.00", "-3.10", no grouping."""
    return f"{_exact_fen(value):f}"


def format_money(value: Decimal, currency: str = "CNY") -> str:
    """Write a fen-exact amount for people: ¥50,000.00, $1,234.50 or 1,234.50 EUR."""
    amount = _exact_fen(value)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    code = currency.upper()
    if code in ("CNY", "RMB"):
        return f"{sign}¥{digits}"
    if code == "USD":
        return f"{sign}${digits}"
    return f"{sign}{digits} {code}"


def format_rate(rate: Decimal) -> str:
    """Write a daily rate fraction as a percentage: 0.0004 is "0.04%/day"."""
    _require_decimal(rate)
    if not rate.is_finite():
        raise ValueError(f"a rate must be a finite Decimal, got {rate!r}")
    # Enough precision for every digit, so an absurd rate (one being refused) is still written
    # out instead of overflowing the 28-digit default context.
    with localcontext() as context:
        context.prec = max(context.prec, len(rate.as_tuple().digits) + abs(rate.adjusted()) + 4)
        percent = _shift(rate, 2).normalize()
        if percent.as_tuple().exponent > -2:
            percent = percent.quantize(FEN)
    return f"{percent:f}%/day"


def said_rate(rate: Decimal) -> str:
    """A daily rate as a reader reads it, in their language: "0.04%/day", 日利率 0.04%. The
    number is format_rate's (exports keep that form); the words around it are translated."""
    return _("{percent}%/day").format(percent=format_rate(rate).partition("%")[0])


def format_annual_rate(rate: Decimal, basis: int) -> str:
    """Write an annual rate fraction and its year: 0.035 on 360 is "3.5%/year (360-day year)"."""
    _require_decimal(rate)
    if not rate.is_finite():
        raise ValueError(f"a rate must be a finite Decimal, got {rate!r}")
    percent = _shift(rate, 2).normalize()
    if percent.as_tuple().exponent > -1:
        percent = percent.quantize(Decimal("0.1"))
    return f"{percent:f}%/year ({basis}-day year)"


def _shift(number: Decimal, places: int) -> Decimal:
    """Multiply by 10**places exactly, by moving the exponent (no rounding to the context)."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int), "only finite numbers are shifted"
    return Decimal((sign, digits, exponent + places))


def _exact_fen(value: Decimal) -> Decimal:
    """Return the value with two places, refusing one that would need rounding to get there."""
    _require_decimal(value)
    if not value.is_finite():
        raise ValueError(f"an amount must be a finite Decimal, got {value!r}")
    fen = value.quantize(FEN)
    if fen != value:
        # Rounding is a money rule (DESIGN.md "The money rules"), not a formatting side effect.
        raise ValueError(f"{value!r} is not a whole number of fen; round it with round_fen first")
    return fen if fen != 0 else abs(fen)  # no "-0.00" in exports


def _require_decimal(value: object) -> None:
    """Refuse floats and anything else that is not a Decimal, before it reaches the money."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(value).__name__} {value!r}")


def _refuse_special_numbers(normalized: str, what: str, typed: str, examples: str) -> None:
    """Refuse NaN, infinities and exponent notation with a message about that, not a generic one."""
    words = {"what": _(what), "typed": typed, "examples": _(examples)}
    if _DECORATION.sub("", normalized).casefold() in _NOT_A_NUMBER:
        raise MoneyInputError(
            _("{what} {typed} is not a number; write digits like {examples}").format(**words)
        )
    if _EXPONENT.search(normalized):
        raise MoneyInputError(
            _("{what} {typed} uses exponent notation; write the digits out like {examples}").format(
                **words
            )
        )


def _implausible_rate_message(
    typed: str, match: re.Match[str], number: Decimal, rate: Decimal
) -> str:
    """Say why a daily rate of 1 % or more was refused and what was probably meant."""
    words = {
        "typed": typed,
        "rate": said_rate(rate),
        "number": match["number"],
        "percent": f"{_shift(number, -2):f}",
    }
    if not match["wan"] and not match["percent"]:
        if number < 1:
            return _(
                "daily rate {typed} would be {rate}, and no lender charges 1% a day or more; "
                "did you mean {number}%?"
            ).format(**words)
        if number < 10:  # 万4 is how lenders quote; 18 is more likely an annual percentage.
            return _(
                "daily rate {typed} would be {rate}, and no lender charges 1% a day or more; "
                "did you mean 万{number} ({percent}%)?"
            ).format(**words)
    return _(
        "daily rate {typed} would be {rate}, and no lender charges 1% a day or more; enter the "
        "rate per day, e.g. 0.04% (if you have an annual rate, divide it by 365: 14.6% a year "
        "is 0.04% a day)"
    ).format(**words)


def _quote(text: str) -> str:
    """Quote what the person typed on one line, shortened if long."""
    return f'"{quote(text, _QUOTE_CHARS)}"'
