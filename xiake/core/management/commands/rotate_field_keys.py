"""Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS and recompute the
blind indexes (after a new FIELD_INDEX_KEY). Key rotation, step by step: docs/operations.md."""

import base64
import secrets

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from xiake.core import crypto

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields with the first key and recompute blind indexes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="print a new encryption key and index key"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only count the values not yet under the first key (exit 1 if any)",
        )

    def handle(self, *args, new_key=False, check=False, **options):
        if new_key:
            self.stdout.write(f"FIELD_ENCRYPTION_KEYS={Fernet.generate_key().decode()},…")
            index = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            self.stdout.write(f"FIELD_INDEX_KEY={index}")
            return
        if check:
            stale = self.count_stale()
            self.stdout.write(f"{stale} value(s) not under the first key")
            if stale:
                raise SystemExit(1)
            return
        for model, fields, indexes in crypto.encrypted_fields():
            n = self.rotate(model, fields, indexes)
            self.stdout.write(f"{model._meta.label}: {n} row(s)")
        self.stdout.write(self.style.SUCCESS(f"{self.count_stale()} value(s) left under old keys"))

    def rotate(self, model, fields, indexes) -> int:
        names = [f.name for f in fields] + [i.source for i in indexes]
        flags = [f.flag for f in fields if isinstance(f, crypto.SealedValuesField)]
        qs = model._base_manager.order_by("pk").only("pk", *dict.fromkeys(names + flags))
        update = [f.name for f in fields] + [i.name for i in indexes]
        count, batch = 0, []
        with transaction.atomic():
            for obj in qs.iterator(chunk_size=BATCH):
                for index in indexes:
                    setattr(obj, index.attname, index.compute(obj))
                batch.append(obj)
                if len(batch) == BATCH:
                    # bulk_update writes each value through get_db_prep_value: a new token
                    model._base_manager.bulk_update(batch, update)
                    count, batch = count + len(batch), []
            if batch:
                model._base_manager.bulk_update(batch, update)
                count += len(batch)
        return count

    def count_stale(self) -> int:
        qn = connection.ops.quote_name
        stale = 0
        for model, fields, _indexes in crypto.encrypted_fields():
            for f in fields:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {qn(f.column)} FROM {qn(model._meta.db_table)} "  # noqa: S608
                        f"WHERE {qn(f.column)} IS NOT NULL AND {qn(f.column)} <> ''"
                    )
                    stale += sum(not crypto.is_primary(token) for (token,) in cursor.fetchall())
        return stale
