"""Learned signal weights: ``xiake fit_match_weights`` fits recommend's weights from the labels
(marks and docking outcomes) and recommend uses the newest fit. The labels are generated here so
that one signal (a shared cooperation mode) truly predicts usefulness while the text score —
which the hand-set weights trust most — does not."""

import io
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_achievement, make_demand, term
from xiake.matching import api, labels, weights
from xiake.matching.models import SignalWeights

pytestmark = pytest.mark.django_db

# four texts that match the demand (不锈钢管焊缝 in seawater) from closely to barely
VARIANTS = [
    (
        "不锈钢管焊缝海水防腐技术",
        "不锈钢管焊缝在海水环境下防锈蚀的工艺，管材焊缝半年不锈蚀。",
        "不锈钢管,焊缝,防腐",
    ),
    (
        "双相不锈钢焊接接头耐点蚀技术",
        "双相不锈钢焊接工艺，焊接接头在海水中耐点蚀性能提高30%。",
        "双相不锈钢,焊接",
    ),
    ("不锈钢表面钝化处理", "一种不锈钢表面钝化处理方法。", ""),
    ("管道焊接机器人路径规划", "一种焊接机器人的路径规划方法，用于管道焊接。", ""),
]
NOISE = {5, 8}  # one label of each class against the rule: not perfectly separable


@pytest.fixture
def labelled(orgs, users):
    """A demand asking for joint development and 40 achievements: each text variant ten times,
    half of each offering joint development. Useful ⇔ joint development (but for NOISE)."""
    demand = make_demand(orgs["enterprise"])
    joint = term("coop_mode", "joint")
    demand.cooperation_modes.add(joint)
    for i in range(40):
        title, summary, keywords = VARIANTS[i % 4]
        a = make_achievement(
            orgs["university"], title=f"{title}{i}", summary=summary, keywords=keywords
        )
        shares_mode = (i // 4) % 2 == 0
        if shares_mode:
            a.cooperation_modes.add(joint)
        useful = shares_mode != (i in NOISE)
        labels.mark(users["bureau"], demand, a, "useful" if useful else "not_useful")
    return demand


def test_fit_finds_the_predictive_signal_and_beats_the_hand_set_weights(users, labelled):
    fit = weights.fit(users["bureau"])
    assert (fit.labels, fit.positives, fit.negatives, fit.skipped) == (40, 20, 20, 0)
    best = max(fit.weights, key=fit.weights.get)
    assert best == "coop_mode", fit.weights
    assert fit.cv_auc > fit.baseline_auc, fit.as_dict()
    assert fit.cv_auc >= 0.85
    # scaled to the hand-set weights' sum of magnitudes (a ranking ignores the scale)
    total = sum(abs(v) for v in weights.DEFAULTS.values())
    assert sum(abs(v) for v in fit.weights.values()) == pytest.approx(total, abs=1e-3)
    # the text score varied (the hand-set weights ranked by it, not by the cooperation mode)
    x, _y, _skipped = weights.dataset(users["bureau"], labels.all_labels())
    assert np.ptp(x[:, weights.FEATURES.index("text")]) > 0.3


def _shares_mode_first(user, demand) -> bool:
    results = list(api.recommend(user, demand, "achievement", limit=40))
    return all(m.features.get("coop_mode") for m in results[:20])


def test_command_dry_run_stores_nothing_then_stores_and_recommend_uses_it(orgs, users, labelled):
    # an unlabelled demand like the labelled one: the hand-set weights rank it by text
    fresh = make_demand(orgs["enterprise"])
    fresh.cooperation_modes.add(term("coop_mode", "joint"))
    assert not _shares_mode_first(users["enterprise"], fresh)
    out = io.StringIO()
    call_command("fit_match_weights", "--user", users["bureau"].username, "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and "coop_mode" in out.getvalue()
    assert not SignalWeights.objects.exists()
    call_command("fit_match_weights", "--user", users["bureau"].username, stdout=io.StringIO())
    row = SignalWeights.objects.get()
    assert row.created_by == users["bureau"] and row.labels == 40 and row.cv_auc > row.baseline_auc
    assert weights.current() == pytest.approx(row.weights)
    # recommend weighs its signals with the stored weights
    results = api.recommend(users["enterprise"], labelled, "achievement", limit=40)
    coop = [s["weight"] for m in results for s in m.signals if s["code"] == "coop_mode"]
    assert coop and all(w == pytest.approx(row.weights["coop_mode"]) for w in coop)
    # and the unlabelled demand now gets the achievements sharing its mode first
    assert _shares_mode_first(users["enterprise"], fresh)


def test_only_the_bureau_fits(users, labelled):
    with pytest.raises(CommandError, match="bureau"):
        call_command("fit_match_weights", "--user", users["manager"].username)
    with pytest.raises(CommandError, match="no user"):
        call_command("fit_match_weights", "--user", "nobody")
    assert not SignalWeights.objects.exists()


def test_too_few_labels_says_so(orgs, users):
    demand = make_demand(orgs["enterprise"])
    found = [make_achievement(orgs["university"]) for _ in range(3)]
    labels.mark(users["bureau"], demand, found[0], "useful")
    labels.mark(users["bureau"], demand, found[1], "useful")
    labels.mark(users["bureau"], demand, found[2], "not_useful")
    with pytest.raises(weights.TooFewLabels) as failure:
        weights.fit(users["bureau"])
    assert re.findall(r"\d+", str(failure.value)) == ["2", "1", "10"]
    with pytest.raises(CommandError) as failure:
        call_command("fit_match_weights", "--user", users["bureau"].username)
    assert re.findall(r"\d+", str(failure.value)) == ["2", "1", "10"]
    assert not SignalWeights.objects.exists()
    assert weights.current() is None  # recommend keeps the hand-set weights


def test_auc_counts_ties_half():
    y = np.array([1, 0, 1, 0])
    assert weights.auc(np.array([0.9, 0.1, 0.8, 0.2]), y) == 1.0
    assert weights.auc(np.array([0.5, 0.5, 0.5, 0.5]), y) == 0.5
    assert weights.auc(np.array([0.1, 0.9, 0.2, 0.8]), y) == 0.0
