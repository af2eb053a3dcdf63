"""Rate limits from outside: the request after the limit answers 429 with Retry-After and a clear
message, another address or user is unaffected, the window passes, RATE_LIMITS=0 turns them off."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.base import api_for, client_for

LOGIN = "/accounts/login/"


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_RULES = {"login": "3/60", "search": "3/60", "api": "4/60", "form": "2/60"}
    return settings


def login_attempt(client, username, ip, password="wrong-Pass1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def assert_limited(response, window=60):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= window
    body = response.content.decode()
    assert "请求过于频繁" in body, body[:500]


def test_login_is_limited_per_address(limits, users):
    client = Client()
    for n in range(3):
        # different usernames, one address: an address trying many accounts
        assert login_attempt(client, f"guess{n}", "10.0.0.1").status_code == 200
    assert_limited(login_attempt(client, "guess9", "10.0.0.1"))
    # another address is unaffected, and logs in
    other = Client()
    response = login_attempt(other, "t_enterprise", "10.0.0.2", password="Test@pass1")
    assert response.status_code == 302


def test_login_is_limited_per_username(limits, users):
    for n in range(3):
        assert login_attempt(Client(), "t_university", f"10.0.1.{n}").status_code == 200
    # the same account from a fresh address is still limited: attempts are counted per username
    assert_limited(login_attempt(Client(), "t_university", "10.0.1.99"))
    # a limited attempt never reached the password check, not even with the right password
    assert_limited(login_attempt(Client(), "t_university", "10.0.1.98", password="Test@pass1"))
    # other accounts from that address are fine
    ok = login_attempt(Client(), "t_enterprise", "10.0.1.99", password="Test@pass1")
    assert ok.status_code == 302


def test_login_page_itself_is_not_counted(limits, db):
    client = Client()
    for _ in range(6):
        assert client.get(LOGIN, REMOTE_ADDR="10.0.2.1").status_code == 200


def test_the_token_endpoint_shares_the_login_limit(limits, users):
    client = Client()
    for _ in range(3):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": "t_manager", "password": "nope"},
            REMOTE_ADDR="10.0.3.1",
        )
        assert response.status_code == 400
    response = client.post(
        "/api/v1/auth/token/", {"username": "t_manager", "password": "nope"}, REMOTE_ADDR="10.0.3.1"
    )
    assert response.status_code == 429
    assert "请求过于频繁" in response.json()["detail"]


def test_the_window_passes(settings, users):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_RULES = {"login": "2/2"}
    client = Client()
    for _ in range(2):
        assert login_attempt(client, "someone", "10.0.4.1").status_code == 200
    limited = login_attempt(client, "someone", "10.0.4.1")
    assert limited.status_code == 429
    time.sleep(int(limited["Retry-After"]) + 0.2)
    assert login_attempt(client, "someone", "10.0.4.1").status_code == 200


def test_search_page_is_limited_per_user(limits, users):
    url = reverse("matching:search") + "?q=材料"
    first, second = client_for(users["enterprise"]), client_for(users["university"])
    for _ in range(3):
        assert first.get(url).status_code == 200
    assert_limited(first.get(url))
    assert second.get(url).status_code == 200
    # ordinary pages are not search: they stay open to the limited user
    assert first.get(reverse("portal:my")).status_code == 200


def test_public_search_is_limited_per_address(limits, db):
    url = reverse("portal:search") + "?q=材料"
    for _ in range(3):
        assert Client().get(url, REMOTE_ADDR="10.0.5.1").status_code == 200
    assert_limited(Client().get(url, REMOTE_ADDR="10.0.5.1"))
    assert Client().get(url, REMOTE_ADDR="10.0.5.2").status_code == 200


def test_api_is_limited_per_user_with_a_json_answer(limits, users):
    url = "/api/v1/achievements/"
    first, second = api_for(users["enterprise"]), api_for(users["university"])
    for _ in range(4):
        assert first.get(url).status_code == 200
    response = first.get(url)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "请求过于频繁" in response.json()["detail"]
    assert second.get(url).status_code == 200


def test_anonymous_api_is_limited_per_address(limits, db):
    url = "/api/v1/achievements/"
    for _ in range(4):
        assert Client().get(url, REMOTE_ADDR="10.0.6.1").status_code == 200
    assert Client().get(url, REMOTE_ADDR="10.0.6.1").status_code == 429
    assert Client().get(url, REMOTE_ADDR="10.0.6.2").status_code == 200


def test_search_api_counts_search_and_api(limits, users):
    limits.RATE_LIMIT_RULES = {**limits.RATE_LIMIT_RULES, "api": "5/60"}
    client = api_for(users["enterprise"])
    url = reverse("matching:api_search") + "?q=材料"
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429  # search: 3 per minute
    # every request counted in the API budget too (5): the refused one as well, one is left
    assert client.get("/api/v1/achievements/").status_code == 200
    assert client.get("/api/v1/achievements/").status_code == 429


def test_public_forms_are_limited_per_address(limits, db):
    url = reverse("portal:public")
    answers = [Client().post(url, {}, REMOTE_ADDR="10.0.7.1").status_code for _ in range(2)]
    assert 429 not in answers
    assert_limited(Client().post(url, {}, REMOTE_ADDR="10.0.7.1"))
    assert Client().post(url, {}, REMOTE_ADDR="10.0.7.2").status_code != 429
    # reading the portal is not a form submission
    assert Client().get(url, REMOTE_ADDR="10.0.7.1").status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(limits, settings, db):
    settings.RATE_LIMIT_PROXIES = 1
    url = "/api/v1/achievements/"
    proxy = "127.0.0.1"
    for _ in range(4):
        response = Client().get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert response.status_code == 200
    limited = Client().get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert limited.status_code == 429
    # a client cannot escape by prepending its own entry: the proxy's (rightmost) one counts
    spoofed = Client().get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4")
    assert spoofed.status_code == 429
    assert Client().get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="5.6.7.8").status_code == 200


def test_rate_limits_off(limits, users):
    limits.RATE_LIMITS_ENABLED = False
    client = api_for(users["enterprise"])
    assert all(client.get("/api/v1/achievements/").status_code == 200 for _ in range(10))
    assert all(login_attempt(Client(), f"x{n}", "10.0.8.1").status_code == 200 for n in range(6))


def test_english_users_get_the_message_in_english(limits, db):
    url = reverse("portal:search") + "?q=x"
    for _ in range(3):
        Client().get(url, REMOTE_ADDR="10.0.9.1", HTTP_ACCEPT_LANGUAGE="en")
    response = Client().get(url, REMOTE_ADDR="10.0.9.1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_a_bad_rule_is_refused_with_its_name(settings):
    from django.core.exceptions import ImproperlyConfigured

    from xiake.core import ratelimit

    settings.RATE_LIMIT_RULES = {"search": "sixty a minute"}
    with pytest.raises(ImproperlyConfigured, match="search"):
        ratelimit.rules()
