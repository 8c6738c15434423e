"""Limit readings posted to POST /api/v1/observations in batches, against a floor; then a cycle.

    .venv/bin/python -m bench.ingest [--facilities 10000] [--readings 100000] [--batch 1000]
                                     [--database-url URL] [--threads N] [--steady 3] [--keep]

1. Creates its own PostgreSQL database as bench.checks does (randomly named, on the server of
   `--database-url`, default the local trust-auth one; dropped afterwards), migrates it, and
   builds bench/portfolio.py's portfolio of F facilities (COPY, then the summaries rebuilt and
   VACUUM ANALYZE), so the readings land among 50 each already there and the check cycle
   afterwards has the ledger bench.checks times.
2. Makes R readings: round r (of R / F) reads every facility at NOW − 9 min + r·step, each
   showing what the facility's newest reading shows (so the planted faults stay what they
   were), in batches of B consecutive readings (B facilities of one round).
3. The floor: the same batches written by one multi-row INSERT each (`bot.db.insert_many`,
   the statement the batch path uses), each committed, into a scratch copy of limit_readings
   (`LIKE limit_readings INCLUDING ALL` and its foreign key), dropped afterwards. No HTTP, no
   validation, no audit, no summaries.
4. The API: the ingest API's WSGI app (`bot.api.app.build_api`, clock fixed at NOW, rate limit
   out of the way) on a waitress server on port 0 with `web_threads` threads, as `loanwatch
   web` serves it, and a write token. A forked client posts the batches one after another on
   one keep-alive connection; each answer must be 200 with every reading new. Reports
   readings/s, p50/p99 per batch, and the ratio to the floor.
5. Checks that every facility's summary shows its newest reading, then times the check cycle
   (`jobs.cycle.run_check_cycle` at NOW, the bench's portfolio) against bench.checks' floor
   (`SELECT count(*)` of installments, bills and limit_readings: every row the checks answer
   for, warm, run twice and the second timed):
   - the **first cycle** a process runs, twice in a forked child and rolled back: before the
     readings and right after them (they differ only by the readings); then, after VACUUM
     ANALYZE (each batch rewrote a thousand summary rows, as autovacuum would tidy), the first
     cycle of this process, committed. A first cycle pays one-time costs: compiling its SQL
     and opening the planted faults' alerts (200 at 10,000 facilities).
   - the **steady cycle** (the goal's measure): what a running worker pays every check
     interval. `--steady` cycles (default 3), committed, at NOW + k × the check interval, each
     right after a floor of its own (so both see the same load); its SQL is compiled and the
     planted alerts are open from the cycle before, so it finds them still open (none opened,
     none resolved). Reported: the median cycle against the median floor, each run, and the
     cycle's CPU (this process's plus its PostgreSQL backend's, from /proc/…/schedstat), which
     depends less on what else the machine runs than the wall time does.
6. Prints a table and one JSON line (starting `{"bench": "ingest"`); progress goes to stderr.
"""

import argparse
import http.client
import json
import math
import resource
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select, text
from sqlalchemy.orm import Session

from bench.checks import Bench, analyze, bench_database, build, by_check, floor, forked, say
from bench.portfolio import NOW
from bench.web import nearest_rank
from bot.api.app import build_api
from bot.api.tokens import Scope, create_token
from bot.api.wsgi import SERVER_MAX_BODY_BYTES, ApiWsgi
from bot.audit import Actor
from bot.calendar import BusinessCalendar
from bot.db import insert_many, make_engine, upgrade
from bot.models import Facility, FacilitySummary, LimitReading
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.server import Serving, make_server

BENCH = Actor("cli:bench", "cli")
WINDOW = timedelta(minutes=8)  # the rounds' readings fall in NOW − 9 min … NOW − 1 min
Batch = list[dict[str, Any]]


