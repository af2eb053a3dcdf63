"""The one official holiday calendar of the platform and its working-day arithmetic.

China moves working days around public holidays (调休): some weekdays are holidays and some
Saturdays or Sundays are working days. A date is a working day when it is an adjusted working day,
or when it is a Monday–Friday that is not a public holiday. Statutory deadlines (contract
registration), service levels (policy consultations) and reminders all count with this module.

The calendar is data (``core.Holiday``). 2025 and 2026 ship with the product (migration
``core.0002``), typed from the State Council notices; later years are loaded with
``xiake load_holidays FILE.json`` once the notice is out (usually in November of the year before),
or edited by the bureau on ``/calendar/``. The file has the shape of the constants below::

    {"year": 2027, "source": "…",
     "holidays": [{"name": "元旦", "dates": ["2027-01-01", "2027-01-03"]}],   # ranges as [first, last]
     "workdays": [{"name": "春节调休", "dates": ["2027-02-06"]}]}

A pair of dates in ``dates`` is a range (inclusive); a single date is one day.

The arithmetic takes the calendar as arguments (``holidays``, ``workdays``) so it can be tested
without a database; left out, it reads the calendar from the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from pathlib import Path

from django.db import transaction

from xiake.core.models import Holiday
from xiake.core.resources import Resource, register

ONE_DAY = dt.timedelta(days=1)

HOLIDAYS_2025 = {
    "year": 2025,
    "source": "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
    "holidays": [
        {"name": "元旦", "dates": ["2025-01-01"]},
        {"name": "春节", "dates": ["2025-01-28", "2025-02-04"]},
        {"name": "清明节", "dates": ["2025-04-04", "2025-04-06"]},
        {"name": "劳动节", "dates": ["2025-05-01", "2025-05-05"]},
        {"name": "端午节", "dates": ["2025-05-31", "2025-06-02"]},
        {"name": "国庆节、中秋节", "dates": ["2025-10-01", "2025-10-08"]},
    ],
    "workdays": [
        {"name": "春节调休", "dates": ["2025-01-26"]},
        {"name": "春节调休", "dates": ["2025-02-08"]},
        {"name": "劳动节调休", "dates": ["2025-04-27"]},
        {"name": "国庆节、中秋节调休", "dates": ["2025-09-28"]},
        {"name": "国庆节、中秋节调休", "dates": ["2025-10-11"]},
    ],
}

# Typed from the notice as published by Xinhua on 2025-11-04 (politics.gmw.cn/2025-11/04/
# content_38391083.htm); the document number was not on that page, so it is not quoted.
HOLIDAYS_2026 = {
    "year": 2026,
    "source": "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
    "holidays": [
        {"name": "元旦", "dates": ["2026-01-01", "2026-01-03"]},
        {"name": "春节", "dates": ["2026-02-15", "2026-02-23"]},
        {"name": "清明节", "dates": ["2026-04-04", "2026-04-06"]},
        {"name": "劳动节", "dates": ["2026-05-01", "2026-05-05"]},
        {"name": "端午节", "dates": ["2026-06-19", "2026-06-21"]},
        {"name": "中秋节", "dates": ["2026-09-25", "2026-09-27"]},
        {"name": "国庆节", "dates": ["2026-10-01", "2026-10-07"]},
    ],
    "workdays": [
        {"name": "元旦调休", "dates": ["2026-01-04"]},
        {"name": "春节调休", "dates": ["2026-02-14"]},
        {"name": "春节调休", "dates": ["2026-02-28"]},
        {"name": "劳动节调休", "dates": ["2026-05-09"]},
        {"name": "国庆节调休", "dates": ["2026-09-20"]},
        {"name": "国庆节调休", "dates": ["2026-10-10"]},
    ],
}

BUILTIN_YEARS = (HOLIDAYS_2025, HOLIDAYS_2026)


# -- arithmetic ------------------------------------------------------------------------------------
def _calendar(holidays, workdays) -> tuple[Collection[dt.date], Collection[dt.date]]:
    if holidays is None and workdays is None:
        return Holiday.calendar()
    return holidays or (), workdays or ()


def is_working_day(
    day: dt.date,
    holidays: Collection[dt.date] | None = None,
    workdays: Collection[dt.date] | None = None,
) -> bool:
    holidays, workdays = _calendar(holidays, workdays)
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: dt.date,
    n: int,
    holidays: Collection[dt.date] | None = None,
    workdays: Collection[dt.date] | None = None,
) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted; n = 0 → start).

    This is how a statutory period "within 15 working days of receipt" ends: receipt on a Friday,
    the 1st working day is the next Monday (unless it is a holiday).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    holidays, workdays = _calendar(holidays, workdays)
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
    holidays: Collection[dt.date] | None = None,
    workdays: Collection[dt.date] | None = None,
) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    holidays, workdays = _calendar(holidays, workdays)
    if end < start:
        return -working_days_between(end, start, holidays, workdays)
    count = 0
    day = start
    while day < end:
        day += ONE_DAY
        if is_working_day(day, holidays, workdays):
            count += 1
    return count


# -- data ------------------------------------------------------------------------------------------
class HolidayDataError(ValueError):
    """The holiday file is malformed; the message names the entry."""


def expand(entry_dates: list[str], where: str) -> list[dt.date]:
    try:
        dates = [dt.date.fromisoformat(d) for d in entry_dates]
    except (TypeError, ValueError) as exc:
        raise HolidayDataError(f"{where}: {exc}") from exc
    if len(dates) == 1:
        return dates
    if len(dates) != 2 or dates[1] < dates[0]:
        raise HolidayDataError(f"{where}: give one date or a [first, last] range")
    return [dates[0] + dt.timedelta(days=i) for i in range((dates[1] - dates[0]).days + 1)]


def parse(data: dict) -> tuple[int, str, list[tuple[dt.date, bool, str]]]:
    """``(year, source, [(date, is_workday, name)])`` from one year's data; validated."""
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError) as exc:
        raise HolidayDataError("missing or bad 'year'") from exc
    rows: dict[dt.date, tuple[bool, str]] = {}
    for kind, working in (("holidays", False), ("workdays", True)):
        for i, entry in enumerate(data.get(kind, [])):
            where = f"{kind}[{i}]"
            name = str(entry.get("name", "")).strip()
            if not name:
                raise HolidayDataError(f"{where}: missing 'name'")
            for day in expand(entry.get("dates") or [], where):
                if day.year != year:
                    raise HolidayDataError(f"{where}: {day} is not in {year}")
                if day in rows:
                    raise HolidayDataError(f"{where}: {day} appears twice")
                rows[day] = (working, name)
    if not rows:
        raise HolidayDataError(f"{year}: no dates")
    return year, str(data.get("source", "")), [(d, w, n) for d, (w, n) in sorted(rows.items())]


