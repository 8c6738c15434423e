"""Business hours: `LOANWATCH_BUSINESS_HOURS` (09:00-18:00) on China's working days.

A working day is `bot.calendar.BusinessCalendar`'s: holidays are off, make-up working days
(调休, a Sunday worked) are on. The hours are read in the facility's zone, so an 09:00 opening
in America/New_York is 09:00 there whatever daylight saving does.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import _

_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
# No closure lasts longer; a calendar that claims one is broken.
_LONGEST_CLOSURE = 60


@dataclass(frozen=True)
class BusinessHours:
    """When the team works on a working day: [opens, closes) local time."""

    opens: time
    closes: time

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


def parse_business_hours(text: str) -> BusinessHours:
    """`09:00-18:00` → BusinessHours; the close after the opening, both times of day."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise InputError(_("business hours {text!r} are not like 09:00-18:00").format(text=text))
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise InputError(
            _("business hours {text!r} name a time of day that does not exist").format(text=text)
        )
    hours = BusinessHours(time(h1, m1), time(h2, m2))
    if hours.closes <= hours.opens:
        raise InputError(_("business hours {text!r} close before they open").format(text=text))
    return hours


def in_business_hours(
    moment: datetime, zone: tzinfo, calendar: BusinessCalendar, hours: BusinessHours
) -> bool:
    """True when `moment` is within the hours of a working day, in `zone`."""
    local = moment.astimezone(zone)
    return (
        calendar.is_business_day(local.date())
        and hours.opens <= local.time().replace(tzinfo=None) < hours.closes
    )


def next_business_moment(
    moment: datetime, zone: tzinfo, calendar: BusinessCalendar, hours: BusinessHours
) -> datetime:
    """`moment` itself within business hours, else the next opening (09:00, next working day)."""
    if in_business_hours(moment, zone, calendar, hours):
        return moment
    local = moment.astimezone(zone)
    day = local.date()
    if not (calendar.is_business_day(day) and local.time().replace(tzinfo=None) < hours.opens):
        day += timedelta(days=1)
    for _day in range(_LONGEST_CLOSURE):
        if calendar.is_business_day(day):
            return datetime.combine(day, hours.opens, tzinfo=zone).astimezone(moment.tzinfo)
        day += timedelta(days=1)
    raise ValueError(f"no working day within {_LONGEST_CLOSURE} days of {day.isoformat()}")


def add_business_time(
    start: datetime,
    delay: timedelta,
    zone: tzinfo,
    calendar: BusinessCalendar,
    hours: BusinessHours,
) -> datetime:
    """The moment `delay` of business time has passed since `start`: the clock of a warning's
    ladder runs only within business hours (Thursday 16:10 + 2 h is Friday 09:10)."""
    moment = next_business_moment(start, zone, calendar, hours)
    remaining = delay
    # Each round uses up one working day's hours (a day shortened by a clock change a little
    # less): as many rounds as the delay has working days, and a few more.
    day = datetime.combine(date.min, hours.closes) - datetime.combine(date.min, hours.opens)
    for _round in range(int(delay / day) * 2 + 3):
        local = moment.astimezone(zone)
        closes = datetime.combine(local.date(), hours.closes, tzinfo=zone).astimezone(start.tzinfo)
        room = closes - moment
        if remaining < room:
            return moment + remaining
        remaining -= room
        moment = next_business_moment(closes, zone, calendar, hours)
    raise ValueError(f"a delay of {delay} is too long to count in business hours")
