"""Signed `/loan status` requests against `loanwatch web`, beside a bare Bolt app that only acks.

    .venv/bin/python -m bench.web [--database-url URL] [--requests-per-level 2000]
                                  [--levels 1,5,20] [--facilities 20] [--keep]

1. Creates its own database as bench.checks does (a random PostgreSQL database, dropped
   afterwards, or a new SQLite file with `--database-url sqlite:///PATH`), migrates it, and
   builds a small portfolio through the domain: F facilities, each with a draw whose first
   installment falls due in the next ten days, limit readings, a few bills, and up to ten open
   alerts, so `/loan status` has positions, installments due this week and alerts to show.
2. Starts the real `loanwatch web` (the console script next to this Python) on a free port,
   talking to a FakeSlack in this process, and waits for GET /healthz.
3. Starts the floor: this module with `--serve-floor`, a bare `slack_bolt.App` whose `/loan`
   listener only acks, behind the same `wsgi_app`, `make_server` and `Serving`, with the same
   number of waitress threads.
4. For each level c: c client threads, each with its own keep-alive connection, send freshly
   signed `/loan status` posts (a new timestamp and trigger_id each) until N are answered; first
   to the floor, then to the app. Every answer must be 200, and the app's must show a limit.
   Each server gets a warm-up at the highest level first, so every waitress thread has its
   database connection before anything is timed.
5. Prints a table and one JSON line (starting `{"bench": "web"`); progress goes to stderr.
   Both servers get SIGTERM, and the database is dropped unless `--keep`.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from slack_sdk.signature import SignatureVerifier

from bench.checks import bench_database, say
from bot import audit
from bot.alerts.detection import apply_findings
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy
from bot.clock import utcnow
from bot.dashboard import dashboard
from bot.db import make_engine, transaction, upgrade
from bot.ledger.draws import DrawRequest, current_installments, record_draw
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.observations import record_bill, record_limit_reading
from bot.models import Facility
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.server import EVENTS_PATH, HEALTH_PATH

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xoxb-bench"
ADMIN = "U0BENCHADMIN"
VIEWER = "U0BENCHVIEWER"  # not in any role: `/loan status` is for viewers
ALERT_CHANNEL = "C0BENCHALERTS"
PLATFORMS = ("jiebei", "weilidai", "icbc", "ccb")
OPEN_ALERTS = 10
WARMUP = 100


# --- the portfolio -----------------------------------------------------------------------------


def build_portfolio(url: str, facilities: int) -> dict[str, int]:
    """F facilities, each with a 12-month draw, readings, some bills, and open alerts.

    Facility i drew a month before today + (i mod 10) days, so its first installment falls due
    on that day: seven in ten are due this week. Each has three limit readings in the last five
    hours; half have their first bill in. The first ten get an open alert each.
    """
    engine = make_engine(url)
    sessions = session_factory(engine)
    now = utcnow()
    today = now.date()
    actor = audit.Actor("cli:bench", "cli")
    findings: list[Finding] = []
    built: list[Facility] = []
    try:
        with transaction(sessions) as session:
            for i in range(facilities):
                platform = PLATFORMS[i % len(PLATFORMS)]
                limit = Decimal(500_000 + 100_000 * (i % 5))
                facility = add_facility(
                    session,
                    actor,
                    FacilityTerms(
                        slug=f"{platform}-{i:03d}",
                        platform=platform,
                        limit_amount=limit,
                        daily_rate=Decimal("0.0003"),
                    ),
                    now=now,
                )
                session.flush()
                built.append(facility)
                amount = Decimal(100_000 + 10_000 * (i % 7))
                drawn_on = today + timedelta(days=i % 10) - relativedelta(months=1)
                draw = record_draw(
                    session,
                    actor,
                    facility,
                    DrawRequest(amount=amount, months=12, drawn_on=drawn_on),
                    now=now,
                )
                for hours in (1, 3, 5):
                    record_limit_reading(
                        session,
                        actor,
                        facility,
                        limit_amount=limit,
                        available=limit - amount,
                        now=now,
                        observed_at=now - timedelta(hours=hours),
                    )
                first = current_installments(session, draw)[0]
                if i % 2 == 0:
                    record_bill(
                        session,
                        actor,
                        facility,
                        due_date=first.due_date,
                        amount=first.amount,
                        paid=False,
                        now=now,
                        observed_at=now - timedelta(hours=2),
                    )
                elif len(findings) < OPEN_ALERTS:
                    findings.append(
                        Finding(
                            check="bill_missing",
                            facility_id=facility.id,
                            subject=first.due_date.isoformat(),
                            severity=Severity.CRITICAL if i % 3 == 0 else Severity.WARNING,
                            summary=f"expected {first.amount} due {first.due_date}, no bill seen",
                            facts={"due": first.due_date.isoformat(), "amount": str(first.amount)},
                        )
                    )
            for facility in built[: OPEN_ALERTS - len(findings)]:
                findings.append(
                    Finding(
                        check="data_stale",
                        facility_id=facility.id,
                        subject="",
                        severity=Severity.WARNING,
                        summary="no statement imported for 3 days",
                    )
                )
            summary = apply_findings(
                session,
                findings,
                now=now,
                policy=AlertPolicy(default_channel=ALERT_CHANNEL),
                checks_run=set(),
            )
        with sessions() as session:
            board = dashboard(session, utcnow())
    finally:
        engine.dispose()
    return {
        "facilities": len(board.positions),
        "due_this_week": len(board.due_this_week),
        "open_alerts": board.open_alert_count,
        "alerts_opened": summary.opened,
    }


# --- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A server in a subprocess, its port, and where its stderr goes."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Poll GET /healthz until it answers 200; fail with the server's log if it exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", HEALTH_PATH)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not answer {HEALTH_PATH} in {timeout:.0f} s")

    def stop(self) -> int | None:
        """SIGTERM, then wait; kill only if it does not stop within ten seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop on SIGTERM; killing it")
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (Linux /proc)."""
        return process_cpu_seconds(self.process.pid)

    def problems(self) -> list[str]:
        """Lines of its log that report an error."""
        return [
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (fields 14 and 15), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU of this process (the clients, and the idle FakeSlack) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start(name: str, command: list[str], env: dict[str, str], port: int, logs: Path) -> Server:
    log = logs / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    return Server(name, port, process, log)


def server_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without loanwatch or Slack settings, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOANWATCH_", "SLACK_")) and key not in ("DATABASE_URL", "PORT")
    }
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def serve_floor(port: int, secret: str, threads: int, slack_api_url: str) -> int:
    """The floor: a bare Bolt app that only acks `/loan`, behind the production server stack.

    Its Web API client talks to the bench's FakeSlack, as the app's does: Bolt calls
    `auth.test` once, on the first request, and keeps the answer. /healthz needs a Health, so
    it gets one on DATABASE_URL: the bench database, migrated.
    """
    import logging

    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.health import Health
    from bot.slack.server import Serving, make_server, wsgi_app

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = App(
        signing_secret=secret,
        client=WebClient(token=TOKEN, base_url=slack_api_url),
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.command("/loan")
    def ack_only(ack: Ack) -> None:
        ack()

    engine = make_engine(os.environ["DATABASE_URL"])
    health = Health(session_factory(engine))
    serving = Serving(
        make_server(
            wsgi_app(app, health, signing_secret=secret),
            host="127.0.0.1",
            port=port,
            threads=threads,
        )
    )

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        serving.close()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    serving.run()
    engine.dispose()
    return 0


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Level:
    """One level against one server: every request's latency, and the wall time of them all."""

    server: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU the server process used during the level
    client_cpu: float = 0.0  # and this process (the client threads)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        n = len(ordered)
        return {
            "server": self.server,
            "clients": self.clients,
            "requests": n,
            "p50_ms": round(nearest_rank(ordered, 50) * 1000, 2),
            "p99_ms": round(nearest_rank(ordered, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2),
            "rps": round(n / self.wall, 1),
            "wall_s": round(self.wall, 3),
            # CPU per request, and the server's CPU as cores busy over the level's wall time.
            "server_cpu_ms": round(self.server_cpu / n * 1000, 2),
            "client_cpu_ms": round(self.client_cpu / n * 1000, 2),
            "server_cores": round(self.server_cpu / self.wall, 2),
        }


def nearest_rank(ordered: list[float], percent: int) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class Slack:
    """Signs `/loan status` the way Slack does, with a new timestamp and trigger_id each time."""

    def __init__(self, secret: str) -> None:
        self.verifier = SignatureVerifier(secret)
        self._triggers = iter(range(1, 10**12))
        self._lock = threading.Lock()

    def status_request(self) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            trigger = next(self._triggers)
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": "T0FINANCE",
                "team_domain": "finance",
                "channel_id": "C0FINANCE",
                "channel_name": "finance",
                "user_id": VIEWER,
                "user_name": "viewer",
                "command": "/loan",
                "text": "status",
                "api_app_id": "A0LOANWATCH",
                "response_url": "https://hooks.slack.invalid/commands/1",
                "trigger_id": f"{trigger}.1.bench",
            }
        )
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body),
        }
        return body.encode(), headers


