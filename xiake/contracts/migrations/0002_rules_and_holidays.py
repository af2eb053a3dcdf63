"""Ship the registration rule sets (2000/2001, MIIT 2026) and the 2025 holiday calendar."""

from django.db import migrations


def load(apps, schema_editor):
    from xiake.contracts.holidays import BUILTIN_YEARS, load_year
    from xiake.contracts.rules import load_rule_sets

    load_rule_sets(apps.get_model("contracts", "RegistrationRuleSet"))
    for year in BUILTIN_YEARS:
        load_year(year, apps.get_model("contracts", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
        ("taxonomy", "0003_contract_schemes"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
