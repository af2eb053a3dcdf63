"""The holiday calendar moves to core (one calendar for the platform): copy every day the bureau
kept here that core lacks, with who typed it and when, then drop the table. Where both have a
day, core's row stays (the official calendar shipped by core.0002)."""

from django.db import migrations


def copy_to_core(apps, schema_editor):
    try:
        old = apps.get_model("liaison", "Holiday")
    except LookupError:  # run again on the current models (tests after a flush): nothing to copy
        return
    new = apps.get_model("core", "Holiday")
    existing = set(new.objects.values_list("date", flat=True))
    rows = [
        new(
            date=h.date,
            name=h.name,
            is_workday=h.is_workday,
            created_by_id=h.created_by_id,
        )
        for h in old.objects.order_by("date")
        if h.date not in existing
    ]
    new.objects.bulk_create(rows)
    # auto_now_add stamps the copy; keep the original creation time.
    for h in old.objects.filter(date__in=[r.date for r in rows]):
        new.objects.filter(date=h.date).update(created_at=h.created_at, updated_at=h.updated_at)


def copy_back(apps, schema_editor):
    old = apps.get_model("liaison", "Holiday")
    new = apps.get_model("core", "Holiday")
    old.objects.bulk_create(
        old(date=h.date, name=h.name, is_workday=h.is_workday, created_by_id=h.created_by_id)
        for h in new.objects.order_by("date")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("liaison", "0009_compilation_pages_progress"),
        ("core", "0002_holiday_calendar"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back, elidable=False),
        migrations.DeleteModel(name="Holiday"),
    ]
