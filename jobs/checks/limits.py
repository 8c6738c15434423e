"""Limit checks: what the platform shows as limit and available, against the ledger.

`limit_frozen`, `limit_dropped`, `limit_inconsistent`, `utilization_high` and
`limit_below_owed` finish, in Python,
the candidates of one query they share (`jobs.checks.readings.limit_candidates`). When a reading
is wrong is stated in `jobs.checks.limit_rules`; this module words what each check found.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.alerts.checks import Check
from bot.alerts.findings import Finding, Severity
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.ledger.limits import expected_available, utilization_limit
from bot.money import format_money
from bot.thresholds import Thresholds
from jobs.checks.common import CycleScans, local_time, percent, scans_for, yuan
from jobs.checks.limit_rules import Inconsistency, inconsistency
from jobs.checks.readings import limit_candidates


def _reading_facts(row: Any) -> dict[str, str]:
    available = "not shown" if row.available is None else format_money(row.available, row.currency)
    return {
        "Facility": row.slug,
        "Limit shown": format_money(row.limit_amount, row.currency),
        "Available shown": available,
        "Status shown": row.status,
        "Reading taken": local_time(row.observed_at, row.timezone),
    }


def limit_frozen(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest reading of an active facility shows it frozen or closed, or a limit of 0."""
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.frozen]
    return [
        Finding(
            check=Check.LIMIT_FROZEN,
            facility_id=row.facility_id,
            subject="",
            severity=Severity.CRITICAL,
            summary=(
                f"the platform shows the line {row.status} with a limit of "
                f"{format_money(row.limit_amount, row.currency)}; draws will be refused"
            ),
            facts=_reading_facts(row),
        )
        for row in rows
    ]


def limit_dropped(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest limit is more than X % below the previous reading or the facility's limit.

    Exactly X % lower is quiet. A frozen or closed line, or a limit of 0, is `limit_frozen`'s
    (critical) finding and not repeated here.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.dropped]
    findings = []
    for row in rows:
        against = []
        for name, reference in (("previous reading", row.previous), ("expected", row.expected)):
            if reference is not None and reference > 0:
                fell = reference - row.limit_amount
                if fell * 100 > reference * row.drop_percent:
                    against.append(
                        f"{percent(fell, reference)} below the {name} "
                        f"{format_money(reference, row.currency)}"
                    )
        if not against:
            continue
        facts = _reading_facts(row)
        facts["Expected limit"] = format_money(row.expected, row.currency)
        if row.previous is not None:
            facts["Previous reading"] = (
                f"{format_money(row.previous, row.currency)} at "
                f"{local_time(row.previous_at, row.timezone)}"
            )
        facts["Alert above"] = f"{row.drop_percent} % drop"
        findings.append(
            Finding(
                check=Check.LIMIT_DROPPED,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=(
                    f"limit fell to {format_money(row.limit_amount, row.currency)}, "
                    + " and ".join(against)
                ),
                facts=facts,
            )
        )
    return findings


def limit_inconsistent(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest reading does not add up.

    Any of: a negative limit or available amount; available above the limit; or available
    differing from limit − outstanding (ledger: draws minus repaid principal) by more than the
    amount tolerance, in a reading taken at least `restore_lag_hours` after the facility's last
    logged draw or repayment (a reading taken sooner may not show the movement yet). Without
    any draw or repayment there is no lag. A frozen, closed or zero-limit line is left to
    `limit_frozen`, except for negatives and available above the limit.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.inconsistent]
    findings = []
    for row in rows:
        problem = _inconsistency(row)
        if problem is None:
            continue
        summary, extra = problem
        facts = _reading_facts(row)
        facts.update(extra)
        findings.append(
            Finding(
                check=Check.LIMIT_INCONSISTENT,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=summary,
                facts=facts,
            )
        )
    return findings


