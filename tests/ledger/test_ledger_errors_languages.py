"""The ledger's refusals in the reader's language: a Chinese reader gets each in Chinese, with
what was typed and the numbers in it, and under the pseudo-locale no English escapes the
catalogs (docs/languages.md).

One representative refusal from each module that raises them, called directly under `use(...)`;
tests/cli/test_cli_ledger_errors_languages.py says a few of them end to end, at the terminal.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from bot.digest.cashflow import cashflow_rows, check_weeks
from bot.errors import InputError, NotFoundError
from bot.i18n import EN, PSEUDO, ZH, use
from bot.ledger.facilities import parse_thresholds
from bot.ledger.importer import import_file
from bot.ledger.reading_schedule import DAILY, WEEKDAYS, WORKDAYS, parse_schedule
from bot.ledger.repayments.payoff import month_end
from bot.ledger.replan import replan_draws
from bot.ledger.schedule import (
    DayCount,
    InterestRate,
    RepaymentMethod,
    accrued_interest,
    add_months_clamped,
    plan_remaining,
)
from bot.ledger.schedule.conventions import as_rate
from bot.ledger.schedule.timetable import check_months
from bot.ledger.terms import checked_rate, parse_penalty
from bot.models import FACILITY_THRESHOLDS
from tests.support.pseudo import unmarked

RATE = Decimal("0.0004")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _plan(dates: list[date], **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "principal": Decimal("5000.00"),
        "daily_rate": RATE,
        "accrual_start": date(2026, 5, 20),
        "dates": dates,
        "method": RepaymentMethod.EQUAL_INSTALLMENT,
        "day_count": DayCount.THIRTY,
        "first_seq": 1,
        "full_first_period": False,
    }
    plan_remaining(**{**arguments, **overrides})


def _replan_a_draw_it_does_not_have() -> None:
    # The refusal comes before the database is read: a facility with no draws is enough.
    facility: Any = SimpleNamespace(slug="jb", draws=[])
    replan_draws(None, None, facility, None, now=NOW, draw_id=9)  # type: ignore[arg-type]


def _import_with_a_mapping_and_a_format() -> None:
    # Refused before the database or the file is read.
    import_file(None, None, None, b"", fmt="csv", mapping="cmb-bills", now=NOW)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Refusal:
    """A refusal: how to cause it, the Chinese words a reader sees, and the data it carries
    (what was typed, numbers), which is the same in every language."""

    module: str
    cause: Callable[[], object]
    chinese: tuple[str, ...]
    data: tuple[str, ...]
    english: str  # a piece of the English, to show it is the same refusal in English


REFUSALS = [
    Refusal(
        "schedule",
        lambda: accrued_interest(Decimal("-1.00"), RATE, date(2026, 1, 1), date(2026, 2, 1)),
        ("本金", "不能为负数"),
        ("-1.00",),
        "The principal cannot be negative (got -1.00).",
    ),
    Refusal(
        "schedule",
        lambda: accrued_interest(Decimal("1.00"), RATE, date(2026, 3, 1), date(2026, 2, 1)),
        ("计息不能倒着算", "2026年2月1日（周日）早于2026年3月1日（周日）"),
        (),
        "Interest cannot accrue backwards: 2026-02-01 is before 2026-03-01.",
    ),
    Refusal(
        "schedule",
        lambda: _plan([date(2026, 7, 10), date(2026, 6, 10)]),
        ("到期日必须逐个递增", "2026年6月10日"),
        (),
        "Due dates must strictly increase: 2026-06-10 follows 2026-07-10.",
    ),
    Refusal(
        "schedule",
        lambda: _plan([]),
        ("还款计划至少要有一个到期日",),
        (),
        "A schedule needs at least one due date.",
    ),
    Refusal(
        "conventions",
        lambda: _plan([date(2026, 6, 10)], method="balloon"),
        ("还款方式", "可选"),
        ("'balloon'", "equal-installment，equal-principal"),
        "Unknown repayment method 'balloon'; use one of: equal-installment, equal-principal",
    ),
    Refusal(
        "conventions",
        lambda: as_rate(InterestRate.annual(Decimal("-0.035"), 360)),
        ("年利率", "不能为负数"),
        ("-0.035",),
        "The annual rate cannot be negative (got -0.035).",
    ),
    Refusal(
        "timetable",
        lambda: add_months_clamped(date(2026, 1, 31), 1, 32),
        ("日期", "每月中的某一天"),
        ("32",),
        "The day must be a day of the month, 1 to 31 (got 32).",
    ),
    Refusal(
        "timetable",
        lambda: check_months(361),
        ("期限", "个月"),
        ("360", "361"),
        "The term must be 1 to 360 months (got 361).",
    ),
    Refusal(
        "terms",
        lambda: checked_rate(RATE, Decimal("0.035"), None),
        ("日利率和年利率只能给一个",),
        (),
        "give a daily rate or an annual rate, not both",
    ),
    Refusal(
        "terms",
        lambda: parse_penalty("lots"),
        ("罚息倍数", "不是数字"),
        ("'lots'", "1.5x"),
        "penalty rate 'lots' is not a number",
    ),
    Refusal(
        "facilities",
        lambda: parse_thresholds({"limit_drop_percent": "500"}),
        ("阈值", "百分比"),
        ("limit_drop_percent", "500"),
        "threshold limit_drop_percent is a percentage from 1 to 100, not 500",
    ),
    Refusal(
        "facilities",
        lambda: parse_thresholds({"nope": "5"}),
        ("没有阈值", "可设置的阈值有"),
        ("'nope'", "bill_lead_days，bill_grace_hours"),
        "unknown threshold 'nope'; a facility can set ",
    ),
    Refusal(
        "reading_schedule",
        lambda: parse_schedule("mon,mon 09:00"),
        ("额度读数计划", "写了两次"),
        ("'mon,mon 09:00'",),
        "readings 'mon,mon 09:00' names mon twice",
    ),
    Refusal(
        "reading_schedule",
        lambda: parse_schedule("daily 24:00"),
        ("不是有效时刻",),
        ("24:00", "00:00", "23:59"),
        "24:00 is not a time of day",
    ),
    Refusal(
        "payoff",
        lambda: month_end("2026-13"),
        ("不是月份", "请写成"),
        ("'2026-13'", "YYYY-MM"),
        "'2026-13' is not a month",
    ),
    Refusal(
        "replan",
        _replan_a_draw_it_does_not_have,
        ("没有借款",),
        ("jb", "#9"),
        "jb has no draw #9",
    ),
    Refusal(
        "importer",
        _import_with_a_mapping_and_a_format,
        ("映射",),
        (),
        "a mapping says how to read the file; leave out the format",
    ),
    Refusal(
        "cashflow",
        lambda: check_weeks(0),
        ("--weeks", "须在 1 到 104 之间"),
        ("0",),
        "--weeks must be between 1 and 104, not 0",
    ),
    Refusal(
        "cashflow",
        lambda: list(cashflow_rows(None)),  # type: ignore[arg-type]
        ("现金流按周数导出",),
        ("--weeks",),
        "the cash flow is for a number of weeks",
    ),
]
# Data a refusal carries, not words to translate: what people type (threshold names, weekdays,
# methods), the option names and the form of a month.
DATA = {"balloon", "lots", "nope", "jb", "YYYY-MM", "HH", "MM", "cmb-bills", "Infinity"}
DATA |= {*FACILITY_THRESHOLDS, *(method.value for method in RepaymentMethod)}
DATA |= {*WEEKDAYS, WORKDAYS, DAILY}


# What a person types back, English in every language: a command in backticks, an option.
TYPED_BACK = re.compile(r"`[^`]*`|--[a-z][a-z-]*")


def said(refusal: Refusal, language: str) -> str:
    """The refusal's message, as a reader of `language` reads it."""
    with use(language), pytest.raises((InputError, NotFoundError)) as raised:
        refusal.cause()
    return str(raised.value)


