"""The optional cross-encoder step: the endpoint's two answer shapes, the re-ordering rule, its
use by search, recommend and eval_matching, and the fused order kept when it fails."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_achievement, make_demand
from tests.matching.model_server import model_server
from tests.matching.test_discipline import _beir, eval_systems
from xiake.matching import api, rerankers
from xiake.matching.rerankers import EndpointReranker, Reranker, RerankerError, rerank


def reranking(body):
    """A /v1/rerank answer standing in for a cross-encoder: a text scores the number of times it
    says 阴极保护 (so the test decides which record it prefers). Model "tei" answers in
    text-embeddings-inference's shape, "broken" with a 500, "short" scores one text too few."""
    if body["model"] == "broken":
        return None
    docs = body["documents"][:-1] if body["model"] == "short" else body["documents"]
    rows = [(i, float(t.count("阴极保护"))) for i, t in enumerate(docs)]
    if body["model"] == "tei":
        return [{"index": i, "score": s} for i, s in rows]
    return {"results": [{"index": i, "relevance_score": s} for i, s in rows[::-1]]}


@pytest.fixture
def stub():
    with model_server(reranking) as served:
        yield served


@pytest.fixture
def stub_url(stub):
    return stub[0]


def test_endpoint_reads_both_answer_shapes(stub):
    stub_url, seen = stub
    texts = ["阴极保护", "焊缝", "阴极保护与阴极保护"]
    for model in ("m", "tei"):
        assert EndpointReranker(stub_url, model=model, api_key="k").scores("q", texts) == [1, 0, 2]
    path, auth, body = seen[0]
    assert path == "/v1/rerank" and auth == "Bearer k"
    assert body == {"model": "m", "query": "q", "documents": texts}


@pytest.mark.parametrize("model", ["broken", "short"])
def test_endpoint_failures_are_reranker_errors(stub_url, model):
    with pytest.raises(RerankerError):
        EndpointReranker(stub_url, model=model).scores("q", ["a", "b"])


def test_settings_choose_the_reranker(tmp_path):
    assert rerankers.build(None) is None
    made = rerankers.build({"backend": "endpoint", "url": "http://x/v1", "top": 5, "weight": 2})
    assert isinstance(made, EndpointReranker) and (made.top, made.weight) == (5, 2.0)
    assert made.url == "http://x/v1/rerank"
    with pytest.raises(RerankerError, match="no cross-encoder model directory"):
        rerankers.build({"backend": "cross-encoder", "path": str(tmp_path / "none")})
    with pytest.raises(RerankerError, match="unknown re-ranker backend"):
        rerankers.build({"backend": "magic"})


class Fixed(Reranker):
    """Scores given per text (a pure stand-in for a model, to test the ordering rule)."""

    def __init__(self, table, **kw):
        super().__init__(**kw)
        self.table = table

    def scores(self, query, texts):
        return [self.table[t] for t in texts]


def test_rerank_lifts_the_first_results_by_their_scores_and_keeps_the_rest_below():
    hits = [("a", 1.0), ("b", 0.9), ("c", 0.5), ("d", 0.4)]
    table = {"a": 0.0, "b": 0.2, "c": 1.0}
    out = rerank(Fixed(table, top=3, weight=1.0), "q", hits, lambda key: key)
    assert [k for k, _s in out] == ["c", "b", "a", "d"]  # c: 0.5 + 1; b: 0.9 + 0.2; a: 1.0 + 0
    assert dict(out)["c"] == pytest.approx(1.5) and out[-1] == ("d", 0.4)
    # a small weight only breaks near-ties
    assert [k for k, _s in rerank(Fixed(table, top=3, weight=0.2), "q", hits, str)] == list("abcd")
    assert rerank(None, "q", hits, str) == hits


class Crashing(Reranker):
    """A backend failing with an error of its own (a model that cannot load, say)."""

    def scores(self, query, texts):
        raise OSError("model file unreadable")


