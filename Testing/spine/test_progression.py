"""`axspa progression`: change between visits, worked by hand."""

from __future__ import annotations

import json
from datetime import date

import pytest
from spine_results import cohort

from axspa.cli import main
from axspa.evaluation import figures
from axspa.image import InputError
from axspa.spine.progression import analyse, years_between


def test_progression_worked_by_hand(tmp_path):
    doc = analyse(cohort(tmp_path))
    p1, p2 = doc["intervals"]
    assert (p1["baseline_total"], p1["followup_total"], p1["change"]) == (0.0, 8.0, 8.0)
    # Same day two calendar years later (731 days, across 2020-02-29) is 2.0 years, not 2.001.
    assert p1["years"] == 2.0 and p1["change_2y"] == 8.0
    assert p1["new_syndesmophytes"] == ["C5i", "L2i", "L3s"] and p1["new_bridges"] == ["L2i", "L3s"]
    assert p1["progressor"] is True
    assert p2["change"] == 1.0 and p2["years"] == 1.0 and p2["change_per_year"] == 1.0
    assert p2["change_2y"] == 2.0 and p2["progressor"] is True  # exactly the threshold counts
    assert doc["n_patients"] == 2 and doc["n_progressors"] == 2


def test_calendar_years():
    assert years_between(date(2019, 12, 1), date(2021, 6, 1)) == pytest.approx(1 + 182 / 365.25)
    assert years_between(date(2020, 2, 29), date(2021, 2, 28)) == 1.0


def test_progression_cli_writes_csv_and_cumulative_plot(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["progression", str(cohort(tmp_path)), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "P1" in text and "progressors" in text
    rows = (out / "progression.csv").read_text().splitlines()
    assert rows[0].startswith("patient,baseline_date,followup_date,years,baseline_total")
    assert rows[1].startswith("P1,2020-01-15,2022-01-15") and rows[1].endswith("C5i L2i L3s,L2i L3s")
    if figures.available():
        assert (out / "cumulative_probability.png").read_bytes()[:4] == b"\x89PNG"
    else:  # 3D Slicer's Python (make test-slicer-python): no matplotlib, no figure, and the document says so
        assert not (out / "cumulative_probability.png").exists()
        assert "matplotlib" in json.loads((out / "progression.json").read_text())["figures_skipped"]


def test_progression_bad_manifest(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("patient,visit_date,result\nP1,15/01/2020,x.csv\n")
    with pytest.raises(InputError, match=r"m\.csv, line 2: visit_date '15/01/2020'"):
        analyse(m)
    m.write_text("patient,result\nP1,x.csv\n")
    with pytest.raises(InputError, match="missing column"):
        analyse(m)
    m.write_text("patient,visit_date,result\nP1,2020-01-01,nothere.spine.json\n")
    with pytest.raises(InputError, match="nothere.spine.json: result file not found"):
        analyse(m)
