"""Load the classification lists that ship with xiake (xiake/taxonomy/builtin.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from xiake.taxonomy.loading import load_builtin

    load_builtin(apps.get_model("taxonomy", "Scheme"), apps.get_model("taxonomy", "Term"))


class Migration(migrations.Migration):
    dependencies = [
        ("taxonomy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop, elidable=False),
    ]
