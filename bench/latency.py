"""From a reading that freezes a line to the alert's chat.postMessage: the prompt checks' latency.

    .venv/bin/python -m bench.latency [--facilities 1000] [--readings 100] [--interval 0.5]
                                      [--database-url URL] [--keep]

1. Creates its own PostgreSQL database as bench.checks does (randomly named, dropped
   afterwards), migrates it and builds bench/portfolio.py's portfolio of F facilities (COPY,
   summaries rebuilt, VACUUM ANALYZE).
2. Starts the fake Slack Web API (tests/support/fake_slack.py) in this process, stamping each
   chat.postMessage with the time it arrived; the ingest API (`bot.api.app.build_api`, as
   `loanwatch web` serves it) in a forked child process; and one worker (`jobs.worker.
   run_worker`, every job as `loanwatch worker` runs them, the Slack transport to the fake) in a
   thread here. Both run as of the portfolio's NOW; the prompt checks' debounce counts real
   seconds with the default settings (LOANWATCH_PROMPT_CHECK_DELAY_SECONDS=2, max wait 10 s).
   The storm threshold is raised out of the way, so each alert gets a message of its own.
3. Waits for the worker's start-up cycle (the whole portfolio) and its messages.
4. Posts R readings, one POST each, `--interval` seconds apart, each freezing a different
   facility that the start-up cycle found healthy, and measures for each the time from the
   moment its POST was sent to the moment the fake Web API received the chat.postMessage that
   tells its `limit_frozen` alert. Reports p50, p99 and max (goal: p99 under 10 s), the POSTs'
   own p50, and how many prompt runs checked the R facilities.
5. Prints a table and one JSON line (starting `{"bench": "latency"`); progress to stderr.
"""

import argparse
import json
import multiprocessing
import sys
import threading
import time
from typing import Any

from sqlalchemy import Engine, func, select

from bench.checks import analyze, bench_database, build, say
from bench.portfolio import NOW, PLATFORMS
from bench.web import free_port, nearest_rank
from bot.api.app import build_api
from bot.api.tokens import Scope, create_token
from bot.api.wsgi import SERVER_MAX_BODY_BYTES, ApiWsgi
from bot.audit import Actor
from bot.db import make_engine, upgrade
from bot.models import Alert, CheckRun, Facility, OutboxMessage
from bot.sessions import session_factory
from bot.settings import Settings
from bot.slack.server import Serving, make_server
from jobs.transports import transport_from
from jobs.worker import run_worker

BENCH = Actor("cli:bench", "cli")
TOKEN = "xoxb-bench"


def fake_slack() -> Any:
    """The tests' fake Web API, noting when each alert message about a facility arrived."""
    from tests.support.fake_slack import FakeSlack

    class Stamping(FakeSlack):
        def __init__(self) -> None:
            super().__init__(token=TOKEN)
            self.arrived: dict[str, float] = {}

        def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
            at = time.monotonic()
            text = args.get("text", "")
            if "limit_frozen" in text:
                for word in text.replace(":", " ").split():
                    self.arrived.setdefault(word, at)
            return super()._m_chat_postMessage(args)

    slack = Stamping()
    for n, (name, _) in enumerate(PLATFORMS):
        slack.add_channel(f"C0BENCH{n}", f"loans-{name}")
    return slack


def serve_api(url: str, port: int) -> None:
    """The ingest API on `port` as of NOW, until the parent kills this child."""
    engine = make_engine(url)
    api = ApiWsgi(
        build_api(session_factory(engine), rate_limit="1000000/minute", clock=lambda: NOW)
    )
    server = make_server(
        api,
        host="127.0.0.1",
        port=port,
        threads=4,
        poll_seconds=0.05,
        max_body_bytes=SERVER_MAX_BODY_BYTES,
    )
    Serving(server).run()


def healthy_facilities(engine: Engine, count: int) -> list[str]:
    """Slugs of `count` active facilities with no alert after the start-up cycle."""
    with engine.connect() as connection:
        alerted = select(Alert.facility_id).where(Alert.facility_id.is_not(None))
        slugs = connection.scalars(
            select(Facility.slug)
            .where(Facility.active, Facility.id.not_in(alerted))
            .order_by(Facility.id)
            .limit(count)
        ).all()
    if len(slugs) < count:
        raise SystemExit(f"only {len(slugs)} healthy facilities; build more (--facilities)")
    return list(slugs)


