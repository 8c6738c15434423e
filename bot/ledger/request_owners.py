"""Requests to someone no longer in the workspace: not sent; the admins told once.

1. Before the Slack transport posts a request (or its reminder) it looks the person up
   (`users.info` says `deleted`, or `conversations.open` answers `user_not_found`,
   `user_disabled`, …). A person gone fails the outbox row for good with an error that starts
   with `OWNER_GONE`.
2. The delivery worker's dead-letter handler hands such a row here (`owner_gone_letter`): the
   row is `dropped` (its defined end: no retry, no `delivery_failed`), and an admin alert
   `owner_gone` opens for the facility and that person, once however many requests went there.
3. While it is open, no request and no reminder is written for that person and facility
   (`gone_owners`), so a schedule does not fill the outbox with letters nobody can read.
4. The alert says whom to set instead, or, for an arrival question to a drawer who is not the
   owner, which draw nobody was asked about and how to confirm it.
5. Once nothing is asked of that person there any more (the facility's owner is someone else,
   `facility set FAC --owner U…`, or no one, or it is archived; and no draw they logged waits
   for their answer: confirmed, or a week past the question), the next cycle resolves it
   (`resolve_gone_owners`).
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.admin import admin_words, open_admin_alert, resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.findings import Severity
from bot.alerts.outbox import DROPPED
from bot.alerts.policy import AlertPolicy, AlertState
from bot.i18n import N_
from bot.i18n.wording import Arg, Money, Text
from bot.models import Alert, Draw, Facility, OutboxMessage, ReadingRequest

# How the transport's error starts when the person a request is for has left the workspace.
OWNER_GONE = "the person is no longer in the workspace"
# `RequestKind.DRAW` and `RequestState.OPEN` (this module stays below
# bot.ledger.reading_requests, which asks it who is gone).
DRAW_KIND = "draw"
OPEN = "open"
# How long a gone drawer's unanswered arrival question keeps their alert open: a week, as long
# as such a question is still asked (`bot.ledger.arrival_requests.ASK_WITHIN`); after that
# `draw_unconfirmed` alone watches the draw.
DRAW_WAIT = timedelta(days=7)


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
    summary, facts = _gone_words(session, request, facility)
    facts.append(
        (N_("Slack said"), (message.last_error or "")[len(OWNER_GONE) :].strip(" :") or "-")
    )
    open_admin_alert(
        session,
        fingerprint=owner_gone_fingerprint(facility.id, request.owner),
        check=Check.OWNER_GONE,
        severity=Severity.WARNING,
        **admin_words(summary, facts),
        now=now,
        policy=policy,
    )
    return True


def _gone_words(
    session: Session, request: ReadingRequest, facility: Facility
) -> tuple[Text, list[tuple[str, Arg]]]:
    """What the alert says: about the facility's owner (readings, bills), or, for an arrival
    question to someone who is not the owner, about the person who logged the draw."""
    person = request.owner
    draw = None if request.draw_id is None else session.get(Draw, request.draw_id)
    if request.kind == DRAW_KIND and draw is not None and person != facility.reading_owner:
        args: dict[str, Arg] = {
            "person": person,
            "draw": draw.id,
            "slug": facility.slug,
            "amount": Money(draw.amount, facility.currency),
            "confirm": f"loanwatch draw confirm {facility.slug} {draw.id}",
        }
        return Text(
            N_(
                "{person}, who logged draw #{draw} on {slug}, is no longer in the workspace: "
                "nobody was asked whether its {amount} arrived; once it has, say so with "
                "`{confirm}` (draw_unconfirmed watches it meanwhile)"
            ),
            args,
        ), [
            (N_("Facility"), facility.slug),
            (N_("Drawer"), person),
            (N_("Draw"), Text(N_("#{draw}, {amount}"), args)),
            (
                N_("Meanwhile"),
                Text(N_("no arrival question or reminder is sent to them for this facility")),
            ),
        ]
    command = f"loanwatch facility set {facility.slug} --owner U…"
    return Text(
        N_(
            "{slug}'s reading owner {person} is no longer in the workspace: set another with "
            "`{command}`"
        ),
        {"slug": facility.slug, "person": person, "command": command},
    ), [
        (N_("Facility"), facility.slug),
        (N_("Owner"), person),
        (N_("Meanwhile"), Text(N_("no request or reminder is sent to them for this facility"))),
    ]


def resolve_gone_owners(
    session: Session,
    *,
    now: datetime,
    policy: AlertPolicy | None = None,
    written_at: datetime | None = None,
) -> int:
    """Resolve each `owner_gone` alert whose person nothing is asked of any more on its
    facility: not its owner (or the facility archived), and no draw they logged waiting for
    their answer (`_draws_waiting`); how many."""
    resolved = 0
    for facility_id, person in sorted(gone_owners(session)):
        facility = session.get(Facility, facility_id)
        active = facility is not None and facility.active
        owner = facility.reading_owner if active and facility is not None else None
        if owner == person or _draws_waiting(session, facility_id, person, now):
            continue
        reason = (
            f"the facility's requests go to {owner} now"
            if owner
            else "the facility asks no one now"
        )
        if resolve_admin_alert(
            session,
            fingerprint=owner_gone_fingerprint(facility_id, person),
            reason=reason,
            now=now,
            policy=policy,
            written_at=written_at,
        ):
            resolved += 1
    return resolved


def _draws_waiting(session: Session, facility_id: int, person: str, now: datetime) -> bool:
    """Whether an arrival question to `person` on the facility is still open, its draw not
    confirmed, and asked within `DRAW_WAIT` (after that, draw_unconfirmed alone watches it)."""
    waiting = (
        select(ReadingRequest.id)
        .join(Draw, Draw.id == ReadingRequest.draw_id)
        .where(
            ReadingRequest.kind == DRAW_KIND,
            ReadingRequest.facility_id == facility_id,
            ReadingRequest.owner == person,
            ReadingRequest.state == OPEN,
            ReadingRequest.sent_at > now - DRAW_WAIT,
            Draw.confirmed_at.is_(None),
        )
        .limit(1)
    )
    return session.scalar(waiting) is not None
