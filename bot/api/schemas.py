"""What the API reads and answers, as pydantic models: they validate each request and FastAPI
builds the OpenAPI document (/api/v1/openapi.json) from the same models.

Amounts are JSON strings of a decimal number with at most two places ("4498.77"): a JSON number
is refused, as a float cannot be trusted to the fen. Times are ISO 8601 with an offset; a time
without one is refused rather than guessed.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot.dates import check_date
from bot.errors import InputError
from bot.ledger.facilities import SLUG
from bot.money import check_amount
from bot.typed import hidden_character

MAX_ITEMS = 1000
AMOUNT_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,2})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def _amount(value: Any) -> Decimal:
    if isinstance(value, Decimal) and value == value.quantize(Decimal("0.01")):
        return value  # the ledger's own amount, in an answer
    if not isinstance(value, str):
        raise ValueError('an amount is a string such as "4498.77", not a JSON number')
    if not _AMOUNT.fullmatch(value):
        raise ValueError(
            f"{value[:40]!r} is not an amount: digits, an optional minus and at most two "
            'decimals, such as "4498.77"'
        )
    return Decimal(value)


Amount = Annotated[
    Decimal,
    PlainValidator(_amount),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["4498.77"]}),
]


def _text(value: Any) -> Any:
    # FastAPI validates the parsed JSON: a date or time must have come as a string, not a
    # number of seconds, which pydantic would otherwise read as one.
    if not isinstance(value, str):
        raise ValueError("a date or time is an ISO 8601 string")
    return value


def _money_rule(check: Any, *args: Any, **kwargs: Any) -> Decimal:
    # The rule amounts typed in the CLI or Slack follow (bot.money), its message as the reason.
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        raise PydanticCustomError("amount", str(exc)) from None


def _on_the_calendar(value: datetime) -> datetime:
    # "9999-12-31T23:59:59-12:00" is past the last instant Python can hold in UTC: refused here,
    # so that nothing after validation meets a time it cannot convert.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "time_range",
            "{time} is outside the calendar; send a time between 2000 and 2100",
            {"time": value.isoformat()},
        ) from None
    return value


Moment = Annotated[
    AwareDatetime,
    BeforeValidator(_text),
    AfterValidator(_on_the_calendar),
    Field(description="ISO 8601 with an offset", examples=["2026-12-01T09:30:00+08:00"]),
]
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day_text(value: Any) -> Any:
    # A date is YYYY-MM-DD and nothing else: pydantic would also take "2026-12-01T00:00:00".
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError(
            "date_format", "a date is written YYYY-MM-DD, such as 2026-12-10, without a time"
        )
    return value


Day = Annotated[date, BeforeValidator(_day_text), Field(examples=["2026-12-10"])]


def _believed(value: date) -> date:
    # The ledger's span of dates (bot.dates): checked with the shape, so the refusal names the
    # field (a due date of 9999-12-31 or 0001-01-01 is a typo, not a bill).
    try:
        return check_date(value, "due date")
    except InputError as exc:
        raise PydanticCustomError("date_range", str(exc)) from None


Slug = Annotated[str, Field(pattern=SLUG.pattern, examples=["jiebei-main"])]


def _printable(value: str) -> str:
    hidden = hidden_character(value)  # the ledger's rule (bot.typed.reference_text)
    if hidden is not None:
        raise PydanticCustomError(
            "reference_chars",
            "a reference is printable text: {char} is a control, format (such as a bidi "
            "override) or separator character",
            {"char": hidden},
        )
    return value


Reference = Annotated[
    str,
    AfterValidator(_printable),
    Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
]


def _as_kept(value: object) -> object:
    # The ledger keeps a reference trimmed and a blank one as none (bot.typed.free_text): the
    # batch's own checks (one bill shown two ways) compare what the ledger will keep.
    if isinstance(value, str):
        return value.strip() or None
    return value


KeptReference = Annotated[Reference | None, BeforeValidator(_as_kept)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LimitObservation(_Item):
    """What the platform showed as the line's limit (zero is a legitimate, frozen-line reading)."""

    kind: Literal["limit"]
    facility: Slug
    limit: Amount
    available: Amount | None = None
    status: Literal["active", "frozen", "closed"] = "active"
    observed_at: Moment

    @field_validator("limit")
    @classmethod
    def _limit_rule(cls, value: Decimal) -> Decimal:
        return _money_rule(check_amount, value, what="the limit", allow_zero=True)

    @field_validator("available")
    @classmethod
    def _available_rule(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        return _money_rule(check_amount, value, what="available", allow_zero=True)


class BillObservation(_Item):
    """A bill as the platform shows it; another amount for the same bill is a correction."""

    kind: Literal["bill"]
    facility: Slug
    due_date: Annotated[Day, AfterValidator(_believed)]
    amount: Amount
    paid: Annotated[bool, Field(strict=True)] = False
    reference: KeptReference = None
    observed_at: Moment

    @field_validator("amount")
    @classmethod
    def _amount_rule(cls, value: Decimal) -> Decimal:
        return _money_rule(check_amount, value, what="a bill's amount")


class PayoutObservation(_Item):
    """Money the platform paid out: either for a logged draw (`draw`, its id) or an amount
    (it confirms the unconfirmed draw of that amount within three days, if one is logged)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["draw"]}, {"required": ["amount"]}]},
    )

    kind: Literal["payout"]
    facility: Slug
    draw: Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)] | None = None
    amount: Annotated[Amount | None, Field(validate_default=True)] = None
    reference: KeptReference = None
    observed_at: Moment

    @field_validator("amount")
    @classmethod
    def _amount_rule(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        # Here rather than on the whole model, so that the problem names a field (`amount`).
        if "draw" in info.data and (info.data["draw"] is None) == (value is None):
            raise ValueError("a payout names either the draw it confirms or its amount, not both")
        if value is None:
            return None
        return _money_rule(check_amount, value, what="a payout's amount")


Observation = Annotated[
    LimitObservation | BillObservation | PayoutObservation, Field(discriminator="kind")
]


class ObservationBatch(BaseModel):
    """Up to 1,000 observations, recorded all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    observations: Annotated[list[Observation], Field(min_length=1, max_length=MAX_ITEMS)]


class Outcome(StrEnum):
    """What an observation did to the ledger."""

    NEW = "new"
    SEEN_BEFORE = "seen_before"
    CORRECTION = "correction"


class ItemResult(BaseModel):
    index: int
    kind: Literal["limit", "bill", "payout"]
    facility: str
    outcome: Outcome
    # A bill seen again now shown paid (or unpaid): seen before, and updated.
    updated: bool = False
    draw: int | None = Field(
        None,
        description=(
            "A payout: the draw it confirmed (or had confirmed when seen before); null when a "
            "payout by amount matched no unconfirmed draw and was recorded unmatched. Null for "
            "other kinds."
        ),
    )


class BatchResult(BaseModel):
    """Every observation's outcome, in the order they were sent, and the counts."""

    results: list[ItemResult]
    counts: dict[Outcome, int]


class Problem(BaseModel):
    """One thing wrong with a request: which observation (`index`, none for the request as a
    whole), which field, and what to do about it."""

    index: int | None = None
    field: str | None = None
    reason: str


class ProblemReport(BaseModel):
    """A refused request: nothing was written."""

    error: str
    problems: list[Problem] = []


class Refused(BaseModel):
    """A request refused as a whole (its token, its size, its rate)."""

    error: str


class FacilityView(BaseModel):
    slug: str
    name: str
    platform: str
    currency: str
    timezone: str
    limit: Amount
    outstanding: Amount
    available: Amount


class AlertView(BaseModel):
    id: int
    check: str
    facility: str | None
    subject: str
    severity: str
    state: str
    summary: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


class InstallmentView(BaseModel):
    facility: str
    draw: int
    sequence: int
    due_date: date
    principal: Amount
    interest: Amount
    amount: Amount
    status: str


_NEXT = Field(
    description=(
        "The link to the next page (the same query, with `cursor`); null when this page is the "
        "last: a list is never cut short without saying so"
    ),
    examples=["/api/v1/alerts?state=open&limit=1000&cursor=4711"],
)


class AlertPage(BaseModel):
    """Alerts, newest first, a page at a time."""

    items: list[AlertView]
    next: Annotated[str | None, _NEXT]


class InstallmentPage(BaseModel):
    """Installments by due date, a page at a time."""

    items: list[InstallmentView]
    next: Annotated[str | None, _NEXT]