def _inconsistency(row: Any) -> tuple[str, dict[str, str]] | None:
    """What is wrong with one reading (summary, extra facts), or None.

    None when the reading adds up (`limit_rules.inconsistency`), or when it is off the ledger
    but was taken less than the restore lag after the facility's last logged draw or repayment.
    """
    limit, available, currency = row.limit_amount, row.available, row.currency
    outstanding = yuan(row.outstanding_fen)
    wrong = inconsistency(limit, available, row.status, outstanding, yuan(row.tolerance_fen))
    if wrong is None:
        return None
    if wrong is Inconsistency.NEGATIVE:
        return "the platform shows a negative figure", {}
    assert available is not None, "only a negative reading can leave out the available amount"
    if wrong is Inconsistency.ABOVE_LIMIT:
        return (
            f"the platform shows {format_money(available, currency)} available, more than its "
            f"limit of {format_money(limit, currency)}",
            {},
        )
    moves = [moment for moment in (row.last_draw, row.last_repayment) if moment is not None]
    last_move = max(moves) if moves else None
    if last_move is not None and row.observed_at < last_move + timedelta(hours=row.lag):
        return None
    expected = expected_available(limit, outstanding)
    difference = available - expected
    extra = {
        "Outstanding (ledger)": format_money(outstanding, currency),
        "Available (ledger)": format_money(expected, currency),
        "Difference": format_money(difference, currency),
        "Tolerance": format_money(yuan(row.tolerance_fen), currency),
    }
    if last_move is not None:
        extra["Last draw or repayment logged"] = local_time(last_move, row.timezone)
    how = (
        f"{format_money(limit, currency)} limit − {format_money(outstanding, currency)} outstanding"
        if expected
        else f"the {format_money(limit, currency)} limit is all used"
    )
    return (
        f"the platform shows {format_money(available, currency)} available; the ledger says "
        f"{format_money(expected, currency)} ({how}), off by "
        f"{format_money(difference, currency)}",
        extra,
    )


def utilization_high(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """Outstanding principal (ledger) is at or above X % of the limit.

    The limit is the lower of the facility's and the latest reading's: a line the platform cut
    is as full as the cut makes it (the cut itself is `limit_dropped`'s finding, a cut below
    what is owed `limit_below_owed`'s, and a frozen line `limit_frozen`'s).
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    rows = [row for row in limit_candidates(scans) if row.utilization_high]
    findings = []
    for row in rows:
        outstanding_amount = yuan(row.outstanding_fen)
        limit = utilization_limit(row.expected, row.limit_amount)
        used = percent(outstanding_amount, limit)
        money = {
            "outstanding": format_money(outstanding_amount, row.currency),
            "limit": format_money(limit, row.currency),
            "headroom": format_money(max(limit - outstanding_amount, Decimal(0)), row.currency),
        }
        findings.append(
            Finding(
                check=Check.UTILIZATION_HIGH,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=(
                    f"{money['outstanding']} of the {money['limit']} limit is drawn ({used}); "
                    f"{money['headroom']} left"
                ),
                facts={
                    "Facility": row.slug,
                    "Outstanding (ledger)": money["outstanding"],
                    "Limit": money["limit"],
                    "Used": used,
                    "Headroom": money["headroom"],
                    "Alert at": f"{row.threshold} %",
                },
            )
        )
    return findings


def limit_below_owed(
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    scans: CycleScans | None = None,
) -> list[Finding]:
    """The latest reading of an active line shows a limit above 0 but below what is owed: critical.

    No new draw will go through, and a platform that cuts a line below its balance may be about
    to ask for the difference early. A limit of 0 is `limit_frozen`'s.
    """
    require_aware(now, "now")
    scans = scans_for(scans, session, now, thresholds, calendar)
    findings = []
    for row in limit_candidates(scans):
        if not row.below_owed:
            continue
        owed = yuan(row.outstanding_fen)
        facts = _reading_facts(row)
        facts["Outstanding (ledger)"] = format_money(owed, row.currency)
        facts["Short by"] = format_money(owed - row.limit_amount, row.currency)
        findings.append(
            Finding(
                check=Check.LIMIT_BELOW_OWED,
                facility_id=row.facility_id,
                subject="",
                severity=Severity.CRITICAL,
                summary=(
                    f"limit {format_money(row.limit_amount, row.currency)} is below the "
                    f"{format_money(owed, row.currency)} you owe: no new draws; ask whether "
                    "repayment is being accelerated"
                ),
                facts=facts,
            )
        )
    return findings
