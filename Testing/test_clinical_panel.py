"""The clinical indices of one visit as AxSpA Scoring's "Clinical indices" section enters them
(axspa/clinical_panel.py): the numbers are axspa.clinical's (cases worked by hand in test_clinical.py) and the
same as ``axspa clinical`` gives for the visit as a table row; an index whose items are not all given says why."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout

import pytest

from axspa.cli import main
from axspa.clinical_panel import clinical_indices, indices_rows, panel_indices, write_clinical
from axspa.image import InputError

# test_clinical.py's cases: back 6, global 5, peripheral 4, stiffness 7, CRP 15 -> 3.5793289 (very high);
# ESR 25 -> 3.331 (high); BASDAI 5, 6, 3, 4, 7, 8 -> 5.1 (Q6 = 8 is the stiffness duration here, so the ASDAS items
# are back 6, global 5, peripheral 4, stiffness 8: ASDAS-CRP 3.5793289 + 0.058 = 3.6373289, ASDAS-ESR 3.331 + 0.069).
VISIT = {"basdai_q1": 5, "basdai_q2": 6, "basdai_q3": 3, "basdai_q4": 4, "basdai_q5": 7, "basdai_q6": 8,
         **{f"basfi_{i}": float(i % 5) for i in range(1, 11)},  # 1 2 3 4 0 1 2 3 4 0: mean 2.0
         "crp": 15.0, "esr": 25.0, "back_pain": 6, "patient_global": 5, "peripheral": 4}


def test_every_index_of_a_complete_visit():
    doc, text = panel_indices(VISIT)
    assert doc["asdas_crp"] == 3.64 and doc["asdas_crp_state"] == "very high"
    assert doc["asdas_esr"] == 3.4 and doc["asdas_esr_state"] == "high"  # 3.4 <= 3.5
    assert doc["basdai"] == 5.1 and doc["basfi"] == 2.0
    assert doc["basdai_high"] is True and doc["basfi_high"] is False
    assert doc["not_computed"] == {} and doc["notes"] == ""
    assert doc["inputs"]["crp"] == 15.0 and doc["inputs"]["stiffness"] is None  # from BASDAI Q6
    assert text.splitlines() == [
        "ASDAS-CRP: 3.64, very high disease activity", "ASDAS-ESR: 3.40, high disease activity",
        "BASDAI: 5.10", "BASFI: 2.00", "BASDAI >= 2.1 (high risk): yes", "BASFI >= 3.6 (high risk): no"]
    assert indices_rows(doc) == [["ASDAS-CRP", "3.64", "very high", ""], ["ASDAS-ESR", "3.40", "high", ""],
                                 ["BASDAI", "5.10", "", ""], ["BASFI", "2.00", "", ""],
                                 ["BASDAI >= 2.1", "yes", "", ""], ["BASFI >= 3.6", "no", "", ""]]


@pytest.mark.parametrize("score_inputs, category", [
    # back pain, global, peripheral 0, Q6 0: ASDAS-CRP = 0.579 ln(CRP + 1) with CRP >= 2 -> 0.636 inactive;
    # CRP 6: 0.579 ln 7 = 1.127, + 0.121 * 2 = 1.369 low; + back pain 8: 0.579 ln 7 + 0.968 = 2.095 low;
    # back pain 9: 2.216 high; + global 10 and peripheral 10: 2.216 + 1.1 + 0.73 = 4.046 very high.
    ((0, 0, 0, 0.5), "inactive"), ((2, 0, 0, 6.0), "low"), ((8, 0, 0, 6.0), "low"), ((9, 0, 0, 6.0), "high"),
    ((9, 10, 10, 6.0), "very high"),
])
def test_asdas_categories_as_axspa_clinical_defines_them(score_inputs, category):
    back, patient_global, peripheral, crp = score_inputs
    doc = clinical_indices({"back_pain": back, "patient_global": patient_global, "peripheral": peripheral,
                            "stiffness": 0, "crp": crp})
    assert doc["asdas_crp_state"] == category
    assert "disease activity" in panel_indices({"back_pain": back, "patient_global": patient_global,
                                                 "peripheral": peripheral, "stiffness": 0, "crp": crp})[1]


def test_missing_values_say_which_index_cannot_be_computed_and_why():
    values = dict(VISIT, esr=None, basfi_3=None, basfi_7=None, back_pain=None)
    doc, text = panel_indices(values)
    assert doc["asdas_crp"] == 3.64  # back pain taken from BASDAI Q2 (6)
    assert doc["asdas_esr"] is None and doc["not_computed"]["asdas_esr"] == "no ESR (not measured)"
    assert doc["basfi"] is None and doc["basfi_high"] is None
    assert doc["not_computed"]["basfi"] == "not answered: BASFI item 3, BASFI item 7"
    assert "ASDAS-ESR: not computed (no ESR (not measured))" in text
    assert "BASFI: not computed (not answered: BASFI item 3, BASFI item 7)" in text
    assert "BASFI >= 3.6 (high risk): not known (no BASFI)" in text
    assert "BASDAI: 5.10" in text
    # Without BASDAI Q2 either, ASDAS lacks the back pain; nothing entered at all: every index says so.
    doc, text = panel_indices(dict(values, basdai_q2=None, crp=None))
    assert doc["not_computed"]["asdas_crp"] == "no back pain (nor BASDAI Q2), CRP (not measured)"
    assert "BASDAI: not computed (not answered: BASDAI Q2 (spinal pain))" in text
    doc, text = panel_indices({})
    assert [line.split(":")[0] for line in text.splitlines() if "not computed" in line] == [
        "ASDAS-CRP", "ASDAS-ESR", "BASDAI", "BASFI"]
    assert "not answered: all 6 questions" in text and "not answered: all 10 items" in text
    assert indices_rows(doc)[4] == ["BASDAI >= 2.1", "", "", "no BASDAI"]


@pytest.mark.parametrize("values, message", [
    ({"basdai_q1": 11}, "basdai_q1 = 11 is not on the 0-10 scale"),
    ({"crp": -3.0}, r"CRP \(mg/L\) = -3 must be a number >= 0"), ({"esr": float("nan")}, "ESR"),
    ({"back_pain": "six"}, "back pain = 'six' is not a number"),
    ({"basdai_q1": True}, "not a number"),
    ({"asdas": 2}, "unknown value"),
])
def test_values_off_their_scale_are_refused(values, message):
    with pytest.raises(InputError, match=message):
        clinical_indices(values)


def test_the_same_as_axspa_clinical_gives_for_the_visit_as_a_table_row(tmp_path):
    visits = tmp_path / "visits.csv"
    with open(visits, "w", newline="") as f:
        writer = csv.DictWriter(f, ["patient", "visit_date", *VISIT])
        writer.writeheader()
        writer.writerow({"patient": "P01", "visit_date": "2024-05-01", **VISIT})
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["clinical", str(visits), "--json"]) == 0
    [row] = json.loads(out.getvalue())
    doc = clinical_indices(dict(VISIT, patient="P01", visit_date="2024-05-01"))
    for key in ("patient", "visit_date", "asdas_crp", "asdas_crp_state", "asdas_esr", "asdas_esr_state", "basdai",
                "basfi", "basdai_high", "basfi_high"):
        assert doc[key] == row[key], key


def test_written_beside_the_results_as_axspa_clinical_writes_them(tmp_path):
    doc = clinical_indices(dict(VISIT, esr=None))
    assert write_clinical(doc, tmp_path) == []
    saved = json.loads((tmp_path / "clinical.json").read_text())
    assert saved["schema"] == "axspa.clinical/1"
    [visit] = saved["visits"]
    assert visit["inputs"]["basdai_q6"] == 8.0 and visit["inputs"]["esr"] is None
    assert visit["asdas_crp"] == 3.64 and visit["not_computed"] == {"asdas_esr": "no ESR (not measured)"}
    [row] = list(csv.DictReader(open(tmp_path / "clinical.csv")))
    assert row["asdas_crp"] == "3.64" and row["asdas_esr"] == "" and row["basdai_high"] == "True"
    # A file changed by hand is kept (and said), replaced with overwrite.
    (tmp_path / "clinical.json").write_text("{}\n")
    assert "clinical.json" in write_clinical(doc, tmp_path)[0]
    assert write_clinical(doc, tmp_path, overwrite=True) == []
