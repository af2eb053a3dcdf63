"""Events: capacity-safe registration (also under concurrency), QR check-in, feedback, and the
count of distinct enterprises served."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.base import ResourceContract, api_for, client_for
from tests.liaison import factories as lf
from xiake.liaison import models as m
from xiake.liaison.models.events import EventFull, enterprises_served


class TestEvents(ResourceContract):
    model = m.Event
    factory = staticmethod(lf.make_event)
    reviewed = False
    creator = "university"
    label_field = "title"
    form_data = {
        "title": "高校专家巡诊：焊接工艺",
        "event_type": "clinic",
        "starts_at": "2025-05-01 09:00",
        "ends_at": "2025-05-01 12:00",
        "capacity": 30,
        "registration_open": "on",
        "is_public": "on",
    }


class TestRegistrations(ResourceContract):
    model = m.Registration
    factory = staticmethod(lf.make_registration)
    reviewed = False
    public = False
    label_field = "attendee_name"
    owner = "university"  # the organiser of the event

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        event = lf.make_event(Organization.objects.get(name="测试大学"))
        return {"event": event.pk, "kind": "enterprise", "attendee_name": "李工"}

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.outsider])
        assert client.get(self.url("edit", obj.pk)).status_code == 404
        assert api_for(users[self.outsider]).delete(self.api_url(obj)).status_code == 404

    def test_export_holds_only_visible_rows(self, orgs, users):
        obj = self.make(orgs)
        text = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert obj.attendee_name not in text.content.decode("utf-8-sig")


@pytest.mark.django_db
class TestRegistrationAndCheckIn:
    def test_an_enterprise_registers_checks_in_and_rates(self, orgs, users):
        now = timezone.now()
        event = lf.make_event(
            orgs["university"],
            starts_at=now - dt.timedelta(minutes=30),
            ends_at=now + dt.timedelta(hours=2),
            capacity=2,
        )
        ent = client_for(users["enterprise"])
        r = ent.post(
            reverse("liaison:event_register", args=[event.pk]), {"attendee_name": "王建国"}
        )
        assert r.status_code == 302
        reg = m.Registration.objects.get(event=event)
        assert reg.enterprise == orgs["enterprise"] and reg.user == users["enterprise"]
        event.refresh_from_db()
        assert event.registered_count == 1
        page = ent.get(event.get_absolute_url()).content.decode()
        assert reverse("liaison:registration_qr", args=[reg.pk]) in page
        qr = ent.get(reverse("liaison:registration_qr", args=[reg.pk]))
        assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
        # a second registration by the same user is not taken
        ent.post(reverse("liaison:event_register", args=[event.pk]))
        event.refresh_from_db()
        assert event.registered_count == 1
        # another enterprise cannot check this registration in, nor see its QR code
        other = client_for(users["enterprise2"])
        assert other.post(reverse("liaison:checkin", args=[reg.token])).status_code == 403
        assert other.get(reverse("liaison:registration_qr", args=[reg.pk])).status_code == 404
        # self check-in during the event
        r = ent.post(reverse("liaison:checkin", args=[reg.token]))
        assert r.status_code == 200
        reg.refresh_from_db()
        assert reg.checked_in_at is not None
        ent.post(
            reverse("liaison:registration_feedback", args=[reg.pk]),
            {"rating": 5, "feedback": "很实用"},
        )
        reg.refresh_from_db()
        assert reg.rating == 5

    def test_the_organiser_checks_in_by_token_through_the_api(self, orgs, users):
        event = lf.make_event(orgs["university"])
        r = api_for(users["enterprise"]).post(f"/api/v1/liaison/events/{event.pk}/register/", {})
        assert r.status_code == 201
        token = r.json()["token"]
        # before the event, the registrant may not check in alone; the organiser may
        assert (
            api_for(users["enterprise"]).post(f"/api/v1/liaison/checkin/{token}/").status_code
            == 403
        )
        r = api_for(users["university"]).post(f"/api/v1/liaison/checkin/{token}/")
        assert r.status_code == 200 and r.json()["first"] is True
        assert (
            api_for(users["university2"]).post(f"/api/v1/liaison/checkin/{token}/").status_code
            == 403
        )

    def test_a_full_event_refuses_registration(self, orgs, users):
        event = lf.make_event(orgs["university"], capacity=1)
        lf.make_registration(event=event)
        r = api_for(users["enterprise2"]).post(f"/api/v1/liaison/events/{event.pk}/register/", {})
        assert r.status_code == 409
        with pytest.raises(EventFull):
            lf.make_registration(event=event)
        event.refresh_from_db()
        assert event.registered_count == 1 and event.registrations.count() == 1
        # a cancelled (deleted) registration frees its place
        event.registrations.get().delete()
        event.refresh_from_db()
        assert event.registered_count == 0

    def test_private_events_answer_404_to_others(self, orgs, users):
        event = lf.make_event(orgs["university"], is_public=False)
        assert client_for(users["enterprise"]).get(event.get_absolute_url()).status_code == 404
        r = api_for(users["enterprise"]).post(f"/api/v1/liaison/events/{event.pk}/register/", {})
        assert r.status_code == 404


@pytest.mark.django_db
def test_distinct_enterprises_served_counts_each_enterprise_once(orgs, users):
    ents = [f.make_org(f"服务企业{i}", "enterprise") for i in range(3)]
    jan = timezone.make_aware(dt.datetime(2025, 1, 10, 9))
    jun = timezone.make_aware(dt.datetime(2025, 6, 10, 9))
    events = [
        lf.make_event(orgs["university"], starts_at=t, ends_at=t + dt.timedelta(hours=2))
        for t in (jan, jan, jun)
    ]
    for ev in events:  # ents[0] attends all three
        lf.make_registration(event=ev, enterprise=ents[0]).check_in()
    lf.make_registration(event=events[0], enterprise=ents[1]).check_in()
    lf.make_registration(event=events[2], enterprise=ents[2])  # registered, never came
    assert enterprises_served() == 2
    assert enterprises_served(dt.date(2025, 6, 1), dt.date(2025, 6, 30)) == 1
    assert enterprises_served(attended_only=False) == 3
    page = client_for(users["bureau"]).get(
        reverse("liaison:served"), {"from": "2025-01-01", "to": "2025-01-31"}
    )
    assert page.context["served"] == 2
    api = api_for(users["bureau"]).get("/api/v1/liaison/events/served/").json()
    assert api["enterprises_served"] == 2 and api["enterprises_registered"] == 3
    assert client_for(users["enterprise"]).get(reverse("liaison:served")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_exceed_capacity():
    """20 threads, each its own connection, race for 5 places: exactly 5 win, on SQLite and
    PostgreSQL alike (run with DATABASE_URL=postgres://… for the latter)."""
    organiser = f.make_org("并发测试主办方", "university")
    event = lf.make_event(organiser, capacity=5)
    ents = [f.make_org(f"并发企业{i}", "enterprise") for i in range(20)]
    barrier = threading.Barrier(len(ents))
    results = []

    def attempt(ent):
        try:
            barrier.wait()
            for _ in range(50):  # SQLite's shared in-memory test database reports locks
                try:
                    m.Registration.objects.create(
                        event_id=event.pk, enterprise=ent, attendee_name="x"
                    )
                    results.append("ok")
                    return
                except EventFull:
                    results.append("full")
                    return
                except Exception as exc:  # noqa: BLE001 - only lock errors are retried
                    if "locked" not in str(exc):
                        results.append(repr(exc))
                        return
                    threading.Event().wait(0.01)
            results.append("gave up")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(e,)) for e in ents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    event.refresh_from_db()
    assert sorted(set(results)) == ["full", "ok"], (connection.vendor, results)
    assert results.count("ok") == 5 and results.count("full") == 15
    assert event.registered_count == 5 == m.Registration.objects.filter(event=event).count()
