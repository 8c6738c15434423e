"""The database busy or out of reach (another process holds SQLite's write lock, PostgreSQL
refuses connections): 503 with Retry-After, as JSON, logged, nothing written; not a 500."""

import logging
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.api.tokens import Scope, create_token
from bot.db import make_engine
from bot.ledger.facilities import FacilityTerms, add_facility
from bot.ledger.schedule import DayCount, RepaymentMethod
from bot.models import LimitReading
from bot.sessions import session_factory
from tests.api.conftest import DANA, ApiClient, start_api
from tests.api.test_observations import limit
from tests.support.databases import sqlite_copy

JIEBEI = FacilityTerms(
    slug="jiebei-main",
    platform="jiebei",
    limit_amount=Decimal("200000.00"),
    daily_rate=Decimal("0.0004"),
    repayment_method=RepaymentMethod.EQUAL_INSTALLMENT,
    day_count=DayCount.THIRTY,
)


@pytest.fixture
def quick_sessions(_sqlite_template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A SQLite database whose busy timeout is short, so a held lock is met at once."""
    url = sqlite_copy(_sqlite_template, tmp_path)
    engine = make_engine(url, connect_args={"timeout": 0.05})
    yield session_factory(engine)
    engine.dispose()


def test_a_locked_sqlite_database_is_503_with_retry_after(quick_sessions, clock, caplog) -> None:
    sessions = quick_sessions
    with sessions.begin() as session:
        _, writer = create_token(session, DANA, "robot", Scope.WRITE, now=clock())
        _, reader = create_token(session, DANA, "sheet", Scope.READ, now=clock())
        add_facility(session, DANA, JIEBEI, now=clock())
    path = sessions.kw["bind"].url.database
    for port, _api, _serving in start_api(sessions, clock, "1000/minute"):
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with caplog.at_level(logging.WARNING, logger="bot.api.app"):
                posted = ApiClient(port, writer).post([limit()])
                read = ApiClient(port, reader).get("/api/v1/facilities")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for answer in (posted, read):
            assert answer.status == 503, answer.body
            assert answer.headers["retry-after"] == "5"
            assert "busy or unavailable" in answer.body["error"]
        assert "database busy or unavailable" in caplog.text
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(LimitReading)) == 0
        assert ApiClient(port, writer).post([limit()]).status == 200


def test_postgresql_refusing_connections_is_503(clock) -> None:
    """The port has nothing listening: every request, the token check first, is a 503."""
    refused = session_factory(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing"))
    for port, _api, _serving in start_api(refused, clock, "1000/minute"):
        answer = ApiClient(port, "lwt_" + "x" * 43).get("/api/v1/facilities")
        assert answer.status == 503, answer.body
        assert answer.headers["retry-after"] == "5"
