"""One cycle of the checks: findings from the database, applied to the alerts, in one transaction.

`loanwatch check` and the scheduler both run this; delivery of the notifications it writes is
the outbox worker's business, after the commit.

A check that raises stops no other (`jobs.checks.run_each_check`): the others' findings are
applied and their notifications go out. The failed check's own alerts are left as they were (a
check that did not run says nothing about them), and an admin alert `check_failed` opens for it,
once however many cycles it keeps failing, and resolves the first cycle it runs clean. The
wake-ups after the checks (ticket follow-ups, escalation, user groups) run apart the same way.

A year whose holidays loanwatch lacks (bot.holidays) opens a `holidays_unknown` admin alert
once, saying how to add them, and resolves the first cycle after the admin did.
"""

import logging
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.admin import admin_words, open_admin_alert, resolve_admin_alert
from bot.alerts.checks import Check
from bot.alerts.detection import apply_findings
from bot.alerts.failures import check_failed_fingerprint, failing_checks
from bot.alerts.findings import Finding, Severity
from bot.alerts.policy import AlertPolicy, AlertState, RunSummary
from bot.alerts.resolve_reasons import HOLIDAYS_KNOWN, NO_DUE_DATE_NEAR, RAN_CLEAN, reason
from bot.alerts.transition import unresolved_by_fingerprint
from bot.api.idempotency import forget_keys
from bot.calendar import BusinessCalendar
from bot.holidays import unknown_holiday_years
from bot.i18n import N_
from bot.i18n.wording import Text
from bot.ledger.reading_requests import run_reading_requests
from bot.ledger.request_owners import resolve_gone_owners
from bot.ledger.request_reminders import run_reading_reminders
from bot.models import Alert
from bot.oncall.engine import run_escalations
from bot.oncall.usergroups import run_usergroup_syncs
from bot.settings import Settings
from bot.tickets.follow_ups import run_ticket_wake_ups
from bot.typed import shorten
from jobs.checks import run_each_check
from jobs.replay import record_check_run
from jobs.requests import run_bill_requests, run_draw_requests

log = logging.getLogger(__name__)

# An exception's text can be long (a whole SQL statement); the alert shows its start, the log
# has all of it with the traceback.
_ERROR_CHARS = 300


@dataclass
class AdminTally:
    """How many admin alerts one cycle opened and resolved, and the notices it wrote."""

    opened: int = 0
    resolved: int = 0
    notified: int = 0

    def open(self, session: Session, fingerprint: str, **alert: Any) -> None:
        """Open (or keep) the admin alert `fingerprint`, counting it (and its notice) if new."""
        if unresolved_by_fingerprint(session, fingerprint) is None:
            self.opened += 1
            self.notified += 1  # an admin alert is told when it opens, and only then
        open_admin_alert(session, fingerprint=fingerprint, **alert)

    def resolve(self, session: Session, fingerprint: str, **how: Any) -> None:
        """Resolve the admin alert `fingerprint` if it is unresolved, counting it if it was
        (and its notice, told when its opening was)."""
        alert = unresolved_by_fingerprint(session, fingerprint)
        told = alert is not None and alert.last_notified_at is not None
        if resolve_admin_alert(session, fingerprint=fingerprint, **how) is not None:
            self.resolved += 1
            self.notified += told


@dataclass(frozen=True)
class CycleReport:
    """What one cycle found and what it did about it; `failed` names the checks that raised."""

    at: datetime
    findings: list[Finding]
    summary: RunSummary
    failed: dict[str, str] = field(default_factory=dict)
    # Escalation steps run (bot.oncall.engine).
    escalated: int = 0


