"""What the command line and the AxSpA Scoring panel say about sacroiliitis results."""

from __future__ import annotations

from typing import Any, Mapping

from axspa.texts import number

MNY_TEXT = {0: "0 normal", 1: "1 suspicious", 2: "2 minimal", 3: "3 unequivocal", 4: "4 ankylosis"}


def radiograph_line(path: str, doc: Mapping[str, Any]) -> str:
    """``axspa sij``: one line per graded radiograph."""
    s = doc["sides"]
    return (f"{path}: right {s['right']['grade']}, left {s['left']['grade']}, "
            f"definite {'yes' if doc['definite'] else 'no'} (p={number(doc['definite_probability'])})")


def sij_summary(doc: Mapping[str, Any]) -> dict[str, str]:
    """Label texts for an ``axspa.sij/1`` document: right, left, definite."""
    texts = {}
    for side in ("right", "left"):
        grade = doc["sides"][side]["grade"]
        p = doc["sides"][side].get("grade_probabilities") or []
        confidence = f" (p={number(max(p))})" if p else ""
        texts[side] = MNY_TEXT.get(grade, str(grade)) + confidence
    probability = doc.get("definite_probability")
    texts["definite"] = ("yes" if doc["definite"] else "no") + (
        f" (P(definite)={number(probability)})" if probability is not None else "")
    return texts
