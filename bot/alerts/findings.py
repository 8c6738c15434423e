"""What a check hands to `bot.alerts.detection`: a finding with a stable fingerprint."""

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How urgent a finding is: critical alerts do not wait for business hours."""

    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Finding:
    """One thing a check found wrong now.

    The fingerprint is `check:facility:subject` (subject: a due date, a draw id, or empty), so
    the same problem found again on the next run is recognised as the same alert.
    """

    check: str
    facility_id: int | None
    subject: str
    severity: Severity
    # One line a finance person reads first: "expected 899.75 due 2026-12-10, no bill seen".
    summary: str
    # Label → value, shown as the alert's fields.
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable identity of the problem across runs."""
        facility = "-" if self.facility_id is None else str(self.facility_id)
        return f"{self.check}:{facility}:{self.subject}"
