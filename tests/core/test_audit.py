"""Every change and every login lands in the change log with actor, time, IP and request id."""

from django.urls import reverse

from tests import factories as f
from tests.base import client_for
from xiake.core.models import ChangeRecord


def test_logins_failed_logins_and_logouts_are_recorded(users, client):
    client.post(reverse("accounts:login"), {"username": "t_university", "password": "wrong"})
    failed = ChangeRecord.objects.get(action="login_failed")
    assert failed.actor_name == "t_university" and failed.ip == "127.0.0.1"
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
    assert response.status_code == 302
    record = ChangeRecord.objects.filter(object_id=str(ach.pk), action="review").get()
    assert record.before["status"] == "published" and record.after["status"] == "draft"
    assert record.actor == users["bureau"] and record.request_id == "req-42"
    assert "信息有误" in record.comment


def test_the_audit_trail_is_for_the_bureau_only(users):
    assert client_for(users["bureau"]).get(reverse("core:changerecord_list")).status_code == 200
    assert client_for(users["university"]).get(reverse("core:changerecord_list")).status_code == 403
    assert client_for().get(reverse("core:changerecord_list")).status_code == 302
