"""The annual evaluation: formulas over stored reports, normalisation, grades with quotas, ranks,
and the sensitivity of ranks to weights.

Formulas are a small, safe expression language (parsed with ``ast``, never ``eval``):
``sum(field)``, ``avg(field)``, ``last(field)``, ``first(field)`` over the round's reports,
``growth(field)`` (second half over first half of the period), registry fields by name
(``fund_size``, ``registered_capital``, ``team_shareholders``), numbers and ``+ - * /``.
Division by zero gives 0. Results are reproducible: the raw inputs of every indicator are stored
with the result and fingerprinted with the indicator version.
"""

import ast
import bisect
import hashlib
import json
import math
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

AGGREGATES = {"sum", "avg", "last", "first", "growth"}
REGISTRY_FIELDS = {
    "fund_size",
    "registered_capital",
    "paid_in_capital",
    "team_shareholders",
    "team_share_pct",
    "committed_investment_3y",
}


def report_fields():
    from xiake.institutions.models import MonthlyReport

    return set(MonthlyReport.FIGURES)


def check_formula(text: str):
    """Parse ``text``; raise ValueError naming what is not allowed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError(_("The formula cannot be read.")) from None
    fields = report_fields()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in AGGREGATES:
                raise ValueError(_("Unknown function in the formula."))
            if (
                len(node.args) != 1
                or not isinstance(node.args[0], ast.Name)
                or (node.args[0].id not in fields)
            ):
                raise ValueError(_("Functions take one report field, e.g. sum(revenue)."))
        elif isinstance(node, ast.Name):
            if node.id not in fields | REGISTRY_FIELDS | AGGREGATES:
                raise ValueError(_("Unknown name “%(n)s” in the formula.") % {"n": node.id})
        elif not isinstance(
            node,
            ast.Expression
            | ast.BinOp
            | ast.UnaryOp
            | ast.Constant
            | ast.Add
            | ast.Sub
            | ast.Mult
            | ast.Div
            | ast.USub
            | ast.Load,
        ):
            raise ValueError(_("Only arithmetic is allowed in formulas."))
    return tree


def evaluate(tree, reports: list[dict], registry: dict) -> float:
    """Value of a parsed formula for one institution (reports ordered by period)."""

    def col(name):
        return [float(r[name] or 0) for r in reports]

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(registry.get(node.id) or 0)
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            return a / b if b else 0.0
        if isinstance(node, ast.Call):
            values = col(node.args[0].id)
            fn = node.func.id
            if not values:
                return 0.0
            if fn == "sum":
                return sum(values)
            if fn == "avg":
                return sum(values) / len(values)
            if fn == "last":
                return values[-1]
            if fn == "first":
                return values[0]
            half = len(values) // 2
            a, b = sum(values[:half]), sum(values[half:])
            return (b - a) / a if a else 0.0
        raise ValueError("unsupported")

    return walk(tree)


def normalise(method: str, values: dict, target=None) -> dict:
    """0–100 per institution from raw values (min–max, percentile or against a target)."""
    if not values:
        return {}
    xs = list(values.values())
    if method == "target":
        t = float(target or 1)
        return {k: max(0.0, min(v / t, 1.0)) * 100 for k, v in values.items()}
    if method == "percentile":
        ordered = sorted(xs)
        n = len(ordered)
        if n == 1:
            return {k: 100.0 for k in values}
        out = {}
        for k, v in values.items():
            below = bisect.bisect_left(ordered, v)
            equal = bisect.bisect_right(ordered, v) - below
            out[k] = (below + (equal - 1) / 2) / (n - 1) * 100
        return out
    lo, hi = min(xs), max(xs)
    if hi == lo:
        return {k: 100.0 for k in values}
    return {k: (v - lo) / (hi - lo) * 100 for k, v in values.items()}


def rank_of(totals: dict) -> dict:
    """Competition ranking (1, 2, 2, 4) by total, ties broken by nothing."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks, prev, prev_rank = {}, None, 0
    for i, (k, v) in enumerate(ordered, 1):
        rank = prev_rank if v == prev else i
        ranks[k], prev, prev_rank = rank, v, rank
    return ranks