def run_level(
    server: Server, slack: Slack, *, clients: int, requests: int, expect: bytes | None
) -> Level:
    """`clients` threads, each on its own keep-alive connection, until `requests` are answered.

    The clock starts once every client has connected and stops when the last answer is read;
    the server's and this process's CPU time are read at the same two moments.
    """
    level = Level(server.name, clients)
    tickets = iter(range(requests))
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.connect()
        mine: list[float] = []
        ready.wait()
        try:
            while not failures:
                with lock:
                    if next(tickets, None) is None:
                        break
                body, headers = slack.status_request()
                began = time.perf_counter()
                connection.request("POST", EVENTS_PATH, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                mine.append(time.perf_counter() - began)
                if response.status != 200 or (expect is not None and expect not in answer):
                    failures.append(f"{response.status} {answer[:300]!r}")
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
            with lock:
                level.latencies.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    server_cpu, client_cpu = server.cpu_seconds(), own_cpu_seconds()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    level.wall = time.perf_counter() - began
    level.server_cpu = server.cpu_seconds() - server_cpu
    level.client_cpu = own_cpu_seconds() - client_cpu
    if failures:
        raise SystemExit(
            f"{server.name} at {clients} clients: {len(failures)} bad answers, first {failures[0]}"
        )
    return level


# --- the run -----------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(
    url: str, threads: int, logs: Path, cache_seconds: int
) -> Iterator[tuple[Server, Server, str]]:
    """`loanwatch web` and the floor, healthy, with the secret both check; stopped afterwards."""
    from tests.support.fake_slack import FakeSlack

    secret = secrets.token_hex(16)
    loanwatch = Path(sys.executable).with_name("loanwatch")
    if not loanwatch.exists():
        raise SystemExit(f"{loanwatch} is missing: install the project (make install)")
    with FakeSlack(token=TOKEN) as slack:
        app_port, floor_port = free_port(), free_port()
        app_env = server_env(
            {
                "DATABASE_URL": url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": slack.api_url,
                "LOANWATCH_HOST": "127.0.0.1",
                "PORT": str(app_port),
                "LOANWATCH_LOG_LEVEL": "WARNING",
                "LOANWATCH_ADMINS": ADMIN,
                "LOANWATCH_STATUS_CACHE_SECONDS": str(cache_seconds),
            }
        )
        floor_command = [sys.executable, "-m", "bench.web", "--serve-floor"]
        floor_command += ["--port", str(floor_port), "--secret", secret, "--threads", str(threads)]
        floor_command += ["--slack-api-url", slack.api_url]
        running: list[Server] = []
        try:
            running.append(start("app", [str(loanwatch), "web"], app_env, app_port, logs))
            running.append(
                start("floor", floor_command, server_env({"DATABASE_URL": url}), floor_port, logs)
            )
            for server in running:
                server.wait_healthy()
            say(f"app on :{app_port}, floor on :{floor_port}, {threads} waitress threads each")
            yield running[0], running[1], secret
            # Bolt calls auth.test on its first requests, once per thread that gets there
            # before one answer is kept, and the app learns its installation once (auth.test,
            # bots.info: bot.slack.binding); nothing else should reach Slack.
            calls = [call.method for call in slack.calls]
            if calls:
                say(f"the servers called Slack {len(calls)} times: {sorted(set(calls))}")
        finally:
            for server in running:
                code = server.stop()
                say(f"{server.name} stopped ({code})")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Everything the module docstring lists; the results as a dict."""
    threads = Settings(_env_file=None).web_threads  # type: ignore[call-arg]
    result: dict[str, Any] = {
        "bench": "web",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests_per_level": args.requests_per_level,
        "web_threads": threads,
        "status_cache_seconds": args.status_cache_seconds,
        "cpus": os.cpu_count(),
    }
    with bench_database(args.database_url, args.keep) as url, tempfile.TemporaryDirectory() as logs:
        result["database"] = "sqlite" if url.startswith("sqlite") else "postgresql"
        say(f"migrating the {result['database']} database")
        upgrade(url)
        began = time.perf_counter()
        result["portfolio"] = build_portfolio(url, args.facilities)
        say(f"portfolio built in {time.perf_counter() - began:.1f} s: {result['portfolio']}")
        levels: list[dict[str, Any]] = []
        with servers(url, threads, Path(logs), args.status_cache_seconds) as (app, floor, secret):
            slack = Slack(secret)
            targets = ((floor, None), (app, b"limit"))
            for server, expect in targets:
                run_level(
                    server,
                    slack,
                    clients=max(args.levels),
                    requests=WARMUP,
                    expect=expect,
                )
            say(f"warmed up ({WARMUP} requests at {max(args.levels)} clients each)")
            for clients in args.levels:
                for server, expect in targets:
                    level = run_level(
                        server,
                        slack,
                        clients=clients,
                        requests=args.requests_per_level,
                        expect=expect,
                    ).summary()
                    levels.append(level)
                    say(
                        f"{clients:>3} clients, {server.name:<5}: p50 {level['p50_ms']} ms, "
                        f"p99 {level['p99_ms']} ms, {level['rps']} req/s, "
                        f"server CPU {level['server_cpu_ms']} ms/request"
                    )
            result["server_errors"] = {s.name: s.problems()[:5] for s in (app, floor)}
    result["levels"] = levels
    result["ratios"] = ratios(levels)
    top = max(args.levels)
    app_top = next(x for x in levels if x["server"] == "app" and x["clients"] == top)
    result["goal"] = {
        "clients": top,
        "p99_under_150_ms": app_top["p99_ms"] < 150,
        "at_least_half_the_floor": result["ratios"][str(top)] >= 0.5,
    }
    return result


def ratios(levels: list[dict[str, Any]]) -> dict[str, float]:
    """App requests/s over the floor's, per level."""
    rps = {(x["server"], x["clients"]): x["rps"] for x in levels}
    return {
        str(clients): round(rps["app", clients] / rps["floor", clients], 2)
        for server, clients in rps
        if server == "app"
    }


