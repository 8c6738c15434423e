"""The words for the money an alert puts at risk (`bot.alerts.at_risk`), written once: an
escalation step's line (`at_risk_words`, as of now) and the alert message's **At risk** fact
(`at_risk_fact`, by date)."""

from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from bot.i18n import N_
from bot.i18n.wording import Arg, Day, Money, Text, english

# Who shows money paid (`AtRisk.paid`), in words a reader of any language gets.
PAID_IN_LEDGER: Final = N_("in the ledger")
PAID_ON_PLATFORM: Final = N_("on the platform")
PAID_WORDS = (PAID_IN_LEDGER, PAID_ON_PLATFORM)


class RiskKind(StrEnum):
    """What the money an alert puts at risk is (`bot.alerts.at_risk`)."""

    DUE = "due"  # an amount due on a date
    DRAW = "draw"  # a draw nothing has confirmed
    UNDRAWN = "undrawn"  # the undrawn limit of a line that fell or froze


def _undated(amount: Money, kind: str) -> Text:
    if kind == RiskKind.DRAW:
        return Text(N_("{amount} drawn, not confirmed"), {"amount": amount})
    return Text(N_("{amount} of undrawn limit"), {"amount": amount})


def _with_fee(risk: Text, late_fee: Money | None) -> Text:
    if late_fee is None:
        return risk
    return Text(N_("{risk}; late fee ≈ {fee}/day"), {"risk": risk, "fee": late_fee})


def _paid(paid: str) -> Arg:
    """Who shows it paid ("in the ledger", "on the platform": bot.alerts.at_risk), in words."""
    return Text(paid) if paid in PAID_WORDS else paid


def at_risk_text(
    amount: Money,
    kind: str,
    business_days: int | None,
    late_fee: Money | None,
    paid: str | None = None,
) -> Text:
    """`¥4,498.77 due in 1 business day; late fee ≈ ¥2.70/day`: the money an alert puts at risk,
    as of now (an escalation step's line), the days counted to the day it is collected;
    `¥899.75, paid in the ledger`; `¥50,000.00 drawn, not confirmed`; `¥40,000.00 of undrawn
    limit`. Worded (bot.i18n.wording): :func:`at_risk_words` is its English."""
    if kind != RiskKind.DUE:
        return _undated(amount, kind)
    if paid:
        return Text(N_("{amount}, paid {paid}"), {"amount": amount, "paid": _paid(paid)})
    args: dict[str, Arg] = {"amount": amount}
    if business_days is None:
        risk = Text(N_("{amount} due"), args)
    elif business_days < 0:
        late = -business_days
        args["days"] = late
        risk = Text(
            N_("{amount} overdue by {days} day"), args, N_("{amount} overdue by {days} days"), late
        )
    elif business_days == 0:
        risk = Text(N_("{amount} due today"), args)
    else:
        args["days"] = business_days
        risk = Text(
            N_("{amount} due in {days} business day"),
            args,
            N_("{amount} due in {days} business days"),
            business_days,
        )
    return _with_fee(risk, late_fee)


def at_risk_words(
    amount: str | Money,
    kind: str,
    business_days: int | None,
    late_fee: str | Money | None,
    paid: str | None = None,
) -> str:
    """:func:`at_risk_text` in English (amounts given written, as before, are kept as they are)."""
    return english(at_risk_text(amount, kind, business_days, late_fee, paid))  # type: ignore[arg-type]


def at_risk_fact_text(
    amount: Money,
    kind: str,
    due: date | None,
    collected: date | None,
    overdue: bool,
    late_fee: Money | None,
    paid: str | None = None,
) -> Text:
    """`¥4,498.77 due 2026-12-07; late fee ≈ ¥2.70/day`: the same money as a message that stays
    up shows it, by date (a count of days would be wrong by tomorrow). Overdue from the day
    after the collection day: `due 2026-12-07, overdue since 2026-12-08`; `due 2026-10-01,
    collected 2026-10-08, overdue since 2026-10-09` under a holiday rule; `due 2026-12-07,
    paid in the ledger` (or `on the platform`) when one side shows it paid. Worded
    (bot.i18n.wording): :func:`at_risk_fact` is its English."""
    if kind != RiskKind.DUE or due is None:
        return _undated(amount, kind)
    args: dict[str, Arg] = {"amount": amount, "due": Day(due)}
    if paid:
        return Text(N_("{amount} due {due}, paid {paid}"), args | {"paid": _paid(paid)})
    moved = collected is not None and collected != due
    late = overdue and collected is not None
    if moved:
        args["collected"] = Day(collected)  # type: ignore[arg-type]
    if late:
        args["since"] = Day(collected + timedelta(days=1))  # type: ignore[operator]
    if moved and late:
        words = N_("{amount} due {due}, collected {collected}, overdue since {since}")
    elif moved:
        words = N_("{amount} due {due}, collected {collected}")
    elif late:
        words = N_("{amount} due {due}, overdue since {since}")
    else:
        words = N_("{amount} due {due}")
    return _with_fee(Text(words, args), late_fee)


def at_risk_fact(
    amount: str | Money,
    kind: str,
    due: date | None,
    collected: date | None,
    overdue: bool,
    late_fee: str | Money | None,
    paid: str | None = None,
) -> str:
    """:func:`at_risk_fact_text` in English."""
    return english(
        at_risk_fact_text(amount, kind, due, collected, overdue, late_fee, paid)  # type: ignore[arg-type]
    )
