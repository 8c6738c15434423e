"""The digest's numbers, for a channel's facilities or the whole portfolio, at a moment.

Nothing here recomputes what the ledger already says: positions (limit, used, available) and
the installments coming up are `bot.ledger.portfolio`'s plain-value views (the ones `/loan
status` and App Home read through `bot.dashboard`); the money an alert puts at risk is
`bot.alerts.at_risk` (which the alert's own message and its escalation read too); the 13-week
cash flow is `bot.digest.cashflow`.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.alerts.at_risk import money_at_risk
from bot.alerts.findings import Severity
from bot.alerts.policy import AlertState
from bot.calendar import BusinessCalendar
from bot.digest.cashflow import Cashflow, cashflow
from bot.ledger.limits import expected_available
from bot.ledger.portfolio import PositionLine, UpcomingLine, position_lines, upcoming_lines
from bot.models import Alert, Facility, Platform, Ticket
from bot.oncall.urgency import escalates_as
from bot.tickets.words import TicketState, is_overdue, ticket_label

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
DUE_DAYS = 7
URGENT_DAYS = 2  # LOANWATCH_URGENT_DAYS' default
# Severities as the digest lists them: the most urgent first; an unknown one last.
SEVERITY_ORDER = (Severity.CRITICAL, Severity.WARNING, "info")


@dataclass(frozen=True)
class FacilityLine:
    """A facility's limit (the lower of the configured and the platform's latest: the rule of
    `bot.ledger.limits`), what is used of it (outstanding principal) and its platform."""

    slug: str
    name: str
    platform: str
    currency: str
    limit: Decimal
    used: Decimal

    @property
    def available(self) -> Decimal:
        """Headroom left under the limit, never below zero (`bot.ledger.limits`)."""
        return expected_available(self.limit, self.used)

    @property
    def utilization(self) -> Decimal | None:
        """Used as a percentage of the limit, to a tenth; None for a zero limit."""
        if self.limit <= 0:
            return None
        return percent(self.used, self.limit)


@dataclass(frozen=True)
class AlertAtRisk:
    """An open alert and the money it puts at risk."""

    id: int
    severity: str  # the one it escalates as: critical when its due date is near
    check: str
    facility: str | None
    summary: str
    currency: str
    at_risk: Decimal
    own_severity: str = ""  # the alert's own (a warning may escalate as critical)
    # What `at_risk` is (`bot.alerts.risk_words.RiskKind`), or None when nothing is measured:
    # a cut limit with nothing left undrawn puts ¥0.00 at risk, which is not "nothing measured".
    risk_kind: str | None = None
    # How the summary was worded (alerts.wording), to say it in the reader's language.
    wording: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.own_severity:  # a payload written before the field existed
            object.__setattr__(self, "own_severity", self.severity)


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket waiting on the platform's answer."""

    label: str
    facility: str
    platform: str
    subject: str
    waiting_since: datetime
    follow_ups: int
    overdue: bool


@dataclass(frozen=True)
class PlatformShare:
    """What the company owes one platform, as a share of all it owes (in one currency)."""

    platform: str
    currency: str
    outstanding: Decimal
    share: Decimal  # percent, to a tenth
    over: bool  # above LOANWATCH_CONCENTRATION_PERCENT


