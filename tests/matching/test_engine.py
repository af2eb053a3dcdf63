"""Change feed, indexer, visibility, corruption and the commands."""

import io
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.factories import make_achievement, make_demand, make_expert, make_platform
from tests.matching.conftest import corrupt_index
from xiake.matching import api
from xiake.matching.engine import engine
from xiake.matching.models import IndexChange
from xiake.matching.text import analyzer

pytestmark = pytest.mark.django_db


def titles(results):
    return [str(m.obj) for m in results]


def test_a_save_is_searchable_within_two_seconds(orgs, users):
    api.search(users["public"], "初始化")  # builds the (empty) index
    start = time.monotonic()
    a = make_achievement(orgs["university"], title="磁性Fe3O4纳米颗粒制备")
    results = api.search(users["public"], "Fe3O4 纳米颗粒")
    assert time.monotonic() - start < 2
    assert titles(results)[0] == a.title
    assert "fe3o4" in results.items[0].terms


def test_every_change_writes_a_feed_row_in_the_same_transaction(orgs):
    before = IndexChange.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_achievement(orgs["university"])
        raise RuntimeError
    assert IndexChange.objects.count() == before
    a = make_achievement(orgs["university"])
    a.delete()
    actions = list(IndexChange.objects.values_list("action", flat=True))[-2:]
    assert actions == ["upsert", "delete"]


def test_deleted_and_unpublished_records_leave_public_results(orgs, users):
    a = make_achievement(orgs["university"], title="海水淡化反渗透膜")
    assert titles(api.search(None, "反渗透膜")) == [a.title]
    a.status = "draft"
    a.save()
    assert api.search(users["public"], "反渗透膜").items == []
    assert titles(api.search(users["university"], "反渗透膜")) == [a.title]  # the owner
    a.delete()
    assert api.search(users["university"], "反渗透膜").items == []


def test_confidential_demands_stay_with_owner_and_bureau(orgs, users):
    d = make_demand(orgs["enterprise"], title="保密的电池热管理需求", is_confidential=True)
    assert api.search(users["enterprise2"], "电池热管理").items == []
    assert api.search(users["public"], "电池热管理").items == []
    assert titles(api.search(users["enterprise"], "电池热管理")) == [d.title]
    assert titles(api.search(users["bureau"], "电池热管理")) == [d.title]


def test_imports_reach_the_index_through_the_importer_signal(orgs, users):
    from xiake.catalog.models import Achievement
    from xiake.catalog.resources import AchievementResource
    from xiake.core.importer import records_imported

    api.search(users["public"], "初始化")  # the index exists before the bulk write
    objs = Achievement.objects.bulk_create(
        [
            Achievement(
                owner_org=orgs["university"], title="批量导入的石墨烯散热膜", status="published"
            )
        ]
    )
    assert api.search(users["public"], "石墨烯散热膜").items == []
    records_imported.send(None, resource=AchievementResource.instance, pks=[o.pk for o in objs])
    assert titles(api.search(users["public"], "石墨烯散热膜")) == ["批量导入的石墨烯散热膜"]


def test_corrupt_index_falls_back_to_the_database_and_is_rebuilt(orgs, users):
    a = make_achievement(orgs["university"], title="激光熔覆修复轴类零件")
    api.search(users["public"], "激光熔覆")
    eng = engine()
    corrupt_index(eng.lexical_root / eng.current_generation())
    eng.invalidate()
    results = api.search(users["public"], "激光熔覆")
    assert results.fallback
    assert titles(results) == [a.title]
    assert eng.status()["healthy"] is False
    eng.rebuild()
    results = api.search(users["public"], "激光熔覆")
    assert not results.fallback and titles(results) == [a.title]


def test_a_rebuild_row_in_the_feed_rebuilds_every_node(orgs, users):
    from xiake.catalog.models import Achievement
    from xiake.matching.feed import record_rebuild

    api.search(users["public"], "x")
    Achievement.objects.bulk_create(
        [Achievement(owner_org=orgs["university"], title="演示数据的超导磁体", status="published")]
    )
    record_rebuild()
    assert titles(api.search(users["public"], "超导磁体")) == ["演示数据的超导磁体"]


