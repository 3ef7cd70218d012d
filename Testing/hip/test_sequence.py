"""axspa.hip.sequence: a series that does not look like STIR or fat-suppressed is scored with a warning,
by its tags and by the brightness of the femoral-head marrow. Phantom STIR never warns; the real T1 series
of ../shared/data/pelvis-mri-t1 always do (skipped when the data is absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.cli import main
from axspa.hip.segments import HIP_SEGMENTS
from axspa.hip.sequence import MARROW_BRIGHT, marrow_brightness, sequence_warnings, tag_problem
from axspa.image import Volume
from axspa.io.nrrdfile import read_nrrd
from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
from axspa.io.volume import read_volume

FEMUR = 1
PATIENTS = [f"patient{n:02d}" for n in range(1, 9)]


@pytest.mark.parametrize("meta", [
    {"series_description": "STIR_COR_HIPS", "scanning_sequence": "IR"},
    {"series_description": "t2_tirm_cor", "sequence": "*tir2d1_7"},
    {"series_description": "COR PD FS"},
    {"series_description": "cor_t2fs_hips"},
    {"protocol": "T2 SPAIR coronal"},
    {"series_description": "Cor T2 fat sat"},
    {"series_description": "COR IR", "scanning_sequence": "IR", "inversion_time": "160",
     "magnetic_field_strength": "1.5"},
    {"series_description": "COR IR", "scanning_sequence": "SE\\IR", "inversion_time": "220",
     "magnetic_field_strength": "3"},
    {},  # a NRRD or NIfTI file: no tags, nothing to tell
])
def test_stir_and_fat_suppressed_tags_do_not_warn(meta):
    assert tag_problem(meta) is None


@pytest.mark.parametrize("meta, words", [
    ({"series_description": "t1_tse_cor limf nodes CM", "scanning_sequence": "SE"}, "T1 sequence"),
    ({"series_description": "COR T1W"}, "T1 sequence"),
    ({"series_description": "cor pd fse", "scanning_sequence": "SE"}, "does not look like STIR"),
    ({"series_description": "COR IR", "scanning_sequence": "IR", "inversion_time": "2500",
      "magnetic_field_strength": "1.5"}, "does not look like STIR"),  # FLAIR-like: fluid nulled, not fat
    ({"series_description": "COR IR", "scanning_sequence": "IR", "inversion_time": "120",
      "magnetic_field_strength": "3.0"}, "does not look like STIR"),  # too short to null fat at 3 T
])
def test_other_sequences_warn_naming_the_series(meta, words):
    problem = tag_problem(meta)
    assert problem is not None and words in problem and meta["series_description"] in problem


def _volume(marrow: float) -> tuple[Volume, dict]:
    """Body at 0.2 with a bright (fluid, 1.0) region and a femoral head of ``marrow``."""
    array = np.zeros((6, 40, 40), np.float32)
    array[:, 5:35, 5:35] = 0.2
    array[:, 8:18, 8:18] = 1.0
    array[:, 20:30, 20:30] = marrow
    head = np.zeros(array.shape, bool)
    head[:, 20:30, 20:30] = True
    return Volume(array, np.diag([0.8, 0.8, 4.0, 1.0]), path="v.nrrd"), {"Right femoral head": head}


def test_marrow_brightness_tells_bright_from_dark_marrow():
    dark, dark_masks = _volume(0.1)
    bright, bright_masks = _volume(0.9)
    assert marrow_brightness(dark.array, dark_masks["Right femoral head"]) == pytest.approx(0.1)
    assert marrow_brightness(bright.array, bright_masks["Right femoral head"]) == pytest.approx(0.9)
    assert sequence_warnings(dark, dark_masks) == []
    (warning,) = sequence_warnings(bright, bright_masks)
    assert warning.startswith("marrow bright") and "T1" in warning and "edema" in warning
    assert np.isnan(marrow_brightness(dark.array, np.zeros(dark.array.shape, bool)))
    assert sequence_warnings(bright, {}) == [] and sequence_warnings(bright) == []  # no heads: nothing to tell


def test_phantom_stir_does_not_warn(tmp_path):
    # Generator 2: fat suppression working everywhere. Generator 3 draws failed fat suppression on purpose, and
    # a case where it failed over the heads may come near the warning, as a real one should.
    assert main(["phantom", "hip", "--generator", "2", "--n", "4", "--seed", "21", "--size", "small",
                 "--out", str(tmp_path)]) == 0
    for case in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        volume = read_volume(case / "dicom")
        masks, _ = read_seg_nrrd(case / "truth.seg.nrrd")
        assert sequence_warnings(volume, masks) == []
        heads = masks["Right femoral head"] | masks["Left femoral head"]
        assert marrow_brightness(volume.array, heads) < MARROW_BRIGHT - 0.03  # with a margin


def _femurs(pelvis_mri_dir, patient):
    volume = read_volume(pelvis_mri_dir / patient / "dicom")
    labels, _ = read_nrrd(pelvis_mri_dir / patient / "bone-labels.nrrd")
    return volume, labels == FEMUR


@pytest.mark.parametrize("patient", PATIENTS)
def test_real_t1_series_warn_by_tags_and_by_contrast(pelvis_mri_dir, patient):
    volume, femur = _femurs(pelvis_mri_dir, patient)
    assert marrow_brightness(volume.array, femur) > MARROW_BRIGHT + 0.03
    # without its tags (as a NRRD file would be) the contrast alone still warns
    volume.meta = {}
    (warning,) = sequence_warnings(volume, {"Right femoral head": femur})
    assert warning.startswith("marrow bright")


def test_hip_json_of_a_real_t1_series_carries_both_warnings(pelvis_mri_dir, tmp_path, capsys):
    volume, femur = _femurs(pelvis_mri_dir, "patient01")
    seg = tmp_path / "reader.seg.nrrd"
    write_seg_nrrd(seg, {"Right femoral head": femur}, volume.ijk_to_ras, segments=HIP_SEGMENTS)
    assert main(["hip", str(pelvis_mri_dir / "patient01" / "dicom"), "--seg", str(seg), "--out",
                 str(tmp_path / "out")]) == 0
    warnings = json.loads((tmp_path / "out" / "hip.json").read_text())["warnings"]
    assert any("T1 sequence" in w for w in warnings) and any(w.startswith("marrow bright") for w in warnings)
    assert "axspa hip: warning: marrow bright" in capsys.readouterr().err


def test_hip_json_of_a_phantom_stir_has_no_sequence_warning(tmp_path):
    assert main(["phantom", "hip", "--n", "1", "--seed", "5", "--size", "small", "--out", str(tmp_path / "t")]) == 0
    case = tmp_path / "t" / "hip-00000"
    assert main(["hip", str(case / "dicom"), "--seg", str(case / "truth.seg.nrrd"), "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "hip.json").read_text())["warnings"] == []
