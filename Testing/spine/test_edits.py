"""axspa.spine.edits and pipeline.grade_points: the result as a reader left it, and re-grading at given
points. Worked by hand on a cervical film with pixel spacing 0.2 mm (rows) x 0.1 mm (columns)."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.image import Radiograph
from axspa.results import validate
from axspa.spine.edits import edited_document, empty_document
from axspa.spine.pipeline import build_spine_document, grade_points
from axspa.spine.sites import CERVICAL_SITES, FINDINGS

RADIOGRAPH = Radiograph(pixels=np.zeros((200, 100), np.float32), spacing_mm=(0.2, 0.1), path="c.dcm")


class Corners:
    """Bridging for points beyond column 70, nothing elsewhere; remembers what it was asked."""

    def __init__(self):
        self.calls = []

    def predict(self, pixels, spacing_mm, points):
        self.calls.append(dict(points))
        return {s: ({"bridging": 0.95} if x > 70 else {}) for s, (x, _y) in points.items()}


def _document() -> dict:
    points = {s: (40.0, 10.0 * (n + 1)) for n, s in enumerate(CERVICAL_SITES)}
    findings = {s: {} for s in CERVICAL_SITES}
    findings["C4s"] = {"syndesmophyte": 0.8}
    return build_spine_document(RADIOGRAPH, "cervical", [], points, findings, {"landmarks": "l@1", "corners": "c@1"})


def test_grade_points_runs_at_the_points_only_and_applies_the_disc_rule():
    corners = Corners()
    known = {s: dict.fromkeys(FINDINGS, 0.0) for s in CERVICAL_SITES if s != "C5i"}
    graded = grade_points(RADIOGRAPH, {"C5i": [80, 70]}, corners, known)
    assert corners.calls == [{"C5i": (80.0, 70.0)}]
    entry = graded["sites"]["C5i"]
    assert entry["grade"] == 3 and entry["point"] == [80.0, 70.0] and entry["point_mm"] == pytest.approx([8.0, 14.0])
    assert entry["confidence"] == pytest.approx(0.95) and entry["review"] is False
    assert graded["grades"]["C6s"] == 3 and graded["grades"]["C4i"] == 0  # C5/6: C5i + C6s
    assert set(graded["sites"]) == {"C5i"}


def test_edited_document_takes_the_readers_points_and_grades():
    base = _document()
    assert base["score"]["raw"] == 2
    doc = edited_document(base, {"C4s": {"grade": 1, "source": "reader"},
                                 "C2i": {"point": (50.0, 20.0), "review": True},
                                 "L1s": {"grade": 3}},  # another region's: ignored
                          ["grades from a reader (override): C4s"])
    validate(doc, "spine")
    sites = {s["id"]: s for s in doc["sites"]}
    assert sites["C4s"]["grade"] == 1 and sites["C4s"]["source"] == "reader"
    assert sites["C4s"]["findings"]["syndesmophyte"] == pytest.approx(0.8)  # kept from the base
    assert sites["C2i"]["point"] == [50.0, 20.0] and sites["C2i"]["point_mm"] == pytest.approx([5.0, 4.0])
    assert doc["score"]["raw"] == 1 and doc["warnings"] == ["grades from a reader (override): C4s"]
    assert base["score"]["raw"] == 2 and base["sites"][3]["grade"] == 2  # the base is not changed


def test_empty_document_for_a_reading_without_a_model():
    doc = empty_document({"path": "", "sha256": "", "rows": 200, "columns": 100, "pixel_spacing_mm": None,
                          "photometric": "MONOCHROME2"}, "lumbar")
    validate(doc, "spine")
    doc = edited_document(doc, {"L3s": {"grade": 2, "point": [3, 4]}})
    assert doc["score"]["raw"] == 2 and doc["sites"][5]["point_mm"] is None
    with pytest.raises(ValueError, match="region"):
        empty_document({}, "thoracic")
