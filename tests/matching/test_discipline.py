"""Discipline inference from the nearest records and the discipline-agreement re-rank signal."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.base import client_for
from tests.factories import make_achievement, make_demand, make_expert, term
from xiake.core.models import ChangeRecord
from xiake.matching import api, documents, ranker
from xiake.matching.engine import engine
from xiake.matching.models import IndexChange
from xiake.matching.text import analyzer

# -- the vote itself (pure) -------------------------------------------------------------------------


def test_the_vote_weights_neighbours_by_score_and_counts_unlabelled_ones():
    hits = [("a", 2.0), ("b", 1.0), ("c", 1.0), ("d", 0.5), ("e", 0.5)]
    labels = {
        "a": frozenset({"材料"}),
        "b": frozenset({"计算机"}),
        "c": frozenset({"材料"}),
        "d": frozenset(),  # a neighbour without a discipline: votes for nothing, still counts
        "e": frozenset({"计算机"}),
    }
    got = ranker.infer(hits, labels, k=5)
    assert got.label == "材料"
    assert got.confidence == pytest.approx(3.0 / 5.0)
    assert got.shares["计算机"] == pytest.approx(1.5 / 5.0)
    assert got.neighbours == 5
    # only the first k neighbours vote
    assert ranker.infer(hits, labels, k=2).shares == {
        "材料": pytest.approx(2 / 3),
        "计算机": pytest.approx(1 / 3),
    }


def test_a_record_with_several_disciplines_splits_its_vote_and_unknown_keys_do_not_vote():
    hits = [("expert", 1.0), ("hidden", 5.0)]
    labels = {"expert": frozenset({"x", "y"})}  # "hidden": not visible to the asker
    got = ranker.infer(hits, labels, k=10)
    assert got.shares == {"x": 0.5, "y": 0.5} and got.neighbours == 1
    assert not ranker.infer([("a", 1.0)], {"a": frozenset()}, k=10)


def test_label_rerank_lifts_agreeing_candidates_declared_before_inferred():
    hits = [("x", 1.0), ("t", 0.9), ("u", 0.5)]
    labels = {"x": frozenset({"cs"}), "t": frozenset({"mat"}), "u": frozenset({"mat"})}
    params = ranker.Params(knn=3, discipline_weight=0.3)
    ranked, lifts, inference = ranker.label_rerank(hits, labels, declared={"mat"}, params=params)
    assert [k for k, _s in ranked] == ["t", "x", "u"]
    assert lifts["t"].weight == pytest.approx(0.3) and not lifts["t"].inferred
    assert "x" not in lifts and not inference  # declared: nothing inferred
    # nothing declared: every candidate lifts by its discipline's share of the vote
    ranked, lifts, inference = ranker.label_rerank(hits, labels, params=params)
    assert inference.label == "mat" and inference.confidence == pytest.approx(1.4 / 2.4)
    assert lifts["t"].inferred and lifts["t"].weight == pytest.approx(0.3 * 1.4 / 2.4)
    assert lifts["x"].weight == pytest.approx(0.3 * 1.0 / 2.4)
    assert dict(ranked)["t"] == pytest.approx(0.9 + 0.3 * 1.4 / 2.4)
    # soft_vote off: only the winner lifts
    top_only = ranker.Params(knn=3, discipline_weight=0.3, soft_vote=False)
    _ranked, lifts, _inference = ranker.label_rerank(hits, labels, params=top_only)
    assert set(lifts) == {"t", "u"}
    off = ranker.label_rerank(hits, labels, params=ranker.Params(discipline_weight=0))
    assert [k for k, _s in off[0]] == ["x", "t", "u"] and off[1] == {}


# -- the platform: a small catalogue in the real index ----------------------------------------------

MATERIALS = [
    ("不锈钢焊缝点蚀机理", "双相不锈钢焊缝在氯离子环境中的点蚀机理与防护"),
    ("焊接接头耐腐蚀涂层", "不锈钢焊接接头表面耐腐蚀涂层的制备与盐雾试验"),
    ("海洋环境金属腐蚀防护", "海水环境下不锈钢管材锈蚀与阴极保护"),
]
COMPUTING = [
    ("工业软件架构", "面向制造企业的工业软件微服务架构与数据中台"),
    ("推荐系统算法", "基于深度学习的推荐系统与用户画像算法"),
]


@pytest.fixture
def catalogue(orgs):
    materials, computing = term("gbt13745", "430"), term("gbt13745", "520")
    for title, summary in MATERIALS:
        make_achievement(
            orgs["university"], title=title, summary=summary, keywords="", discipline=materials
        )
    for title, summary in COMPUTING:
        make_achievement(
            orgs["university"], title=title, summary=summary, keywords="", discipline=computing
        )
    return materials, computing


@pytest.mark.django_db
def test_the_discipline_of_a_free_text_demand_is_inferred_from_its_neighbours(
    catalogue, orgs, users
):
    materials, computing = catalogue
    got = api.infer_discipline(users["public"], "不锈钢管焊缝在海水里半年就锈蚀穿孔")
    assert got.label == materials.pk and got.confidence > 0.5
    got = api.infer_discipline(users["public"], "想做一个推荐系统的软件架构")
    assert got.label == computing.pk
    demand = make_demand(
        orgs["enterprise"], title="焊缝生锈", description="不锈钢管焊缝在海水里半年就锈蚀"
    )
    suggested = api.suggest_discipline(users["enterprise"], demand)
    assert suggested[0].discipline == materials and suggested[0].share > 0.5
    page = client_for(users["enterprise"]).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="discipline-suggestions"' in page
    assert f'data-code="{materials.code}"' in page


@pytest.mark.django_db
def test_records_the_user_may_not_view_do_not_vote(catalogue, orgs, users):
    materials, computing = catalogue
    for i in range(4):  # drafts of another organisation, all "computing"
        make_achievement(
            orgs["university"],
            status="draft",
            title=f"不锈钢焊缝锈蚀图像识别{i}",
            summary="不锈钢管焊缝锈蚀的图像识别软件",
            discipline=computing,
        )
    assert api.infer_discipline(users["university"], "不锈钢焊缝锈蚀").label == computing.pk
    assert api.infer_discipline(users["public"], "不锈钢焊缝锈蚀").label == materials.pk


@pytest.mark.django_db
def test_search_lifts_a_record_of_the_inferred_discipline_and_says_so(catalogue, orgs, users):
    materials, computing = catalogue
    # the lexically closer record belongs to another discipline than the query's neighbours
    outsider = make_achievement(
        orgs["university"],
        title="焊缝锈蚀检测",
        # the query's words side by side twice: still the lexically closer record with word pairs
        summary="不锈钢焊缝锈蚀检测，不锈钢焊缝锈蚀图像",
        keywords="",
        discipline=computing,
    )
    agreeing = make_achievement(
        orgs["university"],
        title="焊缝锈蚀防护",
        summary="不锈钢焊缝锈蚀防护，钝化工艺",
        keywords="",
        discipline=materials,
    )
    q = "不锈钢焊缝锈蚀"
    api.search(users["public"], q)  # builds the index
    plain = ranker.rank(engine().lexical(), analyzer(), q, limit=10)
    keys = [k for k, _s in plain]
    assert keys.index(f"achievement:{outsider.pk}") < keys.index(f"achievement:{agreeing.pk}")
    results = list(api.search(users["public"], q))
    order = [m.obj.pk for m in results]
    assert order.index(agreeing.pk) < order.index(outsider.pk)
    lifted = next(m for m in results if m.obj.pk == agreeing.pk)
    signal = next(s for s in lifted.signals if s["code"] == "discipline_inferred")
    assert materials.name in signal["label"] and signal["weight"] > 0
    assert signal["label"] in lifted.reasons
    # the outsider's own discipline had the smaller share of the vote: a smaller lift, said so
    outsider_match = next(m for m in results if m.obj.pk == outsider.pk)
    other = next(s for s in outsider_match.signals if s["code"] == "discipline_inferred")
    assert computing.name in other["label"] and other["weight"] < signal["weight"]


@pytest.mark.django_db
def test_recommend_lifts_experts_of_the_declared_discipline(orgs, users):
    materials, computing = term("gbt13745", "430"), term("gbt13745", "520")
    source = make_achievement(
        orgs["university"],
        title="焊缝点蚀防护",
        summary="双相不锈钢焊缝点蚀防护",
        keywords="",
        discipline=materials,
    )
    for fields in ("推荐系统算法", "工业软件架构", "锂电池热管理", "农作物育种"):  # background
        make_expert(orgs["university"], research_fields=fields, bio="")
    closer = make_expert(orgs["university"], research_fields="双相不锈钢焊缝点蚀防护，点蚀", bio="")
    closer.disciplines.add(computing)
    agreeing = make_expert(orgs["university"], research_fields="双相不锈钢焊缝点蚀防护", bio="")
    agreeing.disciplines.add(materials, computing)
    results = list(api.recommend(users["bureau"], source, "expert"))
    plain = ranker.rank(engine().lexical(), analyzer(), api.query_text(source), kinds=["expert"])
    assert plain[0][0] == f"expert:{closer.pk}"  # lexically the other expert is closer
    assert [m.obj.pk for m in results][:2] == [agreeing.pk, closer.pk]
    signal = next(s for s in results[0].signals if s["code"] == "discipline")
    assert materials.name in signal["label"] and signal["label"] in results[0].reasons
    assert not any(s["code"] == "discipline" for s in results[1].signals)


# -- eval_matching reads metadata.discipline --------------------------------------------------------


def _beir(path, corpus, queries, qrels):
    (path / "qrels").mkdir(parents=True)
    with open(path / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in corpus:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    with open(path / "queries.jsonl", "w", encoding="utf-8") as fh:
        for qid, text in queries.items():
            fh.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    with open(path / "qrels" / "test.tsv", "w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for qid, rel in qrels.items():
            for did, grade in rel.items():
                fh.write(f"{qid}\t{did}\t{grade}\n")


def eval_systems(dataset, *args) -> dict:
    """``xiake eval_matching --dataset DATASET --json ARGS``'s systems."""
    out = io.StringIO()
    call_command(
        "eval_matching",
        "--dataset",
        str(dataset),
        "--json",
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())["systems"]


