"""The text score of records beyond the candidates (``ranker.scores_of``, ``api.text_scores``):
what fitting weights from labels reads for a labelled target the ranking did not reach."""

import pytest

from tests.factories import make_achievement, make_demand
from tests.matching.test_proximity import _index
from xiake.matching import api, ranker, weights
from xiake.matching.text import Analyzer

QUERY = "不锈钢焊缝海水锈蚀"


@pytest.fixture(scope="module")
def a():
    return Analyzer(["不锈钢", "焊缝"])


def test_scores_of_is_the_fused_score_for_candidates_and_the_exact_one_beyond(tmp_path, a):
    strong = [f"不锈钢焊缝海水锈蚀防护方法{i}" for i in range(ranker.CANDIDATES + 5)]
    weak = "一种阀门的焊缝打磨装置"  # one word of the query: below every strong record
    ix = _index(tmp_path, a, [*strong, weak, "光伏组件清洗机器人"])
    weak_key, other_key = f"d{len(strong)}", f"d{len(strong) + 1}"
    fused = ranker.rank(ix, a, QUERY, limit=ranker.CANDIDATES)
    assert weak_key not in dict(fused)  # beyond the candidates: rank never scores it
    firsts = [key for key, _s in fused[:3]]
    got = ranker.scores_of(ix, a, QUERY, [*firsts, weak_key, other_key])
    best = fused[0][1]
    for key, score in fused[:3]:
        assert got[key] == pytest.approx(score / best)
    assert 0 < got[weak_key] < fused[-1][1] / best  # something, and less than the last candidate
    assert got[other_key] == 0.0  # no word in common


def test_scores_of_reads_the_dense_channel_on_its_candidates_scale(tmp_path, a):
    ix = _index(tmp_path, a, ["不锈钢焊缝海水锈蚀", "焊缝打磨", "光伏组件"])
    dense = [("d0", 0.9), ("d1", 0.7), ("d2", 0.5)]
    plain = ranker.scores_of(ix, a, QUERY, ["d1", "d2"], dense=dense)
    lifted = ranker.scores_of(
        ix, a, QUERY, ["d1", "d2"], dense=dense, dense_of={"d1": 0.8, "d2": 0.4}
    )
    # d1's cosine 0.8 is 0.75 of the way from the lowest dense candidate (0.5) to the best (0.9)
    best = ranker.fuse(*ranker.lexical_rankings(ix, a, QUERY)[:2], dense)[0][1]
    assert lifted["d1"] - plain["d1"] == pytest.approx(0.75 / best)
    assert lifted["d2"] == plain["d2"]  # below the lowest candidate: 0, as fuse counts it


@pytest.mark.django_db
def test_fitting_reads_the_text_score_of_a_target_recommend_did_not_reach(orgs, users):
    demand = make_demand(orgs["enterprise"], title="不锈钢焊缝海水锈蚀", description=QUERY)
    for i in range(3):
        make_achievement(orgs["university"], title=f"不锈钢焊缝海水锈蚀防护{i}", summary=QUERY)
    far = make_achievement(orgs["university"], title="阀门焊缝打磨装置", summary="阀门焊缝打磨")
    key = f"achievement:{far.pk}"
    shown = {
        f"{m.kind}:{m.obj.pk}": m.features["text"]
        for m in api.recommend(users["bureau"], demand, "achievement", limit=api.MAX_LIMIT)
    }
    got = api.text_scores(users["bureau"], demand, "achievement", [*shown, key])
    for shown_key, score in shown.items():  # the same score recommend ranked by…
        assert got[shown_key] == pytest.approx(score, abs=1e-6)
    assert 0 < got[key] < 1  # …and one for a record it ranks low or not at all
    feats = weights._direct_features(users["bureau"], demand, key, got[key])
    assert feats["text"] == pytest.approx(got[key])


def test_dense_index_gives_the_stored_vectors_cosine_for_any_key():
    import numpy as np

    from xiake.matching.vectors import DenseIndex

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((50, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ix = DenseIndex(16, "test")
    ix.add([f"k{i}" for i in range(50)], vecs)
    q = vecs[7] + 0.1 * vecs[8]
    got = ix.similarities(q, ["k7", "k8", "k49", "missing"])
    expected = vecs[[7, 8, 49]] @ (q / np.linalg.norm(q))
    assert list(got) == ["k7", "k8", "k49"]  # a key the index does not hold is left out
    assert np.allclose(list(got.values()), expected, atol=2e-3)  # stored as f16
