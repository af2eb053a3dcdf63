import pytest

from tests.base import ResourceContract, client_for
from xiake.accounts.models import Organization


def make_org_record(org, **kwargs):
    # The "owner" of an organisation record is the organisation itself.
    return org


class TestOrganizations(ResourceContract):
    model = Organization
    factory = staticmethod(make_org_record)
    reviewed = False
    form_data = {"name": "新登记科技有限公司", "org_type": "enterprise"}

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = orgs["university"]
        assert client_for(users["university2"]).get(self.url("edit", obj.pk)).status_code == 403

    def test_export_holds_only_visible_rows(self, orgs, users):
        pytest.skip("organisations are public; covered by the list test")

    def test_contact_phone_is_masked_for_outsiders(self, orgs, users):
        org = orgs["university"]
        org.contact_phone = "02585866888"
        org.save()
        page = client_for(users["enterprise"]).get(self.url("detail", org.pk)).content.decode()
        assert "02585866888" not in page and "025****6888" in page
        own = client_for(users["university"]).get(self.url("detail", org.pk)).content.decode()
        assert "02585866888" in own
