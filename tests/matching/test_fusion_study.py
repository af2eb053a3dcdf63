"""benchmarks/bench_fusion.py: its systems start from the shipped ranker's own figures, and its
corpus-trained embeddings learn from the documents alone."""

import numpy as np
import pytest

from benchmarks import bench_fusion
from tests.matching.test_discipline import _beir, eval_systems

DOCS = {
    "w1": "不锈钢焊缝在海水中点蚀。双相钢焊接接头耐蚀性下降。",
    "w2": "焊接接头的晶间腐蚀机理。焊缝热影响区贫铬导致锈蚀。",
    "w3": "海洋平台钢结构阴极保护。牺牲阳极延缓钢材腐蚀。",
    "b1": "锂电池隔膜高温收缩。陶瓷涂覆隔膜提高热稳定性。",
    "b2": "电池热失控的预警方法。电芯温度与气体信号联合监测。",
    "b3": "正极材料循环衰减。高镍三元材料表面包覆改性。",
    "s1": "推荐系统的冷启动问题。用户画像与协同过滤结合。",
    "s2": "工业软件的微服务架构。容器编排提升部署效率。",
}


@pytest.fixture
def dataset(tmp_path, settings):
    settings.MATCHING_ENCODER = {"backend": "hashing", "dim": 64}
    settings.MATCHING_VECTOR_CACHE = str(tmp_path / "vectors.sqlite3")
    corpus = [{"_id": k, "title": "", "text": t} for k, t in DOCS.items()]
    queries = {"q1": "焊缝海水锈蚀", "q2": "电池隔膜受热收缩", "q3": "推荐系统新用户"}
    _beir(tmp_path / "set", corpus, queries, {"q1": {"w1": 2}, "q2": {"b1": 2}, "q3": {"s1": 2}})
    return tmp_path / "set"


@pytest.mark.django_db
def test_the_shipped_systems_score_as_eval_matching_scores_them(dataset):
    info = bench_fusion.run(dataset, None)
    shipped = eval_systems(dataset, "--dense")
    systems = info["systems"]
    for ours, theirs in (("lexical (shipped)", "xiake"), ("hybrid (shipped)", "xiake-hybrid")):
        assert systems[ours]["ndcg@10"] == pytest.approx(shipped[theirs]["ndcg@10"])
        assert systems[ours]["mrr@10"] == pytest.approx(shipped[theirs]["mrr@10"])
    assert {"impute", "dense-prf 3/0.3", "char1 0.3", "char3 0.3", "lsa 0.2", "ict 0.3"} <= set(
        systems
    )
    assert all(0.0 <= m["ndcg@10"] <= 1.0 for m in systems.values())
    misses = info["misses"]  # one answer per query: the miss analysis ran
    assert misses["queries"] == 3
    # eight distinct documents: no answer has a near-copy, so every hit at rank 1 is "otherwise"
    assert misses["answer_has_near_copy"] == 0
    assert misses["top1_right_otherwise"] == 3 - misses["top1_wrong"]
    assert systems["hybrid (shipped)"]["mrr@10"] > 0.5  # the set is easy: most answers first
    assert bench_fusion.report(info).count("\n") >= len(systems)


def test_ict_embeddings_put_a_sentence_nearest_its_own_documents_topic():
    topics = {
        "weld": ["焊缝", "锈蚀", "海水", "点蚀", "焊接", "接头", "不锈钢", "腐蚀"],
        "battery": ["电池", "隔膜", "热失控", "电芯", "正极", "循环", "涂覆", "收缩"],
    }
    rng = np.random.default_rng(1)
    docs, labels = [], []
    for name, words in topics.items():
        for _ in range(30):
            docs.append([list(rng.choice(words, 4)) for _s in range(4)])
            labels.append(name)
    queries = [["焊缝", "锈蚀"], ["电池", "隔膜"]]
    d, q = bench_fusion.ict(docs, queries, dim=16, epochs=5, batch=32)
    scores = q @ d.T
    for qi, topic in enumerate(("weld", "battery")):
        own = np.mean([s for s, t in zip(scores[qi], labels, strict=True) if t == topic])
        other = np.mean([s for s, t in zip(scores[qi], labels, strict=True) if t != topic])
        assert own > other + 0.2
