"""Word pairs (the proximity channel), corpus-trained term association, the lead field, and the
rebuild of an index whose schema predates them — on real tantivy indexes and the real analyzer."""

import dataclasses

import pytest
import tantivy

from tests.factories import make_achievement
from xiake.matching import api, ranker
from xiake.matching.engine import engine
from xiake.matching.lexical import LexicalIndex, OutdatedIndex
from xiake.matching.text import Analyzer, first_sentence


@pytest.fixture(scope="module")
def a():
    return Analyzer(["双相不锈钢", "焊接接头"])


def test_pairs_stay_inside_a_clause_and_skip_stop_words(a):
    text = "双相不锈钢焊接的接头，在海水里会锈"
    tokens, ordered, unordered = a.tokens_and_pairs(text, window=3)
    assert tokens == a.tokens(text)  # the same tokens as the word fields get
    assert ordered == ["双相不锈钢|焊接", "焊接|接头", "海水|锈"]  # 的/在/里/会 dropped first
    assert "接头|海水" not in ordered  # never across the comma
    assert "双相不锈钢~接头" in unordered and "接头~焊接" in unordered
    assert not any("海水" in p and "接头" in p for p in unordered)


def test_first_sentence_stops_at_the_first_sentence_end():
    assert first_sentence("本发明公开了一种焊接方法。包括如下步骤") == "本发明公开了一种焊接方法"
    assert first_sentence("没有句号") == "没有句号"


def _index(tmp_path, a, texts, window=0):
    ix = LexicalIndex.create(tmp_path / "ix")
    docs = []
    for i, text in enumerate(texts):
        tokens, ordered, unordered = a.tokens_and_pairs(text, window=window)
        docs.append(
            {
                "key": f"d{i}",
                "kind": "doc",
                "pk": i,
                "body": tokens,
                "pairs": ordered,
                "upairs": unordered,
                "lead": a.tokens(first_sentence(text)),
            }
        )
    ix.write(docs)
    return ix


def test_the_pair_channel_finds_the_words_side_by_side_first(tmp_path, a):
    texts = [
        "接头外观检查合格。海水管道的焊接工艺需要改进",  # both words, far apart
        "海水管道焊接接头的点蚀问题",  # side by side
        "海水淡化装置的能耗",
    ]
    ix = _index(tmp_path, a, texts)
    channel = dataclasses.replace(ranker.DEFAULT, pair_weight=1.0, pair_in_words=False)
    rankings = ranker.lexical_rankings(ix, a, "焊接接头点蚀", params=channel)
    assert [k for k, _s in rankings.pairs] == ["d1"]
    assert ranker.rank(ix, a, "焊接接头点蚀", params=channel)[0][0] == "d1"
    # off: no pair clauses are searched
    plain = ranker.lexical_rankings(
        ix, a, "焊接接头点蚀", params=dataclasses.replace(ranker.DEFAULT, pair_weight=0)
    )
    assert plain.pairs == []
    # inside the word query (SDM): only the record with the pair gains, no channel of its own
    inside = dataclasses.replace(ranker.DEFAULT, pair_weight=1.0, pair_in_words=True)
    words = ranker.lexical_rankings(ix, a, "焊接接头点蚀", params=inside)
    assert words.pairs == []
    assert dict(words.words)["d1"] > dict(plain.words)["d1"]
    assert dict(words.words)["d0"] == pytest.approx(dict(plain.words)["d0"])


def test_unordered_pairs_match_either_order_within_the_window(tmp_path, a):
    ix = _index(tmp_path, a, ["接头经过焊接后检测", "焊接电源的设计，接头"], window=4)
    params = dataclasses.replace(
        ranker.DEFAULT, pair_weight=1.0, pair_window=4, pair_in_words=False
    )
    found = ranker.lexical_rankings(ix, a, "焊接的接头", params=params).pairs
    assert [k for k, _s in found] == ["d0"]  # d1 has them in two clauses


def test_associations_are_learned_from_the_documents_and_widen_the_query(tmp_path, a):
    corpus = [["涂层", "防腐", f"其他{i}"] for i in range(6)] + [
        ["防腐", "阴极保护", f"别的{i}"] for i in range(6)
    ]
    corpus += [[f"填充{i}", f"填充{i + 1}"] for i in range(40)]  # keeps 涂层/防腐 under max_df
    table = ranker.associations(corpus, min_df=3, max_df=0.3, min_count=3)
    assert [w for w, _p in table["涂层"]] == ["防腐"]
    assert "阴极保护" in [w for w, _p in table["防腐"]]
    params = dataclasses.replace(ranker.DEFAULT, assoc_terms=2, assoc_weight=0.2)
    extra = ranker.association_terms({"涂层": 1.0}, table, params)
    assert extra == {"防腐": pytest.approx(0.2)}
    ix = _index(tmp_path, a, ["防腐技术方案", "钢结构涂装"])
    assert ranker.lexical_rankings(ix, a, "涂层", params=params).words == []
    hits = ranker.lexical_rankings(ix, a, "涂层", params=params, associated=table).words
    assert [k for k, _s in hits] == ["d0"]