@dataclass(frozen=True)
class Digest:
    """Everything the daily digest says, as plain values."""

    as_of: datetime
    day: date
    channel: str | None
    facilities: list[FacilityLine]  # most used first
    # Unpaid installments due in the next 7 days, and those past due still unpaid, soonest first.
    due: list[UpcomingLine]
    alerts: list[AlertAtRisk]  # by severity, then the most money at risk first
    tickets: list[WaitingTicket]  # waiting longest first
    concentration: list[PlatformShare]  # largest share first
    concentration_percent: int
    cashflow: Cashflow
    urgent_days: int = URGENT_DAYS  # LOANWATCH_URGENT_DAYS, as the alerts' severity read it


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, half-up to a tenth."""
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def build_digest(
    session: Session,
    now: datetime,
    *,
    zone: tzinfo,
    facility_ids: Collection[int] | None = None,
    channel: str | None = None,
    concentration_percent: int = 60,
    weeks: int = 13,
    calendar: BusinessCalendar | None = None,
    urgent_days: int = URGENT_DAYS,
) -> Digest:
    """The digest as of `now`, its days in `zone`: for `facility_ids` (a channel's) or all.
    An alert is listed with the severity it escalates as (`calendar`, default China's business
    days, counts the days to its due date; within `urgent_days` it is critical)."""
    today = now.astimezone(zone).date()
    lines = [p for p in position_lines(session) if facility_ids is None or p.id in facility_ids]
    platforms = _platforms(session)
    facilities = sorted(
        (
            FacilityLine(p.slug, p.name, platforms[p.id], p.currency, p.limit, p.outstanding)
            for p in lines
        ),
        key=lambda f: (-f.used, f.slug),
    )
    slugs = {p.slug for p in lines}
    due = [
        u
        # From the first day: an installment past due and unpaid is still owed.
        for u in upcoming_lines(
            session, on_or_after=date.min, before=today + timedelta(days=DUE_DAYS), limit=None
        )
        if u.slug in slugs
    ]
    return Digest(
        as_of=now,
        day=today,
        channel=channel,
        facilities=facilities,
        due=due,
        alerts=_alerts(
            session,
            lines,
            now,
            scoped=facility_ids is not None,
            calendar=calendar or BusinessCalendar(),
            urgent_days=urgent_days,
        ),
        tickets=_waiting_tickets(session, {p.id for p in lines}),
        concentration=concentration(facilities, concentration_percent),
        concentration_percent=concentration_percent,
        cashflow=cashflow(session, today, weeks=weeks, positions=lines),
        urgent_days=urgent_days,
    )


def _platforms(session: Session) -> dict[int, str]:
    """Facility id → its platform's name."""
    query = select(Facility.id, Platform.name).join(Platform, Platform.id == Facility.platform_id)
    return {facility_id: name for facility_id, name in session.execute(query)}


def _alerts(
    session: Session,
    lines: list[PositionLine],
    now: datetime,
    *,
    scoped: bool,
    calendar: BusinessCalendar,
    urgent_days: int,
) -> list[AlertAtRisk]:
    """Open alerts of these facilities (and, for the whole portfolio, loanwatch's own), each
    with the severity its escalation uses (`bot.oncall.urgency.escalates_as`)."""
    by_id = {p.id: p for p in lines}
    query = select(Alert).where(Alert.state != AlertState.RESOLVED).order_by(Alert.id)
    alerts = [
        a
        for a in session.scalars(query)
        if a.facility_id in by_id or (a.facility_id is None and not scoped)
    ]
    risk = money_at_risk(session, alerts, now=now, calendar=calendar, positions=by_id)
    shown = [
        AlertAtRisk(
            id=a.id,
            severity=escalates_as(a.severity, risk.get(a.id), urgent_days),
            check=a.check,
            facility=by_id[a.facility_id].slug if a.facility_id in by_id else None,
            summary=a.summary,
            currency=by_id[a.facility_id].currency if a.facility_id in by_id else "CNY",
            at_risk=risk[a.id].amount if a.id in risk else ZERO,
            own_severity=a.severity,
            risk_kind=str(risk[a.id].kind) if a.id in risk else None,
            wording=a.wording,
        )
        for a in alerts
    ]
    return sorted(shown, key=lambda a: (_severity_rank(a.severity), -a.at_risk, a.id))


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _waiting_tickets(session: Session, facility_ids: set[int]) -> list[WaitingTicket]:
    """Tickets waiting on the platform, the longest waiting first."""
    query = (
        select(Ticket, Facility.slug, Platform.name)
        .join(Facility, Facility.id == Ticket.facility_id)
        .join(Platform, Platform.id == Ticket.platform_id)
        .where(Ticket.state == TicketState.WAITING)
    )
    found = [
        WaitingTicket(
            label=ticket_label(ticket.number),
            facility=slug,
            platform=platform,
            subject=ticket.subject,
            waiting_since=ticket.last_contact_at or ticket.opened_at,
            follow_ups=ticket.follow_ups,
            overdue=is_overdue(ticket.state, ticket.follow_ups),
        )
        for ticket, slug, platform in session.execute(query)
        if ticket.facility_id in facility_ids
    ]
    return sorted(found, key=lambda t: (t.waiting_since, t.label))


def concentration(facilities: list[FacilityLine], threshold: int) -> list[PlatformShare]:
    """Each platform's share of what is outstanding (per currency), flagged above `threshold`.

    The case for several funding channels: a line frozen at the one platform that lends most of
    the money leaves the team short at once.
    """
    owed: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for f in facilities:
        if f.used > 0:
            owed[(f.currency, f.platform)] += f.used
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (currency, _), amount in owed.items():
        totals[currency] += amount
    shares = [
        PlatformShare(platform, currency, amount, share, share > threshold)
        for (currency, platform), amount in owed.items()
        for share in [percent(amount, totals[currency])]
    ]
    # By the amount owed: shares rounded to a tenth can tie where the amounts do not.
    return sorted(shares, key=lambda s: (s.currency, -s.outstanding, s.platform))
