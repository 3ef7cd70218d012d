"""The plan of a manifest or a folder: every case with its job and reason, every file or row that will not
run with why, nothing guessed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from batch_cohorts import SAMPLES, sample_folder, write_film, write_manifest

from axspa.batch.plan import read_manifest
from axspa.batch.run import plan_batch
from axspa.batch.scan import radiograph_job
from axspa.image import InputError


def hip_phantom(folder: Path) -> None:
    from axspa.phantom.hip import HipPhantomConfig
    from axspa.phantom.hip.files import generate_hip_case

    generate_hip_case(folder, "hip-00000", 5, HipPhantomConfig(size="small"))


def _by_path(plan) -> dict:
    return {Path(line.path).name: line for line in plan.lines}


def test_manifest_rows_become_cases_and_bad_rows_failed_lines(tmp_path):
    film = write_film(tmp_path / "a.png", 100)
    rows = [
        {"case_id": "A", "patient_id": "P1", "visit_date": "2020-01-01", "job": "spine", "path": "a.png",
         "region": "lumbar"},
        {"case_id": "a", "patient_id": "P1", "visit_date": "2020-01-01", "job": "spine", "path": "a.png"},
        {"case_id": "B", "patient_id": "P1", "visit_date": "2020-13-01", "job": "spine", "path": "a.png"},
        {"case_id": "C", "patient_id": "P1", "visit_date": "", "job": "knee", "path": "a.png"},
        {"case_id": "D", "patient_id": "P1", "visit_date": "", "job": "sij", "path": "gone.png"},
        {"case_id": "E/1", "patient_id": "P1", "visit_date": "", "job": "sij", "path": "a.png"},
        {"case_id": "F", "patient_id": "P1", "visit_date": "", "job": "spine", "path": "a.png", "region": "thoracic"},
    ]
    plan = read_manifest(write_manifest(tmp_path / "m.csv", rows))
    assert [(c.case_id, c.job, c.region, Path(c.path)) for c in plan.cases] == [("A", "spine", "lumbar", film)]
    reasons = {line.case_id: line.reason for line in plan.lines}
    assert all(line.status == "failed" for line in plan.lines)
    assert "m.csv, line 3: duplicate case_id 'a' (first on line 2)" in reasons["a"]
    assert "visit_date '2020-13-01' is not a date YYYY-MM-DD" in reasons["B"]
    assert "job 'knee' is not one of spine, sij, hip" in reasons["C"]
    assert "gone.png: file or folder not found" in reasons["D"]
    assert "may hold only letters" in reasons["E/1"]
    assert "region 'thoracic'" in reasons["F"]


def test_manifest_with_a_missing_column_is_refused_naming_it(tmp_path):
    path = write_manifest(tmp_path / "m.csv", [{"case_id": "A", "job": "spine", "path": "x.png"}],
                          columns=("case_id", "job", "path"))
    with pytest.raises(InputError, match=r"m.csv: missing column\(s\) patient_id, visit_date"):
        read_manifest(path)


def test_sample_folder_plan_assigns_jobs_lists_the_rest(tmp_path):
    folder = sample_folder(tmp_path / "in")
    plan = plan_batch(folder)
    cases = {c.case_id: c for c in plan.cases}
    assert {cid: (c.job, c.region) for cid, c in cases.items()} == {
        "AxSpA-CervicalSpine": ("spine", "cervical"), "AxSpA-LumbarSpine": ("spine", "lumbar"),
        "AxSpA-Pelvis": ("sij", "auto"), "AxSpA-HipSTIR": ("hip", "auto")}
    assert "BodyPartExamined 'CSPINE'" in cases["AxSpA-CervicalSpine"].reason
    assert cases["AxSpA-LumbarSpine"].patient_id == "SPINE-00000"
    assert cases["AxSpA-LumbarSpine"].visit_date == "2024-01-01"
    assert "3-D volume file" in cases["AxSpA-HipSTIR"].reason
    lines = _by_path(plan)
    assert (lines["broken.dcm"].status, lines["broken.dcm"].reason) == ("failed", "zero-byte file")
    copy = lines["copy-of-lumbar.dcm"]
    assert copy.status == "duplicate" and "same content as case AxSpA-LumbarSpine" in copy.reason
    assert lines["AxSpA-HipSTIR.seg.nrrd"].status == "ignored"
    assert lines["sample-reading.csv"].status == "ignored"
    assert len(plan.cases) + len(plan.lines) == sum(1 for p in folder.rglob("*") if p.is_file())


def test_output_folder_inside_the_scanned_folder_is_not_scanned(tmp_path):
    folder = sample_folder(tmp_path / "in")
    (folder / "out" / "cases").mkdir(parents=True)
    shutil.copy(SAMPLES / "AxSpA-Pelvis.dcm", folder / "out" / "cases" / "p.dcm")
    plan = plan_batch(folder, folder / "out")
    assert not any("out" in Path(x.path).parts[len(folder.parts):] for x in plan.cases + plan.lines)


def _dicom_copy(src: Path, dst: Path, **tags) -> Path:
    ds = pydicom.dcmread(src)
    for keyword, value in tags.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    dst.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(dst)
    return dst


def test_bad_and_unassignable_files_each_get_a_clear_line(tmp_path):
    folder = tmp_path / "in"
    lumbar = SAMPLES / "AxSpA-LumbarSpine.dcm"
    _dicom_copy(lumbar, folder / "nopixels.dcm", PixelData=None)
    _dicom_copy(lumbar, folder / "chest.dcm", BodyPartExamined="CHEST", SeriesDescription="CHEST PA",
                ProtocolName="CHEST", StudyDescription="CHEST", SOPInstanceUID="1.2.3.4")
    _dicom_copy(lumbar, folder / "apspine.dcm", ViewPosition="AP", SOPInstanceUID="1.2.3.5")
    write_film(folder / "film.png", 50)
    (folder / "notes.txt").write_text("a note")
    (folder / "garbage.dcm").write_bytes(b"\x00" * 50)
    lines = _by_path(plan_batch(folder))
    assert (lines["nopixels.dcm"].status, lines["nopixels.dcm"].reason) == (
        "failed", "DICOM image header without pixel data")
    assert lines["chest.dcm"].status == "unassigned" and "neither spine nor pelvis" in lines["chest.dcm"].reason
    assert lines["apspine.dcm"].status == "unassigned" and "frontal spine film" in lines["apspine.dcm"].reason
    assert lines["film.png"].status == "unassigned" and "manifest" in lines["film.png"].reason
    assert lines["notes.txt"].status == "ignored"
    assert lines["garbage.dcm"].status == "failed" and "not a readable DICOM file" in lines["garbage.dcm"].reason


def test_two_mr_series_sharing_a_uid_are_refused_not_merged(tmp_path):
    hip_phantom(tmp_path / "ph")
    series = next((tmp_path / "ph").glob("*/dicom"))
    folder = tmp_path / "in"
    shutil.copytree(series, folder / "a")
    for f in sorted(series.iterdir())[:3]:
        _dicom_copy(f, folder / "b" / f.name, SeriesDescription="T1_COR", Rows=64, Columns=64,
                    PixelData=np.zeros((64, 64), np.uint16).tobytes())
    plan = plan_batch(folder)
    assert not plan.cases
    (line,) = [line for line in plan.lines if line.status == "failed"]
    assert "share SeriesInstanceUID" in line.reason and "Rows, Columns, SeriesDescription" in line.reason


def test_a_coronal_stir_series_is_a_hip_case_with_its_uid(tmp_path):
    hip_phantom(tmp_path / "ph")
    plan = plan_batch(tmp_path / "ph")
    (case,) = plan.cases
    assert case.job == "hip" and case.series_uid and Path(case.path).name == "dicom"
    assert "coronal STIR" in case.reason and len(case.files) > 2


@pytest.mark.parametrize(("tags", "job", "region"), [
    ({"BodyPartExamined": "CSPINE", "ViewPosition": "LL"}, "spine", "cervical"),
    ({"SeriesDescription": "LWS seitlich"}, "spine", "lumbar"),
    ({"SeriesDescription": "CERVICAL SPINE LAT"}, "spine", "cervical"),
    ({"BodyPartExamined": "SPINE", "ViewPosition": "LAT"}, "spine", "auto"),
    ({"BodyPartExamined": "PELVIS", "ViewPosition": "AP"}, "sij", "auto"),
    ({"ProtocolName": "SI joints"}, "sij", "auto"),
    ({"BodyPartExamined": "PELVIS", "ViewPosition": "LL"}, None, "auto"),
    ({"BodyPartExamined": "HAND"}, None, "auto"),
    ({}, None, "auto"),
])
def test_radiograph_job_from_tags(tags, job, region):
    got_job, got_region, reason = radiograph_job(tags)
    assert (got_job, got_region) == (job, region), reason
    assert reason
