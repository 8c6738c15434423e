"""The endpoints of /api/v1: observations in; facilities, alerts and installments out."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.api import idempotency, messages, reads
from bot.api.guard import ApiError
from bot.api.ingest import apply_batch
from bot.api.schemas import (
    AlertView,
    BatchResult,
    Day,
    FacilityView,
    InstallmentView,
    ObservationBatch,
    Problem,
    ProblemReport,
    Refused,
)
from bot.api.tokens import Caller
from bot.db import transaction

PREFIX = "/api/v1"
OBSERVATIONS = f"{PREFIX}/observations"

REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": Refused, "description": "No token, an unknown or a revoked one"},
    403: {"model": Refused, "description": "The token's scope does not allow this"},
    422: {"model": ProblemReport, "description": "Refused; every problem listed, nothing written"},
    429: {
        "model": Refused,
        "description": "Too many requests with this token",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    503: {
        "model": Refused,
        "description": "The database is busy or unavailable: nothing was recorded, try again",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


class _BatchRefusedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def observations_router(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], writer: Any
) -> APIRouter:
    """POST /observations, for tokens that `writer` (a dependency) lets through."""
    router = APIRouter(prefix=PREFIX)

    @router.post(
        "/observations",
        response_model=BatchResult,
        responses={
            **REFUSED,
            400: {
                "model": Refused,
                "description": "The body is not JSON: the error says where it broke",
            },
            415: {"model": Refused, "description": "The body was not sent as application/json"},
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

    return router


def reads_router(sessions: sessionmaker[Session], reader: Any) -> APIRouter:
    """The GET endpoints, for tokens that `reader` (a dependency) lets through."""
    router = APIRouter(prefix=PREFIX)

    @router.get("/facilities", response_model=list[FacilityView], responses=REFUSED)
    def get_facilities(who: reader) -> Any:
        with transaction(sessions) as session:
            return reads.facilities(session)

    @router.get("/alerts", response_model=list[AlertView], responses=REFUSED)
    def get_alerts(
        who: reader,
        state: Literal["open", "acknowledged", "resolved", "all"] = "open",
    ) -> Any:
        with transaction(sessions) as session:
            return reads.alerts(session, state=state)

    @router.get("/installments", response_model=list[InstallmentView], responses=REFUSED)
    def get_installments(
        who: reader,
        start: Annotated[Day, Query(alias="from")],
        end: Annotated[Day, Query(alias="to")],
    ) -> Any:
        # Both ends are included: from 2026-01-01 to 2026-12-31 is 365 days.
        wrong = _range_problem(start, end)
        if wrong is not None:
            report = ProblemReport(error=messages.REQUEST_REFUSED, problems=[wrong])
            return JSONResponse(report.model_dump(mode="json"), 422)
        with transaction(sessions) as session:
            return reads.installments(session, start=start, end=end)

    return router


def _range_problem(start: date, end: date) -> Problem | None:
    if end < start:
        return Problem(field="to", reason=messages.BACKWARDS_RANGE)
    if (end - start).days + 1 > reads.MAX_DAYS:
        return Problem(field="to", reason=messages.RANGE_TOO_LONG)
    return None


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
