"""Output names are unique and stable for every input set (issue 8, class 1): inputs sharing a file name
(every DICOM export is IM0001...) never write one result under another's name, in one call or across
calls into the same folder, and the same inputs get the same names again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fake_predictors import install_bundle

from axspa.cli import main
from axspa.io.dicom_write import write_radiograph_dicom
from axspa.results import sha256_file, unique_stems

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"


def _film(path: Path, offset: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = ((np.arange(120 * 100) + offset) % 4096).reshape(120, 100).astype(np.uint16)
    write_radiograph_dicom(path, pixels, spacing_mm=(0.15, 0.15), photometric="MONOCHROME2",
                           seed_uid_from=str(offset))
    return path


@pytest.fixture
def films(tmp_path):
    return _film(tmp_path / "a" / "IM0001.dcm", 1), _film(tmp_path / "b" / "IM0001.dcm", 2)


@pytest.fixture
def models(tmp_path, monkeypatch):
    models = tmp_path / "models"
    install_bundle(models, "spine-landmarks", "FixedLandmarks", {})
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {}})
    install_bundle(models, "sij-grader", "FixedSij", {"right": [1, 0, 0, 0, 0], "left": [0, 0, 0, 1, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    return models


def _owners(out: Path, pattern: str) -> dict[str, str]:
    return {p.name: json.loads(p.read_text())["input"]["sha256"] for p in sorted(out.glob(pattern))}


def test_unique_stems_are_stable_whatever_the_order():
    first = unique_stems(["b/IM0001.dcm", "a/IM0001.dcm", "c/x.dcm"], lambda stem, item: False)
    again = unique_stems(["a/IM0001.dcm", "c/x.dcm", "b/IM0001.dcm"], lambda stem, item: False)
    assert first == again == {"a/IM0001.dcm": "IM0001", "b/IM0001.dcm": "b_IM0001", "c/x.dcm": "x"}
    # a name the folder holds for another input is skipped; names differing only in case collide
    assert unique_stems(["a/IM0001.dcm", "b/im0001.dcm"], lambda stem, item: stem == "a_IM0001") == \
        {"a/IM0001.dcm": "IM0001", "b/im0001.dcm": "b_im0001"}


@pytest.mark.parametrize("command, suffix", [("spine", ".spine.json"), ("sij", ".sij.json")])
def test_inputs_sharing_a_file_name_get_their_own_results(command, suffix, models, films, tmp_path, capsys):
    a, b = films
    out = tmp_path / "out"
    region = ["--region", "cervical"] if command == "spine" else []
    assert main([command, str(b), str(a), *region, "--out", str(out)]) == 0
    owners = _owners(out, f"*{suffix}")
    assert owners == {f"IM0001{suffix}": sha256_file(a), f"b_IM0001{suffix}": sha256_file(b)}
    # the same inputs again, in another order: same names, nothing kept, nothing new
    names = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    assert main([command, str(a), str(b), *region, "--out", str(out)]) == 0
    assert "kept" not in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == names


@pytest.mark.parametrize("command, suffix", [("spine", ".spine.json"), ("sij", ".sij.json")])
def test_a_later_call_never_writes_under_another_inputs_name(command, suffix, models, films, tmp_path, capsys):
    a, b = films
    out = tmp_path / "out"
    region = ["--region", "cervical"] if command == "spine" else []
    assert main([command, str(a), *region, "--out", str(out)]) == 0
    for extra in ([], ["--overwrite"]):
        assert main([command, str(b), *region, "--out", str(out), *extra]) == 0
        assert "kept" not in capsys.readouterr().out
        assert _owners(out, f"*{suffix}") == {f"IM0001{suffix}": sha256_file(a), f"b_IM0001{suffix}": sha256_file(b)}


def test_hip_into_a_folder_holding_another_case_keeps_both(tmp_path, capsys):
    cases = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(SAMPLE / "AxSpA-HipSTIR.nrrd", folder / "stir.nrrd")
        cases.append(folder / "stir.nrrd")
    seg = SAMPLE / "AxSpA-HipSTIR.seg.nrrd"
    out = tmp_path / "out"
    for case in cases:
        assert main(["hip", str(case), "--seg", str(seg), "--out", str(out), "--min-area", "0"]) == 0
    first = json.loads((out / "hip.json").read_text())
    second = json.loads((out / "two_stir.hip.json").read_text())
    assert first["input"]["path"] == str(cases[0]) and second["input"]["path"] == str(cases[1])
    assert (out / "stir.slices.csv").is_file() and (out / "two_stir.slices.csv").is_file()
    # again: the same names, nothing kept
    capsys.readouterr()
    names = sorted(p.name for p in out.iterdir())
    for case in reversed(cases):
        assert main(["hip", str(case), "--seg", str(seg), "--out", str(out), "--min-area", "0"]) == 0
    assert "kept" not in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == names


def test_a_second_study_in_a_folder_gets_its_own_study_file(tmp_path, monkeypatch, capsys):
    models = tmp_path / "models"
    install_bundle(models, "spine-landmarks", "FixedLandmarks", {"region_by_rows": {"130": "lumbar"}})
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {}})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    out = tmp_path / "out"
    pairs = []
    for n, visit in enumerate(("a", "b")):
        neck = _film(tmp_path / visit / "c.dcm", 10 * n + 1)
        low = tmp_path / visit / "l.dcm"
        pixels = ((np.arange(130 * 100) + n) % 4096).reshape(130, 100).astype(np.uint16)
        write_radiograph_dicom(low, pixels, spacing_mm=(0.15, 0.15), photometric="MONOCHROME2",
                               seed_uid_from=f"l{n}", body_part="LSPINE")
        pairs.append((neck, low))
        assert main(["spine", str(neck), str(low), "--study", "--out", str(out)]) == 0
    assert "kept" not in capsys.readouterr().out
    first = json.loads((out / "study.json").read_text())
    second = json.loads((out / "b_c_b_l.study.json").read_text())
    assert first["inputs"] == [str(p) for p in pairs[0]] and second["inputs"] == [str(p) for p in pairs[1]]
