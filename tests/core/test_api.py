"""API conventions: token auth, pagination, filters, workflow actions, schema and docs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.base import api_for
from tests.factories import PASSWORD


def test_token_is_issued_for_username_and_password(users):
    api = api_for()
    response = api.post(
        "/api/v1/auth/token/", {"username": "t_university", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert (
        api.post("/api/v1/achievements/", {"title": "令牌创建的成果"}, format="json").status_code
        == 201
    )
    bad = api_for().post(
        "/api/v1/auth/token/", {"username": "t_university", "password": "x"}, format="json"
    )
    assert bad.status_code == 400


def test_list_is_paginated_and_filtered(orgs, users):
    for i in range(25):
        f.make_achievement(orgs["university"], trl=f.term("trl", str(1 + i % 9)))
    data = api_for().get("/api/v1/achievements/").json()
    assert data["count"] == 25 and len(data["results"]) == 20 and data["next"]
    sevens = api_for().get("/api/v1/achievements/", {"trl": "7"}).json()
    assert sevens["count"] == 3 and {r["trl"] for r in sevens["results"]} == {"7"}
    found = api_for().get("/api/v1/achievements/", {"q": "耐点蚀"}).json()
    assert found["count"] == 25
    assert api_for().get("/api/v1/achievements/", {"trl": "99"}).status_code == 400


def test_created_records_belong_to_the_creator_and_move_through_review(orgs, users):
    api = api_for(users["enterprise"])
    response = api.post(
        "/api/v1/demands/",
        {
            "title": "API 提交的需求",
            "description": "需要耐海水腐蚀的焊接工艺",
            "owner_org": orgs["enterprise2"].pk,
            "industry": "33",
            "cooperation_modes": ["joint"],
            "budget": "50.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner_org"] == orgs["enterprise"].pk and body["status"] == "draft"
    assert body["cooperation_modes"] == ["joint"] and body["budget"] == "50.00"
    pk = body["id"]
    assert (
        api.post(
            f"/api/v1/demands/{pk}/transition/", {"action": "publish"}, format="json"
        ).status_code
        == 409
    )
    assert (
        api.post(f"/api/v1/demands/{pk}/transition/", {"action": "submit"}, format="json").json()[
            "status"
        ]
        == "pending"
    )
    bureau = api_for(users["bureau"])
    result = bureau.post(
        f"/api/v1/demands/{pk}/transition/", {"action": "publish", "comment": "同意"}, format="json"
    )
    assert result.json()["status"] == "published"


def test_bad_input_names_the_field(orgs, users):
    api = api_for(users["university"])
    response = api.post(
        "/api/v1/achievements/", {"title": "", "asking_price": "-3", "trl": "12"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"title", "asking_price", "trl"} <= set(errors)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page_size=x",
        "ordering=nonsense",
        "q=%00%ff",
        "q=" + "长" * 5000,
        "trl=",
        "owner_org=abc",
        "created_at=2020",
    ],
)
def test_malformed_query_strings_never_answer_500(orgs, users, query, client):
    f.make_achievement(orgs["university"])
    for url in ("/api/v1/achievements/?", "/catalog/achievements/?"):
        response = client.get(url + query)
        assert response.status_code in (200, 400, 404), (url, query, response.status_code)


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/achievements/" in schema.content
    assert client.get("/api/v1/docs/").status_code == 200


@pytest.mark.parametrize(
    "endpoint",
    [
        "achievements",
        "demands",
        "experts",
        "platforms",
        "transfer-staff",
        "agencies",
        "universities",
        "organizations",
    ],
)
def test_query_count_does_not_grow_with_page_size(orgs, users, endpoint):
    """No N+1: the list costs the same number of queries for 5 rows as for 50."""
    for i in range(50):
        f.make_achievement(orgs["university"], title=f"成果{i}")
        f.make_demand(orgs["enterprise"], title=f"需求{i}")
        e = f.make_expert(orgs["university"], name=f"专家{i}")
        e.disciplines.add(f.term("gbt13745", "520"))
        f.make_platform(orgs["university"], name=f"平台{i}")
        f.make_transferstaff(orgs["university"], name=f"人员{i}")
        f.make_agency(orgs["enterprise"], name=f"中介{i}")
        f.make_university(f.make_org(f"大学{i}", "university"))
    api = api_for(users["bureau"])
    api.get(f"/api/v1/{endpoint}/")  # warm the per-process caches
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(f"/api/v1/{endpoint}/", {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    "url",
    ["/catalog/achievements/", "/catalog/demands/", "/catalog/experts/", "/catalog/platforms/"],
)
def test_list_pages_cost_the_same_queries_for_any_page_size(orgs, users, url, client):
    for i in range(50):
        f.make_achievement(orgs["university"], title=f"成果{i}")
        f.make_demand(orgs["enterprise"], title=f"需求{i}")
        e = f.make_expert(orgs["university"], name=f"专家{i}")
        e.disciplines.add(f.term("gbt13745", "520"))
        f.make_platform(orgs["university"], name=f"平台{i}")
    client.force_login(users["bureau"])
    client.get(url)  # warm the per-process caches (taxonomy choices of the filter form)
    counts = []
    for size in (20, 50):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"page_size": size}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_list_page_query_budget(orgs, users, client):
    """A warm list page costs a handful of queries, whatever the number of filters it offers."""
    f.make_achievement(orgs["university"])
    client.force_login(users["bureau"])
    # warm: the same request once (the filter's term tree is kept per process after its first use)
    client.get("/catalog/achievements/", {"trl": "6"})
    with CaptureQueriesContext(connection) as ctx:
        client.get("/catalog/achievements/", {"trl": "6"})
    assert len(ctx.captured_queries) <= 8, "\n".join(q["sql"][:150] for q in ctx.captured_queries)
