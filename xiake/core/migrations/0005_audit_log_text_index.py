"""The audit log's free-text index (``xiake.core.auditsearch``): each record's terms in a column,
a GIN index over them on PostgreSQL, an FTS5 table kept by triggers on SQLite.

The records already in the log get their terms here, the one UPDATE the log ever sees: the
append-only triggers are lifted for it and put back (on SQLite adding the column rebuilds the table,
which drops them anyway). Run as the table's owner (docs/operations.md), as every migration is.
"""

from django.db import migrations, models

BATCH = 5000


def index_the_log(apps, schema_editor):
    from xiake.core import auditdb, auditsearch

    connection = schema_editor.connection
    auditdb.remove(connection)
    with connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                "SELECT id, actor_name, object_repr, comment FROM core_changerecord"
                " WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            cursor.executemany(
                "UPDATE core_changerecord SET search_terms = %s WHERE id = %s",
                [(auditsearch.terms_of(*texts), pk) for pk, *texts in rows],
            )
            last = rows[-1][0]
    auditsearch.install(connection)
    auditdb.install(connection)


def drop_the_index(apps, schema_editor):
    from xiake.core import auditsearch

    auditsearch.remove(schema_editor.connection)


def guard_the_log(apps, schema_editor):
    # Undoing the column rebuilds the table on SQLite, which drops the append-only triggers.
    from xiake.core import auditdb

    auditdb.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_log_append_only")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, guard_the_log, elidable=False),
        migrations.AddField(
            model_name="changerecord",
            name="search_terms",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(index_the_log, drop_the_index, elidable=False),
    ]
