"""Time one full check cycle over a synthetic portfolio of N facilities.

    .venv/bin/python -m bench.checks --facilities 10000 [--database-url URL] [--faults 3] [--keep]

1. Creates its own database: a fresh, randomly named PostgreSQL database on the server of
   `--database-url` (default: the local trust-auth server), dropped afterwards unless `--keep`;
   or, for `--database-url sqlite:///PATH`, a new file at PATH (refused if it exists), removed
   afterwards unless `--keep`. Migrates it with `bot.db.upgrade`.
2. Builds the portfolio of bench/portfolio.py in bulk (COPY on PostgreSQL, Core executemany on
   SQLite), then VACUUM ANALYZE (PostgreSQL) or ANALYZE (SQLite), as a live database would be.
3. Measures, in this order:
   - the floor: `SELECT count(*)` on installments, bills and limit_readings, timed together,
     twice; the second (warm) run is the floor;
   - a memory pass: the cycle's parts (each check, then `apply_findings`, as `run_check_cycle`
     runs them) under tracemalloc in one transaction, rolled back; the peak per part and for the
     whole (tracemalloc slows Python down, so this pass is not the timed one);
   - a breakdown pass: the same parts untraced, each with its wall time, the time its SQL spent
     in the driver's execute, and its statement count, rolled back;
   - cycle 1: `run_check_cycle` at NOW in a transaction, committed (it opens the alerts), timed
     with time.perf_counter, with the process's RSS before it and its peak RSS during it;
   - a memory pass and then cycle 2 at NOW + the check interval: the re-detection path;
   - with `--profile FILE`: one more cycle under cProfile, rolled back, its top functions.
   The build and every pass other than the two timed cycles run in forked child processes, so
   they leave the measuring process's RSS as it was before the cycles.
4. Prints a table and one JSON line (starting `{"bench": "checks"`).
"""

import argparse
import contextlib
import cProfile
import gc
import io
import json
import logging
import multiprocessing
import os
import pstats
import resource
import sys
import time
import traceback
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from bench.portfolio import NOW, BuildReport, CopyWriter, CoreWriter, build_portfolio
from bot.alerts.detection import apply_findings
from bot.alerts.policy import RunSummary
from bot.calendar import BusinessCalendar
from bot.db import make_engine, upgrade
from bot.sessions import session_factory
from bot.settings import Settings
from jobs.checks import CHECKS, CycleScans
from jobs.cycle import CycleReport, run_check_cycle

