"""The district dashboard on demo data: every figure equals the module's own statistics, each
drill-down lists exactly the records counted, the XLSX holds the page's numbers, and nobody but
the bureau gets in.

The demo (libraries at a small scale, then the contracts, brokerage, liaison and institutions
steps) is generated once for the module inside a transaction rolled back at the end.
"""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from tests.base import client_for
from tests.contracts.factories import make_contract
from tests.factories import make_user
from xiake.accounts.models import User
from xiake.demo import extensions
from xiake.portal.panels import ROLE_PANELS

SMALL = ["--achievements", "300", "--experts", "40", "--demands", "40", "--platforms", "10"]
SMALL += ["--staff", "30", "--enterprises", "40"]
STEPS = ("contracts", "brokerage", "liaison", "institutions")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    settings.MATCHING_INDEX_DIR = tmp_path_factory.mktemp("index")
    settings.MATCHING_BACKGROUND_REBUILD = False
    saved = dict(extensions._steps)
    extensions._steps.clear()
    extensions._steps.update({k: v for k, v in saved.items() if k in STEPS})
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            call_command("demo", *SMALL, stdout=io.StringIO())
            yield {u.username: u for u in User.objects.all()}
            transaction.set_rollback(True)
    finally:
        extensions._steps.clear()
        extensions._steps.update(saved)


pytestmark = pytest.mark.django_db


def periods():
    from xiake.dashboard.periods import parse, year_to_date

    today = timezone.localdate()
    return [year_to_date(today), parse(str(today.year - 1)), parse(str(today.year))]


def page_values(user, period) -> dict:
    response = client_for(user).get("/dashboard/", {"p": period.key, "fresh": "1"})
    assert response.status_code == 200
    return {
        line.figure.key: (line.current, line.previous, line.last_year)
        for _group, lines in response.context["groups"]
        for line in lines
    }


def test_contract_figures_equal_the_contract_statistics(demo):
    from xiake.contracts import stats
    from xiake.contracts.models import TechContract

    bureau = demo["bureau"]
    for period in periods():
        shown = page_values(bureau, period)
        for scope, prefix in (("all", "contracts"), ("registered", "registered")):
            qs = stats.base_queryset(bureau, scope).filter(
                signed_on__range=(period.start, period.end)
            )
            module = stats.totals(qs)
            assert shown[f"{prefix}_count"][0] == module.count
            assert shown[f"{prefix}_total"][0] == module.total
            assert shown[f"{prefix}_tech"][0] == module.tech
        # Independently of stats: the bureau's visible contracts signed in the period, summed here.
        visible = TechContract.objects.restrict(bureau).filter(
            signed_on__range=(period.start, period.end)
        )
        assert shown["contracts_count"][0] == len(visible)
        assert shown["contracts_total"][0] == sum((c.total_amount for c in visible), Decimal(0))
    # The module's own grouping by year gives the same registered figures as the year's page.
    year = periods()[1]
    by_year = {r.key: r for r in stats.grouped(stats.base_queryset(bureau, "registered"), "year")}
    shown = page_values(bureau, year)
    row = by_year.get(str(year.first.year))
    assert shown["registered_count"][0] == (row.count if row else 0)
    assert shown["registered_total"][0] == (row.total if row else 0)


def test_funnel_figures_equal_the_funnel_by_year_and_by_month(demo):
    from xiake.brokerage.funnel import funnel

    bureau = demo["bureau"]
    rows_by_year = dict(funnel(bureau, "year")[0])
    for period in periods()[1:]:
        shown = page_values(bureau, period)
        stage = rows_by_year.get(str(period.first.year))
        for name in ("published", "matched", "cases", "signed"):
            assert shown[f"funnel_{name}"][0] == (getattr(stage, name) if stage else 0)
    assert any(s.published for s in rows_by_year.values())


def test_events_and_enterprises_served_equal_the_liaison_figures(demo):
    from xiake.liaison.models import Event
    from xiake.liaison.models.events import enterprises_served

    bureau = demo["bureau"]
    total_served = 0
    for period in periods():
        shown = page_values(bureau, period)
        assert shown["served"][0] == enterprises_served(period.start, period.end)
        last = period.same_period_last_year()
        assert shown["served"][2] == enterprises_served(last.start, last.end)
        held = [
            e
            for e in Event.objects.all()
            if period.start <= timezone.localtime(e.starts_at).date() <= period.end
        ]
        assert shown["events"][0] == len(held)
        total_served += shown["served"][0]
    assert total_served > 0


