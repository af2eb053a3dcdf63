"""Load the technology-contract schemes (categories, licence scope, party types, technical fields)."""

from django.db import migrations


def load(apps, schema_editor):
    from xiake.taxonomy.builtin import CONTRACT_SCHEMES
    from xiake.taxonomy.loading import load_builtin

    load_builtin(
        apps.get_model("taxonomy", "Scheme"),
        apps.get_model("taxonomy", "Term"),
        schemes=CONTRACT_SCHEMES,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("taxonomy", "0002_builtin_schemes"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
