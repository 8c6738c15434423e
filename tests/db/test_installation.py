"""Each database is one installation: an id and a key made once, kept, and made again if lost."""

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.installation import this_installation
from bot.models import Installation


def test_the_installation_keeps_one_id_across_sessions(sessions: sessionmaker[Session]) -> None:
    """Two readers of the same database see the same installation id and key."""
    with transaction(sessions) as session:
        first = this_installation(session)
    with transaction(sessions) as session:
        second = this_installation(session)
    assert first == second
    assert len(first.installation_id) == 32


def test_a_lost_installation_row_is_made_again(sessions: sessionmaker[Session]) -> None:
    """With the row gone, the next reader makes a new one, and readers after it agree on it."""
    with transaction(sessions) as session:
        before = this_installation(session)
        session.execute(delete(Installation))
    with transaction(sessions) as session:
        remade = this_installation(session)
    with transaction(sessions) as session:
        again = this_installation(session)
    assert remade != before
    assert again == remade


def test_a_signature_verifies_only_for_the_same_data(sessions: sessionmaker[Session]) -> None:
    """The key signs data; changed data or another signature does not verify."""
    with transaction(sessions) as session:
        me = this_installation(session)
    signature = me.sign(b"alert:12")
    assert me.verify(b"alert:12", signature)
    assert not me.verify(b"alert:13", signature)
    assert not me.verify(b"alert:12", "0" * 64)
    assert me.key.hex() not in repr(me)
