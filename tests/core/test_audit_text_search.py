"""The audit log's free text is answered through its terms index (``xiake.core.auditsearch``) with
exactly the records the unindexed scan finds: Chinese of one, two and more characters, ASCII in
any case, usernames, request ids, punctuation, on SQLite and on PostgreSQL."""

import csv
import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import factories as f
from tests.base import client_for
from xiake.core import auditdb, auditsearch
from xiake.core.audit import AuditSearchForm
from xiake.core.models import ChangeRecord

AUDIT = "/audit/"
REQUEST_ID = "9f3a2c7e51b04d6e8a1f0c2b3d4e5f60"

# actor, object, comment
RECORDS = [
    ("t_bureau", "海水淡化膜技术合同", "导出 合同登记表.xlsx"),
    ("t_enterprise", "石墨烯导热膜", "update status draft → published"),
    ("t_university", "合成生物学平台", "合 作"),  # 合 alone, 合同 nowhere
    ("user0042", "Catalysis REPORT 2026", f"request {REQUEST_ID}"),
    ("USER0043", "催化剂评估", "Export csv: actor=user0042&q=合同"),
    ("system", "专家库", "登记 同意 合同"),
    ("t_auditor", "ÄRGER-Straße", "Maß und ſtil"),
    ("t_manager", "需求：膜材料（二期）", "合同\n登记"),
    ("anonymous", "", "=HYPERLINK(1) @ -- 50%_off"),
]

QUERIES = [
    # Chinese: one character, two (the common case), three and more, spanning a space, absent
    "合",
    "膜",
    "合同",
    "导出",
    "同登",
    "合同登记",
    "海水淡化膜",
    "合同 登记",
    "合 作",
    "需求：膜",
    "（二期）",
    "不存在",
    "存",
    # ASCII in any case, usernames, request ids (whole and a piece), mixed, punctuation only
    "report",
    "REPORT",
    "Export",
    "x",
    "user0042",
    "USER00",
    "t_",
    REQUEST_ID,
    REQUEST_ID[5:17].upper(),
    "2026",
    "csv: actor=user0042",
    "=HYPERLINK(",
    "@",
    "--",
    "%",
    "_off",
    "Ärger",
    "ärger",
    "straße",
    "stil",
    "ß",
    "→",
]


@pytest.fixture
def log(db):
    old = timezone.now() - dt.timedelta(days=400)
    for i, (actor, obj, comment) in enumerate(RECORDS):
        ChangeRecord(
            action="update", actor_name=actor, object_repr=obj, comment=comment, object_id=str(i)
        ).save()
    # the importer's path writes through bulk_create; old records are the prunable ones
    ChangeRecord.objects.bulk_create(
        ChangeRecord(action="import", actor_name=actor, object_repr=obj, comment=comment, time=old)
        for actor, obj, comment in RECORDS
    )
    return ChangeRecord.objects.count()


def _indexed(text):
    form = AuditSearchForm({"q": text})
    assert form.is_valid(), form.errors
    return set(form.queryset().values_list("pk", flat=True))


