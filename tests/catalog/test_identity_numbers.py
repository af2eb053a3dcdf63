"""Identity numbers of experts and transfer staff: encrypted at rest, one record per number, masked on
every surface (list, detail page, API, CSV/XLSX export) for everyone but the bureau, the owning
organisation's staff and the person; full reveals in the audit log; import and API errors."""

import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories as f
from tests.base import all_text, api_for, client_for, raw
from xiake.catalog.models import Expert, TransferStaff
from xiake.core import crypto, importer
from xiake.core.models import ChangeAction, ChangeRecord
from xiake.core.policies import contact_grant_providers
from xiake.core.resources import resource_for

# GB 11643-1999's own worked example (its check character X is the standard's, not ours).
NUMBER, MASKED = "11010519491231002X", "1101**********002X"
OTHER = "110105194912310038"  # the next sequence code (003), its check digit 8


def surfaces(user, obj) -> dict[str, str]:
    """What ``user`` (None: anonymous) gets from every surface that shows ``obj``."""
    resource = resource_for(type(obj))
    client = client_for(user)
    api = api_for(user)
    list_url = reverse(resource.url_name("list"))
    base = f"/api/v1/{resource.api_name}/"
    out = {
        "list": client.get(list_url).content.decode(),
        "detail": client.get(obj.get_absolute_url()).content.decode(),
        "api": json.dumps(api.get(f"{base}{obj.pk}/").json(), ensure_ascii=False),
        "api_list": json.dumps(api.get(base, {"page_size": 100}).json(), ensure_ascii=False),
    }
    if user is not None:
        out["csv"] = client.get(list_url, {"export": "csv"}).content.decode("utf-8-sig")
        xlsx = client.get(list_url, {"export": "xlsx"})
        rows = load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
        out["xlsx"] = " ".join(str(v) for row in rows for v in row if v is not None)
    return out


@pytest.fixture
def expert(orgs, users):
    person = f.make_user("t_expert_self", "public", None)
    return f.make_expert(orgs["university"], id_number=NUMBER, user=person)


@pytest.fixture
def staff(orgs):
    person = f.make_user("t_staff_self", "public", None)
    return f.make_transferstaff(
        orgs["enterprise"], id_number=NUMBER, kind="commissioner", user=person
    )


# -- encryption at rest ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Expert, TransferStaff])
def test_sql_sees_a_token_and_a_blind_index_never_the_number(model, orgs, expert, staff):
    obj = expert if model is Expert else staff
    stored = raw(model, "id_number", obj.pk)
    assert stored.startswith(crypto.TOKEN_PREFIX)
    assert NUMBER not in all_text(model, obj.pk)
    assert NUMBER[:-1] not in all_text(model, obj.pk)  # nor its digits
    assert raw(model, "id_number_index", obj.pk) == crypto.blind_index(NUMBER, "text")
    assert model.objects.get(pk=obj.pk).id_number == NUMBER
    found = model.objects.get(id_number_index=crypto.blind_index("11010519491231002x", "text"))
    assert found.pk == obj.pk


def test_the_number_is_stored_normalised_whatever_the_input(orgs):
    e = f.make_expert(orgs["university"], id_number="１１０１０５１９４９１２３１００２ｘ")
    assert Expert.objects.get(pk=e.pk).id_number == NUMBER


def test_one_expert_per_identity_number_and_empty_numbers_do_not_clash(orgs, expert):
    f.make_expert(orgs["university2"], id_number="")
    f.make_expert(orgs["university2"], id_number="")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.make_expert(orgs["university2"], id_number=NUMBER.lower())
    # the two registers are separate: the same person may be an expert and a broker
    assert f.make_transferstaff(orgs["enterprise"], id_number=NUMBER).pk


def test_the_change_log_keeps_a_digest_not_the_number(orgs, expert):
    records = ChangeRecord.objects.filter(object_id=str(expert.pk), content_type__model="expert")
    text = json.dumps([r.after for r in records], ensure_ascii=False)
    assert records.exists() and NUMBER not in text and "[encrypted" in text


