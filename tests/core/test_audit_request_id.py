"""Every request has an id: a sane one from the trusted proxy is kept, anything else replaced; it
comes back in the response, in log lines, and in every audit record the request (or the task it
queued) writes, with the client's IP as the trusted proxies report it."""

import io
import logging
import re
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from tests.base import api_for
from xiake.core.changelog import record_event
from xiake.core.context import acting_as
from xiake.core.middleware import RequestIdFilter
from xiake.core.models import ChangeRecord

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@contextmanager
def log_lines(settings, name):
    """What logger ``name`` writes through the configured format and the request-id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["default"]["format"]))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # (setLevel, not the attribute: it clears the logging cache)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _failed_login(client, **headers):
    response = client.post(
        reverse("accounts:login"), {"username": "nobody", "password": "x"}, **headers
    )
    record = ChangeRecord.objects.filter(action="login_failed").latest("id")
    assert record.request_id == response["X-Request-ID"]
    return record


def test_a_sane_id_from_the_proxy_is_kept_and_returned(db, client):
    record = _failed_login(client, HTTP_X_REQUEST_ID="7f3a9c0e2b1d4e5f8a6b7c8d9e0f1a2b")
    assert record.request_id == "7f3a9c0e2b1d4e5f8a6b7c8d9e0f1a2b" and record.ip == "127.0.0.1"


@pytest.mark.parametrize("forged", ["a b", "x" * 65, "id\r\nX-Evil: 1", "-leading", "<script>"])
def test_an_insane_id_is_replaced(db, client, forged):
    record = _failed_login(client, HTTP_X_REQUEST_ID=forged)
    assert GENERATED.match(record.request_id)


def test_without_an_incoming_id_one_is_generated_for_every_request(db, client):
    first, second = _failed_login(client), _failed_login(client)
    assert GENERATED.match(first.request_id) and first.request_id != second.request_id
    assert client.get("/health/")["X-Request-ID"]


def test_a_client_that_is_not_a_trusted_proxy_forges_neither_ip_nor_id(db, client):
    record = _failed_login(
        client,
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
        HTTP_X_REQUEST_ID="chosen-by-client",
    )
    assert record.ip == "203.0.113.5" and GENERATED.match(record.request_id)


def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client(db, client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # the client prepends a forged hop; the real client is the one the outer proxy saw
    record = _failed_login(client, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.1")
    assert record.ip == "198.51.100.7"
    garbage = _failed_login(client, HTTP_X_FORWARDED_FOR="not-an-ip")
    assert garbage.ip == "127.0.0.1"
    ipv6 = _failed_login(client, HTTP_X_FORWARDED_FOR="2001:db8::1")
    assert ipv6.ip == "2001:db8::1"


def test_api_writes_carry_the_token_users_identity_and_the_request_id(users):
    api = api_for(users["university"])
    response = api.post(
        "/api/v1/achievements/",
        {"title": "令牌写入的成果"},
        format="json",
        HTTP_X_REQUEST_ID="api-req-1",
    )
    assert response.status_code == 201 and response["X-Request-ID"] == "api-req-1"
    record = ChangeRecord.objects.get(
        action="create", content_type__model="achievement", object_id=str(response.json()["id"])
    )
    assert record.actor == users["university"] and record.request_id == "api-req-1"
    assert record.ip == "127.0.0.1"


def test_log_lines_name_the_request(users, settings):
    logger = logging.getLogger("xiake.test_request_id")
    with log_lines(settings, logger.name) as stream:
        with acting_as(users["bureau"], request_id="log-req-9"):
            logger.info("inside")
        logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    assert "[log-req-9]" in inside and "[-]" in outside


@task()
def audited_note(note: str) -> None:
    """A real task (queued and run by django_tasks like the platform's) that writes one record."""
    record_event("update", comment=note)


def test_a_task_run_in_the_request_keeps_the_requests_id(users):
    with acting_as(users["bureau"], ip="10.9.9.9", request_id="enqueuing-req"):
        audited_note.enqueue("immediate")
    record = ChangeRecord.objects.get(comment="immediate")
    assert record.request_id == "enqueuing-req" and record.actor == users["bureau"]


@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_the_worker_is_marked_as_that_task(users, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with log_lines(settings, "xiake.audit") as stream:
        with acting_as(users["bureau"], request_id="queued-by-req"):
            audited_note.enqueue("queued")
    row = DBTaskResult.objects.get()
    # the enqueue is logged under the request's id, naming the task that will carry it on
    assert f"[queued-by-req] xiake.audit: task {row.id}" in stream.getvalue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    record = ChangeRecord.objects.get(comment="queued")
    assert record.request_id == f"task-{row.id}" and record.actor is None
    assert record.actor_name == "system"
    # and the worker's context ends with the task
    with acting_as(None, request_id="after") as ctx:
        assert ctx.request_id == "after"


def test_the_enqueued_task_row_is_unchanged_by_auditing(users):
    # auditing adds nothing to the task's arguments: the queue stays the library's own
    with acting_as(users["bureau"], request_id="r"):
        result = audited_note.enqueue("args")
    assert list(result.args) == ["args"]
