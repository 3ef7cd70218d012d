"""axspa.sij.texts: what the command line and the panel say about sacroiliitis grades."""

from __future__ import annotations

from axspa.sij import texts


def test_sij_summary():
    doc = {"sides": {"right": {"grade": 3, "grade_probabilities": [0.0, 0.1, 0.1, 0.7, 0.1]},
                     "left": {"grade": 1, "grade_probabilities": [0.2, 0.6, 0.1, 0.1, 0.0]}},
           "definite": True, "definite_probability": 0.81}
    assert texts.sij_summary(doc) == {
        "right": "3 unequivocal (p=0.70)", "left": "1 suspicious (p=0.60)", "definite": "yes (P(definite)=0.81)",
        "right_probabilities": "P(0)=0.00, P(1)=0.10, P(2)=0.10, P(3)=0.70, P(4)=0.10",
        "left_probabilities": "P(0)=0.20, P(1)=0.60, P(2)=0.10, P(3)=0.10, P(4)=0.00", "operating_points": ""}


def test_sij_summary_with_the_direct_estimate_and_operating_points():
    doc = {"sides": {"right": {"grade": 0, "grade_probabilities": [1, 0, 0, 0, 0]},
                     "left": {"grade": 0, "grade_probabilities": [1, 0, 0, 0, 0]}},
           "definite": False, "definite_probability": 0.04, "definite_probability_direct": 0.31,
           "operating_points": {"specific": {"threshold": 0.8, "definite": False},
                                "sensitive": {"threshold": 0.2, "definite": True},
                                "balanced": {"threshold": 0.5, "definite": False}}}
    summary = texts.sij_summary(doc)
    assert summary["definite"] == "no (P(definite)=0.04 from the grades, 0.31 direct)"
    assert summary["operating_points"] == ("sensitive (threshold 0.20): definite; balanced (0.50): not definite; "
                                           "specific (0.80): not definite")
