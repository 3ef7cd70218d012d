"""An AP pelvis attenuation map by projection: scene operations applied to a coarse grid of the pelvis and to
fine grids around the sacroiliac joints, each integrated along the cone beam; soft tissue, bowel gas and
stool, metal; trabecular texture."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.phantom import solids
from axspa.phantom.pelvis.texture import _trabecular
from axspa.phantom.pelvis3d.anatomy import CORTEX, MARROW, hemipelvis, lumbar, sacrum_and_ilia, sample_build
from axspa.phantom.pelvis3d.joint import joint_operations, sample_findings, sample_joint
from axspa.phantom.projection import ConeBeam, Grid, ellipsoid_chords, obliquity, project, unroll

COARSE_MM = 2.0
FINE_MM = 0.6
WATER = 0.0105  # soft tissue attenuation per mm (effective, a hardened beam)


def apply(grid: Grid, ops: list) -> None:
    for op in ops:
        kind, sdf, lo, hi, *values = op
        if kind == "fill":
            solids.fill(grid, sdf, lo, hi, *values)
        elif kind == "cut":
            solids.cut(grid, sdf, lo, hi, *values)
        elif kind == "add":
            solids.add(grid, sdf, lo, hi, *values)
        elif kind == "set":
            box = grid.box(lo, hi)
            if box is None:
                continue
            sl, x, y, z = box
            inside = np.clip(0.5 - sdf(x, y, z) / grid.spacing, 0, 1).astype(np.float32)
            grid.data[sl] = grid.data[sl] * (1 - inside) + values[0] * inside


def _blend(grid: Grid, lo, hi, outside: bool, band: float = 6.0) -> None:
    """Weight a grid by how deep inside the box [lo, hi] each voxel is (0 at the faces, 1 from ``band`` mm in),
    or by one minus that: coarse and fine grids then sum to the same anatomy without a seam."""
    box = grid.box(lo, hi)
    if box is None:
        return
    sl, x, y, z = box
    w = np.ones((1, 1, 1), np.float32)
    for c, a, b in ((x, lo[0], hi[0]), (y, lo[1], hi[1]), (z, lo[2], hi[2])):
        w = w * np.clip(np.minimum(c - a, b - c) / band, 0, 1)
    grid.data[sl] *= (1 - w) if outside else w


def _texture(rng: np.random.Generator, grid: Grid, strength: float) -> None:
    """Trabecular texture inside bone: smooth noise of about 1-2 mm, multiplicative."""
    bone = grid.data > 0
    n = ndimage.gaussian_filter(rng.standard_normal(grid.data.shape, dtype=np.float32), 1.1 / grid.spacing * 0.5)
    n *= strength / (n.std() + 1e-6)
    grid.data[bone] *= 1 + n[bone]


def render_projected(rng: np.random.Generator, grades: dict[str, int], beam_params: dict) -> tuple[np.ndarray, dict]:
    """Noiseless attenuation map on the detector and the truth geometry: joint centres and margins (pixels),
    the findings drawn per side, the build."""
    female = bool(rng.random() < 0.5)
    sc = rng.uniform(0.9, 1.08) * (0.96 if female else 1.0)
    tilt = rng.uniform(0.88, 1.12)
    b = sample_build(rng, sc, female)
    joints = {s: sample_joint(rng, s, sc, tilt) for s in (-1, 1)}
    names = {-1: "right", 1: "left"}
    findings = {s: sample_findings(rng, grades[names[s]], female) for s in (-1, 1)}
    ops = lumbar(rng, b, joints[-1].sacrum_centre(0))
    ops += sacrum_and_ilia(rng, b, joints, findings)
    for s in (-1, 1):
        ops += hemipelvis(rng, b, joints[s])
    for s in (-1, 1):
        ops += joint_operations(rng, joints[s], findings[s], MARROW, CORTEX)
    beam = ConeBeam(**beam_params)
    flat = ConeBeam(**{**beam_params, "roll_deg": 0.0})  # projected unrolled, turned once at the end
    bone = np.zeros(beam.shape, np.float32)
    fine_boxes = [joints[s].box(pad=16) for s in (-1, 1)]
    coarse = Grid.covering((-175, -150, b.crest_z - 20), (175, 90, b.head_z + 150), COARSE_MM)
    apply(coarse, ops)
    for lo, hi in fine_boxes:  # the joints come from the fine grids, blended over a band at their borders
        _blend(coarse, lo, hi, outside=True)
    project(coarse, flat, bone)
    for lo, hi in fine_boxes:
        fine = Grid.covering(lo, hi, FINE_MM)
        apply(fine, ops)
        _texture(rng, fine, 0.15)
        _blend(fine, lo, hi, outside=False)
        project(fine, flat, bone)
    bone *= _trabecular(rng, beam.shape, beam.pixel)
    density = unroll((bone + _soft_tissue(rng, flat, b)) * obliquity(flat), beam)
    density += _metal(rng, beam, beam.shape)
    truth = {
        "joint_centres_px": {names[s]: beam.to_detector([joints[s].centre_mm()])[0].round(2).tolist() for s in (-1, 1)},
        "joint_lines_px": {names[s]: beam.to_detector(joints[s].margins_mm()[0]).round(2).tolist() for s in (-1, 1)},
        "posterior_margin_px": {names[s]: beam.to_detector(joints[s].margins_mm()[1]).round(2).tolist()
                                for s in (-1, 1)},
        "findings": {names[s]: findings[s].to_dict() for s in (-1, 1)},
        "female": female,
        "magnification_at_joints": round(beam.magnification(float(joints[-1].centre_mm()[1])), 4),
    }
    return density, truth


def _soft_tissue(rng: np.random.Generator, beam: ConeBeam, b) -> np.ndarray:
    """Body (fat around muscle and viscera), psoas, buttocks, bowel gas and stool, as analytic chords."""
    out = np.zeros(beam.shape, np.float32)
    half_w = rng.uniform(150, 200) * (1.05 if b.female else 1.0)
    half_d = rng.uniform(95, 140)
    cy = rng.uniform(-45, -25)
    ellipsoid_chords(beam, (0, cy, 60), (half_w, half_d, 900), WATER * 0.85, out)  # fat
    fat = rng.uniform(10, 45)
    ellipsoid_chords(beam, (0, cy, 60), (half_w - fat, half_d - fat * 0.8, 900), WATER * 0.2, out)  # muscle, viscera
    for s in (-1, 1):
        ellipsoid_chords(beam, (s * rng.uniform(35, 50), -10, -20), (rng.uniform(16, 24), 22, 120), WATER * 0.05, out)
        ellipsoid_chords(beam, (s * rng.uniform(90, 120), 60, 160), (rng.uniform(60, 80), 50, 90), WATER * 0.08, out)
    for _ in range(int(rng.integers(2, 14))):  # gas in bowel loops, over the sacrum and joints as well
        c = (rng.uniform(-130, 130), rng.uniform(-90, -20), rng.uniform(-90, 140))
        r = (rng.uniform(6, 32), rng.uniform(6, 25), rng.uniform(5, 22))
        ellipsoid_chords(beam, c, r, -WATER * rng.uniform(0.7, 1.0), out)
    for _ in range(int(rng.integers(0, 3))):  # stool: a patch of small bubbles
        centre = np.array([rng.uniform(-110, 110), rng.uniform(-70, -20), rng.uniform(-60, 120)])
        for _ in range(int(rng.integers(15, 50))):
            c = centre + rng.normal(0, 14, 3)
            ellipsoid_chords(beam, tuple(c), tuple(rng.uniform(1.0, 3.5, 3)), -WATER, out)
    return out


def _metal(rng: np.random.Generator, beam: ConeBeam, shape: tuple[int, int]) -> np.ndarray:
    """Surgical clips and now and then a gonad shield (kept clear of the joints)."""
    out = np.zeros(shape, np.float32)
    if rng.random() < 0.08:
        for _ in range(int(rng.integers(1, 6))):
            c = beam.to_detector([[rng.uniform(-120, 120), -40, rng.uniform(20, 160)]])[0]
            length = rng.uniform(6, 12) / beam.pixel
            ang = rng.uniform(0, np.pi)
            img = Image.new("F", (shape[1], shape[0]), 0.0)
            from PIL import ImageDraw
            d = ImageDraw.Draw(img)
            d.line([(c[0] - length / 2 * np.cos(ang), c[1] - length / 2 * np.sin(ang)),
                    (c[0] + length / 2 * np.cos(ang), c[1] + length / 2 * np.sin(ang))],
                   fill=2.5, width=max(int(round(1.2 / beam.pixel)), 1))
            out += np.asarray(img, np.float32)
    if rng.random() < 0.1:
        c = beam.to_detector([[rng.normal(0, 6), -60, rng.uniform(185, 215)]])[0]
        rx, ry = rng.uniform(30, 38) / beam.pixel, rng.uniform(22, 28) / beam.pixel
        yy, xx = np.ogrid[: shape[0], : shape[1]]
        out += 1.6 * (((xx - c[0]) / rx) ** 2 + ((yy - c[1]) / ry) ** 2 < 1)
    return out
