"""Statistics briefs (数据简报) as background tasks: asking answers at once and queues one build;
the same request reuses the build in flight or a fresh result; a failure is shown with its
reason; only the bureau user who asked sees or downloads a brief. Both formats open, carry the
year-on-year tables and three charts, and their Chinese text is real text (extracted with pypdf
from the PDF). The figures equal the dashboard's on demo data: tests/dashboard/test_dashboard.py.
"""

import datetime as dt
import io
import re
import warnings
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from docx import Document
from pypdf import PdfReader

from tests.base import client_for
from tests.contracts.factories import make_contract
from tests.factories import make_user
from xiake.dashboard.models import StatisticsBrief
from xiake.dashboard.periods import parse

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def queue(settings, media):
    settings.TASKS = DATABASE_QUEUE  # the settings fixture resets django_tasks' backends
    return media


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def last_year():
    return parse(str(timezone.localdate().year - 1))


def contracts(orgs, users):
    """Two registered contracts signed last year, one the year before (the 同比 base)."""
    year = timezone.localdate().year - 1
    for signed, amount in (
        (dt.date(year, 3, 10), "300000.00"),
        (dt.date(year, 5, 20), "1250000.00"),
        (dt.date(year - 1, 5, 20), "500000.00"),
    ):
        make_contract(
            orgs["university"],
            orgs["enterprise"],
            status="submitted",
            signed_on=signed,
            total_amount=Decimal(amount),
            created_by=users["bureau"],
        )


