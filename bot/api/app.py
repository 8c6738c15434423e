"""The FastAPI application of /api/v1 (bot.api.routes), its token and rate checks
(bot.api.guard) and its one form of refusal.

Endpoints are plain `def`s (FastAPI runs them on its thread pool): the domain and its
SQLAlchemy sessions are synchronous, as everywhere else in loanwatch.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.api import messages
from bot.api.guard import ApiError, check_token, guard
from bot.api.problems import batch_problems, body_unread, request_problems
from bot.api.ratelimit import TokenRateLimit
from bot.api.routes import OBSERVATIONS, PREFIX, observations_router, reads_router
from bot.api.tokens import Caller, Scope
from bot.clock import utcnow
from bot.db import database_unavailable

log = logging.getLogger(__name__)

# What a 503 asks the client to wait before trying again.
RETRY_SECONDS = 5


def build_api(
    sessions: sessionmaker[Session],
    *,
    rate_limit: str,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The API on `sessions`; `rate_limit` per token, as `limits` reads it ("600/minute")."""
    api = FastAPI(
        title="loanwatch ingest API",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    caller_for = guard(sessions, clock, TokenRateLimit(rate_limit))
    reader = Annotated[Caller, Depends(caller_for(Scope.READ))]
    writer = Annotated[Caller, Depends(caller_for(Scope.WRITE))]
    api.include_router(observations_router(sessions, clock, writer))
    api.include_router(reads_router(sessions, reader))
    _answer_refusals(api, sessions, caller_for(Scope.WRITE))
    return api


def _answer_refusals(
    api: FastAPI, sessions: sessionmaker[Session], writer: Callable[..., Caller]
) -> None:
    """Every refusal as `{"error": …}` (with `problems` for a request that did not read)."""

    @api.exception_handler(ApiError)
    def _refused(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, exc.status, headers=exc.headers)

    @api.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # A body that is not JSON at all (400), a method the path does not take (405)...
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)

    @api.exception_handler(DBAPIError)
    def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if not database_unavailable(exc):
            return _bug(request, exc)
        # Another process holds SQLite's write lock past the busy timeout, PostgreSQL refuses
        # connections or is restarting: the transaction was rolled back; try again later.
        log.warning(
            "API %s %s: database busy or unavailable (%s)",
            request.method,
            request.url.path,
            str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__,
        )
        return JSONResponse(
            {"error": messages.database_busy(RETRY_SECONDS)},
            503,
            headers={"Retry-After": str(RETRY_SECONDS)},
        )

    @api.exception_handler(Exception)
    def _bug(request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:8]
        log.error(
            "API %s %s failed (reference %s)",
            request.method,
            request.url.path,
            reference,
            exc_info=exc,
        )
        return JSONResponse({"error": messages.bug(reference)}, 500)

    @api.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if request.url.path == OBSERVATIONS and request.method == "POST":
            # The token first: a stranger learns nothing of what the body should have been.
            refused = check_token(writer, request)
            if refused is not None:
                return _refused(request, refused)
            unread = body_unread(request, exc)
            if unread is not None:
                return _refused(request, unread)
            status, report = batch_problems(sessions, exc)
        else:
            status, report = 422, request_problems(exc)
        return JSONResponse(report.model_dump(mode="json"), status)
