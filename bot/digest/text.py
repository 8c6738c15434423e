"""The digest's words for people reading plain text: `loanwatch digest`, the console transport,
the chart and the CSV of the facilities a Slack message leaves out.

The section headings are said here once; Slack's blocks (`bot.slack.digest_blocks`) use them too.
"""

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.alerts.risk_words import RiskKind
from bot.digest.numbers import AlertAtRisk, Digest, FacilityLine
from bot.money import format_money, money_str

HEADINGS = {
    "facilities": "Facilities: limit, used, available, utilization",
    "due": "Due in the next 7 days, and overdue still unpaid",
    "alerts": "Open alerts by severity, most money at risk first",
    "tickets": "Tickets waiting on a platform",
    "concentration": "Concentration by platform (share of outstanding)",
}
NOTHING = {
    "facilities": "No facilities yet; an admin adds one with `facility add`.",
    "due": "Nothing due.",
    "alerts": "No open alerts.",
    "tickets": "No ticket is waiting on a platform.",
    "concentration": "Nothing outstanding.",
}
CHART_WORDS = {
    "weeks": "Week starting (Monday)",
    "repayments": "Repayments due ({currency})",
    "available_axis": "Available credit ({currency})",
    "available": "Available credit",
    "others": "others ({count} facilities)",
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


def concentration_single(platform: str, owed: str) -> str:
    """The one warning for a portfolio that owes a currency to one platform alone."""
    return (
        f"⚠ All credit is on one platform: {platform} lends all {owed} owed. If it freezes or "
        "cuts the line, there is no other line to draw on; a second funding channel spreads "
        "that risk."
    )


def concentration_lines(digest: Digest) -> list[str]:
    """Each platform's share, largest first, flagged above the threshold; a currency owed to
    one platform alone is one line that says so (a share of 100 % says nothing more)."""
    platforms: dict[str, int] = {}
    for s in digest.concentration:
        platforms[s.currency] = platforms.get(s.currency, 0) + 1
    return [
        concentration_single(s.platform, format_money(s.outstanding, s.currency))
        if platforms[s.currency] == 1
        else f"{s.platform}: {s.share} % of {s.currency} outstanding "
        f"({format_money(s.outstanding, s.currency)})"
        + (f" ⚠ above {digest.concentration_percent} %" if s.over else "")
        for s in digest.concentration
    ]


def digest_title(day: date) -> str:
    """The digest's headline: "Daily digest · 2026-12-07"."""
    return f"Daily digest · {day.isoformat()}"


def chart_title(digest: Digest) -> str:
    """The chart's title: how many weeks, from which Monday, in which currency."""
    flow = digest.cashflow
    start = flow.weeks[0].isoformat() if flow.weeks else digest.day.isoformat()
    return f"Repayments due per week, {len(flow.weeks)} weeks from {start} ({flow.currency})"


def chart_filename(day: date) -> str:
    """The PNG's name in Slack: cashflow-2026-12-07.png."""
    return f"cashflow-{day.isoformat()}.png"


def rest_filename(day: date) -> str:
    """The CSV's name in Slack: digest-facilities-2026-12-07.csv."""
    return f"digest-facilities-{day.isoformat()}.csv"


def utilization_text(line: FacilityLine) -> str:
    """ "45.0 %", or "—" for a zero limit."""
    return "—" if line.utilization is None else f"{line.utilization} %"


def facility_line(f: FacilityLine) -> str:
    """One facility: slug (name) at platform: limit · used · available · utilization."""
    named = f" ({f.name})" if f.name and f.name != f.slug else ""
    return (
        f"{f.slug}{named} at {f.platform}: limit {format_money(f.limit, f.currency)} · used "
        f"{format_money(f.used, f.currency)} · available {format_money(f.available, f.currency)}"
        f" · {utilization_text(f)}"
    )


def section_lines(digest: Digest) -> dict[str, list[str]]:
    """Each section's lines, in plain words (facility names and subjects as typed)."""
    return {
        "facilities": [facility_line(f) for f in digest.facilities],
        "due": [
            f"{u.due_date.isoformat()} {u.slug}: {format_money(u.amount, u.currency)}"
            + (" overdue" if u.due_date < digest.day else "")
            for u in digest.due
        ],
        "alerts": [
            f"{_severity(a, digest.urgent_days)} · alert {a.id} {a.check}"
            + (f" on {a.facility}" if a.facility else "")
            + f": {_risk(a)} — {a.summary}"
            for a in digest.alerts
        ],
        "tickets": [
            f"{t.label} {t.facility} ({t.platform}): {t.subject} — waiting since "
            f"{t.waiting_since.date().isoformat()}, {t.follow_ups} follow-ups"
            + (" (overdue)" if t.overdue else "")
            for t in digest.tickets
        ],
        "concentration": concentration_lines(digest),
    }


def _severity(alert: AlertAtRisk, urgent_days: int) -> str:
    """`critical`, or `critical (a warning, due within 2 business days)` when its due date
    makes it escalate as critical."""
    if alert.severity == alert.own_severity:
        return alert.severity
    return f"{alert.severity} (a {alert.own_severity}, due within {urgent_days} business days)"


def overdue_count(digest: Digest) -> int:
    """How many of the bills listed are past due and unpaid."""
    return sum(1 for u in digest.due if u.due_date < digest.day)


def _risk(alert: AlertAtRisk) -> str:
    """`¥4,498.77 at risk`; `¥0.00 of undrawn limit at risk` (a cut limit with nothing left to
    draw); `no money measured at risk` when the alert measures none."""
    money = format_money(alert.at_risk, alert.currency)
    if alert.risk_kind == RiskKind.UNDRAWN:
        return f"{money} of undrawn limit at risk"
    if alert.risk_kind is None and not alert.at_risk:
        return "no money measured at risk"
    return f"{money} at risk"


def digest_text(digest: Digest) -> str:
    """The whole digest as plain text, every line of every section."""
    where = f" for {digest.channel}" if digest.channel else ""
    out = [digest_title(digest.day) + where]
    for key, lines in section_lines(digest).items():
        out.append("")
        out.append(HEADINGS[key])
        out.extend(f"  {line}" for line in lines or [NOTHING[key]])
    out.append("")
    out.append(chart_title(digest))
    flow = digest.cashflow
    for week, available in zip(flow.weeks, flow.available, strict=True):
        lines = [x for x in flow.lines if x.week_start == week and x.currency == flow.currency]
        due = sum((line.amount for line in lines), Decimal("0.00"))
        overdue = sum((line.overdue for line in lines), Decimal("0.00"))
        late = f" (of which {format_money(overdue, flow.currency)} overdue)" if overdue else ""
        out.append(
            f"  {week.isoformat()}: due {format_money(due, flow.currency)}{late}, "
            f"available after {format_money(available, flow.currency)}"
        )
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
