"""Schemathesis against the API's own OpenAPI schema (/api/v1/schema/): every operation, every
method, with generated paths, queries and bodies, valid and invalid, each sent anonymously and
with the token of an enterprise, a university and a bureau user ("anonymous" sends only the
credentials schemathesis generates: a random ``Authorization`` header and session cookie).
No answer may be a 5xx; a 2xx body must match its schema.

Shaped to fit CI (`make test-slow`): generating the cases costs more than answering them, so each
generated case is sent as every identity; the app is called in-process (WSGI) over records seeded
once; each call runs in a savepoint that is rolled back, so every call sees the same records.
Operations on one record get, beside the generated ids (mostly unknown: 404), cases on a record
that exists. Deterministic: hypothesis is derandomized without an example database (the same
cases every run). Every failing operation is collected and reported together.
"""

import logging
import re

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests import factories as f
from tests.base import api_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

IDENTITIES = ("anonymous", "enterprise", "university", "bureau")
# Generated cases per operation (valid and invalid ones mixed), and valid cases on an existing
# record: CI's budget (`--slow`) and the thorough run (`--api-fuzz`, make test-fuzz-api).
EXAMPLES = {"ci": (3, 1), "thorough": (25, 5)}


def load_schema():
    """The schema as the running app serves it (drf-spectacular builds it without the database)."""
    from xiake.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():  # the request passes middleware that reads the database
        return load_schema()


@pytest.fixture
def quiet_client_errors():
    """Django logs every 4xx as a warning: thousands here, at a cost; a 5xx is still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def seed(orgs, users):
    """Records for the operations on one record to reach, and a token per signed-in identity."""
    for i in range(2):
        f.make_achievement(orgs["university"], title=f"模糊测试成果{i}")
        f.make_demand(orgs["enterprise"], title=f"模糊测试需求{i}")
        f.make_expert(orgs["university"])
        f.make_platform(orgs["university"])
        f.make_agency(orgs["enterprise"])
        f.make_transferstaff(orgs["university"])
    f.make_university(orgs["university"])
    return {
        name: {"Authorization": api_for(users[name])._credentials["HTTP_AUTHORIZATION"]}
        if name in users
        else {}
        for name in IDENTITIES
    }


def existing_id(operation):
    """The lowest primary key of the records behind an operation's ``{id}``, if there are any."""
    if "{id}" not in operation.path:
        return None
    path = re.sub(r"\{[^}]+\}", "1", operation.path)
    try:
        view = resolve(path).func
    except Resolver404:
        return None
    cls = getattr(view, "cls", None)
    resource = getattr(cls, "resource", None)
    queryset = getattr(cls, "queryset", None)
    model = resource.model if resource is not None else getattr(queryset, "model", None)
    if model is None:
        return None
    return model.objects.order_by("pk").values_list("pk", flat=True).first()


def strategies(operation, examples):
    """(kind, strategy, number of cases) for one operation."""
    generated, on_record = examples
    out = [
        (
            "generated",
            st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            ),
            generated,
        )
    ]
    pk = existing_id(operation)
    if pk is not None:
        out.append(
            (
                "on a record",
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters={"id": pk}
                ),
                on_record,
            )
        )
    return out


def send(case, who, headers):
    """One call as one identity, its effects rolled back; asserts the answer's checks."""
    with transaction.atomic():
        try:
            response = case.call(headers=headers)
        finally:
            transaction.set_rollback(True)
    assert response.status_code < 500, (
        f"as {who}: {response.status_code}\n{case.as_curl_command(headers=headers)}\n"
        f"{response.text[:1500]}"
    )
    if response.status_code < 300:
        try:
            case.validate_response(response, checks=(response_schema_conformance,))
        except BaseExceptionGroup as failure:  # schemathesis' FailureGroup
            raise AssertionError(f"as {who}: {failure}") from failure


def send_cases(strategy, count, identities):
    """``count`` cases drawn from ``strategy``, each sent as every identity; how many were sent
    (fewer when the strategy has fewer distinct cases)."""
    sent = []

    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case):
        cache.clear()  # the API rate limit would answer 429 long before the end
        sent.append(case)
        for who, headers in identities.items():
            send(case, who, headers)

    run()
    return len(sent)


def fuzz_operation(operation, identities, examples, sent):
    """Every case of one operation as every identity; the first failure as text, or None.
    ``sent`` counts the cases by kind."""
    for kind, strategy, count in strategies(operation, examples):
        try:
            sent[kind] = sent.get(kind, 0) + send_cases(strategy, count, identities)
        except Exception as failure:  # noqa: BLE001 — every failing operation is reported
            return f"{type(failure).__name__}: {failure}"
    return None


def test_every_operation_answers_every_identity_without_server_error(
    schema, orgs, users, request, quiet_client_errors
):
    identities = seed(orgs, users)
    examples = EXAMPLES["thorough" if request.config.getoption("--api-fuzz") else "ci"]
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, sent = {}, {}
    for operation in operations:
        failure = fuzz_operation(operation, identities, examples, sent)
        if failure:
            failures[f"{operation.method.upper()} {operation.path}"] = failure
    documented = [
        method
        for item in schema.raw_schema["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    ]
    assert len(operations) == len(documented)  # all of them, none skipped unparsed
    # shown by `pytest -rP`: what the run covered
    print(
        f"{len(operations)} operations, {sum(sent.values())} cases {sent}, "
        f"each as {len(identities)} identities"
    )
    assert not failures, f"{len(failures)} of {len(operations)} operations failed\n\n" + (
        "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    )
