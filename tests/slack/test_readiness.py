"""GET /readyz through the real server: ready while the database's schema is the newest
migration this code ships, so a load balancer (Kubernetes' readiness probe, deploy/kubernetes)
sends Slack's requests only to processes whose code matches the schema."""

import pytest
from sqlalchemy import text

from bot.db import head_revision


@pytest.fixture
def stamp(sessions, database_url):
    """`stamp(revision)`: the database says it is at `revision` (as another release's `db
    upgrade` would leave it), until the test ends: the PostgreSQL database is shared by the
    run's tests, and left at a made-up revision every later test would refuse to start."""

    def stamped(revision: str) -> None:
        with sessions.begin() as session:
            session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})

    yield stamped
    stamped(head_revision(database_url))


def test_a_database_at_the_newest_migration_is_ready(app, database_url) -> None:
    """`db upgrade` has run: 200, and both sides name the same migration."""
    head = head_revision(database_url)

    answer = app.request("GET", "/readyz")

    assert answer.status == 200
    assert answer.body == {
        "ok": True,
        "database": "ok",
        "schema": {"database": head, "code": head, "current": True},
    }


def test_a_database_behind_the_code_is_not_ready(app, stamp, database_url) -> None:
    """A new release started before its `db upgrade` ran: 503, naming both migrations."""
    stamp("0030_previous")

    answer = app.request("GET", "/readyz")

    assert answer.status == 503
    assert answer.body["ok"] is False
    assert answer.body["schema"] == {
        "database": "0030_previous",
        "code": head_revision(database_url),
        "current": False,
    }


def test_a_database_ahead_of_the_code_is_not_ready_and_health_is_unchanged(app, stamp) -> None:
    """A newer release upgraded the schema while this process runs the old code: not ready
    (503), yet /healthz still answers 200, so the process is not restarted for it."""
    stamp("9999_from_a_newer_release")

    assert app.request("GET", "/readyz").status == 503
    assert app.request("GET", "/healthz").status == 200
