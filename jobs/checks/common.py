"""What the checks share: SQL helpers that work on SQLite and PostgreSQL, zones, bill matching.

Money columns are integer fen in the database (``bot.models.types.FixedPoint``). SQLAlchemy binds
a plain literal next to such a column with the column's type, so ``Bill.amount * 100`` would
multiply by 10000. Arithmetic in the checks' SQL therefore goes through :func:`fen`, which says
"these are integer fen" out loud, and amounts are bound with :func:`fen_of`.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.alerts.findings import Finding
from bot.calendar import BusinessCalendar
from bot.db import among
from bot.ledger.bills import bill_known_at
from bot.ledger.terms_history import facilities_as_of
from bot.models import (
    Bill,
    BillDay,
    Facility,
)
from bot.thresholds import Thresholds
from jobs.checks.as_of import (  # noqa: F401 - re-exported: the checks import them from here
    installment_current,
    installment_open,
    ledger_ahead,
    paid_since,
)

T = TypeVar("T")


class ScanFailedError(RuntimeError):
    """A scan several checks share raised earlier in the cycle (the cause is chained)."""


class CycleScans:
    """What several checks read, computed once per cycle and then shared.

    `run_checks` (or `run_each_check`) makes one for the cycle and hands it to every check; a
    check called on its own makes its own (see :func:`scans_for`), so each check stays a function
    of the database at `now`. A scan is a query whose result is small (candidates, not the
    portfolio), so holding it for the length of a cycle costs memory in proportion to the
    findings only.
    """

    def __init__(
        self,
        session: Session,
        now: datetime,
        thresholds: Thresholds,
        calendar: BusinessCalendar,
        facility_ids: AbstractSet[int] | None = None,
    ) -> None:
        self.session, self.now, self.thresholds, self.calendar = session, now, thresholds, calendar
        # The facilities a prompt run checks (jobs/prompt.py); None: the whole portfolio.
        self.facility_ids = None if facility_ids is None else frozenset(facility_ids)
        self._done: dict[str, Any] = {}
        self._failed: dict[str, Exception] = {}

    def once(self, name: str, scan: Callable[[], T]) -> T:
        """`scan()` the first time `name` is asked for in this cycle, its result after that.

        A scan that raised raises again for every later check that asks for it, without running
        its query again: they all depend on it, and the error is the same.
        """
        if name in self._failed:
            raise ScanFailedError(f"the shared scan {name!r} failed earlier in this cycle") from (
                self._failed[name]
            )
        if name not in self._done:
            try:
                self._done[name] = scan()
            except Exception as exc:
                self._failed[name] = exc
                raise
        return self._done[name]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Longest:
    """The largest value of some thresholds over the active facilities (their own or default).

    Bounds for index range scans: "due within the longest lead of any facility" can be read
    off an index on the due date, where each facility's own lead cannot.
    """

    lead_days: int
    match_window_days: int
    due_soon_days: int


def facilities(scans: CycleScans) -> Any:
    """`Facility` as the checks read it at `now`: itself, or for a check run as of a moment
    some facility's terms changed after, a stand-in with the terms, thresholds and active flag
    in force then (`bot.ledger.terms_history`). Decided once a cycle, by one index probe.

    The scope of a prompt run (`scans.facility_ids`) is applied here, once for every check:
    the stand-in then holds those facilities only, so each set-based query that reads the
    facility (they all do, for its terms and its active flag) reads theirs alone, by the
    primary key. The checks' findings are kept to the scope as well (`jobs.checks`), so a
    query that narrows otherwise costs time, never a finding about another facility.
    """
    return scans.once("facilities", lambda: _in_scope(scans))


def _in_scope(scans: CycleScans) -> Any:
    facility = facilities_as_of(scans.session, scans.now)
    if scans.facility_ids is None:
        return facility
    chosen = (
        select(facility)
        .where(among(scans.session, facility.id, sorted(scans.facility_ids)))
        .subquery("facilities_checked")
    )
    return aliased(Facility, chosen, name="facilities_checked", adapt_on_names=True)


def longest(scans: CycleScans) -> Longest:
    """The cycle's :class:`Longest` thresholds, read once a cycle."""
    return scans.once("longest", lambda: _longest(scans))


