"""The modules' cohort console: processCohort runs axspa.batch in Slicer's process (the modules' Logic, real MRML
from slicer-core, test-double models of Testing/fake_predictors.py), loadCase brings a finished case into the
scene. The bundled sample films and STIR volume are the inputs (Resources/SampleData).

The STIR volume is 22 x 145 x 154 ([k, j, i]); BoxHips puts the right femoral head at k 8-14, j 60-80,
i 30-60 and the left one at i 100-130, so the loaded segmentation must hold exactly those boxes on the
volume's grid. The corner model reports a C5s syndesmophyte at 0.9: cervical mSASSS 2 at threshold 0.5, 0 at
0.95. Without the Slicer application loadCase reads through MRML storage nodes; with it (a stand-in
``slicer.util`` here) through slicer.util.loadVolume and the other loaders.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import imported_module

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "Resources" / "SampleData"
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)
fake = pytest.importorskip("fake_predictors")
vtk = pytest.importorskip("vtk")  # comes with slicer-core

from axspa.hip.segments import HIP_SEGMENTS  # noqa: E402
from axspa.image import InputError  # noqa: E402
from axspa.jobs import CancelledError  # noqa: E402
from axspa.slicer.segmentations import segmentation_to_masks  # noqa: E402

STIR_SHAPE = (22, 145, 154)
BOXES = {"Right femoral head": [[8, 14], [60, 80], [30, 60]], "Left femoral head": [[8, 14], [60, 80], [100, 130]]}
SPINE_BUNDLES = ["spine-landmarks", "spine-corners"]


@pytest.fixture
def scoring(monkeypatch):
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


@pytest.fixture
def hip(monkeypatch):
    yield from imported_module(monkeypatch, REPO / "HipInflammation", "HipInflammation")


@pytest.fixture
def models(tmp_path, no_shipped_models):
    """Test-double bundles of every job in one model folder (passed as modelDir)."""
    folder = tmp_path / "models"
    fake.install_bundle(folder, "spine-landmarks", "FixedLandmarks")
    fake.install_bundle(folder, "spine-corners", "FixedCorners", {"findings": {"C5s": {"syndesmophyte": 0.9}}})
    fake.install_bundle(folder, "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1],
                                                          "left": [0.1, 0.7, 0.2, 0, 0]})
    fake.install_bundle(folder, "hip-segmenter", "BoxHips", {"boxes": BOXES})
    return folder


def write_manifest(path: Path, rows: list) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["case_id", "patient_id", "visit_date", "job", "path", "region", "series_uid"])
        writer.writerows(rows)
    return path


@pytest.fixture
def manifest(tmp_path):
    """Both spine films, the pelvis film and the STIR volume of one visit: every job, for either module."""
    return write_manifest(tmp_path / "cohort.csv", [
        ["P001-V1-cervical", "P001", "2021-03-04", "spine", SAMPLES / "AxSpA-CervicalSpine.dcm", "cervical", ""],
        ["P001-V1-lumbar", "P001", "2021-03-04", "spine", SAMPLES / "AxSpA-LumbarSpine.dcm", "lumbar", ""],
        ["P001-V1-pelvis", "P001", "2021-03-04", "sij", SAMPLES / "AxSpA-Pelvis.dcm", "", ""],
        ["P001-V1-hip", "P001", "2021-03-04", "hip", SAMPLES / "AxSpA-HipSTIR.nrrd", "", ""]])


def installs_recorded(logic, monkeypatch) -> list:
    """The Logic's torch/MONAI install step, recorded instead of run (no installs in tests)."""
    calls: list = []
    monkeypatch.setattr(logic, "ensureModelDependencies", lambda *args: calls.append(args))
    return calls


def summary_rows(result) -> dict:
    with open(result["summary"], newline="", encoding="utf-8") as f:
        return {row["case_id"]: row for row in csv.DictReader(f)}


