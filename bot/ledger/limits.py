"""What a limit leaves the team: one rule for the checks, the digest, and the money at risk.

Issue 11 decided it: a line is measured against the lower of the facility's configured limit
and the limit the platform showed last (a platform that cut a line lends no more than the cut
allows), and what is available never goes below zero (a limit cut below what is owed leaves
nothing, not a negative amount). `jobs.checks` (utilization_high, limit_inconsistent),
`bot.ledger.portfolio`'s positions and through them the digest, its chart and
`bot.alerts.at_risk` all read these two functions.
"""

from decimal import Decimal


def expected_available(limit: Decimal, outstanding: Decimal) -> Decimal:
    """What the ledger expects available: limit − outstanding, never below zero."""
    return max(limit - outstanding, Decimal("0.00"))


def utilization_limit(facility_limit: Decimal, shown_limit: Decimal | None) -> Decimal:
    """The limit utilization is measured against: the lower of the facility's and the shown."""
    if shown_limit is None:
        return facility_limit
    return min(facility_limit, shown_limit)
