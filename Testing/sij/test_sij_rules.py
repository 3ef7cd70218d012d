"""Modified New York sacroiliitis: the definite rule's edges and its probability from two sides."""

from __future__ import annotations

import pytest

from axspa.sij.rules import MNY_DESCRIPTIONS, MNY_GRADES, definite_probability, grade_from_probabilities, is_definite


@pytest.mark.parametrize("right, left, definite", [
    (2, 2, True),  # >= 2 on both sides
    (3, 0, True),  # >= 3 on one side
    (0, 3, True),
    (4, 0, True),
    (2, 1, False),  # 2 on one side only is not enough
    (1, 2, False),
    (1, 1, False),
    (0, 0, False),
])
def test_definite_truth_table(right, left, definite):
    assert is_definite(right, left) is definite


def test_definite_rejects_bad_grades():
    with pytest.raises(ValueError, match="right sacroiliac grade 5"):
        is_definite(5, 0)
    with pytest.raises(ValueError, match="left"):
        is_definite(0, 2.0)


def test_every_grade_described():
    assert MNY_GRADES == (0, 1, 2, 3, 4)
    assert set(MNY_DESCRIPTIONS) == set(MNY_GRADES)


def one_hot(g: int) -> list[float]:
    return [1.0 if i == g else 0.0 for i in range(5)]


def test_grade_from_probabilities():
    assert grade_from_probabilities([0.1, 0.2, 0.5, 0.1, 0.1]) == 2
    assert grade_from_probabilities(one_hot(4)) == 4
    assert grade_from_probabilities([0.4, 0.4, 0.2, 0.0, 0.0]) == 0  # tie: the lower grade
    with pytest.raises(ValueError, match="expected 5 values"):
        grade_from_probabilities([0.5, 0.5])
    with pytest.raises(ValueError, match="sum to 0.9000"):
        grade_from_probabilities([0.5, 0.4, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="probability"):
        grade_from_probabilities([1.2, -0.2, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("right, left", [(2, 2), (3, 0), (2, 1), (1, 1), (4, 4), (0, 0)])
def test_definite_probability_one_hot_matches_the_rule(right, left):
    assert definite_probability(one_hot(right), one_hot(left)) == float(is_definite(right, left))


def test_definite_probability_mixed_by_hand():
    # Right: P(1)=0.5, P(2)=0.3, P(3)=0.2.  Left: P(0)=0.6, P(2)=0.4.
    # Definite pairs: right 3 with anything (0.2); right 2 with left 2 (0.3 * 0.4 = 0.12).
    # Right 1 needs left >= 3, which has probability 0.  Total 0.32.
    right = [0.0, 0.5, 0.3, 0.2, 0.0]
    left = [0.6, 0.0, 0.4, 0.0, 0.0]
    assert definite_probability(right, left) == pytest.approx(0.32)
    assert definite_probability(left, right) == pytest.approx(0.32)  # the rule is symmetric