def test_key_rotation_covers_identity_numbers(orgs):
    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.test import override_settings

    old_key, new_key, index = (
        Fernet.generate_key().decode(),
        Fernet.generate_key().decode(),
        "i" * 32,
    )
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key], FIELD_INDEX_KEY=index):
        staff = f.make_transferstaff(orgs["enterprise"], id_number=OTHER)
        before = raw(TransferStaff, "id_number", staff.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key], FIELD_INDEX_KEY=index):
        call_command("rotate_field_keys", stdout=io.StringIO())
        assert raw(TransferStaff, "id_number", staff.pk) != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key], FIELD_INDEX_KEY=index):
        assert TransferStaff.objects.get(pk=staff.pk).id_number == OTHER
        assert raw(TransferStaff, "id_number_index", staff.pk) == crypto.blind_index(OTHER, "text")


# -- masking per role --------------------------------------------------------------------------------


@pytest.fixture
def docking_grant():
    """Contacts granted to everyone (as an accepted docking case grants a party): identity
    numbers must stay masked all the same."""

    def provider(user, model, pks):
        return set(model.objects.filter(pk__in=pks).values_list("pk", flat=True))

    contact_grant_providers.append(provider)
    yield
    contact_grant_providers.remove(provider)


def outsiders(users, owner_persona):
    others = {
        "stranger organisation": users["enterprise2"],
        "same role, other organisation": users["university2"],
        "technology manager": users["manager"],
        "evaluator": users["evaluator"],
        "anonymous": None,
    }
    if owner_persona == "enterprise":
        others["same role, other organisation"] = users["enterprise2"]
        others["stranger organisation"] = users["university"]
    return others


@pytest.mark.parametrize("which", ["expert", "staff"])
def test_identity_numbers_are_masked_for_everyone_outside(which, request, users, docking_grant):
    obj = request.getfixturevalue(which)
    owner = "university" if which == "expert" else "enterprise"
    for persona, user in outsiders(users, owner).items():
        for where, text in surfaces(user, obj).items():
            assert NUMBER not in text, (persona, where)
            if where not in ("list", "api_list"):  # no identity column on list pages
                assert MASKED in text, (persona, where)


def test_a_member_of_the_owning_organisation_without_an_editing_role_sees_it_masked(orgs, expert):
    visitor = f.make_user("t_university_public", "public", orgs["university"])
    detail = client_for(visitor).get(expert.get_absolute_url()).content.decode()
    assert MASKED in detail and NUMBER not in detail


@pytest.mark.parametrize("which", ["expert", "staff"])
def test_identity_numbers_are_clear_for_the_bureau_the_owner_and_the_person(which, request, users):
    obj = request.getfixturevalue(which)
    owner = users["university" if which == "expert" else "enterprise"]
    for persona, user in {"bureau": users["bureau"], "owner": owner, "self": obj.user}.items():
        for where, text in surfaces(user, obj).items():
            if where == "list":
                continue
            if persona == "self" and where in ("csv", "xlsx", "api_list"):
                continue  # a list or export of the library is not about the person's own record
            assert NUMBER in text, (persona, where)
            assert MASKED not in text, (persona, where)


# -- the audit log -----------------------------------------------------------------------------------


def test_a_full_reveal_on_the_page_and_the_api_is_audited_a_masked_view_is_not(users, expert):
    reveals = ChangeRecord.objects.filter(action=ChangeAction.REVEAL, object_id=str(expert.pk))
    client_for(users["enterprise"]).get(expert.get_absolute_url())
    api_for(users["enterprise"]).get(f"/api/v1/experts/{expert.pk}/")
    assert not reveals.exists()
    client_for(users["bureau"]).get(expert.get_absolute_url())
    api_for(users["university"]).get(f"/api/v1/experts/{expert.pk}/")
    assert [r.actor for r in reveals.order_by("id")] == [users["bureau"], users["university"]]
    assert all(NUMBER not in (r.comment or "") for r in reveals)


