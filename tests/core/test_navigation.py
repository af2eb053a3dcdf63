"""Each role's menu leads only to pages that answer it."""

import pytest

from tests.base import client_for


@pytest.mark.parametrize(
    "persona",
    ["bureau", "university", "enterprise", "manager", "institution", "evaluator", "public", None],
)
def test_every_menu_link_answers_200(users, persona):
    client = client_for(users[persona] if persona else None)
    response = client.get("/")
    assert response.status_code == 200
    links = [item["url"] for group in response.context["nav_menu"] for item in group["items"]]
    assert links, "every role has a menu"
    for url in links:
        assert client.get(url, follow=True).status_code == 200, (persona, url)


def test_the_bureau_menu_offers_administration_others_do_not(users):
    def labels(user):
        menu = client_for(user).get("/").context["nav_menu"]
        return {item["url"] for group in menu for item in group["items"]}

    bureau = labels(users["bureau"])
    assert {"/accounts/organizations/", "/calendar/"} <= bureau
    # the audit log and the lockouts belong to the audit and security administrators (三员分立)
    assert not {"/audit/", "/ops/lockouts/"} & bureau
    assert not {"/accounts/organizations/", "/audit/"} & labels(users["enterprise"])
