"""The official holiday calendar as data, and the loader for further years.

2025 ships with the product, typed from 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号).
Later years are loaded from a JSON file of the same shape with ``xiake load_holidays FILE`` once the
State Council publishes them (usually in November of the year before)::

    {"year": 2026, "source": "…",
     "holidays": [{"name": "元旦", "dates": ["2026-01-01", "2026-01-03"]}],   # ranges as [first, last]
     "workdays": [{"name": "春节调休", "dates": ["2026-02-14"]}]}

A pair of dates in ``dates`` is a range (inclusive); a single date is one day.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

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

BUILTIN_YEARS = (HOLIDAYS_2025,)


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
    """``(year, source, [(date, is_working_day, name)])`` from one year's data; validated."""
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


def load_year(data: dict, Holiday=None) -> int:
    """Replace the calendar of one year with ``data``; returns the number of days written."""
    if Holiday is None:
        from xiake.contracts.models import Holiday
    year, source, rows = parse(data)
    with transaction.atomic():
        Holiday.objects.filter(date__year=year).delete()
        Holiday.objects.bulk_create(
            Holiday(date=d, is_working_day=w, name=n, source=source) for d, w, n in rows
        )
    return len(rows)


def load_file(path: str | Path) -> int:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise HolidayDataError(f"{path}: {exc}") from exc
    return load_year(data)
