"""Migration 0008: outbox rows written before it get a random token each, like every row after."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, text

from bot.db import alembic_config


def test_rows_from_before_the_token_get_a_token_of_their_own(engine: Engine) -> None:
    """Back at 0007, three rows; after the upgrade each has a different 32-digit hex token."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0007")
    try:
        at = datetime(2026, 12, 1, tzinfo=UTC)
        with engine.begin() as connection:
            for n in range(3):
                connection.execute(
                    text(
                        "INSERT INTO outbox (kind, channel, payload, state, attempts, "
                        "next_attempt_at, permanent, created_at) "
                        "VALUES ('alert.opened', 'C0ALERTS', :payload, 'pending', 0, :at, "
                        "false, :at)"
                    ),
                    {"payload": f'{{"n": {n}}}', "at": at},
                )
    finally:
        command.upgrade(config, "head")

    with engine.connect() as connection:
        tokens = connection.scalars(text("SELECT token FROM outbox ORDER BY id")).all()
    assert len(set(tokens)) == 3
    assert all(len(token) == 32 and int(token, 16) >= 0 for token in tokens)
