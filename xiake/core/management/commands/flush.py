"""Django's ``flush`` (empty every table: an operator's act, and the end of every transactional
test), able to empty the audit log on SQLite too.

On PostgreSQL flush is TRUNCATE, which row triggers do not see (the recommended grants deny the
application role TRUNCATE: docs/operations.md). SQLite has no TRUNCATE, so its append-only
triggers are lifted for the DELETE and put back in the same transaction.
"""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections, transaction

from xiake.core import auditdb


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or not auditdb.installed(connection):
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            auditdb.remove(connection)
            try:
                return super().handle(**options)
            finally:
                auditdb.install(connection)
