"""The generic contract for records that are not public: outsiders get 404, not 403."""

import pytest

from tests.base import ResourceContract, api_for, client_for


@pytest.mark.django_db
class PrivateContract(ResourceContract):
    """Working files of the bureau: the owner persona is usually ``bureau``; an outsider cannot
    even see the record, so every answer to them is 404 (the house rule for out-of-scope rows)."""

    public = False
    reviewed = False
    owner = "bureau"
    outsider = "university2"

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.outsider])
        assert client.get(self.url("detail", obj.pk)).status_code == 404
        assert client.get(self.url("edit", obj.pk)).status_code == 404
        assert client.post(self.url("delete", obj.pk)).status_code == 404
        if self.resource.api_name:
            api = api_for(users[self.outsider])
            assert api.get(self.api_url(obj)).status_code == 404
            assert api.patch(self.api_url(obj), {}, format="json").status_code == 404
            assert api.delete(self.api_url(obj)).status_code == 404
        assert self.model.objects.filter(pk=obj.pk).exists()

    def test_export_holds_only_visible_rows(self, orgs, users):
        hidden = self.make(orgs)
        response = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert response.status_code == 200
        assert str(hidden) not in response.content.decode("utf-8-sig")
        mine = client_for(users[self.owner]).get(self.url("list"), {"export": "csv"})
        assert len(mine.content.decode("utf-8-sig").strip().splitlines()) >= 2  # header + row
