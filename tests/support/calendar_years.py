"""Years as the installed `chinesecalendar` sees them, asked of the package itself.

Tests that need "a year with no official holiday data" use UNKNOWN rather than a literal, so
they keep passing the day a release of the package ships that year.
"""

from datetime import date

import chinese_calendar


def first_year_the_package_does_not_know() -> int:
    """The first year after 2004 (the package's first) for which `is_workday` raises."""
    year = 2004
    while True:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return year
        year += 1


# 2027 with chinesecalendar 1.11; a later release that ships 2027 moves it on by itself.
UNKNOWN = first_year_the_package_does_not_know()
LAST_KNOWN = UNKNOWN - 1
