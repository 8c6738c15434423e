"""The application's sessions: made here and nowhere else, with the summaries hook installed.

The CLI, the Slack app, the worker, the bench and the tests' fixtures all take their sessions
from :func:`session_factory`, so every flush keeps the checks' summaries in step
(`bot.ledger.summaries`). A session made another way would write ledger rows that the checks
then read wrong, until `loanwatch db rebuild-summaries`.
"""

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.ledger.summaries import keep_summaries


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` that keep the checks' summaries in step with every flush, and keep
    loaded objects usable after commit (the CLI prints them)."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    keep_summaries(sessions)
    return sessions
