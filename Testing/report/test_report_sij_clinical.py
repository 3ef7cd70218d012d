"""`axspa report` (issue 16): the sacroiliac heat map as a colour thumbnail beside each pelvis (over the radiograph
when it opens, alone when not, a notice when the heat map is gone), per-side grades with every grade's probability,
definite with both probabilities and the operating points; a "Clinical indices" section from clinical.json / .csv."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from axspa.cli import main

PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")


def pelvis_result(folder: Path, stem: str = "pelvis", *, film: bool = True, heatmap: bool = True) -> Path:
    """A <stem>.sij.json with its <stem>.heatmap.nrrd (60 x 80, hot box around the right joint) and, with ``film``,
    the grey radiograph it names."""
    from axspa.io.dicom_write import write_radiograph_dicom
    from axspa.io.nrrdfile import write_nrrd

    folder.mkdir(parents=True, exist_ok=True)
    image = folder / f"{stem}.dcm"
    if film:
        write_radiograph_dicom(image, np.tile(np.linspace(500, 3000, 80, dtype=np.uint16), (60, 1)),
                               spacing_mm=(0.5, 0.5), seed_uid_from=stem)
    heat = np.zeros((60, 80), np.float32)
    heat[20:40, 10:30] = 0.9
    if heatmap:
        write_nrrd(folder / f"{stem}.heatmap.nrrd", heat, np.diag([-0.5, -0.5, 1.0, 1.0]))
    doc = {"schema": "axspa.sij/1",
           "input": {"path": str(image), "sha256": "0" * 64, "rows": 60, "columns": 80,
                     "pixel_spacing_mm": [0.5, 0.5]},
           "model": {"grader": "sij-grader@0.1.0"},
           "sides": {"right": {"grade_probabilities": [0.05, 0.05, 0.1, 0.7, 0.1], "grade": 3,
                               "joint": {"column": 20.0, "row": 30.0, "confidence": 0.9}},
                     "left": {"grade_probabilities": [0.1, 0.6, 0.2, 0.1, 0.0], "grade": 1, "joint": None}},
           "definite": True, "definite_probability": 0.912, "definite_probability_direct": 0.847,
           "operating_points": {"sensitive": {"threshold": 0.2, "definite": True},
                                "balanced": {"threshold": 0.5, "definite": True},
                                "specific": {"threshold": 0.95, "definite": False}},
           "heatmap": f"{stem}.heatmap.nrrd", "warnings": []}
    path = folder / f"{stem}.sij.json"
    path.write_text(json.dumps(doc))
    return path


def report_of(folder: Path, capsys) -> str:
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return (folder / "report.html").read_text(encoding="utf-8")


def heat_images(html: str) -> list:
    """The heat-map thumbnails of the report as RGB arrays."""
    found = re.findall(r"<img alt='[^']*: heat map' src='data:image/png;base64,([^']+)'", html)
    return [np.asarray(PIL.open(io.BytesIO(base64.b64decode(data))).convert("RGB"), dtype=int) for data in found]


def coloured(rgb: np.ndarray) -> int:
    """Pixels that are clearly not grey (a colour map, not the radiograph)."""
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


def test_the_heat_map_is_a_colour_thumbnail_over_the_radiograph(tmp_path, capsys):
    pelvis_result(tmp_path)
    html = report_of(tmp_path, capsys)
    section = html[html.index("<section id='sij'>"):]
    section = section[:section.index("</section>")]
    [rgb] = heat_images(section)
    assert coloured(rgb) > 500  # the hot box in colour
    assert ">Heat maps</h3>" in section and "could not be opened" not in section
    # Per side: the grade and every grade's probability; definite with both probabilities; the operating points.
    assert "0.05 0.05 0.10 0.70 0.10" in section and "0.10 0.60 0.20 0.10 0.00" in section
    assert "0.912" in section and "0.847" in section
    assert "P(definite), direct (0–1)" in section
    assert ("sensitive (threshold 0.20): definite; balanced (0.50): definite; specific (0.95): not definite"
            in section)


def test_the_heat_map_alone_when_the_radiograph_is_gone_and_a_notice_when_the_map_is(tmp_path, capsys):
    pelvis_result(tmp_path / "a", "nofilm", film=False)
    pelvis_result(tmp_path / "b", "nomap", heatmap=False)
    doc = json.loads(pelvis_result(tmp_path / "c", "nullmap").read_text())
    doc["heatmap"] = None
    (tmp_path / "c" / "nullmap.sij.json").write_text(json.dumps(doc))
    html = report_of(tmp_path, capsys)
    [alone] = heat_images(html)  # only the film-less result has a heat map to show
    assert coloured(alone) > 500
    assert "the heat map is shown alone" in html
    assert "No heat map shown: nomap.heatmap.nrrd not found beside the result." in html
    assert html.count("<figure class='card'>") == 2  # no card for a result without a heat map


def test_clinical_indices_from_axspa_clinical_and_from_the_panels_export(tmp_path, capsys):
    visits = tmp_path / "visits.csv"
    visits.write_text("patient,visit_date,basdai_q1,basdai_q2,basdai_q3,basdai_q4,basdai_q5,basdai_q6,"
                      + ",".join(f"basfi_{i}" for i in range(1, 11)) + ",crp,esr,patient_global\n"
                      "P01,2024-05-01,5,6,3,4,7,8," + ",".join(str(i % 5) for i in range(1, 11)) + ",15,,5\n")
    out = tmp_path / "out"
    assert main(["clinical", str(visits), "--out", str(out / "clinical")]) == 0
    pelvis_result(out)
    html = report_of(out, capsys)
    assert "<a href='#clinical'>Clinical indices</a>" in html
    section = html[html.index("<section id='clinical'>"):]
    section = section[:section.index("</section>")]
    # By hand: ASDAS-CRP = 0.121*6 (BASDAI Q2) + 0.110*5 + 0.073*3 (Q3) + 0.058*8 (Q6) + 0.579*ln(16) = 3.56, very
    # high; no ESR; BASDAI = (5+6+3+4+(7+8)/2)/5 = 5.10; BASFI = mean(1,2,3,4,0,1,2,3,4,0) = 2.00.
    cells = re.findall(r"<td[^>]*>(.*?)</td>", section)
    assert cells[:10] == ["P01", "2024-05-01", "3.56", "very high", "–", "–", "5.10", "2.00", "yes", "no"]
    assert "ASDAS-ESR: no esr" in section and "BASDAI ≥ 2.1" in section and "BASFI ≥ 3.6" in section
    assert section.count("<tr>") == 2  # clinical.csv beside clinical.json is not shown twice

    # A folder with only the panel's export (clinical.csv alone here) is a report too.
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "clinical.csv").write_text((out / "clinical" / "clinical.csv").read_text())
    html = report_of(alone, capsys)
    assert "<section id='clinical'>" in html and "3.56" in html and "very high" in html
