"""What a check hands to `bot.alerts.detection`: a finding with a stable fingerprint."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.i18n.wording import Arg, Text, Wording


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
    # How the summary and facts were worded (bot.i18n.wording), to say them in any language;
    # None where a finding was worded in English only. Not part of what the finding is.
    wording: Wording | None = field(default=None, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        """Stable identity of the problem across runs."""
        facility = "-" if self.facility_id is None else str(self.facility_id)
        return f"{self.check}:{facility}:{self.subject}"


def worded(
    check: str,
    facility_id: int | None,
    subject: str,
    severity: Severity,
    summary: Text,
    facts: Iterable[tuple[str, Arg]] = (),
) -> Finding:
    """A finding worded once: its English summary and facts (as kept) from `summary` and
    `facts` (each label an English message id, marked with N_), its wording kept beside."""
    wording = Wording.of(summary, facts)
    return Finding(
        check=check,
        facility_id=facility_id,
        subject=subject,
        severity=severity,
        summary=wording.english_summary(),
        facts=wording.english_facts(),
        wording=wording,
    )


def wording_json(finding: Finding, year: int) -> dict[str, Any] | None:
    """What `alerts.wording` keeps for `finding`, worded in `year` (None without a wording)."""
    return None if finding.wording is None else finding.wording.in_year(year).to_json()