def load_year(data: dict, model=None) -> int:
    """Replace the calendar of one year with ``data``; returns the number of days written."""
    model = model or Holiday
    year, source, rows = parse(data)
    with transaction.atomic():
        model.objects.filter(date__year=year).delete()
        model.objects.bulk_create(
            model(date=d, is_workday=w, name=n, source=source) for d, w, n in rows
        )
    return len(rows)


def add_missing(data: dict, model) -> int:
    """Insert the days of ``data`` that the table lacks (data migrations: run again after a test
    flush, and never overwrite what the bureau typed)."""
    _year, source, rows = parse(data)
    existing = set(model.objects.values_list("date", flat=True))
    new = [
        model(date=d, is_workday=w, name=n, source=source) for d, w, n in rows if d not in existing
    ]
    model.objects.bulk_create(new)
    return len(new)


def load_file(path: str | Path) -> int:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise HolidayDataError(f"{path}: {exc}") from exc
    return load_year(data)


# -- pages -----------------------------------------------------------------------------------------
@register
class HolidayResource(Resource):
    """The bureau keeps the calendar: list, add, correct, import and export days."""

    model = Holiday
    api_name = "holidays"
    icon = "bi-calendar-x"
    list_columns = ("date", "name", "is_workday", "source")
    ordering_fields = ("date",)
    filter_fields = ("is_workday",)
    search_fields = ("name",)
    form_fields = ("date", "name", "is_workday", "source")
    natural_key = ("date",)
    url_prefix = "calendar/"
