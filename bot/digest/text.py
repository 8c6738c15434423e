"""The digest's words for people reading plain text: `loanwatch digest`, the console transport,
the chart and the CSV of the facilities a Slack message leaves out.

The section headings are said here once; Slack's blocks (`bot.slack.digest_blocks`) use them too.
Every text is said in the language in use (a channel's digest: the channel's, `bot.languages`;
the CLI: the workspace's); the CSV's columns and the files' names stay English (machines read
them, and a name in the thread is how a retried upload knows it is there).
"""

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.alerts.risk_words import RiskKind
from bot.alerts.said import check_name, severity_name, summary_of
from bot.digest.numbers import AlertAtRisk, Digest, FacilityLine, PlatformShare, WaitingTicket
from bot.i18n import N_, _
from bot.i18n.formats import big_money, day, money, percent
from bot.ledger.portfolio import UpcomingLine
from bot.money import money_str

HEADINGS = {
    "facilities": N_("Facilities: limit, used, available, utilization"),
    "due": N_("Due in the next 7 days, and overdue still unpaid"),
    "alerts": N_("Open alerts by severity, most money at risk first"),
    "tickets": N_("Tickets waiting on a platform"),
    "concentration": N_("Concentration by platform (share of outstanding)"),
}
NOTHING = {
    "facilities": N_("No facilities yet; an admin adds one with `facility add`."),
    "due": N_("Nothing due."),
    "alerts": N_("No open alerts."),
    "tickets": N_("No ticket is waiting on a platform."),
    "concentration": N_("Nothing outstanding."),
}
CHART_WORDS = {
    "weeks": N_("Week starting (Monday)"),
    "repayments": N_("Repayments due ({currency})"),
    "available_axis": N_("Available credit ({currency})"),
    "available": N_("Available credit"),
    "others": N_("others ({count} facilities)"),
}
REST_COLUMNS = (
    "facility",
    "name",
    "platform",
    "currency",
    "limit",
    "used",
    "available",
    "utilization_percent",
)


def heading(key: str) -> str:
    """A section's heading, in the language in use."""
    return _(HEADINGS[key])


def nothing(key: str) -> str:
    """What a section says when it has no line, in the language in use."""
    return _(NOTHING[key])


def chart_word(key: str) -> str:
    """A word of the chart (CHART_WORDS), in the language in use; placeholders left to fill."""
    return _(CHART_WORDS[key])


def concentration_single(platform: str, owed: str) -> str:
    """The one warning for a portfolio that owes a currency to one platform alone."""
    return _(
        "⚠ All credit is on one platform: {platform} lends all {owed} owed. If it freezes or "
        "cuts the line, there is no other line to draw on; a second funding channel spreads "
        "that risk."
    ).format(platform=platform, owed=owed)


def _share_line(s: PlatformShare, threshold: int) -> str:
    # The percentages come with their sign: "% o" in a text reads to gettext as a %-format.
    words = {
        "platform": s.platform,
        "share": percent(s.share),
        "currency": s.currency,
        "owed": big_money(s.outstanding, s.currency),
    }
    if s.over:
        return _(
            "{platform}: {share} of {currency} outstanding ({owed}) ⚠ above {threshold}"
        ).format(threshold=percent(threshold), **words)
    return _("{platform}: {share} of {currency} outstanding ({owed})").format(**words)


def concentration_lines(digest: Digest) -> list[str]:
    """Each platform's share, largest first, flagged above the threshold; a currency owed to
    one platform alone is one line that says so (a share of 100 % says nothing more)."""
    platforms: dict[str, int] = {}
    for s in digest.concentration:
        platforms[s.currency] = platforms.get(s.currency, 0) + 1
    return [
        concentration_single(s.platform, big_money(s.outstanding, s.currency))
        if platforms[s.currency] == 1
        else _share_line(s, digest.concentration_percent)
        for s in digest.concentration
    ]


def digest_title(on: date) -> str:
    """The digest's headline: "Daily digest · 2026-12-07" (Chinese: 每日摘要 · 12月7日（周一）)."""
    return _("Daily digest · {day}").format(day=day(on, near=on))


def chart_title(digest: Digest) -> str:
    """The chart's title: how many weeks, from which Monday, in which currency."""
    flow = digest.cashflow
    start = day(flow.weeks[0] if flow.weeks else digest.day, near=digest.day)
    return _("Repayments due per week, {weeks} weeks from {start} ({currency})").format(
        weeks=len(flow.weeks), start=start, currency=flow.currency
    )


def chart_filename(on: date) -> str:
    """The PNG's name in Slack: cashflow-2026-12-07.png."""
    return f"cashflow-{on.isoformat()}.png"


def rest_filename(on: date) -> str:
    """The CSV's name in Slack: digest-facilities-2026-12-07.csv."""
    return f"digest-facilities-{on.isoformat()}.csv"


def utilization_text(line: FacilityLine) -> str:
    """ "45.0 %", or "—" for a zero limit."""
    return "—" if line.utilization is None else percent(line.utilization)


