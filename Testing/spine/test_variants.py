"""Acquisition variants move the truth with the pixels."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.image import Radiograph
from axspa.spine.variants import VARIANTS, make_variant


def _film_with_dot(x: int, y: int) -> tuple[Radiograph, dict]:
    px = np.zeros((120, 80), np.float32)
    px[y - 1:y + 2, x - 1:x + 2] = 1.0
    truth = {"input": {"pixel_spacing_mm": [0.2, 0.2]}, "sites": [{"id": "C2i", "point": [float(x), float(y)]}],
             "vertebrae": []}
    return Radiograph(px, (0.2, 0.2)), truth


@pytest.mark.parametrize("name", [v for v in VARIANTS if v != "jpeg8"])
def test_truth_follows_the_dot(name):
    film, truth = _film_with_dot(20, 30)
    px, moved, _ = make_variant(name, film, truth)
    ys, xs = np.nonzero(px > 0.5 * px.max())
    assert moved["sites"][0]["point"] == pytest.approx([xs.mean(), ys.mean()], abs=0.6)


def test_half_resolution_doubles_the_spacing():
    film, truth = _film_with_dot(20, 30)
    _, moved, opts = make_variant("half", film, truth)
    assert opts["spacing_mm"] == (0.4, 0.4) and moved["input"]["pixel_spacing_mm"] == [0.4, 0.4]