def wait_until(what: str, done: Any, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.2)


def post(port: int, token: str, slug: str) -> float:
    """POST one reading freezing `slug`'s line; the seconds the request took."""
    import http.client

    body = json.dumps(
        {
            "observations": [
                {
                    "kind": "limit",
                    "facility": slug,
                    "limit": "0.00",
                    "available": "0.00",
                    "status": "frozen",
                    "observed_at": NOW.isoformat(),
                }
            ]
        }
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    began = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/observations", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"POST for {slug}: {response.status} {answer[:300]!r}")
    return time.monotonic() - began


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {
        "bench": "latency",
        "facilities": args.facilities,
        "readings": args.readings,
        "interval_s": args.interval,
    }
    with bench_database(args.database_url, args.keep) as url:
        engine = make_engine(url)
        if engine.dialect.name != "postgresql":
            raise SystemExit("bench.latency runs on PostgreSQL")
        upgrade(url)
        say(f"building {args.facilities:,} facilities")
        build(engine, args, True)
        analyze(engine)
        with session_factory(engine).begin() as session:
            _, token = create_token(session, BENCH, "bench", Scope.WRITE, now=NOW)
        slack = fake_slack()
        port = free_port()
        api = multiprocessing.get_context("fork").Process(target=serve_api, args=(url, port))
        stop = threading.Event()
        with slack:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                DATABASE_URL=url,
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_API_URL=slack.api_url,
                LOANWATCH_STORM_THRESHOLD=1_000_000,
            )
            result["delay_s"] = settings.prompt_check_delay_seconds
            result["max_wait_s"] = settings.prompt_check_max_wait_seconds
            api.start()
            worker = threading.Thread(
                target=run_worker,
                args=(settings, transport_from(settings), stop),
                kwargs={"clock": lambda: NOW},
            )
            worker.start()
            try:
                result |= _measure(engine, slack, port, token, args)
            finally:
                stop.set()
                worker.join(timeout=120)
                api.kill()
                api.join(timeout=30)
        engine.dispose()
    return result


def _measure(
    engine: Engine, slack: Any, port: int, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    def counted(query: Any) -> int:
        with engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    say("waiting for the worker's start-up cycle and its messages")
    wait_until("the start-up cycle", lambda: counted(select(func.count(CheckRun.id))) >= 1)
    pending = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.state.in_(("pending", "sending"))
    )
    wait_until("the start-up messages", lambda: counted(pending) == 0)
    slugs = healthy_facilities(engine, args.readings)
    slack.arrived.clear()
    sent: dict[str, float] = {}
    posts = []
    say(f"posting {args.readings} readings, {args.interval} s apart")
    for slug in slugs:
        sent[slug] = time.monotonic()
        posts.append(post(port, token, slug))
        time.sleep(max(0.0, args.interval - posts[-1]))
    wait_until("every alert's message", lambda: all(s in slack.arrived for s in slugs), 120)
    latencies = sorted(slack.arrived[s] - sent[s] for s in slugs)
    prompt_runs = counted(select(func.count(CheckRun.id)).where(CheckRun.facilities.is_not(None)))
    return {
        "p50_s": round(nearest_rank(latencies, 50), 2),
        "p99_s": round(nearest_rank(latencies, 99), 2),
        "max_s": round(latencies[-1], 2),
        "min_s": round(latencies[0], 2),
        "post_p50_s": round(nearest_rank(sorted(posts), 50), 3),
        "prompt_runs": prompt_runs,
    }


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("facilities / readings", f"{result['facilities']:,} / {result['readings']}"),
        ("posted every", f"{result['interval_s']} s"),
        ("debounce / max wait", f"{result['delay_s']} s / {result['max_wait_s']} s"),
        ("POST p50", f"{result['post_p50_s']} s"),
        (
            "reading → chat.postMessage",
            f"p50 {result['p50_s']} s, p99 {result['p99_s']} s, max {result['max_s']} s",
        ),
        ("prompt runs", str(result["prompt_runs"])),
    ]
    for name, value in rows:
        print(f"{name:<28} {value}")
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=1_000)
    parser.add_argument("--readings", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between POSTs")
    parser.add_argument("--database-url")
    parser.add_argument("--faults", type=float, default=3, help="as bench.checks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    print_table(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