def test_any_failure_of_the_reranker_keeps_the_fused_order():
    hits = [("a", 1.0), ("b", 0.9)]
    assert rerank(Crashing(), "q", hits, str) == hits


@pytest.mark.django_db
def test_search_and_recommend_use_the_sites_reranker_and_survive_its_failure(
    stub, settings, orgs, users
):
    stub_url, seen = stub
    uni = orgs["university"]
    plain = make_achievement(uni, title="不锈钢焊缝海水腐蚀防护", summary="不锈钢焊缝海水腐蚀")
    cathodic = make_achievement(uni, title="海水环境钢结构防护", summary="采用阴极保护延缓腐蚀")
    query = "不锈钢焊缝海水腐蚀"
    assert [m.obj for m in api.search(users["bureau"], query, type="achievement")][:2] == [
        plain,
        cathodic,
    ]

    settings.MATCHING_RERANKER = {"backend": "endpoint", "url": stub_url, "model": "m"}
    results = list(api.search(users["bureau"], query, type="achievement"))
    assert [m.obj for m in results][:2] == [cathodic, plain]
    assert results[0].score == pytest.approx(1.0) and results[1].score < 1.0
    assert seen[-1][2]["query"] == query
    demand = make_demand(orgs["enterprise"], title="焊缝在海水里锈蚀", description=query)
    assert [m.obj for m in api.recommend(users["bureau"], demand, "achievement")][0] == cathodic

    for broken in (
        {"backend": "endpoint", "url": stub_url, "model": "broken"},  # fails on each call
        {"backend": "cross-encoder", "path": "/nonexistent/model"},  # cannot even be built
    ):
        settings.MATCHING_RERANKER = broken
        assert [m.obj for m in api.search(users["bureau"], query, type="achievement")][:2] == [
            plain,
            cathodic,
        ]


@pytest.mark.django_db
def test_eval_matching_scores_the_reranker_beside_the_ranker(stub_url, settings, tmp_path):
    corpus = [
        {"_id": "plain", "text": "不锈钢焊缝海水腐蚀防护"},
        {"_id": "cathodic", "text": "海水环境钢结构采用阴极保护延缓腐蚀"},
        {"_id": "other", "text": "推荐系统深度学习算法"},
    ]
    _beir(tmp_path / "set", corpus, {"q": "焊缝海水腐蚀"}, {"q": {"cathodic": 2}})
    with pytest.raises(CommandError, match="no re-ranker configured"):
        call_command("eval_matching", "--dataset", str(tmp_path / "set"), "--rerank")
    settings.MATCHING_RERANKER = {"backend": "cross-encoder", "path": str(tmp_path / "none")}
    with pytest.raises(CommandError, match="no cross-encoder model directory"):
        call_command("eval_matching", "--dataset", str(tmp_path / "set"), "--rerank")
    settings.MATCHING_RERANKER = {"backend": "endpoint", "url": stub_url, "model": "m"}
    systems = eval_systems(tmp_path / "set", "--rerank")
    assert systems["xiake"]["mrr@10"] == 0.5  # the lexical ranker puts the answer second
    assert systems["xiake-rerank"]["mrr@10"] == 1.0
    assert systems["xiake-rerank"]["ms_per_query"] > 0


def test_the_environment_configures_encoder_and_reranker(monkeypatch):
    from xiake.env import env_json

    monkeypatch.setenv("MATCHING_RERANKER", '{"backend": "endpoint", "url": "http://x/v1"}')
    assert env_json("MATCHING_RERANKER") == {"backend": "endpoint", "url": "http://x/v1"}
    monkeypatch.setenv("MATCHING_RERANKER", "")
    assert env_json("MATCHING_RERANKER") is None
    monkeypatch.setenv("MATCHING_RERANKER", "{backend: endpoint}")
    with pytest.raises(ValueError, match="MATCHING_RERANKER is not valid JSON"):
        env_json("MATCHING_RERANKER")
