"""Femoral heads from the locator's probabilities: the pair as far apart as two hips, sides from RAS x."""

from __future__ import annotations

import numpy as np

from axspa.hip.model.locate import find_heads


def _prob(blobs):
    prob = np.zeros((10, 64, 64), np.float32)
    for (s, r, c), radius in blobs:
        ss, rr, cc = np.indices(prob.shape)
        prob[(ss - s) ** 2 + (rr - r) ** 2 + (cc - c) ** 2 <= radius ** 2] = 0.9
    return prob


def _ras_x(p):  # 3 mm columns, column 0 at the patient's right (x = +96 mm)
    return 96.0 - 3.0 * p[2]


def test_the_pair_of_heads_wins_over_a_bigger_blob_at_the_midline():
    prob = _prob([((5, 30, 3), 3), ((5, 30, 60), 3), ((5, 20, 32), 5)])  # heads 171 mm apart, bladder between
    heads = find_heads(prob, lambda p: p, 0.2, _ras_x, midline_x=0.0)
    assert [h.side for h in heads] == ["right", "left"]
    assert heads[0].centre[2] < heads[1].centre[2]  # the right head is the one with the larger RAS x


def test_sides_come_from_the_geometry_not_the_screen():
    prob = _prob([((5, 30, 3), 3), ((5, 30, 60), 3)])
    mirrored_x = lambda p: -_ras_x(p)  # noqa: E731  (a file stored with the patient's left on column 0)
    heads = find_heads(prob, lambda p: p, 0.2, mirrored_x, midline_x=0.0)
    assert heads[0].side == "right" and heads[0].centre[2] > 30


def test_one_head_gets_its_side_from_the_midline_and_small_blobs_are_noise():
    prob = _prob([((5, 30, 55), 3), ((5, 30, 5), 1)])
    heads = find_heads(prob, lambda p: p, 0.2, _ras_x, midline_x=0.0)
    assert [h.side for h in heads] == ["left"]
