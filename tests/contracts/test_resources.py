"""The generic resource contract for technology contracts, and their row rules from outside."""

import pytest

from tests.base import ResourceContract, api_for, client_for
from tests.contracts import factories as cf
from tests.factories import term
from xiake.contracts.models import TechContract


@pytest.mark.django_db
class TestContracts(ResourceContract):
    """Contracts are private: an outsider gets 404, never 403 (the house rule)."""

    model = TechContract
    factory = staticmethod(cf.make_contract)
    owner = "university"
    outsider = "university2"
    creator = "university"
    reviewed = False
    public = False
    label_field = "title"

    @property
    def form_data(self):
        return {
            "title": "海水淡化膜技术转让",
            "category": term("contract_type", "transfer").pk,
            "subcategory": term("contract_type", "transfer_patent").pk,
            "total_amount": "800000.00",
            "non_technical_amount": "0",
            "buyer_country": "156",
        }

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.outsider])
        for action in ("detail", "edit", "delete"):
            assert client.get(self.url(action, obj.pk)).status_code == 404
        api = api_for(users[self.outsider])
        assert api.get(self.api_url(obj)).status_code == 404
        assert api.patch(self.api_url(obj), {}, format="json").status_code == 404
        assert api.delete(self.api_url(obj)).status_code == 404
        assert TechContract.objects.filter(pk=obj.pk).exists()

    def test_export_holds_only_visible_rows(self, orgs, users):
        hidden = self.make(orgs)
        response = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert response.status_code == 200
        assert hidden.title not in response.content.decode("utf-8-sig")
        mine = client_for(users[self.owner]).get(self.url("list"), {"export": "csv"})
        assert hidden.title in mine.content.decode("utf-8-sig")


@pytest.mark.django_db
class TestRowRules:
    def test_the_buyer_reads_but_does_not_edit(self, orgs, users):
        c = cf.make_contract(orgs["university"], orgs["enterprise"])
        buyer = client_for(users["enterprise"])
        assert buyer.get(c.get_absolute_url()).status_code == 200
        assert buyer.get(f"/contracts/{c.pk}/edit/").status_code == 403
        assert api_for(users["enterprise"]).get(f"/api/v1/contracts/{c.pk}/").status_code == 200

    def test_the_registrar_sees_submitted_contracts_not_drafts(self, orgs, users):
        draft = cf.make_contract(orgs["university"], orgs["enterprise"])
        submitted = cf.make_contract(orgs["university"], orgs["enterprise"])
        TechContract.objects.filter(pk=submitted.pk).update(status="submitted")
        bureau = client_for(users["bureau"])
        assert bureau.get(draft.get_absolute_url()).status_code == 404
        assert bureau.get(submitted.get_absolute_url()).status_code == 200
        ids = {
            r["id"] for r in api_for(users["bureau"]).get("/api/v1/contracts/").json()["results"]
        }
        assert ids == {submitted.pk}
        # ...and does not edit the party's application
        assert bureau.get(f"/contracts/{submitted.pk}/edit/").status_code == 403

    def test_the_seller_cannot_edit_once_submitted(self, orgs, users):
        c = cf.make_contract(orgs["university"], orgs["enterprise"])
        TechContract.objects.filter(pk=c.pk).update(status="submitted")
        assert client_for(users["university"]).get(f"/contracts/{c.pk}/edit/").status_code == 403

    def test_manager_and_anonymous_see_nothing(self, orgs, users):
        c = cf.make_contract(orgs["university"], orgs["enterprise"])
        assert client_for(users["manager"]).get(c.get_absolute_url()).status_code == 404
        assert api_for().get("/api/v1/contracts/").status_code in (200, 401, 403)
        assert api_for(users["manager"]).get("/api/v1/contracts/").json()["count"] == 0


@pytest.mark.django_db
class TestAmounts:
    def base(self, orgs):
        return {
            "title": "金额校验",
            "category": term("contract_type", "consulting").pk,
            "buyer_country": "156",
        }

    def test_negative_and_inconsistent_amounts_are_refused_naming_the_field(self, orgs, users):
        client = client_for(users["university"])
        data = self.base(orgs) | {"total_amount": "-1", "non_technical_amount": "0"}
        response = client.post("/contracts/add/", data)
        assert response.status_code == 400 and "total_amount" in response.context["form"].errors
        data = self.base(orgs) | {"total_amount": "100.00", "non_technical_amount": "200.00"}
        response = client.post("/contracts/add/", data)
        assert "non_technical_amount" in response.context["form"].errors
        api = api_for(users["university"])
        r = api.post("/api/v1/contracts/", {**data, "category": "consulting"}, format="json")
        assert r.status_code == 400 and "non_technical_amount" in r.json(), r.json()
        r = api.post(
            "/api/v1/contracts/",
            {**data, "category": "consulting", "total_amount": "100.001"},
            format="json",
        )
        assert r.status_code == 400 and "total_amount" in r.json()
        assert not TechContract.objects.filter(title="金额校验").exists()

    def test_tech_amount_is_computed_and_not_writable(self, orgs, users):
        data = self.base(orgs) | {
            "category": "consulting",
            "total_amount": "1234567.89",
            "non_technical_amount": "234567.89",
            "tech_amount": "1.00",
        }
        r = api_for(users["university"]).post("/api/v1/contracts/", data, format="json")
        assert r.status_code == 201, r.json()
        assert r.json()["tech_amount"] == "1000000.00"
        assert r.json()["owner_org"] == orgs["university"].pk