def _longest(scans: CycleScans) -> Longest:
    thresholds = scans.thresholds
    defaults = (
        thresholds.bill_lead_days,
        thresholds.bill_match_window_days,
        thresholds.due_soon_days,
    )
    facility = facilities(scans)
    found = scans.session.execute(
        select(
            func.max(setting(facility.bill_lead_days, defaults[0])),
            func.max(setting(facility.bill_match_window_days, defaults[1])),
            func.max(setting(facility.due_soon_days, defaults[2])),
        ).where(facility.active)
    ).one()
    # No active facility: nothing to bound, and the defaults do no harm.
    return Longest(
        *(
            value if value is not None else default
            for value, default in zip(found, defaults, strict=True)
        )
    )


def scans_for(
    scans: CycleScans | None,
    session: Session,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
) -> CycleScans:
    """The cycle's shared scans, or fresh ones for a check run alone."""
    if scans is None:
        return CycleScans(session, now, thresholds, calendar)
    if (
        scans.session is not session
        or scans.now != now
        or scans.thresholds != thresholds
        or scans.calendar is not calendar
    ):
        raise ValueError("shared scans belong to another session, time, thresholds or calendar")
    return scans


class CheckFn(Protocol):
    """A check: findings from the database as of `now` (`scans`: the cycle's shared scans)."""

    def __call__(
        self,
        session: Session,
        now: datetime,
        thresholds: Thresholds,
        calendar: BusinessCalendar,
        scans: CycleScans | None = None,
    ) -> list[Finding]: ...


FEN_PER_YUAN = 100
# Ids per IN list: well under SQLite's limit on bound parameters.
CHUNK = 5000
# Local dates the world over lie within these offsets of UTC (UTC-12 … UTC+14).
_WESTMOST = timedelta(hours=12)
_EASTMOST = timedelta(hours=14)


class days_after(FunctionElement[date]):  # noqa: N801 - reads as the SQL function it renders
    """``day + days`` as a date, where `days` may be a column (a facility's window).

    The one piece of date arithmetic the checks leave to the database: matching a bill to an
    installment within a per-facility number of days is a join, and a join cannot be done with
    bounds computed in Python.
    """

    type = Date()
    inherit_cache = True
    name = "days_after"


