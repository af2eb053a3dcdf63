"""Working-day arithmetic over weekends, public holidays and adjusted working days."""

import datetime as dt

import pytest

from xiake.contracts.models import RegistrationRuleSet
from xiake.core.calendar import (
    HolidayDataError,
    add_working_days,
    is_working_day,
    load_year,
    parse,
    working_days_between,
)
from xiake.core.models import Holiday

D = dt.date


def test_weekends_are_skipped_without_a_calendar():
    none = ((), ())  # an empty calendar: weekends only, no database
    assert add_working_days(D(2024, 3, 1), 1, *none) == D(2024, 3, 4)  # Friday → Monday
    assert add_working_days(D(2024, 3, 4), 5, *none) == D(2024, 3, 11)
    assert add_working_days(D(2024, 3, 4), 0, *none) == D(2024, 3, 4)
    assert working_days_between(D(2024, 3, 1), D(2024, 3, 11), *none) == 6
    assert working_days_between(D(2024, 3, 11), D(2024, 3, 1), *none) == -6
    with pytest.raises(ValueError):
        add_working_days(D(2024, 3, 4), -1, *none)


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
    assert len({d for d in holidays if d.year == 2025}) == 1 + 8 + 3 + 5 + 3 + 8
    assert len({d for d in workdays if d.year == 2025}) == 5
    # Spring Festival: Friday 24 January + 15 working days: 26 Jan (Sun, worked), 27 Jan;
    # 28 Jan–4 Feb off; 5, 6, 7 Feb; 8 Feb (Sat, worked); 10–14, 17–20 Feb.
    assert add_working_days(D(2025, 1, 24), 15, holidays, workdays) == D(2025, 2, 20)
    assert add_working_days(D(2025, 1, 24), 15, (), ()) == D(2025, 2, 14)  # weekends only
    assert add_working_days(D(2025, 1, 24), 15) == D(2025, 2, 20)  # the calendar in the database
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
            "year": 2027,
            "holidays": [{"name": "元旦", "dates": ["2027-01-01", "2027-01-03"]}],
            "workdays": [{"name": "元旦调休", "dates": ["2027-01-04"]}],
        }
    )
    assert n == 4 and 2027 in Holiday.known_years()
    assert Holiday.objects.get(date=D(2027, 1, 4)).is_workday
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


@pytest.mark.django_db
def test_the_2026_calendar_ships_as_the_state_council_published_it():
    """国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04): 33 days off, 6 weekend days worked."""
    holidays, workdays = Holiday.calendar()
    off = {d for d in holidays if d.year == 2026}
    worked = {d for d in workdays if d.year == 2026}
    assert len(off) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert worked == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert all(d.weekday() >= 5 for d in worked)  # only weekend days are made working days
    # Spring Festival: Thursday 12 February + 3: Fri 13, Sat 14 (worked), then 15–23 off → Tue 24
    assert add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)
    # National Day: Friday 18 September + 15 working days (MIIT 2026 rules): 20 Sep (Sun,
    # worked), 21–24 Sep (25–27 off, 中秋), 28–30 Sep (1–7 Oct off), 8, 9 Oct, 10 Oct (Sat,
    # worked), 12–15 Oct
    assert add_working_days(D(2026, 9, 18), 15) == D(2026, 10, 15)
    assert working_days_between(D(2026, 9, 18), D(2026, 10, 15)) == 15
    miit = RegistrationRuleSet.objects.get(code="miit-2026")
    assert miit.deadline(D(2026, 9, 18)) == D(2026, 10, 15)


@pytest.mark.django_db
def test_the_calendar_is_one_table_for_every_app():
    """Contracts and the liaison app's service levels count with the same days."""
    from xiake.liaison.models import Holiday as LiaisonHoliday
    from xiake.liaison.models.consultations import add_working_days as liaison_add

    assert LiaisonHoliday is Holiday
    Holiday.objects.create(date=D(2031, 3, 3), name="测试假日")  # a Monday
    assert liaison_add(D(2031, 2, 28), 1) == D(2031, 3, 4)
    assert RegistrationRuleSet.objects.get(code="miit-2026").deadline(D(2031, 2, 28)) == D(
        2031, 3, 24
    )


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_empties_the_calendar(orgs):
    """The next test must find the shipped calendar again (tests/conftest.py re-runs core.0002)."""
    assert Holiday.objects.filter(date=D(2026, 10, 1)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_finds_the_calendar_again():
    holidays, workdays = Holiday.calendar()
    assert D(2026, 10, 1) in holidays and D(2026, 10, 10) in workdays
    assert D(2025, 10, 8) in holidays