def _scanned(text):
    return set(
        ChangeRecord.objects.filter(auditsearch.unindexed(text)).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("text", QUERIES)
def test_the_index_finds_exactly_what_the_scan_finds(log, text):
    assert _indexed(text) == _scanned(text)


def test_common_terms_served_by_the_scan_find_the_same(log, monkeypatch):
    # every record is in the log twice: a term of more than two records counts as common
    monkeypatch.setattr(auditsearch, "COMMON", 2)
    for text in QUERIES:
        assert _indexed(text) == _scanned(text), text
    if connection.vendor == "sqlite":  # PostgreSQL estimates: at 18 records, anything
        assert auditsearch.common(connection, auditsearch.query_terms("合同"))
        assert not auditsearch.common(connection, auditsearch.query_terms("海水淡化膜"))
        index = auditsearch.FTS_TABLE
        assert index not in str(_form_sql("合同")) and index in str(_form_sql("海水淡化膜"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's estimate")
def test_postgresql_estimates_from_the_index_statistics(log, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_changerecord")
    monkeypatch.setattr(auditsearch, "COMMON", 0)
    assert auditsearch.common(connection, auditsearch.query_terms("合同"))
    monkeypatch.setattr(auditsearch, "COMMON", 1_000_000)
    assert not auditsearch.common(connection, auditsearch.query_terms("合同"))


def test_the_queries_cover_hits_and_misses(log):
    hits = {text for text in QUERIES if _scanned(text)}
    assert {"合", "合同", "导出", "海水淡化膜", "report", REQUEST_ID, "user0042"} <= hits
    assert "不存在" not in hits and "存" not in hits
    assert len(_scanned("合同")) == 2 * 4  # each record twice: saved and bulk-created
    assert _scanned("合同") < _scanned("合")


def test_every_query_with_a_letter_or_digit_goes_through_the_index(log):
    for text in QUERIES:
        sql = str(_form_sql(text))
        uses_index = auditsearch.FTS_TABLE in sql or "string_to_array" in sql
        assert uses_index == bool(auditsearch.query_terms(text)), text
    assert auditsearch.query_terms("@ -- %") == []
    assert auditsearch.query_terms("合同") == ["5408540c"]


def _form_sql(text):
    form = AuditSearchForm({"q": text})
    assert form.is_valid(), form.errors
    return form.queryset().query


def test_the_terms_are_each_character_and_each_adjacent_pair(db):
    terms = set(auditsearch.terms_of("合同 Ab").split())
    assert terms == {"5408", "540c", "5408540c", "a", "b", "ab"}
    assert set(auditsearch.query_terms("AB")) == {"ab"}
    assert set(auditsearch.query_terms("合同 b")) <= terms
    record = ChangeRecord(action="login", actor_name="Zed", comment="同")
    record.save()
    assert ChangeRecord.objects.get(pk=record.pk).search_terms == "540c d e ed z ze"


def test_the_database_plans_the_search_through_its_index(log):
    qs = AuditSearchForm({"q": "合同"})
    assert qs.is_valid()
    sql, params = qs.queryset().query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a few rows: the planner would scan; left only bitmap scans, it must pick one
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert auditsearch.PG_INDEX in plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and auditsearch.FTS_TABLE in plan


def test_the_index_is_installed(db):
    assert auditsearch.installed(connection)


def test_pruning_takes_records_out_of_the_index(log):
    pruned = ChangeRecord.objects.prune(timezone.now() - dt.timedelta(days=365))
    assert pruned == len(RECORDS)
    assert _indexed("合同") == _scanned("合同") and len(_scanned("合同")) == 4
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises when the index and the table disagree
            table = auditsearch.FTS_TABLE
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


def test_the_page_and_the_export_use_it(log, orgs):
    auditor = f.make_user("t_auditor2", "audit_admin", None)
    client = client_for(auditor)
    page = client.get(AUDIT, {"q": "合同"})
    assert page.status_code == 200
    assert {r.pk for r in page.context["records"]} == _scanned("合同")
    response = client.get(AUDIT, {"q": "导出", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) - 1 == len(_scanned("导出")) == 2
    assert all("导出" in row[5] + row[8] for row in rows[1:])


BEFORE_INDEX = [("core", "0004_audit_log_append_only")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_the_records_already_in_the_log():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_INDEX)  # and back: the index and the column go, the guard stays
    try:
        assert not auditsearch.installed(connection) and auditdb.installed(connection)
        old = MigrationExecutor(connection).loader.project_state(BEFORE_INDEX).apps
        OldRecord = old.get_model("core", "ChangeRecord")
        for actor, obj, comment in RECORDS:
            OldRecord.objects.create(
                action="update", actor_name=actor, object_repr=obj, comment=comment
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    assert auditsearch.installed(connection) and auditdb.installed(connection)
    assert not ChangeRecord.objects.filter(search_terms="").exists()
    for text in ("合同", "导出", "user0042", "Ärger"):
        assert _indexed(text) == _scanned(text) != set(), text
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_changerecord SET search_terms = ''")  # still append-only