def test_institution_figures_equal_the_district_overview(demo):
    from xiake.institutions.views import overview_data

    bureau = demo["bureau"]
    year = periods()[1]
    table = overview_data(bureau, year.first.year)[0]
    shown = page_values(bureau, year)
    assert shown["inst_revenue"][0] == sum((r["revenue"] for r in table), Decimal(0)).quantize(
        Decimal("0.01")
    )
    assert shown["inst_patents"][0] == sum(r["patents"] for r in table)
    assert shown["reports"][0] == sum(r["months"] for r in table) > 0


def test_library_figures_count_what_the_library_lists_publish(demo):
    from xiake.catalog.models import Achievement

    bureau = demo["bureau"]
    period = periods()[2]
    shown = page_values(bureau, period)
    published = [
        a
        for a in Achievement.objects.filter(status="published")
        if period.start <= timezone.localtime(a.reviewed_at or a.created_at).date() <= period.end
    ]
    assert shown["achievements"][0] == len(published) > 0


@pytest.mark.parametrize(
    "key",
    [
        "contracts_count",
        "registered_count",
        "events",
        "reports",
        "achievements",
        "funnel_published",
        "funnel_matched",
        "funnel_cases",
        "funnel_signed",
    ],
)
def test_each_drill_down_lists_exactly_the_records_counted(demo, key):
    bureau = demo["bureau"]
    client = client_for(bureau)
    from xiake.dashboard.periods import parse

    year = timezone.localdate().year
    period = parse(f"{year - 1}-01..{year}-12")  # last year and this one: every kind of record
    shown = page_values(bureau, period)[key][0]
    assert shown > 0
    page = client.get(f"/dashboard/drill/{key}/", {"p": period.key})
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == shown
    assert page.context["value"] == shown
    sheet = client.get(f"/dashboard/drill/{key}/", {"p": period.key, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert len(rows) - 1 == shown  # a header, then one row per record


def test_the_contract_value_links_to_the_contracts_behind_it(demo):
    bureau = demo["bureau"]
    period = periods()[2]
    page = client_for(bureau).get("/dashboard/", {"p": period.key})
    html = page.content.decode()
    assert f"/dashboard/drill/contracts_total/?p={period.key}" in html
    drill = client_for(bureau).get("/dashboard/drill/contracts_total/", {"p": period.key})
    titles = {c.title for c in drill.context["page_obj"].object_list}
    from xiake.contracts.models import TechContract

    expected = set(
        TechContract.objects.restrict(bureau)
        .filter(signed_on__range=(period.start, period.end))
        .order_by("-pk")
        .values_list("title", flat=True)[:50]
    )
    assert titles == expected and titles


def test_export_holds_the_figures_of_the_page(demo):
    bureau = demo["bureau"]
    period = periods()[0]
    shown = page_values(bureau, period)
    response = client_for(bureau).get("/dashboard/export.xlsx", {"p": period.key})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    from xiake.dashboard.figures import FIGURES

    body = rows[2:]
    assert len(body) == len(FIGURES)
    for figure, row in zip(FIGURES, body, strict=True):
        current, previous, last_year = shown[figure.key]
        assert row[3] == (float(current) if isinstance(current, Decimal) else current)
        assert row[4] == (float(previous) if isinstance(previous, Decimal) else previous)
        assert row[6] == (float(last_year) if isinstance(last_year, Decimal) else last_year)


def test_bureau_home_panel_shows_the_dashboard_figures(demo):
    bureau = demo["bureau"]
    response = client_for(bureau).get("/my/")
    keys = [p.key for p, _c in response.context["panels"]]
    assert keys == list(ROLE_PANELS["bureau"])
    content = dict((p.key, c) for p, c in response.context["panels"])["district_figures"]
    links = [item.url for item in content.items]
    assert any("/dashboard/drill/registered_total/" in u for u in links)
    assert any(u.startswith("/liaison/") for u in links)  # enterprises served: liaison's page


@pytest.mark.parametrize(
    "role", ["university", "enterprise", "manager", "institution", "evaluator"]
)
def test_nobody_but_the_bureau_gets_in(demo, role):
    client = client_for(demo[role])
    for url in (
        "/dashboard/",
        "/dashboard/export.xlsx",
        "/dashboard/drill/contracts_total/",
        "/dashboard/drill/achievements/?export=xlsx",
    ):
        assert client.get(url).status_code == 403
    public = make_user("t_dash_public", "public", None)
    assert client_for(public).get("/dashboard/").status_code == 403
    anonymous = client_for().get("/dashboard/export.xlsx")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_period_that_is_not_one_is_named_in_the_answer(demo):
    client = client_for(demo["bureau"])
    page = client.get("/dashboard/", {"p": "2025-13"})
    assert page.status_code == 400 and "2025-13" in page.content.decode()
    assert client.get("/dashboard/export.xlsx", {"p": "soon"}).status_code == 400
    assert client.get("/dashboard/drill/nothing/").status_code == 404
    assert client.get("/dashboard/drill/served/").status_code == 404  # served: liaison's page


def test_figures_are_kept_a_moment_and_fresh_recomputes(demo, orgs):
    bureau = demo["bureau"]
    period = periods()[0]
    client = client_for(bureau)
    before = client.get("/dashboard/", {"p": period.key})
    count = {
        line.figure.key: line.current for _g, lines in before.context["groups"] for line in lines
    }["contracts_count"]
    make_contract(
        orgs["university"],
        orgs["enterprise"],
        status="submitted",
        signed_on=period.start,
        created_by=bureau,
    )
    again = client.get("/dashboard/", {"p": period.key})
    fresh = client.get("/dashboard/", {"p": period.key, "fresh": "1"})

    def current(response):
        return {
            line.figure.key: line.current
            for _g, lines in response.context["groups"]
            for line in lines
        }["contracts_count"]

    assert current(again) == count and current(fresh) == count + 1


def test_breakdowns_add_up_to_the_registered_figures(demo):
    from xiake.contracts import stats

    bureau = demo["bureau"]
    period = periods()[1]
    response = client_for(bureau).get("/dashboard/", {"p": period.key, "fresh": "1"})
    tables = {key: rows for key, _title, rows in response.context["breakdowns"]}
    shown = page_values(bureau, period)
    registered = stats.base_queryset(bureau, "registered").filter(
        signed_on__range=(period.start, period.end)
    )
    for key in ("university", "field"):
        module = [(r.key, r.count, r.total, r.tech) for r in stats.grouped(registered, key)]
        assert tables[key] == module
        assert sum(r[1] for r in tables[key]) == shown["registered_count"][0]
        assert sum(r[2] for r in tables[key]) == shown["registered_total"][0]
    owners = tables["achievements"]
    assert owners and owners == sorted(owners, key=lambda r: (-r[1], r[0]))
    from xiake.catalog.models import Achievement

    top_name, top_count = owners[0][0], owners[0][1]
    published = [
        a
        for a in Achievement.objects.filter(status="published", owner_org__name=top_name)
        if period.start <= timezone.localtime(a.reviewed_at or a.created_at).date() <= period.end
    ]
    assert top_count == len(published)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_statistics_brief_holds_the_figures_of_the_page(
    demo, fmt, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Asked for through the page and built by the task: every figure of the page, cell by cell,
    with the same period last year, in both formats."""
    from docx import Document
    from pypdf import PdfReader

    from xiake.dashboard.figures import FIGURES
    from xiake.dashboard.models import StatisticsBrief
    from xiake.dashboard.templatetags.dashboard import figure

    settings.MEDIA_ROOT = tmp_path
    bureau = demo["bureau"]
    period = periods()[1]  # last year, as a report would ask
    shown = page_values(bureau, period)
    client = client_for(bureau)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/briefs/", {"p": period.key, "format": fmt})
    assert response.status_code == 302
    brief = StatisticsBrief.objects.get(requested_by=bureau, period=period.key, format=fmt)
    assert brief.status == "done", brief.message
    download = client.get(f"/dashboard/briefs/{brief.pk}/download/")
    assert download["Content-Disposition"].endswith(f'brief-{period.key}.{fmt}"')
    data = b"".join(download.streaming_content)
    expected = [
        [figure(shown[f.key][0], str(f.unit)), figure(shown[f.key][2], str(f.unit))]
        for f in FIGURES
    ]
    if fmt == "docx":
        doc = Document(io.BytesIO(data))
        text = "\n".join(p.text for p in doc.paragraphs)
        rows = [[c.text for c in row.cells] for table in doc.tables for row in table.rows[1:]]
        assert [row[1:3] for row in rows] == expected
    else:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        lines = [line.strip() for line in text.splitlines()]
        names = [f"{f.label}（{f.unit}）" if str(f.unit) else str(f.label) for f in FIGURES]
        at = [lines.index(name) for name in names]
        assert [lines[i + 1 : i + 3] for i in at] == expected
    assert period.label in text and str(period.first.year) in text
    assert figure(shown["registered_count"][0]) in text  # the summary quotes the contracts
    for role in ("university", "enterprise", "institution"):
        other = client_for(demo[role])
        assert other.post("/dashboard/briefs/", {"p": period.key, "format": fmt}).status_code == 403
        assert other.get(f"/dashboard/briefs/{brief.pk}/download/").status_code == 403
