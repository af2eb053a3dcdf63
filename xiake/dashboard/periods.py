"""Reporting periods of the district dashboard: whole months, from one month to several years.

The bureau reports by month, quarter, half-year, year and "1–N月累计" (year to date), so a period is
a run of whole calendar months; that is also the finest grain of the modules' own statistics
(the funnel groups by month, institutions report by month). Written in a URL as

    2025            the year            2025-H1    the first half-year
    2025-Q3         a quarter           2025-07    a month
    2025-01..2025-06  any run of months (inclusive)

Comparisons: the *previous period* is the run of the same number of months just before; the
*same period last year* is the same months one year earlier. Month ends come from the calendar,
so February has 29 days in leap years and 28 otherwise whichever year is compared.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    """The text does not name a period; the message says which form is expected."""


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _from_index(index: int) -> tuple[int, int]:
    year, m = divmod(index, 12)
    return year, m + 1


@dataclass(frozen=True)
class Period:
    """A run of whole months, ``first`` to ``last`` inclusive (both the first day of a month)."""

    first: dt.date
    last: dt.date

    def __post_init__(self):
        if self.first.day != 1 or self.last.day != 1:
            raise PeriodError(_("A period starts and ends on whole months."))
        if self.last < self.first:
            raise PeriodError(_("The period ends before it starts."))

    @classmethod
    def months_of(cls, first_index: int, count: int) -> Period:
        y1, m1 = _from_index(first_index)
        y2, m2 = _from_index(first_index + count - 1)
        return cls(dt.date(y1, m1, 1), dt.date(y2, m2, 1))

    @property
    def start(self) -> dt.date:
        """The first day of the period."""
        return self.first

    @property
    def end(self) -> dt.date:
        """The last day of the period (29 February in a leap year)."""
        return self.last.replace(day=calendar.monthrange(self.last.year, self.last.month)[1])

    @property
    def month_count(self) -> int:
        return (
            _month_index(self.last.year, self.last.month)
            - _month_index(self.first.year, self.first.month)
            + 1
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[dt.date]:
        """The first day of every month in the period."""
        base = _month_index(self.first.year, self.first.month)
        return [dt.date(*_from_index(base + i), 1) for i in range(self.month_count)]

    def month_labels(self) -> list[str]:
        """``YYYY-MM`` of every month (the labels ``brokerage.funnel`` groups by)."""
        return [f"{m:%Y-%m}" for m in self.months()]

    def previous(self) -> Period:
        """The same number of months immediately before."""
        n = self.month_count
        return Period.months_of(_month_index(self.first.year, self.first.month) - n, n)

    def same_period_last_year(self) -> Period:
        return Period(
            self.first.replace(year=self.first.year - 1), self.last.replace(year=self.last.year - 1)
        )

    def whole_year(self) -> int | None:
        """The year when the period is exactly one calendar year, else None."""
        if self.first.month == 1 and self.last.month == 12 and self.first.year == self.last.year:
            return self.first.year
        return None

    @property
    def key(self) -> str:
        """The period written as in a URL (the shortest form that names it)."""
        y, n = self.first.year, self.month_count
        if self.first.year == self.last.year:
            if n == 12:
                return f"{y}"
            if n == 6 and self.first.month in (1, 7):
                return f"{y}-H{1 if self.first.month == 1 else 2}"
            if n == 3 and self.first.month % 3 == 1:
                return f"{y}-Q{(self.first.month - 1) // 3 + 1}"
            if n == 1:
                return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"

    @property
    def label(self) -> str:
        """The period in the register of a bureau report, e.g. 2025年1–6月."""
        y = self.first.year
        if y == self.last.year:
            if self.month_count == 12:
                return _("Year %(y)d") % {"y": y}
            if self.month_count == 1:
                return _("%(y)d, month %(m)d") % {"y": y, "m": self.first.month}
            return _("%(y)d, months %(a)d–%(b)d") % {
                "y": y,
                "a": self.first.month,
                "b": self.last.month,
            }
        return f"{self.first:%Y-%m} – {self.last:%Y-%m}"

    def __str__(self):
        return self.key


_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_MONTHS = 120  # ten years; longer runs are no report anyone writes


def _month(text: str) -> dt.date:
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise PeriodError(
            _("“%(text)s” is not a month: write it as YYYY-MM, e.g. 2025-06.") % {"text": text}
        )
    return dt.date(int(found[1]), int(found[2]), 1)


def parse(text: str) -> Period:
    """The period written as ``2025``, ``2025-H1``, ``2025-Q3``, ``2025-07`` or
    ``2025-01..2025-06``; :class:`PeriodError` names the expected forms otherwise."""
    text = (text or "").strip()
    if found := _YEAR.match(text):
        y = int(found[1])
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 1))
    if found := _HALF.match(text):
        y, h = int(found[1]), int(found[2])
        return Period(dt.date(y, 6 * h - 5, 1), dt.date(y, 6 * h, 1))
    if found := _QUARTER.match(text):
        y, q = int(found[1]), int(found[2])
        return Period(dt.date(y, 3 * q - 2, 1), dt.date(y, 3 * q, 1))
    if ".." in text:
        a, b = text.split("..", 1)
        period = Period(_month(a), _month(b))
        if period.month_count > MAX_MONTHS:
            raise PeriodError(_("A period is at most ten years long."))
        return period
    if _MONTH.match(text):
        m = _month(text)
        return Period(m, m)
    raise PeriodError(
        _("“%(text)s” is not a period: write 2025, 2025-H1, 2025-Q3, 2025-07 or 2025-01..2025-06.")
        % {"text": text}
    )


def year_to_date(today: dt.date) -> Period:
    """January to the current month: the default view (1–N月累计)."""
    return Period(dt.date(today.year, 1, 1), today.replace(day=1))


def choices(today: dt.date) -> list[Period]:
    """The periods offered in the picker: this year so far, last year, recent quarters and months."""
    out = [year_to_date(today), parse(str(today.year - 1))]
    q = (today.month - 1) // 3 + 1
    index = today.year * 4 + q - 1
    for i in range(1, 5):
        y, qq = divmod(index - i, 4)
        out.append(parse(f"{y}-Q{qq + 1}"))
    this_month = _month_index(today.year, today.month)
    for i in range(1, 4):
        out.append(Period.months_of(this_month - i, 1))
    return out