def _id(refusal: Refusal) -> str:
    return f"{refusal.module}:{refusal.english[:30]}"


@pytest.mark.parametrize("refusal", REFUSALS, ids=_id)
def test_a_chinese_reader_reads_the_refusal_in_chinese_with_its_data(refusal: Refusal) -> None:
    english, chinese = said(refusal, EN), said(refusal, ZH)

    assert refusal.english in english
    for words in (*refusal.chinese, *refusal.data):
        assert words in chinese, chinese
    # No English sentence left: beside the data and what is typed back (commands, options),
    # only Chinese words.
    typed_back = TYPED_BACK.sub(" ", chinese)
    assert unmarked([typed_back], allowed=DATA | set(refusal.data)) == [], chinese


@pytest.mark.parametrize("refusal", REFUSALS, ids=_id)
def test_no_english_escapes_the_catalogs(refusal: Refusal) -> None:
    assert unmarked([said(refusal, PSEUDO)], allowed=DATA) == []


def test_the_words_in_a_sentence_are_translated_with_it() -> None:
    """The subject of "The {what} must be…" and a list's separator are the reader's words too:
    a Chinese sentence names the daily rate 日利率 and joins the choices with ，."""
    with use(ZH), pytest.raises(InputError) as raised:
        as_rate(Decimal("Infinity"))
    assert str(raised.value) == "日利率必须是有限的数字，不能是 Infinity。"
    with use(PSEUDO), pytest.raises(InputError) as raised:
        parse_schedule("mon,,thu 09:00")
    assert "⟦an empty day⟧" in str(raised.value)
    assert "mon⟦, ⟧tue" in str(raised.value)
