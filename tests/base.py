"""Generic contract tests for every resource: each per-model class supplies only data.

Personas: ``anonymous``, the ``owner`` (a member of the owning organisation), an ``outsider`` (a
member of another organisation with the same role) and ``bureau``. The contract checks what each of
them sees and may do through the pages and the API, and that changes reach the change log.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from xiake.core.models import ChangeRecord
from xiake.core.resources import resource_for


def raw(model, column, pk):
    """The column exactly as stored, read past the ORM (encrypted fields: the token)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def all_text(model, pk) -> str:
    """Every column of one row as text, read with raw SQL."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {qn(model._meta.db_table)} WHERE id = %s", [pk])  # noqa: S608
        return " ".join(str(v) for v in cursor.fetchone())


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.django_db
class ResourceContract:
    model = None
    factory = None  # callable(org, **kwargs) -> record
    owner = "university"  # persona whose organisation owns the records
    outsider = "university2"
    creator = None  # persona allowed to create through the form (None: only the bureau)
    form_data: dict = {}
    reviewed = True
    public = True  # anonymous visitors see published records
    label_field = "name"  # the text field the edit test changes

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def resource(self):
        return resource_for(self.model)

    def url(self, action, *args):
        return reverse(self.resource.url_name(action), args=args)

    def api_url(self, obj=None):
        base = f"/api/v1/{self.resource.api_name}/"
        return base if obj is None else f"{base}{obj.pk}/"

    def make(self, orgs, status="published", **kwargs):
        org = orgs[self.owner] if self.owner in orgs else orgs["university"]
        if self.reviewed:
            kwargs["status"] = status
        return type(self).factory(org, **kwargs)

    # -- visibility -------------------------------------------------------------------------------
    def test_list_and_detail_answer_the_owner(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.owner])
        assert client.get(self.url("list")).status_code == 200
        response = client.get(self.url("detail", obj.pk))
        assert response.status_code == 200
        assert str(obj) in response.content.decode()

    def test_anonymous_sees_published_but_not_drafts(self, orgs, users):
        if not self.public:
            pytest.skip("not a public library")
        published = self.make(orgs)
        client = client_for()
        assert client.get(self.url("detail", published.pk)).status_code == 200
        if not self.reviewed:
            return
        draft = self.make(orgs, status="draft")
        assert client.get(self.url("detail", draft.pk)).status_code == 404
        listing = client.get(self.url("list")).content.decode()
        assert str(published) in listing and str(draft) not in listing
        if self.resource.api_name:
            ids = {r["id"] for r in api_for().get(self.api_url()).json()["results"]}
            assert published.pk in ids and draft.pk not in ids
            assert api_for().get(self.api_url(draft)).status_code == 404

    def test_drafts_of_another_organisation_answer_404(self, orgs, users):
        if not self.reviewed:
            pytest.skip("no review state")
        draft = self.make(orgs, status="draft")
        outsider = users[self.outsider]
        assert client_for(outsider).get(self.url("detail", draft.pk)).status_code == 404
        assert client_for(outsider).get(self.url("edit", draft.pk)).status_code == 404
        if self.resource.api_name:
            assert api_for(outsider).get(self.api_url(draft)).status_code == 404
            assert api_for(outsider).patch(self.api_url(draft), {}).status_code == 404
        # ...while the owner and the bureau see it
        assert client_for(users[self.owner]).get(self.url("detail", draft.pk)).status_code == 200
        assert client_for(users["bureau"]).get(self.url("detail", draft.pk)).status_code == 200

    def test_outsider_may_not_change_or_delete(self, orgs, users):
        obj = self.make(orgs)
        outsider = users[self.outsider]
        client = client_for(outsider)
        assert client.get(self.url("edit", obj.pk)).status_code == 403
        assert client.post(self.url("delete", obj.pk)).status_code == 403
        if self.resource.api_name:
            api = api_for(outsider)
            assert api.patch(self.api_url(obj), {}, format="json").status_code == 403
            assert api.delete(self.api_url(obj)).status_code == 403
        assert self.model.objects.filter(pk=obj.pk).exists()

    def test_anonymous_may_not_write(self, orgs, users):
        obj = self.make(orgs)
        response = client_for().get(self.url("edit", obj.pk))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client_for().get(self.url("add")).status_code == 302
        if self.resource.api_name:
            assert api_for().post(self.api_url(), {}, format="json").status_code in (401, 403)
            assert api_for().delete(self.api_url(obj)).status_code in (401, 403)

    # -- changes ----------------------------------------------------------------------------------
    def test_owner_edits_and_the_change_is_logged(self, orgs, users):
        obj = self.make(orgs)
        client = client_for(users[self.owner])
        form = client.get(self.url("edit", obj.pk)).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data = {
            k: ([i.pk for i in v] if isinstance(v, list) else getattr(v, "pk", v))
            for k, v in data.items()
        }
        data[self.label_field] = str(data[self.label_field]) + "（修订）"
        response = client.post(self.url("edit", obj.pk), data)
        assert response.status_code == 302, response.context["form"].errors
        ct = ContentType.objects.get_for_model(self.model)
        record = ChangeRecord.objects.filter(
            content_type=ct, object_id=str(obj.pk), action="update"
        ).first()
        assert record is not None and record.actor == users[self.owner]
        history = client.get(self.url("history", obj.pk))
        assert history.status_code == 200 and "（修订）" in history.content.decode()

    def test_permitted_user_creates_through_the_form(self, orgs, users):
        persona = self.creator or "bureau"
        client = client_for(users[persona])
        data = dict(self.form_data)
        if (
            self.resource.owner_field
            and persona == "bureau"
            and self.resource.owner_field not in data
        ):
            data[self.resource.owner_field] = orgs[self.owner].pk
        before = self.model.objects.count()
        response = client.post(self.url("add"), data)
        assert response.status_code == 302, response.context["form"].errors
        assert self.model.objects.count() == before + 1
        created = self.model.objects.order_by("-pk").first()
        if self.resource.owner_field and persona != "bureau":
            assert (
                getattr(created, f"{self.resource.owner_field}_id")
                == users[persona].organization_id
            )
        ct = ContentType.objects.get_for_model(self.model)
        assert ChangeRecord.objects.filter(
            content_type=ct, object_id=str(created.pk), action="create"
        ).exists()

    def test_roles_without_the_right_may_not_create(self, orgs, users):
        for persona in ("public", "evaluator"):
            assert client_for(users[persona]).get(self.url("add")).status_code == 403
            if self.resource.api_name:
                response = api_for(users[persona]).post(
                    self.api_url(), self.form_data, format="json"
                )
                assert response.status_code == 403

    def test_unknown_filter_parameters_answer_400(self, orgs, users):
        assert client_for(users["bureau"]).get(self.url("list"), {"typo": "1"}).status_code == 400
        if self.resource.api_name:
            response = api_for(users["bureau"]).get(self.api_url(), {"typo": "1"})
            assert response.status_code == 400 and "typo" in response.json()

    def test_export_holds_only_visible_rows(self, orgs, users):
        visible = self.make(orgs)
        hidden = self.make(orgs, status="draft") if self.reviewed else None
        response = client_for(users[self.outsider]).get(self.url("list"), {"export": "csv"})
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert str(visible).split(" ")[-1] in text
        if hidden is not None:
            assert str(hidden) not in text
        assert ChangeRecord.objects.filter(action="export", actor=users[self.outsider]).exists()

    def test_bureau_reviews(self, orgs, users):
        if not self.reviewed:
            pytest.skip("no review state")
        obj = self.make(orgs, status="pending")
        owner = client_for(users[self.owner])
        owner.post(self.url("review", obj.pk), {"action": "publish"})
        obj.refresh_from_db()
        assert obj.status == "pending"  # owners may not publish their own records
        client_for(users["bureau"]).post(
            self.url("review", obj.pk), {"action": "return", "comment": "请补充技术指标"}
        )
        obj.refresh_from_db()
        assert obj.status == "returned" and obj.review_comment == "请补充技术指标"
