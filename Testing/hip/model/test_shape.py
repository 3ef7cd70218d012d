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
