"""Reading requests to someone no longer in the workspace: not sent; the admins told once.

1. Before the Slack transport posts a request (or its reminder) it looks the person up
   (`users.info` says `deleted`, or `conversations.open` answers `user_not_found`,
   `user_disabled`, …). A person gone fails the outbox row for good with an error that starts
   with `OWNER_GONE`.
2. The delivery worker's dead-letter handler hands such a row here (`owner_gone_letter`): the
   row is `dropped` (its defined end: no retry, no `delivery_failed`), and an admin alert
   `owner_gone` opens for the facility and that person, once however many requests went there.
3. While it is open, no request and no reminder is written for that person and facility
   (`gone_owners`), so a schedule does not fill the outbox with letters nobody can read.
4. Once the facility's owner is someone else (`facility set FAC --owner U…`), or it stops
   asking (`--readings -`, archived), the next cycle resolves the alert (`resolve_gone_owners`).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.admin import open_admin_alert, resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.alerts.outbox import DROPPED
from bot.alerts.policy import AlertPolicy, AlertState
from bot.models import Alert, Facility, OutboxMessage, ReadingRequest

# How the transport's error starts when the person a request is for has left the workspace.
OWNER_GONE = "the person is no longer in the workspace"


def owner_gone_fingerprint(facility_id: int, owner: str) -> str:
    """One `owner_gone` alert per facility and person."""
    return f"{Check.OWNER_GONE}:{facility_id}:{owner}"


def gone_owners(session: Session) -> set[tuple[int, str]]:
    """(facility id, person) of every unresolved `owner_gone` alert: nobody to ask there."""
    fingerprints = session.scalars(
        select(Alert.fingerprint).where(
            Alert.check == Check.OWNER_GONE, Alert.state != AlertState.RESOLVED
        )
    )
    gone = set()
    for fingerprint in fingerprints:
        _, facility_id, owner = fingerprint.split(":", 2)
        if facility_id.isdigit():
            gone.add((int(facility_id), owner))
    return gone


def owner_gone_letter(
    session: Session,
    message: OutboxMessage,
    now: datetime,
    *,
    policy: AlertPolicy | None = None,
) -> bool:
    """A request's row that failed because its person is gone: dropped, and the admins told
    (once per facility and person). False, and nothing done, for any other dead letter."""
    # Only the request transport fails a row with this error (`reading.request` rows; this
    # module stays below bot.ledger.reading_requests, which asks it who is gone).
    if not (message.last_error or "").startswith(OWNER_GONE):
        return False
    message.state = DROPPED
    message.dropped_reason = f"{message.last_error}; the admins were told (owner_gone)"
    request_id = message.payload.get("request_id")
    request = session.get(ReadingRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        return True
    facility = session.get_one(Facility, request.facility_id)
    owner = request.owner
    command = f"loanwatch facility set {facility.slug} --owner U…"
    open_admin_alert(
        session,
        fingerprint=owner_gone_fingerprint(facility.id, owner),
        check=Check.OWNER_GONE,
        severity=Severity.WARNING,
        summary=(
            f"{facility.slug}'s reading owner {owner} is no longer in the workspace: set "
            f"another with `{command}`"
        ),
        facts={
            "Facility": facility.slug,
            "Owner": owner,
            "Slack said": (message.last_error or "")[len(OWNER_GONE) :].strip(" :") or "-",
            "Meanwhile": "no reading request or reminder is sent to them for this facility",
        },
        now=now,
        policy=policy,
    )
    return True


def resolve_gone_owners(
    session: Session,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
    written_at: datetime | None = None,
) -> int:
    """Resolve each `owner_gone` alert whose facility now asks someone else, or no one; how many."""
    resolved = 0
    for facility_id, owner in sorted(gone_owners(session)):
        facility = session.get(Facility, facility_id)
        asks = facility is not None and facility.active and facility.readings is not None
        if asks and facility is not None and facility.reading_owner == owner:
            continue
        now_asks = facility.reading_owner if asks and facility is not None else None
        reason = (
            f"the facility's readings are asked of {now_asks} now"
            if now_asks
            else "the facility no longer asks anyone for readings"
        )
        if resolve_admin_alert(
            session,
            fingerprint=owner_gone_fingerprint(facility_id, owner),
            reason=reason,
            now=now,
            policy=policy,
            written_at=written_at,
        ):
            resolved += 1
    return resolved
