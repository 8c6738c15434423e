"""limit_inconsistent is stated once: its SQL keeps exactly the readings its rule finds wrong.

`jobs.checks.limit_rules` states the rule twice, in Python (which the check applies) and in SQL
(which keeps the candidates the check sees). If the SQL kept fewer, an inconsistent reading
would never reach the rule and no alert would open; if it kept more, every cycle would carry
readings that add up. Random readings, many of them on the tolerance's edge, are put to both,
on SQLite and on PostgreSQL.
"""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, String, literal, select

from bot.ledger.observations import LimitStatus
from jobs.checks.common import flag, yuan
from jobs.checks.limit_rules import Inconsistency, inconsistency, may_be_inconsistent

FEN = st.integers(min_value=-1_000_00, max_value=10_000_000_00)


@st.composite
def readings(draw: st.DrawFn) -> tuple[int, int | None, LimitStatus, int, int]:
    """(limit, available, status, outstanding, tolerance) in fen; available near the ledger's."""
    limit, outstanding = draw(FEN), draw(FEN)
    tolerance = draw(st.integers(min_value=0, max_value=500_00))
    ledger = limit - outstanding
    available = draw(
        st.none()
        | FEN
        | st.integers(min_value=ledger - tolerance - 2, max_value=ledger + tolerance + 2)
    )
    return limit, available, draw(st.sampled_from(LimitStatus)), outstanding, tolerance


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reading=readings())
def test_the_sql_keeps_exactly_the_readings_the_rule_finds_wrong(session, reading) -> None:
    """For any reading, the SQL prefilter is true exactly when `inconsistency` names a fault."""
    limit, available, status, outstanding, tolerance = reading

    kept = session.scalar(
        select(
            flag(
                may_be_inconsistent(
                    literal(limit, BigInteger),
                    literal(available, BigInteger),
                    literal(status.value, String),
                    literal(outstanding, BigInteger),
                    literal(tolerance, BigInteger),
                )
            )
        )
    )
    found = inconsistency(
        yuan(limit),
        None if available is None else yuan(available),
        status,
        yuan(outstanding),
        yuan(tolerance),
    )

    assert bool(kept) == (found is not None), (reading, found)


def test_a_reading_exactly_the_tolerance_off_the_ledger_adds_up() -> None:
    """0.01 off with a tolerance of 0.01 is quiet; 0.02 off is off the ledger."""
    limit, outstanding, tolerance = Decimal("1000.00"), Decimal("400.00"), Decimal("0.01")

    assert inconsistency(limit, Decimal("600.01"), "active", outstanding, tolerance) is None
    assert (
        inconsistency(limit, Decimal("600.02"), "active", outstanding, tolerance)
        is Inconsistency.OFF_LEDGER
    )
    assert inconsistency(limit, Decimal("600.02"), "frozen", outstanding, tolerance) is None
