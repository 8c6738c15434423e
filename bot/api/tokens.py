"""Bearer tokens for the API: created, listed, revoked (audited), and checked on each request.

A token is `lwt_` and 43 URL-safe characters (32 random bytes); only its SHA-256 is stored, so a
database dump gives nobody a working token, and the token is shown once, when created. A request
whose token is missing, unknown or revoked, or whose token's scope does not allow it, is refused
and the refusal audited (action `refused`, source `api`).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.errors import InputError, NotFoundError
from bot.i18n import N_, _
from bot.ledger.facilities import check_slug
from bot.models import ApiToken, AuditRecord

PREFIX = "lwt_"
SHOWN_CHARS = 8
# `last used` moves at most this often: a busy script does not write a row per request.
LAST_USED_STEP = timedelta(minutes=1)


class Scope(StrEnum):
    """What a token may do. Writing includes reading: a script that posts readings may look
    up the facilities it posts to."""

    READ = "observations:read"
    WRITE = "observations:write"

    def allows(self, needed: "Scope") -> bool:
        return self is Scope.WRITE or needed is Scope.READ


class Refusal(StrEnum):
    """Why a request's token was refused: 401 for the first three, 403 for the last."""

    MISSING = "missing"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def status(self) -> int:
        return 403 if self is Refusal.OUT_OF_SCOPE else 401


class TokenRefusedError(Exception):
    """The request's token does not let it through; `reason` says why."""

    def __init__(self, reason: Refusal, token: ApiToken | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        # Plain values: the session the row came from is gone when the refusal is recorded.
        self.token_id = token.id if token else None
        self.token_name = token.name if token else None


@dataclass(frozen=True)
class Caller:
    """The token a request came with, as the rest of the request needs it."""

    token_id: int
    name: str
    scope: Scope

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(f"api:{self.name}", "api")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, actor: audit.Actor, name: str, scope: Scope, *, now: datetime
) -> tuple[ApiToken, str]:
    """A new token named `name`: the row, and the token itself (shown once, never stored)."""
    name = check_slug(name, N_("token name"))
    taken = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if taken is not None and taken.revoked_at is not None:
        # Its name stays with its audit trail and its "last used": the new one needs its own.
        raise InputError(
            _(
                "a token named {name} was revoked, and a name is not used twice; choose a new "
                "name (e.g. {example})"
            ).format(name=repr(name), example=f"{name}-2")
        )
    if taken is not None:
        raise InputError(
            _(
                "a token named {name} exists already and is in use; choose another name "
                "(and revoke {name} once the new token has replaced it)"
            ).format(name=repr(name))
        )
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        scope=str(scope),
        token_hash=hash_token(token),
        prefix=token[: len(PREFIX) + SHOWN_CHARS],
        created_at=now,
        created_by=actor.name,
    )
    session.add(row)
    audit.record(session, actor, "api_token.create", row, at=now, after=_shown(row))
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones too, by name."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, actor: audit.Actor, name: str, *, now: datetime) -> ApiToken:
    """Revoke the token named `name`: from now on it gets 401. Revoking twice changes nothing."""
    row = session.scalar(select(ApiToken).where(ApiToken.name == name).with_for_update())
    if row is None:
        known = [t.name for t in list_tokens(session)]
        if not known:
            raise NotFoundError(
                _("no token named {name}; tokens: none yet").format(name=repr(name))
            )
        raise NotFoundError(
            _("no token named {name}; tokens: {known}").format(
                name=repr(name), known=_(", ").join(known)
            )
        )
    if row.revoked_at is not None:
        return row
    before = _shown(row)
    row.revoked_at = now
    row.revoked_by = actor.name
    audit.record(session, actor, "api_token.revoke", row, at=now, before=before, after=_shown(row))
    return row


def authenticate(
    session: Session, authorization: str | None, needed: Scope, *, now: datetime
) -> Caller:
    """The caller behind an `Authorization: Bearer …` header, allowed `needed`, or
    TokenRefusedError. Moves the token's `last used` (at most once a minute)."""
    scheme, _space, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise TokenRefusedError(Refusal.MISSING)
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(presented.strip()))
    )
    if row is None:
        raise TokenRefusedError(Refusal.UNKNOWN)
    if row.revoked_at is not None:
        raise TokenRefusedError(Refusal.REVOKED, row)
    scope = Scope(row.scope)
    if not scope.allows(needed):
        raise TokenRefusedError(Refusal.OUT_OF_SCOPE, row)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    return Caller(row.id, row.name, scope)


def record_refusal(
    session: Session, refused: TokenRefusedError, details: dict[str, Any], *, now: datetime
) -> None:
    """The audit record of a refused request: which token (if any was known), why, and what
    it asked for."""
    session.add(
        AuditRecord(
            at=now,
            actor=f"api:{refused.token_name or 'anonymous'}",
            source="api",
            action="refused",
            entity="api_tokens",
            entity_id=str(refused.token_id) if refused.token_id else None,
            before=None,
            after={"reason": refused.reason.value, "status": refused.reason.status, **details},
        )
    )


def _shown(row: ApiToken) -> dict[str, Any]:
    """A token's audit snapshot, without its hash."""
    snapshot = audit.snapshot(row)
    snapshot.pop("token_hash", None)
    return snapshot
