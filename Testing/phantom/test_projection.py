"""The X-ray projection engine: line integrals that conserve attenuation at any grid resolution, points that land
where ConeBeam.to_detector says (magnification, patient rotation, film roll), analytic chords."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.phantom import solids
from axspa.phantom.projection import ConeBeam, Grid, ellipsoid_chords, project, unroll

MU = 0.01


def _beam(**kw) -> ConeBeam:
    base = dict(sid=1000.0, sod=900.0, centre=(0.0, 0.0), shape=(240, 240), pixel=1.0, centre_px=(120.0, 120.0))
    return ConeBeam(**{**base, **kw})


def _sphere_projection(spacing: float, centre=(20.0, 0.0, -10.0), **beam) -> tuple[np.ndarray, ConeBeam]:
    b = _beam(**beam)
    g = Grid.covering((-45, -45, -45), (45, 45, 45), spacing)
    solids.fill(g, *solids.sphere(centre, 12.0), MU)
    out = np.zeros(b.shape, np.float32)
    project(g, b, out)
    return unroll(out, b), b


@pytest.mark.parametrize("spacing", [2.0, 1.0, 0.5])
def test_a_sphere_keeps_its_attenuation_and_lands_where_the_beam_says(spacing):
    out, b = _sphere_projection(spacing)
    m = b.magnification(0.0)
    # sum of line integrals x detector pixel area / magnification^2 = volume x mu
    assert out.sum() * b.pixel ** 2 / m ** 2 == pytest.approx(4 / 3 * np.pi * 12.0 ** 3 * MU, rel=0.04)
    rows, cols = np.nonzero(out > 0.02)
    centroid = (np.average(cols, weights=out[rows, cols]), np.average(rows, weights=out[rows, cols]))
    assert centroid == pytest.approx(tuple(b.to_detector([(20.0, 0.0, -10.0)])[0]), abs=0.15)
    assert out.max() == pytest.approx(2 * 12.0 * MU, rel=0.1)  # the chord through the centre


def test_nearer_the_source_is_larger_and_rotation_roll_move_points_as_to_detector_says():
    near, b = _sphere_projection(1.0, centre=(0.0, -30.0, 0.0))
    far, _ = _sphere_projection(1.0, centre=(0.0, 30.0, 0.0))
    assert (near > 0.02).sum() > (far > 0.02).sum() * 1.05  # magnification 1000/870 against 1000/930
    turned, b = _sphere_projection(1.0, centre=(20.0, 30.0, -10.0), roll_deg=25.0, rotation=0.1, tilt=-0.08)
    rows, cols = np.nonzero(turned > 0.02)
    w = turned[rows, cols]
    got = (np.average(cols, weights=w), np.average(rows, weights=w))
    assert got == pytest.approx(tuple(b.to_detector([(20.0, 30.0, -10.0)])[0]), abs=0.3)
    plain = b.to_detector([(20.0, 30.0, -10.0)])[0]
    assert np.hypot(*(plain - _beam().to_detector([(20.0, 30.0, -10.0)])[0])) > 5  # they did move it


def test_ellipsoid_chords_are_twice_the_depth_at_the_centre():
    b = _beam()
    out = np.zeros(b.shape, np.float32)
    ellipsoid_chords(b, (0.0, 0.0, 0.0), (40.0, 25.0, 30.0), MU, out)
    assert out.max() == pytest.approx(2 * 25.0 * MU, rel=0.01)
    assert out[120, 120 + int(45 * b.magnification(0.0))] == 0  # outside the ellipsoid's shadow
