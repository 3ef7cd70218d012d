"""Hip acquisition variants: each case's image, masks and geometry stay consistent and the anatomy stays put."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.hip.scores import hip_scores
from axspa.hip.variants import INTENSITY_VARIANTS, VARIANTS, make_variant, variant_seed, write_variants
from axspa.io.segfile import read_seg_nrrd
from axspa.io.volume import read_volume

CASE = "hip-00000"
HEADS = ("Right femoral head", "Left femoral head")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from axspa.phantom import generate
    from axspa.phantom.hip import HipPhantomConfig

    src, out = tmp_path_factory.mktemp("hip"), tmp_path_factory.mktemp("variants")
    generate("hip", src, 1, 3, config=HipPhantomConfig(size="small"))
    counts = write_variants(src, out)
    assert counts == {name: 1 for name in ["original", *VARIANTS]}
    return src, out


def _centroid_ras(mask: np.ndarray, ijk_to_ras: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    kji = np.argwhere(mask)
    w = np.ones(len(kji)) if weights is None else weights[mask]
    ijk = (kji[:, ::-1] * w[:, None]).sum(axis=0) / w.sum()
    return ijk_to_ras[:3, :3] @ ijk + ijk_to_ras[:3, 3]


def _read(folder):
    volume = read_volume(folder / "dicom")
    masks, seg_m = read_seg_nrrd(folder / "truth.seg.nrrd")
    return volume, masks, seg_m, json.loads((folder / "truth.json").read_text())


def test_original_is_copied_as_is(folders):
    src, out = folders
    for name in ("truth.json", "truth.seg.nrrd", "dicom/IM0001.dcm"):
        assert (out / "original" / CASE / name).read_bytes() == (src / CASE / name).read_bytes()


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_reads_back_consistent(folders, name):
    src, out = folders
    original, orig_masks, _, _ = _read(src / CASE)
    volume, masks, seg_m, truth = _read(out / name / CASE)
    # The segmentation lies on the grid of the series, and the truth describes that grid.
    assert next(iter(masks.values())).shape == volume.array.shape
    assert np.allclose(seg_m, volume.ijk_to_ras, atol=1e-3)
    assert truth["input"]["shape"] == list(volume.array.shape)
    assert truth["input"]["spacing_mm"] == pytest.approx(volume.spacing, abs=1e-3)
    assert truth["variant"] == name and truth["phantom"]["case_id"] == CASE
    # Scores recomputed on what was written.
    sides = hip_scores(volume.array, masks, volume.ijk_to_ras)
    for side in ("right", "left"):
        assert truth["sides"][side]["himriss"] == sides[side]["himriss"]
        gray = sides[side]["unet_score"]["gray_value"]
        assert truth["sides"][side]["unet_score"]["gray_value"] == pytest.approx(gray)
    # Femoral heads stay where they are in RAS (within a slice), right of the left one (+x is patient right).
    right, left = (_centroid_ras(masks[h], volume.ijk_to_ras) for h in HEADS)
    assert right[0] > left[0] + 50
    tolerance = max(original.spacing[2], volume.spacing[2])
    for head, c in zip(HEADS, (right, left)):
        assert np.linalg.norm(c - _centroid_ras(orig_masks[head], original.ijk_to_ras)) < tolerance
    if name in INTENSITY_VARIANTS:
        assert all(np.array_equal(masks[n], orig_masks[n]) for n in orig_masks)
        assert not np.array_equal(volume.array, original.array)
    else:  # image and masks moved together: the heads' (dark) and the effusions' (bright) signal kept
        for n in (*HEADS, "Right effusion-synovitis"):
            assert volume.array[masks[n]].mean() == pytest.approx(original.array[orig_masks[n]].mean(), rel=0.2)


def test_variants_are_deterministic_per_case_and_name():
    assert variant_seed("hip-00000", "bias") == variant_seed("hip-00000", "bias")
    assert len({variant_seed(c, n) for c in ("hip-00000", "hip-00001") for n in VARIANTS}) == 2 * len(VARIANTS)
    image = np.random.default_rng(0).uniform(0, 500, (6, 20, 24)).astype(np.float32)
    a = make_variant("field3t", image, {}, np.eye(4), 7)[0]
    assert np.array_equal(a, make_variant("field3t", image, {}, np.eye(4), 7)[0])


def _ball_case(pixel: float, thickness: float):
    """A bright ball (a 'right femoral head') off centre on a grid turned 5 degrees, coronal as the phantom."""
    t = np.deg2rad(5.0)
    rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    axes = rot @ np.array([[-1.0, 0, 0], [0, 0, -1], [0, -1, 0]]).T  # i left, j inferior, k posterior
    m = np.eye(4)
    m[:3, :3] = axes * np.array([pixel, pixel, thickness])
    m[:3, 3] = [60.0, 10.0, 40.0]
    shape = (int(60 / thickness), int(80 / pixel), int(90 / pixel))
    kji = np.indices(shape).reshape(3, -1).T
    ras = kji[:, ::-1] @ m[:3, :3].T + m[:3, 3]
    centre = m[:3, :3] @ (np.array(shape[::-1]) * [0.35, 0.5, 0.5]) + m[:3, 3]
    ball = (np.linalg.norm(ras - centre, axis=1) < 12.0).reshape(shape)
    image = np.where(ball, 400.0, 50.0).astype(np.float32)
    return image, {HEADS[0]: ball}, m, centre


@pytest.mark.parametrize("name", [v for v in VARIANTS if v not in INTENSITY_VARIANTS])
def test_grid_variants_keep_the_ball_in_place(name):
    image, masks, m, centre = _ball_case(0.7, 3.0)
    out, new_masks, new_m, params = make_variant(name, image, masks, m, variant_seed("ball", name))
    assert new_masks[HEADS[0]].shape == out.shape
    assert np.allclose(new_m[:3, :3].T @ new_m[:3, :3], np.diag(np.diag(new_m[:3, :3].T @ new_m[:3, :3])))
    assert np.linalg.det(new_m[:3, :3]) * np.linalg.det(m[:3, :3]) > 0  # k still along i x j
    assert np.linalg.norm(_centroid_ras(new_masks[HEADS[0]], new_m) - centre) < 1.0
    assert np.linalg.norm(_centroid_ras(out > 225, new_m) - centre) < 1.0
    spacing = [np.linalg.norm(new_m[:3, c]) for c in range(3)]
    expected = {"thin_inplane": (0.5, 0.5, 3.0), "thick_slices": (0.7, 0.7, 5.0), "many_slices": (0.7, 0.7, 1.5),
                "oblique": (0.7, 0.7, 3.0)}
    if name == "coarse_inplane":
        assert 1.0 <= spacing[0] <= 1.2 and spacing[1:] == pytest.approx([spacing[0], 3.0])
    else:
        assert spacing == pytest.approx(expected[name], abs=1e-6)
    if name == "many_slices":
        assert out.shape[0] == 40
    if name == "oblique":
        assert 10 <= abs(params["degrees_about_superior_inferior"]) <= 15


def test_intensity_variants_change_only_intensities():
    image, masks, m, _ = _ball_case(1.5, 4.0)
    image = image + np.random.default_rng(1).normal(0, 5, image.shape).astype(np.float32)
    bias, _, m_bias, params = make_variant("bias", image, masks, m, 1)
    assert m_bias is m or np.array_equal(m_bias, m)
    assert params["field_range"] == pytest.approx([0.6, 1.4], abs=1e-3)
    assert 0.55 < float((bias / image).min()) and float((bias / image).max()) < 1.45
    fat, _, _, _ = make_variant("fatsat_fail", image, masks, m, 2)
    assert (fat >= image).all() and (fat > image + 1).any()
