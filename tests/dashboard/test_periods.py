"""Period arithmetic: the forms a period is written in, the previous period, the same period last
year, month ends in leap and common years, and the messages for what is not a period."""

import datetime as dt

import pytest

from xiake.dashboard.periods import Period, PeriodError, choices, parse, year_to_date


def span(p: Period) -> tuple[dt.date, dt.date]:
    return p.start, p.end


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("2025-H1", dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
        ("2025-h2", dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
        ("2025-Q3", dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
        ("2025-07", dt.date(2025, 7, 1), dt.date(2025, 7, 31)),
        ("2025-7", dt.date(2025, 7, 1), dt.date(2025, 7, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2023-02", dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
        ("2024-11..2025-02", dt.date(2024, 11, 1), dt.date(2025, 2, 28)),
    ],
)
def test_written_forms(text, start, end):
    assert span(parse(text)) == (start, end)


@pytest.mark.parametrize("text", ["2025", "2025-H2", "2025-Q1", "2025-07", "2025-02..2025-05"])
def test_key_names_the_same_period(text):
    p = parse(text)
    assert parse(p.key) == p
    assert p.key == text


@pytest.mark.parametrize(
    ("text", "previous", "last_year"),
    [
        ("2025", "2024", "2024"),
        ("2025-H1", "2024-H2", "2024-H1"),
        ("2025-Q1", "2024-Q4", "2024-Q1"),
        ("2025-Q3", "2025-Q2", "2024-Q3"),
        ("2025-01", "2024-12", "2024-01"),
        ("2025-03", "2025-02", "2024-03"),
        ("2025-01..2025-06", "2024-H2", "2024-H1"),
        ("2024-11..2025-02", "2024-07..2024-10", "2023-11..2024-02"),
        ("2025-01..2025-11", "2024-02..2024-12", "2024-01..2024-11"),
    ],
)
def test_previous_period_and_same_period_last_year(text, previous, last_year):
    p = parse(text)
    assert p.previous() == parse(previous)
    assert p.same_period_last_year() == parse(last_year)
    assert p.previous().month_count == p.month_count == p.same_period_last_year().month_count


def test_leap_years_end_february_on_the_29th_whichever_year_is_compared():
    feb_2025 = parse("2025-02")
    assert feb_2025.end == dt.date(2025, 2, 28)
    assert feb_2025.same_period_last_year().end == dt.date(2024, 2, 29)
    assert feb_2025.previous().end == dt.date(2025, 1, 31)
    feb_2024 = parse("2024-02")
    assert feb_2024.same_period_last_year().end == dt.date(2023, 2, 28)
    assert parse("2024").days == 366 and parse("2023").days == 365
    assert parse("2024-Q1").days == 91 and parse("2025-Q1").days == 90
    # Across the turn of a century: 2100 is not a leap year, 2000 was.
    assert parse("2100-02").end == dt.date(2100, 2, 28)
    assert parse("2000-02").end == dt.date(2000, 2, 29)
    assert parse("2001-02").same_period_last_year().end == dt.date(2000, 2, 29)


def test_months_and_their_labels():
    p = parse("2024-11..2025-02")
    assert p.month_labels() == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert p.months()[0] == dt.date(2024, 11, 1) and len(p.months()) == 4
    assert parse("2025").whole_year() == 2025
    assert parse("2025-H1").whole_year() is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "2025-Q3"),
        ("last year", "last year"),
        ("2025-13", "2025-13"),
        ("2025-Q5", "2025-Q5"),
        ("2025-06..2025-01", ""),
        ("2025-06..June", "June"),
        ("2000-01..2025-01", ""),
    ],
)
def test_what_is_not_a_period_is_refused_with_the_text_in_the_message(text, says):
    with pytest.raises(PeriodError) as err:
        parse(text)
    assert says in str(err.value) and str(err.value)


def test_year_to_date_and_the_choices_offered():
    today = dt.date(2026, 3, 15)
    ytd = year_to_date(today)
    assert ytd.key == "2026-Q1" and ytd.same_period_last_year().key == "2025-Q1"
    assert year_to_date(dt.date(2026, 1, 31)).key == "2026-01"
    offered = [p.key for p in choices(today)]
    assert offered[:2] == ["2026-Q1", "2025"]
    assert "2025-Q4" in offered and "2025-Q1" in offered and "2026-02" in offered
    assert len(offered) == len(set(offered))