def test_recommend_gives_achievements_experts_platforms_with_reasons(orgs, users):
    demand = make_demand(orgs["enterprise"])
    ach = make_achievement(orgs["university"])
    make_achievement(orgs["university"], title="小麦抗旱育种", keywords="小麦", summary="育种")
    expert = make_expert(orgs["university"], research_fields="双相不锈钢焊接，海洋腐蚀防护")
    platform = make_platform(orgs["university"], services="不锈钢焊缝耐腐蚀检测，盐雾试验")
    found = api.recommend(users["enterprise"], demand, "achievement")
    assert str(found.items[0].obj) == ach.title
    reasons = found.items[0].reasons
    assert any("不锈钢" in r for r in reasons)
    assert "<mark>" in found.items[0].snippet
    assert any(s["code"] == "budget" for s in found.items[0].signals)  # 120 > 2 × 50: penalised
    assert [m.obj for m in api.recommend(users["enterprise"], demand, "expert")] == [expert]
    assert [m.obj for m in api.recommend(users["enterprise"], demand, "platform")] == [platform]


def test_bad_queries_are_empty_or_rejected(users):
    assert api.search(users["public"], "").items == []
    assert api.search(users["public"], "\x00\x01\x02").items == []
    assert api.search(users["public"], "钢" * 100_000).items == []
    assert api.search(users["public"], 'title:"x" AND (') is not None
    with pytest.raises(api.QueryError):
        api.search(users["public"], "钢", type="nonsense")
    with pytest.raises(api.QueryError):
        api.search(users["public"], "钢", filters={"colour": "red"})


def test_commands_reindex_status_and_index(orgs):
    make_achievement(orgs["university"])
    out = io.StringIO()
    call_command("reindex", stdout=out, stderr=io.StringIO())
    assert "indexed 1 documents" in out.getvalue()
    make_achievement(orgs["university"])
    out = io.StringIO()
    call_command("index_status", "--json", stdout=out)
    assert '"pending_changes": 1' in out.getvalue()
    call_command("index", stdout=io.StringIO())
    assert engine().status()["pending_changes"] == 0
    assert engine().status()["documents"] == 2
    status = engine().status()
    assert status["analyzer"] == analyzer().fingerprint and not status["analyzer_changed"]


def test_a_rebuild_tokenises_in_worker_processes_and_loses_no_record(orgs, users):
    from xiake.catalog.models import Achievement

    n = 200  # > 4 chunks of 32: the fork path of parallel_imap
    Achievement.objects.bulk_create(
        [
            Achievement(
                owner_org=orgs["university"],
                title=f"批量成果{i}号：{'钛合金' if i == 137 else '铝合金'}叶片激光修复",
                summary="激光熔覆修复航空发动机叶片。",
                status="published",
            )
            for i in range(n)
        ]
    )
    result = engine().rebuild()
    assert result["achievement"] == n and engine().status()["documents"] == n
    assert (
        titles(api.search(users["public"], "钛合金叶片"))[0] == "批量成果137号：钛合金叶片激光修复"
    )


def test_facets_count_every_visible_candidate_not_only_the_page(orgs, users):
    for i in range(6):
        make_achievement(orgs["university"], title=f"碳纤维复合材料{i}")
    for i in range(3):
        make_achievement(orgs["university2"], title=f"碳纤维预浸料{i}")
    make_achievement(orgs["university2"], title="碳纤维草稿", status="draft")  # not for the public
    results = api.search(users["public"], "碳纤维", type="achievement", limit=4)
    assert len(results.items) == 4
    orgs_facet = {f["label"]: f["count"] for f in results.facets["org"]}
    assert orgs_facet == {orgs["university"].name: 6, orgs["university2"].name: 3}
    assert results.facets["type"][0]["count"] == 9
    assert results.facets["industry"][0]["value"] == "33"
    assert results.items[0].score == 1.0


def test_recommend_reads_the_signals_of_all_candidates_in_a_fixed_number_of_queries(orgs, users):
    """Cooperation modes (a signal) are loaded for all candidates at once, and the source's
    once: the number of queries does not grow with the candidates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import term

    joint = term("coop_mode", "joint")
    demand = make_demand(orgs["enterprise"])
    demand.cooperation_modes.add(joint)

    def queries_for(n):
        for _ in range(n):
            make_achievement(orgs["university"]).cooperation_modes.add(joint)
        engine().sync()
        fresh = type(demand).objects.get(pk=demand.pk)
        with CaptureQueriesContext(connection) as ctx:
            found = api.recommend(users["bureau"], fresh, "achievement", limit=50)
        assert all(any(s["code"] == "coop_mode" for s in m.signals) for m in found.items)
        return len(found.items), len(ctx.captured_queries)

    few, many = queries_for(3), queries_for(12)
    assert (few[0], many[0]) == (3, 15)
    assert many[1] == few[1]
