"""Enterprise profiles (issue 3 item 5): an enterprise is found by what its public demands asked
for; the change feed keeps the profile fresh; who sees which enterprise; the achievement page's
可能需要的企业 tab and the achievement matches API. Real index, real database."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse

from tests.base import api_for
from tests.factories import make_achievement, make_demand, make_org, make_user, term
from tests.matching.conftest import corrupt_index
from xiake.matching import api, documents
from xiake.matching.models import IndexChange

pytestmark = pytest.mark.django_db


def names(results):
    return [str(m.obj) for m in results]


def find(user, q):
    return names(api.search(user, q, "enterprise"))


def signal(match, code):
    return next((s for s in match.signals if s["code"] == code), None)


@pytest.fixture
def welding(orgs):
    """The test enterprise, local, with two public demands (one about welds in sea water), one
    confidential and one draft demand, each with words no other record has."""
    ent = orgs["enterprise"]
    ent.is_local = True
    ent.save()
    weld = make_demand(
        ent,
        title="海水管道焊缝耐蚀改进",
        keywords="焊缝,耐点蚀,双相不锈钢",
        description="管道焊缝在海水里半年就锈穿。",
        technical_indicators="点蚀电位≥350mV",
        industry=term("gbt4754", "33"),
    )
    other = make_demand(
        ent,
        title="包装线视觉检测",
        keywords="机器视觉,缺陷检测",
        description="包装线漏检多。",
        industry=term("gbt4754", "39"),
    )
    secret = make_demand(
        ent,
        title="氢燃料储罐密封攻关",
        keywords="储氢罐,密封圈",
        description="不便公开的新产品。",
        is_confidential=True,
    )
    draft = make_demand(
        ent, title="冷库节能改造", keywords="冷库,制冷剂", description="还没写完。", status="draft"
    )
    return {"enterprise": ent, "weld": weld, "other": other, "secret": secret, "draft": draft}


# -- the profile ------------------------------------------------------------------------------------
def test_the_profile_is_the_name_description_and_public_demands(welding):
    ent = welding["enterprise"]
    ent.description = "生产海洋工程用不锈钢管件。"
    ent.save()
    texts = documents.field_texts("enterprise", ent)
    assert texts["title"] == ent.name
    assert "焊缝,耐点蚀,双相不锈钢" in texts["keywords"]
    assert "机器视觉" in texts["keywords"]
    body = texts["body"]
    assert "生产海洋工程用不锈钢管件" in body  # its own description
    assert "海水管道焊缝耐蚀改进" in body and "包装线视觉检测" in body  # demands' titles
    assert "点蚀电位≥350mV" in body  # indicators, in the body (weighted lower than keywords)
    assert "金属制品业" in texts["tags"]  # the industries of its demands
    # a confidential demand and a draft never enter the (shared) document
    whole = "\n".join(texts.values())
    assert "储氢罐" not in whole and "冷库" not in whole
    assert documents.is_public(ent)


def test_only_enterprises_with_something_to_match_are_documents(orgs, welding):
    quiet = make_org("只有名称的公司", "enterprise")
    described = make_org("自我介绍的公司", "enterprise", description="研发锂电池隔膜。")
    indexed = set(documents.queryset("enterprise").values_list("pk", flat=True))
    assert welding["enterprise"].pk in indexed and described.pk in indexed
    assert quiet.pk not in indexed
    assert orgs["university"].pk not in indexed  # an organisation that is no enterprise
    # a description alone does not make an enterprise public (it has published no demand)
    assert not documents.is_public(described)


# -- the change feed ----------------------------------------------------------------------------------
def feed_keys(since):
    return set(IndexChange.objects.filter(id__gt=since).values_list("kind", "object_id"))


def latest_change():
    return IndexChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_demand_change_records_its_enterprise_in_the_same_transaction(orgs):
    ent = orgs["enterprise"]
    before = latest_change()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_demand(ent, title="回滚的需求")
        raise RuntimeError
    assert feed_keys(before) == set()  # rolled back together
    d = make_demand(ent, title="提交的需求")
    assert feed_keys(before) == {("demand", d.pk), ("enterprise", ent.pk)}
    # a demand that changes hands changes both enterprises' profiles
    mark = latest_change()
    d.owner_org = orgs["enterprise2"]
    d.save()
    assert feed_keys(mark) == {
        ("demand", d.pk),
        ("enterprise", ent.pk),
        ("enterprise", orgs["enterprise2"].pk),
    }
    mark = latest_change()
    d.delete()
    assert ("enterprise", orgs["enterprise2"].pk) in feed_keys(mark)
    # editing a university records nothing for enterprises
    mark = latest_change()
    orgs["university"].description = "一所大学"
    orgs["university"].save()
    assert feed_keys(mark) == set()


def test_saving_a_demand_makes_its_enterprise_findable_by_its_words(orgs, users):
    ent = orgs["enterprise"]
    assert find(users["bureau"], "光伏组件清洗机器人") == []  # builds the index
    d = make_demand(ent, title="光伏组件清洗机器人", keywords="光伏,清洗机器人")
    assert find(AnonymousUser(), "光伏组件清洗机器人") == [ent.name]
    # edited: the old words leave the profile, the new ones come in
    d.title, d.keywords = "风电叶片除冰装置", "风电,除冰"
    d.save()
    assert find(users["bureau"], "光伏 清洗机器人") == []
    assert find(users["bureau"], "风电叶片除冰") == [ent.name]
    # unpublished (returned for changes): out of the profile, and the enterprise out of public view
    d.status = "returned"
    d.save()
    assert find(users["bureau"], "风电叶片除冰") == []
    d.status = "published"
    d.save()
    # handed to another enterprise: the profile moves with it
    d.owner_org = orgs["enterprise2"]
    d.save()
    assert find(users["bureau"], "风电叶片除冰") == [orgs["enterprise2"].name]
    d.delete()
    assert find(users["bureau"], "风电叶片除冰") == []


def test_organisation_edits_keep_the_profile_fresh(orgs, users):
    ent = orgs["enterprise"]
    make_demand(ent, title="注塑件翘曲变形", keywords="注塑,翘曲")
    assert find(users["bureau"], "注塑件翘曲") == [ent.name]
    ent.description = "主营汽车内饰件，年产三百万套。"
    ent.save()
    assert find(users["bureau"], "汽车内饰件") == [ent.name]
    ent.org_type = "institute"  # no longer an enterprise: no longer a profile
    ent.save()
    assert find(users["bureau"], "注塑件翘曲") == []


def test_imported_demands_refresh_their_enterprises(orgs, users):
    from xiake.catalog.models import Demand
    from xiake.catalog.resources import DemandResource
    from xiake.core.importer import records_imported

    ent = orgs["enterprise"]
    assert find(users["bureau"], "真空镀膜均匀性") == []
    # bulk writes (the importer) bypass post_save; the importer's signal names the rows
    objs = Demand.objects.bulk_create(
        [
            Demand(
                owner_org=ent, title="真空镀膜均匀性", description="镀膜不均。", status="published"
            )
        ]
    )
    assert find(users["bureau"], "真空镀膜均匀性") == []
    records_imported.send(None, resource=DemandResource.instance, pks=[o.pk for o in objs])
    assert find(users["bureau"], "真空镀膜均匀性") == [ent.name]


# -- who sees which enterprise ------------------------------------------------------------------------
def test_visibility_boundary(orgs, users, welding):
    ent, other = welding["enterprise"], orgs["enterprise2"]
    other.description = "专业生产锂电池隔膜涂布设备。"  # a profile, but no public demand
    other.save()
    make_demand(other, title="电解液注液精度提升", status="pending")
    admin = make_user("t_sysadmin", "system_admin", None)
    # (other words may find an enterprise weakly, e.g. 设备 in an industry's name: the assertions
    # are about the enterprise the words belong to)
    outside = [AnonymousUser(), users["public"], users["evaluator"]]
    for user in outside:
        assert find(user, "海水管道焊缝")[0] == ent.name  # published a demand: public
        assert other.name not in find(user, "隔膜涂布设备")  # never published one: not shown
        assert ent.name not in find(user, "储氢罐 密封圈")  # a confidential demand's words
        assert ent.name not in find(user, "冷库 制冷剂")  # a draft's
    # members see every enterprise with a profile, never the words of non-public demands
    for user in (users["enterprise"], users["university"], users["manager"], users["bureau"]):
        assert find(user, "隔膜涂布设备")[0] == other.name
        assert other.name not in find(user, "电解液注液精度")  # pending: not in the profile
        assert ent.name not in find(user, "储氢罐 密封圈")
    # the three administrators see no business record, so no enterprise by its demands' words
    assert find(admin, "海水管道焊缝") == []


def test_an_anonymous_api_search_does_not_leak_non_public_enterprises(client, orgs, welding):
    orgs["enterprise2"].description = "专业生产锂电池隔膜涂布设备。"
    orgs["enterprise2"].save()
    url = "/api/v1/matching/search/"
    r = client.get(url, {"q": "隔膜涂布设备", "type": "enterprise"})
    assert r.status_code == 200
    assert orgs["enterprise2"].pk not in {i["id"] for i in r.json()["results"]}
    r = client.get(url, {"q": "储氢罐 密封圈", "type": "enterprise"})
    assert welding["enterprise"].pk not in {i["id"] for i in r.json()["results"]}
    r = client.get(url, {"q": "海水管道焊缝", "type": "enterprise"})
    item = r.json()["results"][0]
    assert item["type"] == "enterprise" and item["id"] == welding["enterprise"].pk
    assert item["url"] == welding["enterprise"].get_absolute_url()
    # a search without a type stays within the libraries
    r = client.get(url, {"q": "海水管道焊缝"})
    assert {i["type"] for i in r.json()["results"]} == {"demand"}


def test_the_search_page_lists_enterprises_with_their_facet(client, users, welding):
    client.force_login(users["university"])
    r = client.get(reverse("matching:search"), {"q": "海水管道焊缝", "type": "enterprise"})
    html = r.content.decode()
    assert r.status_code == 200 and welding["enterprise"].name in html
    assert '<option value="enterprise" selected>企业</option>' in html
    org_facet = f"org={welding['enterprise'].pk}"
    assert org_facet in html  # the organisation facet: the enterprise itself


def test_while_the_index_is_unavailable_enterprises_are_searched_in_the_database(
    orgs, users, welding
):
    from xiake.matching.engine import engine

    other = orgs["enterprise2"]
    other.description = "专业生产锂电池隔膜涂布设备。"
    other.save()
    api.search(users["bureau"], "隔膜")  # builds the index
    eng = engine()
    corrupt_index(eng.lexical_root / eng.current_generation())
    eng.invalidate()
    results = api.search(users["university"], "隔膜涂布", "enterprise")
    assert results.fallback and names(results) == [other.name]
    # the same boundary: no public demand, not shown to the public
    assert names(api.search(users["public"], "隔膜涂布", "enterprise")) == []


# -- achievement → enterprises ------------------------------------------------------------------------
def test_recommend_names_the_enterprise_and_its_nearest_demand(orgs, users, welding):
    elsewhere = make_org("远方机械有限公司", "enterprise")
    make_demand(elsewhere, title="齿轮箱噪声控制", keywords="齿轮箱,降噪")
    a = make_achievement(orgs["university"])  # 双相不锈钢焊接接头耐点蚀, industry 33
    results = api.recommend(users["university"], a, "enterprise")
    assert names(results)[0] == welding["enterprise"].name
    top = results.items[0]
    assert signal(top, "industry")["label"] == "行业相同：金属制品业"
    # its own demand most like the achievement, not the other one (machine vision)
    assert signal(top, "past_demand")["label"] == "曾发布相关需求：海水管道焊缝耐蚀改进"
    assert signal(top, "local") is not None
    assert elsewhere.name not in names(results)
    assert top.reasons[0].startswith("匹配词")  # matched terms first, as for every match


def test_the_named_demand_is_one_the_user_may_view(orgs, users, welding):
    a = make_achievement(orgs["university"])
    top = api.recommend(users["university"], a, "enterprise").items[0]
    assert signal(top, "past_demand")["label"].endswith("海水管道焊缝耐蚀改进")
    # the demand is withdrawn to a draft: the enterprise keeps its other public demand, and no
    # reason names the draft
    welding["weld"].status = "draft"
    welding["weld"].save()
    for m in api.recommend(users["university"], a, "enterprise"):
        label = (signal(m, "past_demand") or {}).get("label", "")
        assert "海水管道焊缝" not in label


def test_an_enterprise_is_not_recommended_its_own_achievement(orgs, users, welding):
    own = make_achievement(welding["enterprise"], title="不锈钢焊缝耐点蚀焊材")
    results = api.recommend(users["bureau"], own, "enterprise")
    assert welding["enterprise"].name not in names(results)


def test_the_achievement_page_shows_enterprises_that_may_need_it(client, orgs, welding):
    a = make_achievement(orgs["university"])
    page = client.get(a.get_absolute_url()).content.decode()
    fragment_url = reverse("matching:matches", args=["achievement", a.pk]) + "?type=enterprise"
    assert "可能需要的企业" in page and fragment_url in page
    html = client.get(fragment_url).content.decode()
    assert welding["enterprise"].name in html
    assert "曾发布相关需求：海水管道焊缝耐蚀改进" in html and "行业相同：金属制品业" in html
    assert welding["enterprise"].get_absolute_url() in html
    # unknown tabs stay 400
    assert (
        client.get(
            reverse("matching:matches", args=["achievement", a.pk]), {"type": "platform"}
        ).status_code
        == 400
    )


def test_an_enterprise_page_shows_what_could_answer_its_demands(client, orgs, users, welding):
    """The reverse direction: an enterprise's page has a matches panel (achievements, experts,
    platforms) whose query is its profile without its name; its own records are left out; other
    organisations have no panel, and an enterprise hidden from the viewer gives 404."""
    ent = welding["enterprise"]
    answer = make_achievement(orgs["university"])  # 双相不锈钢焊接接头耐点蚀…
    make_achievement(orgs["university"], title="小麦抗旱育种", keywords="小麦", summary="育种")
    own = make_achievement(ent, title="不锈钢焊缝耐点蚀焊材", keywords="焊缝,耐点蚀")
    fragment = reverse("matching:matches", args=["enterprise", ent.pk])
    client.force_login(users["university"])
    page = client.get(ent.get_absolute_url()).content.decode()
    assert f"{fragment}?type=achievement" in page and f"{fragment}?type=platform" in page
    html = client.get(fragment, {"type": "achievement"}).content.decode()
    assert answer.title in html
    assert "小麦抗旱育种" not in html and own.title not in html
    assert client.get(fragment, {"type": "enterprise"}).status_code == 400
    # the name alone matches nothing: the query is what the enterprise asked for
    assert "测试材料科技有限公司" not in api.query_text(ent)
    # a university is no enterprise: no panel, and its fragment does not exist
    uni = orgs["university"]
    uni_fragment = reverse("matching:matches", args=["enterprise", uni.pk])
    assert uni_fragment not in client.get(uni.get_absolute_url()).content.decode()
    assert client.get(uni_fragment).status_code == 404
    # from outside: an anonymous visitor may not see an enterprise without a public demand
    client.logout()
    hidden = reverse("matching:matches", args=["enterprise", orgs["enterprise2"].pk])
    assert client.get(hidden).status_code == 404
    assert client.get(fragment).status_code == 200


def test_achievement_matches_api(client, orgs, users, welding):
    a = make_achievement(orgs["university"])
    url = f"/api/v1/achievements/{a.pk}/matches/"
    r = client.get(url, {"type": "enterprise"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["results"]) >= 1
    item = body["results"][0]
    assert set(item) == {
        "type",
        "id",
        "title",
        "url",
        "score",
        "matched_terms",
        "highlight",
        "signals",
        "reasons",
        "feedback",  # the asking user's own 有用/无关 mark (none here)
    }
    assert item["feedback"] is None
    assert item["type"] == "enterprise" and item["id"] == welding["enterprise"].pk
    assert {"code", "weight", "label"} == set(item["signals"][0])
    assert "past_demand" in {s["code"] for s in item["signals"]}
    assert client.get(url).json()["results"][0]["type"] == "demand"  # the default tab
    bad = client.get(url, {"type": "platform"})
    assert bad.status_code == 400 and "type" in bad.json()["detail"]
    bad = client.get(url, {"type": "enterprise", "limit": "some"})
    assert bad.status_code == 400 and "limit" in bad.json()["detail"]
    # another organisation's draft is not there for anyone outside it
    draft = make_achievement(orgs["university"], title="未发布成果", status="draft")
    assert client.get(f"/api/v1/achievements/{draft.pk}/matches/").status_code == 404
    client.force_login(users["university"])
    assert client.get(f"/api/v1/achievements/{draft.pk}/matches/").status_code == 200


def test_the_openapi_schema_describes_the_achievement_matches(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/v1/achievements/{id}/matches/"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert sorted(params["type"]["schema"]["enum"]) == ["demand", "enterprise", "expert"]
    assert params["limit"]["schema"]["type"] == "integer"
    assert "200" in op["responses"]


# -- the demo -------------------------------------------------------------------------------------------
def test_on_the_demo_achievements_find_enterprises_by_what_they_asked_for():
    """The demo's enterprises post demands of their domain, so achievements of that domain find
    them, and say which demand."""
    import io

    from django.core.management import call_command

    from xiake.accounts.models import User
    from xiake.catalog.models import Achievement
    from xiake.matching.engine import engine

    call_command("demo", "--achievements", "300", "--experts", "30", stdout=io.StringIO())
    engine().rebuild()
    member = User.objects.filter(role="university").first()
    sample = list(Achievement.objects.filter(status="published").order_by("pk")[:60:3])
    named = 0
    for a in sample:
        results = api.recommend(member, a, "enterprise", limit=5)
        named += any(signal(m, "past_demand") for m in results)
    assert named >= len(sample) // 2, (named, len(sample))


def test_a_mark_on_an_enterprise_match_follows_the_enterprise_visibility_rule(
    client, orgs, users, welding
):
    """有用/无关 on the 可能需要的企业 tab: the target is checked with the matching's own rule for
    enterprises (a public demand makes it visible to outsiders), not the organisation policy."""
    from xiake.matching import labels

    other = orgs["enterprise2"]
    other.description = "专业生产锂电池隔膜涂布设备。"  # a profile, but no public demand
    other.save()
    achievement = make_achievement(orgs["university"])
    assert labels.viewable(users["evaluator"], "enterprise", welding["enterprise"].pk) is not None
    assert labels.viewable(users["evaluator"], "enterprise", other.pk) is None
    assert labels.viewable(users["university"], "enterprise", other.pk) is not None
    client.force_login(users["university"])
    url = "/api/v1/matching/feedback/"
    body = {"source": f"achievement:{achievement.pk}", "target": f"enterprise:{other.pk}"}
    r = client.post(url, {**body, "value": "useful"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["value"] == "useful"


def test_marks_on_an_enterprise_panel_are_stored_and_rerank_it(orgs, users, welding):
    """有用 / 无关 on the enterprise's own panel: stored through the API; the enterprise's staff
    are its editors, so their 无关 puts the target below every unmarked one."""
    ent = welding["enterprise"]
    first = make_achievement(orgs["university"])
    second = make_achievement(orgs["university"])
    top = api.recommend(users["enterprise"], ent, "achievement").items[0].obj
    client = api_for(users["enterprise"])
    body = {"source": f"enterprise:{ent.pk}", "target": f"achievement:{top.pk}"}
    r = client.post("/api/v1/matching/feedback/", {**body, "value": "not_useful"}, format="json")
    assert r.status_code == 200, r.content
    ranked = api.recommend(users["enterprise"], ent, "achievement").items
    assert {m.obj for m in ranked} >= {first, second}
    assert ranked[-1].obj == top and ranked[-1].mark == "not_useful"
    # a target the enterprise panel does not show: 400 naming the field
    r = client.post(
        "/api/v1/matching/feedback/",
        {**body, "target": f"demand:{welding['weld'].pk}", "value": "useful"},
        format="json",
    )
    assert r.status_code == 400 and "target" in r.json()


def test_enterprise_matches_api(client, orgs, users, welding):
    ent = welding["enterprise"]
    answer = make_achievement(orgs["university"])
    url = f"/api/v1/enterprises/{ent.pk}/matches/"
    body = client.get(url).json()  # anonymous: the enterprise has a public demand
    assert body["results"][0]["id"] == answer.pk and body["results"][0]["type"] == "achievement"
    assert body["results"][0]["feedback"] is None
    assert client.get(url, {"type": "expert"}).status_code == 200
    r = client.get(url, {"type": "demand"})
    assert r.status_code == 400 and "type" in str(r.json())
    # outside the boundary: not an enterprise, hidden from an anonymous visitor, absent
    for org in (orgs["university"], orgs["enterprise2"]):
        assert client.get(f"/api/v1/enterprises/{org.pk}/matches/").status_code == 404
    assert client.get("/api/v1/enterprises/999999/matches/").status_code == 404
    # a member sees every enterprise with a profile
    assert api_for(users["university"]).get(url).status_code == 200
