"""Security headers on pages, API answers and errors, from outside."""

import pytest
from django.conf import settings
from django.test import Client

from tests.base import client_for

PAGES = ["/", "/accounts/login/", "/api/v1/achievements/", "/no-such-page/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(db, path):
    response = Client().get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY
    assert "camera=()" in response["Permissions-Policy"]


def test_hsts_only_over_https(users):
    client = client_for(users["enterprise"])
    assert "Strict-Transport-Security" not in client.get("/my/")
    secure = client.get("/my/", secure=True)
    assert secure["Strict-Transport-Security"] == f"max-age={settings.SECURE_HSTS_SECONDS}"
    assert settings.SECURE_HSTS_SECONDS >= 180 * 24 * 3600


def test_session_and_csrf_cookies_are_not_readable_by_script(users):
    response = Client().get("/accounts/login/")
    assert response.cookies["csrftoken"]["samesite"] == "Lax"
    client = Client()
    client.post("/accounts/login/", {"username": "t_enterprise", "password": "Test@pass1"})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
