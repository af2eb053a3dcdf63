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


def calls(tree) -> set[tuple[str, str]]:
    """The (aggregate, report field) pairs a parsed formula needs, e.g. {("sum", "revenue")}."""
    return {
        (node.func.id, node.args[0].id) for node in ast.walk(tree) if isinstance(node, ast.Call)
    }


def evaluate_many(tree, aggregates: list[dict], registries: list[dict]) -> list[float]:
    """Values of a parsed formula for many institutions at once (one pass over the tree).

    ``aggregates[i]`` maps (aggregate, field) to institution i's value over the round's reports
    (see ``report_aggregates``; an institution without reports has none, i.e. 0) and
    ``registries[i]`` holds its registry fields. Division by zero gives 0.
    """
    n = len(aggregates)

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return [float(node.value)] * n
        if isinstance(node, ast.Name):
            return [float(r.get(node.id) or 0) for r in registries]
        if isinstance(node, ast.UnaryOp):
            return [-v for v in walk(node.operand)]
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return [a + b for a, b in zip(left, right, strict=True)]
            if isinstance(node.op, ast.Sub):
                return [a - b for a, b in zip(left, right, strict=True)]
            if isinstance(node.op, ast.Mult):
                return [a * b for a, b in zip(left, right, strict=True)]
            return [a / b if b else 0.0 for a, b in zip(left, right, strict=True)]
        if isinstance(node, ast.Call):
            key = (node.func.id, node.args[0].id)
            return [agg.get(key, 0.0) for agg in aggregates]
        raise ValueError("unsupported")

    return walk(tree)


def report_aggregates(start, end, needed: set[tuple[str, str]]) -> dict:
    """institution id → {(aggregate, field): value} over the reports of months ``start``–``end``.

    One grouped query over the period's reports, whatever the number of institutions: the number
    of reports and the sums (``sum``; ``avg`` = sum / number of reports; ``growth`` = second half
    over first half, the first half being the first ⌊n/2⌋ months the institution reported), and
    the figures of its first and last reported month, picked by row number over its reports.
    The statement is written out because it aggregates over a window (``ROW_NUMBER() OVER``),
    which the ORM cannot group by; identifiers come from the model's own fields only (formulas
    are checked against them), values are parameters. Results are floats; missing figures are 0.
    """
    from django.db import connection

    from xiake.institutions.models import MonthlyReport

    by_fn = defaultdict(set)
    for fn, name in needed:
        by_fn[fn].add(name)
    summed = sorted(by_fn["sum"] | by_fn["avg"] | by_fn["growth"])
    halved, first, last = sorted(by_fn["growth"]), sorted(by_fn["first"]), sorted(by_fn["last"])
    if not needed:
        return {}
    meta, q = MonthlyReport._meta, connection.ops.quote_name
    col = {name: q(meta.get_field(name).column) for name in summed + first + last}
    inst, period = q(meta.get_field("institution").column), q(meta.get_field("period").column)
    columns = (
        [f"SUM({col[f]})" for f in summed]
        + [f"SUM(CASE WHEN rn * 2 <= n THEN {col[f]} ELSE 0 END)" for f in halved]
        + [f"MAX(CASE WHEN rn = 1 THEN {col[f]} END)" for f in first]
        + [f"MAX(CASE WHEN rn = n THEN {col[f]} END)" for f in last]
    )
    sql = (
        f"SELECT {inst}, MAX(n), {', '.join(columns)} FROM ("
        f"SELECT {inst}, {', '.join(sorted(set(col.values())))}, "
        f"ROW_NUMBER() OVER (PARTITION BY {inst} ORDER BY {period}) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {inst}) AS n "
        f"FROM {q(meta.db_table)} WHERE {period} >= %s AND {period} <= %s"
        f") AS period_reports GROUP BY {inst}"
    )
    params = [connection.ops.adapt_datefield_value(d) for d in (start, end)]
    out = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for inst_id, n, *values in cursor.fetchall():
            values = [float(v or 0) for v in values]
            sums = dict(zip(summed, values, strict=False))
            values = values[len(summed) :]
            agg = {}
            for name in summed:
                agg["sum", name] = sums[name]
                agg["avg", name] = sums[name] / n
            for name, a in zip(halved, values, strict=False):
                b = sums[name] - a
                agg["growth", name] = (b - a) / a if a else 0.0
            values = values[len(halved) :]
            for fn, names in (("first", first), ("last", last)):
                for name, value in zip(names, values, strict=False):
                    agg[fn, name] = value
                values = values[len(names) :]
            out[inst_id] = agg
    return out


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
    """Inputs of a round, aggregated in the database.

    Returns the institutions as ``{id: registry values}`` (ordered by id), the report aggregates
    the computed indicators need, the evaluators' mean score per (institution, indicator) and the
    eligible institution ids.
    """
    from django.db.models import Count, Sum

    from xiake.institutions.models import Institution, Score, months_between

    system = round_.system
    needed = set()
    for ind in system.indicators.all():
        if ind.method == "computed":
            needed |= calls(check_formula(ind.formula))
    registry_fields = sorted(REGISTRY_FIELDS)
    insts, eligible = {}, set()
    for pk, established_on, *values in Institution.objects.order_by("pk").values_list(
        "pk", "established_on", *registry_fields
    ):
        insts[pk] = dict(zip(registry_fields, values, strict=True))
        if months_between(established_on, round_.period_end) >= system.min_months:
            eligible.add(pk)
    aggregates = report_aggregates(round_.period_start, round_.period_end, needed)
    scores = defaultdict(dict)
    for inst_id, ind_id, total, n in (
        Score.objects.filter(assignment__round=round_)
        .values("assignment__institution_id", "indicator_id")
        .annotate(total=Sum("value"), n=Count("pk"))
        .values_list("assignment__institution_id", "indicator_id", "total", "n")
        .order_by()
    ):
        scores[inst_id][ind_id] = float(total) / n
    return insts, aggregates, scores, eligible


