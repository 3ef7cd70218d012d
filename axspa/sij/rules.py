"""The sacroiliitis rules on pelvic radiographs, modified New York criteria (docs/scoring.md)."""

from __future__ import annotations

import math
import numbers
from typing import Sequence

MNY_GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)
MNY_DESCRIPTIONS: dict[int, str] = {
    0: "normal",
    1: "suspicious changes",
    2: "minimal abnormality: small erosions or sclerosis, joint width unchanged",
    3: "unequivocal abnormality: erosions, sclerosis, widening, narrowing or partial ankylosis",
    4: "severe abnormality: total ankylosis",
}
# Sums of probabilities within this of 1 are accepted (softmax output written with rounding).
PROBABILITY_SUM_TOLERANCE = 1e-3


def _check_grade(side: str, grade: int) -> None:
    if isinstance(grade, bool) or not isinstance(grade, numbers.Integral) or grade not in MNY_GRADES:
        raise ValueError(f"{side} sacroiliac grade {grade!r} is not an integer from 0 to 4")


def is_definite(right: int, left: int) -> bool:
    """Definite radiographic sacroiliitis: grade >= 2 on both sides or >= 3 on one side."""
    _check_grade("right", right)
    _check_grade("left", left)
    return (right >= 2 and left >= 2) or right >= 3 or left >= 3


def _check_probabilities(p: Sequence[float], what: str = "grade probabilities") -> list[float]:
    values = [float(v) for v in p]
    if len(values) != len(MNY_GRADES):
        raise ValueError(f"{what}: expected {len(MNY_GRADES)} values (grades 0-4), got {len(values)}")
    if any(not math.isfinite(v) or v < 0 or v > 1 for v in values):
        raise ValueError(f"{what}: every value must be a probability in [0, 1], got {values}")
    if abs(sum(values) - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise ValueError(f"{what}: values sum to {sum(values):.4f}, not 1")
    return values


def grade_from_probabilities(p: Sequence[float]) -> int:
    """The most probable grade (the lower grade on a tie)."""
    values = _check_probabilities(p)
    return max(MNY_GRADES, key=lambda g: (values[g], -g))


def definite_probability(p_right: Sequence[float], p_left: Sequence[float]) -> float:
    """P(definite sacroiliitis) from the two sides' grade distributions, taking the sides as independent:
    the sum of p_right[r] * p_left[l] over the grade pairs (r, l) that are definite."""
    right = _check_probabilities(p_right, "right grade probabilities")
    left = _check_probabilities(p_left, "left grade probabilities")
    total = sum(right[r] * left[g] for r in MNY_GRADES for g in MNY_GRADES if is_definite(r, g))
    return min(1.0, max(0.0, total))