def make_batches(engine: Engine, readings: int, size: int) -> list[Batch]:
    """`readings` observations over the facilities, round by round, cut into batches."""
    with engine.connect() as connection:
        newest = connection.execute(
            select(
                Facility.slug,
                FacilitySummary.reading_limit,
                FacilitySummary.reading_available,
                FacilitySummary.reading_status,
            )
            .join(FacilitySummary, FacilitySummary.facility_id == Facility.id)
            .order_by(Facility.id)
        ).all()
    rounds = math.ceil(readings / len(newest))
    step = WINDOW / rounds
    start = NOW - timedelta(minutes=9)
    items = []
    for index in range(readings):
        slug, limit, available, status = newest[index % len(newest)]
        at = start + step * (index // len(newest))
        items.append(
            {
                "kind": "limit",
                "facility": slug,
                "limit": str(limit),
                "available": None if available is None else str(available),
                "status": status or "active",
                "observed_at": at.isoformat(),
            }
        )
    return [items[i : i + size] for i in range(0, len(items), size)]


def floor_inserts(engine: Engine, batches: list[Batch]) -> list[float]:
    """Each batch as one multi-row INSERT into a scratch copy of limit_readings, committed."""
    with engine.connect() as connection:
        ids = dict(connection.execute(select(Facility.slug, Facility.id)).all())
    # The Table only names the columns for the INSERT; the table itself is made by LIKE.
    scratch = LimitReading.__table__.to_metadata(MetaData(), name="bench_floor_readings")
    assert isinstance(scratch, Table)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_floor_readings"))
        connection.execute(
            text("CREATE TABLE bench_floor_readings (LIKE limit_readings INCLUDING ALL)")
        )
        connection.execute(
            text(
                "ALTER TABLE bench_floor_readings ADD FOREIGN KEY (facility_id) "
                "REFERENCES facilities (id)"
            )
        )
    seconds = []
    try:
        for batch in batches:
            rows = [
                {
                    "facility_id": ids[item["facility"]],
                    "observed_at": datetime.fromisoformat(item["observed_at"]),
                    "limit_amount": Decimal(item["limit"]),
                    "available": None if item["available"] is None else Decimal(item["available"]),
                    "status": item["status"],
                    "source": BENCH.source,
                    "recorded_at": NOW,
                }
                for item in batch
            ]
            began = time.perf_counter()
            with Session(engine) as session, session.begin():
                insert_many(session, scratch, rows)
            seconds.append(time.perf_counter() - began)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_floor_readings"))
    return seconds


def post_all(port: int, token: str, batches: list[Batch]) -> dict[str, Any]:
    """Post every batch in turn on one connection (run in a forked child): seconds each."""
    bodies = [json.dumps({"observations": batch}).encode() for batch in batches]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    seconds, refused = [], []
    began = time.perf_counter()
    for number, body in enumerate(bodies):
        start = time.perf_counter()
        connection.request("POST", "/api/v1/observations", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        seconds.append(time.perf_counter() - start)
        if response.status != 200 or answer["counts"]["new"] != len(batches[number]):
            refused.append(
                {"batch": number, "status": response.status, "answer": str(answer)[:500]}
            )
        if number % 10 == 9:
            say(f"posted {number + 1} of {len(bodies)} batches")
    total = time.perf_counter() - began
    connection.close()
    return {"seconds": seconds, "total": total, "refused": refused}


def serve_and_post(url: str, batches: list[Batch], threads: int) -> dict[str, Any]:
    """The API on port 0 in this process, the client in a forked one."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        _, token = create_token(session, BENCH, "bench", Scope.WRITE, now=NOW)
    api = ApiWsgi(build_api(sessions, rate_limit="1000000/minute", clock=lambda: NOW))
    server = make_server(
        api,
        host="127.0.0.1",
        port=0,
        threads=threads,
        poll_seconds=0.05,
        max_body_bytes=SERVER_MAX_BODY_BYTES,
    )
    serving = Serving(server)
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    try:
        cpu = _own_cpu()
        posted = forked(engine, lambda: post_all(serving.port, token, batches))
        return posted | {"server_cpu": _own_cpu() - cpu}
    finally:
        serving.close()
        thread.join(timeout=10)
        api.close()
        engine.dispose()


def _own_cpu() -> float:
    """User + system CPU of this process (the server's threads; the client is a child)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stale_summaries(engine: Engine) -> int:
    """Facilities whose summary does not show their newest reading (0 when kept right)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM facility_summaries s LEFT JOIN "
                    "(SELECT facility_id, max(observed_at) AS newest FROM limit_readings "
                    "GROUP BY facility_id) r ON r.facility_id = s.facility_id "
                    "WHERE s.reading_at IS DISTINCT FROM r.newest"
                )
            ).scalar_one()
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Everything the module docstring lists; the results as a dict."""
    threads = args.threads or Settings(_env_file=None).web_threads  # type: ignore[call-arg]
    result: dict[str, Any] = {
        "bench": "ingest",
        "facilities": args.facilities,
        "readings": args.readings,
        "batch": args.batch,
        "web_threads": threads,
    }
    with bench_database(args.database_url, args.keep) as url:
        engine = make_engine(url)
        result["database"] = engine.dialect.name
        if engine.dialect.name != "postgresql":
            raise SystemExit("bench.ingest runs on PostgreSQL only (its floor uses CREATE … LIKE)")
        try:
            upgrade(url)
            say(f"building {args.facilities:,} facilities")
            forked(engine, lambda: build(engine, args, True))
            analyze(engine)
            batches = make_batches(engine, args.readings, args.batch)
            settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
            bench = Bench(engine, settings, BusinessCalendar())
            _, _ = floor(engine)
            result["cycle_floor_before_s"] = round(floor(engine)[0], 3)
            result["cycle_before_s"] = round(forked(engine, lambda: _timed_cycle(bench, False)), 3)

            say(f"floor: {len(batches)} multi-row INSERTs")
            floors = floor_inserts(engine, batches)
            result["floor_s"] = round(sum(floors), 3)
            result["floor_per_s"] = round(args.readings / sum(floors))
            result["floor_batch_p50_s"] = round(nearest_rank(sorted(floors), 50), 4)

            say(f"API: {len(batches)} batches of {args.batch}")
            posted = serve_and_post(url, batches, threads)
            if posted["refused"]:
                raise SystemExit(f"batches refused: {posted['refused'][:3]}")
            ordered = sorted(posted["seconds"])
            result["api_s"] = round(posted["total"], 3)
            result["api_per_s"] = round(args.readings / posted["total"])
            result["batch_p50_s"] = round(nearest_rank(ordered, 50), 3)
            result["batch_p99_s"] = round(nearest_rank(ordered, 99), 3)
            result["batch_max_s"] = round(ordered[-1], 3)
            result["ratio"] = round(posted["total"] / sum(floors), 1)
            # Python CPU of the server alone (PostgreSQL's not counted): less hostage to load.
            result["server_cpu_s"] = round(posted["server_cpu"], 2)
            result["readings_per_server_cpu_s"] = round(args.readings / posted["server_cpu"])
            result["stale_summaries"] = stale_summaries(engine)
            say(f"API {result['api_per_s']:,} readings/s; floor {result['floor_per_s']:,}/s")

            result["cycle_unvacuumed_s"] = round(
                forked(engine, lambda: _timed_cycle(bench, False)), 3
            )
            analyze(engine)  # as autovacuum would, after 100 rewrites of the summaries
            result |= timed_cycles(engine, bench, args.steady)
        finally:
            engine.dispose()
    return result


def _timed_cycle(bench: Bench, commit: bool) -> float:
    began = time.perf_counter()
    bench.cycle(NOW, commit=commit)
    return time.perf_counter() - began


def timed_cycles(engine: Engine, bench: Bench, steady: int) -> dict[str, Any]:
    """The first cycle of this process at NOW, then `steady` cycles one check interval apart,
    all committed, each after a warm floor of its own; the steady ones' medians and ratio."""
    interval = timedelta(minutes=bench.settings.check_interval_minutes)
    first_floor = _warm_floor(engine)
    first = _measured_cycle(engine, bench, NOW)
    result: dict[str, Any] = {
        "cycle_first_s": first["s"],
        "cycle_first_floor_s": first_floor,
        "cycle_first_ratio": round(first["s"] / first_floor, 1) if first_floor else None,
        "cycle_first_opened": first["opened"],
        "findings_by_check": first.pop("by_check"),
    }
    runs = []
    for k in range(1, steady + 1):
        floor_s = _warm_floor(engine)
        run = _measured_cycle(engine, bench, NOW + k * interval)
        del run["by_check"]
        runs.append(run | {"floor_s": floor_s})
    cycle = statistics.median(run["s"] for run in runs)
    warm = statistics.median(run["floor_s"] for run in runs)
    cpus = [run["cpu_s"] for run in runs if run["cpu_s"] is not None]
    return result | {
        "cycle_s": round(cycle, 3),
        "cycle_floor_s": round(warm, 3),
        "cycle_ratio": round(cycle / warm, 1) if warm else None,
        "cycle_cpu_s": round(statistics.median(cpus), 3) if cpus else None,
        "cycle_steady_runs": runs,
    }


def _warm_floor(engine: Engine) -> float:
    """bench.checks' floor, run twice: the second (warm) time."""
    _, _ = floor(engine)
    return round(floor(engine)[0], 3)


def _measured_cycle(engine: Engine, bench: Bench, at: datetime) -> dict[str, Any]:
    """One committed cycle at `at`: wall time, CPU (ours and our backend's), what it did."""
    pid = _backend_pid(engine)
    ours, theirs = _on_cpu("thread-self"), _on_cpu(str(pid))
    began = time.perf_counter()
    report = bench.cycle(at, commit=True)
    seconds = time.perf_counter() - began
    cpu = _on_cpu("thread-self") - ours + _on_cpu(str(pid)) - theirs
    same = _backend_pid(engine) == pid  # the cycle ran on the connection we watched
    summary = report.summary
    return {
        "s": round(seconds, 3),
        "cpu_s": round(cpu, 3) if same else None,
        "findings": len(report.findings),
        "opened": summary.opened,
        "resolved": summary.resolved,
        "updated": summary.updated,
        "by_check": by_check(report),
    }


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _on_cpu(task: str) -> float:
    """Seconds `task` (a pid, or thread-self) has run on a CPU: /proc/…/schedstat's first field,
    which leaves out the time spent waiting for one."""
    return int(Path(f"/proc/{task}/schedstat").read_text().split()[0]) / 1e9


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("readings / batch", f"{result['readings']:,} / {result['batch']:,}"),
        ("API", f"{result['api_s']} s, {result['api_per_s']:,} readings/s"),
        (
            "batch p50 / p99 / max",
            f"{result['batch_p50_s']} / {result['batch_p99_s']} / {result['batch_max_s']} s",
        ),
        ("floor (multi-row INSERT)", f"{result['floor_s']} s, {result['floor_per_s']:,} rows/s"),
        ("ratio API / floor", f"{result['ratio']}x"),
        (
            "server Python CPU",
            f"{result['server_cpu_s']} s, {result['readings_per_server_cpu_s']:,} readings/CPU-s",
        ),
        ("summaries not on newest", str(result["stale_summaries"])),
        (
            "first cycle, before",
            f"{result['cycle_before_s']} s / {result['cycle_floor_before_s']} s "
            "(before the readings; new process, rolled back)",
        ),
        (
            "first cycle, right after",
            f"{result['cycle_unvacuumed_s']} s (new process, rolled back)",
        ),
        (
            "first cycle / floor",
            f"{result['cycle_first_s']} s / {result['cycle_first_floor_s']} s = "
            f"{result['cycle_first_ratio']}x (after VACUUM, committed, "
            f"{result['cycle_first_opened']} alerts opened)",
        ),
        (
            "steady cycle / floor",
            f"{result['cycle_s']} s / {result['cycle_floor_s']} s = {result['cycle_ratio']}x "
            f"(median of {len(result['cycle_steady_runs'])}; CPU {result['cycle_cpu_s']} s)",
        ),
    ]
    rows += [
        (
            f"  steady {number}",
            f"{run['s']} s / {run['floor_s']} s, CPU {run['cpu_s']} s, {run['findings']} "
            f"findings, {run['opened']} opened, {run['resolved']} resolved",
        )
        for number, run in enumerate(result["cycle_steady_runs"], 1)
    ]
    for name, value in rows:
        print(f"{name:<26} {value}")
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=10_000)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--database-url")
    parser.add_argument("--threads", type=int, help="waitress threads (default: web_threads)")
    parser.add_argument("--faults", type=float, default=3, help="as bench.checks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--steady", type=int, default=3, help="steady cycles timed, one interval apart (3)"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    print_table(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