def raw_values(round_, insts, aggregates, scores, eligible):
    """indicator id → {institution id: raw value} for eligible institutions."""
    ids = [pk for pk in insts if pk in eligible]
    aggs = [aggregates.get(pk, {}) for pk in ids]
    registries = [insts[pk] for pk in ids]
    raw = {}
    for ind in round_.system.indicators.all():
        if ind.method == "computed":
            values = evaluate_many(check_formula(ind.formula), aggs, registries)
        else:
            means = [scores[pk].get(ind.pk) for pk in ids]
            values = [m / ind.max_score * 100 if m is not None else 0.0 for m in means]
        raw[ind.pk] = dict(zip(ids, values, strict=True))
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
        # Keys are ordered by sort_keys (as strings), so the order of ``raw`` does not matter.
        "raw": {str(k): {str(i): round(v, 6) for i, v in d.items()} for k, d in raw.items()},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def compute(round_) -> dict:
    """Compute every result of ``round_`` from the stored inputs; returns the computation."""
    indicators = list(round_.system.indicators.all())
    insts, aggregates, scores, eligible = gather(round_)
    raw = raw_values(round_, insts, aggregates, scores, eligible)
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
#: The stored values of a result that a recomputation compares before rewriting it.
RESULT_VALUES = ("eligible", "total", "rank", "grade", "award", "details")


def run(round_) -> int:
    """Compute and store the results of an open round (a published round is never rewritten)."""
    from xiake.institutions.models import EvaluationResult

    move = round_.check_move("compute")
    c = compute(round_)
    eligible, totals, ranks, grades_ = c["eligible"], c["totals"], c["ranks"], c["grades"]
    columns = [
        (
            ind.code,
            ind.dimension,
            str(ind.weight),
            {pk: round(v, 4) for pk, v in c["raw"][ind.pk].items()},
            {pk: round(v, 2) for pk, v in c["normalised"][ind.pk].items()},
        )
        for ind in c["indicators"]
    ]
    results = []
    for pk in c["insts"]:
        ok = pk in eligible
        details = {
            code: {
                "dimension": dimension,
                "weight": weight,
                "raw": raw.get(pk, 0.0) if ok else None,
                "score": score.get(pk, 0.0) if ok else None,
            }
            for code, dimension, weight, raw, score in columns
        }
        results.append(
            EvaluationResult(
                round=round_,
                institution_id=pk,
                eligible=ok,
                total=Decimal(f"{totals.get(pk, 0.0):.2f}") if ok else None,
                rank=ranks.get(pk) if ok else None,
                grade=grades_.get(pk, "fail") if ok else "ineligible",
                award=AWARDS.get(grades_.get(pk), "") if ok else "",
                details=details,
            )
        )
    # Results are derived from the stored inputs. Only rows whose values changed are replaced
    # (deleted in one statement and bulk-inserted, not row by row: a change record per row made a
    # recomputation O(rows) queries), so that recomputing an unchanged round writes nothing and
    # unchanged results keep their id (links to their PDF stay valid). The round's own change
    # record keeps the computation time and the inputs fingerprint.
    changed = {r.institution_id: r for r in results}
    stale, everything_stale = [], True
    stored = EvaluationResult.objects.filter(round=round_).values_list(
        "institution_id", "pk", *RESULT_VALUES
    )
    for inst_id, pk, *values in stored.iterator(chunk_size=2000):
        new = changed.get(inst_id)
        if new is not None and values == [getattr(new, f) for f in RESULT_VALUES]:
            del changed[inst_id]
            everything_stale = False
        else:
            stale.append(pk)
    with transaction.atomic():
        if everything_stale:
            old = EvaluationResult.objects.filter(round=round_)
            old._raw_delete(old.db)
        else:
            for i in range(0, len(stale), 1000):  # stays under SQLite's parameter limit
                old = EvaluationResult.objects.filter(round=round_, pk__in=stale[i : i + 1000])
                old._raw_delete(old.db)
        insert_results(list(changed.values()))
        round_.status = move.target
        round_.computed_at = timezone.now()
        round_.inputs_hash = c["fingerprint"]
        round_.save()
    return len(results)


def insert_results(results) -> None:
    """Insert result rows with one ``executemany``.

    What ``bulk_create`` does, minus its per-value overhead (≈ 60 % of a 100× evaluation went into
    preparing 58,000 values one by one): each value is still prepared by its own field
    (``get_db_prep_save``, i.e. the backend's JSON, decimal and date adaptation); the timestamps are
    one value for all rows. No signals are sent, as with ``bulk_create``.
    """
    from django.db import connection

    from xiake.institutions.models import EvaluationResult

    if not results:
        return
    meta = EvaluationResult._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    shared = {
        f.attname: f.get_db_prep_save(now, connection)
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    columns = []
    for f in fields:
        if f.attname in shared:
            columns.append([shared[f.attname]] * len(results))
        else:
            columns.append([f.get_db_prep_save(getattr(r, f.attname), connection) for r in results])
    q = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        q(meta.db_table),
        ", ".join(q(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*columns, strict=True)))


def publish(round_) -> None:
    """Publish results and freeze the indicator version they were computed with."""
    move = round_.check_move("publish")
    with transaction.atomic():
        round_.status = move.target
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
