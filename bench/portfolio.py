"""A synthetic portfolio for the benchmark, written in bulk, with a few per cent planted faults.

The timeline (Shanghai time) is fixed, so every run builds the same portfolio for a seed:

- Each facility drew once, 2025-12-01 … 2025-12-20, for twelve months: its installments fall due
  on that day of every month of 2026, a year `chinese_calendar` knows.
- The checks run at :data:`NOW`, 2026-06-24 12:00, a Wednesday. Six installments (January to
  June) are due and paid, each with a repayment and its allocation. The next is due 2026-07-01 …
  07-20: past `bill_due_soon`'s three business days (they end 2026-06-29), and its bill is in.
- All twelve bills were seen the day after the draw, and so was the payout confirming the draw.
- Fifty limit readings, two hours apart, the newest 10 to 70 minutes before NOW, show the
  facility's limit and exactly what the ledger leaves available.

So a healthy facility gives no finding, and each planted fault gives the findings listed in
:data:`FAULTS`, which the benchmark compares with what the checks found.

Rows are written the way the application would store them: the values go through the model
tables' own bind processors (FixedPoint to integer fen, UTCDateTime to UTC), either by Core
`insert(table)` executemany (any database) or by PostgreSQL `COPY … FROM STDIN` through
psycopg (much faster for the millions of limit readings).
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_UP, Decimal
from time import perf_counter
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, text
from sqlalchemy.types import TypeDecorator

from bot.ledger.schedule import DayCount, PlannedInstallment, RepaymentMethod, plan_draw
from bot.ledger.summaries import rebuild_summaries
from bot.models import (
    Bill,
    Draw,
    DrawConfirmation,
    Facility,
    Installment,
    InstallmentStatus,
    LimitReading,
    Platform,
    Repayment,
    RepaymentAllocation,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 24, 12, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()

MONTHS = 12
DRAW_DAYS = range(1, 21)  # drawn on 2025-12-01 … 2025-12-20
READINGS_PER_FACILITY = 50
READING_EVERY = timedelta(hours=2)
STALE_BY = timedelta(hours=72)
FEN = Decimal("0.01")

PLATFORMS = (
    ("jiebei", "Alipay 借呗"),
    ("weilidai", "WeBank 微粒贷"),
    ("icbc", "ICBC 信用贷"),
    ("ccb", "CCB 快贷"),
)
AMOUNTS = tuple(Decimal(20_000 * k).quantize(FEN) for k in range(1, 11))
RATES = (Decimal("0.0002"), Decimal("0.0003"), Decimal("0.0004"), Decimal("0.0005"))

# Each planted fault, and the findings it must produce (check → count).
FAULTS: dict[str, dict[str, int]] = {
    # The June installment got no bill, so it is still unpaid: overdue and no bill.
    "missing_bill": {"bill_missing": 1},
    # The July bill is 12.34 more than the installment.
    "amount_mismatch": {"bill_amount_mismatch": 1},
    # The newest reading shows 60 % of the limit.
    "limit_drop": {"limit_dropped": 1},
    # The newest reading shows the line frozen at 0 (limit_inconsistent leaves it to limit_frozen).
    "frozen_line": {"limit_frozen": 1},
    # Readings stopped 72 hours ago (bills and payouts are months old).
    "stale_data": {"data_stale": 1},
    # No payout seen and no bill for the first installment.
    "unconfirmed_draw": {"draw_unconfirmed": 1},
    # The facility's limit is set so that outstanding principal is 95 % of it.
    "high_utilization": {"utilization_high": 1},
}
MISMATCH = Decimal("12.34")

# Columns written per table, in the order the generator builds the tuples.
COLUMNS: dict[str, tuple[str, ...]] = {
    "platforms": ("id", "name", "display_name", "created_at"),
    "facilities": (
        "id",
        "slug",
        "platform_id",
        "name",
        "limit_amount",
        "currency",
        "daily_rate",
        "repayment_method",
        "day_count",
        "repayment_day",
        "alert_channel",
        "timezone",
        "active",
        "created_at",
        "rounding",
        "first_period",
        "repayment_day_rule",
        "holiday_rule",
        "penalty_multiplier",
        "penalty_on_interest",
    ),
    "draws": (
        "id",
        "facility_id",
        "amount",
        "drawn_on",
        "months",
        "repayment_method",
        "day_count",
        "daily_rate",
        "repayment_day",
        "confirmed_at",
        "created_at",
        "created_by",
        "rounding",
    ),
    "draw_confirmations": (
        "facility_id",
        "occurred_at",
        "amount",
        "external_ref",
        "description",
        "draw_id",
        "observed_at",
    ),
    "installments": (
        "id",
        "draw_id",
        "facility_id",
        "seq",
        "revision",
        "due_date",
        "principal",
        "interest",
        "amount",
        "status",
        "paid_on",
    ),
    "repayments": (
        "id",
        "facility_id",
        "amount",
        "paid_on",
        "external_ref",
        "created_at",
        "created_by",
        "unexplained",
    ),
    "repayment_allocations": (
        "repayment_id",
        "draw_id",
        "installment_id",
        "principal",
        "interest",
        "penalty",
    ),
    "bills": ("facility_id", "due_date", "amount", "paid", "observed_at", "reference", "source"),
    "limit_readings": (
        "facility_id",
        "observed_at",
        "limit_amount",
        "available",
        "status",
        "source",
    ),
}
TABLES: dict[str, Table] = {
    model.__table__.name: model.__table__  # type: ignore[attr-defined]
    for model in (
        Platform,
        Facility,
        Draw,
        DrawConfirmation,
        Installment,
        Repayment,
        RepaymentAllocation,
        Bill,
        LimitReading,
    )
}
# Tables given explicit ids (others reference them); their sequences are moved past them.
EXPLICIT_IDS = ("platforms", "facilities", "draws", "installments", "repayments")
FACILITIES_PER_CHUNK = 2_000


@dataclass
class BuildReport:
    """What was written, how long each table took, and which faults were planted where."""

    loader: str
    rows: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    plans_computed: int = 0
    generate_seconds: float = 0.0

    def expected_findings(self) -> Counter[str]:
        """Findings per check the planted faults must produce."""
        expected: Counter[str] = Counter()
        for fault, count in self.faults.items():
            for check, per_fault in FAULTS[fault].items():
                expected[check] += per_fault * count
        return expected


class RowWriter(Protocol):
    """Writes tuples (in COLUMNS order) into one table."""

    name: str

    def write(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...


class CoreWriter:
    """Core `insert(table)` executemany, 10,000 rows a statement; works on every database."""

    name = "core"

    def __init__(self, connection: Connection, batch: int = 10_000) -> None:
        self.connection = connection
        self.batch = batch

    def write(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        for start in range(0, len(rows), self.batch):
            batch = rows[start : start + self.batch]
            self.connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in batch]
            )


class CopyWriter:
    """PostgreSQL `COPY … FROM STDIN`, values through the columns' own bind processors.

    The processors are the ones SQLAlchemy would apply to an INSERT (FixedPoint: Decimal to
    integer fen; UTCDateTime: aware to UTC). The portfolio repeats few distinct amounts and
    moments, so each TypeDecorator's processor is memoized per value.
    """

    name = "copy"

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.processors: dict[tuple[str, str], Callable[[Any], Any] | None] = {}

    def _processor(self, table: Table, column: str) -> Callable[[Any], Any] | None:
        key = (table.name, column)
        if key not in self.processors:
            column_type = table.c[column].type
            process = column_type.bind_processor(self.connection.dialect)
            if process is not None and isinstance(column_type, TypeDecorator):
                process = _memoized(process)
            self.processors[key] = process
        return self.processors[key]

    def write(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        processors = [self._processor(table, column) for column in columns]
        plain = all(p is None for p in processors)
        quote = self.connection.dialect.identifier_preparer.quote
        statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if plain:
                    copy.write_row(row)
                else:
                    copy.write_row(
                        [v if p is None else p(v) for p, v in zip(processors, row, strict=True)]
                    )


def _memoized(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def apply(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            if len(cache) > 200_000:
                cache.clear()
            result = cache[value] = process(value)
            return result

    return apply


@dataclass(frozen=True)
class Terms:
    """What one facility's single draw looks like."""

    amount: Decimal
    rate: Decimal
    drawn_on: date
    method: RepaymentMethod
    day_count: DayCount


