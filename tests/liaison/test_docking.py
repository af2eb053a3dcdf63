"""Docking assignments, contact logs and the coverage view."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.base import api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.catalog.models import University
from xiake.liaison import models as m


class TestAssignments(PrivateContract):
    model = m.Assignment
    factory = staticmethod(lf.make_assignment)
    label_field = "responsible"

    @property
    def form_data(self):
        return {
            "university": lf.make_assignment().university_id,
            "kind": "leader",
            "responsible": "区委副书记",
            "started_on": "2025-01-01",
        }


class TestContactLogs(PrivateContract):
    model = m.ContactLog
    factory = staticmethod(lf.make_contactlog)
    label_field = "summary"

    @property
    def form_data(self):
        return {
            "assignment": lf.make_assignment().pk,
            "date": "2025-03-01",
            "channel": "call",
            "summary": "电话沟通联席会议议题",
        }


@pytest.mark.django_db
class TestDockingScope:
    def test_the_university_reads_its_own_assignments_but_not_others(self, orgs, users):
        mine = lf.make_assignment()
        other = lf.make_assignment(university=lf.university_of(orgs["university2"]))
        client = client_for(users["university"])
        assert client.get(mine.get_absolute_url()).status_code == 200
        assert client.get(other.get_absolute_url()).status_code == 404
        assert client.get(reverse("liaison:assignment_edit", args=[mine.pk])).status_code == 403
        ids = {
            r["id"]
            for r in api_for(users["university"])
            .get("/api/v1/docking-assignments/")
            .json()["results"]
        }
        assert ids == {mine.pk}

    def test_enterprises_and_anonymous_see_nothing(self, orgs, users):
        a = lf.make_assignment()
        assert client_for(users["enterprise"]).get(a.get_absolute_url()).status_code == 404
        assert client_for().get(reverse("liaison:assignment_list")).status_code == 200
        assert api_for().get("/api/v1/docking-assignments/").json()["count"] == 0

    def test_faculty_of_another_university_is_refused(self, orgs, users):
        a = lf.make_assignment()
        other_fac = f_faculty(orgs["university2"])
        response = client_for(users["bureau"]).post(
            reverse("liaison:assignment_edit", args=[a.pk]),
            {
                "university": a.university_id,
                "faculty": other_fac.pk,
                "kind": "leader",
                "responsible": "x",
                "started_on": "2025-01-01",
            },
        )
        assert response.status_code == 400
        assert "faculty" in response.context["form"].errors


def f_faculty(org):
    from tests import factories as f

    return f.make_faculty(org)


@pytest.mark.django_db
class TestCoverage:
    def test_assignments_without_recent_contact_come_first(self, orgs, users):
        today = timezone.localdate()
        fresh = lf.make_assignment()
        lf.make_contactlog(assignment=fresh, date=today - dt.timedelta(days=10))
        old = lf.make_assignment()
        lf.make_contactlog(assignment=old, date=today - dt.timedelta(days=200))
        never = lf.make_assignment()
        ended = lf.make_assignment(
            ended_on=today - dt.timedelta(days=1), started_on=today - dt.timedelta(days=900)
        )
        response = client_for(users["bureau"]).get(reverse("liaison:coverage"), {"months": 3})
        assert response.status_code == 200
        rows = response.context["rows"]
        assert [r.pk for r in rows if r.stale] == [never.pk, old.pk]
        assert fresh.pk in [r.pk for r in rows] and ended.pk not in [r.pk for r in rows]
        data = api_for(users["bureau"]).get("/api/v1/liaison/coverage/", {"months": 12}).json()
        stale = {r["assignment"] for r in data["results"] if r["stale"]}
        assert stale == {never.pk}

    def test_coverage_is_scoped(self, orgs, users):
        lf.make_assignment()
        assert (
            client_for(users["university2"]).get(reverse("liaison:coverage")).context["rows"] == []
        )
        assert client_for().get(reverse("liaison:coverage")).status_code == 302


@pytest.mark.django_db
def test_deleting_a_university_with_assignments_is_refused_with_the_reason(orgs, users):
    a = lf.make_assignment()
    uni = a.university
    client = client_for(users["bureau"])
    response = client.post(reverse("catalog:university_delete", args=[uni.pk]), follow=True)
    assert University.objects.filter(pk=uni.pk).exists()
    text = response.content.decode()
    assert "docking assignment" in text or "对接责任" in text
    api = api_for(users["bureau"]).delete(f"/api/v1/universities/{uni.pk}/")
    assert api.status_code == 409 and "对接责任" in api.json()["detail"]
