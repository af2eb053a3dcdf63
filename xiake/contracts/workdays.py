"""Working-day arithmetic: pure functions over dates, a holiday set and a set of adjusted working days.

China moves working days around public holidays (调休): some weekdays are holidays and some
Saturdays or Sundays are working days. A date is a working day when it is an adjusted working day,
or when it is a Monday–Friday that is not a public holiday. The calendar itself is data
(``contracts.Holiday``); these functions take it as arguments so they can be tested without a
database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

ONE_DAY = dt.timedelta(days=1)


def is_working_day(
    day: dt.date, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()
) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: dt.date,
    n: int,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted; n = 0 → start).

    This is how a statutory period "within 15 working days of receipt" ends: receipt on a Friday,
    the 1st working day is the next Monday (unless it is a holiday).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    counted = 0
    while counted < n:
        day += ONE_DAY
        if is_working_day(day, holidays, workdays):
            counted += 1
    return day


def working_days_between(
    start: dt.date,
    end: dt.date,
    holidays: Collection[dt.date] = (),
    workdays: Collection[dt.date] = (),
) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start, holidays, workdays)
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if is_working_day(day, holidays, workdays):
            count += 1
    return count
