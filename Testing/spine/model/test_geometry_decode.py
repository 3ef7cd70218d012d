"""Patch geometry round trips and the explicit identity decoding (chain from the anchor)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from axspa.spine.model import decode  # noqa: E402
from axspa.spine.model.geometry import film_to_patch, letterbox, patch_to_film, sample_patches  # noqa: E402


@pytest.mark.parametrize("flip,aspect", [(False, 1.0), (True, 1.2)])
def test_patch_maps_a_bright_square_where_film_to_patch_says(flip, aspect):
    film = np.zeros((300, 200), np.float32)
    film[120:124, 80:84] = 1.0
    center, side, angle = (90.0, 110.0), 60.0, 0.4
    patch = sample_patches(torch.from_numpy(film)[None, None], [center], [side], [angle], 64, flips=[flip],
                           aspects=[aspect])[0, 0].numpy()
    ys, xs = np.nonzero(patch > 0.5)
    expected = film_to_patch(np.array([81.5, 121.5]), center, side, angle, 64, flip, aspect)
    assert abs(xs.mean() - expected[0]) < 0.6 and abs(ys.mean() - expected[1]) < 0.6
    back = patch_to_film(film_to_patch(np.array([[5.0, 7.0]]), center, side, angle, 64, flip, aspect),
                         center, side, angle, 64, flip, aspect)
    assert np.allclose(back, [[5.0, 7.0]])


def test_letterbox_keeps_aspect_and_reports_the_mapping():
    film = np.zeros((1000, 500), np.float32)
    film[600:620, 100:120] = 1.0
    small, scale, offset = letterbox(film, 256)
    ys, xs = np.nonzero(small[0, 0].numpy() > 0.3)
    expected = np.array([109.5, 609.5]) * scale + offset
    assert abs(xs.mean() - expected[0]) < 1.0 and abs(ys.mean() - expected[1]) < 1.0
    assert small[0, 0, :, :50].abs().max() == 0  # padding left and right of a tall film


def _column(n=7, pitch=30.0, start=(100.0, 40.0), tilt=0.2):
    d = np.array([np.sin(tilt), np.cos(tilt)])
    return np.array([[*(np.array(start) + k * pitch * d), 0.9] for k in range(n)])


def test_chain_counts_from_the_anchor_and_keeps_the_place_of_a_missed_vertebra():
    centers = _column()
    missed = np.delete(centers, 3, axis=0)  # C5 not detected
    spurious = np.vstack([missed, [[400.0, 400.0, 0.8]]])  # something far off the column
    chain = decode.chain_vertebrae(spurious, centers[0], "cervical")
    assert [c is None for c in chain] == [False, False, False, True, False, False, False]
    assert np.allclose(chain[6][:2], centers[6][:2])
    filled = decode.fill_missing_centres(chain)
    assert np.allclose(filled[3][:2], centers[3][:2])


def test_lumbar_chain_is_named_from_s1_upwards():
    centers = _column()[:6]  # T12 above the field of view: only L1-S1
    chain = decode.chain_vertebrae(centers[::-1].copy(), centers[-1], "lumbar")
    assert chain[0] is None and np.allclose(chain[6][:2], centers[-1][:2]) and np.allclose(chain[1][:2],
                                                                                             centers[0][:2])


def test_corners_go_to_the_superior_and_inferior_side_of_their_own_vertebra():
    centers = _column(tilt=0.0)
    chain = list(centers)
    axes = decode.inferior_axes(chain)
    sup = np.array([[c[0] + 12, c[1] - 10, 0.9] for c in centers])
    inf = np.array([[c[0] + 12, c[1] + 10, 0.9] for c in centers])
    both = np.vstack([sup, inf])
    got_sup = decode.assign_corners(chain, axes, both, True, 30.0)
    got_inf = decode.assign_corners(chain, axes, both, False, 30.0)
    assert np.allclose(np.array(got_sup)[:, :2], sup[:, :2])
    assert np.allclose(np.array(got_inf)[:, :2], inf[:, :2])


def test_peaks_are_subpixel():
    hm = np.zeros((32, 32), np.float32)
    hm[10, 12], hm[10, 13] = 1.0, 1.0
    p = decode.peaks(hm, 0.5)
    assert len(p) >= 1 and abs(p[0][0] - 12.5) < 0.51 and p[0][1] == pytest.approx(10.0)
