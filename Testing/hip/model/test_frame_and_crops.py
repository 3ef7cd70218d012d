"""The coronal view and the crop resampling: patient sides from the geometry, exact round trips."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from axspa.hip.model.crops import back_to_source, crop_grid, resize_to_pitch, sample  # noqa: E402
from axspa.hip.model.frame import SliceFrame, kji_to_ras  # noqa: E402
from axspa.image import ijk_to_ras_matrix  # noqa: E402


def _coronal(flip_i: bool = False, permute: bool = False) -> np.ndarray:
    """IJK-to-RAS of a coronal series: i to patient left (or right), j inferior, k posterior."""
    m = np.eye(4)
    m[:3, 0] = [-0.8, 0, 0] if not flip_i else [0.8, 0, 0]
    m[:3, 1] = [0, 0, -0.8]
    m[:3, 2] = [0, -4.0, 0]
    if permute:  # the same acquisition stored with i and j swapped
        m[:3, [0, 1]] = m[:3, [1, 0]]
    return m


@pytest.mark.parametrize("flip_i,permute", [(False, False), (True, False), (False, True), (True, True)])
def test_view_columns_run_from_patient_right_to_left_whatever_the_storage(flip_i, permute):
    m = _coronal(flip_i, permute)
    frame = SliceFrame.from_ijk_to_ras(m)
    shape = (5, 7, 9) if not permute else (5, 9, 7)
    view_shape = tuple(shape[a] for a in frame.axes)
    assert view_shape == (5, 7, 9)
    first, last = np.array([2, 3, 0]), np.array([2, 3, 8])
    x_first = kji_to_ras(m, frame.view_to_kji(first, shape))[0]
    x_last = kji_to_ras(m, frame.view_to_kji(last, shape))[0]
    assert x_first > x_last  # column 0 is the patient's right (RAS x is larger)
    z_top = kji_to_ras(m, frame.view_to_kji(np.array([2, 0, 4]), shape))[2]
    z_bottom = kji_to_ras(m, frame.view_to_kji(np.array([2, 6, 4]), shape))[2]
    assert z_top > z_bottom  # rows run superior to inferior
    a = np.random.default_rng(0).random(shape)
    assert np.array_equal(frame.from_view(frame.to_view(a)), a)
    assert frame.to_view(a)[tuple(first)] == a[tuple(frame.view_to_kji(first, shape).astype(int))]


def test_real_dicom_geometry_gives_the_coronal_view():
    m = ijk_to_ras_matrix((0.91, 0.91, 5.2), (-147.6, -205.7, 155.2),
                          ((1, 0.03, -0.05), (-0.03, 0, -1), (0.01, 1, 0)))
    frame = SliceFrame.from_ijk_to_ras(m)
    assert frame.axes == (0, 1, 2) and frame.spacing[0] == pytest.approx(5.2, rel=2e-3)


@pytest.mark.parametrize("mirror", [False, True])
def test_a_crop_maps_back_onto_the_pixels_it_came_from(mirror):
    from scipy import ndimage

    img = ndimage.gaussian_filter(np.random.default_rng(1).random((200, 240)), 6).astype(np.float32)
    centre, spacing = (101.3, 90.6), (0.9, 0.7)
    grid = crop_grid(centre, spacing, img.shape, 64, 0.8, mirror=mirror)
    crop = sample(torch.from_numpy(img)[None, None], grid[None])[0]
    where, values = back_to_source(crop, centre, spacing, img.shape, 0.8, mirror)
    assert np.abs(values[0].numpy() - img[where]).max() < 1e-3 * img.std() * 100
    # Mirrored crops are the left-right mirror image of the plain one.
    if mirror:
        plain = sample(torch.from_numpy(img)[None, None], crop_grid(centre, spacing, img.shape, 64, 0.8)[None])[0]
        assert torch.allclose(crop, plain.flip(-1), atol=1e-5)


def test_resize_to_pitch_keeps_positions():
    view = np.zeros((1, 300, 400), np.float32)
    view[0, 150:160, 100:110] = 1.0  # a block at 0.5 mm pixels
    canvas, scale, offset = resize_to_pitch(view, (0.5, 0.5), 2.0, 64)
    r, c = np.argwhere(canvas[0] > 0.5).mean(axis=0)
    back = (np.array([r, c]) - offset + 0.5) * scale - 0.5
    assert np.allclose(back, [154.5, 104.5], atol=2.0)
