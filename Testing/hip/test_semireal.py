"""Semireal hip cases (axspa.hip.semireal): the STIR-like mapping, femoral heads from bone labels and
painted edema, on small synthetic volumes (always run) and on the real T1 pelvis series with bone
labels (../shared/data/pelvis-mri-t1; skipped when absent)."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.hip.reference import reference_femurs
from axspa.hip.semireal import draw_case, femoral_head, paint_edema, semireal_cases, stir_like
from axspa.image import Volume
from axspa.io.nrrdfile import read_nrrd
from axspa.io.volume import read_volume

# Coronal-like grid: i to patient left 1 mm, j down (inferior) 1 mm, k posterior 3 mm.
IJK_TO_RAS = np.array([[-1.0, 0, 0, 0], [0, 0, -3.0, 0], [0, -1.0, 0, 0], [0, 0, 0, 1.0]])
SPACING = (1.0, 1.0, 3.0)  # (i, j, k) as Volume.spacing
SHAPE = (20, 90, 60)  # [k, j, i]


def _mm(shape=SHAPE):
    k, j, i = np.indices(shape).astype(float)
    return k * 3.0, j * 1.0, i * 1.0


def synthetic_femur(radius: float = 20.0) -> np.ndarray:
    """A ball (the head) centred at (30, 30, 30) mm with a 9 mm shaft running inferior from it."""
    z, y, x = _mm()
    ball = (z - 30) ** 2 + (y - 30) ** 2 + (x - 30) ** 2 <= radius ** 2
    shaft = ((z - 30) ** 2 + (x - 30) ** 2 <= 9.0 ** 2) & (y >= 30)
    return ball | shaft


def test_stir_like_makes_fat_darker_than_muscle_and_keeps_the_grid():
    rng = np.random.default_rng(0)
    t1 = np.zeros(SHAPE, np.float32)
    t1[:, 10:80, 5:55] = 1000.0  # bright fat
    t1[:, 30:60, 20:40] = 400.0  # dim muscle
    t1 += rng.normal(0, 15, SHAPE).astype(np.float32)
    out = stir_like(t1)
    assert out.shape == t1.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 4095.0
    fat, muscle = np.median(out[:, 12:25, 8:15]), np.median(out[:, 40:50, 25:35])
    assert fat < 0.5 * muscle
    assert np.median(out[:, 85:, :]) < fat  # air stays black
    assert out[:, 40:50, 25:35].std() > 0  # noise kept


def test_femoral_head_centre_and_radius_from_the_distance_transform():
    femur = synthetic_femur(20.0)
    region, centre, radius = femoral_head(femur, IJK_TO_RAS)
    assert 19.0 <= radius <= 23.0
    assert np.allclose(centre, (10, 30, 30), atol=1)
    assert (region <= femur).all() and region.sum() > 0.8 * (4 / 3 * np.pi * 20 ** 3) / 3.0


def _head():
    return femoral_head(synthetic_femur(20.0), IJK_TO_RAS)[0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_paint_edema_truth_inside_the_head_and_in_range(seed):
    head = _head()
    stir = np.full(SHAPE, 80.0, np.float32)
    image, truth = paint_edema(stir, head, np.random.default_rng(seed), SPACING)
    assert truth.any() and (truth <= head).all()
    assert 0.3 <= truth.sum() * np.prod(SPACING) / 1000.0 <= 6.0
    assert image[truth].mean() > 4 * 80.0  # edema at 0.5-1 x fluid (1000) is bright on the dark marrow
    assert np.array_equal(image[~head], stir[~head])  # painted only inside the head


def test_paint_edema_is_deterministic_by_seed():
    head, stir = _head(), np.full(SHAPE, 80.0, np.float32)
    a = paint_edema(stir, head, np.random.default_rng(7), SPACING)
    b = paint_edema(stir, head, np.random.default_rng(7), SPACING)
    c = paint_edema(stir, head, np.random.default_rng(8), SPACING)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_clean_heads_get_empty_truth_and_an_untouched_image():
    region, centre, radius = femoral_head(synthetic_femur(20.0), IJK_TO_RAS)
    heads = {"right": (region, centre, radius)}
    stir = np.full(SHAPE, 80.0, np.float32)
    t1 = Volume(stir, IJK_TO_RAS)
    clean = painted = 0
    for seed in range(12):
        volume, truth = draw_case(stir, t1, heads, np.random.default_rng(seed))
        assert np.array_equal(volume.ijk_to_ras, IJK_TO_RAS)
        if truth["right"].any():
            painted += 1
            assert volume.meta["painted_ml"]["right"] > 0
        else:
            clean += 1
            assert np.array_equal(volume.array, stir) and "right" not in volume.meta["painted_ml"]
    assert clean and painted


PATIENTS = [f"patient{n:02d}" for n in range(1, 9)]


@pytest.mark.parametrize("patient", PATIENTS)
def test_real_femoral_head_radius(pelvis_mri_dir, patient):
    # Female adult heads (about 40-46 mm across on these series); the manual labels sit slightly inside
    # the cortex, so EDT max x 1.05 gives 18.5-21 mm here.
    volume = read_volume(pelvis_mri_dir / patient / "dicom")
    labels, _ = read_nrrd(pelvis_mri_dir / patient / "bone-labels.nrrd")
    for side, femur in reference_femurs(volume, labels).items():
        region, _, radius = femoral_head(femur, volume.ijk_to_ras)
        assert 17.0 <= radius <= 28.0, (side, radius)
        assert (region <= femur).all()


def test_real_painted_truth_inside_the_femur(pelvis_mri_dir):
    painted = 0
    for case_id, volume, truth in semireal_cases(pelvis_mri_dir, draws=1, seed=0):
        labels, _ = read_nrrd(pelvis_mri_dir / volume.meta["patient"] / "bone-labels.nrrd")
        femurs = reference_femurs(volume, labels)
        for side, mask in truth.items():
            assert (mask <= volume.meta["heads"][side]["region"]).all(), (case_id, side)
            assert (mask <= femurs[side]).all(), (case_id, side)
            if mask.any():
                painted += 1
                assert 0.3 <= mask.sum() * volume.voxel_volume_ml <= 6.0
                assert np.median(volume.array[mask]) > 2 * np.median(volume.array[volume.meta["heads"][side]["region"]
                                                                                  & ~mask])
    assert painted > 0
