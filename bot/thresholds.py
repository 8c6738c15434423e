"""The checks' thresholds: the defaults settings give, which a facility's own columns override.

`bot.settings.Settings.thresholds()` builds them from the `LOANWATCH_…` settings of the same
names (`.env.example` lists each with its default); the checks in `jobs/checks/` read them, and
a facility's own non-NULL column of the same name wins over the default.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Thresholds:
    """Defaults for the checks; a facility's own non-NULL columns override them."""

    bill_lead_days: int = 10
    bill_grace_hours: int = 24
    bill_match_window_days: int = 3
    bill_critical_days: int = 3
    amount_tolerance: Decimal = Decimal("0.01")
    due_soon_days: int = 3
    limit_drop_percent: int = 20
    restore_lag_hours: int = 2
    stale_after_hours: int = 48
    confirm_window_hours: int = 24
    utilization_percent: int = 90
    # platform_unavailable: this many "Can't see it" answers in a row (no reading between).
    # Portfolio-wide: not a facility column (PORTFOLIO_THRESHOLDS).
    unavailable_run: int = 3


# The thresholds a facility cannot override (no column of their own): settings only.
PORTFOLIO_THRESHOLDS = frozenset({"unavailable_run"})
