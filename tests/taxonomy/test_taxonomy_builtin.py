import json

import pytest
from django.db import IntegrityError, transaction

from xiake.taxonomy import builtin
from xiake.taxonomy.api import SchemeNotFound, current_scheme, term_choices, terms
from xiake.taxonomy.loading import load_builtin
from xiake.taxonomy.models import Scheme, Term

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "level", "count"),
    [
        ("gbt4754", 1, 20),
        ("gbt4754", 2, 97),
        ("gbt13745", 0, 5),
        ("gbt13745", 1, 62),
        ("sei2018", None, 9),
        ("hightech8", None, 8),
        ("trl", None, 9),
        ("stage", None, 3),
        ("coop_mode", None, 6),
        ("ip_type", None, 8),
        ("achievement_type", None, 3),
        ("demand_type", None, 5),
        ("platform_type", None, 8),
        ("platform_level", None, 4),
    ],
)
def test_builtin_schemes_are_present_after_migrate(code, level, count):
    assert terms(code, level).count() == count


def test_divisions_hang_under_their_sections():
    manufacturing = Term.objects.get(scheme=current_scheme("gbt4754"), code="C")
    divisions = list(manufacturing.children.values_list("code", flat=True))
    assert divisions == [f"{n:02d}" for n in range(13, 44)]
    assert Term.objects.get(scheme=current_scheme("gbt4754"), code="65").parent.code == "I"
    assert Term.objects.get(scheme=current_scheme("gbt13745"), code="520").parent.name == (
        "工程与技术科学"
    )


def test_small_lists_use_the_agreed_codes():
    assert [t.code for t in terms("stage")] == ["early", "middle", "mature"]
    assert [t.code for t in terms("coop_mode")] == [
        "self",
        "transfer",
        "license",
        "joint",
        "equity",
        "other",
    ]
    assert dict(term_choices("coop_mode"))["equity"] == "作价投资"
    assert [t.code for t in terms("trl")] == [str(n) for n in range(1, 10)]
    assert terms("trl").get(code="9").name == "实际任务运行成功，可销售"
    assert terms("ip_type").get(code="ic_layout").name == "集成电路布图设计"


def test_chain_ships_two_versions_with_the_later_current():
    versions = dict(Scheme.objects.filter(code="chain").values_list("version", "is_current"))
    assert versions == {"2021": False, "2023": True}
    assert terms("chain").filter(name="集成电路").exists()
    old = Scheme.objects.get(code="chain", version="2021")
    assert old.terms.count() == 8


def test_reloading_builtin_changes_nothing():
    before = Term.objects.count()
    results = load_builtin()
    assert Term.objects.count() == before
    assert sum(r.created + r.updated for r in results) == 0


def test_builtin_reload_keeps_an_administrators_current_version():
    Scheme.objects.get(code="chain", version="2021").make_current()
    load_builtin()
    assert current_scheme("chain").version == "2021"


def test_only_one_version_can_be_current():
    with pytest.raises(IntegrityError), transaction.atomic():
        Scheme.objects.create(code="chain", version="2099", name="x", is_current=True)


def test_missing_scheme_raises_a_clear_error():
    with pytest.raises(SchemeNotFound, match="No current taxonomy scheme 'nope'.*load_taxonomy"):
        current_scheme("nope")
    with pytest.raises(SchemeNotFound):
        terms("nope")


def test_term_choices_label_codes_and_names():
    choices = term_choices("gbt4754", 1)
    assert choices[2] == ("C", "C 制造业")
    pks = term_choices("gbt4754", 1, key="pk")
    assert pks[2][0] == Term.objects.get(scheme__code="gbt4754", code="C").pk


# The typed lists checked against the public tables (read, never copied).


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_typed_gbt4754_matches_the_standard_table(taxonomy_files):
    rows = _read(taxonomy_files / "gbt4754_2017_with_notes.jsonl")
    table = {r["code"]: r["name"].strip() for r in rows if r["level"] in (1, 2)}
    typed = {t.code: t.name for t in builtin.SCHEMES[0].terms}
    assert builtin.SCHEMES[0].code == "gbt4754"
    assert typed == table


def test_typed_gbt13745_matches_the_discipline_table(taxonomy_files):
    rows = _read(taxonomy_files / "gbt13745_2009_disciplines.jsonl")
    table = {r["code"]: (r["name"], r["parent"]) for r in rows if r["level"] <= 1}
    typed = {t.code: (t.name, t.parent) for t in builtin.SCHEMES[1].terms}
    # The table misses 850 民族学与文化学 (61 of the official 62 first-level disciplines).
    assert set(typed) - set(table) == {"850"}
    assert {c: typed[c] for c in table} == table


def test_typed_sei2018_matches_the_table(taxonomy_files):
    rows = _read(taxonomy_files / "sei2018_strategic_emerging_industries_L1L2.jsonl")
    table = {r["code"]: r["name"] for r in rows if r["level"] == 1}
    assert {t.code: t.name for t in builtin.SCHEMES[2].terms} == table


def test_builtin_reload_keeps_deactivated_terms_inactive():
    Term.objects.filter(scheme=current_scheme("demand_type"), code="talent").update(is_active=False)
    load_builtin()
    assert [t.code for t in terms("demand_type")] == [
        "tackling",
        "introduction",
        "testing",
        "other",
    ]