@pytest.mark.django_db
def test_eval_matching_reads_metadata_discipline_and_scores_variants(tmp_path):
    docs = [
        ("m1", "不锈钢焊缝点蚀机理与防护", "材料科学"),
        ("m2", "焊接接头耐腐蚀涂层盐雾试验", "材料科学"),
        ("m3", "海水环境不锈钢管材锈蚀阴极保护", "材料科学"),
        ("c1", "焊缝缺陷的图像识别软件", "计算机科学技术"),
        ("c2", "推荐系统与用户画像深度学习算法", "计算机科学技术"),
        ("p1", "一种不锈钢焊缝锈蚀的钝化处理方法", ""),  # a patent: no discipline
    ]
    corpus = [
        {"_id": did, "title": "", "text": text, "metadata": {"discipline": d} if d else {}}
        for did, text, d in docs
    ]
    queries = {"q1": "不锈钢焊缝锈蚀", "q2": "推荐系统算法"}
    qrels = {"q1": {"m3": 2, "m1": 1, "m2": 1}, "q2": {"c2": 2}}
    _beir(tmp_path / "set", corpus, queries, qrels)
    out = io.StringIO()
    call_command(
        "eval_matching",
        "--dataset",
        str(tmp_path / "set"),
        "--json",
        "--variant",
        "off:discipline_weight=0",
        "--variant",
        "k3:knn=3",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert set(result["systems"]) == {"xiake", "bm25-jieba", "off", "k3"}
    inference = result["discipline_inference"]
    # the source documents' disciplines came from metadata.discipline: both queries are right
    assert inference["queries"] == 2 and inference["xiake"]["top1"] == 1.0
    assert "k3" in inference and "off" not in inference  # the signal off infers nothing
    # the signal lifts the same-discipline papers of q1 above the computing paper
    assert result["systems"]["xiake"]["ndcg@10"] >= result["systems"]["off"]["ndcg@10"]


@pytest.mark.django_db
def test_eval_matching_dense_runs_every_variant_with_the_dense_channel(tmp_path, settings):
    settings.MATCHING_ENCODER = {"backend": "hashing", "dim": 64}
    settings.MATCHING_VECTOR_CACHE = str(tmp_path / "vectors.sqlite3")
    corpus = [
        {"_id": "a", "text": "不锈钢焊缝海水锈蚀防护"},
        {"_id": "b", "text": "推荐系统深度学习算法"},
        {"_id": "c", "text": "光伏组件清洗机器人"},
    ]
    _beir(tmp_path / "set", corpus, {"q": "焊缝锈蚀"}, {"q": {"a": 2}})
    systems = eval_systems(tmp_path / "set", "--dense", "--variant", "half:dense_weight=0.5")
    assert {"xiake-hybrid", "e5", "half", "half-hybrid"} <= set(systems)
    # the variant's hybrid ranks the one relevant document first, as the default's does
    assert systems["half-hybrid"]["mrr@10"] == systems["xiake-hybrid"]["mrr@10"] == 1.0
    assert systems["half-hybrid"]["ms_per_query"] > 0


def test_eval_matching_names_a_bad_setting(tmp_path):
    _beir(tmp_path / "set", [{"_id": "a", "text": "x"}], {"q": "x"}, {"q": {"a": 1}})
    with pytest.raises(CommandError, match="bad setting 'k=3'"):
        call_command("eval_matching", "--dataset", str(tmp_path / "set"), "--param", "k=3")
    with pytest.raises(CommandError, match="bad value for knn"):
        call_command("eval_matching", "--dataset", str(tmp_path / "set"), "--variant", "v:knn=x")


# -- query-side IDF weighting -----------------------------------------------------------------------


@pytest.mark.django_db
def test_query_terms_are_weighted_by_their_idf_relative_to_the_rarest(tmp_path):
    from xiake.matching.lexical import LexicalIndex

    ix = LexicalIndex.create(tmp_path / "ix")
    q = "焊缝 钝化 工艺"
    *common, rare = analyzer().tokens(q)
    assert common  # two or more words
    bodies = [" ".join(common)] * 9 + [" ".join([*common, rare])]  # `rare` in one document
    ix.write({"key": f"d{i}", "kind": "doc", "pk": i, "body": b} for i, b in enumerate(bodies))
    no_synonyms = ranker.Params(synonym_weight=0)
    weighted = ranker.query_terms(ix, analyzer(), q, no_synonyms)
    assert weighted[rare] == pytest.approx(1.0)
    assert all(0 < weighted[w] < 0.2 for w in common)
    plain = ranker.query_terms(ix, analyzer(), q, ranker.Params(synonym_weight=0, idf_power=0))
    assert plain == dict.fromkeys([*common, rare], 1.0)
    assert ranker.query_terms(ix, analyzer(), "的") == {}  # only a stop word: no terms, no error


# -- a demand's declared discipline: accepted from the suggestion, used by recommend ---------------


def _accept(user, demand, discipline):
    url = reverse("matching:accept_discipline", args=[demand.pk])
    return client_for(user).post(url, {"discipline": discipline.pk})


@pytest.mark.django_db
def test_the_poster_accepts_a_suggested_discipline_and_matches_then_say_same_discipline(
    catalogue, orgs, users
):
    materials, _computing = catalogue
    demand = make_demand(
        orgs["enterprise"], title="焊缝生锈", description="不锈钢管焊缝在海水里半年就锈蚀"
    )
    page = client_for(users["enterprise"]).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="accept-discipline"' in page and f'value="{materials.pk}"' in page
    before = list(api.recommend(users["enterprise"], demand, "achievement"))
    assert all(s["code"] != "discipline" for m in before for s in m.signals)
    assert any(s["code"] == "discipline_inferred" for m in before for s in m.signals)

    response = _accept(users["enterprise"], demand, materials)
    assert response.status_code == 302 and response.url == demand.get_absolute_url()
    demand.refresh_from_db()
    assert demand.discipline == materials
    change = ChangeRecord.objects.filter(object_id=str(demand.pk), action="update").latest("id")
    assert change.after["discipline_id"] == materials.pk
    assert IndexChange.objects.filter(kind="demand", object_id=demand.pk).exists()

    after = list(api.recommend(users["enterprise"], demand, "achievement"))
    lifted = [m for m in after if m.obj.discipline_id == materials.pk]
    assert lifted
    for m in lifted:
        signal = next(s for s in m.signals if s["code"] == "discipline")
        assert signal["label"] == f"学科一致：{materials.name}"
    assert not any(s["code"] == "discipline_inferred" for m in after for s in m.signals)
    # declared now: the panel suggests nothing more and offers no button
    page = client_for(users["enterprise"]).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="accept-discipline"' not in page
    # and a second accept does not overwrite it
    _accept(users["enterprise"], demand, _computing)
    demand.refresh_from_db()
    assert demand.discipline == materials


@pytest.mark.django_db
def test_a_stranger_cannot_accept_a_discipline(catalogue, orgs, users):
    materials, _computing = catalogue
    demand = make_demand(orgs["enterprise"], title="焊缝生锈", description="不锈钢管焊缝锈蚀")
    draft = make_demand(orgs["enterprise"], status="draft", title="草稿", description="焊缝锈蚀")
    assert _accept(users["enterprise2"], demand, materials).status_code == 403
    assert _accept(users["enterprise2"], draft, materials).status_code == 404
    assert _accept(None, demand, materials).status_code == 403
    get = client_for(users["enterprise"]).get(
        reverse("matching:accept_discipline", args=[demand.pk])
    )
    assert get.status_code == 405
    demand.refresh_from_db()
    draft.refresh_from_db()
    assert demand.discipline is None and draft.discipline is None
    # the stranger sees the published demand but no accept button (no panel at all)
    page = client_for(users["enterprise2"]).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="accept-discipline"' not in page
    # a term of another scheme is refused with a message, nothing stored
    _accept(users["enterprise"], demand, term("gbt4754", "33"))
    demand.refresh_from_db()
    assert demand.discipline is None


@pytest.mark.django_db
def test_recommend_for_a_demand_uses_its_declared_discipline(orgs, users):
    materials, computing = term("gbt13745", "430"), term("gbt13745", "520")
    # the demand's neighbours are mostly computing: inference would favour computing records
    for i in range(3):
        make_achievement(
            orgs["university"],
            title=f"焊缝锈蚀图像识别软件{i}",
            summary="不锈钢焊缝锈蚀的图像识别软件算法",
            keywords="",
            discipline=computing,
        )
    agreeing = make_achievement(
        orgs["university"],
        title="焊缝锈蚀防护",
        summary="不锈钢焊缝锈蚀防护，钝化工艺",
        keywords="",
        discipline=materials,
    )
    demand = make_demand(
        orgs["enterprise"],
        title="焊缝锈蚀",
        description="不锈钢焊缝锈蚀，想找图像识别软件算法",
        discipline=materials,
    )
    undeclared = make_demand(orgs["enterprise"], title="焊缝锈蚀2", description=demand.description)
    assert api.disciplines_of(demand) == frozenset({materials.pk})
    assert api.disciplines_of(undeclared) == frozenset()

    def codes(results, discipline):
        return {
            s["code"]
            for m in results
            if m.obj.discipline_id == discipline.pk
            for s in m.signals
            if s["code"].startswith("discipline")
        }

    # undeclared: the neighbours' vote (mostly computing) lifts the computing records
    inferred = list(api.recommend(users["enterprise"], undeclared, "achievement"))
    assert codes(inferred, computing) == {"discipline_inferred"}
    # declared: only the record of the demand's own discipline is lifted, and it says so
    results = list(api.recommend(users["enterprise"], demand, "achievement"))
    assert codes(results, computing) == set()
    match = next(m for m in results if m.obj.pk == agreeing.pk)
    signal = next(s for s in match.signals if s["code"] == "discipline")
    assert signal["label"] == f"学科一致：{materials.name}" and signal["label"] in match.reasons
    # declared agreement lifts it by the full weight, more than its share of the vote did
    before = next(m for m in inferred if m.obj.pk == agreeing.pk)
    assert match.score > before.score
    # the demand's discipline name is in its index document, as an achievement's is
    doc = documents.field_texts("demand", demand)
    assert materials.name in doc["tags"]
