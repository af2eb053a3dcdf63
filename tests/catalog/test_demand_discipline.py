"""A demand declares a GB/T 13745 discipline like an achievement: form, detail, API, import, filter."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.base import api_for, client_for
from tests.factories import make_demand, term
from xiake.catalog.models import Demand
from xiake.core.models import ChangeRecord


@pytest.mark.django_db
def test_the_poster_sets_the_discipline_on_the_form_and_the_page_shows_it(orgs, users):
    materials = term("gbt13745", "430")
    client = client_for(users["enterprise"])
    form = client.get(reverse("catalog:demand_add")).content.decode()
    assert 'name="discipline"' in form
    response = client.post(
        reverse("catalog:demand_add"),
        {
            "title": "焊缝锈蚀求解",
            "description": "焊缝处半年出现锈蚀。",
            "discipline": materials.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    demand = Demand.objects.get(title="焊缝锈蚀求解")
    assert demand.discipline == materials
    page = client.get(demand.get_absolute_url()).content.decode()
    assert materials.name in page
    # a term of another scheme is refused, naming the field
    bad = client.post(
        reverse("catalog:demand_edit", args=[demand.pk]),
        {"title": "焊缝锈蚀求解", "description": "x", "discipline": term("gbt4754", "33").pk},
    )
    assert bad.status_code == 400 and "discipline" in bad.context["form"].errors


@pytest.mark.django_db
def test_the_api_reads_writes_and_filters_the_discipline(orgs, users):
    materials, computing = term("gbt13745", "430"), term("gbt13745", "520")
    api = api_for(users["enterprise"])
    created = api.post(
        "/api/v1/demands/",
        {"title": "API 需求", "description": "焊缝锈蚀", "discipline": materials.code},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["discipline"] == materials.code
    assert Demand.objects.get(pk=created.json()["id"]).discipline == materials
    make_demand(orgs["enterprise"], title="推荐系统需求", discipline=computing)
    make_demand(orgs["enterprise"], title="无学科需求")
    found = api_for().get("/api/v1/demands/", {"discipline": computing.code}).json()
    assert [r["title"] for r in found["results"]] == ["推荐系统需求"]
    # the library page's filter too
    page = client_for().get(reverse("catalog:demand_list"), {"discipline": computing.code})
    assert page.status_code == 200
    text = page.content.decode()
    assert "推荐系统需求" in text and "无学科需求" not in text


def _sheet(headers, rows) -> bytes:
    wb = Workbook()
    wb.active.append(headers)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_import_template_has_the_discipline_and_an_import_sets_it(orgs, users):
    bureau = client_for(users["bureau"])
    template = bureau.get(reverse("catalog:demand_import_template"))
    headers = [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]]
    assert "学科" in headers
    materials = term("gbt13745", "430")
    by_header = {
        "需求名称": "导入的焊缝需求",
        "企业": orgs["enterprise"].name,
        "需求描述": "焊缝锈蚀",
        "学科": materials.code,
    }
    assert set(by_header) <= set(headers), headers
    row = [by_header.get(h) for h in headers]
    bad = [by_header.get(h) if h != "学科" else "不存在的学科" for h in headers]
    url = reverse("catalog:demand_import")
    failed = bureau.post(url, {"file": SimpleUploadedFile("d.xlsx", _sheet(headers, [row, bad]))})
    job = failed.context["job"]
    assert any(e["row"] == 3 and e["column"] == "学科" for e in job.errors), job.errors
    ok = bureau.post(url, {"file": SimpleUploadedFile("d.xlsx", _sheet(headers, [row]))})
    job = ok.context["job"]
    assert not job.errors, job.errors
    bureau.post(url, {"job": job.pk})
    demand = Demand.objects.get(title="导入的焊缝需求")
    assert demand.discipline == materials
    assert ChangeRecord.objects.filter(action="import", object_id=str(demand.pk)).exists()
