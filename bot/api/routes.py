"""The endpoints of /api/v1: observations in; facilities, alerts and installments out."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.api import idempotency, messages, reads
from bot.api.guard import ApiError
from bot.api.ingest import apply_batch
from bot.api.schemas import (
    AlertPage,
    BatchResult,
    Day,
    FacilityView,
    InstallmentPage,
    ObservationBatch,
    Problem,
    ProblemReport,
    Refused,
)
from bot.api.strict import StrictRoute
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
    router = APIRouter(prefix=PREFIX, route_class=StrictRoute)

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
    router = APIRouter(prefix=PREFIX, route_class=StrictRoute)

    @router.get("/facilities", response_model=list[FacilityView], responses=REFUSED)
    def get_facilities(who: reader) -> Any:
        with transaction(sessions) as session:
            return reads.facilities(session)

    @router.get("/alerts", response_model=AlertPage, responses=REFUSED)
    def get_alerts(
        request: Request,
        who: reader,
        state: Literal["open", "acknowledged", "resolved", "all"] = "open",
        limit: _Limit = reads.PAGE_ROWS,
        cursor: _Cursor = None,
    ) -> Any:
        after = None if cursor is None else reads.alert_cursor(cursor)
        if cursor is not None and after is None:
            return _refuse(Problem(field="cursor", reason=messages.bad_cursor(cursor)))
        with transaction(sessions) as session:
            page = reads.alerts(session, state=state, limit=limit, after=after)
        return AlertPage(items=page.rows, next=_next(request, page.next))

    @router.get("/installments", response_model=InstallmentPage, responses=REFUSED)
    def get_installments(
        request: Request,
        who: reader,
        start: Annotated[Day, Query(alias="from")],
        end: Annotated[Day, Query(alias="to")],
        limit: _Limit = reads.PAGE_ROWS,
        cursor: _Cursor = None,
    ) -> Any:
        # Both ends are included: from 2026-01-01 to 2026-12-31 is 365 days.
        wrong = _range_problem(start, end)
        if wrong is not None:
            return _refuse(wrong)
        after = None if cursor is None else reads.installment_cursor(cursor)
        if cursor is not None and after is None:
            return _refuse(Problem(field="cursor", reason=messages.bad_cursor(cursor)))
        with transaction(sessions) as session:
            page = reads.installments(session, start=start, end=end, limit=limit, after=after)
        return InstallmentPage(items=page.rows, next=_next(request, page.next))

    return router


_Limit = Annotated[
    int,
    Query(ge=1, le=reads.MAX_ROWS, description="Rows per page (default 1,000, at most 5,000)"),
]
_Cursor = Annotated[
    str | None,
    Query(max_length=40, description="Where the page begins: the cursor in the `next` link"),
]


def _next(request: Request, cursor: str | None) -> str | None:
    """The link to the page after this one: the same query, with its cursor."""
    if cursor is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return f"{request.url.path}?{urlencode([*query, ('cursor', cursor)])}"


def _refuse(problem: Problem) -> JSONResponse:
    report = ProblemReport(error=messages.REQUEST_REFUSED, problems=[problem])
    return JSONResponse(report.model_dump(mode="json"), 422)


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
