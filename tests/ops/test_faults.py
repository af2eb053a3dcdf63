"""Fault tests with real processes: a process is killed (SIGKILL) at a chosen point in the middle
of its work, started again, and the outcome must be as if nothing had happened: nothing lost,
nothing twice.

How "the middle" is reached: the processes load tests/ops/faultsite/sitecustomize.py, which stops
the process at a named point (after the first batch of an import, of a reindex, of a feed commit,
of a notification fan-out) and writes its pid to a file; the test then kills that pid. Every test
gets its own database (a copy of one migrated per session) and var directory: see faultkit.py.

Slow (each test starts several Django processes): run with ``make test-slow``.
"""

from __future__ import annotations

import csv
import io
import signal
import sys
import time

import pytest

from tests.ops.faultkit import ROOT, Template, kill

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    tpl = Template(tmp_path_factory.mktemp("fault-template"))
    yield tpl
    tpl.close()


@pytest.fixture
def site(template, tmp_path):
    s = template.site(tmp_path / "var")
    yield s
    s.close()


# -- a notification fan-out killed half-way ------------------------------------------------------

SUBSCRIBERS = 23


def publish_achievement_with_subscribers(site) -> int:
    """23 users subscribed (instant) to a keyword; an achievement about it is published through
    the review workflow, which queues its push task. Returns the achievement's id."""
    return site.query(
        f"""
        from tests.factories import make_achievement, make_org, make_user
        from xiake.brokerage.models import Subscription
        from django_tasks_db.models import DBTaskResult

        university = make_org("故障测试大学", "university")
        for i in range({SUBSCRIBERS}):
            user = make_user(f"sub{{i:02d}}", "enterprise", make_org(f"订阅企业{{i}}", "enterprise"),
                             email=f"sub{{i}}@example.org")
            Subscription.objects.create(user=user, kind="keyword", keyword="钙钛矿",
                                        frequency="instant")
        a = make_achievement(university, status="submitted", title="钙钛矿太阳电池封装技术")
        a.status = "published"
        a.save()
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        result = a.pk
        """
    )


def fanout_state(site, pk, wait_until_finished=0):
    """Who has the achievement's notification, and the push task's state (waiting, in the same
    process, up to ``wait_until_finished`` seconds for the task to finish)."""
    return site.query(
        f"""
        import time
        from collections import Counter
        from django_tasks_db.models import DBTaskResult
        from xiake.brokerage.models import Notification

        tasks = DBTaskResult.objects.filter(task_path__endswith="push_published_achievement")
        deadline = time.monotonic() + {wait_until_finished}
        while time.monotonic() < deadline and tasks.get().status not in ("SUCCESSFUL", "FAILED"):
            time.sleep(0.3)
        rows = Notification.objects.filter(key="achievement:{pk}:published")
        push = tasks.get()
        result = {{
            "per_user": sorted(Counter(rows.values_list("user__username", flat=True)).items()),
            "push": push.status,
            "claims": len(push.worker_ids),
        }}
        """
    )


def test_a_worker_killed_mid_fan_out_is_replaced_and_every_subscriber_is_told_once(site):
    pk = publish_achievement_with_subscribers(site)
    # the "server" of scripts/serve.py: a process that lives until the test lets it stop
    stop_file = site.var_dir / "server-may-stop"
    server = [
        sys.executable,
        "-c",
        f"import os, time\nwhile not os.path.exists({str(stop_file)!r}): time.sleep(0.2)",
    ]
    serve = site.start(
        [sys.executable, str(ROOT / "scripts" / "serve.py"), "--grace", "20", "--", *server],
        env=site.fault_env("fanout", 1, XIAKE_FAULT_BATCH="5"),
    )
    worker_pid = site.wait_for_fault(serve, timeout=180)
    half = fanout_state(site, pk)
    assert half["push"] == "RUNNING"
    assert len(half["per_user"]) == 5, half  # the first batch is in, the rest is not

    kill(worker_pid)  # serve.py sees its worker die and starts another one

    state = fanout_state(site, pk, wait_until_finished=180)
    stop_file.write_text("stop")
    serve.wait(timeout=60)
    output = site.output(serve)
    assert state["push"] == "SUCCESSFUL", output
    assert state["claims"] == 2, output  # the dead worker's claim, then the new worker's
    assert state["per_user"] == [[f"sub{i:02d}", 1] for i in range(SUBSCRIBERS)], output
    assert "1 tasks requeued" in output


