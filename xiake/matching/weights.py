"""The weights ``recommend`` gives its signals: hand-set defaults, or the newest fit from labels.

A recommendation's score is ``text × w_text + Σ signal × w_signal``: ``text`` is the fused lexical
(and dense) score divided by the best candidate's, each signal's unit value is 1 when it holds
(``budget`` +1 within budget, −1 well above it; ``discipline`` the agreement's share, 1 for a
declared discipline). :func:`fit` learns the weights from every label (users' marks and docking
outcomes, ``labels.all_labels``) by L2-regularised logistic regression (numpy, Newton steps) and
reports the k-fold cross-validated AUC of the fitted and of the hand-set weights on the same
folds. ``xiake fit_match_weights`` stores a fit as a :class:`~xiake.matching.models.SignalWeights`
row; :func:`current` returns the newest.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from xiake.matching import ranker

FEATURES = (
    "text",
    "industry",
    "industry_section",
    "trl",
    "coop_mode",
    "budget",
    "local",
    "fresh",
    "discipline",
)
# the hand-set weights (api.signals_for and the ranker's discipline agreement)
DEFAULTS = {
    "text": 1.0,
    "industry": 0.15,
    "industry_section": 0.05,
    "trl": 0.1,
    "coop_mode": 0.1,
    "budget": 0.1,
    "local": 0.05,
    "fresh": 0.03,
    "discipline": ranker.DEFAULT.discipline_weight,
}
MIN_PER_CLASS = 10


def _code(signal: dict) -> str | None:
    code = signal.get("code", "")
    if code.startswith("discipline"):  # declared agreement or inferred
        return "discipline"
    return code if code in DEFAULTS and code != "text" else None


def current() -> dict[str, float] | None:
    """The newest fitted weights, or None (then the hand-set DEFAULTS apply)."""
    from xiake.matching.models import SignalWeights

    stored = SignalWeights.objects.order_by("-id").values_list("weights", flat=True).first()
    if not stored:
        return None
    return {name: float(stored.get(name, DEFAULTS[name])) for name in FEATURES}


def weigh(match, weights: dict[str, float] | None) -> None:
    """Score ``match`` from its text score (``match.score`` on entry) and its signals (weighted
    by the hand-set DEFAULTS on entry): keeps the unit values in ``match.features``, and with
    ``weights`` re-weights each signal and the text score by them."""
    text = match.score
    features = {"text": text}
    for signal in match.signals:
        code = _code(signal)
        if code is not None:
            features[code] = features.get(code, 0.0) + signal["weight"] / DEFAULTS[code]
    match.features = features
    if weights:
        for signal in match.signals:
            code = _code(signal)
            if code is not None:
                signal["weight"] = round(weights[code] * signal["weight"] / DEFAULTS[code], 4)
        text = weights["text"] * text
    match.score = text + sum(s["weight"] for s in match.signals)


def vector(features: dict) -> list[float]:
    return [float(features.get(name, 0.0)) for name in FEATURES]


# -- fitting --------------------------------------------------------------------------------------
class TooFewLabels(ValueError):
    """Not enough labels of one class (or of both) to fit and cross-validate."""


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 100):
    """(intercept, weights) minimising the log loss + ``l2``/2 · |weights|² (the intercept is
    not penalised), by Newton's method."""
    n, d = x.shape
    a = np.hstack([np.ones((n, 1)), x])
    w = np.zeros(d + 1)
    penalty = np.eye(d + 1) * l2
    penalty[0, 0] = 0.0
    for _step in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        gradient = a.T @ (p - y) + penalty @ w
        hessian = (a.T * (p * (1 - p))) @ a + penalty + 1e-9 * np.eye(d + 1)
        change = np.linalg.solve(hessian, gradient)
        w -= change
        if np.max(np.abs(change)) < 1e-9:
            break
    return float(w[0]), w[1:]


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half); nan without both classes."""
    positives = y == 1
    n1, n0 = int(positives.sum()), int((~positives).sum())
    if not n1 or not n0:
        return math.nan
    _values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    return float((ranks[positives].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def stratified_folds(y: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Fold number of each sample: each class shuffled and dealt round the ``k`` folds."""
    rng = np.random.default_rng(seed)
    folds = np.empty(len(y), dtype=int)
    for value in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == value))
        folds[idx] = np.arange(len(idx)) % k
    return folds


@dataclass
class Fit:
    weights: dict[str, float]
    labels: int
    positives: int
    negatives: int
    folds: int
    l2: float
    cv_auc: float  # mean over the folds, fitted weights
    baseline_auc: float  # mean over the same folds, hand-set weights
    fold_auc: list[tuple[float, float]] = field(default_factory=list)
    skipped: int = 0  # labels whose source or target no longer exists

    def as_dict(self) -> dict:
        return {
            "weights": self.weights,
            "defaults": DEFAULTS,
            "labels": self.labels,
            "positives": self.positives,
            "negatives": self.negatives,
            "folds": self.folds,
            "l2": self.l2,
            "cv_auc": round(self.cv_auc, 4),
            "baseline_auc": round(self.baseline_auc, 4),
            "fold_auc": [[round(a, 4), round(b, 4)] for a, b in self.fold_auc],
            "skipped": self.skipped,
        }