def facility_line(f: FacilityLine) -> str:
    """One facility: slug (name) at platform: limit · used · available · utilization."""
    amounts = {
        "slug": f.slug,
        "platform": f.platform,
        "limit": big_money(f.limit, f.currency),
        "used": money(f.used, f.currency),
        "available": money(f.available, f.currency),
        "utilization": utilization_text(f),
    }
    if f.name and f.name != f.slug:
        return _(
            "{slug} ({name}) at {platform}: limit {limit} · used {used} · available "
            "{available} · {utilization}"
        ).format(name=f.name, **amounts)
    return _(
        "{slug} at {platform}: limit {limit} · used {used} · available {available} · {utilization}"
    ).format(**amounts)


def _due_line(digest: Digest, u: UpcomingLine) -> str:
    words = {
        "due": day(u.due_date, near=digest.day),
        "slug": u.slug,
        "amount": money(u.amount, u.currency),
    }
    if u.due_date < digest.day:
        return _("{due} {slug}: {amount} overdue").format(**words)
    return _("{due} {slug}: {amount}").format(**words)


def _alert_line(digest: Digest, a: AlertAtRisk) -> str:
    words = {
        "severity": _severity(a, digest.urgent_days),
        "id": a.id,
        "check": check_name(a.check),
        "risk": _risk(a),
        "summary": summary_of(a.summary, a.wording),
    }
    if a.facility:
        return _("{severity} · alert {id} {check} on {facility}: {risk} — {summary}").format(
            facility=a.facility, **words
        )
    return _("{severity} · alert {id} {check}: {risk} — {summary}").format(**words)


def _ticket_line(digest: Digest, t: WaitingTicket) -> str:
    words = {
        "label": t.label,
        "facility": t.facility,
        "platform": t.platform,
        "subject": t.subject,
        "since": day(t.waiting_since.date(), near=digest.day),
        "follow_ups": t.follow_ups,
    }
    if t.overdue:
        return _(
            "{label} {facility} ({platform}): {subject} — waiting since {since}, "
            "{follow_ups} follow-ups (overdue)"
        ).format(**words)
    return _(
        "{label} {facility} ({platform}): {subject} — waiting since {since}, "
        "{follow_ups} follow-ups"
    ).format(**words)


def section_lines(digest: Digest) -> dict[str, list[str]]:
    """Each section's lines, in plain words (facility names and subjects as typed)."""
    return {
        "facilities": [facility_line(f) for f in digest.facilities],
        "due": [_due_line(digest, u) for u in digest.due],
        "alerts": [_alert_line(digest, a) for a in digest.alerts],
        "tickets": [_ticket_line(digest, t) for t in digest.tickets],
        "concentration": concentration_lines(digest),
    }


def _severity(alert: AlertAtRisk, urgent_days: int) -> str:
    """`critical`, or `critical (a warning, due within 2 business days)` when its due date
    makes it escalate as critical."""
    if alert.severity == alert.own_severity:
        return severity_name(alert.severity)
    return _("{severity} (a {own}, due within {days} business days)").format(
        severity=severity_name(alert.severity),
        own=severity_name(alert.own_severity),
        days=urgent_days,
    )


def overdue_count(digest: Digest) -> int:
    """How many of the bills listed are past due and unpaid."""
    return sum(1 for u in digest.due if u.due_date < digest.day)


def _risk(alert: AlertAtRisk) -> str:
    """`¥4,498.77 at risk`; `¥0.00 of undrawn limit at risk` (a cut limit with nothing left to
    draw); `no money measured at risk` when the alert measures none."""
    amount = money(alert.at_risk, alert.currency)
    if alert.risk_kind == RiskKind.UNDRAWN:
        return _("{money} of undrawn limit at risk").format(money=amount)
    if alert.risk_kind is None and not alert.at_risk:
        return _("no money measured at risk")
    return _("{money} at risk").format(money=amount)


def _week_line(digest: Digest, week: date, available: Decimal) -> str:
    flow = digest.cashflow
    lines = [x for x in flow.lines if x.week_start == week and x.currency == flow.currency]
    due = sum((line.amount for line in lines), Decimal("0.00"))
    overdue = sum((line.overdue for line in lines), Decimal("0.00"))
    words = {
        "week": day(week, near=digest.day),
        "due": money(due, flow.currency),
        "available": big_money(available, flow.currency),
    }
    if overdue:
        return _(
            "{week}: due {due} (of which {overdue} overdue), available after {available}"
        ).format(overdue=money(overdue, flow.currency), **words)
    return _("{week}: due {due}, available after {available}").format(**words)


def digest_text(digest: Digest) -> str:
    """The whole digest as plain text, every line of every section."""
    title = digest_title(digest.day)
    if digest.channel:
        title = _("{title} for {channel}").format(title=title, channel=digest.channel)
    out = [title]
    for key, lines in section_lines(digest).items():
        out.append("")
        out.append(heading(key))
        out.extend(f"  {line}" for line in lines or [nothing(key)])
    out.append("")
    out.append(chart_title(digest))
    flow = digest.cashflow
    for week, available in zip(flow.weeks, flow.available, strict=True):
        out.append("  " + _week_line(digest, week, available))
    return "\n".join(out)


def rest_csv(facilities: Sequence[FacilityLine]) -> str:
    """The facilities a message leaves out, one row each, amounts as two-decimal strings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REST_COLUMNS)
    for f in facilities:
        writer.writerow(
            [
                f.slug,
                f.name,
                f.platform,
                f.currency,
                money_str(f.limit),
                money_str(f.used),
                money_str(f.available),
                "" if f.utilization is None else str(f.utilization),
            ]
        )
    return buffer.getvalue()
