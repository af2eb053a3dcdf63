"""The database task queue (django_tasks_db), which `make run` uses: saving a compilation stores a
task row and nothing runs in the request; the real worker (`xiake db_worker`) runs it, writing
progress that the polled status block shows while it runs; the files then download. The other
app that enqueues tasks (brokerage: pushes on publication and their e-mails) works through the
queue too. The rest of the suite runs tasks immediately (tests/conftest.py).

The last test starts `scripts/serve.py` (what `make run` runs) as a separate process against the
test database: it needs a database another process can open, so it runs on PostgreSQL only."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from tests import factories as f
from tests.base import api_for, client_for
from tests.brokerage.test_push import world  # noqa: F401 - the fixture, used by name below
from xiake.brokerage.models import MatchOffer, Notification
from xiake.liaison import models as m

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings, tmp_path):
    settings.TASKS = DATABASE_QUEUE  # the settings fixture resets django_tasks' backends
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def ask_for_compilation(user, university, title="测试大学科技成果汇编（队列）"):
    client = client_for(user)
    response = client.post(
        reverse("liaison:compilationjob_add"),
        {"title": title, "university": university.pk, "include_demands": "on"},
    )
    assert response.status_code == 302, response.context["form"].errors
    return client, m.CompilationJob.objects.get(title=title)


def test_the_worker_builds_a_queued_compilation_and_the_page_shows_its_progress(queue, orgs, users):
    university = f.make_university(orgs["university"], name="测试大学")
    titles = [
        f.make_achievement(orgs["university"], title=f"队列成果{i:02d}").title for i in range(40)
    ]
    client, job = ask_for_compilation(users["university"], university)

    # the request only queued it
    assert job.status == "queued" and not job.pdf_file
    row = DBTaskResult.objects.get()
    assert row.status == "READY" and row.task_path == "xiake.liaison.tasks.build_compilation"
    status_url = reverse("liaison:compilation_status", args=[job.pk])
    waiting = client.get(status_url).content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "download/pdf" not in waiting

    # the real worker runs it; after every write to the job, the block the page polls is fetched
    seen = []

    def poll_after_job_writes(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "liaison_compilationjob"'):
            seen.append(client.get(status_url).content.decode())
        return result

    with connection.execute_wrapper(poll_after_job_writes):
        run_worker()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.return_value == {"status": "done", "achievements": 40, "demands": 0}
    job.refresh_from_db()
    assert (job.status, job.progress, job.pages_done, job.pages_total) == ("done", 100, 43, 43)
    api = api_for(users["university"]).get(f"/api/v1/compilations/{job.pk}/").json()
    assert (api["status"], api["progress"], api["pages_done"], api["phase"]) == (
        "done",
        100,
        43,
        "docx",
    )

    running = [html for html in seen if 'data-status="running"' in html]
    assert running and all('hx-trigger="every 1s"' in html for html in running)
    percents = [int(html.split('aria-valuenow="')[1].split('"')[0]) for html in running]
    assert percents == sorted(percents) and percents[-1] > percents[0]
    pages_texts = [html for html in running if 'data-testid="compilation-pages"' in html]
    assert pages_texts, "the block never named the pages laid out"
    assert "43" in pages_texts[-1]
    assert "hx-trigger" not in seen[-1] and "download/pdf" in seen[-1]

    response = client.get(reverse("liaison:compilation_download", args=[job.pk, "pdf"]))
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert len(reader.pages) == 43  # cover, 2 contents pages, 40 achievements
    assert titles[-1] in reader.pages[42].extract_text()


def test_a_failing_build_is_shown_failed_and_can_be_asked_again(queue, orgs, users):
    university = f.make_university(orgs["university"], name="测试大学")
    f.make_achievement(orgs["university"], title="队列成果")
    client, job = ask_for_compilation(users["university"], university)
    (queue / "compilations").write_text("not a directory")  # saving the files fails
    run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and job.message
    html = client.get(reverse("liaison:compilation_status", args=[job.pk])).content.decode()
    assert 'data-status="failed"' in html and "hx-trigger" not in html
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"  # the task reported the failure
    (queue / "compilations").unlink()
    job.save()  # asking again queues a new build
    assert job.status == "queued"
    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.pdf_file


def test_brokerage_pushes_run_through_the_queue(queue, world, users):  # noqa: F811
    demand = world["demand"]
    client_for(users["bureau"]).post(
        f"{demand.get_absolute_url()}review/", {"action": "publish", "comment": "同意"}
    )
    demand.refresh_from_db()
    assert demand.status == "published"
    assert not MatchOffer.objects.filter(demand=demand).exists()  # nothing ran in the request
    assert DBTaskResult.objects.filter(
        task_path="xiake.brokerage.tasks.push_published_demand"
    ).exists()
    run_worker()  # the push, then the e-mails it queued
    assert MatchOffer.objects.filter(demand=demand, achievement=world["steel"]).exists()
    assert Notification.objects.filter(key=f"demand:{demand.pk}:offers").exists()
    assert len(mail.outbox) == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def field_keys_env() -> dict:
    from django.conf import settings

    if settings.FIELD_ENCRYPTION_KEYS:
        keys, index = list(settings.FIELD_ENCRYPTION_KEYS), settings.FIELD_INDEX_KEY
    else:
        generated = json.loads(settings.FIELD_KEY_FILE.read_text())
        keys, index = generated["encryption_keys"], generated["index_key"]
    return {"FIELD_ENCRYPTION_KEYS": ",".join(keys), "FIELD_INDEX_KEY": index}


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="another process must open the test database: PostgreSQL only",
)
def test_make_run_supervisor_starts_a_worker_beside_the_server(queue, orgs, users):
    university = f.make_university(orgs["university"], name="测试大学")
    for i in range(60):
        f.make_achievement(orgs["university"], title=f"队列成果{i:02d}")
    client, job = ask_for_compilation(users["university"], university)
    status_url = reverse("liaison:compilation_status", args=[job.pk])
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "XIAKE_VAR_DIR": str(queue),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        # the worker must read the phones this process encrypted: the same keys, not a key file
        # generated in its own var dir
        **field_keys_env(),
    }
    # the "server" is a process that lives until the build is done; the supervisor must then
    # stop the worker and exit with the server's code
    marker = queue / "server-may-stop"
    wait_for_marker = (
        f"import os, time\nwhile not os.path.exists({str(marker)!r}):\n    time.sleep(0.2)\n"
        "raise SystemExit(3)"
    )
    server = [sys.executable, "-c", wait_for_marker]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "serve.py"), "--", *server],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            html = client.get(status_url).content.decode()
            seen.append(html)
            if 'data-status="done"' in html or 'data-status="failed"' in html:
                break
            time.sleep(0.2)
        marker.write_text("done")
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, output.decode()
    assert 'data-status="done"' in seen[-1] and "download/pdf" in seen[-1], output.decode()
    assert any('data-testid="compilation-pages"' in html for html in seen), output.decode()
    assert b"worker" in output
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
