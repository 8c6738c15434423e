"""Who this loanwatch is: an id and a signing key, made once per database and kept there.

    me = this_installation(session)
    me.installation_id   # "3f2a…" in every Slack post's metadata
    me.sign(b"…")         # HMAC-SHA256 with the installation's own key

The row is written by migration 0007; if it is missing (a table emptied by hand, a test that
truncates everything) the first reader makes a new one, and concurrent readers agree on one.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.models.installation import Installation

THE_ROW = 1


@dataclass(frozen=True)
class ThisInstallation:
    """The installation's id (public) and key (secret, never logged)."""

    installation_id: str
    key: bytes = field(repr=False)

    def sign(self, data: bytes) -> str:
        """HMAC-SHA256 of `data` with the installation's key, as hex."""
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def verify(self, data: bytes, signature: str) -> bool:
        """True if `signature` is `sign(data)`; compared in constant time."""
        return hmac.compare_digest(self.sign(data), signature)


def new_values() -> dict[str, str]:
    """A fresh id and key (the migration and the repair path both use this)."""
    return {"installation_id": uuid.uuid4().hex, "secret": secrets.token_hex(32)}


def this_installation(session: Session) -> ThisInstallation:
    """The installation's id and key, made now if the row is missing."""
    row = session.get(Installation, THE_ROW)
    if row is None:
        try:
            with session.begin_nested():
                session.add(Installation(id=THE_ROW, created_at=utcnow(), **new_values()))
        except IntegrityError:
            pass  # another process made it first: use theirs
        row = session.scalar(select(Installation).where(Installation.id == THE_ROW))
        assert row is not None
    return ThisInstallation(row.installation_id, bytes.fromhex(row.secret))
