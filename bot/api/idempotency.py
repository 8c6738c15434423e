"""`Idempotency-Key`: a retried request gets the first answer and writes nothing again.

The answer is kept in `api_idempotency_keys` under (token, key), in the same transaction as what
the request wrote, so either both are there or neither is. The key's row is written before the
observations: a second request with the same key that arrives while the first is still running
waits on that row (PostgreSQL) or on the write lock (SQLite), then fails to insert it, rolls
back, and answers with what the first one kept. The same key with another body is refused.
A refused request keeps nothing: fixed and sent again under the same key, it is tried anew.

A key is kept for a day (`KEPT_FOR`, Stripe's rule): the worker's wake-up `forget_keys` deletes
older ones, so the table holds one day of batches, not every batch ever sent. A retry is a
script's answer to a lost connection, minutes later; a key sent again after a day is a new
request.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.models import ApiIdempotencyKey

KEY_CHARS = 200
# How long an answer is kept for a retry.
KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Kept:
    """An answer kept for a key, and whether this request's body is the one it answered."""

    status: int
    answer: dict[str, Any]
    same_body: bool


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def kept_answer(session: Session, token_id: int, key: str, digest: str) -> Kept | None:
    row = session.scalar(
        select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key
        )
    )
    if row is None:
        return None
    return Kept(row.status, row.answer, row.body_hash == digest)


def claim(
    session: Session, token_id: int, key: str, digest: str, *, now: datetime
) -> ApiIdempotencyKey:
    """Write the key's row now (flushed), to be filled with the answer before commit. Raises
    IntegrityError when another request holds the key."""
    row = ApiIdempotencyKey(
        token_id=token_id, key=key, body_hash=digest, status=0, answer={}, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def forget_keys(session: Session, *, now: datetime) -> int:
    """Delete the answers kept longer than `KEPT_FOR` (a wake-up; the caller commits); the count."""
    done = session.execute(
        delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < now - KEPT_FOR)
    )
    return done.rowcount or 0