def test_an_export_with_full_numbers_says_so_in_its_audit_record(users, expert):
    url = reverse(resource_for(Expert).url_name("list"))
    exports = ChangeRecord.objects.filter(action=ChangeAction.EXPORT).order_by("-id")
    client_for(users["enterprise"]).get(url, {"export": "csv"})
    assert "证件号码" not in exports.first().comment
    client_for(users["university"]).get(url, {"export": "xlsx"})
    comment = exports.first().comment
    assert "证件号码明文 1 条" in comment and str(expert.pk) in comment
    assert exports.first().actor == users["university"]


# -- writing: forms, API, import ---------------------------------------------------------------------


def test_the_api_refuses_a_bad_check_digit_and_checks_the_number_against_its_type(orgs, users):
    api = api_for(users["university"])
    body = {"name": "接口专家", "id_number": NUMBER[:17] + "1"}
    response = api.post("/api/v1/experts/", body, format="json")
    assert response.status_code == 400
    assert "check digit" in json.dumps(response.json()) or "校验" in json.dumps(
        response.json(), ensure_ascii=False
    )
    ok = api.post("/api/v1/experts/", {**body, "id_number": "11010519491231002x"}, format="json")
    assert ok.status_code == 201, ok.content
    created = Expert.objects.get(pk=ok.json()["id"])
    assert created.id_number == NUMBER
    # a passport number under the resident type is refused; with its type it is accepted
    patch = api.patch(f"/api/v1/experts/{created.pk}/", {"id_number": "E12345678"}, format="json")
    assert patch.status_code == 400
    patch = api.patch(
        f"/api/v1/experts/{created.pk}/",
        {"id_type": "passport", "id_number": "e12345678"},
        format="json",
    )
    assert patch.status_code == 200, patch.content
    assert Expert.objects.get(pk=created.pk).id_number == "E12345678"


def test_the_edit_form_names_a_bad_check_digit(orgs, users, expert):
    resource = resource_for(Expert)
    url = reverse(resource.url_name("edit"), args=[expert.pk])
    data = {
        "name": expert.name,
        "title": expert.title,
        "id_type": "resident",
        "id_number": NUMBER[:17] + "5",
    }
    response = client_for(users["university"]).post(url, data)
    assert response.status_code == 400  # the form again, with the error
    page = response.content.decode()
    assert "X" in page and ("check digit" in page or "校验" in page)
    assert Expert.objects.get(pk=expert.pk).id_number == NUMBER


def import_rows(resource, user, rows: list[dict]):
    columns = importer.columns_for(resource)
    header = [c.header for c in columns]
    values = [[row.get(c.name, "") for c in columns] for row in rows]
    return importer.validate(resource, user, header, values)


def test_an_import_names_the_row_and_field_of_a_bad_number_and_writes_nothing(orgs, users):
    resource = resource_for(Expert)
    org = orgs["university"].name
    rows = [
        {"name": "导入专家甲", "owner_org": org, "id_number": "11010519491231002x"},
        {"name": "导入专家乙", "owner_org": org, "id_number": NUMBER[:17] + "3"},
        {"name": "导入专家丙", "owner_org": org, "id_number": "110105194902300021"},
        {"name": "导入专家丁", "owner_org": org, "id_type": "护照", "id_number": "E1234567"},
    ]
    result = import_rows(resource, users["bureau"], rows)
    errors = {e.row: e for e in result.errors}
    assert set(errors) == {3, 4}
    assert errors[3].column == resource.header("id_number") == "证件号码"
    assert "X" in errors[3].message and errors[3].value == "1101**********0023"
    assert errors[4].column == "证件号码" and "19490230" in errors[4].message
    with pytest.raises(importer.ImportRejected):
        importer.apply(resource, users["bureau"], result)
    assert not Expert.objects.filter(name__startswith="导入专家").exists()