def grades(system, totals: dict) -> dict:
    """Grade by cut-offs, then quotas: at most x% excellent and y% excellent or good."""
    n = len(totals)
    max_excellent = math.floor(n * float(system.excellent_quota_pct) / 100)
    max_top = math.floor(n * float(system.top_quota_pct) / 100)
    out, excellent, top = {}, 0, 0
    for k, total in sorted(totals.items(), key=lambda kv: -kv[1]):
        if total >= float(system.excellent_min) and excellent < max_excellent and top < max_top:
            grade = "excellent"
            excellent += 1
            top += 1
        elif total >= float(system.good_min) and top < max_top:
            grade = "good"
            top += 1
        elif total >= float(system.pass_min):
            grade = "pass"
        else:
            grade = "fail"
        out[k] = grade
    return out


def gather(round_):
    """Inputs of a round: eligible institutions, their reports (as dicts) and evaluator scores."""
    from xiake.institutions.models import Institution, MonthlyReport, Score

    system = round_.system
    fields = sorted(report_fields())
    insts = list(Institution.objects.order_by("pk"))
    reports = defaultdict(list)
    qs = MonthlyReport.objects.filter(
        period__gte=round_.period_start, period__lte=round_.period_end
    ).order_by("period")
    for row in qs.values("institution_id", "period", *fields):
        reports[row["institution_id"]].append(row)
    scores = defaultdict(lambda: defaultdict(list))
    for s in Score.objects.filter(assignment__round=round_).values(
        "assignment__institution_id", "indicator_id", "value"
    ):
        scores[s["assignment__institution_id"]][s["indicator_id"]].append(float(s["value"]))
    eligible = {i.pk for i in insts if i.months_operating(round_.period_end) >= system.min_months}
    return insts, reports, scores, eligible


def raw_values(round_, insts, reports, scores, eligible):
    """indicator id → {institution id: raw value} for eligible institutions."""
    raw = {}
    for ind in round_.system.indicators.all():
        values = {}
        if ind.method == "computed":
            tree = check_formula(ind.formula)
            for inst in insts:
                if inst.pk in eligible:
                    registry = {f: getattr(inst, f) for f in REGISTRY_FIELDS}
                    values[inst.pk] = evaluate(tree, reports[inst.pk], registry)
        else:
            for inst in insts:
                if inst.pk in eligible:
                    given = scores[inst.pk].get(ind.pk)
                    values[inst.pk] = (
                        sum(given) / len(given) / ind.max_score * 100 if given else 0.0
                    )
        raw[ind.pk] = values
    return raw


def totals_for(indicators, normalised: dict, weights: dict) -> dict:
    totals = defaultdict(float)
    weight_sum = sum(weights.values()) or 1.0
    for ind in indicators:
        w = weights[ind.pk] / weight_sum * 100
        for k, v in normalised[ind.pk].items():
            totals[k] += w * v / 100
    return dict(totals)


