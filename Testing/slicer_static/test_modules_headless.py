"""Run the modules' Logic and their in-Slicer Test classes without the Slicer application.

The real MRML classes come from the slicer-core wheel; only the application-side Python modules that
it lacks (ScriptedLoadableModule, parameterNodeWrapper, i18n) are replaced by minimal stand-ins, so
what runs is the modules' own code against a real vtkMRMLScene. Widgets (Qt) are not exercised here.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import Parent, application_stubs

REPO = Path(__file__).resolve().parents[2]
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)
pytest.importorskip("axspa.slicer.tables")
pytest.importorskip("axspa.slicer.segmentations")


@pytest.fixture
def modules(monkeypatch):
    """Both module files imported against a fresh scene; yields (AxSpAScoring, HipInflammation, connections)."""
    connections: list = []
    for name, stub in application_stubs(connections).items():
        monkeypatch.setitem(sys.modules, name, stub)
    monkeypatch.setattr(slicer, "mrmlScene", slicer.vtkMRMLScene(), raising=False)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(
        connect=lambda signal, slot: connections.append((signal, slot))), raising=False)
    for folder in ("AxSpAScoring", "HipInflammation"):
        monkeypatch.syspath_prepend(str(REPO / folder))
    loaded = []
    for name in ("AxSpAScoring", "HipInflammation"):
        for cached in [m for m in sys.modules if m == name or m.startswith(f"{name}Lib")]:
            monkeypatch.delitem(sys.modules, cached)
        loaded.append(importlib.import_module(name))
    yield loaded[0], loaded[1], connections
    for name in ("AxSpAScoring", "HipInflammation"):
        for cached in [m for m in sys.modules if m == name or m.startswith(f"{name}Lib")]:
            sys.modules.pop(cached, None)


def _run_slicer_test(test_class, method: str) -> None:
    test = test_class(method)
    test.setUp()
    getattr(test, method)()


def test_importing_the_modules_loads_no_engine_or_torch():
    """Slicer imports every module file at start-up: importing one must not pull in the engine (and
    with it numpy-heavy code or torch). Checked in a fresh interpreter, where nothing is cached."""
    import subprocess

    code = (
        "import sys, types, unittest, slicer\n"
        "from pathlib import Path\n"
        f"sys.path[:0] = [{str(REPO / 'AxSpAScoring')!r}, {str(REPO / 'HipInflammation')!r}]\n"
        "sys.path.insert(0, str(Path(sys.argv[1])))\n"
        "import slicer_app_stubs\n"
        "sys.modules.update(slicer_app_stubs.application_stubs([]))\n"
        "slicer.app = types.SimpleNamespace(connect=lambda *a: None)\n"
        "before = set(sys.modules)\n"
        "import AxSpAScoring, HipInflammation\n"
        "new = set(sys.modules) - before\n"
        "assert 'AxSpAScoring' in new\n"
        "print(sorted(m for m in new if m.split('.')[0] in ('axspa', 'torch', 'monai', 'numpy')))\n")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_module_constructor_sets_texts_and_defers_sample_data(modules):
    scoring, hip, connections = modules
    for module, title in ((scoring, "AxSpA Scoring"), (hip, "Hip Inflammation")):
        parent = Parent()
        getattr(module, module.__name__)(parent)
        assert parent.title == title and parent.categories == ["Quantification"]
        assert "not validated" in parent.helpText
    assert connections == [("startupCompleted()", scoring.registerSampleData),
                           ("startupCompleted()", hip.registerSampleData)]


def test_sample_data_registered_per_module(modules, tmp_path, monkeypatch):
    import axspa.slicer.samples as ss

    scoring, hip, _ = modules
    (tmp_path / "c.dcm").write_bytes(b"c")
    (tmp_path / "h.nrrd").write_bytes(b"h")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "C", "module": "AxSpAScoring", "file": "c.dcm"},
        {"name": "H", "module": "HipInflammation", "file": "h.nrrd", "load_file_type": "VolumeFile"}]}))
    registered = []
    sample_data = types.ModuleType("SampleData")
    sample_data.SampleDataLogic = types.SimpleNamespace(
        registerCustomSampleDataSource=lambda **kwargs: registered.append(kwargs))
    monkeypatch.setitem(sys.modules, "SampleData", sample_data)
    monkeypatch.setattr(ss, "find_resources_dir", lambda module_file, sub: tmp_path)
    scoring.registerSampleData()
    hip.registerSampleData()
    assert [r["sampleName"] for r in registered] == ["C", "H"]
    assert all(r["uris"].startswith("file://") and r["checksums"].startswith("SHA256:") for r in registered)
    # A broken manifest is logged, not raised into Slicer's start-up.
    (tmp_path / "manifest.json").write_text("{broken")
    scoring.registerSampleData()
    assert len(registered) == 2


def test_in_slicer_test_rescore_manual_reading(modules):
    scoring, _, _ = modules
    _run_slicer_test(scoring.AxSpAScoringTest, "test_RescoreManualReading")


def test_in_slicer_test_model_missing(modules):
    scoring, _, _ = modules
    _run_slicer_test(scoring.AxSpAScoringTest, "test_ModelMissingIsReported")


def test_in_slicer_test_hip_segments(modules):
    _, hip, _ = modules
    _run_slicer_test(hip.HipInflammationTest, "test_ScoreSegmentationFromMasks")


def test_in_slicer_test_hip_recompute(modules):
    _, hip, _ = modules
    _run_slicer_test(hip.HipInflammationTest, "test_RecomputeUsesEditedSegments")


def test_score_a_study_with_plugged_in_models(modules, tmp_path, monkeypatch):
    """Cervical + lumbar radiographs through the real pipeline (test-double predictors): markups per
    image under the input's study, one table with 24 sites, and the study total from the table."""
    fake = pytest.importorskip("fake_predictors")
    scoring, _, _ = modules
    models = tmp_path / "models"
    # C5s syndesmophyte (2); L3i/L4s bridging (3 + 3); everything else 0.
    fake.install_bundle(models, "spine-landmarks", "FixedLandmarks", {"region_by_rows": {"80": "lumbar"}})
    fake.install_bundle(models, "spine-corners", "FixedCorners", {"findings": {
        "C5s": {"syndesmophyte": 0.9}, "L3i": {"bridging": 0.8}}})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    cervical = slicer.util.addVolumeFromArray(np.zeros((1, 64, 48), np.int16), name="cspine")
    lumbar = slicer.util.addVolumeFromArray(np.zeros((1, 80, 48), np.int16), name="lspine")
    steps = []
    result = scoring.AxSpAScoringLogic().scoreSpine(
        cervical, "auto", otherVolume=lumbar, progress=lambda f, m: steps.append(f), cancel=lambda: False)
    assert [d["region"] for d in result["documents"]] == ["cervical", "lumbar"]
    assert result["score"]["cervical"]["imputed"] == 2.0 and result["score"]["lumbar"]["imputed"] == 6.0
    assert result["score"]["total"] == 8.0
    assert result["table"].GetNumberOfRows() == 24
    first, second = result["markups"]
    assert first.GetNumberOfControlPoints() == second.GetNumberOfControlPoints() == 12
    assert first.GetNthControlPointLabel(0) == "C2i" and second.GetNthControlPointLabel(0) == "T12i"
    assert steps == sorted(steps) and steps[0] == 0.0 and steps[-1] == 1.0  # one bar for both images

    # Rescoring into the same nodes reuses them, and the user's grade edit in the table wins.
    table = result["table"]
    site, grade = table.GetColumnIndex("site"), table.GetColumnIndex("grade")
    row = next(r for r in range(24) if table.GetCellText(r, site) == "C6s")
    table.SetCellText(row, grade, "1")
    again = scoring.AxSpAScoringLogic().scoreSpine(cervical, "cervical", otherVolume=lumbar,
                                                   outputMarkups=first, otherMarkups=second, outputTable=table)
    assert again["table"] is table and again["markups"] == [first, second]
    assert again["score"]["total"] == 9.0
    assert any("C6s" in w and "kept" in w for w in again["warnings"])
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 1


