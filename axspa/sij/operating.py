"""Operating points on P(definite sacroiliitis), chosen as Bressem et al. chose theirs (Deep learning for
detection of radiographic sacroiliitis: achieving expert-level performance. Arthritis Res Ther 2021;23:106):
one threshold favouring sensitivity, one favouring specificity and one balancing both (the largest Youden
index), each picked on validation data with known labels. Pure numpy.

A case is called definite when its probability is >= the threshold. The candidate thresholds are the
observed probabilities (a threshold between two observed values classifies the data like the higher one),
plus, only where no observed value reaches the specificity target, the smallest number above every
probability (nothing is called definite: specificity 1, sensitivity 0).

- ``sensitive``: the highest candidate whose sensitivity is >= ``target`` (the lowest observed probability
  always qualifies: sensitivity 1).
- ``specific``: the lowest candidate whose specificity is >= ``target``.
- ``balanced``: the candidate with the largest Youden J = sensitivity + specificity - 1; on a tie the
  lowest such threshold (the more sensitive one).

Labels of a single class cannot place any of them (sensitivity or specificity is undefined): ValueError.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

OPERATING_POINTS = ("sensitive", "balanced", "specific")
# Rates within this of the target count as reaching it (k/n computed in floating point).
_RATE_TOLERANCE = 1e-12


def _checked(probabilities: Sequence[float], labels: Sequence) -> Tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    y = np.asarray(labels).reshape(-1)
    if p.size != y.size:
        raise ValueError(f"{p.size} probabilities but {y.size} labels")
    if p.size == 0:
        raise ValueError("no cases: operating points need probabilities with their labels")
    if not np.all(np.isfinite(p)):
        raise ValueError("probabilities must be finite numbers")
    if y.dtype != bool:
        if not np.all(np.isin(y, (0, 1))):
            raise ValueError("labels must be 0/1 or True/False (definite sacroiliitis or not)")
        y = y.astype(bool)
    return p, y


def decision_rates(decisions: Sequence, labels: Sequence) -> Tuple[Optional[float], Optional[float]]:
    """(sensitivity, specificity) of yes/no ``decisions`` against ``labels``; None for a class with no case."""
    d = np.asarray(decisions, dtype=bool).reshape(-1)
    y = np.asarray(labels, dtype=bool).reshape(-1)
    if d.size != y.size:
        raise ValueError(f"{d.size} decisions but {y.size} labels")
    sensitivity = float(d[y].mean()) if y.any() else None
    specificity = float((~d[~y]).mean()) if (~y).any() else None
    return sensitivity, specificity


def sensitivity_specificity(probabilities: Sequence[float], labels: Sequence,
                            threshold: float) -> Tuple[Optional[float], Optional[float]]:
    """(sensitivity, specificity) when a probability >= ``threshold`` is called definite; None for a class
    the labels do not hold (e.g. the sensitivity of a set without a definite case)."""
    p, y = _checked(probabilities, labels)
    return decision_rates(p >= float(threshold), y)


def choose_operating_points(probabilities: Sequence[float], labels: Sequence, target: float = 0.95) -> dict:
    """``{"sensitive": t, "balanced": t, "specific": t}``: thresholds on P(definite) as the module docstring
    says, from validation ``probabilities`` and their ``labels`` (True/1 = definite sacroiliitis)."""
    p, y = _checked(probabilities, labels)
    if not 0.0 < float(target) <= 1.0:
        raise ValueError(f"target {target!r} must be a rate in (0, 1]")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        only = "definite" if n_neg == 0 else "not definite"
        raise ValueError(f"all {y.size} labels are {only}: operating points need cases with and without "
                         f"definite sacroiliitis (sensitivity and specificity are both needed)")
    candidates = np.unique(p)  # ascending
    # Sensitivity and specificity at each candidate, as counts over the sorted probabilities.
    pos_below = np.searchsorted(np.sort(p[y]), candidates, side="left")  # positives called negative
    neg_below = np.searchsorted(np.sort(p[~y]), candidates, side="left")  # negatives called negative
    sensitivity = (n_pos - pos_below) / n_pos
    specificity = neg_below / n_neg
    target = float(target)
    sensitive = float(candidates[np.flatnonzero(sensitivity >= target - _RATE_TOLERANCE)[-1]])
    reach = np.flatnonzero(specificity >= target - _RATE_TOLERANCE)
    specific = float(candidates[reach[0]]) if reach.size else float(np.nextafter(candidates[-1], np.inf))
    youden = sensitivity + specificity - 1.0
    balanced = float(candidates[np.flatnonzero(youden >= youden.max() - _RATE_TOLERANCE)[0]])
    return {"sensitive": sensitive, "balanced": balanced, "specific": specific}
