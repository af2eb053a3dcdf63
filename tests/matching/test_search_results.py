"""Search answers from light queries (card columns only, visibility by key, facets on demand):
the same ids, order, scores, reasons, snippets and facets as records loaded whole."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_achievement, make_demand, make_expert, make_platform, term
from xiake.matching import api, documents, ranker
from xiake.matching.engine import engine
from xiake.matching.text import analyzer, normalize

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(orgs):
    uni, uni2, ent = orgs["university"], orgs["university2"], orgs["enterprise"]
    a1 = make_achievement(
        uni, title="双相不锈钢焊缝耐海水点蚀工艺", discipline=term("gbt13745", "520")
    )
    make_achievement(uni2, title="不锈钢管焊接接头防腐涂层", keywords="焊缝,防腐,海水")
    make_achievement(uni2, title="碳纤维复合材料焊接", industry=term("gbt4754", "35"))
    make_achievement(uni, title="焊缝锈蚀草稿", status="draft")  # only its organisation sees it
    make_demand(ent, title="海水管道焊缝锈蚀问题", technical_indicators="点蚀电位≥300mV")
    make_demand(ent, title="保密的焊缝防腐需求", is_confidential=True)
    expert = make_expert(uni, research_fields="焊接冶金,不锈钢点蚀", bio="研究海水腐蚀")
    expert.achievements.add(a1)
    expert.disciplines.add(term("gbt13745", "520"))
    make_platform(uni2, services="盐雾试验、焊缝电化学点蚀测试")
    engine().rebuild()


def reference(user, q, type_=None, filters=None, limit=20):
    """What a search shows, computed the plain way: the same ranking, then every candidate
    loaded whole through ``restrict`` and explained from its full record."""
    kinds = api._kinds(type_)
    q = api.clean_query(q)
    hits = ranker.rank(
        engine().lexical(),
        analyzer(),
        q,
        kinds=kinds,
        public_only=api._public_only(user),
        limit=min(500, limit * 5),
    )
    hits, lifts, _inference = ranker.label_rerank(hits, api.discipline_labels(user, hits))
    visible = []
    for key, score in hits:
        kind, pk = key.split(":")
        qs = documents.model_of(kind).objects.restrict(user, "view").filter(pk=pk)
        obj = api._apply_filters(kind, qs, filters).first()
        if obj is not None:
            visible.append(api.Match(kind, obj, score))
    top = visible[0].score if visible else 1.0
    terms = analyzer().query_terms(q)
    page = []
    for m in visible[:limit]:
        texts = documents.field_texts(m.kind, m.obj)
        whole = normalize("\n".join(texts.values()))
        body = normalize(" ".join(t for t in (texts["body"], texts["indicators"]) if t))
        found = [t for t, _w in sorted(terms.items(), key=lambda kv: -kv[1]) if t in whole]
        page.append(api.Match(m.kind, m.obj, m.score / top, found, api.highlight(body, found)))
    api._add_discipline_signals(page, lifts)  # the ranker's discipline agreement, as search adds it
    return [m.as_dict() | {"org": str(m.obj.owner_org)} for m in page], api._facets(visible)


@pytest.mark.parametrize(
    "role, q, type_, filters, limit",
    [
        ("public", "焊缝 海水 锈蚀", None, None, 20),
        ("public", "不锈钢 焊接", "achievement", None, 2),
        ("university", "焊缝锈蚀", None, None, 20),  # its own draft too
        ("enterprise", "焊缝 防腐", "demand", None, 20),  # its own confidential demand too
        ("bureau", "点蚀", None, {"industry": "33"}, 20),
        ("public", "焊接冶金 点蚀", "expert", None, 5),
        (None, "盐雾 点蚀", "platform", None, 5),
    ],
)
def test_search_shows_what_whole_records_give(records, users, role, q, type_, filters, limit):
    from django.contrib.auth.models import AnonymousUser

    user = users[role] if role else AnonymousUser()
    results = api.search(user, q, type_, filters, limit=limit)
    page, facets = reference(user, q, type_, filters, limit)
    got = [m.as_dict() | {"org": str(m.obj.owner_org)} for m in results]
    assert page, "the crafted records must match the query"
    assert got == page
    assert results.facets == facets


def test_result_cards_leave_contact_columns_unread_until_asked(records, users):
    results = api.search(users["bureau"], "焊缝 点蚀", "achievement")
    card = results.items[0].obj
    assert {"contact_phone", "asking_price"} <= card.get_deferred_fields()
    assert card.contact_phone == "13912345678"  # still readable: loaded (and decrypted) on access


def test_facets_are_counted_only_when_asked(records, users):
    with CaptureQueriesContext(connection) as searched:
        results = api.search(users["public"], "焊缝 海水", None)
    with CaptureQueriesContext(connection) as counted:
        facets = results.facets
    assert len(searched) >= 1 and len(counted) >= 1  # one light query per kind shown
    assert sum(f["count"] for f in facets["type"]) >= len(results.items)
    with CaptureQueriesContext(connection) as again:
        assert results.facets == facets
    assert len(again) == 0
