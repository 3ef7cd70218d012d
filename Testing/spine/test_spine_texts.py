"""axspa.spine.texts: what the command line and the panel say about mSASSS scores."""

from __future__ import annotations

from axspa.spine import texts
from axspa.spine.rules import total_score
from axspa.spine.sites import CERVICAL_SITES


def test_msasss_summary_of_an_engine_score():
    # Cervical: 10 sites graded 1, C3s and C4i unscorable -> raw 10, imputed 10 + 2 * 1 = 12; no lumbar.
    grades = {s: (None if s in ("C3s", "C4i") else 1) for s in CERVICAL_SITES}
    labels = texts.msasss_summary(total_score(grades).to_dict())
    assert labels["cervical"] == "raw 10, score 12 (imputed: C3s, C4i)"
    assert labels["lumbar"].startswith("missing")
    assert labels["total"].startswith("missing")
    assert labels["imputed_sites"] == "C3s, C4i"
    full = texts.msasss_summary({"cervical": {"raw": 11, "imputed": 11.5, "imputed_sites": ["C2i"]},
                                 "lumbar": {"raw": 3, "imputed": 3.0, "imputed_sites": []}, "total": 14.5})
    assert full["total"] == "14.5 / 72" and full["lumbar"] == "raw 3, score 3"


def test_command_line_summary_of_the_same_score():
    grades = {s: (None if s in ("C3s", "C4i") else 1) for s in CERVICAL_SITES}
    assert texts.summary(total_score(grades)).splitlines() == [
        "cervical  raw 10, score 12 (imputed C3s, C4i)",
        "lumbar    raw 0, score missing (no scored sites)",
        "total     missing (0-72)"]


def test_grade_description_of_a_control_point():
    assert [texts.grade_description(g) for g in (None, 0, 3)] == ["unscorable", "grade 0", "grade 3"]
