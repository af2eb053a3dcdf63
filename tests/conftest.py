"""Shared fixtures: organisations, one user per role, and an outsider for every boundary."""

import pytest

from tests.factories import make_org, make_user


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        help="run the slow fault and fuzz tests (and only those): make test-slow",
    )
    parser.addoption(
        "--api-fuzz",
        action="store_true",
        help="the thorough schemathesis run of the API (more cases; with --slow): make test-fuzz-api",
    )


def pytest_collection_modifyitems(config, items):
    """The fault and fuzz tests (marked ``slow``) run in `make test-slow`, the rest in `make test`."""
    slow = config.getoption("--slow")
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("slow") is not None) == slow else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config):
    from django.conf import settings

    # Tests read static files directly; `make run` builds the hashed manifest with collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The second factor of privileged roles is off for the suite (tests log in with force_login);
    # the tests of the second factor turn it on with the `mfa` fixture (tests/accounts/conftest.py).
    settings.MFA_ENABLED = False
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # One process, one cache: nothing leaks between test runs through var/cache.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Tasks run where they are enqueued (after the commit), so a test sees their effect at once;
    # tests/liaison/test_task_queue.py runs the database queue and its real worker.
    from django.core.signals import setting_changed

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction", False))
    )


@pytest.fixture(autouse=True)
def _data_migrations_after_flush(request):
    """A transactional test empties every table when it ends, including what data migrations
    wrote (taxonomies, registration rules, calendars); the next one runs them again."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    from xiake.taxonomy.api import invalidate_choices
    from xiake.taxonomy.models import Scheme

    if Scheme.objects.exists():
        return
    loader = MigrationLoader(connection)
    seen, plan = set(), []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    with connection.schema_editor() as editor:
        for node in plan:
            for operation in loader.graph.nodes[node].operations:
                # only our apps' data: a third-party one (django_tasks_db) migrates old rows
                # with fields today's models no longer have
                ours = apps.get_app_config(node[0]).name.startswith("xiake.")
                if isinstance(operation, RunPython) and ours:
                    operation.code(apps, editor)
    invalidate_choices()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rolled-back tests leave cached answers behind; every test starts with an empty cache,
    the per-process classification choices included (kept a minute: one taken by an earlier test
    could expire between a test's warm-up and its measured request, one query more)."""
    from django.core.cache import cache

    from xiake.taxonomy.api import invalidate_choices

    cache.clear()
    invalidate_choices()


@pytest.fixture
def orgs(db):
    return {
        "bureau": make_org("测试区科学技术局", "government"),
        "university": make_org("测试大学", "university"),
        "university2": make_org("另一所大学", "university"),
        "enterprise": make_org("测试材料科技有限公司", "enterprise"),
        "enterprise2": make_org("另一家科技有限公司", "enterprise"),
        "institution": make_org("测试新型研发机构", "nri"),
        "evaluator": make_org("测试评估公司", "evaluator"),
    }


@pytest.fixture
def users(orgs):
    return {
        "bureau": make_user("t_bureau", "bureau", orgs["bureau"]),
        "university": make_user("t_university", "university", orgs["university"]),
        "university2": make_user("t_university2", "university", orgs["university2"]),
        "enterprise": make_user("t_enterprise", "enterprise", orgs["enterprise"]),
        "enterprise2": make_user("t_enterprise2", "enterprise", orgs["enterprise2"]),
        "manager": make_user("t_manager", "manager", None),
        "institution": make_user("t_institution", "institution", orgs["institution"]),
        "evaluator": make_user("t_evaluator", "evaluator", orgs["evaluator"]),
        "public": make_user("t_public", "public", None),
    }


@pytest.fixture
def admins(db):
    """One account of each of the three administrator roles (三员; no organisation)."""
    return {
        role: make_user(f"t_{role}", role, None)
        for role in ("system_admin", "security_admin", "audit_admin")
    }


@pytest.fixture
def mfa(settings):
    """The second factor of privileged roles on, as in production (the suite runs with it off)."""
    settings.MFA_ENABLED = True
    return settings
