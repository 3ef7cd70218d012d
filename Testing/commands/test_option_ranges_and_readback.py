"""Option ranges, result documents read back, short intervals (issue 8, classes 7, 8 and 9): every numeric
option is range-checked by the parser (usage error, exit 2, never a traceback or a silent nonsense result);
a .spine.json with a grade that is not 0-3 or null is refused naming the file and the site; visits closer
than the minimum interval are not extrapolated to a rate or a progressor, with a warning."""

from __future__ import annotations

import json

import pytest
from spine_results import spine_json

from axspa.cli import main


@pytest.mark.parametrize("argv", [
    ["hip", "s", "--out", "o", "--min-area", "-5"],
    ["hip", "s", "--out", "o", "--min-area", "nan"],
    ["hip", "s", "--out", "o", "--half-width", "-1"],
    ["phantom", "spine", "--out", "o", "--seed", "-5"],
    ["phantom", "spine", "--out", "o", "--n", "1e20"],
    ["phantom", "spine", "--out", "o", "--n", "100000000000000000000"],
    ["phantom", "spine", "--out", "o", "--n", "0"],
    ["phantom", "pelvis", "--out", "o", "--photo-fraction", "1.5"],
    ["spine", "x.dcm", "--out", "o", "--threshold", "5"],
    ["progression", "m.csv", "--threshold", "-1"],
    ["progression", "m.csv", "--min-interval", "inf"],
    ["agree", "scores", "a.csv", "b.csv", "--seed", "-1"],
    ["agree", "scores", "a.csv", "b.csv", "--bootstrap", "10"],
    ["train", "spine-corners", "--data", "d", "--out", "o", "--steps", "0"],
    ["train", "spine-corners", "--data", "d", "--out", "o", "--seed", "-3"],
])
def test_numeric_options_out_of_range_are_usage_errors(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def _manifest(tmp_path, grade, days_apart=730):
    grades = {"C5i": grade}
    base = spine_json(tmp_path / "v1.spine.json", "cervical", {})
    follow = spine_json(tmp_path / "v2.spine.json", "cervical", grades)
    lumbar = spine_json(tmp_path / "lumbar.spine.json", "lumbar", {})
    lumbar2 = spine_json(tmp_path / "lumbar2.spine.json", "lumbar", {})
    manifest = tmp_path / "m.csv"
    later = "2022-01-01" if days_apart == 730 else "2020-01-02"
    manifest.write_text(f"patient,visit_date,result\nP1,2020-01-01,{base}\nP1,2020-01-01,{lumbar}\n"
                        f"P1,{later},{follow}\nP1,{later},{lumbar2}\n")
    return manifest


@pytest.mark.parametrize("grade", [7, "x", -1, True, 2.5])
def test_a_bad_grade_in_a_spine_result_is_refused_naming_the_file(grade, tmp_path, capsys):
    assert main(["progression", str(_manifest(tmp_path, grade))]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "v2.spine.json" in err and "C5i" in err and json.dumps(grade) in err


def test_visits_a_day_apart_are_not_annualised(tmp_path, capsys):
    assert main(["progression", str(_manifest(tmp_path, 2, days_apart=1)), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["intervals"]
    assert row["change"] == 2 and row["change_per_year"] is None and row["change_2y"] is None
    assert row["progressor"] is None and doc["n_progressors"] == 0
    assert any("less than 0.5" in w for w in doc["warnings"])
    assert main(["progression", str(tmp_path / "m.csv"), "--min-interval", "0"]) == 0
    assert "yes" in capsys.readouterr().out  # extrapolated when asked for: 2 units in a day
