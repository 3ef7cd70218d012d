"""`axspa progression` (change between visits, worked by hand) and `axspa report` (one self-contained HTML)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from axspa.cli import main
from axspa.image import InputError
from axspa.longitudinal import analyse, years_between
from axspa.sites import CERVICAL_SITES, LUMBAR_SITES


def _spine_json(path, region: str, grades: dict[str, int | None]) -> str:
    sites = {"cervical": CERVICAL_SITES, "lumbar": LUMBAR_SITES}[region]
    doc = {"schema": "axspa.spine/1", "region": region, "input": {"path": "", "sha256": "", "rows": 100,
                                                                  "columns": 100, "pixel_spacing_mm": None},
           "sites": [{"id": s, "point": [10 + i, 5 + 7 * i], "grade": grades.get(s, 0)} for i, s in enumerate(sites)],
           "score": {"raw": 0, "imputed": 0.0, "imputed_sites": [], "missing": False}, "warnings": []}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path.name


def _table(path, grades: dict[str, int | None]) -> str:
    path.write_text("site,grade\n" + "".join(f"{s},{'' if g is None else g}\n" for s, g in grades.items()))
    return path.name


def _cohort(tmp_path):
    # P1: baseline all 0; two years later C5i syndesmophyte (2) and a bridge at L2/3 (L2i, L3s = 3): +8.
    base = _spine_json(tmp_path / "p1_v1_c.spine.json", "cervical", {})
    base_l = _spine_json(tmp_path / "p1_v1_l.spine.json", "lumbar", {})
    fu = _spine_json(tmp_path / "p1_v2_c.spine.json", "cervical", {"C5i": 2})
    fu_l = _spine_json(tmp_path / "p1_v2_l.spine.json", "lumbar", {"L2i": 3, "L3s": 3})
    # P2 as reading tables: total 4 at baseline, 5 one year later (+1 in 1 y = +2 per 2 y: a progressor).
    all_sites = list(CERVICAL_SITES) + list(LUMBAR_SITES)
    t1 = _table(tmp_path / "p2_v1.csv", {s: (1 if s in ("C2i", "C3s", "L1s", "L1i") else 0) for s in all_sites})
    t2 = _table(tmp_path / "p2_v2.csv", {s: (1 if s in ("C2i", "C3s", "L1s", "L1i", "L4s") else 0)
                                         for s in all_sites})
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("patient,visit_date,result\n"
                        f"P1,2020-01-15,{base}\nP1,2020-01-15,{base_l}\nP1,2022-01-15,{fu}\nP1,2022-01-15,{fu_l}\n"
                        f"P2,2021-03-01,{t1}\nP2,2022-03-01,{t2}\n", encoding="utf-8")
    return manifest


def test_progression_worked_by_hand(tmp_path):
    doc = analyse(_cohort(tmp_path))
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
    assert main(["progression", str(_cohort(tmp_path)), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "P1" in text and "progressors" in text
    rows = (out / "progression.csv").read_text().splitlines()
    assert rows[0].startswith("patient,baseline_date,followup_date,years,baseline_total")
    assert rows[1].startswith("P1,2020-01-15,2022-01-15") and rows[1].endswith("C5i L2i L3s,L2i L3s")
    assert (out / "cumulative_probability.png").read_bytes()[:4] == b"\x89PNG"


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


def test_report_embeds_everything(tmp_path, capsys):
    batch = tmp_path / "batch"
    batch.mkdir()
    _spine_json(batch / "case1.spine.json", "cervical", {"C5i": 2, "C6s": 3, "C4s": None})
    assert main(["progression", str(_cohort(tmp_path)), "--out", str(batch / "progression")]) == 0
    r = "study,site,grade\n" + "".join(f"S{i},{s},{i % 4}\n" for i in range(6) for s in CERVICAL_SITES + LUMBAR_SITES)
    (tmp_path / "r1.csv").write_text(r)
    (tmp_path / "r2.csv").write_text(r.replace(",3\n", ",2\n"))
    assert main(["agree", "scores", str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv"), "--bootstrap", "200",
                 "--plot", str(batch / "agreement")]) == 0
    capsys.readouterr()
    assert main(["report", str(batch)]) == 0
    html = (batch / "report.html").read_text(encoding="utf-8")
    for heading in ("mSASSS per image", "Thumbnails", "Reader agreement", "Progression"):
        assert heading in html
    # Self-contained: every image is a data URI, nothing is fetched from elsewhere.
    sources = re.findall(r"src='([^']*)'", html)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html and "https://" not in html


def test_report_of_an_empty_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no results found" in capsys.readouterr().err
