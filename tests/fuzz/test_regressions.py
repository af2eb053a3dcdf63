"""Inputs the fuzzers found that failed, kept as plain tests in the normal suite."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.base import client_for
from xiake.core import importer


@pytest.mark.parametrize("data", [b"a\rb\r", "成果名称\r\n钙钛矿\r\n".encode()])
def test_csv_with_bare_carriage_returns_is_read(data):
    """csv.Error "new-line character seen in unquoted field" escaped read_table (a 500)."""
    header, rows = importer.read_table("成果.csv", data)
    assert isinstance(header, list) and all(isinstance(r, list) for r in rows)


def test_csv_with_a_nul_byte_is_refused_with_a_reason():
    """A NUL made csv raise (a 500); the upload rules now refuse it as not text, by name."""
    with pytest.raises(importer.ImportRejected, match=r"\.csv"):
        importer.read_table("成果.csv", b"\r\x00")


def test_an_unreadable_csv_is_refused_with_a_reason_on_the_import_page(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    huge_cell = b'"' + b"x" * 200_000 + b'"\n'  # over csv's field size limit
    response = client_for(users["bureau"]).post(
        reverse("catalog:achievement_import"),
        {"file": SimpleUploadedFile("成果.csv", "成果名称\n".encode() + huge_cell)},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"][0].startswith("无法读取该 CSV 文件")


@pytest.mark.parametrize("body", [[None, None], 7, "成果"])
def test_an_api_write_whose_body_is_not_an_object_is_refused_not_a_crash(users, body):
    """schemathesis: POST [null, null] to a library's API was a 500 (the owner was written into
    a list); a body that is not an object is now the serializer's 400."""
    from tests.base import api_for

    for url in ("/api/v1/achievements/", "/api/v1/demands/"):
        response = api_for(users["enterprise"]).post(url, body, format="json")
        assert response.status_code == 400, (url, response.content[:300])
        assert "non_field_errors" in response.json()


def test_an_api_answer_names_an_absent_relation_null_and_its_schema_says_so(users):
    """schemathesis: a compilation without a university was answered without the documented
    ``university_name`` key, and its empty build step ``phase: ""`` was outside the schema's enum."""
    from tests.base import api_for

    client = api_for(users["enterprise"])
    response = client.post("/api/v1/compilations/", {"title": "模糊测试汇编"}, format="json")
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert body["university"] is None and body["university_name"] is None
    assert body["phase"] == ""

    schema = client.get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    job = schema["CompilationJob"]
    assert "university_name" in job["required"] and job["properties"]["university_name"]["nullable"]
    phase_refs = [one["$ref"].rsplit("/", 1)[1] for one in job["properties"]["phase"]["oneOf"]]
    assert [schema[name]["enum"] for name in phase_refs] == [["pdf", "docx"], [""]]


def test_an_instant_before_the_zones_standard_time_is_answered_as_rfc3339(users):
    """schemathesis: an event starting in 1302 was answered as "1302-03-05T12:13:05+08:05:43"
    (Asia/Shanghai's local mean time), which no RFC 3339 date-time parser accepts; such an
    instant is now written in UTC."""
    from datetime import UTC, datetime

    from tests.base import api_for

    client = api_for(users["university"])
    event = {
        "title": "模糊测试活动",
        "event_type": "clinic",
        "starts_at": "1302-03-05T23:29:22+19:22",
        "ends_at": "2030-05-13T06:51:38-01:45",
        "capacity": 30,
    }
    response = client.post("/api/v1/events/", event, format="json")
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert body["starts_at"] == "1302-03-05T04:07:22Z"
    assert datetime.fromisoformat(body["starts_at"]) == datetime(1302, 3, 5, 4, 7, 22, tzinfo=UTC)
    # an instant in standard time keeps the local offset
    assert body["ends_at"] == "2030-05-13T16:36:38+08:00"
