"""The schema is the migrations' schema: models and migrations never drift apart."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.db import (
    SchemaBehindError,
    current_revision,
    head_revision,
    make_engine,
    require_current_schema,
)
from bot.models import Base


def test_migrations_and_models_agree(engine: Engine) -> None:
    """Autogenerate finds no difference between the migrated database and the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_a_migrated_database_is_at_head(engine: Engine) -> None:
    """After upgrade the database reports the newest migration, so commands may run."""
    url = engine.url.render_as_string(hide_password=False)
    assert current_revision(engine) == head_revision(url)
    require_current_schema(engine)


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(tmp_path) -> None:
    """Commands on an unmigrated database say to run `loanwatch db upgrade`."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaBehindError, match="run `loanwatch db upgrade`"):
        require_current_schema(engine)
    engine.dispose()
