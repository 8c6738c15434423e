"""`loanwatch check`, `alert` and `silence`: running the checks and working the alerts."""

from datetime import datetime

import click

from bot.alerts.actions import acknowledge, list_alerts, resolve, snooze
from bot.alerts.policy import LIST_STATES
from bot.alerts.said import summary_of
from bot.alerts.silences import active_silences, add_silence, remove_silence
from bot.cli.context import CliState
from bot.cli.delivery import deliver_now
from bot.cli.helptexts import TranslatedCommand, TranslatedGroup
from bot.cli.params import ALERT_ID, AS_OF, SILENCE_ID, in_zone
from bot.cli.render import replay_summary, table
from bot.cli.words import stamp, word
from bot.dates import check_time
from bot.durations import parse_duration
from bot.i18n import N_, _
from bot.i18n.formats import moment
from bot.ledger.facilities import get_facility
from bot.models import Silence
from bot.zones import facility_zone, shown_zone
from jobs.cycle import run_check_cycle
from jobs.replay import is_replay, latest_known

NO_ALERTS = {
    "open": N_("no open alerts"),
    "acknowledged": N_("no acknowledged alerts"),
    "resolved": N_("no resolved alerts"),
    "all": N_("no all alerts"),
}
# A failed check is not bad input (2): the run happened, and told what it found.
EXIT_CHECK_FAILED = 1
# What `check` says, once, when loanwatch's own alerts (check_failed, holidays_unknown,
# delivery_failed, …) have no Slack destination (bot.settings.Settings.admin_alert_channel).
ADMIN_ALERTS_NOWHERE = N_(
    "warning: loanwatch's own alerts (check_failed, holidays_unknown, delivery_failed, …) have "
    "no Slack channel: set LOANWATCH_DEFAULT_ALERT_CHANNEL, or list an admin's user id in "
    "LOANWATCH_ADMINS (the first one gets them by direct message); until then only the "
    "console shows them"
)


@click.command(
    "check",
    cls=TranslatedCommand,
    help=N_(
        "Run every check once, update the alerts, deliver the notifications, print a summary.\n\n"
        "`--at` is the moment the checks evaluate; delivery keeps the real clock (its leases, "
        "backoff and due times are shared with any worker running beside this command). "
        "`--at` a moment earlier than the latest run of the checks (or, before any run, than "
        "the latest record in the ledger) is a replay (jobs/replay.py): it prints what the "
        "checks find as of then and changes nothing. A plain `check` is always real. Exits 1 "
        "when a check failed (the others ran and their notifications were delivered; the "
        "traceback is on stderr), 0 otherwise."
    ),
)
@click.option("--at", "at", type=AS_OF, help=N_("Run as of this time (default: now)."))
@click.pass_obj
def check_command(state: CliState, at: datetime | None) -> int:
    now = in_zone(at, state.settings.zone) or state.now
    # The moment's date where loanwatch reads it (LOANWATCH_TIMEZONE), not its typed offset's.
    check_time(now, "--at", zone=state.settings.zone)
    latest = None
    if at is not None:
        with state.transaction() as session:
            latest = latest_known(session)
    replay = is_replay(now if at is not None else None, latest and latest.at)
    run = state.rolled_back if replay else state.transaction
    with run() as session:
        report = run_check_cycle(
            session,
            now=now,
            settings=state.settings,
            calendar=state.settings.calendar(),
            written_at=state.now,
        )
    deliver_now(state)
    if state.settings.admin_alert_channel() is None:  # once a run, after its input was good
        click.echo(_(ADMIN_ALERTS_NOWHERE), err=True)
    if replay and latest is not None:
        click.echo(
            replay_summary(now, latest.at, report.findings, list(report.failed), run=latest.run)
        )
        return EXIT_CHECK_FAILED if report.failed else 0
    s = report.summary
    said = _(
        "checked at {at}: {findings} findings; alerts {opened} opened, {updated} still firing, "
        "{resolved} resolved, {reminded} reminders; {notified} notifications ({silenced} "
        "silenced, {grouped} grouped); {escalated} escalation steps"
    ).format(
        at=stamp(now, state.settings.zone),
        findings=len(report.findings),
        opened=s.opened,
        updated=s.updated,
        resolved=s.resolved,
        reminded=s.reminded,
        notified=s.notified,
        silenced=s.silenced,
        grouped=s.grouped,
        escalated=report.escalated,
    )
    if report.failed:
        said += _("; checks failed: {checks}").format(checks=", ".join(report.failed))
    click.echo(said)
    return EXIT_CHECK_FAILED if report.failed else 0


@click.group("alert", cls=TranslatedGroup, help=N_("Alerts: list, acknowledge, snooze, resolve."))
def alert_group() -> None:
    pass