def print_table(result: dict[str, Any]) -> None:
    """One row per level and server; the ratio on the app's row."""
    print(
        f"{result['database']}, {result['portfolio']['facilities']} facilities, "
        f"{result['portfolio']['due_this_week']} installments due this week, "
        f"{result['portfolio']['open_alerts']} open alerts; "
        f"{result['requests_per_level']} requests per level, {result['web_threads']} threads"
    )
    print(
        f"{'clients':>7}  {'server':<6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'app/floor':>9}"
        f"  {'CPU ms/request: server':>22} {'client':>6}  {'server cores busy':>17}"
    )
    for level in result["levels"]:
        ratio = result["ratios"][str(level["clients"])] if level["server"] == "app" else ""
        print(
            f"{level['clients']:>7}  {level['server']:<6} {level['p50_ms']:>8.1f} "
            f"{level['p99_ms']:>8.1f} {level['rps']:>8.1f} {ratio:>9}"
            f"  {level['server_cpu_ms']:>22.2f} {level['client_cpu_ms']:>6.2f}"
            f"  {level['server_cores']:>17.2f}"
        )
    goal = result["goal"]
    print(
        f"goal at {goal['clients']} clients: p99 under 150 ms "
        f"{'met' if goal['p99_under_150_ms'] else 'NOT met'}; at least half the floor's "
        f"throughput {'met' if goal['at_least_half_the_floor'] else 'NOT met'}"
    )
    for name, lines in result["server_errors"].items():
        if lines:
            print(f"NOTE: {name} logged errors, e.g. {lines[0]}")


def levels_arg(text: str) -> list[int]:
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("give client counts of at least 1, e.g. 1,5,20")
    return levels


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the bench, or (with --serve-floor) serve the floor."""
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to create the bench database on (default: the local one), "
        "or sqlite:///NEW-FILE",
    )
    parser.add_argument("--requests-per-level", type=int, default=2000, help="N (2000)")
    parser.add_argument("--levels", type=levels_arg, default=[1, 5, 20], help="1,5,20")
    parser.add_argument("--facilities", type=int, default=20, help="F (20)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--status-cache-seconds",
        type=int,
        default=Settings.model_fields["status_cache_seconds"].default,
        help="the app's LOANWATCH_STATUS_CACHE_SECONDS (default: the setting's default; 0: off)",
    )
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slack-api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_floor:
        return serve_floor(args.port, args.secret, args.threads, args.slack_api_url)
    if args.requests_per_level < 1 or args.facilities < 1:
        parser.error("--requests-per-level and --facilities must be at least 1")
    result = run(args)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
