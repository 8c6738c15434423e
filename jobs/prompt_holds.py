"""Prompt checks: a facility whose run raises is held back, and the admins told once.

`jobs.prompt` checks the facilities apart when a run over several raises; the one whose run
raises alone is handed here. Its mark goes back into `check_requests` with its stamps, one
more `attempts` and `not_before` a pause ahead, so the worker tries it again later instead of
every second, and a new write on it does not undo the pause (the mark's upsert moves
`requested_at` alone). The admins get one `check_failed` alert per held-back facility
(`bot.alerts.admin`: told when it opens, only updated while it stays open); the first prompt run
that checks the facility clean resolves it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.admin import admin_words
from bot.alerts.checks import Check
from bot.alerts.failures import check_failed_fingerprint, failing_checks
from bot.alerts.policy import AlertPolicy
from bot.alerts.resolve_reasons import PROMPT_RAN_CLEAN, reason
from bot.i18n import N_
from bot.i18n.wording import Text
from bot.models import CheckRequest, Facility
from bot.typed import shorten
from jobs.cycle import AdminTally

_ERROR_CHARS = 300


@dataclass(frozen=True, order=True)
class Mark:
    """A claimed mark: its facility, its stamps and how many runs of it have failed."""

    facility_id: int
    requested_at: datetime
    first_requested_at: datetime
    attempts: int


def held_name(facility_id: int) -> str:
    """The name the `check_failed` alert of a held-back facility goes by."""
    return f"prompt checks of facility {facility_id}"


def hold_back(
    session: Session,
    held: list[tuple[Mark, str]],
    *,
    now: datetime,
    real_now: datetime,
    policy: AlertPolicy,
    pause: Callable[[int], timedelta],
) -> dict[str, int]:
    """Put back the marks of the facilities whose run raised (with the error), a pause ahead,
    and open (or keep) their `check_failed` alerts; the alerts opened and told."""
    tally = AdminTally()
    if not held:
        return {"opened": 0, "notified": 0}
    ids = [m.facility_id for m, _ in held]
    rows = session.execute(select(Facility.id, Facility.slug).where(Facility.id.in_(ids)))
    slugs = {facility_id: slug for facility_id, slug in rows}
    for mark, error in held:
        attempts = mark.attempts + 1
        wait = pause(attempts)
        session.merge(
            CheckRequest(
                facility_id=mark.facility_id,
                requested_at=mark.requested_at,
                first_requested_at=mark.first_requested_at,
                attempts=attempts,
                not_before=real_now + wait,
            )
        )
        slug = slugs.get(mark.facility_id, f"#{mark.facility_id}")
        tally.open(
            session,
            check_failed_fingerprint(held_name(mark.facility_id)),
            check=Check.CHECK_FAILED,
            **admin_words(
                Text(
                    N_(
                        "the prompt checks of {slug} raised an error; its new observations are "
                        "checked again after a pause, and by the next cycle"
                    ),
                    {"slug": slug},
                ),
                [
                    (N_("Facility"), slug),
                    (N_("Error"), shorten(error, _ERROR_CHARS)),
                    (N_("Failed runs"), attempts),
                    (
                        N_("Next try in"),
                        Text(N_("{seconds} s"), {"seconds": int(wait.total_seconds())}),
                    ),
                    (N_("Traceback"), Text(N_("in the log of the worker that ran it"))),
                ],
            ),
            now=now,
            policy=policy,
        )
    session.flush()
    return {"opened": tally.opened, "notified": tally.notified}


def resolve_held(
    session: Session, checked: list[int], *, now: datetime, policy: AlertPolicy
) -> dict[str, int]:
    """Resolve the `check_failed` alerts of the facilities just checked clean; the alerts
    resolved and told."""
    tally = AdminTally()
    names = {held_name(i) for i in checked}
    for name in sorted(set(failing_checks(session)) & names):
        tally.resolve(
            session,
            check_failed_fingerprint(name),
            reason=reason(PROMPT_RAN_CLEAN),
            now=now,
            policy=policy,
        )
    return {"resolved": tally.resolved, "notified": tally.notified}
