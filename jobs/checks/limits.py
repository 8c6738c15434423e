"""Limit checks: what the platform shows as limit and available, against the ledger.

Each check reads every active facility's latest limit reading as of `now` (and, for
`limit_dropped`, the one before it) in one query. Each figure is a correlated subquery that
walks the (facility_id, observed_at) unique index backwards, one probe per facility: the cost
follows the number of facilities, not the years of readings behind them.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, or_, select
from sqlalchemy.orm import Session

from bot.alerts.findings import Finding, Severity, Thresholds
from bot.calendar import BusinessCalendar
from bot.ledger.portfolio import drawn_and_repaid
from bot.models import Draw, Facility, LimitReading, Repayment
from bot.money import format_money
from jobs.checks.common import (
    fen,
    fen_of,
    local_time,
    outstanding_fen,
    percent,
    require_aware,
    setting,
    yuan,
)

FROZEN_STATUSES = ("frozen", "closed")


def _reading(column: Any, now: datetime, skip: int = 0) -> ColumnElement[Any]:
    """One figure of a facility's latest reading as of `now` (skip=1: the reading before it)."""
    return (
        select(column)
        .where(LimitReading.facility_id == Facility.id, LimitReading.observed_at <= now)
        .order_by(LimitReading.observed_at.desc())
        .limit(1)
        .offset(skip)
        .correlate(Facility)
        .scalar_subquery()
    )


def _latest_readings(now: datetime, *columns: Any, previous: bool = False) -> Subquery:
    """Active facilities with their latest reading's figures, and any facility `columns`."""
    figures = [
        _reading(LimitReading.observed_at, now).label("observed_at"),
        _reading(LimitReading.limit_amount, now).label("limit_amount"),
        _reading(LimitReading.available, now).label("available"),
        _reading(LimitReading.status, now).label("status"),
    ]
    if previous:
        figures += [
            _reading(LimitReading.observed_at, now, 1).label("previous_at"),
            _reading(LimitReading.limit_amount, now, 1).label("previous"),
        ]
    return (
        select(
            Facility.id.label("facility_id"),
            Facility.slug,
            Facility.timezone,
            Facility.currency,
            *figures,
            *columns,
        )
        .where(Facility.active)
        .subquery("readings")
    )


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
    session: Session, now: datetime, thresholds: Thresholds, calendar: BusinessCalendar
) -> list[Finding]:
    """The latest reading of an active facility shows it frozen or closed, or a limit of 0."""
    require_aware(now)
    readings = _latest_readings(now)
    rows = session.execute(
        select(readings)
        .where(or_(readings.c.status.in_(FROZEN_STATUSES), fen(readings.c.limit_amount) == 0))
        .order_by(readings.c.facility_id)
    ).all()
    return [
        Finding(
            check="limit_frozen",
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
    session: Session, now: datetime, thresholds: Thresholds, calendar: BusinessCalendar
) -> list[Finding]:
    """The latest limit is more than X % below the previous reading or the facility's limit.

    Exactly X % lower is quiet. A frozen or closed line, or a limit of 0, is `limit_frozen`'s
    (critical) finding and not repeated here.
    """
    require_aware(now)
    readings = _latest_readings(
        now,
        Facility.limit_amount.label("expected"),
        setting(Facility.limit_drop_percent, thresholds.limit_drop_percent).label("drop_percent"),
        previous=True,
    )

    def fell_below(reference: Any) -> ColumnElement[bool]:
        # latest < reference × (100 − X) / 100, in integer fen so the SQL is exact.
        return fen(readings.c.limit_amount) * 100 < fen(reference) * (100 - readings.c.drop_percent)

    rows = session.execute(
        select(readings)
        .where(
            readings.c.status == "active",
            fen(readings.c.limit_amount) != 0,
            or_(fell_below(readings.c.previous), fell_below(readings.c.expected)),
        )
        .order_by(readings.c.facility_id)
    ).all()

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
                check="limit_dropped",
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
    session: Session, now: datetime, thresholds: Thresholds, calendar: BusinessCalendar
) -> list[Finding]:
    """The latest reading does not add up.

    Any of: a negative limit or available amount; available above the limit; or available
    differing from limit − outstanding (ledger: draws minus repaid principal) by more than the
    amount tolerance, in a reading taken at least `restore_lag_hours` after the facility's last
    logged draw or repayment (a reading taken sooner may not show the movement yet). Without
    any draw or repayment there is no lag. A frozen, closed or zero-limit line is left to
    `limit_frozen`, except for negatives and available above the limit.
    """
    require_aware(now)
    last_draw = (
        select(func.max(Draw.created_at))
        .where(Draw.facility_id == Facility.id)
        .correlate(Facility)
        .scalar_subquery()
    )
    last_repayment = (
        select(func.max(Repayment.created_at))
        .where(Repayment.facility_id == Facility.id)
        .correlate(Facility)
        .scalar_subquery()
    )
    tolerance = func.coalesce(fen(Facility.amount_tolerance), fen_of(thresholds.amount_tolerance))
    readings = _latest_readings(
        now,
        tolerance.label("tolerance_fen"),
        setting(Facility.restore_lag_hours, thresholds.restore_lag_hours).label("lag"),
        last_draw.label("last_draw"),
        last_repayment.label("last_repayment"),
    )
    drawn, repaid = drawn_and_repaid()
    outstanding = outstanding_fen(drawn, repaid)
    limit, available = fen(readings.c.limit_amount), fen(readings.c.available)
    negative = or_(limit < 0, available < 0)
    above_limit = available > limit
    off_ledger = func.abs(available - (limit - outstanding)) > readings.c.tolerance_fen
    rows = session.execute(
        select(readings, outstanding.label("outstanding_fen"))
        .outerjoin(drawn, drawn.c.facility_id == readings.c.facility_id)
        .outerjoin(repaid, repaid.c.facility_id == readings.c.facility_id)
        .where(or_(negative, above_limit, off_ledger))
        .order_by(readings.c.facility_id)
    ).all()

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
                check="limit_inconsistent",
                facility_id=row.facility_id,
                subject="",
                severity=Severity.WARNING,
                summary=summary,
                facts=facts,
            )
        )
    return findings


