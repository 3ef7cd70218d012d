"""Operating points on P(definite) (axspa/sij/operating.py) and the ROC AUC they sit on (evaluation/stats.py):
hand-computed thresholds, their tie and edge rules, and the targets they promise on random data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from axspa.evaluation.stats import roc_auc
from axspa.sij.operating import choose_operating_points, decision_rates, sensitivity_specificity

# Positives 0.4, 0.6, 0.8, 0.9, 0.95; negatives 0.1, 0.2, 0.3, 0.5, 0.7.
P = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
Y = [0, 0, 0, 1, 0, 1, 0, 1, 1, 1]


def test_separable_scores_give_one_threshold_for_all_three():
    points = choose_operating_points([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1])
    assert points == {"sensitive": 0.7, "balanced": 0.7, "specific": 0.7}
    assert sensitivity_specificity([0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1], 0.7) == (1.0, 1.0)


def test_thresholds_by_hand():
    # sensitivity at 0.4, 0.5, 0.6, 0.7: 1, 0.8, 0.8, 0.6; specificity at 0.5, 0.6, 0.8: 0.6, 0.8, 1.0.
    at_95 = choose_operating_points(P, Y, target=0.95)
    assert at_95["sensitive"] == 0.4 and at_95["specific"] == 0.8
    at_80 = choose_operating_points(P, Y, target=0.8)
    assert at_80["sensitive"] == 0.6 and at_80["specific"] == 0.6
    # Youden J is 0.6 at 0.4, 0.6 and 0.8 (and lower elsewhere): a tie goes to the lowest threshold.
    assert at_95["balanced"] == at_80["balanced"] == 0.4
    assert sensitivity_specificity(P, Y, 0.6) == (0.8, 0.8)


def test_specificity_out_of_reach_calls_nothing_definite():
    # The highest score is a negative case: no observed threshold leaves it negative.
    points = choose_operating_points([0.2, 0.9], [True, False])
    assert points["specific"] > 0.9
    assert sensitivity_specificity([0.2, 0.9], [True, False], points["specific"]) == (0.0, 1.0)
    assert points["sensitive"] == 0.2


@pytest.mark.parametrize("labels, word", [([1, 1, 1], "definite"), ([0, 0, 0], "not definite")])
def test_labels_of_one_class_are_refused(labels, word):
    with pytest.raises(ValueError, match=f"all 3 labels are {word}"):
        choose_operating_points([0.1, 0.5, 0.9], labels)


@pytest.mark.parametrize("p, y, target, message", [
    ([0.1, 0.2], [0], 0.95, "2 probabilities but 1 labels"),
    ([], [], 0.95, "no cases"),
    ([0.1, float("nan")], [0, 1], 0.95, "finite"),
    ([0.1, 0.2], [0, 2], 0.95, "labels must be 0/1"),
    ([0.1, 0.2], [0, 1], 0.0, "target"),
    ([0.1, 0.2], [0, 1], 1.5, "target"),
])
def test_bad_input_is_refused(p, y, target, message):
    with pytest.raises(ValueError, match=message):
        choose_operating_points(p, y, target)


def test_rates_are_none_for_an_absent_class():
    assert sensitivity_specificity([0.2, 0.8], [0, 0], 0.5) == (None, 0.5)
    assert decision_rates([True, False], [True, True]) == (0.5, None)


@pytest.mark.parametrize("seed", range(5))
def test_the_targets_hold_and_no_stricter_threshold_keeps_them(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(60) < 0.4
    p = np.clip(np.round(0.5 + 0.25 * (2 * y - 1) + rng.normal(0, 0.25, 60), 2), 0, 1)  # rounded: ties
    points = choose_operating_points(p, y, target=0.9)
    candidates = np.unique(p)
    sens, _ = sensitivity_specificity(p, y, points["sensitive"])
    assert sens >= 0.9
    higher = candidates[candidates > points["sensitive"]]
    assert not higher.size or sensitivity_specificity(p, y, higher[0])[0] < 0.9
    _, spec = sensitivity_specificity(p, y, points["specific"])
    assert spec >= 0.9
    lower = candidates[candidates < points["specific"]]
    assert not lower.size or sensitivity_specificity(p, y, lower[-1])[1] < 0.9
    youden = [sum(sensitivity_specificity(p, y, t)) - 1 for t in candidates]
    best = [t for t, j in zip(candidates, youden) if j >= max(youden) - 1e-12]
    assert points["balanced"] == best[0]  # the largest Youden J; the lowest threshold on a tie


def test_auc_by_pairs():
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert roc_auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert roc_auc([0.5, 0.5, 0.5], [0, 1, 1]) == 0.5
    rng = np.random.default_rng(3)
    s, y = np.round(rng.random(40), 1), rng.random(40) < 0.5
    pairs = [(a > b) + 0.5 * (a == b) for a, b in itertools.product(s[y], s[~y])]
    assert roc_auc(s, y) == pytest.approx(np.mean(pairs))
    with pytest.raises(ValueError, match="positive and negative"):
        roc_auc([0.1, 0.2], [1, 1])