@compiles(days_after)
def _days_after_postgresql(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = element.clauses.clauses
    # date + integer is a date in PostgreSQL.
    return f"(CAST({compiler.process(day, **kw)} AS DATE) + {compiler.process(days, **kw)})"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = element.clauses.clauses
    # SQLAlchemy stores SQLite dates as 'YYYY-MM-DD' text, which is what date() returns.
    return f"date({compiler.process(day, **kw)}, ({compiler.process(days, **kw)}) || ' days')"


def as_date(day: date) -> ColumnElement[date]:
    """A date bound as a date (so :class:`days_after` and comparisons see a date)."""
    return literal(day, Date())


def fen(expression: Any) -> ColumnElement[int]:
    """A money expression as the integer fen it is stored as, for arithmetic in SQL."""
    return type_coerce(expression, BigInteger)


def fen_of(amount: Decimal) -> int:
    """A Decimal amount as integer fen, to bind next to :func:`fen` expressions."""
    return int(amount * FEN_PER_YUAN)


def setting(column: Any, default: Any) -> ColumnElement[Any]:
    """A facility's own threshold, or the default when its column is NULL."""
    return func.coalesce(column, literal(default, column.type))


def flag(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition as a plain true/false column (NULL, from a missing reading, is false)."""
    return case((condition, True), else_=False)


def overridden_or(column: Any, condition_for_default: ColumnElement[bool]) -> ColumnElement[bool]:
    """Keep rows that meet the default threshold's condition, and every facility with its own.

    For a threshold in hours the exact test needs datetime arithmetic per row; the default
    (almost every facility) is filtered exactly in SQL with a bound computed in Python, and the
    few facilities with their own value are finished in Python.
    """
    return or_(and_(column.is_(None), condition_for_default), column.is_not(None))


def zone(name: str) -> ZoneInfo:
    """The facility's zone (ZoneInfo caches instances itself)."""
    return ZoneInfo(name)


def local_today(now: datetime, timezone: str) -> date:
    """The date it is at `now` where the facility is."""
    return now.astimezone(zone(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    """The moment `day` starts where the facility is."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone))


def earliest_today(now: datetime) -> date:
    """The earliest local date anywhere at `now`: a lower bound for any facility's today."""
    return (now.astimezone(UTC) - _WESTMOST).date()


def latest_today(now: datetime) -> date:
    """The latest local date anywhere at `now`: an upper bound for any facility's today."""
    return (now.astimezone(UTC) + _EASTMOST).date()


def local_time(moment: datetime, timezone: str) -> str:
    """A moment as people in the facility read it: 2026-12-01 00:00 (Asia/Shanghai)."""
    try:
        local = moment.astimezone(zone(timezone))
    except OverflowError:  # a time at an end of the calendar, see `moved`
        return f"{moment.astimezone(UTC).isoformat(timespec='minutes')} (UTC)"
    return f"{local:%Y-%m-%d %H:%M} ({timezone})"


def moved(day: date, days: int) -> date:
    """`day` moved by `days`, held at the first or last day of the calendar.

    The ledger keeps dates from 2000 to 2100, but a database written before that rule may hold
    a bill dated 0001-01-01; a window around it must still be a window, not an OverflowError
    that stops the whole cycle.
    """
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def hours(delta: timedelta) -> str:
    """A duration in whole hours, rounded down: "49 h"."""
    return f"{int(delta.total_seconds() // 3600)} h"


def yuan(amount_fen: int) -> Decimal:
    """Integer fen from SQL arithmetic back to a two-place Decimal."""
    return (Decimal(int(amount_fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def percent(part: Decimal, whole: Decimal) -> str:
    """part / whole as a percentage with one decimal: "25.0 %"."""
    return f"{(part * 100 / whole).quantize(Decimal('0.1'))} %"


def bill_matches(bill_due: date, due: date, shifted_due: date, window_days: int) -> bool:
    """A bill due `bill_due` is the platform's bill for an installment due `due`.

    Either date may be `window_days` off: the installment's own due date, or the due date moved
    to the next business day when it falls on a weekend or public holiday (platforms collect on
    the shifted day and often print it on the bill).
    """
    return (
        abs((bill_due - due).days) <= window_days
        or abs((bill_due - shifted_due).days) <= window_days
    )


def billed_for_own_installments() -> ColumnElement[bool]:
    """The bill's day has installments of its own (correlated to `Bill`): the bill is theirs.

    A bill is matched to installments due on another day only when its own day has none:
    otherwise one draw's bill would stand in for another draw's missing one.
    """
    return exists().where(
        BillDay.facility_id == Bill.facility_id,
        BillDay.day == Bill.due_date,
        BillDay.installments > 0,
    )


class DueDay(NamedTuple):
    """A due date the platform should bill: its facility, the date, that date moved off a
    weekend or holiday (the same date when it does not move), and the facility's match window."""

    facility_id: int
    due: date
    shifted: date
    window: int


def unbilled_after_shift(
    session: Session, now: datetime, candidates: Sequence[T], due_day: Callable[[T], DueDay]
) -> list[T]:
    """The candidates that no bill matches once their due date is moved off a holiday as well.

    The callers' SQL has found no bill within the window of each candidate's own due date;
    only the candidates whose due date moves can still be matched, by a bill near the shifted
    date. Those bills are read in one query per 5,000 facilities (:func:`bill_dates_near`).
    """
    days = [due_day(candidate) for candidate in candidates]
    near_shift = bill_dates_near(
        session,
        now,
        sorted({day.facility_id for day in days}),
        [(day.shifted, day.window) for day in days if day.shifted != day.due],
    )
    return [
        candidate
        for candidate, day in zip(candidates, days, strict=True)
        if not any(
            bill_matches(bill_due, day.due, day.shifted, day.window)
            for bill_due in near_shift.get(day.facility_id, ())
        )
    ]


def bill_dates_near(
    session: Session,
    now: datetime,
    facility_ids: list[int],
    windows: list[tuple[date, int]],
) -> dict[int, set[date]]:
    """Bill due dates within (day ± window) of a few candidates, in a query per 5,000 facilities.

    `facility_ids` names the candidates' facilities (a superset is fine); the dates are the
    union of the windows, so the result is a superset the caller filters. Bills due on a day
    with installments of its own are left out: they are those installments' bills (the callers
    have already looked for a bill on the candidate's own day).
    """
    if not windows or not facility_ids:
        return {}
    dates = sorted(
        {moved(day, offset) for day, window in windows for offset in range(-window, window + 1)}
    )
    near: dict[int, set[date]] = defaultdict(set)
    for start in range(0, len(facility_ids), CHUNK):
        for facility_id, due_date in session.execute(
            select(Bill.facility_id, Bill.due_date)
            .where(
                bill_known_at(now),
                among(session, Bill.facility_id, facility_ids[start : start + CHUNK]),
                among(session, Bill.due_date, dates),
                ~billed_for_own_installments(),
            )
            .distinct()
        ):
            near[facility_id].add(due_date)
    return near
