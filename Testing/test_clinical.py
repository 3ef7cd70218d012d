"""ASDAS, BASDAI, BASFI and the risk flags. ASDAS formulae from Lukas et al., Ann Rheum Dis 2009;68:18-24
(ASDAS-CRP = draft ASDAS C, ASDAS-ESR = draft ASDAS B); no published worked example was at hand, so the
expected values are the arithmetic written out beside each case."""

from __future__ import annotations

import math

import pytest

from axspa.clinical import (
    asdas_category,
    asdas_crp,
    asdas_esr,
    asdas_improvement,
    basdai,
    basfi,
    risk_flags,
)


def test_asdas_crp_by_hand():
    # back 6, global 5, peripheral 4, stiffness 7, CRP 15 mg/L:
    # 0.121*6 + 0.110*5 + 0.073*4 + 0.058*7 = 0.726 + 0.550 + 0.292 + 0.406 = 1.974
    # 0.579 * ln(16) = 0.579 * 2.7725887 = 1.6053289  ->  3.5793289 ("very high")
    score = asdas_crp(6, 5, 4, 7, 15)
    assert score == pytest.approx(3.5793289, abs=1e-6)
    assert asdas_category(score) == "very high"


def test_crp_below_two_is_taken_as_two():
    # 0.121 + 0.110 + 0.073 + 0.058 = 0.362; 0.579 * ln(3) = 0.6360966  ->  0.9980966
    assert asdas_crp(1, 1, 1, 1, 0.5) == asdas_crp(1, 1, 1, 1, 2.0)
    assert asdas_crp(1, 1, 1, 1, 0.0) == pytest.approx(0.9980966, abs=1e-6)
    assert asdas_crp(1, 1, 1, 1, 3.0) > asdas_crp(1, 1, 1, 1, 2.0)


def test_asdas_esr_by_hand():
    # back 6, global 5, peripheral 4, stiffness 7, ESR 25 mm/h:
    # 0.079*6 + 0.113*5 + 0.086*4 + 0.069*7 = 0.474 + 0.565 + 0.344 + 0.483 = 1.866; 0.293 * 5 = 1.465
    assert asdas_esr(6, 5, 4, 7, 25) == pytest.approx(3.331)
    # ESR 0: 0.079*2 + 0.113*3 + 0.086*1 + 0.069*4 = 0.158 + 0.339 + 0.086 + 0.276 = 0.859
    assert asdas_esr(2, 3, 1, 4, 0) == pytest.approx(0.859)


@pytest.mark.parametrize("score, category", [
    (0.0, "inactive"), (1.29, "inactive"), (1.3, "low"), (2.09, "low"), (2.1, "high"),
    (3.5, "high"), (3.51, "very high"),
])
def test_category_edges(score, category):
    assert asdas_category(score) == category


def test_improvement_cut_offs():
    assert asdas_improvement(3.5, 2.4) == "clinically important"  # 1.1, despite float error
    assert asdas_improvement(3.5, 1.5) == "major"  # 2.0
    assert asdas_improvement(3.5, 2.5) == "none"  # 1.0


@pytest.mark.parametrize("call, message", [
    (lambda: asdas_crp(11, 0, 0, 0, 5), "back pain = 11 is not on the 0-10 scale"),
    (lambda: asdas_crp(0, -1, 0, 0, 5), "patient global"),
    (lambda: asdas_crp(0, 0, 0, 0, -1), "CRP = -1 mg/L must be a number >= 0"),
    (lambda: asdas_esr(0, 0, 0, 0, math.nan), "ESR"),
    (lambda: asdas_esr(0, 0, 0, 0, math.inf), "ESR"),
    (lambda: basdai(1, 2, 3), "6 answers"),
    (lambda: basfi([1] * 9), "exactly 10 items, got 9"),
    (lambda: basfi([1] * 9 + [12]), "BASFI item 10 = 12"),
])
def test_out_of_range_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_basdai_by_hand():
    # (5 + 6 + 3 + 4 + (7 + 8) / 2) / 5 = (18 + 7.5) / 5 = 5.1
    assert basdai(5, 6, 3, 4, 7, 8) == pytest.approx(5.1)
    assert basdai([5, 6, 3, 4, 7, 8]) == pytest.approx(5.1)
    # Q5 and Q6 weigh half: raising Q6 by 2 raises BASDAI by 0.2, raising Q1 by 2 raises it by 0.4.
    assert basdai(5, 6, 3, 4, 7, 10) == pytest.approx(5.3)
    assert basdai(7, 6, 3, 4, 7, 8) == pytest.approx(5.5)


