"""Least privilege, walked: every page and API endpoint that takes no argument, requested by every
role (and anonymously), answers without a server error; each administrator's page answers its own
role only (三员分立); the record pages of every resource (detail, edit, API detail) of a
demo-like world let no one reach a record beyond what its policy grants, no member of another
organisation reach more than an anonymous visitor, and no administrator reach a business record;
a privileged user who gave only the password reaches nothing but the second step."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.base import client_for
from tests.factories import PASSWORD, make_org, make_user
from xiake.core.resources import registry

PERSONAS = ["bureau", "university", "enterprise", "manager", "institution", "evaluator", "public"]
ADMINS = ["system_admin", "security_admin", "audit_admin"]


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


@pytest.fixture
def everyone(users, admins):
    return {**users, **admins}


def test_the_walk_covers_the_platform():
    urls = argument_free_urls()
    for expected in (
        "ops:lockouts",
        "ops:second_factors",
        "accounts:user_list",
        "core:changerecord_list",
        "portal:my",
        "api-schema",
    ):
        assert expected in urls
    assert len(urls) > 50


@pytest.mark.parametrize("persona", [*PERSONAS, *ADMINS, None])
def test_no_page_answers_a_server_error_to_any_role(everyone, persona):
    client = client_for(everyone[persona] if persona else None)
    failures = []
    for name, url in argument_free_urls().items():
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((name, url, response.status_code))
    assert not failures, failures


# Each administrator's pages (GET) and actions (POST), and the one role they belong to.
SEPARATION = [
    ("system_admin", "get", "accounts:user_list"),
    ("system_admin", "get", "accounts:user_add"),
    ("system_admin", "post", "accounts:user_add"),
    ("security_admin", "get", "ops:lockouts"),
    ("security_admin", "post", "ops:unlock"),
    ("security_admin", "get", "ops:second_factors"),
    ("security_admin", "post", "ops:second_factor_reset"),
    ("security_admin", "get", "ops:security_settings"),
]


@pytest.mark.parametrize("owner,method,name", SEPARATION)
def test_each_administrators_page_answers_its_role_only(everyone, owner, method, name):
    url = reverse(name)
    assert getattr(Client(), method)(url).status_code == 302  # anonymous → login
    for persona, user in everyone.items():
        status = getattr(client_for(user), method)(url).status_code
        if persona == owner:
            assert status in (200, 302, 400), (persona, name, status)
        else:
            assert status == 403, (persona, name, status)


@pytest.mark.parametrize("persona", ["system_admin", "security_admin"])
def test_an_administrators_menu_holds_its_own_pages_only(everyone, persona):
    client = client_for(everyone[persona])
    menu = client.get("/").context["nav_menu"]
    links = [item["url"] for group in menu for item in group["items"]]
    assert links
    for url in links:
        assert client.get(url).status_code == 200, (persona, url)
        assert not url.startswith(("/catalog/", "/contracts/", "/cases/", "/institutions/")), url


def test_no_administrator_does_anothers_job_on_the_audit_log(everyone):
    """Who reads the audit log is the audit page's own gate (is_audit_admin); the system and
    security administrators never do, whoever else may."""
    url = reverse("core:changerecord_list")
    for persona in ("system_admin", "security_admin"):
        assert client_for(everyone[persona]).get(url).status_code == 403


def test_the_audit_log_cannot_be_deleted_through_the_django_admin(everyone):
    from django.contrib import admin

    from xiake.core.models import ChangeRecord

    model_admin = admin.site._registry.get(ChangeRecord)
    if model_admin is not None:
        request = type("R", (), {"user": everyone["bureau"]})()
        assert not model_admin.has_delete_permission(request)
    for user in everyone.values():  # none of the roles reaches Django's admin at all
        assert client_for(user).get("/admin/").status_code == 302


# -- the record pages of every resource in a demo-like world --------------------------------------

PAGES = ("detail", "edit")


def _world():
    from xiake.demo import generate

    generate.generate(
        generate.Options(
            achievements=30,
            demands=10,
            experts=10,
            platforms=5,
            staff=5,
            enterprises=10,
            nris=3,
            intermediaries=3,
        )
    )


def _samples(resource):
    """Up to two records: one an anonymous visitor cannot see (if any), one it can."""
    qs = resource.model.objects.order_by("pk")
    public = resource.model.policy.scope(qs, AnonymousUser(), "view")
    hidden = qs.exclude(pk__in=public.values("pk")).first()
    shown = public.first()
    return [obj for obj in (hidden, shown) if obj is not None]


def _urls(resource, obj):
    for page in PAGES:
        try:
            yield page, reverse(resource.url_name(page), args=[obj.pk])
        except NoReverseMatch:
            continue
    if resource.api_name:
        yield "api", f"/api/v1/{resource.api_name}/{obj.pk}/"


def test_record_pages_grant_no_more_than_the_policies(db, settings):
    """Every record page answers 200 only when the resource's policy lets that user view (or, for
    edit, change) that record; members of organisations that own nothing see only what an
    anonymous visitor sees and edit nothing; administrators reach no business record."""
    from xiake.accounts.models import User

    settings.PAGE_CACHE_SECONDS = 0
    _world()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=[*PERSONAS, "sysadmin", "secadmin", "auditor"])
    }
    strangers = {
        role: make_user(f"t_stranger_{role}", role, make_org(f"无关组织{role}", org_type))
        for role, org_type in (
            ("university", "university"),
            ("enterprise", "enterprise"),
            ("institution", "nri"),
            ("manager", "intermediary"),
            ("evaluator", "evaluator"),
        )
    }
    clients = {name: client_for(user) for name, user in {**people, **strangers}.items()}
    clients["anonymous"] = Client()
    stranger_names = {u.username for u in strangers.values()}
    admin_names = {"sysadmin", "secadmin", "auditor"}
    problems = []
    walked = 0
    for key, resource in sorted(registry().items()):
        policy = resource.model.policy
        for obj in _samples(resource):
            qs = resource.model.objects.filter(pk=obj.pk)
            anonymous_sees = policy.scope(qs, AnonymousUser(), "view").exists()
            for page, url in _urls(resource, obj):
                for name, client in clients.items():
                    user = people.get(name) or next(
                        (u for u in strangers.values() if u.username == name), AnonymousUser()
                    )
                    status = client.get(url).status_code
                    walked += 1
                    if status >= 500:
                        problems.append((key, page, name, status))
                        continue
                    if status != 200:
                        continue
                    action = "change" if page == "edit" else "view"
                    if not policy.scope(qs, user, action).exists():
                        problems.append((key, page, name, "200 beyond the policy"))
                    if name in stranger_names and (page == "edit" or not anonymous_sees):
                        problems.append((key, page, name, "another organisation's record"))
                    if name in admin_names and not policy.administrators_see:
                        problems.append((key, page, name, "business record to an administrator"))
    assert walked > 500
    assert not problems, problems


def test_before_the_second_factor_a_privileged_user_reaches_only_the_second_step(mfa, users):
    client = Client()
    login = client.post("/accounts/login/", {"username": "t_bureau", "password": PASSWORD})
    assert login.status_code == 302
    allowed = {
        "accounts:mfa_verify",
        "accounts:mfa_setup",
        "accounts:mfa_backup_codes",
        "accounts:logout",
        "set_language",
    }
    reached = []
    for name, url in argument_free_urls().items():
        if name in allowed:
            continue
        status = client.get(url).status_code
        if status not in (302, 403):
            reached.append((name, url, status))
    assert not reached, reached
