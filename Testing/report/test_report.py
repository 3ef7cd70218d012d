"""`axspa report`: one self-contained HTML report of an output folder that says what was scored."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

from spine_results import cohort, spine_json

from axspa.cli import main
from axspa.report.html import hip_reading, short_names
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"


def test_report_embeds_everything(tmp_path, capsys):
    batch = tmp_path / "batch"
    batch.mkdir()
    spine_json(batch / "case1.spine.json", "cervical", {"C5i": 2, "C6s": 3, "C4s": None})
    assert main(["progression", str(cohort(tmp_path)), "--out", str(batch / "progression")]) == 0
    r = "study,site,grade\n" + "".join(f"S{i},{s},{i % 4}\n" for i in range(6) for s in CERVICAL_SITES + LUMBAR_SITES)
    (tmp_path / "r1.csv").write_text(r)
    (tmp_path / "r2.csv").write_text(r.replace(",3\n", ",2\n"))
    assert main(["agree", "scores", str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv"), "--bootstrap", "200",
                 "--plot", str(batch / "agreement")]) == 0
    capsys.readouterr()
    assert main(["report", str(batch)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {batch / 'report.html'}"
    html = (batch / "report.html").read_text(encoding="utf-8")
    for heading in ("Run summary", "mSASSS per radiograph", "Sites", "Reader agreement", "Progression"):
        assert f">{heading}</h" in html
    # Self-contained: every image is a data URI, nothing is fetched from elsewhere.
    sources = re.findall(r"src='([^']*)'", html)
    assert len(sources) >= 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html and "https://" not in html
    # Reads on a phone: the viewport is the device's and every table sits in a box that scrolls sideways.
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in html
    assert html.count("<table>") == html.count("<div class='scroll'><table>")


def test_report_of_an_empty_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no results found" in capsys.readouterr().err


def _run_demo_without_models(out: Path, capsys) -> str:
    assert main(["demo", "--out", str(out)]) == 0
    capsys.readouterr()
    return (out / "report.html").read_text(encoding="utf-8")


def test_run_summary_lists_every_job_with_skipped_ones_and_why(tmp_path, capsys, no_shipped_models):
    html = _run_demo_without_models(tmp_path, capsys)
    summary = html[html.index("<section id='summary'>"):html.index("</section>")]
    assert "5 jobs: 2 scored, 3 skipped, 0 failed." in summary
    for job, status in (("mSASSS of a reading done by hand", "scored"),
                        ("hip scores from the reference segmentation", "scored"),
                        ("mSASSS study (cervical + lumbar) with the installed spine models", "skipped"),
                        ("sacroiliitis with the installed model", "skipped"),
                        ("hip segmentation with the installed model", "skipped")):
        row = re.search(rf"<tr><td>{re.escape(job)}</td><td>(.*?)</td><td class='(\w+)'>", summary)
        assert row and row.group(2) == status, job
    for reason in ("model bundle 'spine-landmarks' is not installed", "model bundle 'sij-grader' is not installed",
                   "model bundle 'hip-segmenter' is not installed"):
        assert escape(reason) in summary
    # Every input is named, by its file name.
    for name in ("sample-reading.csv", "AxSpA-HipSTIR.nrrd", "AxSpA-HipSTIR.seg.nrrd", "AxSpA-CervicalSpine.dcm",
                 "AxSpA-LumbarSpine.dcm", "AxSpA-Pelvis.dcm"):
        assert f">{name}</span>" in summary, name
    # The hand reading's scores and total are in the report, with what raw and imputed mean.
    reading = html[html.index("<section id='reading'>"):]
    reading = reading[:reading.index("</section>")]
    assert "<td class='num'>24.55</td>" in reading and "<td class='num'>18.55</td>" in reading
    assert "raw (0–36)" in reading and "imputed" in reading and "mean grade of the segment's scored sites" in reading


def test_hip_rows_name_the_input_the_source_the_settings_and_each_lesion_type(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["hip", str(SAMPLE / "AxSpA-HipSTIR.nrrd"), "--seg", str(SAMPLE / "AxSpA-HipSTIR.seg.nrrd"),
                 "--out", str(out), "--half-width", "5", "--min-area", "8"]) == 0
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    hip = html[html.index("<section id='hip'>"):]
    assert ">AxSpA-HipSTIR.nrrd</span>" in hip  # named by the input, not by hip.json
    assert "scored from a reader&#x27;s segmentation AxSpA-HipSTIR.seg.nrrd" in hip
    assert "± 5 (up to 11 slices)" in hip and "from 8 mm² on a slice" in hip
    for measure in ("femoral BME volume", "acetabular BME volume", "effusion-synovitis volume",
                    "HIMRISS-style femoral BME", "HIMRISS-style acetabular BME", "HIMRISS-style effusion",
                    "UNet-score, gray value", "HIMRISS-style total"):
        assert f"<td>{measure}</td>" in hip
    assert "lesion volume mL" not in hip  # volumes per type, never one sum
    assert "not the official HIMRISS reader protocol" in hip


def test_a_himriss_total_with_a_unet_score_of_zero_is_explained():
    side = {"femoral_head_found": True, "unet_score": {"gray_value": 0.0, "area_fraction": 0.0},
            "himriss": {"femoral_bme": 0, "acetabular_bme": 0, "effusion": 15, "total": 15}}
    text = hip_reading("right", side)
    assert text.startswith("right: HIMRISS-style total 15 = slices with 0 femoral BME + 0 acetabular BME + "
                           "15 effusion-synovitis.")
    assert "UNet-score is 0 because it measures femoral BME only" in text


def test_model_results_say_which_model_and_version(tmp_path, capsys):
    doc_path = tmp_path / "a.spine.json"
    spine_json(doc_path, "cervical", {"C5i": 2})
    doc = json.loads(doc_path.read_text())
    doc["model"] = {"landmarks": "spine-landmarks@0.1.0", "corners": "spine-corners@0.2.0"}
    doc["input"]["path"] = str(SAMPLE / "AxSpA-CervicalSpine.dcm")
    doc_path.write_text(json.dumps(doc))
    assert main(["report", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "models spine-landmarks 0.1.0 + spine-corners 0.2.0" in html
    assert ">AxSpA-CervicalSpine.dcm</span>" in html
    assert "could not be opened" not in html


def test_a_radiograph_that_cannot_be_opened_is_said_so_beside_its_dots(tmp_path, capsys):
    spine_json(tmp_path / "gone.spine.json", "lumbar", {"L2i": 3})
    doc = json.loads((tmp_path / "gone.spine.json").read_text())
    doc["input"]["path"] = str(tmp_path / "moved-away.dcm")
    (tmp_path / "gone.spine.json").write_text(json.dumps(doc))
    assert main(["report", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<p class='notice'>The radiograph could not be opened (" in html
    assert f"{tmp_path / 'moved-away.dcm'} not found" in html


def test_progression_has_a_per_patient_summary_apart_from_the_intervals(tmp_path, capsys):
    out = tmp_path / "prog"
    assert main(["progression", str(cohort(tmp_path)), "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    per_patient = html[html.index("Per patient: first to last visit"):html.index("Per interval: consecutive visits")]
    # P1: 2020-01-15 to 2022-01-15, +8 units (C5i syndesmophyte, L2/3 bridge): a progressor.
    assert re.search(r"<tr><td>P1</td><td class='num'>2</td><td>2020-01-15</td><td>2022-01-15</td>"
                     r"<td class='num'>2.00</td><td class='num'>8.0</td><td class='num'>8.0</td><td>yes</td>",
                     per_patient)


def test_short_names_add_folders_only_where_two_inputs_share_a_name():
    names = short_names(["/d/a/IM1.dcm", "/d/b/IM1.dcm", "/d/c/other.dcm"])
    assert names == {"/d/a/IM1.dcm": "a/IM1.dcm", "/d/b/IM1.dcm": "b/IM1.dcm", "/d/c/other.dcm": "other.dcm"}


def test_a_batch_failure_is_in_the_run_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["hip", str(SAMPLE / "AxSpA-HipSTIR.nrrd"), "--seg", str(SAMPLE / "AxSpA-HipSTIR.seg.nrrd"),
                 "--out", str(out)]) == 0
    (out / "failures.csv").write_text("input,reason\n/data/bad.dcm,not a DICOM file\n")
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "2 jobs: 1 scored, 0 skipped, 1 failed." in html
    assert "<td class='failed'>failed</td><td>not a DICOM file</td>" in html
