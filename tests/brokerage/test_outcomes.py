"""A signed case offers its provider to create the contract (linked to the case); the outcome of a
case is kept as match labels (brokerage stores them: matching has no function to take them)."""

import pytest

from tests.base import client_for
from tests.brokerage.test_cases import make_case
from xiake.brokerage.models import MatchLabel, Notification
from xiake.contracts.models import TechContract


def sign(case, manager):
    for stage in ("contact", "negotiation", "signed"):
        case.move(stage, manager)


@pytest.mark.django_db
class TestOutcomes:
    def test_a_signed_case_offers_the_provider_to_create_the_contract(self, orgs, users):
        orgs["university"].region_code = "320113"
        orgs["university"].save()
        case = make_case(orgs["enterprise"])
        university = client_for(users["university"])
        page = university.get(case.get_absolute_url()).content.decode()
        assert 'data-testid="create-contract"' not in page  # not signed yet
        assert (
            university.post(f"/cases/{case.pk}/contract/", {"category": "development"}).status_code
            == 403
        )
        sign(case, users["manager"])
        assert Notification.objects.filter(
            user=users["university"], key=f"case:{case.pk}:signed"
        ).exists()
        page = university.get(case.get_absolute_url()).content.decode()
        assert 'data-testid="create-contract"' in page
        # the enterprise (buyer) and the manager are not the seller
        ent = client_for(users["enterprise"]).get(case.get_absolute_url()).content.decode()
        assert 'data-testid="create-contract"' not in ent
        assert (
            client_for(users["manager"])
            .post(f"/cases/{case.pk}/contract/", {"category": "development"})
            .status_code
            == 403
        )
        r = university.post(f"/cases/{case.pk}/contract/", {"category": "development"})
        contract = TechContract.objects.get(docking_case=case)
        assert r.url == f"/contracts/{contract.pk}/edit/"
        assert contract.owner_org == orgs["university"]
        assert contract.buyer_org == orgs["enterprise"] and contract.status == "draft"
        assert contract.seller_party_type.code == "022" and contract.seller_region == "320113"
        # asked twice: the same contract, not a second one
        university.post(f"/cases/{case.pk}/contract/", {"category": "development"})
        assert TechContract.objects.filter(docking_case=case).count() == 1
        # the case page lists it for whoever may see the contract
        assert (
            contract.title
            in client_for(users["enterprise"]).get(case.get_absolute_url()).content.decode()
        )
        # the API shows the link, and nobody can rewrite it
        from tests.base import api_for

        api = api_for(users["university"])
        data = api.get(f"/api/v1/contracts/{contract.pk}/").json()
        assert data["docking_case"] == case.pk
        api.patch(f"/api/v1/contracts/{contract.pk}/", {"docking_case": None}, format="json")
        contract.refresh_from_db()
        assert contract.docking_case_id == case.pk

    def test_outcomes_become_match_labels(self, orgs, users):
        signed = make_case(orgs["enterprise"], title="签约的对接")
        sign(signed, users["manager"])
        ended = make_case(orgs["enterprise"], title="终止的对接")
        ended.move("terminated", users["manager"], "企业预算取消")
        labels = {(lbl.case_id, lbl.relevant, lbl.reason) for lbl in MatchLabel.objects.all()}
        assert labels == {(signed.pk, True, ""), (ended.pk, False, "企业预算取消")}
        assert MatchLabel.record(signed) == 1 and MatchLabel.objects.count() == 2  # once
