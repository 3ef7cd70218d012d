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


OPERATING_POINTS = ("sensitive", "balanced", "specific")


def sij_summary(doc: Mapping[str, Any]) -> dict[str, str]:
    """Label texts for an ``axspa.sij/1`` document: right, left (grade and its probability), right_probabilities,
    left_probabilities (every grade's), definite (with P(definite) from the grade rule and, when the document
    has it, the model's direct estimate) and operating_points ('' when the document has none)."""
    texts = {}
    for side in ("right", "left"):
        grade = doc["sides"][side]["grade"]
        p = doc["sides"][side].get("grade_probabilities") or []
        confidence = f" (p={number(max(p))})" if p else ""
        texts[side] = MNY_TEXT.get(grade, str(grade)) + confidence
        texts[f"{side}_probabilities"] = grade_probabilities_text(p)
    texts["definite"] = ("yes" if doc["definite"] else "no") + definite_probabilities_text(doc)
    texts["operating_points"] = operating_points_text(doc)
    return texts


def grade_probabilities_text(p) -> str:
    """'P(0)=0.00, P(1)=0.10, ...' for a side's five grade probabilities ('' when none)."""
    return ", ".join(f"P({grade})={number(value)}" for grade, value in enumerate(p or []))


def definite_probabilities_text(doc: Mapping[str, Any]) -> str:
    """' (P(definite)=0.81)', or with a direct estimate ' (P(definite)=0.81 from the grades, 0.77 direct)'."""
    rule, direct = doc.get("definite_probability"), doc.get("definite_probability_direct")
    if rule is None and direct is None:
        return ""
    if direct is None:
        return f" (P(definite)={number(rule)})"
    return f" (P(definite)={number(rule)} from the grades, {number(direct)} direct)"


def operating_points_text(doc: Mapping[str, Any]) -> str:
    """'sensitive (threshold 0.20): definite; balanced (0.50): definite; specific (0.80): not definite', or ''."""
    points = doc.get("operating_points") or {}
    parts = []
    for name in [n for n in OPERATING_POINTS if n in points] + sorted(set(points) - set(OPERATING_POINTS)):
        point = points[name] or {}
        verdict = {True: "definite", False: "not definite"}.get(point.get("definite"), "n/a")
        threshold = "threshold " + number(point.get("threshold")) if not parts else number(point.get("threshold"))
        parts.append(f"{name} ({threshold}): {verdict}")
    return "; ".join(parts)
