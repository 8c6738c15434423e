"""Silences: quiet a facility, a check or everything for a while, with a reason.

A silence withholds notifications, not alerts: a silenced finding still opens or updates its
alert, so the record is complete and `alert list` shows it. When the silence ends (its time runs
out or someone removes it) and the alert still fires, the next run of the checks posts a reminder.
Silences apply to the facility checks (`bot.alerts.checks.FACILITY_CHECKS`); the admin checks,
about loanwatch itself, are never silenced, and a silence naming one is refused.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import FACILITY_CHECKS
from bot.alerts.notice_names import check_name
from bot.clock import require_aware
from bot.errors import InputError, NotFoundError
from bot.i18n import _
from bot.i18n.formats import moment
from bot.models import Facility, Silence
from bot.typed import free_text

# Long enough for any maintenance window; longer is a forgotten mute, not a silence.
MAX_SILENCE = timedelta(days=90)


def add_silence(
    session: Session,
    actor: audit.Actor,
    *,
    facility_id: int | None = None,
    check: str | None = None,
    everything: bool = False,
    duration: timedelta,
    reason: str,
    now: datetime,
) -> Silence:
    """Silence one facility, one check, or everything, from now for `duration`, with a reason."""
    require_aware(now, "now")
    scopes = sum([facility_id is not None, check is not None, everything])
    if scopes != 1:
        raise InputError(
            _(
                "say what to silence, exactly one of: a facility (--facility SLUG), "
                "a check (--check NAME) or everything (--all)"
            )
        )
    if facility_id is not None and session.get(Facility, facility_id) is None:
        raise NotFoundError(_("no facility with id {id}").format(id=facility_id))
    # A silence for a misspelt check would quietly silence nothing, so unknown names are refused;
    # so are the admin checks, which are about loanwatch itself and never silenced.
    if check is not None and check not in FACILITY_CHECKS:
        raise InputError(
            _("unknown check {check!r}; the checks are: {checks}").format(
                check=check, checks=", ".join(FACILITY_CHECKS)
            )
        )
    if duration <= timedelta(0):
        raise InputError(_("a silence must last longer than zero, e.g. 30m, 4h or 2d"))
    if duration > MAX_SILENCE:
        raise InputError(
            _("a silence can last at most {days} days; add another when it ends").format(
                days=MAX_SILENCE.days
            )
        )
    reason = free_text(reason, "the reason") or ""
    if not reason:
        raise InputError(
            _("a silence needs a reason, e.g. --reason 'Jiebei maintenance until 06:00'")
        )

    silence = Silence(
        facility_id=facility_id,
        check=check,
        starts_at=now,
        ends_at=now + duration,
        reason=reason,
        created_by=actor.name,
        created_at=now,
    )
    session.add(silence)
    audit.record(session, actor, "silence.add", silence, at=now)
    return silence


def remove_silence(
    session: Session, actor: audit.Actor, silence_id: int, *, now: datetime
) -> Silence:
    """End a silence now; alerts it held back are reminded of on the next run if still firing."""
    require_aware(now, "now")
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFoundError(
            _("no silence with id {id}; `loanwatch silence list` shows the active ones").format(
                id=silence_id
            )
        )
    if not is_active(silence, now):
        raise InputError(
            _("silence {id} is not active (it ended {ended})").format(
                id=silence_id, ended=moment(end_of(silence), UTC, near=now.date())
            )
        )
    before = audit.snapshot(silence)
    silence.removed_at = now
    audit.record(session, actor, "silence.remove", silence, at=now, before=before)
    return silence


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """Silences in force at `now` (started, not ended, not removed), oldest first."""
    require_aware(now, "now")
    query = (
        select(Silence)
        .where(
            Silence.starts_at <= now,
            Silence.ends_at > now,
            or_(Silence.removed_at.is_(None), Silence.removed_at > now),
        )
        .order_by(Silence.id)
    )
    return list(session.scalars(query))


def silences_ended_between(session: Session, after: datetime, until: datetime) -> list[Silence]:
    """Silences whose end (their time ran out, or someone removed them) falls in (after, until]."""
    ended = case(
        (
            and_(Silence.removed_at.is_not(None), Silence.removed_at < Silence.ends_at),
            Silence.removed_at,
        ),
        else_=Silence.ends_at,
    )
    query = select(Silence).where(ended > after, ended <= until).order_by(Silence.id)
    return list(session.scalars(query))


def end_of(silence: Silence) -> datetime:
    """When the silence stops (or stopped): its end time, or its removal if that came first."""
    if silence.removed_at is not None and silence.removed_at < silence.ends_at:
        return silence.removed_at
    return silence.ends_at


def is_active(silence: Silence, now: datetime) -> bool:
    """True while the silence is in force."""
    return silence.starts_at <= now < end_of(silence)


def covers(silence: Silence, *, check: str, facility_id: int | None) -> bool:
    """True if the silence's scope takes in an alert of `check` on `facility_id`."""
    if silence.facility_id is not None:
        return silence.facility_id == facility_id
    if silence.check is not None:
        return silence.check == check
    return True


def scope_of(silence: Silence) -> str:
    """The silence's scope in words: `facility 3`, `check bill_missing`, `everything`."""
    if silence.facility_id is not None:
        return _("facility {id}").format(id=silence.facility_id)
    if silence.check is not None:
        return _("check {check}").format(check=check_name(silence.check))
    return _("everything")