def test_cancel_stops_scoring_and_writes_nothing(modules, tmp_path, monkeypatch):
    fake = pytest.importorskip("fake_predictors")
    from axspa.jobs import CancelFlag, CancelledError

    scoring, _, _ = modules
    models = tmp_path / "models"
    fake.install_bundle(models, "spine-landmarks", "FixedLandmarks")
    fake.install_bundle(models, "spine-corners", "FixedCorners")
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    volume = slicer.util.addVolumeFromArray(np.zeros((1, 64, 48), np.int16), name="cspine")
    flag = CancelFlag()
    flag.cancel()  # the user pressed Cancel
    with pytest.raises(CancelledError):
        scoring.AxSpAScoringLogic().scoreSpine(volume, "cervical", cancel=flag)
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 0
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 0


def test_pelvis_heat_map_lands_on_the_radiograph_grid(modules, tmp_path, monkeypatch):
    fake = pytest.importorskip("fake_predictors")
    scoring, _, _ = modules
    models = tmp_path / "models"
    fake.install_bundle(models, "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1],
                                                             "left": [0.1, 0.7, 0.2, 0, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    pelvis = slicer.util.addVolumeFromArray(np.zeros((1, 30, 40), np.int16), name="pelvis")
    doc, heatmap = scoring.AxSpAScoringLogic().scorePelvis(pelvis)
    assert (doc["sides"]["right"]["grade"], doc["sides"]["left"]["grade"], doc["definite"]) == (3, 1, True)
    assert heatmap.GetImageData().GetDimensions() == (40, 30, 1)
    values = slicer.util.arrayFromVolume(heatmap)
    assert values.shape == (1, 30, 40) and values[0, 0, 0] == 0 and values[0, -1, -1] == pytest.approx(1.0)


def test_hip_unknown_segments_are_reported_not_fatal(modules):
    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.slicer.segmentations import masks_to_segmentation

    _, hip, _ = modules
    stir = np.full((6, 20, 20), 100, np.int16)
    head = np.zeros(stir.shape, bool)
    head[1:4, 5:8, 5:10] = True
    volume = slicer.util.addVolumeFromArray(stir, name="STIR")
    seg = masks_to_segmentation(slicer.mrmlScene, {"Left femoral head": head}, volume, segments=HIP_SEGMENTS)
    # The user adds a segment of their own with a name the engine does not know.
    seg.GetSegmentation().AddEmptySegment("Notes", "Notes")
    result = hip.HipInflammationLogic().scoreSegmentation(volume, seg, halfWidth=1, minLesionAreaMm2=2.0)
    assert any("Notes" in w for w in result["warnings"])
    assert result["document"]["sides"]["left"]["femoral_head_found"]
    # Coronal slices j 5-7 hold equal head areas: the first largest (5) +- half width 1.
    assert result["document"]["sides"]["left"]["scoring_slices"] == [4, 5, 6]
    assert result["document"]["settings"] == {"half_width": 1, "min_lesion_area_mm2": 2.0}
    table = result["table"]
    assert table.GetNumberOfRows() == 11 and table.GetCellText(0, 2) == "yes"


def test_pelvis_heat_map_is_coloured_with_zero_transparent(modules, tmp_path, monkeypatch):
    """Issue 17, item 5: the heat map was a grey volume at 40 % over a grey radiograph (invisible). It is shown
    with the heat-map colour table (blue to red, 0 fully transparent), window 0..1 and a colour legend; Slicer's
    own display pipeline (vtkMRMLScalarVolumeDisplayNode) then draws nothing where the map is 0."""
    from vtk.util import numpy_support

    from axspa.slicer.volumes import HEAT_MAP_COLORS

    fake = pytest.importorskip("fake_predictors")
    scoring, _, _ = modules
    fake.install_bundle(tmp_path / "models", "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1],
                                                                          "left": [0.1, 0.7, 0.2, 0, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "models"))
    pelvis = slicer.util.addVolumeFromArray(np.zeros((1, 30, 40), np.int16), name="pelvis")
    logic = scoring.AxSpAScoringLogic()
    _, heatmap = logic.scorePelvis(pelvis)
    display = heatmap.GetDisplayNode()
    colors = display.GetColorNode()
    assert colors is not None and colors.GetName() == HEAT_MAP_COLORS and colors.GetNumberOfColors() == 256
    rgba = [0.0] * 4
    colors.GetColor(0, rgba)
    assert rgba[3] == 0.0  # zero: transparent
    colors.GetColor(255, rgba)
    assert rgba == [1.0, 0.0, 0.0, 1.0]  # the hottest: opaque red
    assert not display.GetAutoWindowLevel()
    assert (display.GetWindowLevelMin(), display.GetWindowLevelMax()) == (0.0, 1.0)
    assert slicer.vtkSlicerColorLogic.GetColorLegendDisplayNode(heatmap) is not None

    # What the slice views blend over the radiograph: RGBA from the display node's own pipeline.
    producer = display.GetOutputImageDataConnection().GetProducer()
    producer.Update()
    rgba_pixels = numpy_support.vtk_to_numpy(producer.GetOutputDataObject(0).GetPointData().GetScalars())
    values = slicer.util.arrayFromVolume(heatmap).reshape(-1)
    assert (rgba_pixels[values == 0, 3] == 0).all() and (rgba_pixels[values > 0.01, 3] == 255).all()
    assert (values == 0).any() and (values > 0.01).any()

    # Grading again reuses the node, the colour table and the legend.
    _, again = logic.scorePelvis(pelvis, heatmapVolume=heatmap)
    assert again is heatmap and again.GetDisplayNode().GetColorNode() is colors
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLColorTableNode") == 1
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLColorLegendDisplayNode") == 1


def test_reload_reads_the_module_lib_and_the_engine_again(modules):
    """Issue 17, item 7: Slicer's Reload (and Reload and Test) re-runs only <Module>.py, so edits to <Module>Lib/
    and axspa/ stayed stale. onReload forgets them (sys.modules) before Slicer's reload re-runs the module file,
    which then imports them afresh; the other module's Lib is left alone."""
    import axspa.jobs  # noqa: F401 (the engine is imported, as after a first run)

    scoring, hip, _ = modules
    slm = sys.modules["slicer.ScriptedLoadableModule"]
    before = dict(sys.modules)

    def loaded(package):
        return [name for name in sys.modules if name == package or name.startswith(package + ".")]

    try:
        for module, lib, other in ((scoring, "AxSpAScoringLib", "HipInflammationLib"),
                                   (hip, "HipInflammationLib", "AxSpAScoringLib")):
            sys.modules.update(before)
            assert loaded(lib) and loaded("axspa") and loaded(other)
            getattr(module, module.__name__ + "Widget")().onReload()
            assert loaded(lib) == [] and loaded("axspa") == [] and loaded(other)
            assert slm.reloaded[-1] == module.__name__ + "Widget"  # then Slicer's own reload
    finally:  # the rest of the session goes on with the modules it imported
        for name in [name for name in sys.modules if name not in before]:
            del sys.modules[name]
        sys.modules.update(before)
