"""An unreachable database answers 503 with Retry-After (a page, or JSON under /api/), without a
traceback and without touching the database; any other server error stays a plain 500.
tests/ops/test_faults_postgres.py checks the same against a real PostgreSQL restart."""

import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client


def failing(error):
    def wrapper(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    return wrapper


@pytest.mark.parametrize(
    ("url", "is_json"), [("/catalog/achievements/", False), ("/api/v1/achievements/", True)]
)
def test_a_lost_database_connection_answers_503_with_retry_after(db, url, is_json):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(failing(OperationalError)):
        response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Traceback" not in body and "server closed" not in body
    if is_json:
        assert response.json() == {"detail": "数据库暂时无法访问，请几秒钟后重试。"}
    else:
        assert "服务暂时不可用" in body and 'class="xk-error-code"' in body


def test_other_database_errors_stay_a_500(db):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(failing(ProgrammingError)):
        response = client.get("/api/v1/achievements/")
    assert response.status_code == 500
    assert "Retry-After" not in response
