"""The ingest API under test: the real waitress server on port 0, tokens, a facility, a clock."""

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.api.app import build_api
from bot.api.tokens import Scope, create_token
from bot.api.wsgi import SERVER_MAX_BODY_BYTES, ApiWsgi
from bot.audit import Actor
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import Facility
from bot.slack.server import Serving, make_server
from tests.support.clock import Clock

DANA = Actor("cli:dana", "cli")


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiClient:
    """Requests to the running server, as a script would send them."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        bearer = token if token is not None else self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            text = response.read().decode()
            headers_got = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        is_json = headers_got.get("content-type", "").startswith("application/json")
        return Answer(response.status, json.loads(text) if is_json else text, headers_got)

    def post(self, observations: list[dict[str, Any]], **options: Any) -> Answer:
        return self.request(
            "POST", "/api/v1/observations", {"observations": observations}, **options
        )

    def get(self, path: str, **options: Any) -> Answer:
        return self.request("GET", path, **options)


@dataclass
class RunningApi:
    """The server's port, its tokens (a writer's and a reader's) and a client for each."""

    port: int
    writer_token: str
    reader_token: str
    serving: Serving

    @property
    def writer(self) -> ApiClient:
        return ApiClient(self.port, self.writer_token)

    @property
    def reader(self) -> ApiClient:
        return ApiClient(self.port, self.reader_token)

    @property
    def anonymous(self) -> ApiClient:
        return ApiClient(self.port)


@pytest.fixture
def clock() -> Clock:
    """2026-12-01 10:00 in Shanghai."""
    return Clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def rate_limit() -> str:
    """Requests a token may make; a test of the limit asks for a small one."""
    return "1000/minute"


def start_api(
    sessions: sessionmaker[Session], clock: Clock, rate_limit: str
) -> Iterator[tuple[int, ApiWsgi, Serving]]:
    api = ApiWsgi(build_api(sessions, rate_limit=rate_limit, clock=clock))
    server = make_server(
        api,
        host="127.0.0.1",
        port=0,
        threads=4,
        poll_seconds=0.02,
        max_body_bytes=SERVER_MAX_BODY_BYTES,
    )
    serving = Serving(server)
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    try:
        yield serving.port, api, serving
    finally:
        serving.close()
        thread.join(timeout=5)
        api.close()


@pytest.fixture
def api(sessions: sessionmaker[Session], clock: Clock, rate_limit: str) -> Iterator[RunningApi]:
    """The API served on port 0, with a write token and a read token."""
    with sessions.begin() as session:
        _, writer = create_token(session, DANA, "robot", Scope.WRITE, now=clock())
        _, reader = create_token(session, DANA, "sheet", Scope.READ, now=clock())
    for port, _api, serving in start_api(sessions, clock, rate_limit):
        yield RunningApi(port, writer, reader, serving)


@pytest.fixture
def jiebei(sessions: sessionmaker[Session], clock: Clock) -> Facility:
    """jiebei-main: a 200,000 Jiebei line at 0.04 %/day."""
    with sessions.begin() as session:
        facility = add_facility(
            session,
            DANA,
            FacilityTerms(
                slug="jiebei-main",
                platform="jiebei",
                limit_amount=Decimal("200000.00"),
                daily_rate=Decimal("0.0004"),
                repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
                day_count=DayCount.THIRTY,
            ),
            now=clock(),
        )
        session.flush()
        session.expunge(facility)
    return facility
