"""The model-backed commands: one clear line when a bundle is missing; with a bundle installed,
the real pipeline writes the files of docs/formats.md, goes on past a bad file and never overwrites edits."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from fake_predictors import install_bundle

from axspa.cli import main
from axspa.io.dicom_write import write_radiograph_dicom


@pytest.fixture
def radiograph(tmp_path):
    path = tmp_path / "neck.dcm"
    pixels = (np.arange(200 * 160) % 4096).reshape(200, 160).astype(np.uint16)
    write_radiograph_dicom(path, pixels, spacing_mm=(0.15, 0.15), photometric="MONOCHROME2", seed_uid_from="t")
    return path


@pytest.mark.parametrize("argv, bundle", [
    (["spine", "x.dcm", "--out", "o"], "spine-landmarks"),
    (["sij", "x.dcm", "--out", "o"], "sij-grader"),
    (["hip", "series", "--out", "o"], "hip-segmenter"),
])
def test_missing_bundle_is_one_line_naming_bundle_and_places(argv, bundle, tmp_path, monkeypatch, capsys):
    import axspa.bundles

    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "nowhere"))
    # As an install without the shipped spine bundles would be.
    monkeypatch.setattr(axspa.bundles, "shipped_models_dir", lambda: tmp_path / "no-shipped-models")
    assert main(argv) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"'{bundle}'" in err and str(tmp_path / "nowhere") in err and "Traceback" not in err


def test_missing_bundle_from_the_installed_command_has_no_traceback(tmp_path):
    # Every family ships its bundle: a folder without one stands for an install that lacks it.
    exe = [sys.executable, "-m", "axspa.cli", "sij", str(tmp_path / "a.dcm"), "--model-dir", str(tmp_path / "none"),
           "--out", str(tmp_path)]
    done = subprocess.run(exe, capture_output=True, text=True,
                          env={"AXSPA_MODELS": str(tmp_path), "AXSPA_CACHE": str(tmp_path), "PATH": ""})
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and "sij-grader" in done.stderr


def test_corrupt_weights_are_refused(tmp_path, monkeypatch, capsys, radiograph):
    models = tmp_path / "models"
    install_bundle(models, "sij-grader", "FixedSij", {"right": [1, 0, 0, 0, 0], "left": [1, 0, 0, 0, 0]})
    (models / "sij-grader" / "weights.bin").write_bytes(b"tampered")
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    assert main(["sij", str(radiograph), "--out", str(tmp_path / "out")]) == 3
    assert "sha256" in capsys.readouterr().err


@pytest.fixture
def spine_models(tmp_path, monkeypatch):
    models = tmp_path / "models"
    install_bundle(models, "spine-landmarks", "FixedLandmarks", {"missing": ["T1s"]})
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {
        "C4i": {"syndesmophyte": 0.9}, "C5s": {"bridging": 0.8}, "C3s": {"squaring": 0.9},
        "C6s": {"osteophyte": 0.7}}})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    return models


def test_spine_writes_json_markups_and_csv_with_engine_grades(spine_models, radiograph, tmp_path):
    out = tmp_path / "out"
    assert main(["spine", str(radiograph), "--region", "cervical", "--out", str(out)]) == 0
    doc = json.loads((out / "neck.spine.json").read_text())
    grades = {s["id"]: s["grade"] for s in doc["sites"]}
    # C4/5 bridged (flag on C5s) -> both 3; C3s squaring not counted; C6s osteophyte unscorable;
    # T1s not located -> unscorable with a warning.
    assert grades["C4i"] == 3 and grades["C5s"] == 3 and grades["C3s"] == 0
    assert grades["C6s"] is None and grades["T1s"] is None
    assert any("T1s" in w for w in doc["warnings"])
    assert doc["score"] == {"raw": 6, "imputed": pytest.approx(6 + 2 * 6 / 10), "imputed_sites": ["C6s", "T1s"],
                            "missing": False}
    c2i = next(s for s in doc["sites"] if s["id"] == "C2i")
    assert c2i["point_mm"] == pytest.approx([c2i["point"][0] * 0.15, c2i["point"][1] * 0.15])
    markups = json.loads((out / "neck.mrk.json").read_text())["markups"][0]
    assert [p["label"] for p in markups["controlPoints"]][:3] == ["C2i", "C3s", "C3i"]
    csv_lines = (out / "neck.sites.csv").read_text().splitlines()
    assert csv_lines[0].startswith("site,x,y") and len(csv_lines) == 13


def test_spine_batch_survives_a_bad_file_and_records_why(spine_models, radiograph, tmp_path):
    bad = tmp_path / "notes.dcm"
    bad.write_text("this is not DICOM")
    out = tmp_path / "out"
    assert main(["spine", str(bad), str(radiograph), "--region", "cervical", "--out", str(out)]) == 1
    assert (out / "neck.spine.json").is_file()
    failures = (out / "failures.csv").read_text()
    assert "notes.dcm" in failures


def test_rerun_keeps_a_markups_file_the_user_edited(spine_models, radiograph, tmp_path, capsys):
    out = tmp_path / "out"
    main(["spine", str(radiograph), "--region", "cervical", "--out", str(out)])
    edited = (out / "neck.mrk.json").read_text().replace('"C2i"', '"C2i (moved)"')
    (out / "neck.mrk.json").write_text(edited)
    assert main(["spine", str(radiograph), "--region", "cervical", "--out", str(out)]) == 0
    assert (out / "neck.mrk.json").read_text() == edited
    assert "--overwrite" in capsys.readouterr().out
    main(["spine", str(radiograph), "--region", "cervical", "--out", str(out), "--overwrite"])
    assert "C2i (moved)" not in (out / "neck.mrk.json").read_text()


def test_study_total_from_cervical_and_lumbar(tmp_path, monkeypatch, radiograph):
    models = tmp_path / "models"
    # 'auto' region: the double tells the two views apart by their height.
    install_bundle(models, "spine-landmarks", "FixedLandmarks", {"region_by_rows": {"200": "cervical",
                                                                                    "240": "lumbar"}})
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {
        "L1s": {"erosion": 0.9}, "C2i": {"syndesmophyte": 0.9}, "L5i": {"not_visible": 0.9}}})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    lumbar = tmp_path / "back.dcm"
    write_radiograph_dicom(lumbar, np.zeros((240, 160), np.uint16), spacing_mm=(0.2, 0.2), seed_uid_from="b",
                           body_part="LSPINE")
    out = tmp_path / "out"
    assert main(["spine", str(radiograph), str(lumbar), "--study", "--out", str(out)]) == 0
    study = json.loads((out / "study.json").read_text())
    # cervical 2 (C2i syndesmophyte); lumbar raw 1 with L5i imputed by the mean 1/11.
    assert study["cervical"]["imputed"] == 2
    assert study["lumbar"]["imputed"] == pytest.approx(1 + 1 / 11)
    assert study["total"] == pytest.approx(3 + 1 / 11)
    assert main(["spine", str(radiograph), str(radiograph), "--study", "--out", str(tmp_path / "s")]) != 0


def test_sij_writes_grades_definite_and_heatmap_on_image_grid(tmp_path, monkeypatch, radiograph):
    import nrrd

    models = tmp_path / "models"
    install_bundle(models, "sij-grader", "FixedSij",
                   {"right": [0.0, 0.1, 0.2, 0.7, 0.0], "left": [0.6, 0.3, 0.1, 0.0, 0.0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    out = tmp_path / "out"
    assert main(["sij", str(radiograph), "--out", str(out)]) == 0
    doc = json.loads((out / "neck.sij.json").read_text())
    assert doc["sides"]["right"]["grade"] == 3 and doc["sides"]["left"]["grade"] == 0
    assert doc["definite"] is True  # grade 3 on one side
    # P(R>=3) + P(R=2)·P(L>=2) + P(R<2)·P(L>=3) = 0.7 + 0.2·0.1 + 0.1·0
    assert doc["definite_probability"] == pytest.approx(0.72)
    heat, header = nrrd.read(str(out / "neck.heatmap.nrrd"))
    assert heat.squeeze().size == 200 * 160
