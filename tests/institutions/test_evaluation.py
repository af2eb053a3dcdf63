"""The evaluation aggregates reports in the database; its results equal a plain per-institution
recomputation, and the number of queries does not grow with the number of institutions."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_org, make_user
from tests.institutions import factories as f
from xiake.institutions import evaluation
from xiake.institutions import models as m

pytestmark = pytest.mark.django_db

START, END = dt.date(2023, 1, 1), dt.date(2023, 12, 1)


def ratio(a, b):
    return a / b if b else 0.0


def growth(xs):
    half = len(xs) // 2
    a, b = sum(xs[:half]), sum(xs[half:])
    return (b - a) / a if a else 0.0


# code → (formula, normalisation, target, the same formula written out over one institution's
# reports R(field) (ordered by month) and its registry row I)
COMPUTED = {
    "A1": (
        "sum(rd_spend) / sum(revenue)",
        "percentile",
        None,
        lambda R, inst: ratio(sum(R("rd_spend")), sum(R("revenue"))),
    ),
    "A2": (
        "sum(invention_applications) + sum(patent_grants)",
        "percentile",
        None,
        lambda R, inst: sum(R("invention_applications")) + sum(R("patent_grants")),
    ),
    "B1": ("growth(revenue)", "minmax", None, lambda R, inst: growth(R("revenue"))),
    "B2": (
        "last(incubated_cum) - first(incubated_cum)",
        "target",
        Decimal("6"),
        lambda R, inst: (
            (R("incubated_cum")[-1] - R("incubated_cum")[0]) if R("incubated_cum") else 0
        ),
    ),
    "C1": (
        "avg(fulltime_rd_staff) / avg(staff_total)",
        "target",
        Decimal("0.5"),
        lambda R, inst: ratio(
            sum(R("fulltime_rd_staff")) / len(R("staff_total")) if R("staff_total") else 0.0,
            sum(R("staff_total")) / len(R("staff_total")) if R("staff_total") else 0.0,
        ),
    ),
    "C2": (
        "team_shareholders * 2 + -fund_size / 1000",
        "minmax",
        None,
        lambda R, inst: inst.team_shareholders * 2 + -float(inst.fund_size or 0) / 1000,
    ),
}


def build(n_inst, seed=11):
    """``n_inst`` institutions with irregular reports in 2023 (gaps, odd counts, none at all),
    one too young to be eligible, and two evaluators scoring one indicator."""
    rng = random.Random(seed)
    system = f.make_system(min_months=12, excellent_min=70, good_min=55, pass_min=40)
    for code, (formula, norm, target, _) in COMPUTED.items():
        f.make_indicator(
            system=system,
            code=code,
            formula=formula,
            normalisation=norm,
            target=target,
            weight=Decimal(rng.randint(5, 20)),
        )
    scored = f.make_indicator(
        system=system, code="D1", method="scored", formula="", weight=15, dimension="service"
    )
    round_ = m.EvaluationRound.objects.create(
        name=f"2023年度{n_inst}", year=2023, system=system, period_start=START, period_end=END
    )
    evaluators = [make_user(f"t_eval_{n_inst}_{i}", "evaluator", None) for i in range(2)]
    insts = []
    for i in range(n_inst):
        org = make_org(f"对照新型研发机构{n_inst}-{i}", "nri")
        inst = f.make_institution(
            org,
            established_on=dt.date(2023, 6, 1) if i == 1 else dt.date(2020, rng.randint(1, 12), 1),
            team_shareholders=rng.randint(3, 20),
            fund_size=Decimal(rng.choice((0, 800, 5000))),
        )
        insts.append(inst)
        if i == 2:
            continue  # eligible but never reported in the period
        cum = rng.randint(0, 5)
        months = [mth for mth in range(1, 13) if rng.random() > 0.2 or i == 0]
        if i == 3:
            months = months[:7]  # an odd number of months: growth splits 3 | 4
        for mth in months:
            cum += rng.randint(0, 2)
            staff = rng.randint(20, 60)
            revenue = Decimal(f"{rng.uniform(50, 500):.2f}")
            m.MonthlyReport.objects.create(
                institution=inst,
                period=dt.date(2023, mth, 1),
                status="published",
                **f.figures(
                    rd_spend=Decimal(f"{rng.uniform(10, 120):.2f}"),
                    revenue=revenue,
                    technical_income=min(revenue, Decimal(f"{rng.uniform(5, 50):.2f}")),
                    staff_total=staff,
                    fulltime_rd_staff=rng.randint(5, staff),
                    incubated_cum=cum,
                    invention_applications=rng.randint(0, 2),
                    patent_applications=2,
                    patent_grants=rng.randint(0, 3),
                ),
            )
        # Reports outside the period must not count.
        m.MonthlyReport.objects.create(
            institution=inst, period=dt.date(2024, 1, 1), status="published", **f.figures()
        )
        for ev in evaluators[: 1 + i % 2]:
            a = m.EvaluatorAssignment.objects.create(round=round_, evaluator=ev, institution=inst)
            m.Score.objects.create(assignment=a, indicator=scored, value=rng.randint(3, 10))
    return round_, insts, scored


def reference(round_, insts, scored):
    """The round recomputed one institution at a time from its report rows, in plain Python."""
    eligible = [i for i in insts if i.months_operating(round_.period_end) >= 12]
    raw = {code: {} for code in [*COMPUTED, "D1"]}
    for inst in eligible:
        rows = list(inst.reports.filter(period__gte=START, period__lte=END).order_by("period"))

        def R(field, rows=rows):
            return [float(getattr(r, field)) for r in rows]

        for code, (*_, formula) in COMPUTED.items():
            raw[code][inst.pk] = float(formula(R, inst))
        given = [
            float(s.value)
            for s in m.Score.objects.filter(assignment__institution=inst, indicator=scored)
        ]
        raw["D1"][inst.pk] = sum(given) / len(given) / 10 * 100 if given else 0.0
    indicators = {i.code: i for i in round_.system.indicators.all()}
    normalised = {
        code: (
            evaluation.normalise(indicators[code].normalisation, values, indicators[code].target)
            if code in COMPUTED
            else values
        )
        for code, values in raw.items()
    }
    weight_sum = sum(float(i.weight) for i in indicators.values())
    totals = {
        inst.pk: sum(
            float(indicators[code].weight) / weight_sum * normalised[code][inst.pk]
            for code in normalised
        )
        for inst in eligible
    }
    return raw, normalised, totals


def test_a_round_equals_a_per_institution_recomputation():
    round_, insts, scored = build(9)
    evaluation.run(round_)
    raw, normalised, totals = reference(round_, insts, scored)
    results = {r.institution_id: r for r in m.EvaluationResult.objects.filter(round=round_)}
    assert set(results) == {i.pk for i in insts}
    ranks = evaluation.rank_of(totals)
    grades = evaluation.grades(round_.system, totals)
    for inst in insts:
        result = results[inst.pk]
        if inst.pk not in totals:
            assert not result.eligible and result.grade == "ineligible" and result.total is None
            continue
        assert float(result.total) == pytest.approx(totals[inst.pk], abs=0.006)
        assert result.rank == ranks[inst.pk]
        assert result.grade == grades[inst.pk]
        for code in raw:
            assert result.details[code]["raw"] == pytest.approx(raw[code][inst.pk], abs=1e-4)
            assert result.details[code]["score"] == pytest.approx(
                normalised[code][inst.pk], abs=0.01
            )
    never_reported = results[insts[2].pk].details
    assert never_reported["A1"]["raw"] == 0.0 and never_reported["B2"]["raw"] == 0.0
    assert results[insts[3].pk].details["B1"]["raw"] == pytest.approx(
        raw["B1"][insts[3].pk], abs=1e-4
    )


def test_recomputing_an_unchanged_round_rewrites_nothing_and_a_change_only_its_rows():
    round_, insts, scored = build(6)
    evaluation.run(round_)
    ids = dict(m.EvaluationResult.objects.filter(round=round_).values_list("institution_id", "pk"))
    first_hash = m.EvaluationRound.objects.get(pk=round_.pk).inputs_hash
    evaluation.run(round_)
    assert (
        dict(m.EvaluationResult.objects.filter(round=round_).values_list("institution_id", "pk"))
        == ids
    )
    assert m.EvaluationRound.objects.get(pk=round_.pk).inputs_hash == first_hash
    # One evaluator raises one score: that institution's result changes (and maybe others' ranks).
    score = m.Score.objects.filter(assignment__institution=insts[0]).first()
    score.value = 0 if score.value > 5 else 10
    score.save()
    evaluation.run(round_)
    after = dict(
        m.EvaluationResult.objects.filter(round=round_).values_list("institution_id", "pk")
    )
    assert set(after) == set(ids) and after[insts[0].pk] != ids[insts[0].pk]
    assert after[insts[1].pk] == ids[insts[1].pk]  # ineligible, unchanged: same row
    assert m.EvaluationRound.objects.get(pk=round_.pk).inputs_hash != first_hash
    raw, _, totals = reference(round_, insts, scored)
    stored = m.EvaluationResult.objects.get(round=round_, institution=insts[0])
    assert stored.details["D1"]["raw"] == pytest.approx(raw["D1"][insts[0].pk], abs=1e-4)


def test_the_number_of_queries_does_not_grow_with_the_institutions():
    counts = []
    for n in (4, 12):
        round_, *_ = build(n, seed=n)
        m.EvaluationResult.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            evaluation.compute(round_)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 8


def test_a_round_moves_by_its_transition_table_and_a_published_round_is_never_recomputed():
    from xiake.core.review import TransitionError

    round_, insts, scored = build(3)
    with pytest.raises(TransitionError, match="Publish results|发布结果"):
        evaluation.publish(round_)  # nothing computed yet
    evaluation.run(round_)
    evaluation.run(round_)  # recomputing a computed round is allowed
    assert round_.status == "computed"
    evaluation.publish(round_)
    assert m.EvaluationRound.objects.get(pk=round_.pk).status == "published"
    results = list(m.EvaluationResult.objects.filter(round=round_).values_list("pk", "total"))
    with pytest.raises(TransitionError):
        evaluation.run(round_)
    assert list(m.EvaluationResult.objects.filter(round=round_).values_list("pk", "total")) == (
        results
    )
