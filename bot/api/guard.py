"""Each request's token and rate, checked before its endpoint runs (a FastAPI dependency)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.orm import Session, sessionmaker

from bot.api import messages
from bot.api.ratelimit import TokenRateLimit
from bot.api.tokens import Caller, Scope, TokenRefusedError, authenticate, record_refusal
from bot.db import transaction

bearer = HTTPBearer(auto_error=False, description="`loanwatch token create NAME --scope …`")


class ApiError(Exception):
    """A request refused as a whole, answered with `status` and `{"error": message}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def guard(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], limiter: TokenRateLimit
) -> Callable[[Scope], Callable[..., Caller]]:
    """`caller_for(scope)`: a dependency that answers with the request's Caller, or refuses it
    (401/403, audited; 429 past the token's rate, or past the refusals an address may have,
    not audited: bot.api.ratelimit)."""

    def caller_for(needed: Scope) -> Callable[..., Caller]:
        def caller(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> Caller:
            header = f"Bearer {credentials.credentials}" if credentials else None
            now = clock()
            try:
                with transaction(sessions) as session:
                    found = authenticate(session, header, needed, now=now)
            except TokenRefusedError as refused:
                wait = limiter.refused(request.client.host if request.client else "unknown")
                if wait is not None:
                    raise ApiError(
                        429, messages.too_many_refused(wait), {"Retry-After": str(wait)}
                    ) from None
                with transaction(sessions) as session:
                    details = {"method": request.method, "path": request.url.path}
                    record_refusal(session, refused, details, now=now)
                raise ApiError(
                    refused.reason.status,
                    messages.REFUSED[refused.reason],
                    {"WWW-Authenticate": "Bearer"} if refused.reason.status == 401 else None,
                ) from None
            wait = limiter.hit(found.token_id)
            if wait is not None:
                raise ApiError(429, messages.too_many(wait), {"Retry-After": str(wait)})
            request.state.caller = found  # checked once, even if the body is refused after
            return found

        return caller

    return caller_for


def check_token(caller: Callable[..., Caller], request: Request) -> ApiError | None:
    """The refusal `caller` (a `caller_for(scope)`) gives the request's token, if it refuses
    it: for a request whose body FastAPI refused before the dependency ran, so that the token
    is checked before anything is said about the body."""
    if getattr(request.state, "caller", None) is not None:
        return None
    header = request.headers.get("Authorization")
    scheme, token = get_authorization_scheme_param(header)
    given = scheme.lower() == "bearer" and token
    credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if given else None
    try:
        caller(request, credentials)
    except ApiError as refused:
        return refused
    return None
