"""Working-day arithmetic over weekends, public holidays and adjusted working days."""

import datetime as dt

import pytest

from xiake.contracts.holidays import HolidayDataError, load_year, parse
from xiake.contracts.models import Holiday, RegistrationRuleSet
from xiake.contracts.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


def test_weekends_are_skipped_without_a_calendar():
    assert add_working_days(D(2024, 3, 1), 1) == D(2024, 3, 4)  # Friday → Monday
    assert add_working_days(D(2024, 3, 4), 5) == D(2024, 3, 11)
    assert add_working_days(D(2024, 3, 4), 0) == D(2024, 3, 4)
    assert working_days_between(D(2024, 3, 1), D(2024, 3, 11)) == 6
    assert working_days_between(D(2024, 3, 11), D(2024, 3, 1)) == -6
    with pytest.raises(ValueError):
        add_working_days(D(2024, 3, 4), -1)


def test_holidays_and_adjusted_working_days_as_arguments():
    holidays = {D(2025, 5, d) for d in range(1, 6)}
    workdays = {D(2025, 4, 27)}
    assert is_working_day(D(2025, 4, 27), holidays, workdays)  # a Sunday worked
    assert not is_working_day(D(2025, 5, 2), holidays, workdays)  # a Friday off
    # Friday 25 April + 1 → Sunday 27 April (adjusted); 28, 29, 30 April; + 5 → Tuesday 6 May
    assert add_working_days(D(2025, 4, 25), 1, holidays, workdays) == D(2025, 4, 27)
    assert add_working_days(D(2025, 4, 25), 5, holidays, workdays) == D(2025, 5, 6)


@pytest.mark.django_db
def test_the_2025_calendar_ships_and_drives_deadlines():
    holidays, workdays = Holiday.calendar()
    assert D(2025, 1, 28) in holidays and D(2025, 2, 4) in holidays
    assert D(2025, 1, 26) in workdays and D(2025, 2, 8) in workdays
    assert {D(2025, 9, 28), D(2025, 10, 11)} <= workdays
    assert len(holidays) == 1 + 8 + 3 + 5 + 3 + 8 and len(workdays) == 5
    # Spring Festival: Friday 24 January + 15 working days: 26 Jan (Sun, worked), 27 Jan;
    # 28 Jan–4 Feb off; 5, 6, 7 Feb; 8 Feb (Sat, worked); 10–14, 17–20 Feb.
    assert add_working_days(D(2025, 1, 24), 15, holidays, workdays) == D(2025, 2, 20)
    assert add_working_days(D(2025, 1, 24), 15) == D(2025, 2, 14)  # weekends only
    # National Day: Friday 26 September + 15: 28 Sep (Sun) worked, 29, 30 Sep, 9, 10, 11 (Sat),
    # 13–17, 20–23 October
    assert add_working_days(D(2025, 9, 26), 15, holidays, workdays) == D(2025, 10, 23)
    miit = RegistrationRuleSet.objects.get(code="miit-2026")
    assert miit.deadline(D(2025, 9, 26)) == D(2025, 10, 23)
    old = RegistrationRuleSet.objects.get(code="2000")
    assert old.deadline(D(2025, 9, 26)) == D(2025, 10, 26)  # 30 calendar days


@pytest.mark.django_db
def test_rules_in_force_follow_the_effective_date():
    assert RegistrationRuleSet.in_force(D(2025, 12, 31)).code == "2000"
    assert RegistrationRuleSet.in_force(D(2026, 1, 23)).code == "miit-2026"
    with pytest.raises(LookupError):
        RegistrationRuleSet.in_force(D(1999, 1, 1))


@pytest.mark.django_db
def test_a_later_year_loads_and_bad_files_are_refused_naming_the_entry():
    n = load_year(
        {
            "year": 2026,
            "holidays": [{"name": "元旦", "dates": ["2026-01-01", "2026-01-03"]}],
            "workdays": [{"name": "元旦调休", "dates": ["2026-01-04"]}],
        }
    )
    assert n == 4 and 2026 in Holiday.known_years()
    with pytest.raises(HolidayDataError, match=r"holidays\[0\]"):
        parse({"year": 2026, "holidays": [{"name": "x", "dates": ["2027-01-01"]}]})
    with pytest.raises(HolidayDataError, match="appears twice"):
        parse(
            {
                "year": 2026,
                "holidays": [{"name": "a", "dates": ["2026-01-01"]}],
                "workdays": [{"name": "b", "dates": ["2026-01-01"]}],
            }
        )