def run_check_cycle(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    written_at: datetime | None = None,
) -> CycleReport:
    """Run every check as of `now` and apply the findings to the alerts (the caller commits).

    `written_at` is the real time the notifications are written at (default `now`); see
    :func:`bot.alerts.detection.apply_findings`.
    The run is recorded (`check_runs`, :func:`jobs.replay.record_check_run`): a `check --at`
    before it is a replay, whether it found anything or not. A replay rolls it back with the
    rest.
    """
    record_check_run(session, at=now, recorded_at=written_at or now)
    run = run_each_check(session, now, settings.thresholds(), calendar)
    policy = settings.alert_policy()
    summary = apply_findings(
        session,
        run.findings,
        now=now,
        policy=policy,
        checks_run=run.ran_clean,
        written_at=written_at,
    )
    wake_ups = run_wake_ups(
        session, now=now, settings=settings, calendar=calendar, written_at=written_at
    )
    failures = {**run.failed, **wake_ups.failed}
    failed = tell_failed_checks(
        session,
        failures,
        run.ran_clean | wake_ups.ran_clean,
        now=now,
        policy=policy,
        written_at=written_at,
    )
    holidays = tell_unknown_holidays(
        session, now=now, calendar=calendar, settings=settings, written_at=written_at
    )
    # The summary counts the admin alerts this cycle opened or resolved too, not only findings'.
    summary = replace(
        summary,
        opened=summary.opened + failed.opened + holidays.opened,
        resolved=summary.resolved + failed.resolved + holidays.resolved,
        notified=summary.notified + failed.notified + holidays.notified,
    )
    return CycleReport(now, run.findings, summary, failures, wake_ups.escalated)


@dataclass
class WakeUps:
    """What the wake-ups after the checks did: escalation steps run, and which failed."""

    escalated: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    ran_clean: set[str] = field(default_factory=set)

    def run(self, session: Session, name: str, wake_up: Callable[[], Any]) -> Any:
        """Run one wake-up in a SAVEPOINT of its own, like a check: one that raises is logged,
        named in `failed` (an admin `check_failed` alert says so) and stops no other."""
        try:
            with session.begin_nested():
                result = wake_up()
        except Exception as exc:
            log.exception("the %s wake-up failed; the rest of the cycle still runs", name)
            first_line = next(iter(str(exc).splitlines()), "")
            self.failed[name] = f"{type(exc).__name__}: {first_line}"
            return None
        self.ran_clean.add(name)
        return result


def run_wake_ups(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    written_at: datetime | None,
) -> WakeUps:
    """The tickets' follow-ups, the escalation ladders, the on-call user groups, the reading
    requests and their reminders, and the API's old idempotency keys, each apart."""
    policy = settings.alert_policy()
    done = WakeUps()
    # The tickets' wake-ups: resolved alerts noted on their tickets, follow-ups due by now.
    done.run(
        session,
        "ticket_follow_ups",
        lambda: run_ticket_wake_ups(
            session,
            now=now,
            calendar=calendar,
            default_channel=policy.default_channel,
            written_at=written_at,
        ),
    )
    # The escalation ladders: every step due by now, once (after the acks and snoozes that ran
    # out were ended by apply_findings, which restart their alerts' ladders).
    escalated = done.run(
        session,
        "escalation",
        lambda: run_escalations(
            session,
            now=now,
            calendar=calendar,
            config=settings.escalation(),
            policy=policy,
            written_at=written_at,
        ),
    )
    done.escalated = escalated or 0
    # The on-call user groups: set to whoever is on call now, once per change.
    done.run(
        session,
        "usergroup_sync",
        lambda: run_usergroup_syncs(session, now=now, written_at=written_at),
    )
    _request_wake_ups(done, session, now=now, settings=settings, calendar=calendar,
                      written_at=written_at)  # fmt: skip
    # The ingest API's Idempotency-Key answers older than a day, forgotten (by the real time:
    # a `check --at` in the future must not forget today's).
    done.run(session, "api_keys", lambda: forget_keys(session, now=written_at or now))
    return done


def _request_wake_ups(
    done: WakeUps,
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    calendar: BusinessCalendar,
    written_at: datetime | None,
) -> None:
    """The requests in Slack: readings, bills and arrivals asked once each, then reminded once."""
    policy = settings.alert_policy()
    # The reading requests: each facility's latest scheduled slot due by now, asked once.
    done.run(
        session,
        "reading_requests",
        lambda: run_reading_requests(session, now=now, calendar=calendar, written_at=written_at),
    )
    # The bill requests (a day whose bill's lead window opened, no bill seen) and the arrival
    # requests (a draw logged from Slack a day ago, nothing confirming it), each asked once.
    thresholds = settings.thresholds()
    for name, wake_up in (
        ("bill_requests", run_bill_requests),
        ("draw_requests", run_draw_requests),
    ):
        done.run(
            session,
            name,
            partial(
                wake_up,
                session,
                now=now,
                thresholds=thresholds,
                calendar=calendar,
                written_at=written_at,
            ),
        )
    # Their one reminder each, two business hours on; `owner_gone` alerts whose facility asks
    # someone else now resolved.
    hours = settings.escalation().business_hours
    done.run(
        session,
        "reading_reminders",
        lambda: (
            run_reading_reminders(
                session, now=now, calendar=calendar, hours=hours, written_at=written_at
            ),
            resolve_gone_owners(session, now=now, policy=policy, written_at=written_at),
        ),
    )