def fingerprint(round_, raw) -> str:
    data = {
        "system": round_.system.version,
        "indicators": [
            (i.code, str(i.weight), i.formula, i.normalisation, str(i.target))
            for i in round_.system.indicators.order_by("code")
        ],
        "raw": {
            str(k): {str(i): round(v, 6) for i, v in sorted(d.items())}
            for k, d in sorted(raw.items())
        },
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def compute(round_) -> dict:
    """Compute every result of ``round_`` from the stored inputs; returns the computation."""
    indicators = list(round_.system.indicators.all())
    insts, reports, scores, eligible = gather(round_)
    raw = raw_values(round_, insts, reports, scores, eligible)
    normalised = {
        ind.pk: (
            normalise(ind.normalisation, raw[ind.pk], ind.target)
            if ind.method == "computed"
            else raw[ind.pk]
        )
        for ind in indicators
    }
    weights = {ind.pk: float(ind.weight) for ind in indicators}
    totals = totals_for(indicators, normalised, weights)
    return {
        "insts": insts,
        "indicators": indicators,
        "raw": raw,
        "normalised": normalised,
        "weights": weights,
        "totals": totals,
        "ranks": rank_of(totals),
        "grades": grades(round_.system, totals),
        "eligible": eligible,
        "fingerprint": fingerprint(round_, raw),
    }


AWARDS = {"excellent": "一等奖励", "good": "二等奖励"}


def run(round_) -> int:
    """Compute and store the results of an open round (a published round is never rewritten)."""
    from xiake.core.review import TransitionError
    from xiake.institutions.models import EvaluationResult

    if round_.status == "published":
        raise TransitionError(_("A published round is never recomputed."))
    c = compute(round_)
    results = []
    for inst in c["insts"]:
        ok = inst.pk in c["eligible"]
        details = {
            ind.code: {
                "dimension": ind.dimension,
                "weight": str(ind.weight),
                "raw": round(c["raw"][ind.pk].get(inst.pk, 0.0), 4) if ok else None,
                "score": round(c["normalised"][ind.pk].get(inst.pk, 0.0), 2) if ok else None,
            }
            for ind in c["indicators"]
        }
        results.append(
            EvaluationResult(
                round=round_,
                institution=inst,
                eligible=ok,
                total=Decimal(f"{c['totals'].get(inst.pk, 0.0):.2f}") if ok else None,
                rank=c["ranks"].get(inst.pk) if ok else None,
                grade=c["grades"].get(inst.pk, "fail") if ok else "ineligible",
                award=AWARDS.get(c["grades"].get(inst.pk), "") if ok else "",
                details=details,
            )
        )
    with transaction.atomic():
        # Results are derived from the stored inputs: replaced in one statement, not row by row
        # (a change record per deleted row made a recomputation O(rows) queries). The round's own
        # change record keeps the computation time and the inputs fingerprint.
        old = EvaluationResult.objects.filter(round=round_)
        old._raw_delete(old.db)
        EvaluationResult.objects.bulk_create(results, batch_size=500)
        round_.status = "computed"
        round_.computed_at = timezone.now()
        round_.inputs_hash = c["fingerprint"]
        round_.save()
    return len(results)


def publish(round_) -> None:
    """Publish results and freeze the indicator version they were computed with."""
    from xiake.core.review import TransitionError

    if round_.status != "computed":
        raise TransitionError(_("Compute the round before publishing it."))
    with transaction.atomic():
        round_.status = "published"
        round_.published_at = timezone.now()
        round_.save()
        system = round_.system
        system.is_frozen = True
        system.save()


def revise_weights(system, weights: dict, version: str):
    """Change weights (by indicator code): in place while unfrozen, else as a new version."""
    from xiake.institutions.models import Indicator

    with transaction.atomic():
        if system.is_frozen:
            old_indicators = list(system.indicators.all())
            system.pk = None
            system.id = None
            system.version = version
            system.is_frozen = False
            system.effective_from = timezone.localdate()
            system.save()
            for ind in old_indicators:
                ind.pk = None
                ind.id = None
                ind.system = system
                ind.save()
        for ind in Indicator.objects.filter(system=system, code__in=weights):
            ind.weight = Decimal(str(weights[ind.code]))
            ind.save()
    return system


def sensitivity(round_, delta: float = 0.2):
    """How ranks move when each indicator's weight moves by ±delta (others renormalised).

    Returns per-indicator the largest rank move of any institution and the number of institutions
    whose rank changes, plus per-institution the range of ranks seen across all scenarios.
    """
    c = compute(round_)
    base = c["ranks"]
    per_indicator, ranges = [], {k: [r, r] for k, r in base.items()}
    for ind in c["indicators"]:
        row = {"code": ind.code, "name": ind.name, "weight": float(ind.weight)}
        for sign, label in ((-1, "down"), (1, "up")):
            weights = dict(c["weights"])
            weights[ind.pk] = weights[ind.pk] * (1 + sign * delta)
            ranks = rank_of(totals_for(c["indicators"], c["normalised"], weights))
            moves = {k: ranks[k] - base[k] for k in base}
            row[f"{label}_max_move"] = max((abs(m) for m in moves.values()), default=0)
            row[f"{label}_changed"] = sum(1 for m in moves.values() if m)
            for k, r in ranks.items():
                ranges[k][0] = min(ranges[k][0], r)
                ranges[k][1] = max(ranges[k][1], r)
        per_indicator.append(row)
    return {"indicators": per_indicator, "ranges": ranges, "base": base, "delta": delta}
