"""Least privilege, smoke level: every page and API endpoint that takes no argument, requested by
every role (and anonymously), answers without a server error, and the bureau-only operations
pages refuse everyone else."""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.base import client_for

PERSONAS = ["bureau", "university", "enterprise", "manager", "institution", "evaluator", "public"]


def _names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def argument_free_urls() -> dict[str, str]:
    urls = {}
    for name in sorted(set(_names(get_resolver()))):
        try:
            urls[name] = reverse(name)
        except NoReverseMatch:
            continue  # needs arguments
    return urls


@pytest.fixture(autouse=True)
def isolated_index(settings, tmp_path):
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False


def test_the_walk_covers_the_platform():
    urls = argument_free_urls()
    for expected in ("ops:lockouts", "core:changerecord_list", "portal:my", "api-schema"):
        assert expected in urls
    assert len(urls) > 50


@pytest.mark.parametrize("persona", [*PERSONAS, None])
def test_no_page_answers_a_server_error_to_any_role(users, persona):
    client = client_for(users[persona] if persona else None)
    failures = []
    for name, url in argument_free_urls().items():
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((name, url, response.status_code))
    assert not failures, failures


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "bureau"])
def test_operations_pages_are_the_bureaus_only(users, persona):
    client = client_for(users[persona])
    assert client.get(reverse("ops:lockouts")).status_code == 403
    assert client.get(reverse("core:changerecord_list")).status_code == 403
    assert client_for(users["bureau"]).get(reverse("ops:lockouts")).status_code == 200