def _inconsistency(row: Any) -> tuple[str, dict[str, str]] | None:
    """What is wrong with one reading (summary, extra facts), or None once the lag excuses it."""
    limit, available, currency = row.limit_amount, row.available, row.currency
    if limit < 0 or (available is not None and available < 0):
        return "the platform shows a negative figure", {}
    assert available is not None, "only readings with an available amount get this far"
    if available > limit:
        return (
            f"the platform shows {format_money(available, currency)} available, more than its "
            f"limit of {format_money(limit, currency)}",
            {},
        )
    if row.status != "active" or limit == 0:
        # A frozen or zeroed line cannot add up to limit − outstanding; limit_frozen says so,
        # critically, and a second alert about the same reading would only be noise.
        return None
    moves = [moment for moment in (row.last_draw, row.last_repayment) if moment is not None]
    last_move = max(moves) if moves else None
    if last_move is not None and row.observed_at < last_move + timedelta(hours=row.lag):
        return None
    outstanding = yuan(row.outstanding_fen)
    expected = limit - outstanding
    difference = available - expected
    extra = {
        "Outstanding (ledger)": format_money(outstanding, currency),
        "Available (ledger)": format_money(expected, currency),
        "Difference": format_money(difference, currency),
        "Tolerance": format_money(yuan(row.tolerance_fen), currency),
    }
    if last_move is not None:
        extra["Last draw or repayment logged"] = local_time(last_move, row.timezone)
    return (
        f"the platform shows {format_money(available, currency)} available; the ledger says "
        f"{format_money(expected, currency)} ({format_money(limit, currency)} limit − "
        f"{format_money(outstanding, currency)} outstanding), off by "
        f"{format_money(difference, currency)}",
        extra,
    )


def utilization_high(
    session: Session, now: datetime, thresholds: Thresholds, calendar: BusinessCalendar
) -> list[Finding]:
    """Outstanding principal (ledger) is at or above X % of the facility's limit.

    The facility's own limit is the denominator: a platform cutting the limit is
    `limit_dropped`'s finding, and a frozen line `limit_frozen`'s.
    """
    require_aware(now)
    drawn, repaid = drawn_and_repaid()
    outstanding = outstanding_fen(drawn, repaid)
    threshold = setting(Facility.utilization_percent, thresholds.utilization_percent)
    rows = session.execute(
        select(
            Facility.id.label("facility_id"),
            Facility.slug,
            Facility.currency,
            Facility.limit_amount,
            outstanding.label("outstanding_fen"),
            threshold.label("threshold"),
        )
        .outerjoin(drawn, drawn.c.facility_id == Facility.id)
        .outerjoin(repaid, repaid.c.facility_id == Facility.id)
        .where(
            Facility.active,
            fen(Facility.limit_amount) > 0,
            outstanding * 100 >= fen(Facility.limit_amount) * threshold,
        )
        .order_by(Facility.id)
    ).all()
    findings = []
    for row in rows:
        outstanding_amount = yuan(row.outstanding_fen)
        used = percent(outstanding_amount, row.limit_amount)
        money = {
            "outstanding": format_money(outstanding_amount, row.currency),
            "limit": format_money(row.limit_amount, row.currency),
            "headroom": format_money(row.limit_amount - outstanding_amount, row.currency),
        }
        findings.append(
            Finding(
                check="utilization_high",
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
