"""When a facility's owner is asked for a reading: `workdays 10:00`, `daily 09:00`, `mon,thu 09:30`.

A schedule is a set of days and one time of day, read in the facility's zone:

- `workdays HH:MM`: China's working days (`bot.calendar`): Monday to Friday, public holidays
  left out, make-up Saturdays and Sundays (调休) in.
- `daily HH:MM`: every calendar day, weekends and holidays too.
- `mon,thu HH:MM` (any of mon tue wed thu fri sat sun, comma-separated): those weekdays when
  they are working days, so a Monday in the National Day holiday is left out.

The request for a slot is sent at its minute or, when no check ran then, at the next run: only
the latest slot due (`latest_slot`), never a burst of the ones missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.calendar import BusinessCalendar
from bot.errors import InputError
from bot.i18n import N_, _

WORKDAYS = "workdays"
DAILY = "daily"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far back the latest slot is looked for: a week plus the longest run of holidays.
_LOOK_BACK_DAYS = 21
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
# The schedules people type (English in every language), translated where said: `_(EXAMPLES)`.
EXAMPLES = N_("'workdays 10:00', 'daily 09:00' or 'mon,thu 09:30'")


@dataclass(frozen=True)
class ReadingSchedule:
    """The days (`workdays`, `daily`, or weekday numbers, Monday 0) and the time of day."""

    days: str | tuple[int, ...]
    at: time

    def __str__(self) -> str:
        days = self.days if isinstance(self.days, str) else ",".join(WEEKDAYS[d] for d in self.days)
        return f"{days} {self.at:%H:%M}"

    def asks_on(self, day: date, calendar: BusinessCalendar) -> bool:
        """Whether the owner is asked on local date `day`."""
        if self.days == DAILY:
            return True
        if not calendar.is_business_day(day):
            return False
        return self.days == WORKDAYS or day.weekday() in self.days

    def latest_slot(
        self, now: datetime, zone: tzinfo, calendar: BusinessCalendar
    ) -> datetime | None:
        """The latest moment at or before `now` the owner is asked (aware, in `zone`)."""
        today = now.astimezone(zone).date()
        for back in range(_LOOK_BACK_DAYS):
            day = today - timedelta(days=back)
            slot = datetime.combine(day, self.at, tzinfo=zone)
            if slot <= now and self.asks_on(day, calendar):
                return slot
        return None


def parse_schedule(text: str) -> ReadingSchedule:
    """A schedule as typed (`workdays 10:00`, `daily 9:00`, `Mon, Thu 09:30`, `mon thu 9:30`);
    refused, quoting what was typed and saying what is wrong, when it is none of those."""
    quoted = repr(text.strip())
    typed = " ".join(text.strip().lower().split())
    days_part, _space, time_part = typed.rpartition(" ")
    if not days_part:
        raise InputError(
            _("readings {typed} is not a schedule; give {examples}").format(
                typed=quoted, examples=_(EXAMPLES)
            )
        )
    at = _time_of_day(time_part, text)
    names = re.split(r"\s*,\s*|\s+", days_part)
    if any(_TIME.fullmatch(name) for name in names):
        raise InputError(
            _(
                "readings {typed} gives more than one time of day; a schedule has one time of "
                "day, once on each day it asks ({examples})"
            ).format(typed=quoted, examples=_(EXAMPLES))
        )
    if names in ([WORKDAYS], [DAILY]):
        return ReadingSchedule(names[0], at)
    days: list[int] = []
    for name in names:
        if name not in WEEKDAYS:
            raise _not_a_day(quoted, name)
        if WEEKDAYS.index(name) in days:
            raise InputError(_("readings {typed} names {day} twice").format(typed=quoted, day=name))
        days.append(WEEKDAYS.index(name))
    return ReadingSchedule(tuple(sorted(days)), at)


def _not_a_day(quoted: str, name: str) -> InputError:
    """The error for a word among a schedule's days that is not one of its weekdays."""
    if name in (WORKDAYS, DAILY):
        return InputError(
            _("readings {typed}: {word} stands alone, without other days ({examples})").format(
                typed=quoted, word=repr(name), examples=_(EXAMPLES)
            )
        )
    return InputError(
        _(
            "readings {typed}: {word} is not a day; name days as {weekdays}, or say "
            "'workdays' or 'daily' ({examples})"
        ).format(
            typed=quoted,
            word=repr(name or _("an empty day")),
            weekdays=_(", ").join(WEEKDAYS),
            examples=_(EXAMPLES),
        )
    )


def weekend_days(schedule: ReadingSchedule) -> list[str]:
    """The Saturday and Sunday a weekday schedule names: asked only when they are working days
    (make-up days, 调休), so nothing on an ordinary weekend."""
    if isinstance(schedule.days, str):
        return []
    return [WEEKDAYS[day] for day in schedule.days if day >= 5]


def _time_of_day(typed: str, text: str) -> time:
    match = _TIME.fullmatch(typed)
    if match is None:
        raise InputError(
            _(
                "readings {typed} has no time of day at the end; give it as HH:MM ({examples})"
            ).format(typed=repr(text.strip()), examples=_(EXAMPLES))
        )
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise InputError(
            _("{typed} is not a time of day; give HH:MM from 00:00 to 23:59").format(typed=typed)
        )
    return time(hour, minute)
