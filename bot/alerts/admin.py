"""Admin alerts: about loanwatch itself, not about a facility.

`delivery_failed` (a notice became a dead letter), `delivery_degraded` (a destination keeps
failing), `check_failed` (a check raised instead of reporting), `holidays_unknown` (a year
that matters has no holiday calendar) and `owner_gone` (someone a facility's requests go
to has left the workspace: bot.ledger.request_owners). No run of the checks reports them, so
a run never resolves them: whoever noticed the condition opens one, once however long it
lasts, and resolves it when the condition clears (or a person does by hand). They are critical
unless the opener says otherwise (`holidays_unknown` and `owner_gone` are warnings), go to the
default alert channel (else to the first admin user's direct message:
`AlertPolicy.admin_channel`; with neither, only the console shows them and `loanwatch check`
warns), and silences do not apply to them.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import audit
from bot.alerts.checks import ADMIN_CHECKS, Check
from bot.alerts.findings import Finding, Severity
from bot.alerts.notices import Event, NoticeKind
from bot.alerts.notifier import Notifier
from bot.alerts.opening import open_alert
from bot.alerts.policy import AlertPolicy
from bot.alerts.transition import resolving, transition, unresolved_by_fingerprint
from bot.clock import require_aware
from bot.i18n.wording import Arg, Text, Wording
from bot.models import Alert


def admin_words(summary: Text, facts: Iterable[tuple[str, Arg]]) -> dict[str, Any]:
    """`summary`, `facts` and `wording` for :func:`open_admin_alert`, worded once: the English
    kept, and how it was worded (each fact's label an English message id, marked with N_)."""
    wording = Wording.of(summary, facts)
    return {
        "summary": wording.english_summary(),
        "facts": wording.english_facts(),
        "wording": wording,
    }


def open_admin_alert(
    session: Session,
    *,
    fingerprint: str,
    summary: str,
    facts: dict[str, str],
    now: datetime,
    policy: AlertPolicy | None = None,
    check: Check = Check.DELIVERY_FAILED,
    written_at: datetime | None = None,
    severity: Severity = Severity.CRITICAL,
    wording: Wording | None = None,
) -> Alert:
    """Tell the admins that something in loanwatch itself failed (a dead letter, a check).

    An alert of `check` (one of ADMIN_CHECKS; critical by default) on no facility, posted to
    `policy.default_channel` (with no policy, the outbox row's channel is None: the transport's
    own default). The same fingerprint again while the alert is not resolved updates it and
    tells nobody again, so a condition that lasts many cycles is one alert, not one per cycle.
    `wording` is how `summary` and `facts` were worded (bot.i18n.wording), kept beside them.
    """
    require_aware(now, "now")
    if check not in ADMIN_CHECKS:
        raise ValueError(f"{check!r} is not an admin check; those are {sorted(ADMIN_CHECKS)}")
    alert = unresolved_by_fingerprint(session, fingerprint)
    if alert is not None:
        kept_year = (alert.wording or {}).get("year") if isinstance(alert.wording, dict) else None
        worded = (
            None
            if wording is None
            else wording.in_year(kept_year if isinstance(kept_year, int) else now.year).to_json()
        )
        if (alert.summary, alert.facts, alert.wording) != (summary, dict(facts), worded):
            before = audit.snapshot(alert)
            alert.summary, alert.facts, alert.wording = summary, dict(facts), worded
            alert.last_seen_at = now
            audit.record(session, audit.SYSTEM, "alert.update", alert, at=now, before=before)
        else:
            alert.last_seen_at = now
        return alert
    finding = Finding(
        check=check,
        facility_id=None,
        subject=fingerprint.split(":", 2)[-1][:100],
        severity=severity,
        summary=summary,
        facts=facts,
        wording=wording,
    )
    alert = open_alert(session, finding, now)
    # The caller's fingerprint is the identity, even when it is not `check:facility:subject`.
    alert.fingerprint = fingerprint
    audit.record(session, audit.SYSTEM, "alert.open", alert, at=now)
    notifier = Notifier(session, now, policy, {}, written_at=written_at)
    notifier.tell(alert, NoticeKind.OPENED, event=Event.OPENED)
    return alert


def resolve_admin_alert(
    session: Session,
    *,
    fingerprint: str,
    reason: str,
    now: datetime,
    policy: AlertPolicy | None = None,
    written_at: datetime | None = None,
) -> Alert | None:
    """Resolve the unresolved admin alert with this fingerprint: its condition cleared.

    Returns the alert, or None when there was none to resolve (the usual case: nothing was
    wrong). Its message, if it was posted, says so, like any auto-resolved alert.
    """
    require_aware(now, "now")
    alert = unresolved_by_fingerprint(session, fingerprint)
    if alert is None:
        return None

    decide = resolving(now, audit.SYSTEM.name, reason, refuse_if_resolved=False)
    before = transition(session, alert, decide)
    if before is None:
        return None
    audit.record(session, audit.SYSTEM, "alert.auto_resolve", alert, at=now, before=before)
    if alert.last_notified_at is not None:
        Notifier(session, now, policy, {}, written_at=written_at).tell(
            alert, NoticeKind.RESOLVED, event=Event.AUTO_RESOLVED
        )
    return alert
