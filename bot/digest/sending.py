"""When each channel's digest is due, and writing it to the outbox exactly once.

A channel's digest covers the facilities whose alerts go there (a facility without a channel of
its own posts to LOANWATCH_DEFAULT_ALERT_CHANNEL). It is due at LOANWATCH_DIGEST_TIME on each
business day (the Chinese workday calendar: holidays off, make-up Sundays on) in the channel's
zone: the zone of its first facility by slug (teams keep one zone per channel; a channel that
mixes them gets its digest on the first one's morning).

Exactly once per channel and day, however many workers run: the digest's outbox row is written
in the same transaction as a claim row (`scheduler_slots`, job `digest:<channel>`, slot the
day's due time) whose unique key lets one writer win; the loser's savepoint rolls back and
writes nothing. A worker that was down at 09:00 sends the morning's digest when it is back, the
same day; a day that passed without one is not made up.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import i18n
from bot.alerts.outbox import enqueue
from bot.calendar import BusinessCalendar
from bot.digest.numbers import Digest, build_digest
from bot.digest.payload import DIGEST_KIND, digest_payload
from bot.i18n import EN
from bot.languages import channel_language
from bot.models import Facility, SchedulerSlot
from bot.zones import shown_zone

log = logging.getLogger(__name__)

JOB_LENGTH = 64  # scheduler_slots.job


@dataclass(frozen=True)
class ChannelScope:
    """A channel, the facilities its digest covers, and the zone its mornings are in."""

    channel: str
    facility_ids: frozenset[int]
    zone: tzinfo


@dataclass(frozen=True)
class DigestOptions:
    """The settings a digest reads (LOANWATCH_DIGEST_TIME, _CONCENTRATION_PERCENT, …)."""

    at: time
    concentration_percent: int
    default_channel: str | None
    default_zone: str
    urgent_days: int = 2  # LOANWATCH_URGENT_DAYS: an alert due that near is listed critical
    # The business days its due date is counted in (the settings' calendar, holidays file and
    # all); None: China's official calendar.
    calendar: BusinessCalendar | None = field(default=None, compare=False)
    # LOANWATCH_LANGUAGE: a digest's words where its channel has no language of its own.
    language: str = EN


def channel_scopes(session: Session, options: DigestOptions) -> list[ChannelScope]:
    """Every channel some active facility posts to, with its facilities and zone."""
    rows = session.execute(
        select(Facility.id, Facility.alert_channel, Facility.timezone)
        .where(Facility.active.is_(True))
        .order_by(Facility.slug)
    ).all()
    ids: dict[str, set[int]] = defaultdict(set)
    zones: dict[str, str] = {}
    for facility_id, channel, zone in rows:
        target = channel or options.default_channel
        if target is None:
            continue
        ids[target].add(facility_id)
        zones.setdefault(target, zone)
    return [
        ChannelScope(channel, frozenset(ids[channel]), shown_zone(zones[channel], None))
        for channel in sorted(ids)
    ]


def scope_of(session: Session, channel: str, options: DigestOptions) -> ChannelScope | None:
    """The scope of one channel, or None when no facility posts there."""
    return next((s for s in channel_scopes(session, options) if s.channel == channel), None)


def digest_for(
    session: Session, now: datetime, options: DigestOptions, scope: ChannelScope | None
) -> Digest:
    """The digest of a channel's facilities (or, without a scope, of the whole portfolio)."""
    return build_digest(
        session,
        now,
        zone=scope.zone if scope else ZoneInfo(options.default_zone),
        facility_ids=scope.facility_ids if scope else None,
        channel=scope.channel if scope else None,
        concentration_percent=options.concentration_percent,
        calendar=options.calendar,
        urgent_days=options.urgent_days,
    )


def enqueue_digest(
    session: Session, digest: Digest, channel: str, *, now: datetime, default: str | None = None
) -> int:
    """Write the digest to the outbox for `channel`, in the channel's language (else
    `default`, the workspace's; the process's when not given); the row's id."""
    language = channel_language(
        session, channel, facility_language=None, default=default or i18n.default()
    )
    payload = digest_payload(digest, language)
    return enqueue(session, kind=DIGEST_KIND, channel=channel, payload=payload, now=now).id


def send_digest_now(
    session: Session, channel: str, *, now: datetime, options: DigestOptions
) -> int:
    """Someone asked in `channel`: the digest of the facilities posting there (of the whole
    portfolio where none does), written to the outbox for that channel; the row's id."""
    digest = digest_for(session, now, options, scope_of(session, channel, options))
    return enqueue_digest(session, digest, channel, now=now, default=options.language)


def due_at(day_start: datetime, at: time) -> datetime:
    """The moment, in UTC, of `at` on the local day `day_start` begins (a zone-aware midnight)."""
    local = datetime.combine(day_start.date(), at, tzinfo=day_start.tzinfo)
    return local.astimezone(UTC)


def send_due_digests(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    options: DigestOptions,
    worker: str,
    written_at: datetime | None = None,
) -> list[str]:
    """1. Each channel whose digest time has come today (a business day in its zone).
    2. Claim its day (a savepoint: a claim another worker holds rolls back alone).
    3. Build its digest and write it to the outbox with the claim.
    One channel failing is logged and leaves the others to go. The channels sent to."""
    sent = []
    for scope in channel_scopes(session, options):
        local = now.astimezone(scope.zone)
        if not calendar.is_business_day(local.date()) or local.time() < options.at:
            continue
        slot = due_at(local, options.at)
        if _claimed(session, scope.channel, slot):
            continue
        try:
            with session.begin_nested():
                _claim(session, scope.channel, slot, worker, written_at or now)
                digest = digest_for(session, now, options, scope)
                enqueue_digest(
                    session, digest, scope.channel, now=written_at or now, default=options.language
                )
        except IntegrityError:
            continue  # another worker has this channel's digest of the day
        except Exception:
            log.exception("the digest for %s could not be written", scope.channel)
            continue
        sent.append(scope.channel)
    return sent


def claim_job(channel: str) -> str:
    """The claim row's job name for a channel's digest (hashed if the channel is long)."""
    job = f"digest:{channel}"
    if len(job) <= JOB_LENGTH:
        return job
    return "digest:#" + hashlib.sha256(channel.encode()).hexdigest()[: JOB_LENGTH - 8]


def _claimed(session: Session, channel: str, slot: datetime) -> bool:
    """Whether the channel's digest of that slot is claimed already (the common case, read)."""
    found = session.scalar(
        select(SchedulerSlot.id).where(
            SchedulerSlot.job == claim_job(channel), SchedulerSlot.slot == slot
        )
    )
    return found is not None


def _claim(session: Session, channel: str, slot: datetime, worker: str, now: datetime) -> None:
    """Insert the claim row; IntegrityError when another writer won it meanwhile."""
    session.add(
        SchedulerSlot(
            job=claim_job(channel), slot=slot, claimed_by=worker, claimed_at=now, finished_at=now
        )
    )
    session.flush()