def parent_item(node):
    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(node.GetScene())
    return sh.GetItemParent(sh.GetItemByDataNode(node))


# ------------------------------------------------------------------------------------------ processCohort

def test_spine_cohort_scores_the_films_and_writes_the_tables(scoring, manifest, models, tmp_path, monkeypatch):
    logic = scoring.AxSpAScoringLogic()
    installs = installs_recorded(logic, monkeypatch)
    out = tmp_path / "out"
    steps = []
    result = logic.processCohort(manifest, out, progress=lambda f, m: steps.append((f, m)), modelDir=models)
    assert result["scored"] == ["P001-V1-cervical", "P001-V1-lumbar", "P001-V1-pelvis"]
    assert result["unchanged"] == [] and result["failures"] == {} and result["exitStatus"] == 0
    # The hip row is another module's: listed as not run, not scored.
    assert [(Path(p).name, status) for p, status, _ in result["planNotRun"]] == [("AxSpA-HipSTIR.nrrd", "excluded")]
    assert "job hip not selected" in result["planNotRun"][0][2]
    assert result["summary"] == str(out / "summary.csv") and result["cohort"] == str(out / "cohort.csv")
    assert Path(result["cohort"]).is_file() and "3 scored" in result["text"]
    rows = summary_rows(result)
    assert {cid: row["status"] for cid, row in rows.items()} == dict.fromkeys(result["scored"], "scored")
    assert float(rows["P001-V1-cervical"]["msasss_imputed"]) == 2.0
    assert rows["P001-V1-pelvis"]["sij_grade_right"] == "3"
    # One step per finished case, in order, the last at 1.0.
    assert [f for f, _ in steps] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert "P001-V1-cervical" in steps[0][1]
    # torch and MONAI asked for once, for the jobs whose bundles are there.
    assert installs == [(("spine-landmarks", "spine-corners", "sij-grader"), models)]

    # Again: nothing to do. With another threshold: the spine films are scored again, the pelvis is not.
    again = logic.processCohort(manifest, out, modelDir=models)
    assert again["scored"] == [] and again["unchanged"] == result["scored"]
    stricter = logic.processCohort(str(manifest), str(out), modelDir=str(models), threshold=0.95)
    assert stricter["scored"] == ["P001-V1-cervical", "P001-V1-lumbar"]
    assert stricter["unchanged"] == ["P001-V1-pelvis"]
    assert float(summary_rows(stricter)["P001-V1-cervical"]["msasss_imputed"]) == 0.0


def test_a_missing_model_fails_its_cases_and_installs_nothing(scoring, manifest, tmp_path, monkeypatch,
                                                              no_shipped_models):
    logic = scoring.AxSpAScoringLogic()
    installs = installs_recorded(logic, monkeypatch)
    empty = tmp_path / "no-models"
    empty.mkdir()
    result = logic.processCohort(manifest, tmp_path / "out", modelDir=empty)
    assert result["scored"] == [] and result["exitStatus"] == 1
    assert set(result["failures"]) == {"P001-V1-cervical", "P001-V1-lumbar", "P001-V1-pelvis"}
    assert all("not found in" in why for why in result["failures"].values())
    assert installs == []


