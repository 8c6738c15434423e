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
from bot.alerts.findings import Finding, Severity, worded
from bot.calendar import BusinessCalendar
from bot.clock import require_aware
from bot.i18n import N_
from bot.i18n.wording import Arg, Moment, Money, Percent, Text
from bot.ledger.limits import expected_available, utilization_limit
from bot.ledger.observations import STATUS_NAMES
from bot.thresholds import Thresholds
from jobs.checks.common import CycleScans, scans_for, yuan
from jobs.checks.limit_rules import Inconsistency, inconsistency
from jobs.checks.readings import limit_candidates


# A reading's status as a limit alert's summary and facts say it (the one table of its names).
def _status(status: str) -> Arg:
    words = STATUS_NAMES.get(status)
    return status if words is None else Text(words)


def _big(amount: Decimal, currency: str) -> Money:
    return Money(amount, currency, big=True)


def _percent(part: Decimal, whole: Decimal) -> Percent:
    """part / whole as a percentage with one decimal, as `jobs.checks.common.percent` says it."""
    return Percent((part * 100 / whole).quantize(Decimal("0.1")))


def _reading_facts(row: Any) -> list[tuple[str, Arg]]:
    available = (
        Text(N_("not shown")) if row.available is None else _big(row.available, row.currency)
    )
    return [
        (N_("Facility"), row.slug),
        (N_("Limit shown"), _big(row.limit_amount, row.currency)),
        (N_("Available shown"), available),
        (N_("Status shown"), _status(row.status)),
        (N_("Reading taken"), Moment(row.observed_at, row.timezone)),
    ]


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
        worded(
            Check.LIMIT_FROZEN,
            row.facility_id,
            "",
            Severity.CRITICAL,
            Text(
                N_(
                    "the platform shows the line {status} with a limit of {limit}; draws will be "
                    "refused"
                ),
                {"status": _status(row.status), "limit": _big(row.limit_amount, row.currency)},
            ),
            _reading_facts(row),
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
        against: list[Arg] = []
        for words, reference in (
            (N_("{percent} below the previous reading {amount}"), row.previous),
            (N_("{percent} below the expected {amount}"), row.expected),
        ):
            if reference is not None and reference > 0:
                fell = reference - row.limit_amount
                if fell * 100 > reference * row.drop_percent:
                    against.append(
                        Text(
                            words,
                            {
                                "percent": _percent(fell, reference),
                                "amount": _big(reference, row.currency),
                            },
                        )
                    )
        if not against:
            continue
        facts = _reading_facts(row)
        facts.append((N_("Expected limit"), _big(row.expected, row.currency)))
        if row.previous is not None:
            facts.append(
                (
                    N_("Previous reading"),
                    Text(
                        N_("{amount} at {time}"),
                        {
                            "amount": _big(row.previous, row.currency),
                            "time": Moment(row.previous_at, row.timezone),
                        },
                    ),
                )
            )
        facts.append(
            (
                N_("Alert above"),
                Text(N_("{percent} drop"), {"percent": Percent(Decimal(str(row.drop_percent)))}),
            )
        )
        args: dict[str, Arg] = {"limit": _big(row.limit_amount, row.currency), "first": against[0]}
        if len(against) == 1:
            summary = Text(N_("limit fell to {limit}, {first}"), args)
        else:
            summary = Text(
                N_("limit fell to {limit}, {first} and {second}"), args | {"second": against[1]}
            )
        findings.append(
            worded(Check.LIMIT_DROPPED, row.facility_id, "", Severity.WARNING, summary, facts)
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
        findings.append(
            worded(
                Check.LIMIT_INCONSISTENT,
                row.facility_id,
                "",
                Severity.WARNING,
                summary,
                _reading_facts(row) + extra,
            )
        )
    return findings


def _inconsistency(row: Any) -> tuple[Text, list[tuple[str, Arg]]] | None:
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
        return Text(N_("the platform shows a negative figure")), []
    assert available is not None, "only a negative reading can leave out the available amount"
    args: dict[str, Arg] = {"available": _big(available, currency), "limit": _big(limit, currency)}
    if wrong is Inconsistency.ABOVE_LIMIT:
        return (
            Text(
                N_("the platform shows {available} available, more than its limit of {limit}"),
                args,
            ),
            [],
        )
    moves = [moment for moment in (row.last_draw, row.last_repayment) if moment is not None]
    last_move = max(moves) if moves else None
    if last_move is not None and row.observed_at < last_move + timedelta(hours=row.lag):
        return None
    expected = expected_available(limit, outstanding)
    args |= {
        "expected": _big(expected, currency),
        "outstanding": _big(outstanding, currency),
        "difference": Money(available - expected, currency),
    }
    extra: list[tuple[str, Arg]] = [
        (N_("Outstanding (ledger)"), args["outstanding"]),
        (N_("Available (ledger)"), args["expected"]),
        (N_("Difference"), args["difference"]),
        (N_("Tolerance"), Money(yuan(row.tolerance_fen), currency)),
    ]
    if last_move is not None:
        extra.append((N_("Last draw or repayment logged"), Moment(last_move, row.timezone)))
    if expected:
        words = N_(
            "the platform shows {available} available; the ledger says {expected} ({limit} "
            "limit − {outstanding} outstanding), off by {difference}"
        )
    else:
        words = N_(
            "the platform shows {available} available; the ledger says {expected} (the {limit} "
            "limit is all used), off by {difference}"
        )
    return Text(words, args), extra


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
        args: dict[str, Arg] = {
            "outstanding": _big(outstanding_amount, row.currency),
            "limit": _big(limit, row.currency),
            "used": _percent(outstanding_amount, limit),
            "headroom": _big(max(limit - outstanding_amount, Decimal(0)), row.currency),
        }
        findings.append(
            worded(
                Check.UTILIZATION_HIGH,
                row.facility_id,
                "",
                Severity.WARNING,
                Text(
                    N_("{outstanding} of the {limit} limit is drawn ({used}); {headroom} left"),
                    args,
                ),
                [
                    (N_("Facility"), row.slug),
                    (N_("Outstanding (ledger)"), args["outstanding"]),
                    (N_("Limit"), args["limit"]),
                    (N_("Used"), args["used"]),  # a share: 使用率 (App Home: "amount drawn")
                    (N_("Headroom"), args["headroom"]),
                    (N_("Alert at"), Percent(Decimal(str(row.threshold)))),
                ],
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
        args: dict[str, Arg] = {
            "limit": _big(row.limit_amount, row.currency),
            "owed": _big(owed, row.currency),
        }
        facts = _reading_facts(row)
        facts.append((N_("Outstanding (ledger)"), args["owed"]))
        facts.append((N_("Short by"), _big(owed - row.limit_amount, row.currency)))
        findings.append(
            worded(
                Check.LIMIT_BELOW_OWED,
                row.facility_id,
                "",
                Severity.CRITICAL,
                Text(
                    N_(
                        "limit {limit} is below the {owed} you owe: no new draws; ask whether "
                        "repayment is being accelerated"
                    ),
                    args,
                ),
                facts,
            )
        )
    return findings
