"""The intake half of `loanwatch demo` (issue 14): the platforms' numbers come in without typing.

- 2026-12-01 11:30  the admin creates a token for the company's RPA robot, which posts the three
  apps' limits to the ingest API: over HTTP, to the API served by the waitress server
  `loanwatch web` runs (bot.slack.server), on a free loopback port in a thread. Its first batch
  has a JSON number for an amount: 422, the item's index and why, nothing written. The fixed
  batch is recorded; the robot's retry under the same Idempotency-Key changes nothing.
- 2026-12-01 11:40  jiebei-main and weilidai-ops get an owner and `workdays 10:00` readings.
- 2026-12-02 10:00  the check cycle sends both owners their request (the console shows the
  direct message); Dana taps Same as last, the reading is recorded; WeBank's app is down, so
  weilidai-ops's owner taps Can't see it.
- 2026-12-03 09:30  the robot's workday run (Jiebei and ICBC; WeBank's app lets nobody in).
- 2026-12-03/04     Can't see it again, twice: the next check opens `platform_unavailable`.
- 2026-12-04 16:00  the treasurer repaid Weilidai's Saturday installment a day early from the
  ICBC account: the bank's export (bot/cli/demo_files) through a saved mapping, twice.

The buttons are the same domain calls Slack's handlers make (bot.ledger.reading_answers), and
what loanwatch says is what the CLI and the direct message say.
"""

import http.client
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.said import check_name
from bot.api.app import build_api
from bot.api.tokens import Scope, create_token, list_tokens
from bot.api.wsgi import SERVER_MAX_BODY_BYTES, ApiWsgi
from bot.cli.data import import_report
from bot.cli.demo_tickets import (
    DEMO,
    at,
    chapter,
    check,
    heading,
    say,
    shell,
    story_date,
    story_day,
    story_day_time,
    taps,
)
from bot.cli.facility_words import readings_line
from bot.cli.mappings import saved_line
from bot.cli.tokens import created_note, tokens_table
from bot.db import transaction
from bot.i18n import _
from bot.ledger.draws import outstanding_principal
from bot.ledger.facilities import get_facility
from bot.ledger.importer import import_with_mapping
from bot.ledger.mappings import add_mapping
from bot.ledger.reading_answers import answer_same, answer_unavailable
from bot.ledger.reading_requests import RequestState, set_readings
from bot.models import Facility, LimitReading, ReadingRequest
from bot.settings import Settings
from bot.slack.context import actor
from bot.slack.reading_blocks import SAME, UNAVAILABLE, answered_line
from bot.slack.server import Serving, make_server

API_POSTED = at("2026-12-01 11:30")
OWNERS_SET = at("2026-12-01 11:40")
ASKED = [at(f"2026-12-0{day} 10:00") for day in (2, 3, 4)]
STATEMENT = at("2026-12-04 16:00")
STATEMENT_FILE = "icbc-2026-12-04.csv"
# Who owns which facility's readings: Dana reads Jiebei's app, Wei WeBank's.
OWNERS = {"jiebei-main": "U0DANA", "weilidai-ops": "U0WEI"}
ROBOT_AGAIN = at("2026-12-03 09:30")


def batch_key(read_at: datetime) -> str:
    """The robot's Idempotency-Key for a batch: when it read the apps, so a retry sends the same."""
    return f"rpa-{read_at:%Y-%m-%dT%H:%M}"


