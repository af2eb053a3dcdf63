import pytest

from xiake.taxonomy.api import (
    ResolveError,
    Resolver,
    SchemeNotFound,
    domain_vocabulary,
    resolve,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("scheme", "value", "code"),
    [
        ("gbt4754", "C", "C"),
        ("gbt4754", "c", "C"),
        ("gbt4754", "33", "33"),
        ("gbt4754", 33, "33"),
        ("gbt4754", 33.0, "33"),  # a numeric spreadsheet cell
        ("gbt4754", "制造业", "C"),
        ("gbt4754", "C 制造业", "C"),
        ("gbt4754", "C制造业", "C"),
        ("gbt4754", "  C   制造业 ", "C"),
        ("gbt4754", "Ｃ　制造业", "C"),  # full-width letter and ideographic space
        ("gbt4754", "３３", "33"),
        ("gbt4754", "I 信息传输、软件和信息技术服务业", "I"),
        ("gbt4754", "Manufacturing", "C"),
        ("gbt4754", "房地产业", "K"),  # also division 70: the most general term wins
        ("gbt13745", "520", "520"),
        ("gbt13745", "520 计算机科学技术", "520"),
        ("gbt13745", "520：计算机科学技术", "520"),
        ("gbt13745", "统计学", "910"),
        ("sei2018", "5", "5"),
        ("trl", "7", "7"),
        ("trl", "实际任务运行成功,可销售", "9"),  # half-width comma for the full-width one
        ("stage", "中期（中试）", "middle"),
        ("stage", "middle", "middle"),
        ("coop_mode", "作价投资", "equity"),
        ("chain", "集成电路", "ic"),
    ],
)
def test_resolve_finds_the_term(scheme, value, code):
    term = resolve(scheme, value)
    assert term is not None and term.code == code


@pytest.mark.parametrize(
    "value", ["", "   ", None, "ZZ", "999", "制造", "C 采矿业", "520 数学", "半导体"]
)
def test_resolve_unknown_or_contradictory_is_none(value):
    assert resolve("gbt4754", value) is None


def test_lookup_explains_failures():
    r = Resolver("gbt4754")
    with pytest.raises(ResolveError, match="code C is '制造业', not '采矿业'"):
        r.lookup("C 采矿业")
    with pytest.raises(ResolveError, match=r"not a gbt4754 term; expected e\.g\. \"A 农"):
        r.lookup("半导体")


def test_choices_hint_is_short():
    hint = Resolver("gbt4754").choices_hint()
    assert hint.startswith('"A 农、林、牧、渔业", "01 农业"')
    assert "(117 in all)" in hint
    assert len(hint) < 200


def test_resolver_uses_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        r = Resolver("gbt4754")
        results = [r.resolve(v) for v in ["C", "制造业", "39", "C 制造业", "nope"] * 3000]
    assert results[0].code == "C" and results[4] is None
    assert len(r) == 117


def test_resolver_for_a_named_version():
    r = Resolver("chain", version="2021")
    assert r.resolve("轨道交通").scheme.version == "2021"
    assert r.resolve("新材料") is None  # only in the 2023 list


def test_resolver_for_a_missing_scheme():
    with pytest.raises(SchemeNotFound):
        Resolver("nope")


def test_domain_vocabulary_has_names_and_no_duplicates():
    words = list(domain_vocabulary())
    assert len(words) == len(set(words))
    for word in ["制造业", "计算机科学技术", "新一代信息技术产业", "集成电路", "发明专利"]:
        assert word in words
    # Long names are also split at list punctuation: 农、林、牧、渔业 gives 渔业.
    assert "渔业" in words
