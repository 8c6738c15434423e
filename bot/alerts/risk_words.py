"""The words for the money an alert puts at risk (`bot.alerts.at_risk`), written once: an
escalation step's line (`at_risk_words`, as of now) and the alert message's **At risk** fact
(`at_risk_fact`, by date)."""

from datetime import date, timedelta
from enum import StrEnum


class RiskKind(StrEnum):
    """What the money an alert puts at risk is (`bot.alerts.at_risk`)."""

    DUE = "due"  # an amount due on a date
    DRAW = "draw"  # a draw nothing has confirmed
    UNDRAWN = "undrawn"  # the undrawn limit of a line that fell or froze


def _undated(amount: str, kind: str) -> str:
    if kind == RiskKind.DRAW:
        return f"{amount} drawn, not confirmed"
    return f"{amount} of undrawn limit"


def at_risk_words(
    amount: str,
    kind: str,
    business_days: int | None,
    late_fee: str | None,
    paid: str | None = None,
) -> str:
    """`¥4,498.77 due in 1 business day; late fee ≈ ¥2.70/day`: the money an alert puts at risk,
    as of now (an escalation step's line), the days counted to the day it is collected;
    `¥899.75, paid in the ledger`; `¥50,000.00 drawn, not confirmed`; `¥40,000.00 of undrawn
    limit`."""
    if kind != RiskKind.DUE:
        return _undated(amount, kind)
    if paid:
        return f"{amount}, paid {paid}"
    if business_days is None:
        when = "due"
    elif business_days < 0:
        late = -business_days
        when = f"overdue by {late} day{'' if late == 1 else 's'}"
    elif business_days == 0:
        when = "due today"
    else:
        when = f"due in {business_days} business day{'' if business_days == 1 else 's'}"
    fee = f"; late fee ≈ {late_fee}/day" if late_fee else ""
    return f"{amount} {when}{fee}"


def at_risk_fact(
    amount: str,
    kind: str,
    due: date | None,
    collected: date | None,
    overdue: bool,
    late_fee: str | None,
    paid: str | None = None,
) -> str:
    """`¥4,498.77 due 2026-12-07; late fee ≈ ¥2.70/day`: the same money as a message that stays
    up shows it, by date (a count of days would be wrong by tomorrow). Overdue from the day
    after the collection day: `due 2026-12-07, overdue since 2026-12-08`; `due 2026-10-01,
    collected 2026-10-08, overdue since 2026-10-09` under a holiday rule; `due 2026-12-07,
    paid in the ledger` (or `on the platform`) when one side shows it paid."""
    if kind != RiskKind.DUE or due is None:
        return _undated(amount, kind)
    when = f"due {due.isoformat()}"
    if paid:
        return f"{amount} {when}, paid {paid}"
    if collected is not None and collected != due:
        when += f", collected {collected.isoformat()}"
    if overdue and collected is not None:
        when += f", overdue since {(collected + timedelta(days=1)).isoformat()}"
    fee = f"; late fee ≈ {late_fee}/day" if late_fee else ""
    return f"{amount} {when}{fee}"
