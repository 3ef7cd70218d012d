"""Hip STIR scores (docs/scoring.md) on small volumes whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from axspa.hip.scores import HipScoreConfig, coronal_axis, hip_scores, scoring_slices
from axspa.image import ijk_to_ras_matrix

# Coronal acquisition (LPS directions as DICOM writes them): i to patient left, j to inferior,
# k to posterior. The slice axis k is array axis 0.
CORONAL_LPS = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=float)  # columns i, j, k


def coronal(spacing=(0.5, 0.5, 4.0)) -> np.ndarray:
    return ijk_to_ras_matrix(spacing, (0.0, 0.0, 0.0), CORONAL_LPS)


def box(shape, k, rows, cols) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[k, rows[0]:rows[1], cols[0]:cols[1]] = True
    return m


# ----------------------------------------------------------------------------------- geometry


def test_coronal_axis_for_coronal_axial_sagittal():
    assert coronal_axis(coronal()) == 0  # k = A-P
    axial = ijk_to_ras_matrix((0.7, 0.7, 3.0), (0, 0, 0), np.eye(3))  # i L, j P, k S
    assert coronal_axis(axial) == 1  # j = A-P
    sagittal_lps = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], dtype=float)  # i P, j I, k L
    assert coronal_axis(ijk_to_ras_matrix((1, 1, 1), (0, 0, 0), sagittal_lps)) == 2  # i = A-P


def test_coronal_axis_oblique_and_anisotropic():
    # Coronal tilted 30 degrees about the left-right axis: k still leans most on A-P (cos 30 = 0.87),
    # although j carries sin 30 = 0.5 of it; spacing must not sway the choice (j spacing 10x k).
    a = math.radians(30)
    tilted = np.array([[1, 0, 0], [0, math.sin(a), math.cos(a)], [0, -math.cos(a), math.sin(a)]])
    assert coronal_axis(ijk_to_ras_matrix((0.5, 5.0, 0.5), (0, 0, 0), tilted)) == 0
    # Anterior instead of posterior (negative direction) is the same axis.
    flipped = tilted.copy()
    flipped[:, 2] *= -1
    assert coronal_axis(ijk_to_ras_matrix((0.5, 5.0, 0.5), (0, 0, 0), flipped)) == 0


# ----------------------------------------------------------------------------------- scoring slices


def test_scoring_slices_centre_and_clipping():
    head = np.zeros((20, 8, 8), dtype=bool)
    head[0:4, 2:5, 2:5] = True
    head[1, 2:6, 2:6] = True  # slice 1 has the largest area (16 pixels)
    assert scoring_slices(head, 0, half_width=7) == list(range(0, 9))  # 1-7 clipped to 0, 1+7 = 8
    assert scoring_slices(head, 0, half_width=2) == [0, 1, 2, 3]
    head2 = np.zeros((20, 8, 8), dtype=bool)
    head2[18, 2:4, 2:4] = True
    assert scoring_slices(head2, 0, half_width=7) == list(range(11, 20))  # clipped at the far edge


def test_head_on_a_single_slice_with_no_half_width():
    head = box((9, 6, 6), 4, (1, 3), (1, 3))
    assert scoring_slices(head, 0, half_width=0) == [4]
    assert scoring_slices(np.zeros((9, 6, 6), bool), 0) == []


# ----------------------------------------------------------------------------------- scores


def worked_case(bme_inside_head: bool):
    """Shape (5, 10, 10), spacing i 0.5, j 0.5, k 4 mm: pixel area 0.25 mm2, voxel 1 mm3.
    Right femoral head: slices 1 and 3 a 3x3 square (9 px), slice 2 a 4x4 square (16 px).
    STIR 100 everywhere, 300 in the BME: a 2x2 square on slice 2, one pixel on slice 3."""
    shape = (5, 10, 10)
    head = box(shape, 1, (2, 5), (2, 5)) | box(shape, 2, (2, 6), (2, 6)) | box(shape, 3, (2, 5), (2, 5))
    bme = box(shape, 2, (2, 4), (2, 4)) | box(shape, 3, (2, 3), (2, 3))
    stir = np.full(shape, 100.0)
    stir[bme] = 300.0
    if not bme_inside_head:
        head = head & ~bme  # a label map: BME pixels carry the BME label, not the head's
    return stir, {"Right femoral head": head, "Right femoral BME": bme}


@pytest.mark.parametrize("bme_inside_head", [True, False])
def test_unet_score_by_hand(bme_inside_head):
    stir, masks = worked_case(bme_inside_head)
    side = hip_scores(stir, masks, coronal(), HipScoreConfig(half_width=1))["right"]
    assert side["femoral_head_found"] and side["reason"] is None
    assert side["scoring_slices"] == [1, 2, 3]
    # Slice 1: no BME -> 0. Slice 2: 4*300 / (12*100 + 4*300) = 1200/2400 = 0.5.
    # Slice 3: 300 / (8*100 + 300) = 300/1100.  Sum 0.5 + 0.272727 = 0.772727.
    assert side["unet_score"]["gray_value"] == pytest.approx(0.5 + 300 / 1100)
    # Area fraction: 4/16 + 1/9.
    assert side["unet_score"]["area_fraction"] == pytest.approx(4 / 16 + 1 / 9)
    rows = {r["index"]: r for r in side["slices"]}
    assert rows[2]["head_area_mm2"] == pytest.approx(16 * 0.25)
    assert rows[2]["femoral_bme_area_mm2"] == pytest.approx(4 * 0.25)
    assert rows[1]["gray_value_proportion"] == 0.0
    # BME areas 1.0 and 0.25 mm2 are below 5 mm2: no HIMRISS points.
    assert side["himriss"] == {"femoral_bme": 0, "acetabular_bme": 0, "effusion": 0, "total": 0}
    # 5 BME voxels of 0.5 * 0.5 * 4 = 1 mm3 -> 0.005 mL.
    assert side["lesion_volume_ml"]["Right femoral BME"] == pytest.approx(0.005)


def test_hip_without_lesion_scores_zero():
    stir, masks = worked_case(True)
    masks = {"Right femoral head": masks["Right femoral head"]}
    side = hip_scores(stir, masks, coronal())["right"]
    assert side["scoring_slices"] == [0, 1, 2, 3, 4]  # 2 +- 7 clipped to the 5 slices
    assert side["unet_score"] == {"gray_value": 0.0, "area_fraction": 0.0}
    assert side["himriss"]["total"] == 0
    assert all(r["gray_value_proportion"] == 0.0 and r["femoral_bme_area_mm2"] == 0.0 for r in side["slices"])
    # Slices 0 and 4 hold no head: they are scoring slices that contribute 0.
    assert [r["head_area_mm2"] for r in side["slices"]] == [0.0, 2.25, 4.0, 2.25, 0.0]
    assert set(side["lesion_volume_ml"].values()) == {0.0}


def test_no_femoral_head_found():
    stir, masks = worked_case(True)
    result = hip_scores(stir, masks, coronal())
    left = result["left"]
    assert left["femoral_head_found"] is False
    assert "Left femoral head" in left["reason"]
    assert left["scoring_slices"] == [] and left["slices"] == []
    assert left["unet_score"] == {"gray_value": 0.0, "area_fraction": 0.0}
    assert left["himriss"]["total"] == 0
    assert result["right"]["femoral_head_found"] is True  # the other side is untouched


@pytest.mark.parametrize("pixels, counted", [(19, 0), (20, 1), (21, 1)])
def test_himriss_minimum_area(pixels, counted):
    # Pixel area 0.5 * 0.5 = 0.25 mm2: 19 px = 4.75 mm2 (below 5), 20 px = 5.0, 21 px = 5.25.
    shape = (3, 12, 12)
    head = np.zeros(shape, bool)
    head[1, 1:11, 1:11] = True
    effusion = np.zeros(shape, bool)
    effusion[1].flat[:pixels] = True
    acet_bme = np.zeros(shape, bool)
    acet_bme[1, 0, :pixels // 2] = True  # below the threshold either way (at most 2.5 mm2)
    masks = {"Left femoral head": head, "Left effusion-synovitis": effusion, "Left acetabular BME": acet_bme}
    side = hip_scores(np.ones(shape), masks, coronal(), HipScoreConfig(half_width=0))["left"]
    assert side["scoring_slices"] == [1]
    assert side["himriss"] == {"femoral_bme": 0, "acetabular_bme": 0, "effusion": counted, "total": counted}
    assert side["slices"][0]["effusion_area_mm2"] == pytest.approx(pixels * 0.25)


def test_himriss_counts_each_scoring_slice():
    shape = (6, 12, 12)
    head = np.zeros(shape, bool)
    head[1:5, 2:10, 2:10] = True
    bme = np.zeros(shape, bool)
    bme[1:4, 2:8, 2:8] = True  # 36 px = 9 mm2 on slices 1, 2, 3
    side = hip_scores(np.ones(shape), {"Right femoral head": head, "Right femoral BME": bme},
                      coronal(), HipScoreConfig(half_width=7, min_lesion_area_mm2=5.0))["right"]
    assert side["himriss"] == {"femoral_bme": 3, "acetabular_bme": 0, "effusion": 0, "total": 3}
    # A higher threshold (10 mm2) drops them all.
    side = hip_scores(np.ones(shape), {"Right femoral head": head, "Right femoral BME": bme},
                      coronal(), HipScoreConfig(min_lesion_area_mm2=10.0))["right"]
    assert side["himriss"]["total"] == 0


def test_lesion_volume_from_anisotropic_spacing():
    # Spacing i 0.5, j 0.8, k 4.0 mm -> voxel 1.6 mm3; 250 effusion voxels = 400 mm3 = 0.4 mL.
    shape = (5, 10, 10)
    effusion = np.zeros(shape, bool)
    effusion[0:5, 0:5, 0:10] = True  # 5 * 5 * 10 = 250
    head = box(shape, 2, (6, 9), (6, 9))
    side = hip_scores(np.ones(shape), {"Right femoral head": head, "Right effusion-synovitis": effusion},
                      coronal((0.5, 0.8, 4.0)))["right"]
    assert side["lesion_volume_ml"] == {"Right femoral BME": 0.0, "Right acetabular BME": 0.0,
                                        "Right effusion-synovitis": pytest.approx(0.4)}
    # In-plane pixel area is i * j = 0.4 mm2, not involving the 4 mm slice thickness.
    assert side["slices"][0]["effusion_area_mm2"] == pytest.approx(50 * 0.4)


def test_axial_volume_scored_across_array_axis_1():
    # An axial volume (k = S): coronal slices are array axis 1 (j = A-P). The head is largest at j = 6.
    shape = (8, 10, 8)
    head = np.zeros(shape, bool)
    head[2:6, 5:8, 2:6] = True
    head[1:7, 6, 1:7] = True
    m = ijk_to_ras_matrix((1.0, 1.0, 2.0), (0, 0, 0), np.eye(3))
    side = hip_scores(np.ones(shape), {"Right femoral head": head}, m, HipScoreConfig(half_width=1))["right"]
    assert side["scoring_slices"] == [5, 6, 7]
    # Pixel area on an axis-1 slice is i * k = 1 * 2 mm2; slice 6 holds 6 * 6 = 36 pixels.
    assert side["slices"][1]["head_area_mm2"] == pytest.approx(72.0)


def test_bad_masks_rejected():
    stir = np.ones((3, 4, 4))
    with pytest.raises(ValueError, match="unknown hip segment"):
        hip_scores(stir, {"Right femur": np.zeros((3, 4, 4), bool)}, coronal())
    with pytest.raises(ValueError, match="shape"):
        hip_scores(stir, {"Right femoral head": np.zeros((3, 4, 5), bool)}, coronal())