LEASE = 8  # seconds: TASK_WORKER_LEASE_SECONDS of both "nodes" below


def leases(site):
    return site.query(
        """
        from xiake.ops.models import WorkerHeartbeat
        result = {w: e is not None for w, e in
                  WorkerHeartbeat.objects.values_list("worker_id", "expired_at")}
        """
    )


def test_a_worker_killed_on_one_node_gives_its_task_to_another_nodes_worker_after_its_lease(site):
    """Two workers as on two app nodes (ids of no real host, so no process check can help): the
    first is stopped mid fan-out, alive, and keeps its task for two whole leases; killed, its
    lease lapses and the second runs the task again, to the end, exactly once."""
    pk = publish_achievement_with_subscribers(site)
    worker = [sys.executable, "-m", "xiake", "task_worker", "--queue-name", "*", "--no-reload"]
    worker += ["--no-startup-delay", "--interval", "0.2", "--worker-id"]
    lease = {"TASK_WORKER_LEASE_SECONDS": str(LEASE)}
    env_a = site.fault_env("fanout", 1, XIAKE_FAULT_BATCH="5", **lease)
    node_a = site.start([*worker, "node-a:worker"], env=env_a)
    worker_pid = site.wait_for_fault(node_a, timeout=180)
    node_b = site.start([*worker, "node-b:worker"], env={**site.env, **lease})

    time.sleep(2 * LEASE)  # node A is alive (stopped in its task) and renews its lease
    half = fanout_state(site, pk)
    assert half["push"] == "RUNNING" and half["claims"] == 1, site.output(node_b)
    assert len(half["per_user"]) == 5, half
    assert leases(site) == {"node-a:worker": False, "node-b:worker": False}

    kill(worker_pid)  # node A is gone for good: nothing restarts it
    state = fanout_state(site, pk, wait_until_finished=180)
    output = site.output(node_b)
    assert state["push"] == "SUCCESSFUL", output
    assert state["claims"] == 2, output  # node A's claim, then node B's
    assert state["per_user"] == [[f"sub{i:02d}", 1] for i in range(SUBSCRIBERS)], output
    assert node_b.poll() is None, output  # node B keeps serving the queue
    assert leases(site) == {"node-a:worker": True, "node-b:worker": False}

    node_b.send_signal(signal.SIGTERM)  # a normal stop gives the lease up
    assert node_b.wait(timeout=60) == 0, site.output(node_b)
    assert leases(site) == {"node-a:worker": True, "node-b:worker": True}


def test_requeue_leaves_a_live_workers_task_alone_and_fails_one_that_keeps_killing_workers(site):
    result = site.query(
        """
        import os, subprocess, sys, time
        from django.core.management import call_command
        from django_tasks_db.models import DBTaskResult
        from xiake.ops.workers import MAX_ATTEMPTS, new_worker_id

        def running(*ids):
            return DBTaskResult.objects.create(
                status="RUNNING", args_kwargs={"args": [0], "kwargs": {}},
                task_path="xiake.brokerage.tasks.push_published_demand", backend_name="default",
                run_after="9999-01-01T00:00:00Z", worker_ids=list(ids),
            )

        live_id = new_worker_id()
        # a process of this host that carries the id on its command line: a live worker
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                    "--worker-id", live_id])
        try:
            live = running(live_id)
            dead = running(new_worker_id())
            poison = running(*[new_worker_id() for _ in range(MAX_ATTEMPTS)])
            elsewhere = running("another-host:0123456789abcdef")
            call_command("requeue_tasks")
        finally:
            sleeper.kill()
        result = {
            name: DBTaskResult.objects.get(pk=row.pk).status
            for name, row in [("live", live), ("dead", dead), ("poison", poison),
                              ("elsewhere", elsewhere)]
        }
        result["poison_reason"] = DBTaskResult.objects.get(pk=poison.pk).traceback
        """
    )
    assert result["live"] == "RUNNING"
    assert result["dead"] == "READY"
    assert result["poison"] == "FAILED" and "died 3 times" in result["poison_reason"]
    assert result["elsewhere"] == "RUNNING"


