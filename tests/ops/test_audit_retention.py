"""Retention of the audit log: at least six months, enforced at start-up; ``xiake prune_audit``
deletes only what is older than the retention, and writes that it did."""

import datetime as dt
import io
import os
import subprocess
import sys

from django.core.management import call_command
from django.utils import timezone

from xiake.core.checks import audit_retention
from xiake.core.models import ChangeRecord


def test_a_retention_under_six_months_is_a_start_up_error(settings):
    settings.AUDIT_RETENTION_DAYS = 182
    errors = audit_retention()
    assert [e.id for e in errors] == ["core.E001"] and "183" in errors[0].msg
    settings.AUDIT_RETENTION_DAYS = 183
    assert audit_retention() == []


def test_the_server_and_the_commands_refuse_to_start(tmp_path):
    env = {**os.environ, "AUDIT_RETENTION_DAYS": "30", "XIAKE_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    check = subprocess.run(
        [sys.executable, "-m", "xiake", "check"], env=env, capture_output=True, text=True
    )
    assert check.returncode != 0 and "core.E001" in check.stderr
    wsgi = subprocess.run(
        [sys.executable, "-c", "import xiake.wsgi"], env=env, capture_output=True, text=True
    )
    assert wsgi.returncode != 0 and "AUDIT_RETENTION_DAYS" in wsgi.stderr


def _aged(days, name):
    record = ChangeRecord(
        action="login", actor_name=name, time=timezone.now() - dt.timedelta(days=days)
    )
    record.save()
    return record


def _run(*args):
    out = io.StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


def test_prune_is_a_dry_run_until_applied_and_keeps_the_retention(db, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    _aged(400, "ancient")
    _aged(300, "within-retention")
    _aged(1, "fresh")
    assert "1 audit records older than 365 days" in _run()
    assert ChangeRecord.objects.count() == 3
    assert "1 audit records older than 365 days deleted" in _run("--apply")
    names = set(ChangeRecord.objects.values_list("actor_name", flat=True))
    assert {"within-retention", "fresh"} <= names and "ancient" not in names
    pruned = ChangeRecord.objects.get(action="prune")
    assert "1 records" in pruned.comment and pruned.request_id.startswith("prune-")


def test_prune_at_the_minimum_retention_deletes_only_what_the_database_allows(db, settings):
    settings.AUDIT_RETENTION_DAYS = 183
    _aged(190, "older")
    _aged(170, "younger")
    _run("--apply")
    names = set(ChangeRecord.objects.values_list("actor_name", flat=True))
    assert "older" not in names and "younger" in names
