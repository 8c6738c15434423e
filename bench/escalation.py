"""bench.escalation: one escalation run (the worker's minute) over N open alerts.

```
.venv/bin/python -m bench.escalation --alerts 10000 [--facilities 200] [--database-url URL] [--keep]
```

A fresh database (as `bench.checks` makes it: a random PostgreSQL database on the local
server, or `sqlite:///NEW-FILE`) gets F facilities, each with a 12-month draw, one rotation
(`finance`, the default rotation) and N alerts opened at once on Wednesday 2026-12-02 10:00
in Shanghai: a quarter about a missing bill whose subject names an installment's due date (so
the engine weighs the money at risk), a quarter warnings about the limit, half critical. Then
`run_escalations` is timed in its own committed transaction, three times (see bench/README.md):

- **burst** at 10:16: every alert's 0m step, and the critical ones' 15m step (1.5 N steps);
- **idle** at 10:17: nothing is due, the cost of a minute with N open alerts;
- **next** at 10:46: the critical ones' 45m step and the warnings' 30m step (N steps).

Stdout gets a table, then one JSON line starting `{"bench": "escalation"`.
"""

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, func, select

from bench.checks import analyze, bench_database, say
from bot import audit
from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.calendar import BusinessCalendar
from bot.db import make_engine, transaction, upgrade
from bot.ledger.draws import DrawRequest, current_installments, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.models import Alert, EscalationStep, OutboxMessage
from bot.oncall.config import EscalationConfig
from bot.oncall.engine import run_escalations
from bot.oncall.rotations import add_rotation
from bot.oncall.words import ESCALATION_KIND
from bot.sessions import session_factory

OPENED = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
RUNS = (("burst", 16), ("idle", 17), ("next", 46))  # minutes after the alerts opened
POLICY = AlertPolicy(default_channel="C0ALERTS", timezone="Asia/Shanghai")
CONFIG = EscalationConfig(default_rotation="finance")
ACTOR = audit.Actor("cli:bench", "cli")


def build(engine: Engine, alerts: int, facilities: int) -> dict[str, int]:
    """The facilities, their draws, the rotation and the open alerts (see the module's note)."""
    sessions = session_factory(engine)
    before = OPENED - timedelta(days=40)
    dates: list[tuple[int, list[str]]] = []
    with transaction(sessions) as session:
        for i in range(facilities):
            facility = add_facility(
                session,
                ACTOR,
                FacilityTerms(
                    slug=f"line-{i:04d}",
                    platform=("jiebei", "weilidai", "bank")[i % 3],
                    limit_amount=Decimal(500_000),
                    daily_rate=Decimal("0.0003"),
                    timezone="Asia/Shanghai",
                ),
                now=before,
            )
            session.flush()
            draw = record_draw(
                session,
                ACTOR,
                facility,
                DrawRequest(amount=Decimal(120_000), months=12, drawn_on=before.date()),
                now=before,
            )
            due = [i.due_date.isoformat() for i in current_installments(session, draw)]
            dates.append((facility.id, [*due, *(f"{d}#d{draw.id}" for d in due)]))
        add_rotation(
            session,
            ACTOR,
            "finance",
            members="U0ANN,U0BEN,U0CAT",
            handoff="mon 09:00",
            length="1w",
            timezone="Asia/Shanghai",
            now=before,
        )
    findings = [_finding(n, dates) for n in range(alerts)]
    with transaction(sessions) as session:
        apply_findings(session, findings, now=OPENED, policy=POLICY, checks_run=set())
    with sessions() as session:
        opened = session.scalar(select(func.count()).select_from(Alert))
    return {"facilities": facilities, "alerts": opened or 0}


def _finding(n: int, dates: list[tuple[int, list[str]]]) -> Finding:
    facility_id, subjects = dates[n % len(dates)]
    if n % 4 == 0:
        # Spread over every facility's 24 subjects, so that N/4 alerts are N/4 fingerprints
        # up to 24 F of them.
        facility_id, subjects = dates[(n // 4) % len(dates)]
        subject = subjects[(n // 4 // len(dates)) % len(subjects)]
        return Finding(Check.BILL_MISSING, facility_id, subject, Severity.WARNING, "no bill")
    if n % 4 == 2:
        return Finding(Check.LIMIT_DROPPED, facility_id, f"s{n}", Severity.WARNING, "dropped")
    return Finding(Check.LIMIT_FROZEN, facility_id, f"s{n}", Severity.CRITICAL, "frozen")


def time_runs(engine: Engine) -> list[dict[str, Any]]:
    """Each run of `RUNS`: seconds, statements and steps run."""
    sessions = session_factory(engine)
    statements: list[tuple[str, float]] = []
    started: list[float] = []

    def before(*args: Any) -> None:
        started.append(time.perf_counter())

    def after(*args: Any) -> None:
        statements.append((_what(args[2]), time.perf_counter() - started.pop()))

    results = []
    written = _notices(sessions)
    for name, minutes in RUNS:
        now = OPENED + timedelta(minutes=minutes)
        statements.clear()
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            began = time.perf_counter()
            with transaction(sessions) as session:
                ran = run_escalations(
                    session, now=now, calendar=BusinessCalendar(), config=CONFIG, policy=POLICY
                )
            seconds = time.perf_counter() - began
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        sql = sum(spent for _, spent in statements)
        notices = _notices(sessions) - written
        written += notices
        slowest = sorted(statements, key=lambda s: -s[1])[:4]
        results.append(
            {"run": name, "at_minute": minutes, "seconds": round(seconds, 3), "steps": ran}
            | {"notices": notices, "statements": len(statements), "in_driver_s": round(sql, 3)}
            | {"slowest": [(what, round(spent, 3)) for what, spent in slowest]}
        )
        say(
            f"{name}: {ran} steps ({notices} notices) in {seconds:.3f} s, "
            f"{len(statements)} statements"
        )
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(EscalationStep)) or 0
    results.append({"run": "total", "steps": total})
    return results


def _notices(sessions: Any) -> int:
    """Escalation notices written so far: alerts told together share one per step."""
    with sessions() as session:
        query = select(func.count()).where(OutboxMessage.kind == ESCALATION_KIND)
        return session.scalar(query) or 0


def _what(statement: str) -> str:
    """A statement's first words: `INSERT INTO outbox_messages`, `SELECT alerts.id, …`."""
    return " ".join(statement.split()[:3])[:48]


def run(args: argparse.Namespace) -> dict[str, Any]:
    with bench_database(args.database_url, args.keep) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            began = time.perf_counter()
            built = build(engine, args.alerts, args.facilities)
            say(f"built in {time.perf_counter() - began:.1f} s: {built}")
            analyze(engine)
            return {
                "bench": "escalation",
                "db": engine.dialect.name,
                **built,
                "runs": time_runs(engine),
            }
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.escalation", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--alerts", type=int, default=10_000, help="open alerts N (10000)")
    parser.add_argument("--facilities", type=int, default=200, help="facilities F (200)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create the bench database on (default: the local one), "
        "or sqlite:///NEW-FILE",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.alerts < 1 or args.facilities < 1:
        parser.error("--alerts and --facilities must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(args)
    print(
        f"{'run':<6} {'minute':>6} {'steps':>7} {'notices':>7} {'statements':>10} "
        f"{'in driver s':>11} {'s':>7}"
    )
    for row in result["runs"][:-1]:
        print(
            f"{row['run']:<6} {row['at_minute']:>6} {row['steps']:>7} {row['notices']:>7} "
            f"{row['statements']:>10} {row['in_driver_s']:>11.3f} {row['seconds']:>7.3f}"
        )
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
