"""What the API says to the person who reads its answers (a script's author): written once here."""

from bot.api.tokens import Refusal

REFUSED = {
    Refusal.MISSING: "send a token: `Authorization: Bearer <token>` (`loanwatch token create`)",
    Refusal.UNKNOWN: "this token is not known; check it, or ask an admin for one",
    Refusal.REVOKED: "this token was revoked; ask an admin for a new one",
    Refusal.OUT_OF_SCOPE: (
        "this token may only read; posting observations needs a token with scope observations:write"
    ),
}
BATCH_REFUSED = "nothing was recorded: fix every observation listed and send the batch again"
REQUEST_REFUSED = "the request is not what this endpoint takes; nothing was recorded"
KEY_REUSED = (
    "this Idempotency-Key was used already for a different body; use a new key for a new batch "
    "(a retry must send the same body)"
)
BACKWARDS_RANGE = "`to` is before `from`"
RANGE_TOO_LONG = (
    "ask for at most 366 days of installments at a time (both ends count: from 2026-01-01 to "
    "2027-01-01 at most)"
)
TOO_MANY_ITEMS = "send at most 1,000 observations in one request; split the batch"


def too_large(limit: int) -> str:
    return f"the body is larger than {limit:,} bytes; send fewer observations per request"


def too_many(wait: int) -> str:
    return f"too many requests with this token; try again in {wait} s"


def too_many_refused(wait: int) -> str:
    return f"too many requests without a valid token from this address; try again in {wait} s"


def bug(reference: str) -> str:
    return f"something went wrong on loanwatch's side (reference {reference}); nothing was recorded"


def no_facility(slug: str) -> str:
    return f"no facility named {slug[:64]!r}; GET /api/v1/facilities lists them"


def no_draw(facility: str, draw: int) -> str:
    return f"{facility} has no draw #{draw}; `loanwatch export draws` lists them"


def conflict_in_batch(facility: str, first: int, second: int) -> str:
    return (
        f"observations {first} and {second} of this batch are different readings of {facility} "
        "at the same moment; a moment has one reading: send the one the platform showed"
    )


def database_busy(wait: int) -> str:
    return (
        f"the database is busy or unavailable; nothing was recorded: try again in {wait} s "
        "(the same Idempotency-Key is safe)"
    )


def not_json(error: str, where: object) -> str:
    return (
        f"the body is not JSON: {error} at character {where}; send one JSON object, "
        '{"observations": [...]}'
    )


def not_json_type(content_type: str) -> str:
    said = f"{content_type[:80]!r}" if content_type else "none"
    return (
        f"send the body as JSON, with `Content-Type: application/json` (this request said {said})"
    )


def given_twice(name: str) -> str:
    return f"{name[:64]!r} is given twice; give it once, with the value you mean"


def bill_two_amounts(due: str, first: int, second: int) -> str:
    return (
        f"observations {first} and {second} of this batch give the bill due {due} two amounts; "
        "a bill shows one amount at a time: send the one the platform showed last"
    )


def bill_paid_and_unpaid(due: str, first: int, second: int) -> str:
    return (
        f"observations {first} and {second} of this batch show the bill due {due} both paid and "
        "unpaid; send the one the platform showed last"
    )


def bad_cursor(cursor: str) -> str:
    return (
        f"{cursor[:40]!r} is not a cursor of this list; follow the `next` link of the page "
        "before, or leave `cursor` out for the first page"
    )
