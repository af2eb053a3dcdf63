"""Search page, matches panel on detail pages, and the API endpoints; bad input never gives 500."""

import pytest
from django.urls import reverse

from tests.factories import make_achievement, make_demand

pytestmark = pytest.mark.django_db


def test_api_search_returns_scored_results_with_reasons(client, orgs):
    a = make_achievement(orgs["university"])
    r = client.get("/api/v1/matching/search/", {"q": "双相不锈钢 焊接", "type": "achievement"})
    assert r.status_code == 200
    item = r.json()["results"][0]
    assert item["id"] == a.pk and item["score"] > 0 and item["reasons"]
    # the word is in the dictionary only if the analyzer was built after the keyword existed
    assert {"双相不锈钢", "不锈钢"} & set(item["matched_terms"])


@pytest.mark.parametrize(
    "params",
    [
        {"q": "钢", "type": "nonsense"},
        {"q": "钢", "colour": "red"},
        {"q": "钢", "limit": "many"},
        {"q": "钢" * 5000},
    ],
)
def test_api_search_rejects_bad_input_with_400(client, params):
    assert client.get("/api/v1/matching/search/", params).status_code == 400


@pytest.mark.parametrize("q", ["", "\x00\x01\ufffd", "AND OR (((", "' OR 1=1 --", "<script>"])
def test_api_search_answers_odd_queries_without_error(client, q):
    r = client.get("/api/v1/matching/search/", {"q": q})
    assert r.status_code == 200


def test_demand_matches_api_respects_visibility(client, orgs, users):
    demand = make_demand(orgs["enterprise"], is_confidential=True)
    a = make_achievement(orgs["university"])
    url = f"/api/v1/demands/{demand.pk}/matches/"
    assert client.get(url, {"type": "achievement"}).status_code == 404
    client.force_login(users["enterprise"])
    r = client.get(url, {"type": "achievement"})
    assert r.status_code == 200 and r.json()["results"][0]["id"] == a.pk
    assert client.get(url, {"type": "demand"}).status_code == 400


def test_search_page_and_matches_panel(client, orgs):
    demand = make_demand(orgs["enterprise"])
    a = make_achievement(orgs["university"])
    r = client.get(reverse("matching:search"), {"q": "焊缝 海水 锈蚀"})
    assert r.status_code == 200 and a.title in r.content.decode()
    detail = client.get(demand.get_absolute_url()).content.decode()
    assert reverse("matching:matches", args=["demand", demand.pk]) in detail
    frag = client.get(
        reverse("matching:matches", args=["demand", demand.pk]), {"type": "achievement"}
    )
    assert a.title in frag.content.decode() and "<mark>" in frag.content.decode()
    bad = client.get(reverse("matching:search"), {"q": "钢", "type": "bogus"})
    assert bad.status_code == 400
