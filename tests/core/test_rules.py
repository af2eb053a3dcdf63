"""Row-level rules that go beyond the generic contract: confidential demands, masked contacts."""

from django.urls import reverse

from tests import factories as f
from tests.base import api_for, client_for
from xiake.core import policies


def test_confidential_demands_are_seen_by_owner_bureau_and_assigned_managers(orgs, users):
    demand = f.make_demand(orgs["enterprise"], is_confidential=True, title="保密需求")
    demand.assigned_managers.add(users["manager"])
    url = reverse("catalog:demand_detail", args=[demand.pk])
    for persona in ("enterprise", "bureau", "manager"):
        assert client_for(users[persona]).get(url).status_code == 200, persona
        assert api_for(users[persona]).get(f"/api/v1/demands/{demand.pk}/").status_code == 200
    for persona in ("enterprise2", "university", "public"):
        assert client_for(users[persona]).get(url).status_code == 404, persona
        ids = [r["id"] for r in api_for(users[persona]).get("/api/v1/demands/").json()["results"]]
        assert demand.pk not in ids
    assert client_for().get(url).status_code == 404
    listing = client_for().get(reverse("catalog:demand_list")).content.decode()
    assert "保密需求" not in listing


def test_expert_contacts_are_masked_except_for_bureau_own_organisation_and_granted(orgs, users):
    expert = f.make_expert(orgs["university"], phone="13812345678", email="zhang@nju.edu.cn")
    url = reverse("catalog:expert_detail", args=[expert.pk])
    api_url = f"/api/v1/experts/{expert.pk}/"
    for persona in ("enterprise", "university2", "public"):
        page = client_for(users[persona]).get(url).content.decode()
        assert "13812345678" not in page and "138****5678" in page
        data = api_for(users[persona]).get(api_url).json()
        assert data["phone"] == "138****5678" and data["email"] == "z***@nju.edu.cn"
    anonymous = client_for().get(url).content.decode()
    assert "13812345678" not in anonymous
    for persona in ("bureau", "university"):
        assert api_for(users[persona]).get(api_url).json()["phone"] == "13812345678"
    export = (
        client_for(users["enterprise"])
        .get(reverse("catalog:expert_list"), {"export": "csv"})
        .content.decode("utf-8-sig")
    )
    assert "13812345678" not in export and "138****5678" in export

    # A docking case (another app) grants the enterprise the contact through the provider hook.
    def accepted_case(user, model, pks):
        if user.organization_id != orgs["enterprise"].pk:
            return set()
        return set(model.objects.filter(pk=expert.pk, pk__in=pks).values_list("pk", flat=True))

    policies.contact_grant_providers.append(accepted_case)
    try:
        assert api_for(users["enterprise"]).get(api_url).json()["phone"] == "13812345678"
        assert api_for(users["enterprise2"]).get(api_url).json()["phone"] == "138****5678"
    finally:
        policies.contact_grant_providers.remove(accepted_case)


def test_experts_see_their_own_contact(orgs, users):
    expert = f.make_expert(orgs["university2"], user=users["manager"], phone="13900001111")
    data = api_for(users["manager"]).get(f"/api/v1/experts/{expert.pk}/").json()
    assert data["phone"] == "13900001111"


def test_pickers_offer_only_what_the_user_may_see(orgs, users):
    from xiake.catalog.models import Faculty, University

    visible = f.make_university(orgs["university"])
    hidden = f.make_university(orgs["university2"], status="draft")
    other = f.make_university(orgs["university2"])  # published, but not theirs
    client = client_for(users["university"])
    form = client.get(reverse("catalog:faculty_add")).context["form"]
    choices = set(form.fields["university"].queryset)
    assert visible in choices and hidden not in choices and other not in choices
    response = client.post(
        reverse("catalog:faculty_add"), {"university": hidden.pk, "name": "偷偷加的学院"}
    )
    assert response.status_code == 400 and "university" in response.context["form"].errors
    assert not Faculty.objects.filter(name="偷偷加的学院").exists()
    assert University.objects.count() == 3