def ask(client, period_key, fmt, **extra):
    response = client.post("/dashboard/briefs/", {"p": period_key, "format": fmt, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(re.search(r"/dashboard/briefs/(\d+)/$", response["Location"])[1])
    return StatisticsBrief.objects.get(pk=pk)


def downloaded(client, brief) -> bytes:
    response = client.get(f"/dashboard/briefs/{brief.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'filename="brief-{brief.period}.{brief.format}"'
    )
    return b"".join(response.streaming_content)


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db(transaction=True)
def test_asking_queues_one_build_and_answers_at_once_then_the_worker_builds_it(queue, orgs, users):
    contracts(orgs, users)
    client = client_for(users["bureau"])
    period = last_year()
    brief = ask(client, period.key, "pdf")

    # the request only queued it: no file yet, one task row, a page that polls
    assert brief.status == "queued" and not brief.file
    row = DBTaskResult.objects.get()
    assert row.status == "READY" and row.task_path == "xiake.dashboard.tasks.build_brief"
    page = client.get(f"/dashboard/briefs/{brief.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "/download/" not in page
    assert client.get(f"/dashboard/briefs/{brief.pk}/download/").status_code == 404

    # asking again while it waits reuses it: no second build
    again = ask(client, period.key, "pdf")
    assert again.pk == brief.pk and DBTaskResult.objects.count() == 1

    # the real worker builds it; after every write to the brief, the polled block is fetched
    seen = []
    status_url = f"/dashboard/briefs/{brief.pk}/status/"

    def poll_after_brief_writes(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "dashboard_statisticsbrief"'):
            seen.append(client.get(status_url).content.decode())
        return result

    with connection.execute_wrapper(poll_after_brief_writes):
        run_worker()
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.traceback
    brief.refresh_from_db()
    assert (brief.status, brief.progress, brief.message) == ("done", 100, "")
    running = [html for html in seen if 'data-status="running"' in html]
    assert running and all('hx-trigger="every 1s"' in html for html in running)
    percents = [int(html.split('value="')[1].split('"')[0]) for html in running]
    assert percents == sorted(percents) and percents[-1] > percents[0]
    steps = [html.split('data-testid="brief-step">')[1].split("<")[0] for html in running[1:]]
    assert steps == ["正在计算指标", "正在绘制图表", "正在排版文档"]
    status = client.get(f"/dashboard/briefs/{brief.pk}/status/").content.decode()
    assert "hx-trigger" not in status and f"/dashboard/briefs/{brief.pk}/download/" in status
    reader, text = pdf_text(downloaded(client, brief))
    assert "数据简报" in text and period.label in text and "1,550,000.00" in text


@pytest.mark.django_db(transaction=True)
def test_a_fresh_brief_is_handed_out_again_and_an_old_one_is_rebuilt(queue, orgs, users, settings):
    settings.DASHBOARD_CACHE_SECONDS = 120
    client = client_for(users["bureau"])
    period = last_year()
    first = ask(client, period.key, "docx")
    run_worker()
    first.refresh_from_db()
    assert first.status == "done"

    follow = client.post("/dashboard/briefs/", {"p": period.key, "format": "docx"}, follow=True)
    assert follow.context["brief"].pk == first.pk
    assert "仍然有效" in follow.content.decode() or "still current" in follow.content.decode()
    assert DBTaskResult.objects.count() == 1
    # another format, or another period, is another brief
    assert ask(client, period.key, "pdf").pk != first.pk
    assert ask(client, str(period.first.year - 1), "docx").pk != first.pk
    assert DBTaskResult.objects.count() == 3

    # asked to recompute: a new build even though the first is fresh
    recomputed = ask(client, period.key, "docx", recompute="1")
    assert recomputed.pk != first.pk and recomputed.recompute
    run_worker()
    # once the new one is done, the older copy and its file are gone
    assert not StatisticsBrief.objects.filter(pk=first.pk).exists()
    assert not (queue / first.file.name).exists()

    # older than the figures may be: built again
    recomputed.refresh_from_db()
    StatisticsBrief.objects.filter(pk=recomputed.pk).update(
        finished_at=timezone.now() - dt.timedelta(seconds=121)
    )
    assert ask(client, period.key, "docx").pk != recomputed.pk


@pytest.mark.django_db
def test_only_one_build_of_a_brief_can_be_in_flight(users):
    fields = dict(requested_by=users["bureau"], period="2025", format="pdf", language="zh-hans")
    StatisticsBrief.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatisticsBrief.objects.create(**fields)  # two requests racing past the lookup
    StatisticsBrief.objects.update(status="done")
    StatisticsBrief.objects.create(**fields)  # finished ones do not count


@pytest.mark.django_db
def test_a_build_stuck_in_flight_stops_blocking_new_requests(users, settings):
    settings.DASHBOARD_BRIEF_STALE_SECONDS = 600
    user = users["bureau"]
    stuck = StatisticsBrief.objects.create(
        requested_by=user, period="2025", format="pdf", language="zh-hans"
    )
    StatisticsBrief.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=601)
    )
    brief, queued = StatisticsBrief.request(user, "2025", "pdf", "zh-hans")
    assert queued and brief.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "后台任务进程可能未运行" in stuck.message


@pytest.mark.django_db(transaction=True)
def test_a_failing_build_is_shown_with_its_reason_and_can_be_asked_again(queue, users):
    client = client_for(users["bureau"])
    period = last_year()
    (queue / "briefs").write_text("not a directory")  # storing the file fails
    brief = ask(client, period.key, "docx")
    run_worker()
    brief.refresh_from_db()
    assert brief.status == "failed" and brief.message
    html = client.get(f"/dashboard/briefs/{brief.pk}/").content.decode()
    assert 'data-status="failed"' in html and 'role="alert"' in html and "hx-trigger" not in html
    assert "无法生成" in html or "could not be built" in html
    (queue / "briefs").unlink()
    again = ask(client, period.key, "docx")  # a failed brief is not reused
    assert again.pk != brief.pk
    run_worker()
    again.refresh_from_db()
    assert again.status == "done"


@pytest.mark.django_db
def test_bad_input_is_answered_naming_the_field(users):
    client = client_for(users["bureau"])
    response = client.post("/dashboard/briefs/", {"p": "2025-13", "format": "docx"})
    assert response.status_code == 400 and "2025-13" in response.content.decode()
    assert "统计期（p）" in response.content.decode()
    response = client.post("/dashboard/briefs/", {"p": "2025", "format": "xls"})
    assert response.status_code == 400
    assert "格式（format）" in response.content.decode() and "xls" in response.content.decode()
    assert not StatisticsBrief.objects.exists()


@pytest.mark.django_db
def test_only_the_bureau_user_who_asked_gets_a_brief(
    users, media, django_capture_on_commit_callbacks
):
    owner = client_for(users["bureau"])
    with django_capture_on_commit_callbacks(execute=True):
        brief = ask(owner, last_year().key, "docx")
    brief.refresh_from_db()
    assert brief.status == "done"
    urls = [
        "/dashboard/briefs/",
        f"/dashboard/briefs/{brief.pk}/",
        f"/dashboard/briefs/{brief.pk}/status/",
        f"/dashboard/briefs/{brief.pk}/download/",
    ]
    assert all(owner.get(url).status_code == 200 for url in urls)

    anonymous = client_for()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    post = anonymous.post("/dashboard/briefs/", {"p": "2025", "format": "pdf"})
    assert post.status_code == 302 and "/accounts/login/" in post["Location"]

    for role in ("university", "enterprise", "manager", "institution", "evaluator", "public"):
        client = client_for(users[role])
        assert all(client.get(url).status_code == 403 for url in urls), role
        assert client.post("/dashboard/briefs/", {"p": "2025", "format": "pdf"}).status_code == 403

    # another bureau user guessing the numbers gets nothing, and does not see it listed
    other = client_for(make_user("t_bureau_other", "bureau", users["bureau"].organization))
    for url in urls[1:]:
        assert other.get(url).status_code == 404
    assert f"/dashboard/briefs/{brief.pk}/" not in other.get(urls[0]).content.decode()
    # the stored file has no URL of its own
    assert owner.get(f"/media/{brief.file.name}").status_code == 404
    assert StatisticsBrief.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_both_formats_open_with_the_year_on_year_table_and_three_charts(
    fmt, orgs, users, media, django_capture_on_commit_callbacks
):
    contracts(orgs, users)
    client = client_for(users["bureau"])
    period = last_year()
    with django_capture_on_commit_callbacks(execute=True):
        brief = ask(client, period.key, fmt)
    brief.refresh_from_db()
    assert brief.status == "done", brief.message
    data = downloaded(client, brief)
    before = period.same_period_last_year()
    row = ["合同成交额（元）", "1,550,000.00", "500,000.00", "+1,050,000.00", "+210.0%"]
    if fmt == "docx":
        doc = Document(io.BytesIO(data))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert (
            "测试区科学技术局" in doc.paragraphs[0].text and period.label in doc.paragraphs[0].text
        )
        headers = [c.text for c in doc.tables[0].rows[0].cells]
        assert headers == ["指标", period.label, before.label, "增减", "同比"]
        rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows[1:]]
        assert row in rows
        assert len(doc.inline_shapes) == 3
        assert all(s.width > 0 for s in doc.inline_shapes)
    else:
        reader, text = pdf_text(data)
        lines = [line.strip() for line in text.splitlines()]  # one line per table cell
        at = lines.index(row[0])
        assert lines[at : at + 5] == row
        at = lines.index("指标")
        assert lines[at : at + 5] == ["指标", period.label, before.label, "增减", "同比"]
        images = [img for page in reader.pages for img in page.images]
        assert len(images) == 3
        assert reader.metadata.title and "数据简报" in reader.metadata.title
    assert "一、总体情况" in text and "二、主要指标同比情况" in text and "三、图表" in text
    assert f"{period.label}，全区" in text  # the overview opens with the period


def test_chart_labels_are_drawn_in_a_chinese_font():
    from xiake.dashboard import chartimages

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chartimages.paired_bars(
            ["科技成果", "技术需求"], [3, 4], [1, 2], "2025年", "2024年", unit="万元"
        )
        chartimages.funnel(["发布的需求", "已推送匹配"], [10, 4])
    assert png.startswith(b"\x89PNG")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing


@pytest.mark.django_db
def test_a_brief_is_written_in_the_language_it_was_asked_in(
    users, media, django_capture_on_commit_callbacks
):
    client = client_for(users["bureau"])
    period = last_year()
    briefs = {}
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        with django_capture_on_commit_callbacks(execute=True):
            briefs[language] = ask(client, period.key, "docx")
    assert briefs["en"].pk != briefs["zh-hans"].pk  # one brief per language
    texts = {}
    for language, brief in briefs.items():
        brief.refresh_from_db()
        assert (brief.language, brief.status) == (language, "done")
        doc = Document(io.BytesIO(downloaded(client, brief)))
        texts[language] = "\n".join(p.text for p in doc.paragraphs)
    assert "1. Overview" in texts["en"] and f"Year {period.first.year}" in texts["en"]
    assert "一、总体情况" in texts["zh-hans"] and "Overview" not in texts["zh-hans"]