def test_an_import_refuses_a_number_twice_in_the_file_or_already_registered(orgs, users, expert):
    resource = resource_for(Expert)
    org = orgs["university2"].name
    rows = [
        {"name": "导入专家甲", "owner_org": org, "id_number": OTHER},
        {"name": "导入专家乙", "owner_org": org, "id_number": OTHER},
        {"name": "导入专家丙", "owner_org": org, "id_number": NUMBER.lower()},
    ]
    result = import_rows(resource, users["bureau"], rows)
    messages = {e.row: e.message for e in result.errors}
    assert set(messages) == {3, 4}
    assert "第 2 行" in messages[3]  # the same number as row 2
    assert "已有其他记录" in messages[4]  # another expert (``expert``) has it
    # re-importing the expert's own row with its number is an update, not a clash
    own = [{"name": expert.name, "owner_org": orgs["university"].name, "id_number": NUMBER}]
    assert import_rows(resource, users["bureau"], own).ok


def test_an_import_stores_numbers_encrypted_and_a_reimport_changes_nothing(orgs, users):
    resource = resource_for(TransferStaff)
    org = orgs["enterprise"].name
    rows = [{"name": "导入经纪人", "owner_org": org, "kind": "技术经纪人", "id_number": OTHER}]
    created = importer.apply(
        resource, users["bureau"], import_rows(resource, users["bureau"], rows)
    )
    assert created["created"] == 1
    staff = TransferStaff.objects.get(name="导入经纪人")
    assert raw(TransferStaff, "id_number", staff.pk).startswith(crypto.TOKEN_PREFIX)
    assert raw(TransferStaff, "id_number_index", staff.pk) == crypto.blind_index(OTHER, "text")
    again = importer.apply(resource, users["bureau"], import_rows(resource, users["bureau"], rows))
    assert again == {"created": 0, "updated": 0, "unchanged": 1}
    rows[0]["id_number"] = NUMBER
    changed = importer.apply(
        resource, users["bureau"], import_rows(resource, users["bureau"], rows)
    )
    assert changed["updated"] == 1
    assert raw(TransferStaff, "id_number_index", staff.pk) == crypto.blind_index(NUMBER, "text")
    assert TransferStaff.objects.get(pk=staff.pk).id_number == NUMBER


def test_the_form_and_the_api_name_a_number_another_record_already_has(orgs, users, expert):
    other = f.make_expert(orgs["university"], id_number=OTHER)
    url = reverse(resource_for(Expert).url_name("edit"), args=[other.pk])
    data = {"name": other.name, "title": other.title, "id_type": "resident", "id_number": NUMBER}
    page = client_for(users["university"]).post(url, data).content.decode()
    assert "已有其他记录使用该证件号码" in page
    api = api_for(users["university"])
    response = api.patch(f"/api/v1/experts/{other.pk}/", {"id_number": NUMBER}, format="json")
    assert response.status_code == 400
    assert "已有其他记录使用该证件号码" in json.dumps(response.json(), ensure_ascii=False)
    # its own number is no clash
    same = api.patch(f"/api/v1/experts/{other.pk}/", {"id_number": OTHER.lower()}, format="json")
    assert same.status_code == 200, same.content
    assert Expert.objects.get(pk=other.pk).id_number == OTHER


def test_an_api_list_page_writes_one_reveal_per_row_shown_in_full(orgs, users, expert):
    f.make_expert(orgs["university"], id_number=OTHER)
    f.make_expert(orgs["university"], id_number="")  # nothing to reveal
    reveals = ChangeRecord.objects.filter(action=ChangeAction.REVEAL)
    params = {"owner_org": orgs["university"].pk}
    listed = api_for(users["enterprise"]).get("/api/v1/experts/", params).json()["results"]
    assert len(listed) == 3 and not reveals.exists()
    api_for(users["bureau"]).get("/api/v1/experts/", params)
    revealed = Expert.objects.filter(owner_org=orgs["university"]).exclude(id_number_index="")
    assert sorted(r.object_id for r in reveals) == sorted(str(e.pk) for e in revealed)
    assert {r.actor for r in reveals} == {users["bureau"]}


def test_changing_only_the_type_through_the_api_rechecks_the_stored_number(users, expert):
    api = api_for(users["university"])
    response = api.patch(f"/api/v1/experts/{expert.pk}/", {"id_type": "taiwan"}, format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()
    assert Expert.objects.get(pk=expert.pk).id_type == "resident"