class DemoApi:
    """The ingest API on a free port of 127.0.0.1, served by the waitress server `loanwatch web`
    runs (bot.slack.server.make_server, Serving), in a thread, until the `with` ends; its clock
    is the story's."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, now: datetime):
        self.api = ApiWsgi(
            build_api(sessions, rate_limit=settings.api_rate_limit, clock=lambda: now)
        )
        server = make_server(self.api, host="127.0.0.1", port=0, threads=2,
                             max_body_bytes=SERVER_MAX_BODY_BYTES)  # fmt: skip
        self.serving = Serving(server, grace=5)
        self.thread = threading.Thread(target=self.serving.run, name="demo-api", daemon=True)

    def post(
        self, token: str, key: str, observations: list[dict[str, Any]]
    ) -> tuple[int, Any, bool]:
        """POST /api/v1/observations as the robot sends it: (status, answer, replayed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.serving.port, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                       "Idempotency-Key": key}  # fmt: skip
            body = json.dumps({"observations": observations})
            connection.request("POST", "/api/v1/observations", body=body, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
            replayed = response.getheader("Idempotent-Replayed") == "true"
        finally:
            connection.close()
        return response.status, answer, replayed

    def __enter__(self) -> "DemoApi":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.serving.close()  # answers what is in flight, then returns
        self.thread.join(timeout=10)
        self.api.close()


def intake_until_owners(sessions: sessionmaker[Session], settings: Settings) -> str:
    """12-01: the robot's token and batches; the owners and their schedules. Returns the token,
    as the robot's script keeps it."""
    chapter(API_POSTED, _("the RPA robot posts the three apps' limits to the ingest API"))
    token = _create_token(sessions)
    with DemoApi(sessions, settings, API_POSTED) as api:
        _robot_posts(sessions, api, token)

    chapter(OWNERS_SET, _("{first} and {second} get an owner and a reading schedule").format(
        first="jiebei-main", second="weilidai-ops"))  # fmt: skip
    with transaction(sessions) as session:
        for slug, owner in OWNERS.items():
            facility = get_facility(session, slug)
            set_readings(session, DEMO, facility, owner=owner, readings="workdays 10:00",
                         now=OWNERS_SET)  # fmt: skip
            shell(f'loanwatch facility set {slug} --owner {owner} --readings "workdays 10:00"')
            click.echo(readings_line(facility))
    return token


def first_requests(sessions: sessionmaker[Session], settings: Settings) -> None:
    """12-02 10:00: the cycle sends both requests; Same as last, and Can't see it."""
    chapter(ASKED[0], _("the check cycle asks both owners; Dana taps Same as last, WeBank's "
                        "app is down"))  # fmt: skip
    check(sessions, settings, ASKED[0])
    _taps(sessions, ASKED[0])


def platform_down(sessions: sessionmaker[Session], settings: Settings, token: str) -> None:
    """12-03 and 12-04 10:00: Can't see it twice more; the next check opens the alert."""
    heading(_("{first} and {second} 10:00: asked again, WeBank's app still down; the third "
              "Can't see it in a row opens {check}").format(
        first=story_date(ASKED[1].date()), second=story_day(ASKED[2].date()),
        check=check_name("platform_unavailable")))  # fmt: skip
    with DemoApi(sessions, settings, ROBOT_AGAIN) as api:
        batch = _readings(sessions, ROBOT_AGAIN, ("jiebei-main", "icbc-term"))
        status, answer, _replayed = api.post(token, batch_key(ROBOT_AGAIN), batch)
    said = _("{when}, the robot's workday run (WeBank's app will not let it in either): "
             "{count} limit readings, Idempotency-Key: {key}")  # fmt: skip
    say(said.format(when=story_day_time(ROBOT_AGAIN),
                    count=len(batch), key=batch_key(ROBOT_AGAIN)))  # fmt: skip
    say(_("← {status}: {answer}").format(status=status, answer=_said(answer)) + "\n")
    for asked in ASKED[1:]:
        check(sessions, settings, asked)
        _taps(sessions, asked)
    check(sessions, settings, ASKED[-1] + timedelta(minutes=15))


def bank_statement(sessions: sessionmaker[Session]) -> None:
    """12-04 16:00: the ICBC account's export through a saved mapping, imported twice."""
    chapter(STATEMENT, _("Weilidai's Saturday installment repaid today from the ICBC account; "
                         "the bank's export through a saved mapping, twice"))  # fmt: skip
    columns = "paid_on=交易日期,amount=记账金额(支出),note=对方户名"
    with transaction(sessions) as session:
        mapping = add_mapping(session, DEMO, "icbc", kind="repayments", columns=columns,
                              date_format=None, encoding="utf-8", skip_rows=6,
                              where="摘要=主动还款", now=STATEMENT)  # fmt: skip
        shell(f'loanwatch mapping add icbc --kind repayments --columns "{columns}" '
              '--skip-rows 6 --where "摘要=主动还款"')  # fmt: skip
        click.echo(saved_line(mapping))
    data = resources.files("bot.cli").joinpath("demo_files", STATEMENT_FILE).read_bytes()
    for _import in range(2):
        with transaction(sessions) as session:
            weilidai = get_facility(session, "weilidai-ops", for_update=True)
            summary = import_with_mapping(session, DEMO, weilidai, data, "icbc", now=STATEMENT)
        shell(f"loanwatch import {STATEMENT_FILE} --facility weilidai-ops --mapping icbc")
        click.echo(import_report(STATEMENT_FILE, "weilidai-ops", summary))


def _create_token(sessions: sessionmaker[Session]) -> str:
    """`token create rpa`: the token printed once; `token list` shows only its first characters."""
    with transaction(sessions) as session:
        _row, token = create_token(session, DEMO, "rpa", Scope.WRITE, now=API_POSTED)
    shell(f"loanwatch token create rpa --scope {Scope.WRITE}")
    click.echo(token)
    click.echo(created_note("rpa", Scope.WRITE))
    shell("loanwatch token list")
    with transaction(sessions) as session:
        click.echo(tokens_table(list_tokens(session)))
    return token


def _robot_posts(sessions: sessionmaker[Session], api: DemoApi, token: str) -> None:
    """A batch with a float for an amount, refused whole; fixed and recorded; retried."""
    batch = _readings(sessions, API_POSTED, ("jiebei-main", "weilidai-ops", "icbc-term"))
    broken = [dict(item) for item in batch]
    broken[1]["available"] = float(broken[1]["available"])  # what a careless script sends
    said = _("POST /api/v1/observations (on 127.0.0.1), {count} limit readings, "
             "Idempotency-Key: {key}")  # fmt: skip
    say("\n" + said.format(count=len(batch), key=batch_key(API_POSTED)))
    fixed, again = _("POST the batch fixed, the same key"), _("POST again, the same key")
    for what, observations in ((None, broken), (fixed, batch), (again, batch)):
        before = _readings_in_ledger(sessions)
        status, answer, replayed = api.post(token, batch_key(API_POSTED), observations)
        if what:
            say(what)
        if replayed:
            answered = _("← {status} (Idempotent-Replayed: true): {answer}")
        else:
            answered = _("← {status}: {answer}")
        say(answered.format(status=status, answer=_said(answer)))
        say(_("  limit readings in the ledger: {before} → {after}").format(
            before=before, after=_readings_in_ledger(sessions)))  # fmt: skip


def _said(answer: dict[str, Any]) -> str:
    """The API's answer in a line or a few: its refusal and problems, or each outcome."""
    if "error" in answer:
        problems = [
            f"\n  {'' if p['index'] is None else '#' + str(p['index']) + ' '}{p['field']}: "
            f"{p['reason']}"
            for p in answer["problems"]
        ]
        return answer["error"] + "".join(problems)
    return ", ".join(f"#{r['index']} {r['facility']} {r['outcome']}" for r in answer["results"])


def _readings(
    sessions: sessionmaker[Session], seen: datetime, slugs: tuple[str, ...]
) -> list[dict[str, Any]]:
    """What the robot reads in the apps at `seen`: Jiebei's lowered limit, Weilidai as before,
    the ICBC line still frozen."""
    shown = {"jiebei-main": Decimal("200000.00"), "weilidai-ops": Decimal("200000.00")}
    batch: list[dict[str, Any]] = []
    with transaction(sessions) as session:
        for slug in slugs:
            facility = get_facility(session, slug)
            limit = shown.get(slug, Decimal("0.00"))
            available = max(limit - outstanding_principal(session, facility.id), Decimal("0.00"))
            batch.append({"kind": "limit", "facility": slug, "limit": str(limit),
                          "available": str(available), "status": "active" if limit else "frozen",
                          "observed_at": seen.isoformat()})  # fmt: skip
    return batch


def _readings_in_ledger(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(LimitReading)) or 0)


def _taps(sessions: sessionmaker[Session], asked: datetime) -> None:
    """The owners answer the requests the cycle just sent: Dana Same as last at 10:04, Wei
    Can't see it at 10:06 (the calls Slack's buttons make, bot.slack.actions.readings)."""
    for request_id, slug in _open_requests(sessions):
        owner = OWNERS[slug]
        if slug == "jiebei-main":
            tapped, label = asked + timedelta(minutes=4), SAME
            with transaction(sessions) as session:
                answered = answer_same(session, actor(owner), request_id, now=tapped)
                line = answered_line(answered)
        else:
            tapped, label = asked + timedelta(minutes=6), UNAVAILABLE
            with transaction(sessions) as session:
                answered = answer_unavailable(session, actor(owner), request_id,
                                              now=tapped)  # fmt: skip
                line = answered_line(answered)
        taps(owner, label, line)
    click.echo()


def _open_requests(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    """(request id, facility) of every open request, oldest first."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(ReadingRequest.id, Facility.slug)
            .join(Facility, Facility.id == ReadingRequest.facility_id)
            .where(ReadingRequest.state == RequestState.OPEN)
            .order_by(ReadingRequest.id)
        )
        return [(request_id, slug) for request_id, slug in rows]