def cross_validate(x, y, k: int = 5, l2: float = 1.0, seed: int = 0):
    """Mean fold AUC of the fitted weights and of the hand-set ones on the same folds, and the
    per-fold pairs."""
    folds = stratified_folds(y, k, seed)
    hand = np.array(vector(DEFAULTS))
    pairs = []
    for fold in range(k):
        test = folds == fold
        _b, w = logistic(x[~test], y[~test], l2)
        pairs.append((auc(x[test] @ w, y[test]), auc(x[test] @ hand, y[test])))
    return (
        float(np.mean([p[0] for p in pairs])),
        float(np.mean([p[1] for p in pairs])),
        pairs,
    )


def fit_arrays(x, y, *, folds: int = 5, l2: float = 1.0, min_per_class: int = MIN_PER_CLASS):
    """A :class:`Fit` of the feature rows ``x`` (in FEATURES order) and labels ``y`` (1 useful)."""
    positives, negatives = int((y == 1).sum()), int((y == 0).sum())
    needed = max(min_per_class, folds)
    if positives < needed or negatives < needed:
        raise TooFewLabels(
            _(
                "Too few labels to fit: %(pos)s useful and %(neg)s not relevant; at least "
                "%(n)s of each are needed (marks on matches and docking outcomes)."
            )
            % {"pos": positives, "neg": negatives, "n": needed}
        )
    cv, baseline, pairs = cross_validate(x, y, folds, l2)
    _b, w = logistic(x, y, l2)
    # a ranking depends only on the weights' direction: scale them to the hand-set weights' sum
    # of magnitudes, so that a fit sits on the scale of the labels' lift and the reasons shown
    size = float(np.abs(w).sum())
    scale = sum(abs(v) for v in DEFAULTS.values()) / size if size > 0 else 1.0
    weights = {name: round(float(v) * scale, 4) for name, v in zip(FEATURES, w, strict=True)}
    return Fit(weights, len(y), positives, negatives, folds, l2, cv, baseline, pairs)


def dataset(user, labels) -> tuple[np.ndarray, np.ndarray, int]:
    """Feature rows and labels of ``labels`` as ``user`` sees them (the bureau sees everything):
    one ``recommend`` per source and target kind gives its first 100 candidates' features; a
    labelled target beyond them gets its structured signals and the text score ``recommend``
    would have given it (``api.text_scores``). Labels of records that no longer exist (or that
    ``user`` may not view) are skipped and counted."""
    from xiake.matching import api
    from xiake.matching.labels import split_key, viewable

    by_source: dict[str, list] = defaultdict(list)
    for label in labels:
        by_source[label.source].append(label)
    rows, ys, skipped = [], [], 0
    for source_key, found in by_source.items():
        source = viewable(user, *split_key(source_key))
        if source is None:
            skipped += len(found)
            continue
        features: dict[str, dict] = {}
        for kind in sorted({x.target.split(":")[0] for x in found}):
            try:
                results = api.recommend(user, source, kind, limit=api.MAX_LIMIT)
            except api.QueryError:
                continue
            features.update((f"{m.kind}:{m.obj.pk}", m.features) for m in results)
        beyond: dict[str, list[str]] = defaultdict(list)
        for label in found:
            if label.target not in features:
                beyond[label.target.split(":")[0]].append(label.target)
        text: dict[str, float] = {}
        for kind, keys in beyond.items():
            try:
                text.update(api.text_scores(user, source, kind, keys, limit=api.MAX_LIMIT))
            except api.QueryError:
                continue
        for label in found:
            feats = features.get(label.target)
            if feats is None:
                feats = _direct_features(user, source, label.target, text.get(label.target, 0.0))
            if feats is None:
                skipped += 1
                continue
            rows.append(vector(feats))
            ys.append(1 if label.useful else 0)
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(ys), skipped


def _direct_features(user, source, target_key, text: float) -> dict | None:
    from xiake.matching import api
    from xiake.matching.labels import split_key, viewable

    target = viewable(user, *split_key(target_key, "target"))
    if target is None:
        return None
    match = api.Match(target_key.split(":")[0], target, text)
    match.signals = api.signals_for(source, target)
    if api.disciplines_of(source) & api.disciplines_of(target):
        match.signals.append({"code": "discipline", "weight": DEFAULTS["discipline"], "label": ""})
    weigh(match, None)
    return match.features


def fit(user, *, folds: int = 5, l2: float = 1.0, min_per_class: int = MIN_PER_CLASS) -> Fit:
    """Fit the weights from every label (raises TooFewLabels)."""
    from xiake.matching.labels import all_labels

    x, y, skipped = dataset(user, all_labels())
    result = fit_arrays(x, y, folds=folds, l2=l2, min_per_class=min_per_class)
    result.skipped = skipped
    return result


def store(result: Fit, user):
    """Keep ``result`` as the newest weights (the bureau only)."""
    from django.core.exceptions import PermissionDenied

    from xiake.core.roles import is_bureau
    from xiake.matching.models import SignalWeights

    if not is_bureau(user):
        raise PermissionDenied
    from xiake.core.changelog import record_event
    from xiake.core.models import ChangeAction

    row = SignalWeights.objects.create(
        weights=result.weights,
        labels=result.labels,
        positives=result.positives,
        folds=result.folds,
        l2=result.l2,
        cv_auc=result.cv_auc,
        baseline_auc=result.baseline_auc,
        created_by=user,
    )
    record_event(
        ChangeAction.CREATE,
        comment=f"match signal weights fitted (CV AUC {result.cv_auc:.3f})",
        actor=user,
        obj=row,
        after=result.weights,
    )
    return row
