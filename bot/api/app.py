"""The FastAPI application of /api/v1: routes, the token and rate checks, and the answers.

Endpoints are plain `def`s (FastAPI runs them on its thread pool): the domain and its
SQLAlchemy sessions are synchronous, as everywhere else in loanwatch.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.api import idempotency, messages, reads
from bot.api.ingest import apply_batch
from bot.api.problems import batch_problems, request_problems
from bot.api.ratelimit import TokenRateLimit
from bot.api.schemas import (
    AlertView,
    BatchResult,
    FacilityView,
    InstallmentView,
    ObservationBatch,
    Problem,
    ProblemReport,
    Refused,
)
from bot.api.tokens import Caller, Scope, TokenRefusedError, authenticate, record_refusal
from bot.clock import utcnow
from bot.db import transaction

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
OBSERVATIONS = f"{PREFIX}/observations"
bearer = HTTPBearer(auto_error=False, description="`loanwatch token create NAME --scope …`")

_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": Refused, "description": "No token, an unknown or a revoked one"},
    403: {"model": Refused, "description": "The token's scope does not allow this"},
    422: {"model": ProblemReport, "description": "Refused; every problem listed, nothing written"},
    429: {
        "model": Refused,
        "description": "Too many requests with this token",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


class ApiError(Exception):
    """A request refused as a whole, answered with `status` and `{"error": message}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class _BatchRefusedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


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
    limiter = TokenRateLimit(rate_limit)

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
            return found

        return caller

    router = APIRouter(prefix=PREFIX)
    reader = Annotated[Caller, Depends(caller_for(Scope.READ))]
    writer = Annotated[Caller, Depends(caller_for(Scope.WRITE))]

    @api.exception_handler(ApiError)
    def _refused(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, exc.status, headers=exc.headers)

    @api.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # A body that is not JSON at all (400), a method the path does not take (405)...
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)

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
            status, report = batch_problems(sessions, exc)
        else:
            status, report = 422, request_problems(exc)
        return JSONResponse(report.model_dump(mode="json"), status)

    @router.post(
        "/observations",
        response_model=BatchResult,
        responses={
            **_REFUSED,
            400: {"model": Refused, "description": "The body is not JSON"},
            413: {"model": ProblemReport, "description": "More than 1,000 observations"},
        },
        summary="Record observations (limit readings, bills, payouts), all or none",
    )
    def post_observations(
        batch: ObservationBatch,
        request_body: Annotated[bytes, Depends(_body)],
        who: writer,
        idempotency_key: Annotated[
            str | None, Header(max_length=idempotency.KEY_CHARS, pattern=r"^[\x21-\x7e]+$")
        ] = None,
    ) -> Any:
        now = clock()
        digest = idempotency.body_hash(request_body)
        if idempotency_key is not None:
            kept = _replay(sessions, who, idempotency_key, digest)
            if kept is not None:
                return kept
        try:
            with transaction(sessions) as session:
                row = None
                if idempotency_key is not None:
                    row = idempotency.claim(session, who.token_id, idempotency_key, digest, now=now)
                applied = apply_batch(session, who.actor, list(batch.observations), now=now)
                if applied.result is None:
                    raise _BatchRefusedError(applied.problems)  # rolls everything back
                answer = applied.result.model_dump(mode="json")
                if row is not None:
                    row.status, row.answer = 200, answer
                return answer
        except _BatchRefusedError as refused:
            report = ProblemReport(error=messages.BATCH_REFUSED, problems=refused.problems)
            return JSONResponse(report.model_dump(mode="json"), 422)
        except IntegrityError:
            # Another request with this key committed first: its answer is this one's.
            kept = _replay(sessions, who, idempotency_key or "", digest)
            if kept is None:
                raise
            return kept

    @router.get("/facilities", response_model=list[FacilityView], responses=_REFUSED)
    def get_facilities(who: reader) -> Any:
        with transaction(sessions) as session:
            return reads.facilities(session)

    @router.get("/alerts", response_model=list[AlertView], responses=_REFUSED)
    def get_alerts(
        who: reader,
        state: Literal["open", "acknowledged", "resolved", "all"] = "open",
    ) -> Any:
        with transaction(sessions) as session:
            return reads.alerts(session, state=state)

    @router.get("/installments", response_model=list[InstallmentView], responses=_REFUSED)
    def get_installments(
        who: reader,
        start: Annotated[date, Query(alias="from")],
        end: Annotated[date, Query(alias="to")],
    ) -> Any:
        if end < start:
            raise ApiError(422, messages.BACKWARDS_RANGE)
        if (end - start).days > reads.MAX_DAYS:
            raise ApiError(422, messages.RANGE_TOO_LONG)
        with transaction(sessions) as session:
            return reads.installments(session, start=start, end=end)

    api.include_router(router)
    return api


async def _body(request: Request) -> bytes:
    return await request.body()


def _replay(
    sessions: sessionmaker[Session], who: Caller, key: str, digest: str
) -> JSONResponse | None:
    with transaction(sessions) as session:
        kept = idempotency.kept_answer(session, who.token_id, key, digest)
    if kept is None:
        return None
    if not kept.same_body:
        raise ApiError(422, messages.KEY_REUSED)
    return JSONResponse(kept.answer, kept.status, headers={"Idempotent-Replayed": "true"})