def test_cancel_stops_between_cases_and_a_rerun_goes_on(scoring, manifest, models, tmp_path, monkeypatch):
    """cancel() returning True raises axspa.jobs.CancelledError; the tables list what finished, and the
    same call again scores only the rest."""
    logic = scoring.AxSpAScoringLogic()
    installs_recorded(logic, monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(CancelledError):
        logic.processCohort(manifest, out, cancel=lambda: True, modelDir=models)
    assert {row["status"] for row in summary_rows({"summary": out / "summary.csv"}).values()} == {"failed"}
    assert not (out / "cases").exists()

    steps = []
    with pytest.raises(CancelledError):  # the user presses Cancel while the first film is scored
        logic.processCohort(manifest, out, progress=lambda f, m: steps.append(f), cancel=lambda: bool(steps),
                            modelDir=models)
    statuses = {cid: row["status"] for cid, row in summary_rows({"summary": out / "summary.csv"}).items()}
    assert statuses == {"P001-V1-cervical": "scored", "P001-V1-lumbar": "failed", "P001-V1-pelvis": "failed"}
    rest = logic.processCohort(manifest, out, modelDir=models)
    assert rest["unchanged"] == ["P001-V1-cervical"] and rest["scored"] == ["P001-V1-lumbar", "P001-V1-pelvis"]


def test_hip_cohort_scores_the_stir_volume(hip, manifest, models, tmp_path, monkeypatch):
    logic = hip.HipInflammationLogic()
    installs = installs_recorded(logic, monkeypatch)
    fake.BoxHips.CALLS.clear()
    result = logic.processCohort(manifest, tmp_path / "out", modelDir=models, halfWidth=2, minArea=1.0)
    assert result["scored"] == ["P001-V1-hip"] and result["failures"] == {}
    assert sorted(status for _, status, _ in result["planNotRun"]) == ["excluded"] * 3
    assert fake.BoxHips.CALLS == [STIR_SHAPE]
    row = summary_rows(result)["P001-V1-hip"]
    assert row["hip_right_head_found"] == row["hip_left_head_found"] == "True"
    assert installs == [(models,)]
    # The options reach the case: other ones score it again.
    again = logic.processCohort(manifest, tmp_path / "out", modelDir=models, halfWidth=2, minArea=1.0)
    assert again["unchanged"] == ["P001-V1-hip"]
    assert logic.processCohort(manifest, tmp_path / "out", modelDir=models)["scored"] == ["P001-V1-hip"]


def test_process_cohort_wants_a_source_and_an_output_folder(hip, tmp_path, monkeypatch):
    logic = hip.HipInflammationLogic()
    installs_recorded(logic, monkeypatch)
    with pytest.raises(InputError, match="manifest"):
        logic.processCohort("", tmp_path / "out")
    with pytest.raises(InputError, match="folder for the batch"):
        logic.processCohort(tmp_path, "")
    with pytest.raises(InputError, match="no such manifest or folder"):
        logic.processCohort(tmp_path / "nothing.csv", tmp_path / "out")


# ----------------------------------------------------------------------------------------------- loadCase

def test_load_a_spine_case(scoring, manifest, models, tmp_path, monkeypatch):
    logic = scoring.AxSpAScoringLogic()
    installs_recorded(logic, monkeypatch)
    out = tmp_path / "out"
    logic.processCohort(manifest, out, modelDir=models)
    case = logic.loadCase(out, "P001-V1-cervical")
    volume, markups, table = case["volume"], case["markups"], case["table"]
    assert volume.IsA("vtkMRMLScalarVolumeNode") and volume.GetName() == "P001-V1-cervical"
    assert volume.GetImageData().GetDimensions() == (889, 1215, 1)
    assert markups.GetNumberOfControlPoints() == 12
    assert markups.GetNthControlPointLabel(0) == "C2i" and markups.GetName() == "P001-V1-cervical sites"
    assert table.GetNumberOfRows() == 12
    sites = [table.GetCellText(r, table.GetColumnIndex("site")) for r in range(12)]
    assert sites[0] == "C2i" and "C5s" in sites
    assert case["segmentation"] is case["heatmap"] is case["slices"] is None
    assert case["summary"]["region"] == "cervical" and case["summary"]["msasss_imputed"] == 2.0
    assert case["case"]["path"] == str(SAMPLES / "AxSpA-CervicalSpine.dcm")
    for node in (volume, markups, table):
        assert slicer.mrmlScene.IsNodePresent(node)
    assert parent_item(markups) == parent_item(table) == parent_item(volume)
    # The points lie on the film, where the landmark model put them (column 0.4 of the width).
    ras_to_ijk = vtk.vtkMatrix4x4()
    volume.GetRASToIJKMatrix(ras_to_ijk)
    for n in range(12):
        ijk = ras_to_ijk.MultiplyPoint([*markups.GetNthControlPointPosition(n), 1.0])
        assert ijk[0] == pytest.approx(889 * 0.4, abs=0.5) and 0 <= ijk[1] < 1215 and ijk[2] == pytest.approx(0)
    # The loaded table is a site table the module scores.
    assert logic.rescoreFromTable(table)["cervical"]["imputed"] == 2.0


def test_load_a_pelvis_case_with_its_heat_map(scoring, manifest, models, tmp_path, monkeypatch):
    logic = scoring.AxSpAScoringLogic()
    installs_recorded(logic, monkeypatch)
    logic.processCohort(manifest, tmp_path / "out", modelDir=models)
    case = logic.loadCase(tmp_path / "out", "P001-V1-pelvis")
    volume, heatmap = case["volume"], case["heatmap"]
    assert heatmap.GetImageData().GetDimensions() == volume.GetImageData().GetDimensions()
    assert heatmap.GetName() == "P001-V1-pelvis heat map" and parent_item(heatmap) == parent_item(volume)
    assert case["markups"] is case["table"] is None and case["summary"]["sij_definite"] is True


def test_load_a_hip_case(hip, manifest, models, tmp_path, monkeypatch):
    logic = hip.HipInflammationLogic()
    installs_recorded(logic, monkeypatch)
    logic.processCohort(manifest, tmp_path / "out", modelDir=models)
    case = logic.loadCase(tmp_path / "out", "P001-V1-hip")
    volume, segmentation = case["volume"], case["segmentation"]
    assert slicer.util.arrayFromVolume(volume).shape == STIR_SHAPE
    segments = segmentation.GetSegmentation()
    assert [segments.GetNthSegment(n).GetName() for n in range(segments.GetNumberOfSegments())] == \
        [s.name for s in HIP_SEGMENTS]
    masks = segmentation_to_masks(segmentation, volume)
    for name, ((k0, k1), (j0, j1), (i0, i1)) in BOXES.items():
        expected = np.zeros(STIR_SHAPE, bool)
        expected[k0:k1, j0:j1, i0:i1] = True
        assert np.array_equal(masks[name], expected), name
    assert case["slices"].GetNumberOfRows() > 0 and case["markups"] is case["table"] is case["heatmap"] is None
    assert parent_item(segmentation) == parent_item(case["slices"]) == parent_item(volume)
    for node in (volume, segmentation, case["slices"]):
        assert slicer.mrmlScene.IsNodePresent(node)


def test_load_a_hip_dicom_series_case(hip, models, tmp_path, monkeypatch):
    """A series in a folder that holds another: loadCase reads the files of the case's SeriesInstanceUID."""
    from axspa.io.dicom_write import write_series_dicom
    from axspa.io.volume import list_series

    coronal = np.array([[-0.8, 0, 0, 0], [0, 0, -4.0, 0], [0, -0.8, 0, 0], [0, 0, 0, 1]])
    stir = np.full((22, 90, 160), 100, np.int16)
    write_series_dicom(tmp_path / "mri" / "stir", stir, coronal, seed_uid_from="stir")
    write_series_dicom(tmp_path / "mri" / "t1", stir[:5, :40, :50].copy(), coronal, series_description="T1_COR",
                       sequence="T1", seed_uid_from="t1")
    uid = next(s.uid for s in list_series(tmp_path / "mri") if s.description == "STIR_COR")
    manifest = write_manifest(tmp_path / "cohort.csv",
                              [["P002-V1-hip", "P002", "2022-01-02", "hip", tmp_path / "mri", "", uid]])
    logic = hip.HipInflammationLogic()
    installs_recorded(logic, monkeypatch)
    assert logic.processCohort(manifest, tmp_path / "out", modelDir=models)["scored"] == ["P002-V1-hip"]
    case = logic.loadCase(tmp_path / "out", "P002-V1-hip")
    assert case["case"]["series_uid"] == uid
    assert slicer.util.arrayFromVolume(case["volume"]).shape == stir.shape
    masks = segmentation_to_masks(case["segmentation"], case["volume"])
    assert masks["Right femoral head"][8:14, 60:80, 30:60].all() and masks["Right femoral head"].sum() == 6 * 20 * 30


def test_load_case_through_the_application_readers(scoring, manifest, models, tmp_path, monkeypatch):
    """Inside Slicer (its IO manager there) loadCase calls slicer.util's loaders: a film as one file, the heat
    map without taking over the slice views. The stand-in loaders read through storage nodes and put the film
    in a patient's study, as the DICOM module does: the outputs go under that study."""
    from axspa.slicer.cohort import _StorageReaders

    logic = scoring.AxSpAScoringLogic()
    installs_recorded(logic, monkeypatch)
    logic.processCohort(manifest, tmp_path / "out", modelDir=models)
    storage = _StorageReaders(slicer.mrmlScene)
    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(slicer.mrmlScene)
    study = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "P001"), "2021-03-04")
    calls = []

    def loader(kind):
        def load(path, properties=None):
            calls.append((kind, Path(path).name, dict(properties or {})))
            if kind != "volume":
                return getattr(storage, kind)(path, "loaded")
            node = storage.volume(path, "loaded")
            if properties.get("show"):  # the film, not the heat map
                sh.CreateItem(study, node)
            return node
        return load

    for name, kind in (("loadVolume", "volume"), ("loadMarkups", "markups"), ("loadTable", "table"),
                       ("loadSegmentation", "segmentation")):
        monkeypatch.setattr(slicer.util, name, loader(kind))
    monkeypatch.setattr(slicer.app, "coreIOManager", lambda: None, raising=False)
    case = logic.loadCase(tmp_path / "out", "P001-V1-lumbar")
    assert calls == [("volume", "AxSpA-LumbarSpine.dcm", {"name": "P001-V1-lumbar", "singleFile": True, "show": True}),
                     ("markups", "AxSpA-LumbarSpine.mrk.json", {}), ("table", "AxSpA-LumbarSpine.sites.csv", {})]
    assert case["markups"].GetName() == "P001-V1-lumbar sites" and case["markups"].GetNumberOfControlPoints() == 12
    assert parent_item(case["volume"]) == parent_item(case["markups"]) == parent_item(case["table"]) == study
    calls.clear()
    pelvis = logic.loadCase(tmp_path / "out", "P001-V1-pelvis")
    assert calls[-1] == ("volume", "AxSpA-Pelvis.heatmap.nrrd",
                         {"name": "P001-V1-pelvis heat map", "singleFile": True, "show": False})
    assert parent_item(pelvis["heatmap"]) == study


def test_load_case_names_what_is_missing(scoring, manifest, models, tmp_path, monkeypatch):
    logic = scoring.AxSpAScoringLogic()
    installs_recorded(logic, monkeypatch)
    with pytest.raises(InputError, match="no scored case 'P001-V1-cervical'"):
        logic.loadCase(tmp_path / "out", "P001-V1-cervical")
    moved = tmp_path / "films"
    moved.mkdir()
    film = moved / "c.dcm"
    film.write_bytes((SAMPLES / "AxSpA-CervicalSpine.dcm").read_bytes())
    gone = write_manifest(tmp_path / "gone.csv", [["G-1", "G", "2020-01-01", "spine", film, "cervical", ""]])
    logic.processCohort(gone, tmp_path / "out", modelDir=models)
    film.unlink()
    with pytest.raises(InputError, match="not there any more"):
        logic.loadCase(tmp_path / "out", "G-1")
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 0