class Plans:
    """plan_draw once per distinct draw, reused by every facility with the same terms."""

    def __init__(self) -> None:
        self.cache: dict[Terms, list[PlannedInstallment]] = {}

    def __call__(self, terms: Terms) -> list[PlannedInstallment]:
        plan = self.cache.get(terms)
        if plan is None:
            plan = plan_draw(
                terms.amount, terms.rate, MONTHS, terms.drawn_on, terms.method, terms.day_count
            )
            self.cache[terms] = plan
        return plan


def plant_faults(facilities: int, percent: float, rng: random.Random) -> dict[int, str]:
    """Facility index → fault, for round(facilities × percent / 100) facilities, kinds in turn."""
    count = min(facilities, round(facilities * percent / 100))
    kinds = list(FAULTS)
    chosen = rng.sample(range(facilities), count)
    return {index: kinds[k % len(kinds)] for k, index in enumerate(chosen)}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


def generate_chunk(
    indices: range,
    faults: dict[int, str],
    plans: Plans,
    rng: random.Random,
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of facilities `indices` (0-based; facility id = index + 1), per table."""
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    facilities, draws, confirmations = rows["facilities"], rows["draws"], rows["draw_confirmations"]
    installments, repayments = rows["installments"], rows["repayments"]
    allocations, bills, readings = (
        rows["repayment_allocations"],
        rows["bills"],
        rows["limit_readings"],
    )
    now_utc = NOW.astimezone(UTC)
    created = _at(date(2025, 11, 3), 9)
    for index in indices:
        fault = faults.get(index)
        facility_id = draw_id = index + 1
        platform = index % len(PLATFORMS)
        terms = Terms(
            amount=rng.choice(AMOUNTS),
            rate=rng.choice(RATES),
            drawn_on=date(2025, 12, rng.choice(DRAW_DAYS)),
            method=rng.choice(tuple(RepaymentMethod)),
            day_count=rng.choice(tuple(DayCount)),
        )
        plan = plans(terms)
        drawn_at = _at(terms.drawn_on, 10)
        seen_at = drawn_at + timedelta(days=1)

        outstanding = terms.amount
        for planned in plan:
            installment_id = index * MONTHS + planned.seq
            amount = planned.principal + planned.interest
            due = planned.due_date
            paid = due < TODAY
            billed = True
            if fault == "missing_bill" and due.year == TODAY.year and due.month == TODAY.month:
                paid, billed = False, False
            if fault == "unconfirmed_draw" and planned.seq == 1:
                billed = False
            installments.append(
                (
                    installment_id,
                    draw_id,
                    facility_id,
                    planned.seq,
                    0,
                    due,
                    planned.principal,
                    planned.interest,
                    amount,
                    InstallmentStatus.PAID if paid else InstallmentStatus.SCHEDULED,
                    due if paid else None,
                )
            )
            if paid:
                outstanding -= planned.principal
                repayments.append(
                    (
                        installment_id,
                        facility_id,
                        amount,
                        due,
                        f"AUTO-{installment_id}",
                        _at(due, 10),
                        "bench",
                        Decimal("0.00"),
                    )
                )
                allocations.append(
                    (
                        installment_id,
                        draw_id,
                        installment_id,
                        planned.principal,
                        planned.interest,
                        Decimal("0.00"),
                    )
                )
            if billed:
                first_open = not paid and planned.seq == 7
                bill_amount = (
                    amount + MISMATCH if fault == "amount_mismatch" and first_open else amount
                )
                bills.append(
                    (facility_id, due, bill_amount, paid, seen_at, f"B{installment_id}", "bench")
                )

        limit = terms.amount * 3
        if fault == "high_utilization":
            limit = (outstanding * 100 / 95).quantize(FEN, rounding=ROUND_UP)
        facilities.append(
            (
                facility_id,
                f"bench-{facility_id:06d}",
                platform + 1,
                f"{PLATFORMS[platform][1]} line {facility_id}",
                limit,
                "CNY",
                terms.rate,
                str(terms.method),
                str(terms.day_count),
                None,
                f"#loans-{PLATFORMS[platform][0]}",
                "Asia/Shanghai",
                True,
                created,
                # What every facility did before its platform's profile (migration 0010).
                "half-up",
                "next-month",
                "draw-day",
                "none",
                # No penalty: every installment is paid on its day (migration 0011's default).
                Decimal(0),
                False,
            )
        )
        draws.append(
            (
                draw_id,
                facility_id,
                terms.amount,
                terms.drawn_on,
                MONTHS,
                str(terms.method),
                str(terms.day_count),
                terms.rate,
                None,
                # What recording the payout below does to the draw it confirms.
                None if fault == "unconfirmed_draw" else drawn_at + timedelta(minutes=5),
                drawn_at,
                "bench",
                "half-up",
            )
        )
        if fault != "unconfirmed_draw":
            confirmations.append(
                (
                    facility_id,
                    drawn_at + timedelta(minutes=5),
                    terms.amount,
                    f"PAYOUT-{draw_id}",
                    "loan payout",
                    draw_id,
                    seen_at,
                )
            )

        newest = now_utc - timedelta(minutes=10 + index % 60)
        if fault == "stale_data":
            newest -= STALE_BY
        available = limit - outstanding
        for k in range(READINGS_PER_FACILITY):
            shown_limit, shown_available, status = limit, available, "active"
            if k == 0 and fault == "limit_drop":
                shown_limit = (limit * Decimal("0.6")).quantize(FEN)
                shown_available = shown_limit - outstanding
            if k == 0 and fault == "frozen_line":
                shown_limit, shown_available, status = Decimal("0.00"), Decimal("0.00"), "frozen"
            readings.append(
                (
                    facility_id,
                    newest - k * READING_EVERY,
                    shown_limit,
                    shown_available,
                    status,
                    "bench",
                )
            )
    return rows


def build_portfolio(
    connection: Connection,
    facilities: int,
    *,
    fault_percent: float,
    seed: int,
    writer: RowWriter,
    progress: Callable[[str], None] = lambda _: None,
) -> BuildReport:
    """Write the whole portfolio in `connection`'s transaction (the caller commits)."""
    report = BuildReport(loader=writer.name)
    rng = random.Random(seed)
    faults = plant_faults(facilities, fault_percent, rng)
    report.faults.update(faults.values())
    plans = Plans()

    created = _at(date(2025, 11, 1), 9)
    platform_rows = [(k + 1, name, display, created) for k, (name, display) in enumerate(PLATFORMS)]
    _write(writer, report, "platforms", platform_rows)
    for start in range(0, facilities, FACILITIES_PER_CHUNK):
        indices = range(start, min(start + FACILITIES_PER_CHUNK, facilities))
        began = perf_counter()
        chunk = generate_chunk(indices, faults, plans, rng)
        report.generate_seconds += perf_counter() - began
        for name in COLUMNS:
            if name != "platforms":
                _write(writer, report, name, chunk[name])
        if (indices.stop // FACILITIES_PER_CHUNK) % 10 == 0 or indices.stop == facilities:
            progress(f"built {indices.stop:,} / {facilities:,} facilities")
    report.plans_computed = len(plans.cache)

    if connection.dialect.name == "postgresql":
        for name in EXPLICIT_IDS:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
            )
    # The rows went in with COPY or Core inserts, past the ORM hook that keeps the checks'
    # summaries in step; build those the way a repair would, from the base tables.
    started = perf_counter()
    rebuild_summaries(connection)
    report.seconds["summaries"] += perf_counter() - started
    progress(f"summaries built in {perf_counter() - started:.1f} s")
    return report


def _write(writer: RowWriter, report: BuildReport, name: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    began = perf_counter()
    writer.write(TABLES[name], COLUMNS[name], rows)
    report.seconds[name] += perf_counter() - began
    report.rows[name] += len(rows)
