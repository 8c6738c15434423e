"""`loanwatch facility calibrate` in the reader's language (LOANWATCH_LANGUAGE): the conventions'
report and the penalty rule's, in Chinese for a Chinese treasurer, every line through the
catalogs; the commands it names stay as they are typed.

The lines are set up in English, as tests/cli/test_calibrate.py sets them up; only the report
is read in another language.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from bot.i18n import PSEUDO, ZH
from tests.cli.test_calibrate import (
    JIEBEI_PUBLIC_EXAMPLE,
    WRONG_TERMS,
    late_june,
    platform_bills,
    record_bills,
)
from tests.cli.test_ledger_commands import (
    Loanwatch,
    alice_at_the_terminal,  # noqa: F401 - the autouse fixture: Alice is at the terminal
    loanwatch_on,
    ok,
)
from tests.support.pseudo import unmarked


@pytest.fixture
def loanwatch(database_url: str, capsys: pytest.CaptureFixture[str]) -> Loanwatch:
    """`loanwatch` on the test's migrated, empty database."""
    return loanwatch_on(database_url, capsys)


def _jiebei_bills(amounts: list[Decimal]) -> dict[date, Decimal]:
    return {
        date(2025 + (month // 12), month % 12 + 1, 9): amount
        for month, amount in enumerate(amounts, start=1)
    }


def exact(loanwatch: Loanwatch) -> str:
    """jb set up with the wrong terms; Jiebei's twelve bills name its convention, and one more."""
    ok(
        loanwatch(
            f"facility add jb --platform jiebei --limit 100k --daily-rate 0.04% {WRONG_TERMS}"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 12 --on 2025-01-01"))
    record_bills(loanwatch, _jiebei_bills([Decimal(a) for a in JIEBEI_PUBLIC_EXAMPLE]))
    return "jb"


def noisy(loanwatch: Loanwatch) -> str:
    """One bill 0.03 off: no convention reproduces all, the closest is named."""
    ok(
        loanwatch(
            f"facility add jb --platform jiebei --limit 100k --daily-rate 0.04% {WRONG_TERMS}"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 12 --on 2025-01-01"))
    amounts = [Decimal(a) for a in JIEBEI_PUBLIC_EXAMPLE]
    amounts[4] += Decimal("0.03")  # the 2025-06-09 bill
    record_bills(loanwatch, _jiebei_bills(amounts))
    return "jb"


def no_bills(loanwatch: Loanwatch) -> str:
    ok(
        loanwatch(
            f"facility add jb --platform jiebei --limit 100k --daily-rate 0.04% {WRONG_TERMS}"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 12 --on 2025-01-01"))
    return "jb"


def own_terms_kept(loanwatch: Loanwatch) -> str:
    """Rounded down and half-up each reproduce 2 of 3 bills; half-up a fen closer: jb stays."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100000 --daily-rate 0.04% "
            "--method equal-installment --day-count actual --rounding down "
            "--first-period next-month --repayment-day 9"
        )
    )
    ok(loanwatch("draw add jb 6000 --months 3 --on 2025-01-09"))
    bills = platform_bills([("6000", date(2025, 1, 9))], 3)
    bills[date(2025, 4, 9)] = Decimal("2048.21")
    record_bills(loanwatch, bills)
    return "jb"


def penalty_found(loanwatch: Loanwatch) -> str:
    """wl set to 0.5x; the June bill after the late repayment shows 1.5x on principal."""
    late_june(loanwatch, "--penalty-rate 0.5 --penalty-on-principal")
    ok(loanwatch("bill add wl 2026-06-08 3517.72 --paid"))
    ok(loanwatch("bill add wl 2026-07-08 3510.50 --paid"))
    return "wl"


def penalty_missed(loanwatch: Loanwatch) -> str:
    """A June bill 5.00 above the installment: no rule charges that."""
    late_june(loanwatch)
    ok(loanwatch("bill add wl 2026-06-08 3515.50 --paid"))
    return "wl"


def penalty_unconfirmed(loanwatch: Loanwatch) -> str:
    late_june(loanwatch)
    return "wl"


def penalty_tied(loanwatch: Loanwatch) -> str:
    """An interest-only installment paid late shows no penalty: five rules alike."""
    ok(
        loanwatch(
            "facility add jb --platform jiebei --limit 100000 --daily-rate 0.05% "
            "--method interest-first --day-count 30 --penalty-rate 1.5 --penalty-on-principal"
        )
    )
    ok(loanwatch("draw add jb 10000 --months 3 --on 2026-05-08"))
    ok(loanwatch("repay add jb 150 --on 2026-06-11"))
    ok(loanwatch("bill add jb 2026-06-08 150.00 --paid"))
    return "jb"


def calibrated(
    loanwatch: Loanwatch,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[Loanwatch], str],
    language: str,
) -> str:
    slug = scenario(loanwatch)
    monkeypatch.setenv("LOANWATCH_LANGUAGE", language)
    return ok(loanwatch(f"facility calibrate {slug}")).out


def test_the_convention_found_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = calibrated(loanwatch, monkeypatch, exact, ZH)

    assert "jb：比对了 12 张账单，到期日 2025年2月9日（周日）至2026年1月9日（周五）。" in report
    assert "能精确到分算出这些账单的计息规则：等额本息，计息天数 按实际天数，舍入 舍去，" in report
    assert "另有 1 种计息规则也能算出这些账单" in report
    assert (
        "用以下命令把 jb 改为该规则：loanwatch facility set jb --method equal-installment "
        "--day-count actual --rounding down" in report
    )
    for english in ("compared", "Reproduced", "Also reproduced", "Set jb", "day count", "bills"):
        assert english not in report


def test_the_closest_convention_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = calibrated(loanwatch, monkeypatch, noisy, ZH)

    assert "没有哪种计息规则能算出全部 12 张账单。最接近的是：等额本息" in report
    assert (
        "12 张中 11 张精确到分，合计相差 ¥0.03，其中 2025年6月9日（周一）的账单差得最多" in report
    )
    assert "如仍要改用最接近的规则：loanwatch facility set jb" in report
    assert "No convention" not in report
    assert "off by" not in report


def test_own_terms_kept_and_no_bills_in_chinese(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = calibrated(loanwatch, monkeypatch, own_terms_kept, ZH)

    assert "jb 现行的条款（等额本息，计息天数 按实际天数，舍入 舍去，首期 次月首期" in report
    assert "在 3 张中精确到分算出 2 张" in report
    assert "接近 ¥0.01" in report
    assert "jb 保持现行条款" in report
    assert "own terms" not in report
    assert "facility set" not in report

    ok(loanwatch("facility add jb2 --platform jiebei --limit 100k --daily-rate 0.04%"))
    ok(loanwatch("draw add jb2 10000 --months 12 --on 2025-01-01"))
    empty = ok(loanwatch("facility calibrate jb2")).out
    assert "jb2 还没有可比对的账单" in empty
    assert "`loanwatch bill add`" in empty
    assert "no bills" not in empty


def test_the_penalty_rule_in_chinese(loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch) -> None:
    report = calibrated(loanwatch, monkeypatch, penalty_found, ZH)

    assert (
        "逾期还款后的 1 张账单中的罚息可精确到分算出，规则为：逾期本金按利率的 1.5 倍计罚息。"
        in report
    )
    assert (
        "用以下命令把 wl 改为该规则：loanwatch facility set wl --penalty-rate 1.5 "
        "--penalty-on-principal" in report
    )
    assert "Penalty" not in report
    assert "repayments recorded" not in report


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        (penalty_missed, "罚息：没有哪种规则能算出逾期还款后的 1 张账单。"),
        (penalty_unconfirmed, "罚息规则（逾期本金按利率的 1.5 倍计罚息）尚未核实"),
        (penalty_tied, "（jb 现行）"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_the_penalty_rule_unsettled_in_chinese(
    loanwatch: Loanwatch,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[Loanwatch], str],
    said: str,
) -> None:
    report = calibrated(loanwatch, monkeypatch, scenario, ZH)

    assert said in report
    assert "Penalty" not in report
    assert "penalty" not in report.replace("--penalty", "")


# What a person types back: the commands the report names, kept as typed (docs/languages.md).
_TYPED = re.compile(r"`[^`]*`|loanwatch facility set \S+(?: --[a-z-]+(?: [\w.-]+)?)*")


@pytest.mark.parametrize(
    "scenario",
    [
        exact,
        noisy,
        no_bills,
        own_terms_kept,
        penalty_found,
        penalty_missed,
        penalty_unconfirmed,
        penalty_tied,
    ],
    ids=lambda scenario: scenario.__name__,
)
def test_pseudo_every_word_of_the_report_goes_through_the_catalogs(
    loanwatch: Loanwatch, monkeypatch: pytest.MonkeyPatch, scenario: Callable[[Loanwatch], str]
) -> None:
    report = calibrated(loanwatch, monkeypatch, scenario, PSEUDO)

    assert report.strip()
    # One text: a translated text may run over two lines, its mark opening on the first.
    assert unmarked([_TYPED.sub(" ", report)], allowed={"jb", "wl"}) == []
