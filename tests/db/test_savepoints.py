"""A savepoint on SQLite nests in its transaction, as on PostgreSQL.

pysqlite begins a transaction only at the first INSERT, UPDATE or DELETE. A SAVEPOINT sent
before that starts the transaction itself, and its RELEASE commits it: the work of a wake-up,
an import item or an API observation done in a savepoint first would stay written when the
transaction around it rolls back.
"""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bot.db import make_engine, transaction


class RefusedError(Exception):
    pass


def test_a_released_savepoint_is_undone_with_its_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    factory = sessionmaker(engine)

    def refused_after_a_savepoint() -> None:
        with transaction(factory) as session:
            with session.begin_nested():
                session.execute(text("INSERT INTO notes VALUES ('first, in a savepoint')"))
            session.execute(text("INSERT INTO notes VALUES ('second')"))
            raise RefusedError

    with pytest.raises(RefusedError):
        refused_after_a_savepoint()

    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).all() == []
    engine.dispose()


def test_work_after_a_rolled_back_savepoint_still_commits(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    factory = sessionmaker(engine)

    with transaction(factory) as session:
        try:
            with session.begin_nested():
                session.execute(text("INSERT INTO notes VALUES ('refused')"))
                raise RefusedError
        except RefusedError:
            pass
        session.execute(text("INSERT INTO notes VALUES ('kept')"))

    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalars().all() == ["kept"]
    engine.dispose()
