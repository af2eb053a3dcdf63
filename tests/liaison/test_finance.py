"""Tech finance: the generic contract for every resource, and the permission boundaries between a
firm, the alliance's investors, outsiders and the bureau, tested from outside (pages and API)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories as f
from tests.base import ResourceContract, api_for, client_for
from tests.liaison import factories as lf
from tests.liaison.base import PrivateContract
from xiake.liaison import models as m


class TestInvestors(ResourceContract):
    model = m.Investor
    factory = staticmethod(lf.make_investor)
    reviewed = False
    public = False
    owner, outsider = "enterprise", "enterprise2"  # fund managers are registered as enterprises
    label_field = "focus"
    form_data = {"kind": "angel", "focus": "人工智能早期项目", "joined_on": "2025-03-01"}


class TestFinancingNeeds(PrivateContract):
    model = m.FinancingNeed
    factory = staticmethod(lf.make_financingneed)
    owner, outsider, creator = "enterprise", "enterprise2", "enterprise"
    label_field = "title"
    form_data = {
        "title": "知识产权质押融资",
        "amount": "300.00",
        "stage": "growth",
        "method": "ip_pledge",
        "use_of_funds": "采购检测设备",
        "ip_to_pledge": "ZL202310123456.7",
        "status": "open",
        "share_with_investors": "on",
    }


class TestRoadshowSessions(PrivateContract):
    model = m.RoadshowSession
    factory = staticmethod(lf.make_roadshowsession)
    label_field = "title"
    form_data = {"title": "新材料专场路演", "held_at": "2026-12-10 14:00", "venue": "路演中心"}


class TestInvestorInterests(PrivateContract):
    model = m.InvestorInterest
    factory = staticmethod(lf.make_investorinterest)
    owner, creator = "enterprise2", "enterprise2"  # enterprise2 plays an alliance fund
    label_field = "note"

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        lf.make_investor(Organization.objects.get(name="另一家科技有限公司"))
        need = lf.make_financingneed()
        return {"need": need.pk, "status": "interested", "note": "看好专利组合"}


class TestFollowUps(PrivateContract):
    model = m.FollowUp
    factory = staticmethod(lf.make_followup)
    owner, creator = "enterprise2", "enterprise2"
    label_field = "note"

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        interest = lf.make_investorinterest(Organization.objects.get(name="另一家科技有限公司"))
        return {"interest": interest.pk, "date": "2026-11-20", "channel": "call", "note": "电话"}


class TestInvestments(PrivateContract):
    model = m.Investment
    factory = staticmethod(lf.make_investment)
    label_field = "note"

    @property
    def form_data(self):
        from xiake.accounts.models import Organization

        firm = Organization.objects.get(name="测试材料科技有限公司")
        return {"owner_org": firm.pk, "round": "a", "amount": "2000", "closed_on": "2026-10-01"}


class TestInvestmentShares(PrivateContract):
    model = m.InvestmentShare
    factory = staticmethod(lf.make_investmentshare)
    label_field = "note"

    @property
    def form_data(self):
        investment = lf.make_investment()
        from xiake.accounts.models import Organization

        fund, _ = Organization.objects.get_or_create(name="跟投基金", org_type="enterprise")
        investor = lf.make_investor(fund)
        return {"investment": investment.pk, "investor": investor.pk, "amount": "300"}


# -- boundaries ------------------------------------------------------------------------------------


@pytest.fixture
def world(orgs, users):
    """enterprise: a firm with a shared and an unshared need; university2's org is not an
    investor; two funds (each with a user) are in the alliance."""
    fund_a, fund_b = f.make_org("甲创投基金", "enterprise"), f.make_org("乙产业基金", "enterprise")
    lf.make_investor(fund_a), lf.make_investor(fund_b, kind="pe")
    return {
        "shared": lf.make_financingneed(orgs["enterprise"], title="共享的融资需求"),
        "private": lf.make_financingneed(
            orgs["enterprise"], title="不共享的融资需求", share_with_investors=False
        ),
        "fund_a": fund_a,
        "fund_b": fund_b,
        "user_a": f.make_user("fund_a", "enterprise", fund_a),
        "user_b": f.make_user("fund_b", "enterprise", fund_b),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
class TestFinanceBoundaries:
    def test_investors_see_shared_needs_only_other_firms_see_none(self, world, users):
        shared, private = world["shared"], world["private"]
        assert ids(api_for(world["user_a"]).get("/api/v1/financing-needs/")) == {shared.pk}
        assert api_for(world["user_a"]).get(f"/api/v1/financing-needs/{private.pk}/").status_code
        assert (
            client_for(world["user_a"]).get(private.get_absolute_url()).status_code == 404
        )  # page too
        for persona in ("enterprise2", "university2", "public"):
            assert ids(api_for(users[persona]).get("/api/v1/financing-needs/")) == set()
            assert client_for(users[persona]).get(shared.get_absolute_url()).status_code == 404
        assert ids(api_for(users["enterprise"]).get("/api/v1/financing-needs/")) == {
            shared.pk,
            private.pk,
        }
        assert ids(api_for().get("/api/v1/financing-needs/")) == set()

    def test_an_investor_may_not_change_a_firms_need(self, world):
        r = api_for(world["user_a"]).patch(
            f"/api/v1/financing-needs/{world['shared'].pk}/", {"amount": "1"}, format="json"
        )
        assert r.status_code == 403
        world["shared"].refresh_from_db()
        assert world["shared"].amount == Decimal("800.00")

    def test_interest_only_from_alliance_investors_in_shared_needs(self, world, users):
        api = api_for(world["user_a"])
        ok = api.post(
            "/api/v1/investor-interests/",
            {"need": world["shared"].pk, "status": "interested", "owner_org": world["fund_b"].pk},
            format="json",
        )
        assert ok.status_code == 201, ok.content
        interest = m.InvestorInterest.objects.get(pk=ok.json()["id"])
        assert interest.owner_org == world["fund_a"]  # never on another's behalf
        hidden = api.post(
            "/api/v1/investor-interests/", {"need": world["private"].pk}, format="json"
        )
        assert hidden.status_code == 400
        # a firm outside the alliance may not express interest at all
        outsider = api_for(users["enterprise2"]).post(
            "/api/v1/investor-interests/", {"need": world["shared"].pk}, format="json"
        )
        assert outsider.status_code == 403
        assert (
            client_for(users["enterprise2"]).get("/liaison/investor-interests/add/").status_code
            == 403
        )

    def test_the_firm_reads_interest_in_its_need_but_does_not_change_it(self, world, users):
        interest = lf.make_investorinterest(world["fund_a"], need=world["shared"])
        firm = api_for(users["enterprise"])
        assert ids(firm.get("/api/v1/investor-interests/")) == {interest.pk}
        assert (
            firm.patch(
                f"/api/v1/investor-interests/{interest.pk}/", {"status": "declined"}, format="json"
            ).status_code
            == 403
        )
        other_fund = api_for(world["user_b"])
        assert other_fund.get(f"/api/v1/investor-interests/{interest.pk}/").status_code == 404

    def test_follow_ups_only_on_ones_own_interest(self, world):
        interest = lf.make_investorinterest(world["fund_a"], need=world["shared"])
        mine = api_for(world["user_a"]).post(
            "/api/v1/investor-follow-ups/",
            {"interest": interest.pk, "channel": "call", "note": "确认尽调时间"},
            format="json",
        )
        assert mine.status_code == 201, mine.content
        theirs = api_for(world["user_b"]).post(
            "/api/v1/investor-follow-ups/",
            {"interest": interest.pk, "channel": "call", "note": "冒名跟进"},
            format="json",
        )
        assert theirs.status_code == 400 and "interest" in theirs.json()
        page = client_for(world["user_b"]).post(
            "/liaison/investor-follow-ups/add/",
            {"interest": interest.pk, "date": "2026-11-20", "channel": "call", "note": "冒名"},
        )
        assert page.status_code == 400
        assert m.FollowUp.objects.count() == 1

    def test_investments_are_read_by_the_firm_and_the_co_investors(self, world, users):
        inv = lf.make_investment(enterprise=world["shared"].owner_org, amount=Decimal("1500"))
        lf.make_investmentshare(investment=inv, investor=world["fund_a"].fund_investor)
        lf.make_investmentshare(
            investment=inv, investor=world["fund_b"].fund_investor, is_lead=False
        )
        assert inv.is_co_investment
        for who in (users["enterprise"], world["user_a"], world["user_b"]):
            assert ids(api_for(who).get("/api/v1/investments/")) == {inv.pk}
            assert len(ids(api_for(who).get("/api/v1/investment-shares/"))) == 2
        assert ids(api_for(users["enterprise2"]).get("/api/v1/investments/")) == set()
        r = api_for(users["enterprise"]).post(
            "/api/v1/investments/",
            {"round": "a", "amount": "1", "closed_on": "2026-01-01"},
            format="json",
        )
        assert r.status_code == 403

    def test_shares_never_exceed_the_investment(self, world, users):
        inv = lf.make_investment(amount=Decimal("1000"))
        lf.make_investmentshare(investment=inv, investor=world["fund_a"].fund_investor)
        r = api_for(users["bureau"]).post(
            "/api/v1/investment-shares/",
            {"investment": inv.pk, "investor": world["fund_b"].fund_investor.pk, "amount": "700"},
            format="json",
        )
        assert r.status_code == 400 and "amount" in r.json()

    def test_roadshow_sessions_are_read_by_invited_investors_and_pitching_firms(self, world, users):
        session = lf.make_roadshowsession(held_at=timezone.now())
        session.needs.add(world["shared"])
        session.investors.add(world["fund_a"].fund_investor)
        assert ids(api_for(users["enterprise"]).get("/api/v1/roadshow-sessions/")) == {session.pk}
        assert ids(api_for(world["user_a"]).get("/api/v1/roadshow-sessions/")) == {session.pk}
        assert ids(api_for(world["user_b"]).get("/api/v1/roadshow-sessions/")) == set()
        assert client_for(world["user_b"]).get(session.get_absolute_url()).status_code == 404
        page = client_for(world["user_a"]).get(session.get_absolute_url())
        assert page.status_code == 200 and "共享的融资需求" in page.content.decode()

    def test_an_ip_pledge_loan_names_the_ip(self, users):
        r = api_for(users["enterprise"]).post(
            "/api/v1/financing-needs/",
            {
                "title": "质押贷款",
                "amount": "200",
                "stage": "growth",
                "method": "ip_pledge",
                "use_of_funds": "流动资金",
            },
            format="json",
        )
        assert r.status_code == 400
