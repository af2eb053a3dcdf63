"""Content Security Policy, from outside: every answer carries the policy, and no page the roles can
reach holds inline script, an event-handler attribute, an htmx ``hx-on`` attribute, a
``javascript:`` link or an inline ``<style>`` element, which the policy would block.

Pages reached: every URL that takes no argument (the least-privilege walk), then, from the pages
found there, one link of every other URL name (detail, edit, history, tabs) — over generated demo
data, as every demo role and anonymously.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from tests.ops.test_least_privilege import argument_free_urls
from xiake.accounts.models import User
from xiake.demo.accounts import DEMO_ACCOUNTS

EVENT_HANDLER = re.compile(r"^on[a-z]+$")
# Links that change state or stream large files are not followed (GET must be safe anyway, but
# logout and exports make the walk slow or end the session).
NOT_FOLLOWED = re.compile(r"logout|export|download|template|/media/|\.xlsx|\.csv|\.pdf|\.docx")
LINKS_PER_NAME = 1


class PageAudit(HTMLParser):
    """Collects what the policy forbids, and the page's same-site links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            if "src" not in attributes and kind != "application/json":
                self.problems.append(f"inline <script {attrs}>")
            self._script_open = "src" in attributes
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, value in attrs:
            if EVENT_HANDLER.match(name) or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_data(self, data):
        if self._script_open and data.strip():
            self.problems.append("a <script src> with code inside")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_open = False


def audit(body: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(body)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "demo",
            *("--achievements", "40", "--demands", "15", "--experts", "15"),
            *("--platforms", "5", "--staff", "5", "--enterprises", "8"),
            stdout=io.StringIO(),
        )
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def isolated_index(settings, tmp_path):
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def walk(client: Client, follow: bool):
    """(url, response) of the argument-free pages, then (``follow``) one link found on them for
    every other URL name."""
    seen_names = set()
    queue = []
    for name, url in argument_free_urls().items():
        seen_names.add(name)
        queue.append(url)
    followed = 0
    for url in queue:
        response = client.get(url)
        yield url, response
        if not follow or followed > 400 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in audit(response.content.decode()).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if NOT_FOLLOWED.search(parts.path):
                continue
            name = _url_name(parts.path)
            if name is None or name in seen_names:
                continue
            seen_names.add(name)
            queue.append(href)
            followed += 1


ROLES = [username for username, _ in DEMO_ACCOUNTS if username != "admin"] + [None]
# Links are followed as the bureau (who reaches every record and form) and anonymously (the public
# pages); the other roles' own pages are argument-free. Every page costs ~0.1 s of CPU: following
# links as every role would add minutes to the suite for the same templates.
FOLLOW = {"bureau", None}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLES)
def test_no_reachable_page_needs_inline_script_or_style(demo_data, username):
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    problems, pages, missing_header, walk_log = [], 0, [], []
    for url, response in walk(client, follow=username in FOLLOW):
        walk_log.append((url, response.status_code))
        if "Content-Security-Policy" not in response:
            missing_header.append((url, response.status_code))
        if "text/html" in response.get("Content-Type", "") and response.status_code == 200:
            pages += 1
            found = audit(response.content.decode()).problems
            if found:
                problems.append((url, found[:3]))
    assert not missing_header, missing_header
    assert not problems, problems
    # the walk really rendered pages, detail pages included
    assert pages > (20 if username else 10)
    if username in FOLLOW:
        assert any(re.search(r"/\d+/$", url) for url, _ in walk_log), "no detail page reached"


def test_the_policy_forbids_inline_script_and_eval():
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in settings.CONTENT_SECURITY_POLICY.split("; ")
    )
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self'"
    for name, value in directives.items():
        if name.startswith(("script-src", "default-src")):
            assert "unsafe" not in value and "data:" not in value, name


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/api/v1/achievements/", "/no-such-page/", "/static/xiake/app.js"],
)
def test_every_answer_carries_the_policy(db, path):
    response = Client().get(path)
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_audit_catches_what_the_policy_blocks():
    page = (
        '<script>alert(1)</script><script src="/x.js">alert(2)</script>'
        '<script type="application/json" id="d">{"a": 1}</script><style>p{}</style>'
        '<button onclick="go()">x</button><div hx-on:click="go()"></div>'
        '<a href="javascript:go()">y</a><script src="/ok.js"></script>'
    )
    problems = audit(page).problems
    assert len(problems) == 6
    assert audit('<script src="/ok.js"></script><a href="/z">z</a>').problems == []
