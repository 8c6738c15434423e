"""A request FastAPI refused on reading it, turned into the API's one form of refusal: every
problem with its observation's index and field, and what to do about it.

For a batch of observations, the observations that did read are looked at too (do the facility
and the draw they name exist?), so one 422 lists everything wrong with the batch.
"""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from bot.api import messages
from bot.api.guard import ApiError
from bot.api.ingest import unknown_references
from bot.api.schemas import MAX_ITEMS, Observation, Problem, ProblemReport
from bot.api.strict import GIVEN_TWICE
from bot.db import transaction

_ITEM: TypeAdapter[Any] = TypeAdapter(Observation)
# An observation's errors name its kind (the union's branch) before the field: left out.
KINDS = ("limit", "bill", "payout")


def request_problems(exc: RequestValidationError) -> ProblemReport:
    """Problems with a request's parameters or body, none tied to an observation."""
    return ProblemReport(
        error=messages.REQUEST_REFUSED,
        problems=[Problem(field=_field(e["loc"]), reason=reason(e)) for e in exc.errors()],
    )


def body_unread(request: Request, exc: RequestValidationError) -> ApiError | None:
    """The refusal of a body that is not JSON at all (400, saying where it broke), or not sent
    as JSON (415), if it is one of those: its problems are not an observation's."""
    kind = request.headers.get("content-type", "")
    media = kind.split(";")[0].strip().lower()
    if not (
        media == "application/json"
        or (media.startswith("application/") and media.endswith("+json"))
    ):
        return ApiError(415, messages.not_json_type(kind))
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            where = error["loc"][-1] if error.get("loc") else "?"
            return ApiError(400, messages.not_json(str(error.get("ctx", {}).get("error")), where))
    return None


def batch_problems(
    sessions: sessionmaker[Session], exc: RequestValidationError
) -> tuple[int, ProblemReport]:
    """(status, report) for a POST /observations that did not read: 413 past 1,000
    observations, else 422 with every problem, by index."""
    errors = exc.errors()
    body = getattr(exc, "body", None)
    items = body.get("observations") if isinstance(body, dict) else None
    if isinstance(items, list) and len(items) > MAX_ITEMS:
        return 413, ProblemReport(error=messages.TOO_MANY_ITEMS)
    problems: list[Problem] = []
    bad: set[int] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if len(loc) > 2 and loc[:2] == ("body", "observations") and isinstance(loc[2], int):
            bad.add(loc[2])
            problems.append(_item_problem(loc[2], loc[3:], error))
        else:
            problems.append(Problem(field=_field(loc), reason=reason(error)))
    # A key given twice is refused before FastAPI validates (bot.api.strict): the other
    # observations' problems are found here, to list them all at once.
    validated = not any(error.get("type") == GIVEN_TWICE for error in errors)
    if isinstance(items, list):
        readable = {}
        for index, raw in enumerate(items):
            if index in bad:
                continue
            try:
                readable[index] = _ITEM.validate_python(raw)
            except ValidationError as invalid:
                if not validated:
                    problems += [_item_problem(index, tuple(e["loc"]), e) for e in invalid.errors()]
                # else reported above, under another path
        if readable:
            with transaction(sessions) as session:
                problems.extend(unknown_references(session, readable))
    problems.sort(key=lambda p: (p.index is not None, p.index or 0))
    return 422, ProblemReport(error=messages.BATCH_REFUSED, problems=problems)


def _item_problem(index: int, loc: tuple[Any, ...], error: Any) -> Problem:
    """The problem of observation `index`, `loc` within it (its kind first, if it has one)."""
    # A key given twice (bot.api.strict) is found in the body as sent, without a kind.
    of_kind = loc[:1] and loc[0] in KINDS and error.get("type") != GIVEN_TWICE
    path = loc[1:] if of_kind else loc
    # An observation that is not an object, or of no known kind, is wrong as a whole: its
    # problem names `kind`, so that every observation's problem names a field.
    return Problem(index=index, field=_field(path) or "kind", reason=reason(error))


def reason(error: Any) -> str:
    """pydantic's message, without the "Value error, " it puts before a validator's own."""
    if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _field(loc: tuple[Any, ...]) -> str | None:
    names = [str(part) for part in loc if part != "body"]
    return ".".join(names) or None
