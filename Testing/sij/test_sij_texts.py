"""axspa.sij.texts: what the command line and the panel say about sacroiliitis grades."""

from __future__ import annotations

from axspa.sij import texts


def test_sij_summary():
    doc = {"sides": {"right": {"grade": 3, "grade_probabilities": [0.0, 0.1, 0.1, 0.7, 0.1]},
                     "left": {"grade": 1, "grade_probabilities": [0.2, 0.6, 0.1, 0.1, 0.0]}},
           "definite": True, "definite_probability": 0.81}
    assert texts.sij_summary(doc) == {"right": "3 unequivocal (p=0.70)", "left": "1 suspicious (p=0.60)",
                                   "definite": "yes (P(definite)=0.81)"}
