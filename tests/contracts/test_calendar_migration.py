"""The move of the two holiday calendars into core keeps every day either table held."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

D = dt.date
BEFORE = [
    ("core", "0001_initial"),
    ("contracts", "0003_docking_case_link"),
    ("liaison", "0009_compilation_pages_progress"),
]


@pytest.mark.django_db(transaction=True)
def test_the_contracts_and_liaison_calendars_are_copied_into_core():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    ContractsHoliday = old.get_model("contracts", "Holiday")
    LiaisonHoliday = old.get_model("liaison", "Holiday")
    try:
        # a year loaded into the contracts calendar, a day the bureau typed in liaison's, and a
        # liaison day that contradicts the official calendar
        ContractsHoliday.objects.create(
            date=D(2027, 1, 1), name="元旦", is_working_day=False, source="2027 通知"
        )
        ContractsHoliday.objects.create(date=D(2027, 2, 6), name="春节调休", is_working_day=True)
        LiaisonHoliday.objects.create(date=D(2031, 3, 3), name="区庆假日", is_workday=False)
        LiaisonHoliday.objects.update_or_create(
            date=D(2026, 10, 1), defaults={"name": "错误的名称", "is_workday": True}
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    from xiake.core.models import Holiday

    days = {h.date: h for h in Holiday.objects.all()}
    assert days[D(2027, 1, 1)].name == "元旦" and days[D(2027, 1, 1)].source == "2027 通知"
    assert days[D(2027, 2, 6)].is_workday  # the flag's new name carries the value
    assert days[D(2031, 3, 3)].name == "区庆假日" and not days[D(2031, 3, 3)].is_workday
    # where both had a day, the official calendar shipped with core stays
    assert days[D(2026, 10, 1)].name == "国庆节" and not days[D(2026, 10, 1)].is_workday
    assert D(2025, 10, 8) in days and D(2026, 2, 28) in days
    tables = connection.introspection.table_names()
    assert "contracts_holiday" not in tables and "liaison_holiday" not in tables
