"""When a limit reading is wrong: each limit check's candidates in SQL, and one rule in Python.

The five limit checks share one query (`jobs.checks.readings`) that keeps only the facilities
some check may report; :func:`may_fire` gives the condition for each check, over a facility's
latest reading and what it is held to (:class:`ReadingTerms`, money in integer fen).

`limit_inconsistent` is stated once. :func:`inconsistency` is its rule, in Python, and the check
applies it; :func:`may_be_inconsistent` is the same rule in SQL, branch for branch, so the query
keeps exactly the readings the rule finds wrong. The restore lag (a reading taken too soon after
a draw or repayment may not show it yet) is not in either: it needs the facility's last draw
and repayment, which the query looks up for these candidates alone, and the check applies it
after the rule. `tests/jobs/test_limit_rules.py` holds the two statements to each other.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_

from bot.ledger.limits import expected_available
from bot.ledger.observations import LimitStatus

FROZEN_STATUSES = (LimitStatus.FROZEN, LimitStatus.CLOSED)


class Inconsistency(StrEnum):
    """How a limit reading fails to add up."""

    NEGATIVE = "negative"  # a negative limit or available amount
    ABOVE_LIMIT = "above limit"  # more available than the limit
    OFF_LEDGER = "off the ledger"  # available ≠ limit − outstanding, beyond the tolerance


def inconsistency(
    limit: Decimal,
    available: Decimal | None,
    status: str,
    outstanding: Decimal,
    tolerance: Decimal,
) -> Inconsistency | None:
    """How a reading fails to add up (before the restore lag), or None if it adds up.

    1. A negative limit or available amount.
    2. More available than the limit.
    3. Available differing from limit − outstanding (the ledger), floored at zero, by more than
       the tolerance, on an active line with a limit: a frozen, closed or zero-limit line cannot
       add up, and `limit_frozen` says so, critically. A limit cut below what is owed leaves
       nothing available (`limit_below_owed` says so), not a negative amount.
    A reading that shows no available amount can only be negative.
    """
    if limit < 0 or (available is not None and available < 0):
        return Inconsistency.NEGATIVE
    if available is None:
        return None
    if available > limit:
        return Inconsistency.ABOVE_LIMIT
    if (
        status == LimitStatus.ACTIVE
        and limit != 0
        and abs(available - expected_available(limit, outstanding)) > tolerance
    ):
        return Inconsistency.OFF_LEDGER
    return None


def may_be_inconsistent(
    limit: Any, available: Any, status: Any, outstanding: Any, tolerance: Any
) -> ColumnElement[bool]:
    """:func:`inconsistency` in SQL, over integer fen: true where it finds the reading wrong.

    An available amount not shown is NULL, and so is every comparison with it: only a negative
    limit can make such a reading wrong, as in Python.
    """
    return or_(
        # 1. NEGATIVE
        limit < 0,
        available < 0,
        # 2. ABOVE_LIMIT
        available > limit,
        # 3. OFF_LEDGER
        and_(
            status == LimitStatus.ACTIVE,
            limit != 0,
            func.abs(available - _floored(limit - outstanding)) > tolerance,
        ),
    )


def _floored(amount: Any) -> ColumnElement[Any]:
    """:func:`expected_available`'s floor at zero, in SQL."""
    return case((amount < 0, 0), else_=amount)


@dataclass(frozen=True)
class ReadingTerms:
    """SQL for one facility's latest reading and what it is held to; money in integer fen."""

    limit: Any
    available: Any
    status: Any
    previous_limit: Any
    outstanding: Any
    facility_limit: Any
    drop_percent: Any
    tolerance: Any
    utilization: Any


@dataclass(frozen=True)
class MayFire:
    """Which limit checks may report a facility: one SQL condition per check."""

    frozen: ColumnElement[bool]
    dropped: ColumnElement[bool]
    inconsistent: ColumnElement[bool]
    utilization_high: ColumnElement[bool]
    below_owed: ColumnElement[bool]

    def any(self) -> ColumnElement[bool]:
        """Some limit check may report the facility."""
        return or_(
            self.frozen, self.dropped, self.inconsistent, self.utilization_high, self.below_owed
        )


def may_fire(terms: ReadingTerms) -> MayFire:
    """The facilities each limit check may report; each check finishes its own in Python.

    - `limit_frozen`: the line shows frozen or closed, or a limit of 0 (exact: no Python).
    - `limit_dropped`: an active line's limit is more than X % below the previous reading or
      the facility's limit (the check says which).
    - `limit_inconsistent`: :func:`may_be_inconsistent`.
    - `utilization_high`: outstanding at or above X % of the lower of the facility's limit and
      the latest reading's (exact).
    - `limit_below_owed`: an active line shows a limit above 0 and below the outstanding (exact).
    """
    limit = terms.limit
    # No reading: the facility's limit; a reading: the lower of the two.
    measured_against = case(
        (and_(limit.is_not(None), limit < terms.facility_limit), limit),
        else_=terms.facility_limit,
    )

    def fell_below(reference: Any) -> ColumnElement[bool]:
        # latest < reference × (100 − X) / 100, in integer fen so the SQL is exact.
        return limit * 100 < reference * (100 - terms.drop_percent)

    return MayFire(
        frozen=or_(terms.status.in_(FROZEN_STATUSES), limit == 0),
        dropped=and_(
            terms.status == LimitStatus.ACTIVE,
            limit != 0,
            or_(fell_below(terms.previous_limit), fell_below(terms.facility_limit)),
        ),
        inconsistent=may_be_inconsistent(
            limit, terms.available, terms.status, terms.outstanding, terms.tolerance
        ),
        utilization_high=and_(
            measured_against > 0,
            terms.outstanding * 100 >= measured_against * terms.utilization,
        ),
        below_owed=and_(terms.status == LimitStatus.ACTIVE, limit > 0, limit < terms.outstanding),
    )
