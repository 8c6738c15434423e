"""The options `facility add` and `facility set` share, and reading them into terms.

Each option is declared once here, so the two commands take a term the same way and say the
same about it; `bot/cli/facilities.py` holds the commands themselves.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import click

from bot.cli.helptexts import FilledOption
from bot.cli.params import ANNUAL_RATE, DAY_OF_MONTH, LIMIT_AMOUNT, PENALTY, RATE
from bot.i18n import N_, _
from bot.ledger.facilities import parse_thresholds
from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)
from bot.ledger.term_changes import TermChanges

F = TypeVar("F", bound=Callable[..., Any])


def _choice(kind: type) -> click.Choice:
    return click.Choice([member.value for member in kind])


def _enum(kind: type, value: str | None) -> Any:
    return None if value is None else kind(value)


def _apply(options: list[Callable[[F], F]], command: F) -> F:
    """`command` with `options`, shown in --help in the order given."""
    for option in reversed(options):
        command = option(command)
    return command


def term_options(default: str) -> Callable[[F], F]:
    """The terms `facility add` and `facility set` take; `default` says what one left out is."""
    # Each "({default})" says, in the reader's language, what an option left out is.
    filled: dict[str, Any] = {"cls": FilledOption, "fill": {"default": lambda: _(default)}}
    options = [
        click.option("--daily-rate", type=RATE, help=N_("Daily rate: 0.0004 or 0.04%.")),
        click.option(
            "--annual-rate", type=ANNUAL_RATE, help=N_("Annual rate instead: 0.035 or 3.5%.")
        ),
        click.option(
            "--basis",
            type=click.Choice(["360", "365"]),
            help=N_("Days in the annual rate's year (default 360, the PBoC's rule)."),
        ),
        click.option(
            "--method", type=_choice(RepaymentMethod), help=N_("Method ({default})."), **filled
        ),
        click.option(
            "--day-count", type=_choice(DayCount), help=N_("Day count ({default})."), **filled
        ),
        click.option(
            "--rounding",
            type=_choice(Rounding),
            help=N_("To the fen: half-up or down ({default})."),
            **filled,
        ),
        click.option(
            "--first-period",
            type=_choice(FirstPeriod),
            help=N_("First due date with a fixed repayment day ({default})."),
            **filled,
        ),
        click.option("--repayment-day", type=DAY_OF_MONTH, help=N_("Fixed day of month.")),
        click.option(
            "--repayment-day-rule",
            type=_choice(RepaymentDayRule),
            help=N_("Without a fixed day: each draw's day, or the first draw's ({default})."),
            **filled,
        ),
        click.option(
            "--holiday-rule",
            type=_choice(HolidayRule),
            help=N_(
                "A due date on a holiday: collected then (none) or the next business day "
                "(following) ({default})."
            ),
            **filled,
        ),
        click.option(
            "--bill-critical-days",
            type=click.IntRange(0, 366),
            help=N_(
                "A missing bill turns critical this many days before its due date "
                "(default: LOANWATCH_BILL_CRITICAL_DAYS)."
            ),
        ),
        click.option(
            "--penalty-rate",
            type=PENALTY,
            help=N_(
                "Penalty interest (罚息) per overdue day, as a multiple of the rate: 1.5 or "
                "1.5x; 0 for none ({default})."
            ),
            **filled,
        ),
        click.option(
            "--penalty-on-interest/--penalty-on-principal",
            default=None,
            help=N_("Whether penalty also accrues on overdue interest (compounding) ({default})."),
            **filled,
        ),
    ]
    return lambda command: _apply(options, command)


def limit_option(*, required: bool, says: str) -> Callable[[F], F]:
    """`--limit AMOUNT`: the credit limit the platform gives; `says` is its --help."""
    return click.option("--limit", "limit_amount", required=required, type=LIMIT_AMOUNT, help=says)


def threshold_option(more: str = "") -> Callable[[F], F]:
    """`--threshold NAME=VALUE`, repeatable; `more` adds what else it takes."""
    return click.option(
        "--threshold",
        "thresholds",
        multiple=True,
        metavar="NAME=VALUE",
        help=N_(
            "Override a check threshold, e.g. bill_lead_days=5 (repeatable{more}; see "
            "docs/checks.md)."
        ),
        cls=FilledOption,
        fill={"more": lambda: _(more) if more else ""},
    )


def reading_options(command: F) -> F:
    """`--owner` and `--readings`: who is asked for the platform's figures in Slack, and when."""
    return _apply(
        [
            click.option(
                "--owner", help=N_("Slack user id (U…) asked for the readings (- for nobody).")
            ),
            click.option(
                "--readings",
                help=N_(
                    "When the owner is asked for a reading, in the facility's zone: 'workdays "
                    "10:00', 'daily 09:00' or 'mon,thu 09:30' (- to stop; docs/requests.md)."
                ),
            ),
        ],
        command,
    )


def threshold_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--threshold NAME=VALUE` as typed, by name (the last one given for a name wins)."""
    given = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(
                _("{pair} is not NAME=VALUE").format(pair=repr(pair)), param_hint="--threshold"
            )
        given[key.strip()] = value.strip()
    return given


def term_changes(
    options: dict[str, Any],
    *,
    limit_amount: Decimal | None = None,
    thresholds: tuple[str, ...] = (),
) -> TermChanges:
    """The term options as typed, None where left out; thresholds typed (`NAME=-`: back to the
    default), or an InputError naming the bad one."""
    return TermChanges(
        limit_amount=limit_amount,
        daily_rate=options["daily_rate"],
        annual_rate=options["annual_rate"],
        rate_basis=None if options["basis"] is None else int(options["basis"]),
        repayment_method=_enum(RepaymentMethod, options["method"]),
        day_count=_enum(DayCount, options["day_count"]),
        rounding=_enum(Rounding, options["rounding"]),
        first_period=_enum(FirstPeriod, options["first_period"]),
        repayment_day=options["repayment_day"],
        repayment_day_rule=_enum(RepaymentDayRule, options["repayment_day_rule"]),
        holiday_rule=_enum(HolidayRule, options["holiday_rule"]),
        bill_critical_days=options["bill_critical_days"],
        penalty_multiplier=options["penalty_rate"],
        penalty_on_interest=options["penalty_on_interest"],
        thresholds=parse_thresholds(threshold_pairs(thresholds), clearable=True),
    )
