"""Schemathesis against the API's own OpenAPI schema (/api/v1/schema/): every operation, every
method, anonymously and as two signed-in roles (token authentication), with generated paths,
queries and bodies. No answer may be a 5xx; documented answers must match their schema.

Deterministic: hypothesis is derandomized (the same examples every run) and bounded
(``EXAMPLES`` per operation and identity). Opt-in, not in CI yet: ``make test-fuzz-api``.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests import factories as f
from tests.base import api_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = 3
IDENTITIES = ("anonymous", "enterprise", "university")


def load_schema():
    """The schema as the running app serves it (drf-spectacular builds it without the database)."""
    from xiake.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


schema = load_schema()


@pytest.fixture
def tokens(orgs, users):
    """Records the generated ids can hit (ids start at 1 in a fresh test database), and a token
    per signed-in identity."""
    for i in range(3):
        f.make_achievement(orgs["university"], title=f"模糊测试成果{i}")
        f.make_demand(orgs["enterprise"], title=f"模糊测试需求{i}")
        f.make_expert(orgs["university"])
    out = {}
    for name in IDENTITIES[1:]:
        client = api_for(users[name])
        out[name] = client._credentials["HTTP_AUTHORIZATION"]
    return out


def call(case, who, tokens):
    headers = {"Authorization": tokens[who]} if who in tokens else {}
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{who}: {case.method} {case.formatted_path} → {response.status_code}\n"
        f"{case.as_curl_command(headers=headers)}\n{response.text[:2000]}"
    )
    if response.status_code < 300:
        case.validate_response(response, checks=(response_schema_conformance,))


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_anonymous_calls_answer_no_server_error(case, tokens):
    call(case, "anonymous", tokens)


@schema.parametrize()
@FUZZ
def test_enterprise_calls_answer_no_server_error(case, tokens):
    call(case, "enterprise", tokens)


@schema.parametrize()
@FUZZ
def test_university_calls_answer_no_server_error(case, tokens):
    call(case, "university", tokens)
