"""Femoral-head clean-up: one piece, inside the ball of its largest cross-section."""

from __future__ import annotations

import numpy as np

from axspa.hip.model.shape import largest_piece, within_head_sphere


def _ball(shape, centre, radius, spacing):
    s, r, c = np.indices(shape)
    d = ((s - centre[0]) * spacing[0]) ** 2 + ((r - centre[1]) * spacing[1]) ** 2 + ((c - centre[2]) * spacing[2]) ** 2
    return d <= radius ** 2


def test_a_ball_is_kept_and_marrow_behind_it_is_cut():
    spacing = (4.0, 0.8, 0.8)
    head = _ball((20, 80, 80), (8, 40, 40), 22.0, spacing)
    kept = within_head_sphere(head, spacing)
    assert kept.sum() >= 0.97 * head.sum()
    tail = head.copy()
    tail[14:19, 30:50, 30:50] = True  # bright marrow behind the head, joined to it (as on real T1)
    cleaned = within_head_sphere(tail, spacing)
    assert not cleaned[16:19].any() and cleaned.sum() < tail.sum()


def test_largest_piece_drops_islands():
    m = np.zeros((3, 10, 10), bool)
    m[1, 2:6, 2:6] = True
    m[1, 8, 8] = True
    assert largest_piece(m).sum() == 16


def test_the_fitted_sphere_keeps_a_ball_and_its_neck_cut_and_drops_a_bulge():
    from axspa.hip.model.shape import fit_sphere, within_fitted_sphere

    spacing = (4.0, 0.8, 0.8)
    head = _ball((20, 90, 90), (9, 45, 45), 21.0, spacing)
    head[:, 66:, :] = False  # the cut at the head-neck junction (a flat face)
    kept = within_fitted_sphere(head, spacing)
    assert kept.sum() >= 0.99 * head.sum()
    bulge = head.copy()
    bulge[8:11, 14:22, 35:55] = True  # tissue over the head's top labelled head (cartilage, joint, on real T1)
    bulge[3] |= _ball((20, 90, 90), (3, 45, 45), 16.0, spacing)[3]  # a first slice too wide
    cleaned = within_fitted_sphere(bulge, spacing)
    assert not cleaned[8:11, 14:17].any() and cleaned.sum() < bulge.sum()
    assert (cleaned & head).sum() >= 0.98 * head.sum()
    centre, radius = fit_sphere(np.argwhere(_ball((20, 90, 90), (9, 45, 45), 21.0, spacing)) * 1.0)
    assert np.isfinite(radius)


def test_the_fitted_sphere_leaves_what_it_cannot_fit():
    from axspa.hip.model.shape import within_fitted_sphere

    tiny = np.zeros((3, 10, 10), bool)
    tiny[1, 4:6, 4:6] = True
    assert (within_fitted_sphere(tiny, (4.0, 0.8, 0.8)) == tiny).all()
    slab = np.zeros((5, 200, 200), bool)
    slab[:, 10:190, 10:190] = True  # a flat plate, no femoral head: a fit of radius > 40 mm
    assert (within_fitted_sphere(slab, (4.0, 0.8, 0.8)) == slab).all()
