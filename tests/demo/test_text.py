"""The pure generators: credit codes, sentence builders, patent numbers (no database)."""

import random
import re

import pytest

from xiake.demo import creditcode, text
from xiake.demo.vocab import DOMAINS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_credit_code_check_accepts_a_published_example_and_rejects_a_typo():
    assert creditcode.is_valid("91350100M000100Y43")
    assert not creditcode.is_valid("91350100M000100Y44")
    assert not creditcode.is_valid("91350100M000100Y4")
    assert not creditcode.is_valid("91350100M000100I43")  # I is not in the character set


@pytest.mark.parametrize(
    "kind",
    [
        creditcode.ENTERPRISE,
        creditcode.PUBLIC_INSTITUTION,
        creditcode.GOVERNMENT,
        creditcode.PRIVATE_NON_ENTERPRISE,
    ],
)
def test_generated_credit_codes_pass_both_checks(kind):
    rng = random.Random(7)
    for _ in range(500):
        code = creditcode.make(rng, "320113", kind)
        assert creditcode.is_valid(code), code
        assert code[:2] == "".join(kind) and code[2:8] == "320113"


def test_achievement_text_is_chinese_consistent_and_deterministic():
    for d in DOMAINS:
        a = text.achievement(random.Random(f"t:{d.key}"), d)
        b = text.achievement(random.Random(f"t:{d.key}"), d)
        assert a == b
    rng = random.Random(1)
    for i in range(2000):
        d = DOMAINS[i % len(DOMAINS)]
        a = text.achievement(rng, d)
        assert CJK.search(a.title) and "方法方法" not in a.title
        assert 150 <= len(a.summary) <= 400, (len(a.summary), a.summary)
        assert 3 <= len(a.keywords) <= 6 and len(set(a.keywords)) == len(a.keywords)
        if a.kind != "soft":
            # The keywords are the parts the title was built from.
            assert sum(k in a.title for k in a.keywords) >= 2, (a.title, a.keywords)
        assert re.search(r"\d", a.technical_indicators)


def test_demands_are_written_in_plant_language():
    from xiake.demo.catalog import CASES_BY_OWNER

    rng = random.Random(3)
    for d in DOMAINS:
        assert CASES_BY_OWNER[d.key], f"no demand an enterprise of {d.key} would post"
        for case in d.demand_cases:
            t = text.demand(rng, d, case, "南京测试有限公司")
            assert t.description.startswith("我司主要")
            assert case.indicator in t.description and t.title


def test_person_names_are_two_or_three_chinese_characters():
    rng = random.Random(5)
    for _ in range(500):
        name = text.person_name(rng)
        assert 2 <= len(name) <= 3 and all(CJK.match(c) for c in name)


def test_patent_numbers_carry_the_cnipa_check_digit():
    from xiake.demo.catalog import patent_number

    # ZL 2012 1 0012345 . check: weights 2..9,2..5 over the 12 digits, mod 11.
    rng = random.Random(2)
    for _ in range(100):
        num = patent_number(rng)
        body, check = num[2:14], num[-1]
        s = sum(int(x) * w for x, w in zip(body, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
        assert check == ("X" if s % 11 == 10 else str(s % 11))