DEFAULT_SERVER = os.environ.get(
    "LOANWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FLOOR_TABLES = ("installments", "bills", "limit_readings")
MIB = 1024 * 1024
T = TypeVar("T")


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the table and the JSON line."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- memory ------------------------------------------------------------------------------------


def max_rss_mib() -> float:
    """The process's peak resident set (getrusage ru_maxrss, KiB on Linux).

    On Linux this is the same high-water mark as VmHWM: :func:`reset_rss_peak` resets both.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mib(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rounded(mib: float | None) -> float | None:
    return None if mib is None else round(mib, 1)


def reset_rss_peak() -> bool:
    """Reset the kernel's VmHWM to the current RSS (Linux ≥ 4.0), so a phase's own peak shows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Phase:
    """One timed piece of work and what it cost."""

    seconds: float = 0.0
    rss_before_mib: float | None = None
    rss_peak_mib: float | None = None  # VmHWM after a reset at the start: this phase's peak

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        gc.collect()
        self.rss_before_mib = _rounded(_status_mib("VmRSS"))
        resettable = reset_rss_peak()
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds = time.perf_counter() - began
            if resettable:
                self.rss_peak_mib = _rounded(_status_mib("VmHWM"))


# --- SQL time ----------------------------------------------------------------------------------


@dataclass
class SqlClock:
    """Time spent inside the driver's execute (server work plus transfer), and statements run."""

    seconds: float = 0.0
    statements: int = 0
    _started: list[float] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def detach(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()
        self.statements += 1


# --- the database ------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_database(url: str | None, keep: bool) -> Iterator[str]:
    """A fresh database for this run: its URL, dropped (or deleted) afterwards unless `keep`."""
    parsed = make_url(url or DEFAULT_SERVER)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or path.exists():
            raise SystemExit(f"--database-url {url}: give a SQLite file that does not exist yet")
        try:
            yield f"sqlite:///{path}"
        finally:
            if keep:
                say(f"kept {path}")
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    name = f"loanwatch_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            say(f"kept database {name}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def analyze(engine: Engine) -> None:
    """Statistics (and, on PostgreSQL, the visibility map) as autovacuum would leave them.

    On PostgreSQL a CHECKPOINT follows: otherwise the checkpointer is still writing the
    gigabyte the build dirtied while the cycles are being timed.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            connection.execute(text("CHECKPOINT"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def floor(engine: Engine) -> tuple[float, dict[str, int]]:
    """`SELECT count(*)` on the three big tables, timed together."""
    with engine.connect() as connection:
        began = time.perf_counter()
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in FLOOR_TABLES
        }
        return time.perf_counter() - began, counts


def forked(engine: Engine, work: Callable[[], T]) -> T:
    """Run `work` in a forked child process and return its result.

    The build and the memory and profiling passes allocate a lot; in a child they leave this
    process's RSS as it was, so the RSS measured around a timed cycle is the cycle's own.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        engine.dispose(close=False)  # never share the parent's connections
        try:
            sender.send((True, work()))
        except BaseException:
            sender.send((False, traceback.format_exc()))

    process = context.Process(target=child)
    process.start()
    try:
        ok, value = receiver.recv()
    except EOFError:
        ok, value = False, "the child process died before it answered"
    process.join()
    if not ok:
        raise RuntimeError(f"a child pass failed:\n{value}")
    return value  # type: ignore[no-any-return]


# --- cycles ------------------------------------------------------------------------------------


@dataclass
class Bench:
    """What every pass needs: the engine, sessions, settings and the calendar."""

    engine: Engine
    settings: Settings
    calendar: BusinessCalendar

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)

    def cycle(self, at: datetime, *, commit: bool) -> CycleReport:
        """One `run_check_cycle` in its own transaction, committed or rolled back."""
        with self.sessions() as session:
            session.begin()
            report = run_check_cycle(
                session, now=at, settings=self.settings, calendar=self.calendar
            )
            if commit:
                session.commit()
            else:
                session.rollback()
        return report

    def _parts(self, at: datetime, around: Callable[[str, Callable[[], Any]], Any]) -> None:
        """Do what run_check_cycle does, one part at a time, in one transaction, rolled back.

        The parts are each check, then apply_findings; `around(name, part)` runs each of them.
        The checks share one CycleScans, as in `run_checks`: a scan several checks read is
        counted in the first check that asks for it.
        """
        thresholds = self.settings.thresholds()
        with self.sessions() as session:
            session.begin()
            scans = CycleScans(session, at, thresholds, self.calendar)
            findings = []
            for name, check in CHECKS.items():
                findings.extend(
                    around(name, lambda c=check: c(session, at, thresholds, self.calendar, scans))
                )
            around(
                "apply_findings",
                lambda: apply_findings(
                    session,
                    findings,
                    now=at,
                    policy=self.settings.alert_policy(),
                    checks_run=set(CHECKS),
                ),
            )
            around("flush", session.flush)
            session.rollback()

    def traced(self, at: datetime) -> dict[str, Any]:
        """tracemalloc peak (MiB of Python allocations) of each part and of the whole cycle.

        Tracing runs without a break over all the parts; its peak is reset as each part starts,
        so the largest part peak is the cycle's peak.
        """
        peaks: dict[str, float] = {}

        def around(name: str, part: Callable[[], Any]) -> Any:
            tracemalloc.reset_peak()
            result = part()
            peaks[name] = round(tracemalloc.get_traced_memory()[1] / MIB, 1)
            return result

        gc.collect()
        tracemalloc.start()
        began = time.perf_counter()
        try:
            self._parts(at, around)
        finally:
            seconds = time.perf_counter() - began
            tracemalloc.stop()
        return {"peak_mib": max(peaks.values()), "parts": peaks, "traced_s": round(seconds, 1)}

    def breakdown(self, at: datetime) -> dict[str, dict[str, Any]]:
        """Each part's wall time, time in the driver's execute, statements, findings."""
        parts: dict[str, dict[str, Any]] = {}

        def around(name: str, part: Callable[[], Any]) -> Any:
            result, parts[name] = self._timed(part)
            if isinstance(result, list):
                parts[name]["findings"] = len(result)
            elif isinstance(result, RunSummary):
                parts[name]["opened"] = result.opened
            return result

        self._parts(at, around)
        return parts

    def _timed(self, work: Callable[[], T]) -> tuple[T, dict[str, Any]]:
        clock = SqlClock()
        clock.attach(self.engine)
        began = time.perf_counter()
        try:
            result = work()
        finally:
            wall = time.perf_counter() - began
            clock.detach(self.engine)
        return result, {
            "seconds": round(wall, 3),
            "sql_seconds": round(clock.seconds, 3),
            "python_seconds": round(wall - clock.seconds, 3),
            "statements": clock.statements,
        }

    def profile(self, at: datetime, path: Path) -> str:
        """A rolled-back cycle under cProfile, stats saved to `path`; the top entries as text."""
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            self.cycle(at, commit=False)
        finally:
            profiler.disable()
        profiler.dump_stats(path)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        return out.getvalue()


def by_check(report: CycleReport) -> dict[str, int]:
    """Findings per check, in the checks' order."""
    counts = Counter(f.check for f in report.findings)
    return {name: counts[name] for name in CHECKS if counts[name]}


# --- the run -----------------------------------------------------------------------------------


def build(engine: Engine, args: argparse.Namespace, use_copy: bool) -> tuple[BuildReport, float]:
    """Write the portfolio in one transaction; the report and this process's peak RSS."""
    with engine.begin() as connection:
        writer = CopyWriter(connection) if use_copy else CoreWriter(connection)
        built = build_portfolio(
            connection,
            args.facilities,
            fault_percent=args.faults,
            seed=args.seed,
            writer=writer,
            progress=say,
        )
    return built, round(max_rss_mib(), 1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Everything the module docstring lists, for one portfolio size; the results as a dict."""
    result: dict[str, Any] = {"bench": "checks", "facilities": args.facilities}
    with bench_database(args.database_url, args.keep) as url:
        engine = make_engine(url)
        result["database"] = engine.dialect.name
        try:
            say(f"migrating {engine.url.render_as_string(hide_password=True)}")
            upgrade(url)
            use_copy = engine.dialect.name == "postgresql" and args.loader != "core"
            result["rss_start_mib"] = round(max_rss_mib(), 1)
            say(
                f"building {args.facilities:,} facilities ({'COPY' if use_copy else 'Core insert'})"
            )
            began = time.perf_counter()
            built, result["build_peak_rss_mib"] = forked(
                engine, lambda: build(engine, args, use_copy)
            )
            result["build_s"] = round(time.perf_counter() - began, 2)
            began = time.perf_counter()
            analyze(engine)
            result["analyze_s"] = round(time.perf_counter() - began, 2)
            result["loader"] = built.loader
            result["generate_s"] = round(built.generate_seconds, 2)
            result["write_s"] = {name: round(s, 2) for name, s in built.seconds.items()}
            result["rows"] = dict(built.rows)
            result["plans_computed"] = built.plans_computed
            result["faults"] = dict(built.faults)
            say(f"built in {result['build_s']} s, analyzed in {result['analyze_s']} s")

            cold, counts = floor(engine)
            warm, _ = floor(engine)
            result["floor_cold_s"] = round(cold, 3)
            result["floor_s"] = round(warm, 3)
            result["floor_counts"] = counts
            say(f"floor {warm:.3f} s (first run {cold:.3f} s)")

            settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
            bench = Bench(engine, settings, BusinessCalendar())
            second_at = NOW + timedelta(minutes=settings.check_interval_minutes)

            memory = forked(engine, lambda: bench.traced(NOW))
            result["tracemalloc_peak_mib"] = memory["peak_mib"]
            result["tracemalloc_parts_mib"] = memory["parts"]
            say(f"memory pass: tracemalloc peak {memory['peak_mib']} MiB ({memory['traced_s']} s)")
            if not args.no_breakdown:
                result["breakdown"] = forked(engine, lambda: bench.breakdown(NOW))
                say("breakdown pass done")

            first = Phase()
            with first.measure():
                report = bench.cycle(NOW, commit=True)
            result["cycle_s"] = round(first.seconds, 3)
            result["ratio"] = round(first.seconds / warm, 1) if warm else None
            result["findings"] = len(report.findings)
            result["findings_by_check"] = by_check(report)
            result["expected_by_check"] = dict(built.expected_findings())
            result["alerts_opened"] = report.summary.opened
            result["notified"] = report.summary.notified
            result["grouped"] = report.summary.grouped
            result["cycle_rss_before_mib"] = first.rss_before_mib
            result["cycle_rss_peak_mib"] = first.rss_peak_mib
            say(f"cycle 1: {first.seconds:.3f} s, {len(report.findings)} findings")
            del report

            memory = forked(engine, lambda: bench.traced(second_at))
            result["tracemalloc_peak_cycle2_mib"] = memory["peak_mib"]
            second = Phase()
            with second.measure():
                report = bench.cycle(second_at, commit=True)
            result["cycle2_s"] = round(second.seconds, 3)
            result["cycle2_findings"] = len(report.findings)
            result["cycle2_opened"] = report.summary.opened
            result["cycle2_updated"] = report.summary.updated
            result["cycle2_resolved"] = report.summary.resolved
            result["cycle2_rss_before_mib"] = second.rss_before_mib
            result["cycle2_rss_peak_mib"] = second.rss_peak_mib
            say(f"cycle 2: {second.seconds:.3f} s, {report.summary.opened} opened")

            if args.profile:
                later = second_at + timedelta(minutes=settings.check_interval_minutes)
                print(forked(engine, lambda: bench.profile(later, args.profile)))
        finally:
            engine.dispose()
    return result


def print_table(result: dict[str, Any]) -> None:
    """The numbers a person reads first."""
    rows = [
        ("database", result["database"]),
        ("facilities", f"{result['facilities']:,}"),
        ("rows", ", ".join(f"{k} {v:,}" for k, v in result["rows"].items())),
        ("build (+ analyze)", f"{result['build_s']} s (+ {result['analyze_s']} s)"),
        ("floor: count(*) ×3, warm", f"{result['floor_s']} s (cold {result['floor_cold_s']} s)"),
        ("cycle 1 (opens alerts)", f"{result['cycle_s']} s = {result['ratio']}× the floor"),
        (
            "findings / alerts opened",
            f"{result['findings']} / {result['alerts_opened']} "
            f"({result['notified']} outbox rows, {result['grouped']} alerts grouped)",
        ),
        (
            "cycle 2 (re-detection)",
            f"{result['cycle2_s']} s, {result['cycle2_findings']} findings, "
            f"{result['cycle2_opened']} opened, {result['cycle2_updated']} updated",
        ),
        (
            "tracemalloc peak (Python)",
            f"cycle 1 {result['tracemalloc_peak_mib']} MiB, "
            f"cycle 2 {result['tracemalloc_peak_cycle2_mib']} MiB",
        ),
        (
            "RSS (VmHWM) in cycle 1 / 2",
            f"{result['cycle_rss_before_mib']} → peak {result['cycle_rss_peak_mib']} MiB / "
            f"{result['cycle2_rss_before_mib']} → peak {result['cycle2_rss_peak_mib']} MiB",
        ),
        (
            "max RSS (getrusage)",
            f"before the cycles {result['rss_start_mib']} MiB; "
            f"build (child process) {result['build_peak_rss_mib']} MiB",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    expected, found = result["expected_by_check"], result["findings_by_check"]
    if expected != found:
        print(f"NOTE: findings differ from the planted faults: expected {expected}, found {found}")
    if "breakdown" in result:
        print(
            f"{'breakdown (rolled back)':<{width}}  wall / SQL / Python s, statements, "
            "tracemalloc peak MiB, findings"
        )
        peaks = result["tracemalloc_parts_mib"]
        for name, part in result["breakdown"].items():
            extra = part.get("findings", part.get("opened", ""))
            print(
                f"  {name:<{width - 2}}  {part['seconds']:7.3f} {part['sql_seconds']:7.3f} "
                f"{part['python_seconds']:7.3f} {part['statements']:6} {peaks.get(name, 0):7.1f}"
                f"  {extra}"
            )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, print the table and the JSON line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.checks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--facilities", type=int, required=True, help="portfolio size N")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create the bench database on (default: the local one), "
        "or sqlite:///NEW-FILE",
    )
    parser.add_argument("--faults", type=float, default=3.0, help="per cent of facilities (3)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=20260624)
    parser.add_argument(
        "--loader",
        choices=("auto", "copy", "core"),
        default="auto",
        help="auto: COPY on PostgreSQL, Core insert on SQLite",
    )
    parser.add_argument("--no-breakdown", action="store_true", help="skip the per-check pass")
    parser.add_argument("--profile", type=Path, help="also cProfile a cycle into this file")
    args = parser.parse_args(argv)
    if args.facilities < 1:
        parser.error("--facilities must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(args)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