@alert_group.command("list", help=N_("Alerts, newest first."))
@click.option(
    "--state",
    "wanted",
    type=click.Choice(LIST_STATES),
    default="open",
    show_default=True,
    help=N_("open means not resolved (acknowledged ones included)."),
)
@click.pass_obj
def alert_list(state: CliState, wanted: str) -> None:
    with state.transaction() as session:
        alerts = list_alerts(session, wanted)
        rows = [
            [
                str(a.id),
                word(a.severity),
                _("{state} (snoozed)").format(state=word(a.state))
                if a.snoozed_until and a.snoozed_until > state.now
                else word(a.state),
                a.check,
                summary_of(a.summary, a.wording),
            ]
            for a in alerts
        ]
    if not rows:
        click.echo(_(NO_ALERTS[wanted]))
        return
    headers = [_("id"), _("severity"), _("state"), _("check"), _("summary")]
    click.echo(table(headers, rows))


@alert_group.command(
    "ack",
    help=N_("Acknowledge an alert: you own it; it expires if the condition still holds later."),
)
@click.argument("alert_id", type=ALERT_ID)
@click.pass_obj
def alert_ack(state: CliState, alert_id: int) -> None:
    with state.transaction() as session:
        alert = acknowledge(
            session, state.actor, alert_id, now=state.now, policy=state.settings.alert_policy()
        )
        click.echo(
            _("alert {id} acknowledged by {who}").format(id=alert.id, who=alert.acknowledged_by)
        )


# `-5m` is a (negative) duration to refuse in words, not an unknown option `-5`.
@alert_group.command(
    "snooze",
    context_settings={"ignore_unknown_options": True},
    help=N_("Quiet an alert for DURATION (30m, 4h, 2d)."),
)
@click.argument("alert_id", type=ALERT_ID)
@click.argument("duration")
@click.pass_obj
def alert_snooze(state: CliState, alert_id: int, duration: str) -> None:
    until = state.now + parse_duration(duration, N_("snooze"))
    with state.transaction() as session:
        alert = snooze(session, state.actor, alert_id, until, now=state.now)
        # As /loan snooze says it: in the alert's zone (its facility's, else LOANWATCH_TIMEZONE).
        zone = shown_zone(facility_zone(session, alert.facility_id), state.settings.timezone)
        click.echo(
            _("alert {id} snoozed until {until}").format(id=alert.id, until=moment(until, zone))
        )


@alert_group.command("resolve", help=N_("Resolve an alert by hand, with a reason."))
@click.argument("alert_id", type=ALERT_ID)
@click.option("--reason", required=True, help=N_("Why it is resolved (kept in the audit trail)."))
@click.pass_obj
def alert_resolve(state: CliState, alert_id: int, reason: str) -> None:
    with state.transaction() as session:
        alert = resolve(session, state.actor, alert_id, reason, now=state.now)
        click.echo(_("alert {id} resolved: {reason}").format(id=alert.id, reason=reason))


@click.group(
    "silence",
    cls=TranslatedGroup,
    help=N_(
        "Silences: quiet a facility, a check or everything for a while (platform maintenance)."
    ),
)
def silence_group() -> None:
    pass


@silence_group.command("add", help=N_("Add a silence."))
@click.option("--facility", help=N_("Silence this facility's alerts."))
@click.option("--check", help=N_("Silence this check everywhere."))
@click.option("--all", "everything", is_flag=True, help=N_("Silence everything."))
@click.option("--for", "duration", required=True, help=N_("How long: 30m, 4h, 2d."))
@click.option("--reason", required=True, help=N_("Why, e.g. platform maintenance."))
@click.pass_obj
def silence_add(
    state: CliState,
    facility: str | None,
    check: str | None,
    everything: bool,
    duration: str,
    reason: str,
) -> None:
    length = parse_duration(duration)
    with state.transaction() as session:
        facility_id = get_facility(session, facility).id if facility else None
        silence = add_silence(
            session,
            state.actor,
            facility_id=facility_id,
            check=check,
            everything=everything,
            duration=length,
            reason=reason,
            now=state.now,
        )
        click.echo(
            _("silence {id}: {scope} until {until}").format(
                id=silence.id,
                scope=_scope(silence),
                until=stamp(silence.ends_at, state.settings.zone),
            )
        )


@silence_group.command("list", help=N_("Silences in force now."))
@click.pass_obj
def silence_list(state: CliState) -> None:
    with state.transaction() as session:
        rows = [
            [str(s.id), _scope(s), stamp(s.ends_at, state.settings.zone), s.created_by, s.reason]
            for s in active_silences(session, state.now)
        ]
    if not rows:
        click.echo(_("no silences in force"))
        return
    click.echo(table([_("id"), _("scope"), _("until"), _("by"), _("reason")], rows))


@silence_group.command("remove", help=N_("End a silence now."))
@click.argument("silence_id", type=SILENCE_ID)
@click.pass_obj
def silence_remove(state: CliState, silence_id: int) -> None:
    with state.transaction() as session:
        remove_silence(session, state.actor, silence_id, now=state.now)
    click.echo(_("silence {id} removed").format(id=silence_id))


def _scope(silence: Silence) -> str:
    """The silence's scope in words: `facility 3`, `check bill_missing`, `everything`."""
    if silence.facility_id is not None:
        return _("facility {id}").format(id=silence.facility_id)
    if silence.check is not None:
        return _("check {check}").format(check=silence.check)
    return _("everything")


def register(cli: click.Group) -> None:
    """Add the check, alert and silence commands."""
    for command in (check_command, alert_group, silence_group):
        cli.add_command(command)