def test_basfi_mean():
    assert basfi(list(range(10))) == pytest.approx(4.5)  # (0 + ... + 9) / 10
    assert basfi([10] * 10) == 10.0


def test_risk_flags_edges():
    assert risk_flags(basfi=3.6, basdai=2.1) == {"basfi_high": True, "basdai_high": True}
    assert risk_flags(basfi=3.59, basdai=2.09) == {"basfi_high": False, "basdai_high": False}
    assert risk_flags(basdai=5.0) == {"basfi_high": None, "basdai_high": True}


# ------------------------------------------------------------------------------ axspa clinical VISITS.csv

VISITS = """patient,visit_date,basdai_q1,basdai_q2,basdai_q3,basdai_q4,basdai_q5,basdai_q6,basfi_1,basfi_2,basfi_3,\
basfi_4,basfi_5,basfi_6,basfi_7,basfi_8,basfi_9,basfi_10,crp,esr,patient_global
P01,2023-03-01,2,2,1,2,2,3,2,2,1,2,2,2,1,2,2,2,1,8,2
P01,2021-03-01,5,6,4,5,6,7,4,4,3,5,4,4,3,5,4,4,15,25,5
P02,2022-01-10,1,1,1,1,1,,,,,,,,,,,,3,,
"""


def test_clinical_command_scores_each_visit_and_the_change(tmp_path, capsys):
    import csv

    from axspa.cli import main

    visits = tmp_path / "visits.csv"
    visits.write_text(VISITS)
    assert main(["clinical", str(visits), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "P01        2021-03-01  3.58 very high     3.33 high          5.3     4.0    yes/yes" in printed
    with open(tmp_path / "out" / "clinical.csv", newline="") as f:
        rows = {(r["patient"], r["visit_date"]): r for r in csv.DictReader(f)}
    first, second = rows[("P01", "2021-03-01")], rows[("P01", "2023-03-01")]
    # ASDAS-CRP from BASDAI Q2 (back pain 6), Q3 (peripheral 4), Q6 (stiffness 7), global 5, CRP 15: the
    # hand-worked 3.5793 above; the follow-up (2, 2, 1, 3; CRP 1 -> 2): 0.242+0.22+0.073+0.174+0.579 ln 3 = 1.345
    assert (first["asdas_crp"], first["asdas_crp_state"]) == ("3.58", "very high")
    assert (second["asdas_crp"], second["asdas_crp_state"], second["asdas_crp_change"]) == ("1.35", "low", "major")
    indices = (first["basdai"], first["basfi"], first["basdai_high"], first["basfi_high"])
    assert indices == ("5.3", "4.0", "True", "True")
    p02 = rows[("P02", "2022-01-10")]
    assert p02["basdai"] == "" and "BASDAI: no basdai_q6" in p02["notes"] and "ASDAS-ESR: no" in p02["notes"]


def test_clinical_command_names_a_bad_value(tmp_path, capsys):
    from axspa.cli import main

    visits = tmp_path / "visits.csv"
    visits.write_text("patient,basdai_q1,crp\nP1,11,3\nP2,x,1\n")
    assert main(["clinical", str(visits)]) == 2
    assert "visits.csv, line 2: basdai_q1 = 11 is not on the 0-10 scale" in capsys.readouterr().err
    visits.write_text("patient,basdai_q1,crp\nP2,x,1\n")
    assert main(["clinical", str(visits)]) == 2
    assert "visits.csv, line 2: basdai_q1 = 'x' is not a number" in capsys.readouterr().err
