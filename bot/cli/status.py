"""`loanwatch status`: what GET /healthz and GET /readyz say, for an admin's shell.

The same report (bot.health), read from the database, with the worker's side included: the
scheduler (whichever process runs it) claimed a slot within two check intervals. The worker
serves no HTTP, so this is how an admin asks it. Exit status 0 when healthy and ready, 1 when
not (a cron job or a monitoring agent can run it).
"""

import json
import logging
from datetime import timedelta
from typing import Any

import click

import bot.health
from bot.cli.context import CliState
from bot.cli.helptexts import TranslatedCommand
from bot.db import known_revision
from bot.health import Health
from bot.i18n import N_, _
from bot.sessions import session_factory

EXIT_UNHEALTHY = 1
SCHEMA_WORDS = {
    "current": N_("current"),
    "empty": N_("EMPTY, no loanwatch tables yet (run `loanwatch db upgrade`)"),
    "behind": N_("NOT current (run `loanwatch db upgrade`)"),
    "newer": N_(
        "NEWER than this loanwatch (a migration it does not know: upgrade loanwatch itself; "
        "`db upgrade` cannot help)"
    ),
}
# What bot.health says of the database and the scheduler, in words (anything else as it is).
STATE_WORDS = {
    "ok": N_("ok"),
    "stopped": N_("stopped"),
    "never ran": N_("never ran"),
    "stale": N_("stale"),
}


def _state(said: str) -> str:
    known = STATE_WORDS.get(said)
    if known is not None:
        return _(known)
    if said.startswith("unreachable: "):
        return _("unreachable: {error}").format(error=said.removeprefix("unreachable: "))
    return said


@click.command(
    "status",
    cls=TranslatedCommand,
    help=N_(
        "Is loanwatch well? The database, its schema, the scheduler's last runs, the outbox, "
        "open alerts and failing checks; exit status 1 when not healthy or not ready."
    ),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as one JSON object."))
@click.pass_obj
def status_command(state: CliState, as_json: bool) -> int:
    interval = timedelta(minutes=state.settings.check_interval_minutes)
    health = Health(
        session_factory(state.engine),
        scheduler_interval=interval,
        grace=False,
        timeout=state.settings.database_timeout_seconds,
    )
    # The health checks' warnings (with their tracebacks) are for a server's log; here the
    # reason is printed once, in the report.
    health_log = logging.getLogger(bot.health.__name__)
    level = health_log.level
    health_log.setLevel(logging.ERROR)
    try:
        ready, readiness = health.readiness()
        schema = readiness.get("schema")
        if schema is not None and schema["database"] is None:
            # Never upgraded: nothing to read; the schema line says what to do.
            healthy, report = False, {"database": "ok"}
        else:
            healthy, report = health.report()
    finally:
        health_log.setLevel(level)
    if schema is not None:
        schema["state"] = _schema_state(state, schema)
    ok = healthy and ready
    if health.last_error is not None:
        report["database_error"] = health.last_error
    if as_json:
        combined = {"ok": ok, "healthy": healthy, "ready": ready, **report, **readiness}
        click.echo(json.dumps(combined, indent=2))
    else:
        click.echo(render(ok, report, readiness, state.settings.check_interval_minutes))
    return 0 if ok else EXIT_UNHEALTHY


def _schema_state(state: CliState, schema: dict[str, Any]) -> str:
    """current, empty (never upgraded), behind (`db upgrade` to run) or newer (a newer
    release's migration: this loanwatch is the one to upgrade)."""
    if schema["current"]:
        return "current"
    if schema["database"] is None:
        return "empty"
    url = state.engine.url.render_as_string(hide_password=False)
    return "behind" if known_revision(url, schema["database"]) else "newer"


def render(ok: bool, report: dict[str, Any], readiness: dict[str, Any], every: int) -> str:
    """The report as lines an admin reads."""
    lines = [_("loanwatch: healthy") if ok else _("loanwatch: NOT HEALTHY")]
    lines.append("  " + _("database:  {state}").format(state=_state(report["database"])))
    if "database_error" in report:
        lines.append(f"    {report['database_error']}")
    schema = readiness.get("schema")
    if schema is not None:
        lines.append(
            "  "
            + _("schema:    {state}: database {at}, code {code}").format(
                state=_(SCHEMA_WORDS[schema["state"]]),
                at=schema["database"] or _("no migration"),
                code=schema["code"],
            )
        )
    if "scheduler" in report:
        lines.append(
            "  "
            + _(
                "scheduler: {state} (last run {last}; checks every {every} min, stale after "
                "{stale} min)"
            ).format(
                state=_state(report["scheduler"]),
                last=report.get("scheduler_last_slot") or _("never"),
                every=every,
                stale=2 * every,
            )
        )
    for job, run in report.get("scheduler_runs", {}).items():
        lines.append(
            "    "
            + _("{job}: claimed {claimed}, finished {finished}").format(
                job=job, claimed=run["claimed"], finished=run["finished"] or "-"
            )
        )
    outbox = report.get("outbox")
    if outbox is not None:
        said = (
            _("outbox:    {pending} pending, oldest {oldest} ({age} s)")
            if outbox["oldest"]
            else _("outbox:    {pending} pending")
        )
        lines.append(
            "  "
            + said.format(
                pending=outbox["pending"],
                oldest=outbox["oldest"],
                age=outbox["oldest_age_seconds"],
            )
        )
    if "alerts_open" in report:
        lines.append("  " + _("alerts:    {count} open").format(count=report["alerts_open"]))
    if "checks" in report:
        failing = report["checks"]["failing"]
        lines.append(
            "  "
            + _("failing checks: {checks}").format(
                checks=", ".join(failing) if failing else _("none")
            )
        )
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    """Add the status command."""
    cli.add_command(status_command)
