"""The bill and arrival requests' wake-ups: whom to ask, by the checks' own rules.

Beside the reading requests in every cycle (`jobs.cycle.run_wake_ups`, each in a SAVEPOINT of
its own). Which days have no bill, and which draws nothing confirms, are the checks' questions,
so they are asked here with the checks' queries (`bill_missing`'s groups and matching,
`draw_unconfirmed`'s rules); the request itself, its claim and its message are the domain's
(`bot.ledger.bill_requests`, `bot.ledger.arrival_requests`).
"""

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.calendar import BusinessCalendar
from bot.db import among
from bot.ledger.arrival_requests import ASK_AFTER_HOURS, ASK_WITHIN, send_arrival_request
from bot.ledger.bill_requests import send_bill_request
from bot.ledger.reading_requests import RequestKind
from bot.ledger.request_owners import gone_owners
from bot.models import Draw, Facility, ReadingRequest
from bot.oncall.rotations import USER_ID
from bot.thresholds import Thresholds
from jobs.checks.bills.scans import unsettled_groups
from jobs.checks.common import (
    CycleScans,
    DueDay,
    local_midnight,
    local_today,
    moved,
    unbilled_after_shift,
)
from jobs.checks.draws import unconfirmed_logged_by


class _Unbilled(NamedTuple):
    """A day of a facility with an owner whose bill's lead window is open, and no bill yet."""

    group: Any  # its installment group (`unsettled_groups`)
    opened_at: datetime  # due − lead days, midnight in the facility's zone
    shifted: date

    def due_day(self) -> DueDay:
        group = self.group
        return DueDay(group.facility_id, group.due_date, self.shifted, group.window)


def run_bill_requests(
    session: Session,
    *,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    written_at: datetime | None = None,
) -> int:
    """Ask each owner about each day whose bill's lead window is open by `now` (up to its due
    date) that no bill matches and that has an unpaid installment, once; how many were sent."""
    owned = {
        facility.id: facility
        for facility in session.scalars(
            select(Facility).where(Facility.active, Facility.reading_owner.is_not(None))
        )
    }
    if not owned:
        return 0
    scans = CycleScans(session, now, thresholds, calendar)
    days = []
    for group in unsettled_groups(scans):
        if not (group.may_be_missing and group.open and group.facility_id in owned):
            continue
        opened_at = local_midnight(moved(group.due_date, -group.lead), group.timezone)
        if now < opened_at or local_today(now, group.timezone) > group.due_date:
            continue
        days.append(_Unbilled(group, opened_at, calendar.next_business_day(group.due_date)))
    unbilled = unbilled_after_shift(session, now, days, _Unbilled.due_day)
    asked = _asked_days(session, sorted({day.group.facility_id for day in unbilled}))
    gone = gone_owners(session)  # not in the workspace any more: the admins were told
    sent = 0
    for day in unbilled:
        group = day.group
        if (group.facility_id, group.due_date) in asked:
            continue
        if (group.facility_id, owned[group.facility_id].reading_owner) in gone:
            continue
        request = send_bill_request(
            session,
            owned[group.facility_id],
            due_date=group.due_date,
            expected=group.expected,
            slot=day.opened_at,
            now=written_at or now,
        )
        sent += request is not None
    return sent


def _asked_days(session: Session, facility_ids: list[int]) -> set[tuple[int, date]]:
    """The (facility, due date) pairs these facilities' owners were asked about already."""
    if not facility_ids:
        return set()
    rows = session.execute(
        select(ReadingRequest.facility_id, ReadingRequest.due_date).where(
            ReadingRequest.kind == RequestKind.BILL,
            among(session, ReadingRequest.facility_id, facility_ids),
        )
    )
    return {(facility_id, due_date) for facility_id, due_date in rows}


def run_draw_requests(
    session: Session,
    *,
    now: datetime,
    thresholds: Thresholds,
    calendar: BusinessCalendar,
    written_at: datetime | None = None,
) -> int:
    """Ask the drawer of each draw logged from Slack a day ago (within `ASK_WITHIN` of that)
    that nothing confirms by now whether its money arrived, once; how many were sent."""
    ask_after = timedelta(hours=ASK_AFTER_HOURS)
    until = now - ask_after
    since = until - ASK_WITHIN
    if not _slack_draws_logged(session, now, since=since, until=until):
        return 0  # most cycles: draw_unconfirmed's query would find no draw to ask about
    draws = [
        row
        for row in unconfirmed_logged_by(session, now, thresholds, calendar, since, until)
        if USER_ID.fullmatch(row.created_by)
    ]
    if not draws:
        return 0
    asked = set(
        session.scalars(
            select(ReadingRequest.draw_id).where(
                among(session, ReadingRequest.draw_id, [row.id for row in draws])
            )
        )
    )
    gone = gone_owners(session)
    sent = 0
    for row in draws:
        if row.id in asked or (row.facility_id, row.created_by) in gone:
            continue
        request = send_arrival_request(
            session,
            session.get_one(Draw, row.id),
            drawer=row.created_by,
            slot=row.created_at + ask_after,
            now=written_at or now,
        )
        sent += request is not None
    return sent


def _slack_draws_logged(
    session: Session, now: datetime, *, since: datetime, until: datetime
) -> bool:
    """Whether a draw logged from Slack after `since` and by `until` has no confirmation by
    `now` on its own row: the least a draw needs for `unconfirmed_logged_by` to return it and
    for its drawer to be asked, read in one small query (the index on unconfirmed draws)."""
    drawers = session.scalars(
        select(Draw.created_by).where(
            Draw.created_at > since,
            Draw.created_at <= until,
            or_(Draw.confirmed_at.is_(None), Draw.confirmed_seen_at > now),
        )
    )
    return any(USER_ID.fullmatch(drawer) for drawer in drawers)