# -- an import killed inside its transaction -----------------------------------------------------

IMPORT_ROWS = 2500  # importer.BATCH is 1000: the kill comes after the first 1000 are written


def write_import_file(site, path):
    owner = "故障导入大学"
    site.query(
        f"""
        from tests.factories import make_org, make_user
        make_user("importer", "bureau", make_org("故障测试区科学技术局", "government"))
        make_org("{owner}", "university")
        result = True
        """
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["成果名称", "所属单位", "关键词", "技术成熟度", "意向价格（万元）"])
    for i in range(IMPORT_ROWS):
        writer.writerow([f"断电恢复验证成果{i:05d}", owner, "故障,恢复", "6", 10 + i % 90])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def import_counts(site):
    return site.query(
        """
        from django.db.models import Count
        from xiake.catalog.models import Achievement
        from xiake.core.models import ChangeRecord
        from xiake.matching.models import IndexChange

        titles = Achievement.objects.filter(title__startswith="断电恢复验证成果")
        result = {
            "records": titles.count(),
            "distinct": titles.values("title").distinct().count(),
            "logged": ChangeRecord.objects.filter(action="import").count(),
            "feed": IndexChange.objects.filter(kind="achievement").values("object_id")
                    .distinct().count(),
        }
        """
    )


def test_an_import_killed_mid_write_leaves_nothing_and_the_rerun_imports_every_row_once(
    site, tmp_path
):
    path = tmp_path / "成果.csv"
    write_import_file(site, path)
    args = [sys.executable, "-m", "xiake", "import_records", "catalog.achievement", str(path)]
    args += ["--user", "importer"]
    proc = site.start(args, env=site.fault_env("import", 1))
    pid = site.wait_for_fault(proc)
    kill(pid)
    proc.wait(timeout=30)
    # all-or-nothing: the first 1000 rows were written inside the transaction the kill ended
    assert import_counts(site) == {"records": 0, "distinct": 0, "logged": 0, "feed": 0}

    rerun = site.xiake("import_records", "catalog.achievement", str(path), "--user", "importer")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{IMPORT_ROWS} created" in rerun.stdout
    expected = {"records": IMPORT_ROWS, "distinct": IMPORT_ROWS, "logged": IMPORT_ROWS}
    assert import_counts(site) == {**expected, "feed": IMPORT_ROWS}

    again = site.xiake("import_records", "catalog.achievement", str(path), "--user", "importer")
    assert again.returncode == 0, again.stderr
    assert "0 created" in again.stdout and f"{IMPORT_ROWS} unchanged" in again.stdout
    assert import_counts(site) == {**expected, "feed": IMPORT_ROWS}


# -- index runs killed half-way ------------------------------------------------------------------


def make_records(site, prefix, n):
    """``n`` published achievements and ``n`` published demands titled ``prefix`` + number."""
    return site.query(
        f"""
        from tests.factories import make_achievement, make_demand, make_org
        uni = make_org("{prefix}大学", "university")
        ent = make_org("{prefix}企业", "enterprise")
        for i in range({n}):
            make_achievement(uni, title=f"{prefix}成果{{i:04d}}")
            make_demand(ent, title=f"{prefix}需求{{i:04d}}")
        result = True
        """
    )


