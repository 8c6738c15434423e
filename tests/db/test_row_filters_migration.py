"""Migration 0039: a mapping's `--where` saved when `=` meant "contains" keeps that meaning."""

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, select, text

from bot.db import alembic_config
from bot.ledger.statements.where import from_stored
from bot.models import StatementMapping
from bot.sessions import session_factory


def test_a_filter_saved_before_the_contains_form_still_keeps_what_it_kept(engine: Engine) -> None:
    """`摘要=还款` saved before 0039 kept 自动还款: after the upgrade it is `摘要~还款` and still
    does; a filter already in the new forms is left as it was; down again, the old form."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0038")
    with engine.begin() as connection:
        for name, row_filter in (
            ("old", '{"摘要": "还款"}'),
            ("new", '{"摘要": {"contains": "还"}}'),
        ):
            connection.execute(
                text(
                    "INSERT INTO statement_mappings (name, kind, columns, encoding, skip_rows, "
                    "row_filter, created_at, created_by) VALUES (:name, 'repayments', "
                    ":columns, 'utf-8', 0, :filter, :at, 'alice')"
                ),
                {
                    "name": name,
                    "columns": '{"paid_on": "日期", "amount": "金额"}',
                    "filter": row_filter,
                    "at": datetime(2026, 12, 1, tzinfo=UTC),
                },
            )

    command.upgrade(config, "head")

    with session_factory(engine)() as session:
        kept = {
            m.name: from_stored(m.row_filter) for m in session.scalars(select(StatementMapping))
        }
    [old], [new] = kept["old"], kept["new"]
    assert old.shown() == "摘要~还款"
    assert old.keeps("自动还款")
    assert new.shown() == "摘要~还"

    command.downgrade(config, "0038")
    with engine.connect() as connection:
        stored = connection.scalar(
            text("SELECT row_filter FROM statement_mappings WHERE name = 'old'")
        )
    assert (json.loads(stored) if isinstance(stored, str) else stored) == {"摘要": "还款"}
    command.upgrade(config, "head")
