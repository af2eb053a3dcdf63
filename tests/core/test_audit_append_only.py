"""The audit log is append-only for the application: the model refuses, and so does the database
when raw SQL goes through the application's own connection (run on SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests import factories as f
from xiake.core import auditdb
from xiake.core.models import AppendOnlyError, ChangeRecord


def _old_and_young():
    young = ChangeRecord(action="login", actor_name="young")
    young.save()
    old = ChangeRecord(
        action="login", actor_name="old", time=timezone.now() - dt.timedelta(days=400)
    )
    old.save()
    return old, young


def test_the_model_refuses_to_change_or_delete_a_record(db):
    old, young = _old_and_young()
    young.comment = "rewritten"
    with pytest.raises(AppendOnlyError):
        young.save()
    with pytest.raises(AppendOnlyError):
        young.delete()
    with pytest.raises(AppendOnlyError):
        ChangeRecord.objects.filter(pk=young.pk).update(comment="x")
    with pytest.raises(AppendOnlyError):
        ChangeRecord.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ChangeRecord.objects.bulk_update([young], ["comment"])
    assert ChangeRecord.objects.get(pk=young.pk).comment == ""
    assert ChangeRecord.objects.count() == 2


def test_the_triggers_are_installed(db):
    assert auditdb.installed(connection)


def _refused(sql, params):
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert "append-only" in str(caught.value)


def test_the_database_refuses_raw_update_of_any_record(db):
    old, young = _old_and_young()
    for record in (old, young):
        _refused("UPDATE core_changerecord SET comment = %s WHERE id = %s", ["forged", record.pk])
        _refused("UPDATE core_changerecord SET actor_name = %s WHERE id = %s", ["x", record.pk])
    assert set(ChangeRecord.objects.values_list("comment", flat=True)) == {""}


def test_the_database_refuses_raw_delete_of_a_young_record_but_not_of_an_old_one(db):
    old, young = _old_and_young()
    _refused("DELETE FROM core_changerecord WHERE id = %s", [young.pk])
    _refused("DELETE FROM core_changerecord", [])
    assert ChangeRecord.objects.count() == 2
    with connection.cursor() as cursor:  # older than the legal minimum: pruning may delete it
        cursor.execute("DELETE FROM core_changerecord WHERE id = %s", [old.pk])
    assert list(ChangeRecord.objects.values_list("actor_name", flat=True)) == ["young"]


def test_deleting_a_user_leaves_the_log_as_written(orgs):
    user = f.make_user("t_leaver", "enterprise", orgs["enterprise"])
    records = list(ChangeRecord.objects.filter(actor_name="t_leaver").values_list("pk", flat=True))
    user.delete()
    kept = ChangeRecord.objects.filter(pk__in=records)
    assert kept.count() == len(records) and all(r.actor_id == user.id for r in kept)


def test_no_admin_page_adds_changes_or_deletes_records(rf, users):
    model_admin = admin.site._registry.get(ChangeRecord)
    if model_admin is None:
        return  # not in the admin at all
    request = rf.get("/admin/")
    request.user = users["bureau"]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
