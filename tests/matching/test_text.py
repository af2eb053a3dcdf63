"""The Chinese text pipeline on tricky input."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from xiake.matching.text import (
    MAX_CHARS,
    Analyzer,
    char_grams,
    normalize,
    split_keywords,
    synonym_groups,
)


@pytest.fixture(scope="module")
def a():
    return Analyzer(["双相不锈钢", "耐点蚀"])


def test_it_folds_full_width_and_case():
    assert normalize("Ｆｅ３Ｏ４ ＰＬＣ") == "fe3o4 plc"


def test_it_converts_traditional_to_simplified():
    assert normalize("雙相不鏽鋼焊接接頭") == "双相不锈钢焊接接头"


def test_it_removes_control_characters_and_caps_length():
    assert "\x00" not in normalize("a\x00b\ufeffc")
    assert len(normalize("钢" * 50_000)) == MAX_CHARS


def test_it_keeps_chemical_formulas_and_grades_whole(a):
    assert "fe3o4" in a.tokens("Fe3O4纳米颗粒")
    tokens = a.tokens("2205双相不锈钢焊接接头耐点蚀性能")
    assert tokens[:2] == ["2205", "双相不锈钢"]
    assert "耐点蚀" in tokens


def test_it_keeps_model_numbers_and_their_parts(a):
    tokens = a.tokens("型号XK-2000A的PLC控制器，符合GB/T 4754-2017")
    assert {"xk-2000a", "xk", "2000a", "plc", "gb/t", "4754-2017"} <= set(tokens)
    assert "的" not in tokens


def test_it_drops_stop_words_and_punctuation(a):
    assert a.tokens("我司的焊缝在海水里半年就锈了！！") == ["焊缝", "海水", "半年", "锈"]


def test_it_handles_empty_binary_and_huge_input(a):
    assert a.tokens("") == []
    assert a.tokens(None) == []
    assert a.tokens("\x00\x01\x02\xff\ufffd") == []
    start = time.monotonic()
    tokens = a.tokens("不锈钢焊接工艺" * 5000)  # 35k characters, capped at 10k
    assert 0 < len(tokens) <= MAX_CHARS
    assert time.monotonic() - start < 2


def test_query_terms_add_synonyms_at_a_lower_weight(a):
    terms = a.query_terms("焊缝锈蚀")
    assert terms["焊缝"] == 1.0 and terms["锈蚀"] == 1.0
    assert terms["腐蚀"] < 1.0


def test_synonym_table_is_symmetric():
    table = synonym_groups()
    assert "腐蚀" in table["锈蚀"] and "锈蚀" in table["腐蚀"]


def test_char_grams_cover_cjk_runs_and_ascii():
    assert char_grams("焊缝Fe3O4") == ["焊缝", "fe3o4"]
    assert char_grams("锈") == ["锈"]


def test_split_keywords_accepts_chinese_separators():
    assert split_keywords("不锈钢，焊接、防腐; 海水") == ["不锈钢", "焊接", "防腐", "海水"]


@pytest.mark.django_db
def test_domain_dictionary_comes_from_taxonomies_and_keywords():
    from xiake.matching.text import domain_words

    words = domain_words()
    assert len(words) > 100  # built-in taxonomies are loaded by migrate


def test_parallel_tokenisation_equals_inline(a):
    from xiake.matching.text import parallel_map

    texts = [f"第{i}号双相不锈钢焊接接头耐点蚀，Fe3O4纳米颗粒{i}" for i in range(200)]
    assert parallel_map(a.tokens, texts, chunksize=8, processes=2) == [a.tokens(t) for t in texts]


# a process with a SIGTERM handler that does not exit (as a task worker or a test runner installs)
# finishes and abandons its parallel tokenisation without waiting for ever on its workers
_PARALLEL_UNDER_A_SIGTERM_HANDLER = """
import signal
from xiake.matching.text import parallel_imap, parallel_map
signal.signal(signal.SIGTERM, lambda *args: None)
items = [f"text {i}" for i in range(400)]
for _ in range(10):
    assert parallel_map(str.upper, items, processes=2, chunksize=8) == [t.upper() for t in items]
    rest = parallel_imap(str.upper, items, processes=2, chunksize=8)
    assert next(rest) == "TEXT 0"
    rest.close()  # abandoned half-way: the workers are stopped
print("done")
"""


def test_parallel_tokenisation_ends_its_workers_under_a_sigterm_handler():
    done = subprocess.run(
        [sys.executable, "-c", _PARALLEL_UNDER_A_SIGTERM_HANDLER],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"


def test_traditional_conversion_is_skipped_only_for_simplified_text():
    assert normalize("頭髮與發展") == "头发与发展"
    assert normalize("头发与发展") == "头发与发展"


SENTENCES = [
    "我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀",
    "2205双相不锈钢焊接接头耐点蚀性能",
    "提出一种基于深度学习的锂电池极片涂布缺陷检测方法",
    "型号XK-2000A的PLC控制器，符合GB/T 4754-2017",
]


def test_the_compiled_and_the_pure_python_segmenters_agree(a):
    pytest.importorskip("rjieba")
    pure = Analyzer(["双相不锈钢", "耐点蚀"], segmenter="jieba")
    assert a.segmenter == "rjieba" and pure.segmenter == "jieba"
    for text in SENTENCES:
        assert a.tokens(text) == pure.tokens(text)
    assert a.fingerprint != pure.fingerprint  # a node knows which one built its index


def test_the_segmenter_is_chosen_in_settings(settings):
    settings.MATCHING_SEGMENTER = "jieba"
    assert Analyzer().segmenter == "jieba"


def test_char_grams_of_other_lengths():
    assert char_grams("焊缝锈蚀", n=3) == ["焊缝锈", "缝锈蚀"]
    assert char_grams("焊缝 锈", n=3) == ["焊缝", "锈"]  # shorter runs whole
    assert char_grams("焊缝", n=1) == ["焊", "缝"]