def test_the_lead_field_is_searched_only_when_weighted(tmp_path, a):
    ix = _index(
        tmp_path, a, ["本发明涉及焊接电源。其控制器采用数字电路", "数字电路设计。用于焊接控制"]
    )
    plain = ranker.lexical_rankings(ix, a, "焊接电源控制", params=ranker.DEFAULT).words
    lead = dataclasses.replace(ranker.DEFAULT, lead_weight=2.0)
    weighted = ranker.lexical_rankings(ix, a, "焊接电源控制", params=lead).words
    assert dict(weighted)["d0"] > dict(plain)["d0"]
    assert dict(weighted)["d1"] == pytest.approx(dict(plain)["d1"])


@pytest.mark.django_db
def test_an_index_built_before_the_new_fields_is_rebuilt(orgs, users, tmp_path):
    ach = make_achievement(orgs["university"], title="激光熔覆修复轴类零件")
    api.search(users["public"], "激光熔覆")
    eng = engine()
    gen_dir = eng.lexical_root / eng.current_generation()
    # the generation replaced by one of the old schema (word fields and bigrams only)
    for f in gen_dir.iterdir():
        f.unlink()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw")
    sb.add_text_field("kind", stored=True, tokenizer_name="raw")
    sb.add_integer_field("pk", stored=True, indexed=True)
    sb.add_integer_field("public", stored=False, indexed=True)
    for name in ("title", "keywords", "indicators", "body", "tags", "grams"):
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="freq")
    old = tantivy.Index(sb.build(), path=str(gen_dir))
    old.writer(heap_size=15_000_000, num_threads=1).commit()
    eng.invalidate()
    with pytest.raises(OutdatedIndex, match="pairs"):
        LexicalIndex.open(gen_dir)
    results = api.search(users["public"], "激光熔覆")
    assert results.fallback and [m.obj for m in results] == [ach]
    assert eng.status()["error"].startswith("outdated")
    assert "rebuilt" in eng.sync()  # a missing or outdated index is rebuilt by the next sync
    results = api.search(users["public"], "激光熔覆")
    assert not results.fallback and [m.obj for m in results] == [ach]


def test_records_get_pair_and_lead_fields_only_when_the_ranker_reads_them(monkeypatch):
    from xiake.matching import documents

    texts = {"title": "焊接接头", "body": "双相不锈钢焊接的接头。海水腐蚀", "keywords": ""}
    default = documents.tokenise(texts)  # ordered pairs by default, no unordered ones, no lead
    assert "焊接|接头" in default["pairs"].split()
    assert not default["upairs"] and "lead" not in default
    monkeypatch.setattr(ranker, "DEFAULT", dataclasses.replace(ranker.DEFAULT, pair_weight=0))
    off = documents.tokenise(texts)
    assert "pairs" not in off and "lead" not in off
    on = dataclasses.replace(ranker.DEFAULT, pair_weight=0.5, pair_window=3, lead_weight=1.0)
    monkeypatch.setattr(ranker, "DEFAULT", on)
    fields = documents.tokenise(texts)
    assert "焊接|接头" in fields["pairs"].split()
    assert "接头~焊接" in fields["upairs"].split()
    assert "海水" not in fields["lead"] and "焊接" in fields["lead"]
    assert fields["body"] == off["body"]  # the words are the same either way


def test_an_unfiltered_search_scores_as_the_filtered_one(tmp_path, a):
    """Without filters the clauses go to tantivy as a bare union (block-max WAND may skip
    documents); with a filter every document passes through it as a required clause. Same
    documents, same scores, same order; the filter and exclusions still apply."""
    texts = [
        f"海水管道焊接接头第{i}号样品的点蚀与缝隙腐蚀问题{'锈蚀' * (i % 4)}" for i in range(60)
    ]
    texts += ["海水淡化装置的能耗", "双相不锈钢焊接接头耐点蚀性能"]
    ix = _index(tmp_path, a, texts)
    terms = {"海水": 1.0, "焊接接头": 2.0, "点蚀": 1.5, "锈蚀": 0.5}
    bare = ix.search_words(terms, limit=10)
    filtered = ix.search_words(terms, limit=10, kinds=["doc"])
    assert len(bare) == 10
    assert [k for k, _s in bare] == [k for k, _s in filtered]
    assert [s for _k, s in bare] == pytest.approx([s for _k, s in filtered])
    assert ix.search_words(terms, limit=10, kinds=["other"]) == []
    best = bare[0][0]
    assert best not in {k for k, _s in ix.search_words(terms, limit=10, exclude=[best])}
