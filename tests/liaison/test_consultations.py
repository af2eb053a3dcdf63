"""Policy library, holiday calendar, SLA rules and the consultation green channel."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.base import ResourceContract, api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.liaison import models as m
from xiake.liaison.models.consultations import add_working_days


class TestPolicyDocuments(ResourceContract):
    model = m.PolicyDocument
    factory = staticmethod(lf.make_policydocument)
    reviewed = True
    owner, outsider = "bureau", "university2"
    label_field = "title"
    form_data = {"title": "关于促进科技成果转化的若干政策", "issuer": "区人民政府"}

    def test_bureau_reviews(self, orgs, users):
        """The bureau writes the library, so it also submits and publishes; members may not."""
        doc = self.make(orgs, status="draft")
        client_for(users["university"]).post(self.url("review", doc.pk), {"action": "submit"})
        doc.refresh_from_db()
        assert doc.status == "draft"
        bureau = client_for(users["bureau"])
        bureau.post(self.url("review", doc.pk), {"action": "submit"})
        bureau.post(self.url("review", doc.pk), {"action": "publish"})
        doc.refresh_from_db()
        assert doc.status == "published"


class TestPolicyClauses(ResourceContract):
    model = m.PolicyClause
    factory = staticmethod(lf.make_policyclause)
    reviewed = False
    owner, outsider = "bureau", "university2"
    label_field = "heading"

    @property
    def form_data(self):
        doc = lf.make_policydocument()
        return {
            "document": doc.pk,
            "number": 1,
            "heading": "目的和依据",
            "text": "为促进成果转化……",
        }


def test_a_policy_page_lists_its_clauses(orgs, users):
    clause = lf.make_policyclause(heading="首次认定奖励")
    page = client_for(users["enterprise"]).get(clause.document.get_absolute_url())
    assert page.status_code == 200 and "首次认定奖励" in page.content.decode()


class TestHolidays(PrivateContract):
    model = m.Holiday
    factory = staticmethod(lf.make_holiday)
    form_data = {"date": "2031-10-01", "name": "国庆节"}


class TestSlaRules(PrivateContract):
    model = m.SlaRule
    factory = staticmethod(lf.make_slarule)
    form_data = {
        "name": "答复时限",
        "working_days": 3,
        "remind_days_before": 1,
        "effective_from": "2025-01-01",
    }


class TestConsultations(PrivateContract):
    model = m.Consultation
    factory = staticmethod(lf.make_consultation)
    owner, outsider, creator = "enterprise", "enterprise2", "enterprise"
    label_field = "subject"
    form_data = {"subject": "高企认定咨询", "question": "研发人员占比如何计算？"}


@pytest.mark.django_db
def test_working_days_follow_the_calendar_in_the_database():
    # The official calendar ships with core (2025: 28 Sep worked, 1–8 Oct off).
    friday = dt.date(2025, 9, 26)
    assert add_working_days(friday, 1) == dt.date(2025, 9, 28)  # a worked Sunday
    assert add_working_days(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)
    # A day the bureau adds counts at once.
    assert add_working_days(dt.date(2031, 2, 28), 1) == dt.date(2031, 3, 3)  # over the weekend
    m.Holiday.objects.create(date=dt.date(2031, 3, 3), name="测试假日")
    assert add_working_days(dt.date(2031, 2, 28), 1) == dt.date(2031, 3, 4)


@pytest.mark.django_db
class TestGreenChannel:
    def test_an_enterprise_asks_and_gets_an_answer(self, orgs, users):
        lf.make_slarule(working_days=3)
        ent = client_for(users["enterprise"])
        r = ent.post(
            reverse("liaison:consultation_add"), {"subject": "加计扣除", "question": "如何归集？"}
        )
        assert r.status_code == 302
        c = m.Consultation.objects.get(subject="加计扣除")
        assert c.owner_org == orgs["enterprise"] and c.status == "submitted"
        # the enterprise may not route or answer its own question
        ent.post(
            reverse("liaison:consultation_act", args=[c.pk]), {"action": "answer", "answer": "x"}
        )
        c.refresh_from_db()
        assert c.status == "submitted"
        bureau = client_for(users["bureau"])
        bureau.post(
            reverse("liaison:consultation_act", args=[c.pk]),
            {"action": "route", "officer": users["bureau"].pk},
        )
        c.refresh_from_db()
        assert c.status == "routed" and c.due_on == add_working_days(timezone.localdate(), 3)
        # closing without an answer is refused, through the page and the API
        ent.post(reverse("liaison:consultation_act", args=[c.pk]), {"action": "close"})
        c.refresh_from_db()
        assert c.status == "routed"
        r = api_for(users["enterprise"]).post(
            f"/api/v1/liaison/consultations/{c.pk}/act/", {"action": "close"}
        )
        assert r.status_code == 409
        bureau.post(
            reverse("liaison:consultation_act", args=[c.pk]),
            {"action": "answer", "answer": "按财税〔2015〕119号归集。"},
        )
        r = api_for(users["enterprise"]).post(
            f"/api/v1/liaison/consultations/{c.pk}/act/", {"action": "close", "satisfaction": 5}
        )
        assert r.status_code == 200
        c.refresh_from_db()
        assert c.status == "closed" and c.satisfaction == 5
        page = ent.get(c.get_absolute_url()).content.decode()
        assert "财税〔2015〕119号" in page

    def test_other_enterprises_see_nothing(self, orgs, users):
        c = lf.make_consultation(orgs["enterprise"])
        assert client_for(users["enterprise2"]).get(c.get_absolute_url()).status_code == 404
        r = api_for(users["enterprise2"]).post(
            f"/api/v1/liaison/consultations/{c.pk}/act/", {"action": "close"}
        )
        assert r.status_code == 404

    def test_officers_are_reminded_before_the_due_date(self, orgs, users):
        from django.core.management import call_command

        lf.make_slarule(working_days=1, remind_days_before=2)
        c = lf.make_consultation(orgs["enterprise"])
        c.route(users["bureau"], users["bureau"])
        call_command("liaison_reminders")
        from xiake.core.models import ChangeRecord

        assert ChangeRecord.objects.filter(
            object_id=str(c.pk), comment__contains="政策咨询"
        ).exists()
