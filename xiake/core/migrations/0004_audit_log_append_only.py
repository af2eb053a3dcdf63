"""The database refuses UPDATE of any audit record and DELETE of one younger than six months
(``xiake.core.auditdb``); only ``xiake prune_audit`` removes older ones."""

from django.db import migrations


def install(apps, schema_editor):
    from xiake.core import auditdb

    auditdb.install(schema_editor.connection)


def remove(apps, schema_editor):
    from xiake.core import auditdb

    auditdb.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_log_indexes_and_actions")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
