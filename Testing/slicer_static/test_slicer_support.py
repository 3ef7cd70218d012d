"""axspa.slicer_support: sample-data manifest, package installation, cancel/progress, display text."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from types import SimpleNamespace
from urllib.request import url2pathname, urlopen

import numpy as np
import pytest

from axspa import slicer_support as ss
from axspa.image import InputError

# ------------------------------------------------------------------------------------------ sample data


def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_missing_folder_or_manifest_means_no_samples(tmp_path):
    assert ss.read_sample_manifest(None) == []
    assert ss.read_sample_manifest(tmp_path) == []
    assert ss.read_sample_manifest(tmp_path / "absent") == []


def test_manifest_gives_file_uris_and_checksums(tmp_path):
    digest = _write(tmp_path, "cspine.dcm", b"DICM radiograph bytes")
    hip = _write(tmp_path, "hip.nrrd", b"NRRD0004 hip")
    (tmp_path / "cspine.png").write_bytes(b"png")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "Phantom cervical", "module": "AxSpAScoring", "file": "cspine.dcm", "sha256": digest,
         "node_name": "PhantomC", "thumbnail": "cspine.png", "properties": {"singleFile": True}},
        {"name": "Phantom hip", "module": "HipInflammation", "file": "hip.nrrd"},  # sha256 computed
        {"name": "Not shipped", "module": "AxSpAScoring", "file": "absent.dcm", "sha256": "0" * 64},
    ]}))
    [spine] = ss.read_sample_manifest(tmp_path, module="AxSpAScoring")
    kwargs = spine.register_kwargs()
    assert kwargs["sampleName"] == "Phantom cervical" and kwargs["category"] == "AxSpA"
    assert kwargs["checksums"] == f"SHA256:{digest}" and kwargs["nodeNames"] == "PhantomC"
    assert kwargs["fileNames"] == "cspine.dcm" and kwargs["loadFileType"] == "VolumeFile"
    assert kwargs["thumbnailFileName"] == str(tmp_path / "cspine.png")
    assert kwargs["loadFileProperties"] == {"singleFile": True}
    # The URI is what SampleData downloads from: it must lead back to the very bytes checksummed.
    assert kwargs["uris"].startswith("file://")
    with urlopen(kwargs["uris"]) as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    assert Path(url2pathname(kwargs["uris"][len("file://"):])) == (tmp_path / "cspine.dcm").resolve()
    [hip_source] = ss.read_sample_manifest(tmp_path, module="HipInflammation")
    assert hip_source.checksum == f"SHA256:{hip}" and hip_source.node_name == "hip"
    assert len(ss.read_sample_manifest(tmp_path)) == 2  # the absent file is skipped


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not a readable JSON"),
    ('{"files": []}', "'samples' list"),
    ('{"samples": [{"file": "a.dcm"}]}', "'name' and 'file'"),
])
def test_bad_manifest_names_the_file_and_problem(tmp_path, text, problem):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError) as raised:
        ss.read_sample_manifest(tmp_path)
    assert str(tmp_path / "manifest.json") in str(raised.value) and problem in str(raised.value)


def test_bad_checksum_in_manifest_is_reported(tmp_path):
    _write(tmp_path, "a.dcm", b"x")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "A", "file": "a.dcm", "sha256": "abc"}]}))
    with pytest.raises(InputError, match="64 hex"):
        ss.read_sample_manifest(tmp_path)


def test_resources_found_installed_or_in_source_tree(tmp_path):
    installed = tmp_path / "qt-scripted-modules"
    (installed / "Resources" / "SampleData").mkdir(parents=True)
    assert ss.find_resources_dir(installed / "AxSpAScoring.py", "SampleData") == \
        (installed / "Resources" / "SampleData").resolve()
    source = tmp_path / "repo"
    (source / "AxSpAScoring").mkdir(parents=True)
    (source / "Resources" / "SampleData").mkdir(parents=True)
    assert ss.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "SampleData") == \
        (source / "Resources" / "SampleData").resolve()
    assert ss.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "Models") is None


# --------------------------------------------------------------------------------------------- packages

def _versions(**installed):
    def version_of(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]
    return version_of


def test_missing_requirements_compares_versions():
    version_of = _versions(monai="1.3.2", numpy="1.26.4", pydicom="2.4.0+local")
    reqs = ["monai>=1.3", "numpy>=2.0", "pydicom>=2.4", "pylibjpeg-openjpeg>=2.0", "scipy"]
    assert ss.missing_requirements(reqs, version_of) == ["numpy>=2.0", "pylibjpeg-openjpeg>=2.0", "scipy"]
    with pytest.raises(ValueError):
        ss.missing_requirements(["??"], version_of)


def test_nothing_missing_asks_nothing():
    def fail(*args, **kwargs):
        raise AssertionError("must not be called")
    assert ss.ensure_packages(["monai>=1.3"], confirm=fail, install=fail,
                              version_of=_versions(monai="1.4.0")) == []


def test_declined_installation_installs_nothing():
    asked, installed = [], []
    with pytest.raises(ss.DependencyError, match="declined"):
        ss.ensure_packages(["monai>=1.3"], confirm=lambda q: asked.append(q) or False,
                           install=installed.append, version_of=_versions())
    assert "monai>=1.3" in asked[0] and installed == []


def test_accepted_installation_installs_only_what_is_missing():
    installed = []
    done = ss.ensure_packages(["monai>=1.3", "numpy"], confirm=lambda q: True, install=installed.append,
                              version_of=_versions(numpy="2.0"))
    assert done == ["monai>=1.3"] and installed == ["monai>=1.3"]


def test_slicer_pip_ensure_is_preferred_and_its_refusal_reported():
    pytest.importorskip("packaging")
    calls = []

    def pip_ensure(requirements, requester=None):
        calls.append(([str(r) for r in requirements], requester))

    ss.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=pip_ensure,
                       requester="Hip Inflammation", version_of=_versions())
    assert calls == [(["monai>=1.3"], "Hip Inflammation")]

    def refuse(requirements, requester=None):
        raise RuntimeError("User declined")
    with pytest.raises(ss.DependencyError, match="declined"):
        ss.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=refuse,
                           version_of=_versions())


def test_find_pip_ensure_looks_where_slicer_keeps_it():
    def pip_ensure(*a, **k):
        return None
    newer = SimpleNamespace(__name__="fake_slicer", packaging=SimpleNamespace(pip_ensure=pip_ensure))
    assert ss.find_pip_ensure(newer) is pip_ensure
    older = SimpleNamespace(__name__="fake_slicer", util=SimpleNamespace(pip_install=print))
    assert ss.find_pip_ensure(older) is None


class _FakeTorchLogic:
    installed = False
    answer = None
    calls: list = []

    @staticmethod
    def torchInstalled():
        return _FakeTorchLogic.installed

    def installTorch(self, askConfirmation=False, torchVersionRequirement=None):
        _FakeTorchLogic.calls.append((askConfirmation, torchVersionRequirement))
        return _FakeTorchLogic.answer


def test_torch_comes_from_the_pytorch_extension_after_asking():
    utils = SimpleNamespace(PyTorchUtilsLogic=_FakeTorchLogic)
    _FakeTorchLogic.calls = []
    _FakeTorchLogic.installed, _FakeTorchLogic.answer = True, None
    ss.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == []  # installed: nothing asked
    _FakeTorchLogic.installed, _FakeTorchLogic.answer = False, object()
    ss.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == [(True, ss.TORCH_REQUIREMENT)]
    _FakeTorchLogic.answer = None  # the user declined
    with pytest.raises(ss.DependencyError, match="not installed"):
        ss.ensure_torch(lambda: utils)


def test_missing_pytorch_extension_says_where_to_get_it():
    def no_extension():
        raise ModuleNotFoundError("No module named 'PyTorchUtils'")
    with pytest.raises(ss.DependencyError, match="Extensions Manager"):
        ss.ensure_torch(no_extension)


# ------------------------------------------------------------------------------------ cancel and progress

def test_cancel_flag_is_the_engine_callback():
    flag = ss.CancelFlag()
    assert flag() is False
    flag.cancel()
    assert flag() is True and flag.is_set
    flag.reset()
    assert flag() is False


def test_progress_is_clamped_and_scaled():
    assert [ss.progress_percent(f) for f in (-1, 0, 0.333, 1, 7, float("nan"))] == [0, 0, 33, 100, 100, 0]
    seen = []
    second_image = ss.scaled_progress(lambda f, m: seen.append((round(f, 3), m)), 0.5, 1.0)
    second_image(0.0, "locating")
    second_image(0.5, "grading")
    second_image(2.0, "done")
    assert seen == [(0.5, "locating"), (0.75, "grading"), (1.0, "done")]
    ss.scaled_progress(None, 0, 1)(0.5, "no bar")  # console use: no callback, no error


# -------------------------------------------------------------------------------------------- display text

def test_msasss_summary_of_an_engine_score():
    from axspa.msasss import total_score
    from axspa.sites import CERVICAL_SITES

    # Cervical: 10 sites graded 1, C3s and C4i unscorable -> raw 10, imputed 10 + 2 * 1 = 12; no lumbar.
    grades = {s: (None if s in ("C3s", "C4i") else 1) for s in CERVICAL_SITES}
    texts = ss.msasss_summary(total_score(grades).to_dict())
    assert texts["cervical"] == "raw 10, score 12 (imputed: C3s, C4i)"
    assert texts["lumbar"].startswith("missing")
    assert texts["total"].startswith("missing")
    assert texts["imputed_sites"] == "C3s, C4i"
    full = ss.msasss_summary({"cervical": {"raw": 11, "imputed": 11.5, "imputed_sites": ["C2i"]},
                              "lumbar": {"raw": 3, "imputed": 3.0, "imputed_sites": []}, "total": 14.5})
    assert full["total"] == "14.5 / 72" and full["lumbar"] == "raw 3, score 3"


def test_sij_summary():
    doc = {"sides": {"right": {"grade": 3, "grade_probabilities": [0.0, 0.1, 0.1, 0.7, 0.1]},
                     "left": {"grade": 1, "grade_probabilities": [0.2, 0.6, 0.1, 0.1, 0.0]}},
           "definite": True, "definite_probability": 0.81}
    assert ss.sij_summary(doc) == {"right": "3 unequivocal (p=0.70)", "left": "1 suspicious (p=0.60)",
                                   "definite": "yes (P(definite)=0.81)"}


def test_hip_rows_from_engine_scores():
    from axspa.hip_scores import HipScoreConfig, hip_scores

    # Identity geometry, 1 mm voxels: coronal slices along array axis 1. Right head on j 10-14
    # (4 x 10 = 40 mm2 per slice), right femoral BME 2 x 5 = 10 mm2 on slices 11 and 12, brighter.
    stir = np.full((8, 40, 40), 100.0)
    head = np.zeros(stir.shape, bool)
    head[0:4, 10:15, 10:20] = True
    bme = np.zeros(stir.shape, bool)
    bme[0:2, 11:13, 10:15] = True
    stir[bme] = 300.0
    sides = hip_scores(stir, {"Right femoral head": head, "Right femoral BME": bme}, np.eye(4),
                       HipScoreConfig())
    rows = {r[0]: r[1:] for r in ss.hip_result_rows(sides)}
    assert rows["Femoral head found"] == ["yes", "no"]
    # Per lesion slice: 10*300 / (30*100 + 10*300) = 0.5 gray value, 10/40 area; two slices.
    assert rows["UNet-score (gray value)"] == ["1.000", "0.000"]
    assert rows["UNet-score (area fraction)"] == ["0.500", "0.000"]
    assert rows["Femoral BME volume (mL)"] == ["0.02", "0.00"]
    assert rows["HIMRISS-style slices, femoral BME"] == ["2", "0"]
    assert rows["HIMRISS-style slices, total"] == ["2", "0"]
    assert rows["Scoring slices"][1] == "none"
    assert len(ss.hip_result_rows(sides)) == 11
    summary = ss.hip_summary(sides)
    assert "Right: UNet-score 1.000, HIMRISS-style total 2" in summary and "Left: not scored" in summary


def test_user_segment_names_are_matched_to_hip_segments():
    masks = {"right  FEMORAL head": 1, "Left femoral BME": 2, "Segment_1": 3, "Right femoral head": 4}
    matched, ignored = ss.match_hip_segments(masks)
    assert matched == {"Right femoral head": 1, "Left femoral BME": 2}
    assert ignored == ["Segment_1", "Right femoral head"]  # a second segment for the same name is not merged


def test_model_job_outcomes_cancel_missing_model_and_errors():
    from axspa.models import ModelMissingError
    from axspa.pipeline import CancelledError
    from axspa.slicer_support import DependencyError, run_model_job

    assert run_model_job(lambda: 42).result == 42

    def cancelled():
        raise CancelledError("grading corners")

    def missing():
        raise ModelMissingError("model bundle 'hip-segmenter' is not installed")

    def declined():
        raise DependencyError("needs monai>=1.3; installation was declined")

    def broken():
        raise ValueError("bad volume")

    assert run_model_job(cancelled).cancelled and run_model_job(cancelled).result is None
    assert "hip-segmenter" in run_model_job(missing).unavailable
    assert "declined" in run_model_job(declined).unavailable
    with pytest.raises(ValueError, match="bad volume"):  # real errors still reach Slicer's error display
        run_model_job(broken)
