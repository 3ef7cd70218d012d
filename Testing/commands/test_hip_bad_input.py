"""axspa hip on bad input (issue 10 "Bad input"): one line naming the problem and exit code 2, or a warning in
the result; never a traceback, and the model never runs on what it was not made for. And a folder holding
several series: the one coronal STIR series is scored, saying so, or the series are listed to choose from."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from fake_predictors import BoxHips, install_bundle

from axspa.cli import main
from axspa.hip import inputs
from axspa.hip.segments import HIP_SEGMENTS
from axspa.io.dicom_write import write_series_dicom
from axspa.io.segfile import write_seg_nrrd
from axspa.io.volume import list_series, read_volume

# RAS IJK-to-RAS of series written by write_series_dicom (k must follow i x j).
CORONAL = np.array([[-0.8, 0, 0, 0], [0, 0, -4.0, 0], [0, -0.8, 0, 0], [0, 0, 0, 1]])  # i to R->L, j down, k A->P
AXIAL = np.diag([-0.8, -0.8, 4.0, 1.0])
SAGITTAL = np.array([[0, 0, 4.0, 0], [-0.8, 0, 0, 0], [0, -0.8, 0, 0], [0, 0, 0, 1]])  # k L->R


@pytest.fixture
def model(tmp_path, monkeypatch):
    """A hip model that segments one box; its calls are counted."""
    install_bundle(tmp_path / "models", "hip-segmenter", "BoxHips",
                   {"boxes": {"Right femoral head": [[0, 2], [4, 8], [4, 8]]}})
    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "models"))
    BoxHips.CALLS.clear()
    return BoxHips


@pytest.fixture(scope="module")
def phantom(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("phantom")
    assert main(["phantom", "hip", "--n", "1", "--seed", "3", "--size", "small", "--out", str(out)]) == 0
    return out / "hip-00000"


def _series(folder: Path, ijk_to_ras: np.ndarray, slices: int = 4, **kwargs) -> Path:
    array = (np.arange(slices * 16 * 12) % 300).reshape(slices, 16, 12).astype(np.int16)
    write_series_dicom(folder, array, ijk_to_ras, seed_uid_from=str(folder), **kwargs)
    return folder


def _one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("geometry, words", [(AXIAL, "is an axial series"), (SAGITTAL, "is a sagittal series")])
def test_an_axial_or_sagittal_series_is_refused_before_the_model_runs(geometry, words, model, tmp_path, capsys):
    folder = _series(tmp_path / "dicom", geometry)
    assert main(["hip", str(folder), "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(folder), words, "coronal")
    assert model.CALLS == []


def test_an_axial_series_with_a_reader_segmentation_is_scored_with_a_warning(tmp_path, capsys):
    folder = _series(tmp_path / "dicom", AXIAL)
    volume = read_volume(folder)
    head = np.zeros(volume.array.shape, bool)
    head[1:3, 4:10, 3:8] = True
    seg = tmp_path / "reader.seg.nrrd"
    write_seg_nrrd(seg, {"Right femoral head": head}, volume.ijk_to_ras, segments=HIP_SEGMENTS)
    assert main(["hip", str(folder), "--seg", str(seg), "--out", str(tmp_path / "out")]) == 0
    warnings = json.loads((tmp_path / "out" / "hip.json").read_text())["warnings"]
    assert any("is an axial series" in w for w in warnings)
    assert "axspa hip: warning:" in capsys.readouterr().err


def test_a_single_slice_is_refused_before_the_model_runs(model, tmp_path, capsys):
    folder = _series(tmp_path / "dicom", CORONAL, slices=1)
    assert main(["hip", str(folder), "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, "holds a single slice")
    assert model.CALLS == []


def test_a_coronal_series_reaches_the_model(model, tmp_path, capsys):
    folder = _series(tmp_path / "dicom", CORONAL)
    assert main(["hip", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert model.CALLS == [(4, 16, 12)]


def test_a_2d_image_is_refused(tmp_path, capsys):
    import SimpleITK as sitk  # noqa: N813

    path = tmp_path / "slice.nrrd"
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((16, 12), np.int16)), str(path))
    assert main(["hip", str(path), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(path), "2D image", "3D volume")
    png = tmp_path / "slice.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert main(["hip", str(png), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(png), "not a volume")


def test_a_series_without_orientation_is_refused_naming_the_missing_geometry(tmp_path, capsys):
    folder = _series(tmp_path / "dicom", CORONAL)
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        del ds.ImageOrientationPatient
        ds.save_as(path)
    assert main(["hip", str(folder), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(folder), "no ImageOrientationPatient", "geometry missing")


def test_a_series_without_pixel_spacing_is_refused(tmp_path, capsys):
    folder = _series(tmp_path / "dicom", CORONAL)
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        del ds.PixelSpacing
        ds.save_as(path)
    assert main(["hip", str(folder), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(folder), "spacing unknown")


def test_a_1_gb_volume_is_refused_by_size_before_reading(tmp_path, capsys):
    path = tmp_path / "huge.nrrd"  # a header stating 1 GB of 16-bit voxels; its data is not even there
    path.write_text("NRRD0004\ntype: short\ndimension: 3\nsizes: 1024 1024 512\nspace: left-posterior-superior\n"
                    "space directions: (0.5,0,0) (0,0,-0.5) (0,1,0)\nencoding: raw\nendian: little\n\n")
    assert main(["hip", str(path), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(path), "537 million voxels", "at most 134 million voxels")


def test_a_dicom_folder_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch, capsys):
    folder = _series(tmp_path / "dicom", CORONAL)
    monkeypatch.setattr(inputs, "MAX_VOXELS", 4 * 16 * 12 - 1)
    monkeypatch.setattr("axspa.io.volume.read_volume", _must_not_read)
    assert main(["hip", str(folder), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, str(folder), "4 slices of 16 x 12", "at most")


def _must_not_read(*args, **kwargs):
    raise AssertionError("read before the size check")


def test_a_folder_without_dicom_is_refused(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    assert main(["hip", str(tmp_path / "notes"), "--seg", "x.seg.nrrd", "--out", str(tmp_path / "out")]) == 2
    _one_line_error(capsys, "no DICOM image series found")


def test_a_t1_series_is_scored_with_a_warning(phantom, tmp_path, capsys):
    volume = read_volume(phantom / "dicom")
    folder = tmp_path / "t1"
    write_series_dicom(folder, volume.array.astype(np.uint16), volume.ijk_to_ras, series_description="t1_tse_cor",
                       sequence="SE", seed_uid_from="t1")
    assert main(["hip", str(folder), "--seg", str(phantom / "truth.seg.nrrd"), "--out", str(tmp_path / "o")]) == 0
    (warning,) = json.loads((tmp_path / "o" / "hip.json").read_text())["warnings"]
    assert "'t1_tse_cor' is named as a T1 sequence" in warning
    assert "axspa hip: warning: series 't1_tse_cor'" in capsys.readouterr().err


# ------------------------------------------------------------------ a folder holding several series

def _study(phantom: Path, tmp_path: Path, other: str) -> Path:
    """The phantom's coronal STIR series beside the same image rewritten as ``other``: 'axial', 't1' or 'stir'
    (a second coronal STIR series)."""
    study = tmp_path / "study"
    shutil.copytree(phantom / "dicom", study / "stir")
    volume = read_volume(phantom / "dicom")
    pixels = volume.array.astype(np.uint16)
    if other == "axial":
        write_series_dicom(study / "ax", pixels, AXIAL, series_description="STIR_AX", seed_uid_from="ax")
    else:
        description, sequence = ("t1_tse_cor", "SE") if other == "t1" else ("STIR_COR_2", "STIR")
        write_series_dicom(study / f"other-{other}", pixels, volume.ijk_to_ras, series_description=description,
                           sequence=sequence, seed_uid_from=other)
    return study


def _uid(folder: Path) -> str:
    (series,) = list_series(folder)
    return series.uid


@pytest.mark.parametrize("other", ["axial", "t1"])
def test_the_one_coronal_stir_series_of_a_folder_is_scored_saying_so(other, phantom, tmp_path, capsys):
    study = _study(phantom, tmp_path, other)
    seg = phantom / "truth.seg.nrrd"
    assert main(["hip", str(study), "--seg", str(seg), "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "hip.json").read_text())
    assert doc["input"]["series_uid"] == _uid(study / "stir")
    (note,) = doc["warnings"]
    assert "holds 2 series; scored the coronal STIR series 'STIR_COR_HIPS'" in note
    assert "--series-uid" in note and ("axial" in note if other == "axial" else "t1_tse_cor" in note)
    assert "scored the coronal STIR series" in capsys.readouterr().err
    # the same again: the same names, nothing kept
    assert main(["hip", str(study), "--seg", str(seg), "--out", str(tmp_path / "o")]) == 0
    assert "kept" not in capsys.readouterr().out and not (tmp_path / "o" / "dicom.hip.json").exists()


def test_a_folder_with_two_coronal_stir_series_lists_them_to_choose(phantom, tmp_path, capsys):
    study = _study(phantom, tmp_path, "stir")
    assert main(["hip", str(study), "--seg", str(phantom / "truth.seg.nrrd"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "holds 2 DICOM series and 2 of them are coronal STIR series" in err and "--series-uid UID" in err
    assert re.search(r"'STIR_COR_HIPS' coronal, \d+ slices, STIR-like", err) and "'STIR_COR_2' coronal" in err
    assert "Traceback" not in err
    uid = _uid(study / "stir")
    assert main(["hip", str(study), "--series-uid", uid, "--seg", str(phantom / "truth.seg.nrrd"),
                 "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "hip.json").read_text())["warnings"] == []


def test_a_chosen_t1_series_is_scored_with_its_warning(phantom, tmp_path):
    study = _study(phantom, tmp_path, "t1")
    assert main(["hip", str(study), "--series-uid", _uid(study / "other-t1"), "--seg", str(phantom / "truth.seg.nrrd"),
                 "--out", str(tmp_path / "o")]) == 0
    (warning,) = json.loads((tmp_path / "o" / "hip.json").read_text())["warnings"]
    assert "T1 sequence" in warning
