"""Which years' holidays loanwatch is missing now, and what to tell people about them.

`bot.calendar` counts weekends only in a year whose official holidays it does not know (in late
2026 that is 2027). That year matters from the moment loanwatch's business-day rules reach it:
it is this year, or an installment falls due in it within the next `NOTICE_DAYS`, which is when
the checks start reading its days (a bill expected from ten days before its due date, moved to
the next business day, counted in business days and hours) and early enough for an admin to add
the State Council's dates. One rule, :func:`unknown_holiday_years`, for every place that says
it: the `holidays_unknown` admin alert (once per year, jobs/cycle.py), `/loan status` and App
Home (bot/dashboard.py). Each says it in :func:`missing_holidays_note`'s words until the year
is known (:func:`missing_holidays_said` in the reader's language).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import require_aware
from bot.i18n import N_, _
from bot.models import Draw, Installment, InstallmentStatus

# A bill is looked for from 10 days before its due date (bill_lead_days), within ± 3 days, and
# a holiday moves a due date by up to about 9 days: a month ahead covers all of it and gives the
# admin some weeks to add the dates.
NOTICE_DAYS = 31


def unknown_holiday_years(
    session: Session, now: datetime, known: Callable[[int], bool], zone: tzinfo
) -> tuple[int, ...]:
    """The years that matter at `now` (in `zone`) and whose holidays `known` says are unknown.

    A year matters when it is this year, or when an installment (of a draw logged by `now`,
    not superseded) falls due in it within the next NOTICE_DAYS days.
    """
    require_aware(now, "now")
    today = now.astimezone(zone).date()
    horizon = today + timedelta(days=NOTICE_DAYS)
    years = {today.year}
    if horizon.year > today.year:
        next_year = date(today.year + 1, 1, 1)
        coming = session.scalar(
            select(Installment.id)
            .join(Draw, Draw.id == Installment.draw_id)
            .where(
                Installment.due_date >= next_year,
                Installment.due_date <= horizon,
                Installment.status != InstallmentStatus.SUPERSEDED,
                Draw.created_at <= now,
            )
            .limit(1)
        )
        if coming is not None:
            years.add(next_year.year)
    return tuple(sorted(year for year in years if not known(year)))


HOLIDAYS_NOTE = N_(
    "{year}'s official holidays are not known to loanwatch yet: it counts weekends as the "
    "only days off in {year}, so a public holiday is taken for a business day (due dates, "
    "due-soon and freshness) and a make-up workday for a day off. To fix it, an admin adds "
    "the State Council's {year} holidays and make-up workdays under [{year}] in the file "
    "that LOANWATCH_HOLIDAYS_FILE names (docs/checks.md, Business days), then restarts "
    "loanwatch."
)


def missing_holidays_note(year: int) -> str:
    """What loanwatch does about a year without holidays, and how an admin fixes it (plain),
    in English: as the `holidays_unknown` alert keeps its summary."""
    return HOLIDAYS_NOTE.format(year=year)


def missing_holidays_said(year: int) -> str:
    """:func:`missing_holidays_note` in the language in use (what a person is shown)."""
    return _(HOLIDAYS_NOTE).format(year=year)
