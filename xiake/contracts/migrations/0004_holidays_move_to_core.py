"""The holiday calendar moves to core (one calendar for the platform): copy every day of the
contracts calendar that core lacks (years loaded with ``load_holidays``), then drop the table.
Where both have a day, core's row stays (it is the same official calendar)."""

from django.db import migrations


def copy_to_core(apps, schema_editor):
    try:
        old = apps.get_model("contracts", "Holiday")
    except LookupError:  # run again on the current models (tests after a flush): nothing to copy
        return
    new = apps.get_model("core", "Holiday")
    existing = set(new.objects.values_list("date", flat=True))
    new.objects.bulk_create(
        new(date=h.date, name=h.name, is_workday=h.is_working_day, source=h.source)
        for h in old.objects.order_by("date")
        if h.date not in existing
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("contracts", "Holiday")
    new = apps.get_model("core", "Holiday")
    old.objects.bulk_create(
        old(date=h.date, name=h.name, is_working_day=h.is_workday, source=h.source)
        for h in new.objects.order_by("date")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_docking_case_link"),
        ("core", "0002_holiday_calendar"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back, elidable=False),
        migrations.DeleteModel(name="Holiday"),
    ]
