"""Hip scoring on real anatomy and real DICOM geometry: the 8 coronal pelvis MRI series with their
manual bone masks (../shared/data/pelvis-mri-t1; T1, not STIR, so no lesions: this checks geometry,
sides and scoring slices, not lesion scores). Skipped when the data is absent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.cli import main
from axspa.hip.reference import reference_femurs
from axspa.hip.scores import coronal_axis, hip_scores
from axspa.hip.segments import HIP_SEGMENTS
from axspa.io.nrrdfile import read_nrrd
from axspa.io.segfile import write_seg_nrrd
from axspa.io.volume import read_volume

PATIENTS = [f"patient{n:02d}" for n in range(1, 9)]


def femoral_masks(pelvis_mri_dir, patient):
    """The series and its femur label split into patient right/left by RAS x against the sacrum's midline."""
    volume = read_volume(pelvis_mri_dir / patient / "dicom")
    labels, labels_ijk_to_ras = read_nrrd(pelvis_mri_dir / patient / "bone-labels.nrrd")
    assert labels.shape == volume.array.shape
    assert np.allclose(labels_ijk_to_ras, volume.ijk_to_ras, atol=1e-3)
    femurs = reference_femurs(volume, labels)
    return volume, {"Right femoral head": femurs["right"], "Left femoral head": femurs["left"]}


@pytest.mark.parametrize("patient", PATIENTS)
def test_both_femoral_heads_are_found_on_matching_coronal_slices(pelvis_mri_dir, patient):
    volume, masks = femoral_masks(pelvis_mri_dir, patient)
    assert coronal_axis(volume.ijk_to_ras) == 0  # slices of a coronal series step anterior-posterior
    sides = hip_scores(volume.array, masks, volume.ijk_to_ras)
    centres = {}
    for side in ("right", "left"):
        s = sides[side]
        assert s["femoral_head_found"]
        slices = s["scoring_slices"]
        assert len(slices) == 15 and slices == list(range(slices[0], slices[0] + 15))
        centres[side] = slices[7]
        # A femur without lesion segments scores zero everywhere.
        assert s["unet_score"] == {"gray_value": 0.0, "area_fraction": 0.0} and s["himriss"]["total"] == 0
    # The femoral heads of one patient are at the same depth: largest areas within 3 slices (15.6 mm).
    assert abs(centres["right"] - centres["left"]) <= 3


def test_cli_scores_a_real_dicom_series_with_a_reader_segmentation(pelvis_mri_dir, tmp_path):
    volume, masks = femoral_masks(pelvis_mri_dir, "patient01")
    seg = tmp_path / "reader.seg.nrrd"
    write_seg_nrrd(seg, masks, volume.ijk_to_ras, segments=HIP_SEGMENTS)
    out = tmp_path / "out"
    assert main(["hip", str(pelvis_mri_dir / "patient01" / "dicom"), "--seg", str(seg), "--out", str(out)]) == 0
    doc = json.loads((out / "hip.json").read_text())
    assert doc["sides"]["right"]["femoral_head_found"] and doc["sides"]["left"]["femoral_head_found"]
    rows = (out / "dicom.slices.csv").read_text().splitlines()
    assert rows[0].startswith("side,") and len(rows) == 1 + 30  # 15 scoring slices per side
