"""Every change and every login lands in the audit log with actor, time, IP and request id; only
the audit administrator searches and exports it."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests import factories as f
from tests.base import client_for
from xiake.core.context import acting_as
from xiake.core.models import ChangeRecord

AUDIT = "/audit/"


@pytest.fixture
def auditor(orgs):
    return f.make_user("t_auditor", "audit_admin", None)


def test_logins_failed_logins_and_logouts_are_recorded(users, client):
    client.post(reverse("accounts:login"), {"username": "t_university", "password": "wrong"})
    failed = ChangeRecord.objects.get(action="login_failed")
    assert failed.actor_name == "t_university" and failed.ip == "127.0.0.1"
    assert failed.request_id and failed.time
    client.post(reverse("accounts:login"), {"username": "t_university", "password": f.PASSWORD})
    login = ChangeRecord.objects.get(action="login")
    assert login.actor == users["university"] and login.request_id
    client.post(reverse("accounts:logout"))
    assert ChangeRecord.objects.filter(action="logout", actor=users["university"]).exists()


def test_a_change_records_before_and_after(orgs, users):
    ach = f.make_achievement(orgs["university"], title="原标题")
    client = client_for(users["bureau"])
    response = client.post(
        reverse("catalog:achievement_review", args=[ach.pk]),
        {"action": "unpublish", "comment": "信息有误"},
        HTTP_X_REQUEST_ID="req-42",
    )
    assert response.status_code == 302 and response["X-Request-ID"] == "req-42"
    record = ChangeRecord.objects.filter(object_id=str(ach.pk), action="review").get()
    assert record.before["status"] == "published" and record.after["status"] == "draft"
    assert record.actor == users["bureau"] and record.request_id == "req-42"
    assert record.ip == "127.0.0.1" and "信息有误" in record.comment


@pytest.mark.parametrize(
    "persona",
    ["bureau", "university", "enterprise", "manager", "institution", "evaluator", "public"],
)
def test_the_audit_log_is_the_audit_administrators_only(users, auditor, persona):
    assert client_for(users[persona]).get(AUDIT).status_code == 403
    assert client_for(users[persona]).get(AUDIT, {"export": "csv"}).status_code == 403


def test_other_administrators_and_superusers_may_not_read_it(orgs, users, auditor):
    system = f.make_user("t_sysadmin", "system_admin", None)
    security = f.make_user("t_secadmin", "security_admin", None)
    root = f.make_user("t_root", "bureau", None, is_superuser=True, is_staff=True)
    for user in (system, security, root):
        assert client_for(user).get(AUDIT).status_code == 403
    assert client_for().get(AUDIT).status_code == 302  # anonymous: to the login page
    assert client_for(auditor).get(AUDIT).status_code == 200


def test_the_menu_offers_the_audit_log_to_the_auditor_only(users, auditor):
    def links(user):
        menu = client_for(user).get("/").context["nav_menu"]
        return {item["url"] for group in menu for item in group["items"]}

    assert AUDIT in links(auditor)
    assert AUDIT not in links(users["bureau"]) and AUDIT not in links(users["enterprise"])


def _seed(users):
    """Records from two actors, two IPs, two request ids, one of them 40 days old."""
    ach = f.make_achievement(users["university"].organization, title="海水淡化膜")
    ct = ContentType.objects.get_for_model(ach)
    with acting_as(users["university"], ip="10.0.0.7", request_id="req-a"):
        ach.title = "海水淡化膜 v2"
        ach.save()
    old = timezone.now() - dt.timedelta(days=40)
    with acting_as(users["enterprise"], ip="10.0.0.9", request_id="req-b"):
        from xiake.core.changelog import record_event

        record_event("export", comment="demand csv 专门的文字")
        ChangeRecord(action="login", actor_name="t_enterprise", time=old, ip="10.0.0.9").save()
    return ach, ct


def _shown(response):
    return list(response.context["records"])


def test_every_filter_narrows_the_search(users, auditor):
    ach, ct = _seed(users)
    client = client_for(auditor)

    def found(**params):
        response = client.get(AUDIT, params)
        assert response.status_code == 200, (params, response.content[:300])
        return _shown(response)

    assert {r.actor_name for r in found(actor="t_enterprise")} == {"t_enterprise"}
    assert {r.action for r in found(action="export")} == {"export"}
    by_object = found(object_type="catalog.achievement", object_id=str(ach.pk))
    assert by_object and all(r.content_type_id == ct.pk for r in by_object)
    assert {r.object_id for r in by_object} == {str(ach.pk)}
    assert {r.request_id for r in found(request_id="req-a")} == {"req-a"}
    assert {r.ip for r in found(ip="10.0.0.9")} == {"10.0.0.9"}
    assert [r.comment for r in found(q="专门的文字")] == ["demand csv 专门的文字"]
    today = timezone.localdate()
    recent = found(date_from=str(today - dt.timedelta(days=1)), actor="t_enterprise")
    assert [r.action for r in recent] == ["export"]
    earlier = found(date_to=str(today - dt.timedelta(days=30)))
    assert [r.action for r in earlier] == ["login"]
    update = next(r for r in by_object if r.action == "update")
    assert ("title", "海水淡化膜", "海水淡化膜 v2") in update.changed_fields()


def test_bad_filters_answer_400_naming_the_field(users, auditor):
    client = client_for(auditor)
    bad_ip = client.get(AUDIT, {"ip": "999.1.1.1"})
    assert bad_ip.status_code == 400 and "IP" in bad_ip.content.decode()
    bad_type = client.get(AUDIT, {"object_type": "catalog.nothing"})
    assert bad_type.status_code == 400 and "catalog.nothing" in bad_type.content.decode()
    reversed_dates = client.get(AUDIT, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert reversed_dates.status_code == 400
    typo = client.get(AUDIT, {"actr": "x"})
    assert typo.status_code == 400 and "actr" in typo.content.decode()
    assert client.get(AUDIT, {"export": "pdf"}).status_code == 400


def test_pages_are_numbered_without_counting(users, auditor):
    with acting_as(users["bureau"], request_id="bulk"):
        ChangeRecord.objects.bulk_create(
            ChangeRecord(action="export", actor_name="t_bureau", request_id="bulk", comment=str(i))
            for i in range(120)
        )
    client = client_for(auditor)
    first = client.get(AUDIT, {"request_id": "bulk"})
    third = client.get(AUDIT, {"request_id": "bulk", "page": 3})
    assert len(_shown(first)) == 50 and first.context["next"] == 2
    assert len(_shown(third)) == 20 and third.context["next"] is None
    seen = {r.pk for r in _shown(first)} | {r.pk for r in _shown(third)}
    assert len(seen) == 70


def test_the_filtered_result_exports_as_csv_and_xlsx_and_the_export_is_audited(users, auditor):
    _seed(users)
    client = client_for(auditor)
    response = client.get(AUDIT, {"actor": "t_enterprise", "export": "csv"})
    assert response.status_code == 200 and response.streaming
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 2 and {row[1] for row in rows[1:]} == {"t_enterprise"}
    export = ChangeRecord.objects.get(actor=auditor, action="export", comment__contains="csv")
    assert export.request_id == response["X-Request-ID"] and "actor=t_enterprise" in export.comment

    response = client.get(AUDIT, {"ip": "10.0.0.7", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert len(values) == 2 and values[1][6] == "10.0.0.7" and "海水淡化膜" in values[1][9]
    assert ChangeRecord.objects.filter(actor=auditor, comment__contains=".xlsx").exists()


def test_a_formula_in_a_record_is_neutralised_in_the_export(users, auditor):
    with acting_as(users["enterprise"]):
        ChangeRecord(action="login_failed", actor_name="=HYPERLINK(1)").save()
    response = client_for(auditor).get(AUDIT, {"action": "login_failed", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
