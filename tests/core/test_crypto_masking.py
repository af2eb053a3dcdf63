"""Encrypted phones are masked on every surface — list page, detail page, API (one record and the
list), CSV and XLSX export — for people who may not see them, and clear for those who may."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories as f
from tests.base import api_for, client_for
from xiake.core.resources import resource_for

PHONE, MASKED = "13812345678", "138****5678"


def surfaces(user, obj) -> dict[str, str]:
    resource = resource_for(type(obj))
    client = client_for(user)
    list_url = reverse(resource.url_name("list"))
    api_base = f"/api/v1/{resource.api_name}/"
    xlsx = client.get(list_url, {"export": "xlsx"})
    return {
        "list": client.get(list_url).content.decode(),
        "detail": client.get(obj.get_absolute_url()).content.decode(),
        "api": json.dumps(api_for(user).get(f"{api_base}{obj.pk}/").json()),
        "api_list": json.dumps(api_for(user).get(api_base, {"page_size": 100}).json()),
        "csv": client.get(list_url, {"export": "csv"}).content.decode("utf-8-sig"),
        "xlsx": " ".join(
            str(v)
            for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
            for v in row
            if v is not None
        ),
    }


CASES = {
    # record, a persona who may not see its phone, personas who may
    "organization": (
        lambda orgs: f.make_org("掩码测试公司", "enterprise", contact_phone=PHONE),
        "enterprise",
        ("bureau",),
    ),
    "expert": (
        lambda orgs: f.make_expert(orgs["university"], phone=PHONE),
        "enterprise",
        ("bureau", "university"),
    ),
    "achievement": (
        lambda orgs: f.make_achievement(orgs["university"], contact_phone=PHONE),
        "enterprise2",
        ("bureau", "university"),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_phones_are_masked_on_every_surface_for_those_who_may_not_see_them(case, orgs, users):
    make, outsider, _insiders = CASES[case]
    obj = make(orgs)
    for where, text in surfaces(users[outsider], obj).items():
        assert PHONE not in text, where
        if where not in ("list", "api_list"):  # lists show no phone column at all
            assert MASKED in text, where
    anonymous = client_for().get(obj.get_absolute_url()).content.decode()
    assert PHONE not in anonymous


@pytest.mark.parametrize("case", CASES)
def test_phones_are_clear_for_those_who_may_see_them(case, orgs, users):
    make, _outsider, insiders = CASES[case]
    obj = make(orgs)
    for persona in insiders:
        for where, text in surfaces(users[persona], obj).items():
            if where in ("list", "api_list"):
                continue
            assert PHONE in text and MASKED not in text, (persona, where)
