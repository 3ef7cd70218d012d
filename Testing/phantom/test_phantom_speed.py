"""Phantom generation speed on this machine: images per second for the spine and pelvis radiograph
phantoms at ``--size small`` and ``full``, one core, files not written (``make bench`` prints them).

Not a timed test: it reports the rate and checks only that every image was made."""

from __future__ import annotations

import time

import numpy as np
import pytest

from axspa.phantom.pelvis import PelvisConfig, make_pelvis_case
from axspa.phantom.spine import SpineConfig, make_spine_case

pytestmark = pytest.mark.benchmark

N = {"small": 6, "full": 3}


def _rate(make, n: int) -> tuple[float, tuple[int, int]]:
    make(0)  # warm-up: imports, font loading, allocator
    t0 = time.perf_counter()
    shapes = [make(i + 1).presentation.shape for i in range(n)]
    rate = n / (time.perf_counter() - t0)
    return rate, shapes[0]


@pytest.mark.parametrize("size", ["small", "full"])
@pytest.mark.parametrize("kind", ["spine", "pelvis"])
def test_phantom_images_per_second(kind: str, size: str) -> None:
    if kind == "spine":
        cfg = SpineConfig(size=size)

        def make(i):
            return make_spine_case(f"bench-{i}", 0, i, cfg)
    else:
        cfg = PelvisConfig(size=size, photo_fraction=0.0)

        def make(i):
            return make_pelvis_case(f"bench-{i}", 0, i, cfg)

    rate, shape = _rate(make, N[size])
    print(f"\nphantom {kind:6s} {size:5s}: {rate:6.2f} images/s ({1 / rate:.3f} s/image, e.g. {shape[1]}x{shape[0]})")
    assert rate > 0 and np.prod(shape) > 0
