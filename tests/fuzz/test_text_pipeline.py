"""Property tests (hypothesis) of the matching text pipeline: normalisation never fails, is
idempotent and bounded; tokens and character grams never fail, are non-empty and hold no
whitespace (the index stores them space-joined, so a space inside a token would split it).

Settings: tests/fuzz/properties.py. Slow: run with ``make test-slow``.
"""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.properties import PROPERTY
from xiake.matching.text import MAX_CHARS, analyzer, char_grams, normalize

pytestmark = [pytest.mark.slow]

# any text, with CJK (simplified and traditional), full-width forms and control characters
texts = st.one_of(
    st.text(),
    st.text(
        st.sampled_from("钙钛矿電池技術ＡＢＣ１２３ abc,，。\t\n\u200b\ufeff\x00İẞﬁ"), max_size=200
    ),
)


@PROPERTY
@given(text=texts)
def test_normalisation_is_idempotent_and_bounded(text):
    once = normalize(text)
    assert normalize(once) == once
    assert len(once) <= MAX_CHARS


@PROPERTY
@given(text=texts)
def test_tokens_and_grams_are_words_without_whitespace(text):
    for token in analyzer().tokens(text) + char_grams(text):
        assert token and not any(ch.isspace() for ch in token), repr(token)
    assert analyzer().tokens(normalize(text), normalized=True) == analyzer().tokens(text)


@pytest.mark.parametrize("size", [1_000_000, 5_000_000])
def test_huge_input_is_cut_and_handled_in_bounded_time(size):
    text = ("钙钛矿叠层太阳电池稳定封装 perovskite " * (size // 20))[:size]
    started = time.process_time()
    tokens = analyzer().tokens(text)
    grams = char_grams(text)
    elapsed = time.process_time() - started
    assert tokens and grams
    assert elapsed < 2.0, f"{size} characters took {elapsed:.2f} s of CPU"
