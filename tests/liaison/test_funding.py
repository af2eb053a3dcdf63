"""Funding programmes, calls and applications (workflow as data), and eligibility hints from an
enterprise profile by rules kept as data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.base import ResourceContract, api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.liaison import models as m
from xiake.liaison.models.funding import eligibility_hints


class TestFundingProgrammes(ResourceContract):
    model = m.FundingProgramme
    factory = staticmethod(lf.make_fundingprogramme)
    reviewed = False
    owner, outsider = "bureau", "university2"
    form_data = {"name": "成果转化专项资金", "issuer": "区科学技术局"}


class TestFundingCalls(ResourceContract):
    model = m.FundingCall
    factory = staticmethod(lf.make_fundingcall)
    reviewed = False
    owner, outsider = "bureau", "university2"
    label_field = "title"

    @property
    def form_data(self):
        programme = lf.make_fundingprogramme()
        return {
            "programme": programme.pk,
            "title": "2027年度成果转化专项资金申报通知",
            "year": 2027,
            "opens_on": "2027-03-01",
            "closes_on": "2027-04-30",
        }


class TestFundingApplications(PrivateContract):
    model = m.FundingApplication
    factory = staticmethod(lf.make_fundingapplication)
    owner, outsider, creator = "enterprise", "enterprise2", "enterprise"
    label_field = "project_title"

    @property
    def form_data(self):
        call = lf.make_fundingcall()
        return {
            "call": call.pk,
            "project_title": "耐蚀焊材联合攻关",
            "amount_requested": "60",
            "summary": "与高校联合开发耐海水腐蚀焊材。",
        }


class TestEnterpriseProfiles(PrivateContract):
    model = m.EnterpriseProfile
    factory = staticmethod(lf.make_enterpriseprofile)
    owner, outsider, creator = "enterprise", "enterprise2", "enterprise"
    label_field = "year"
    form_data = {
        "year": 2025,
        "employees": 50,
        "rd_staff": 10,
        "revenue": "3000",
        "rd_spend": "150",
        "invention_patents": 2,
    }

    def test_owner_edits_and_the_change_is_logged(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.owner])
        data = {
            "year": 2026,
            "employees": 130,
            "rd_staff": 35,
            "revenue": "9000",
            "rd_spend": "600",
            "invention_patents": 7,
        }
        assert client.post(self.url("edit", obj.pk), data).status_code == 302
        obj.refresh_from_db()
        assert obj.year == 2026

    def test_export_holds_only_visible_rows(self, orgs, users):
        obj = self.make(orgs)
        text = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert obj.owner_org.name not in text.content.decode("utf-8-sig")


class TestEligibilityRules(ResourceContract):
    model = m.EligibilityRule
    factory = staticmethod(lf.make_eligibilityrule)
    reviewed = False
    owner, outsider = "bureau", "university2"

    @property
    def form_data(self):
        programme = lf.make_fundingprogramme()
        return {
            "name": "国家高新技术企业",
            "programme": programme.pk,
            "attribute": "is_high_tech",
            "operator": "true",
        }


@pytest.mark.django_db
class TestApplicationWorkflow:
    def test_apply_submit_accept_approve(self, orgs, users):
        from xiake.catalog.models import University

        uni = University.objects.create(name="测试大学", owner_org=orgs["university"])
        call = lf.make_fundingcall()
        app = lf.make_fundingapplication(orgs["enterprise"], call=call)
        firm = client_for(users["enterprise"])
        act = reverse("liaison:application_act", args=[app.pk])
        firm.post(act, {"action": "submit"})
        app.refresh_from_db()
        assert app.status == "draft"  # 产学研 needs a partner university
        app.partner_university = uni
        app.save()
        firm.post(act, {"action": "submit"})
        app.refresh_from_db()
        assert app.status == "submitted" and app.submitted_at is not None
        # once submitted the applicant may no longer edit; the partner university reads it
        assert (
            firm.get(reverse("liaison:fundingapplication_edit", args=[app.pk])).status_code == 403
        )
        assert client_for(users["university"]).get(app.get_absolute_url()).status_code == 200
        assert client_for(users["university2"]).get(app.get_absolute_url()).status_code == 404
        # the applicant may not approve itself
        firm.post(act, {"action": "accept"})
        app.refresh_from_db()
        assert app.status == "submitted"
        bureau = api_for(users["bureau"])
        url = f"/api/v1/liaison/applications/{app.pk}/act/"
        assert bureau.post(url, {"action": "accept"}, format="json").json()["status"] == "accepted"
        too_much = bureau.post(url, {"action": "approve", "amount": "500"}, format="json")
        assert too_much.status_code == 409
        ok = bureau.post(url, {"action": "approve", "amount": "60"}, format="json")
        assert ok.status_code == 200 and ok.json()["status"] == "approved"
        app.refresh_from_db()
        assert app.amount_granted == Decimal("60")

    def test_return_needs_a_reason_and_closed_calls_take_nothing(self, orgs, users):
        past = lf.make_fundingcall(
            programme=lf.make_fundingprogramme(requires_partner=False),
            opens_on=timezone.localdate() - dt.timedelta(days=60),
            closes_on=timezone.localdate() - dt.timedelta(days=1),
        )
        app = lf.make_fundingapplication(orgs["enterprise"], call=past)
        r = api_for(users["enterprise"]).post(
            f"/api/v1/liaison/applications/{app.pk}/act/", {"action": "submit"}, format="json"
        )
        assert r.status_code == 409
        open_call = lf.make_fundingcall(programme=past.programme)
        app2 = lf.make_fundingapplication(orgs["enterprise"], call=open_call)
        app2.act(users["enterprise"], "submit")
        with pytest.raises(Exception, match="Say why|说明"):
            app2.act(users["bureau"], "return", "")
        app2.act(users["bureau"], "return", "请补充合作协议")
        assert app2.status == "returned" and app2.review_comment == "请补充合作协议"

    def test_the_request_may_not_exceed_the_programme_cap(self, orgs, users):
        call = lf.make_fundingcall()
        r = api_for(users["enterprise"]).post(
            "/api/v1/funding-applications/",
            {"call": call.pk, "project_title": "超额", "amount_requested": "500", "summary": "x"},
            format="json",
        )
        assert r.status_code == 400 and "amount_requested" in r.json()


@pytest.mark.django_db
class TestEligibility:
    def test_hints_follow_the_rules_in_force(self, orgs, users):
        programme = lf.make_fundingprogramme(name="成果转化专项资金")
        lf.make_eligibilityrule(programme=programme, name="上年研发费用≥100万元")
        lf.make_eligibilityrule(
            programme=programme, name="研发费用占收入≥5%", attribute="rd_ratio", value=Decimal("5")
        )
        doc = lf.make_policydocument(title="高新技术企业培育扶持办法")
        lf.make_eligibilityrule(
            policy_document=doc,
            name="尚未认定为高新技术企业",
            attribute="is_high_tech",
            operator="false",
            value=None,
        )
        lf.make_eligibilityrule(
            policy_document=doc,
            name="已废止的规则",
            effective_until=timezone.localdate() - dt.timedelta(days=1),
        )
        profile = lf.make_enterpriseprofile(orgs["enterprise"])  # high-tech, 520/8000 = 6.5 %
        hints = {str(h["target"]): h for h in eligibility_hints(profile)}
        assert hints["成果转化专项资金"]["fits"] is True
        assert hints["高新技术企业培育扶持办法"]["fits"] is False
        assert len(hints["高新技术企业培育扶持办法"]["checks"]) == 1  # the expired rule is ignored
        page = client_for(users["enterprise"]).get(profile.get_absolute_url()).content.decode()
        assert "成果转化专项资金" in page and "尚未认定为高新技术企业" in page
        api = api_for(users["enterprise"]).get(
            f"/api/v1/liaison/profiles/{profile.pk}/eligibility/"
        )
        assert {r["target"]: r["fits"] for r in api.json()["results"]} == {
            "成果转化专项资金": True,
            "高新技术企业培育扶持办法": False,
        }
        other = api_for(users["enterprise2"]).get(
            f"/api/v1/liaison/profiles/{profile.pk}/eligibility/"
        )
        assert other.status_code == 404
