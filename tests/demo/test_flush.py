"""Determinism, --flush-demo, --flush-only and --corpus (each at a very small scale)."""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xiake.accounts.models import Organization, User
from xiake.catalog.models import Achievement, Demand, Expert
from xiake.demo.accounts import DEMO_USERNAMES

SMALL = [
    "--achievements",
    "60",
    "--experts",
    "40",
    "--demands",
    "20",
    "--platforms",
    "10",
    "--staff",
    "30",
    "--enterprises",
    "30",
]
CSL = Path("/work/shared/data/corpora/csl_papers_dedup.jsonl")

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("demo", *SMALL, *args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        list(Achievement.objects.order_by("id").values_list("title", "summary", "owner_org__name")),
        list(Demand.objects.order_by("id").values_list("title", "description")),
        list(Expert.objects.order_by("id").values_list("name", "owner_org__name")),
        sorted(Organization.objects.values_list("name", "credit_code")),
    )


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    run("--seed", "7")
    first = snapshot()
    run("--seed", "7", "--flush-demo")
    assert snapshot() == first
    run("--seed", "8", "--flush-demo")
    assert snapshot()[0] != first[0]
    assert Achievement.objects.count() == 60  # the flush left nothing behind


def test_flush_only_removes_demo_records_and_accounts_but_keeps_real_ones():
    real = Organization.objects.create(name="真实企业有限公司", org_type="enterprise")
    run()
    out = io.StringIO()
    call_command("demo", "--flush-only", stdout=out)
    assert list(Organization.objects.all()) == [real]
    assert not Achievement.objects.exists() and not Expert.objects.exists()
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


def test_flush_refuses_when_real_records_point_at_demo_organisations():
    run()
    ent = Organization.objects.filter(is_demo=True, org_type="enterprise").first()
    Demand.objects.create(title="真实需求", owner_org=ent, description="我司需要……")
    with pytest.raises(CommandError, match="not demo data"):
        call_command("demo", "--flush-only", stdout=io.StringIO())
    assert Demand.objects.filter(is_demo=True).exists()  # nothing partial


@pytest.mark.skipif(not CSL.exists(), reason=f"{CSL} is not available")
def test_corpus_gives_real_titles_abstracts_and_keywords():
    rows = [json.loads(line) for line in CSL.open(encoding="utf-8")][:60]
    run("--corpus", str(CSL))
    got = list(Achievement.objects.order_by("id").values_list("title", "summary", "keywords"))
    assert [g[0] for g in got] == [r["title"][:200] for r in rows]
    assert got[0][1] == rows[0]["abstract"]
    assert got[0][2].split(",")[0] == rows[0]["keywords"][0]


def test_corpus_cycles_when_shorter_and_reads_gzip(tmp_path):
    path = tmp_path / "tiny.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(7):
            fh.write(
                json.dumps(
                    {
                        "title": f"一种测试方法{i}",
                        "abstract": "摘要" * 80,
                        "keywords": ["测试", "方法"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    run("--corpus", str(path))
    titles = set(Achievement.objects.values_list("title", flat=True))
    assert {f"一种测试方法{i}" for i in range(7)} <= titles
    assert Achievement.objects.count() == 60


def test_a_missing_corpus_is_a_clear_error():
    with pytest.raises(CommandError, match="corpus file not found"):
        run("--corpus", "/nonexistent.jsonl")