def index_contents(site):
    """What the node's live index holds (read straight from tantivy, no feed applied first), and
    what the database says it should hold, and what a search finds."""
    return site.query(
        """
        import tantivy
        from collections import Counter
        from xiake.matching import documents
        from xiake.matching.engine import engine
        from xiake.matching.feed import KINDS

        eng = engine()
        ix = eng.lexical()
        searcher = ix.index.searcher()
        hits = searcher.search(tantivy.Query.all_query(), limit=100000).hits
        keys = [searcher.doc(address)["key"][0] for _score, address in hits]
        expected = sorted(  # every record, and each enterprise with a profile (its demands)
            f"{kind}:{pk}"
            for kind in KINDS
            for pk in documents.queryset(kind).values_list("pk", flat=True)
        )
        duplicated = sorted(k for k, c in Counter(keys).items() if c > 1)
        generations = sorted(p.name for p in eng.lexical_root.iterdir() if p.is_dir())
        result = {"keys": sorted(set(keys)), "expected": expected, "duplicated": duplicated,
                  "num_docs": ix.num_docs, "generations": generations,
                  "pending": eng.pending()}
        """
    )


def search_titles(site, words):
    return site.query(
        f"""
        from django.contrib.auth.models import AnonymousUser
        from xiake.matching.api import search
        result = {{}}
        for word in {words!r}:
            found = search(AnonymousUser(), word, limit=50)
            result[word] = sorted(m.obj.title for m in found)
        """
    )


def test_a_reindex_killed_half_way_leaves_the_old_index_serving_and_the_rerun_completes(site):
    make_records(site, "旧版", 30)
    first = site.xiake("reindex")
    assert first.returncode == 0, first.stderr
    make_records(site, "新增", 30)

    proc = site.start([sys.executable, "-m", "xiake", "reindex"], env=site.fault_env("reindex", 1))
    kill(site.wait_for_fault(proc))
    proc.wait(timeout=30)
    half = index_contents(site)
    assert len(half["generations"]) == 2  # the old one, live, and the killed run's, never made live
    assert half["keys"] == [k for k in half["expected"] if k in half["keys"]]
    # old index intact: 60 old records and their enterprise's profile
    assert half["num_docs"] == 61 and not half["duplicated"]

    rerun = site.xiake("reindex")
    assert rerun.returncode == 0, rerun.stderr
    done = index_contents(site)
    assert done["keys"] == done["expected"] and len(done["expected"]) == 122  # 2 enterprises
    assert not done["duplicated"] and done["num_docs"] == 122
    assert len(done["generations"]) == 1  # the half-built generation was cleaned away
    found = search_titles(site, ["新增成果0029", "新增需求0000"])
    assert "新增成果0029" in found["新增成果0029"] and "新增需求0000" in found["新增需求0000"]


def test_a_feed_run_killed_after_its_commit_replays_without_duplicates_or_losses(site):
    make_records(site, "基线", 10)
    assert site.xiake("reindex").returncode == 0
    make_records(site, "增量", 25)
    site.query(
        """
        from xiake.catalog.models import Achievement
        Achievement.objects.filter(title="基线成果0003").delete()
        a = Achievement.objects.get(title="基线成果0004")
        a.title = "基线成果0004改"
        a.save()
        result = True
        """
    )
    proc = site.start([sys.executable, "-m", "xiake", "index"], env=site.fault_env("feed", 1))
    kill(site.wait_for_fault(proc))
    proc.wait(timeout=30)
    half = index_contents(site)
    # tantivy committed the batch, the cursor did not move: the same changes are pending again
    assert half["pending"] > 0 and half["keys"] == half["expected"]

    rerun = site.xiake("index")
    assert rerun.returncode == 0, rerun.stderr
    done = index_contents(site)
    assert done["keys"] == done["expected"] and len(done["expected"]) == 71  # 2 enterprises
    assert not done["duplicated"] and done["num_docs"] == 71 and done["pending"] == 0
    found = search_titles(site, ["增量需求0024", "基线成果0004改", "基线成果0003"])
    assert "增量需求0024" in found["增量需求0024"]
    assert "基线成果0004改" in found["基线成果0004改"]
    assert "基线成果0003" not in found["基线成果0003"]
