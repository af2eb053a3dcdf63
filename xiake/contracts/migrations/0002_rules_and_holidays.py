"""Ship the registration rule sets (2000/2001, MIIT 2026) and the 2025 holiday calendar.

The calendar has since moved to ``core.Holiday`` (contracts.0004 copies these rows there and
drops the table); this step still fills the old table on a fresh database so that 0004 finds
what it always found. Run again on the current models (tests re-run data migrations after a
flush), the old table no longer exists and only the rule sets are loaded.
"""

from django.db import migrations


def load(apps, schema_editor):
    from xiake.contracts.rules import load_rule_sets
    from xiake.core.calendar import HOLIDAYS_2025, add_missing

    load_rule_sets(apps.get_model("contracts", "RegistrationRuleSet"))
    try:
        old_calendar = apps.get_model("contracts", "Holiday")
    except LookupError:
        return
    add_missing(HOLIDAYS_2025, _OldHoliday(old_calendar))


class _OldHoliday:
    """The old table named its flag ``is_working_day``; adapt the loader's ``is_workday``."""

    def __init__(self, model):
        self.model = model
        self.objects = model.objects

    def __call__(self, is_workday=False, **kwargs):
        return self.model(is_working_day=is_workday, **kwargs)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("taxonomy", "0003_contract_schemes"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