def tell_failed_checks(
    session: Session,
    failures: Mapping[str, str],
    ran_clean: AbstractSet[str],
    *,
    now: datetime,
    policy: AlertPolicy,
    written_at: datetime | None = None,
) -> AdminTally:
    """Open (or keep) a check_failed alert per failed check (or wake-up, `run_wake_ups`);
    resolve those that ran clean."""
    tally = AdminTally()
    for check, error in failures.items():
        shown = shorten(error, _ERROR_CHARS)
        tally.open(
            session,
            check_failed_fingerprint(check),
            check=Check.CHECK_FAILED,
            **admin_words(
                Text(
                    N_(
                        "the check {check} raised an error instead of reporting; its alerts are "
                        "left as they were until it runs clean again"
                    ),
                    {"check": check},
                ),
                [
                    (N_("Check"), check),
                    (N_("Error"), shown),
                    (
                        N_("Traceback"),
                        Text(N_("in the log of the worker (or `loanwatch check`) that ran it")),
                    ),
                ],
            ),
            now=now,
            policy=policy,
            written_at=written_at,
        )
    for check in set(failing_checks(session)) & ran_clean:
        tally.resolve(
            session,
            check_failed_fingerprint(check),
            reason=reason(RAN_CLEAN),
            now=now,
            policy=policy,
            written_at=written_at,
        )
    return tally


def holidays_unknown_fingerprint(year: int) -> str:
    """The fingerprint of the admin alert that says `year` has no holiday calendar."""
    return f"{Check.HOLIDAYS_UNKNOWN}:-:{year}"


def holidays_note(year: int) -> Text:
    """`bot.holidays.missing_holidays_note` (whose English it is), as worded for an alert."""
    return Text(
        N_(
            "{year}'s official holidays are not known to loanwatch yet: it counts weekends as "
            "the only days off in {year}, so a public holiday is taken for a business day (due "
            "dates, due-soon and freshness) and a make-up workday for a day off. To fix it, an "
            "admin adds the State Council's {year} holidays and make-up workdays under [{year}] "
            "in the file that LOANWATCH_HOLIDAYS_FILE names (docs/checks.md, Business days), then "
            "restarts loanwatch."
        ),
        {"year": str(year)},
    )


def tell_unknown_holidays(
    session: Session,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    settings: Settings,
    written_at: datetime | None = None,
) -> AdminTally:
    """One holidays_unknown alert per year that matters and has no holidays; resolve the rest.

    The years are :func:`bot.holidays.unknown_holiday_years`'s, the rule `/loan status` and
    App Home follow too. A warning, told once per year however many cycles it lasts, to the
    default alert channel; it resolves by itself once the admin's file covers the year.
    """
    policy = settings.alert_policy()
    tally = AdminTally()
    missing = unknown_holiday_years(session, now, calendar.known, settings.zone)
    for year in missing:
        tally.open(
            session,
            holidays_unknown_fingerprint(year),
            check=Check.HOLIDAYS_UNKNOWN,
            **admin_words(
                holidays_note(year),
                [
                    (N_("Year"), str(year)),
                    (N_("Days off counted"), Text(N_("Saturdays and Sundays only"))),
                    (N_("Setting"), "LOANWATCH_HOLIDAYS_FILE"),
                ],
            ),
            now=now,
            policy=policy,
            written_at=written_at,
            severity=Severity.WARNING,
        )
    told = session.scalars(
        select(Alert.subject).where(
            Alert.check == Check.HOLIDAYS_UNKNOWN, Alert.state != AlertState.RESOLVED
        )
    )
    for subject in list(told):
        if not subject.isdigit() or int(subject) in missing:
            continue
        year = int(subject)
        tally.resolve(
            session,
            holidays_unknown_fingerprint(year),
            reason=reason(HOLIDAYS_KNOWN if calendar.known(year) else NO_DUE_DATE_NEAR, year=year),
            now=now,
            policy=policy,
            written_at=written_at,
        )
    return tally
