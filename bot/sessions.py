"""The application's sessions: made here and nowhere else, with the summaries hook and the
check marks' hook installed.

The CLI, the Slack app, the worker, the bench and the tests' fixtures all take their sessions
from :func:`session_factory`, so every flush keeps the checks' summaries in step
(`bot.ledger.summaries`). A session made another way would write ledger rows that the checks
then read wrong, until `loanwatch db rebuild-summaries`. Every flush also marks the
facilities whose observations it wrote as checks due (`bot.ledger.check_marks`), which the
worker's prompt run checks within seconds.
"""

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.ledger.check_marks import keep_check_marks
from bot.ledger.summaries import keep_summaries


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` that keep the checks' summaries in step with every flush, and keep
    loaded objects usable after commit (the CLI prints them)."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    keep_summaries(sessions)
    # After the summaries' hook, which has locked the facilities written (in id order) by then.
    keep_check_marks(sessions)
    return sessions
