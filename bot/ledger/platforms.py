"""Platform profiles: the terms a new facility takes from its platform, and how sure we are.

What public sources say about each platform is gathered in DESIGN.md (*Platform conventions*);
no platform publishes a contract, so every value here is a default that `loanwatch facility
calibrate` confirms (or corrects) from a team's own bills, and that a facility may override when
it is added. A platform without a profile of its own takes the bank default.

The penalty values (罚息) are data for the repayment code to read: ``penalty_multiplier`` times
the facility's daily rate accrues per day on the overdue principal, and on the overdue interest
too when ``penalty_on_interest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.ledger.schedule import (
    DayCount,
    FirstPeriod,
    HolidayRule,
    RepaymentDayRule,
    RepaymentMethod,
    Rounding,
)

__all__ = [
    "BANK",
    "PROFILES",
    "Confidence",
    "PlatformProfile",
    "display_name",
    "profile_for",
]


class Confidence(StrEnum):
    """How far the public sources support a default (DESIGN.md's confidence column)."""

    MEDIUM_HIGH = "medium-high"
    MEDIUM = "medium"
    LOW_MEDIUM = "low-medium"
    LOW = "low"
    CONTRACT = "contract"  # the loan contract says; the value is a common choice, nothing more


@dataclass(frozen=True)
class PlatformProfile:
    """The defaults a facility takes from its platform, each with its confidence."""

    name: str  # the platform's name on the command line, or "bank" for the default
    day_count: DayCount
    method: RepaymentMethod
    rounding: Rounding
    first_period: FirstPeriod
    repayment_day_rule: RepaymentDayRule
    holiday_rule: HolidayRule
    penalty_multiplier: Decimal
    penalty_on_interest: bool
    # A first draw on this day of the month or later gets a repayment day the platform picks
    # (sources disagree which): loanwatch keeps the draw's day and says to check the first bill.
    platform_picks_from_day: int | None
    confidence: dict[str, Confidence]


JIEBEI = PlatformProfile(
    name="jiebei",
    day_count=DayCount.ACTUAL,
    method=RepaymentMethod.EQUAL_INSTALLMENT,
    rounding=Rounding.DOWN,
    first_period=FirstPeriod.SKIP_SHORT,
    repayment_day_rule=RepaymentDayRule.FIRST_DRAW,
    holiday_rule=HolidayRule.NONE,
    penalty_multiplier=Decimal("1.5"),
    penalty_on_interest=True,  # "on the overdue amount", interest included
    platform_picks_from_day=29,
    confidence={
        "day_count": Confidence.MEDIUM_HIGH,
        "method": Confidence.MEDIUM,
        "rounding": Confidence.MEDIUM,  # one worked example
        "first_period": Confidence.LOW_MEDIUM,
        "repayment_day_rule": Confidence.LOW_MEDIUM,
        "holiday_rule": Confidence.LOW,
        "penalty": Confidence.MEDIUM,
    },
)

WEILIDAI = PlatformProfile(
    name="weilidai",
    day_count=DayCount.ACTUAL,  # 算头不算尾: the first day counts, the last does not
    method=RepaymentMethod.EQUAL_PRINCIPAL,
    rounding=Rounding.HALF_UP,  # no source says otherwise
    first_period=FirstPeriod.NEXT_MONTH,
    repayment_day_rule=RepaymentDayRule.FIRST_DRAW,
    holiday_rule=HolidayRule.NONE,
    penalty_multiplier=Decimal("1.5"),  # normal interest continues, plus 0.5x
    penalty_on_interest=False,  # on the overdue principal only
    platform_picks_from_day=28,
    confidence={
        "day_count": Confidence.MEDIUM_HIGH,
        "method": Confidence.MEDIUM,
        "rounding": Confidence.LOW,
        "first_period": Confidence.LOW_MEDIUM,
        "repayment_day_rule": Confidence.LOW_MEDIUM,
        "holiday_rule": Confidence.LOW,
        "penalty": Confidence.MEDIUM,
    },
)

# Every other platform: banks, and the platforms nobody has gathered conventions for yet.
BANK = PlatformProfile(
    name="bank",
    day_count=DayCount.THIRTY,  # 30/360 is common; the contract decides
    method=RepaymentMethod.EQUAL_INSTALLMENT,
    rounding=Rounding.HALF_UP,
    first_period=FirstPeriod.NEXT_MONTH,
    repayment_day_rule=RepaymentDayRule.DRAW_DAY,
    holiday_rule=HolidayRule.FOLLOWING,
    # The PBoC rule for bank loans: penalty at 30-50 % above the contract rate, and compound
    # interest at the penalty rate on interest not paid on time.
    penalty_multiplier=Decimal("1.5"),
    penalty_on_interest=True,
    platform_picks_from_day=None,
    confidence={
        "day_count": Confidence.CONTRACT,
        "method": Confidence.CONTRACT,
        "rounding": Confidence.CONTRACT,
        "first_period": Confidence.CONTRACT,
        "repayment_day_rule": Confidence.CONTRACT,
        "holiday_rule": Confidence.LOW,
        "penalty": Confidence.CONTRACT,
    },
)

PROFILES = {profile.name: profile for profile in (JIEBEI, WEILIDAI)}

# How people know the common platforms; any other name is shown as typed.
DISPLAY_NAMES = {
    "jiebei": "借呗 Jiebei (Alipay)",
    "weilidai": "微粒贷 Weilidai (WeBank)",
    "mybank": "网商贷 MYbank (Alipay)",
    "huabei": "花呗 Huabei (Alipay)",
    "icbc": "ICBC",
    "ccb": "China Construction Bank",
    "cmb": "China Merchants Bank",
}


def profile_for(platform: str) -> PlatformProfile:
    """The platform's profile, or the bank default for a platform without one."""
    return PROFILES.get(platform, BANK)


def display_name(platform: str) -> str:
    """The platform as people know it: 借呗 Jiebei (Alipay), ICBC, or the name as typed."""
    return DISPLAY_NAMES.get(platform, platform)


def short_name(shown: str) -> str:
    """A platform's name in a short line: its Chinese name when it has one (借呗), else as shown
    (ICBC); `shown` is its display name."""
    first = shown.split(" ", 1)[0]
    return first if not first.isascii() else shown
