"""Case parameters drawn from the case's generator: hip sides, the acquisition geometry and lesions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from axspa.phantom.hip.config import SIDES, HipPhantomConfig
from axspa.phantom.hip.sdf import _unit, _v


@dataclass
class _HipSide:
    name: str  # 'right' / 'left'
    s: float  # +1 patient right, -1 patient left
    centre: np.ndarray
    radius: float
    neck_dir: np.ndarray  # unit vector from the head centre along the neck, laterally and down
    shaft_dir: np.ndarray  # unit vector down the femoral shaft
    neck_shaft_deg: float
    neck_len: float
    neck_radius: float
    gap: float  # joint space incl. both cartilage layers
    cup_thickness: float
    cup_axis: np.ndarray
    cup_half_angle: float
    labrum_deg: float
    lesions: dict = field(default_factory=dict)


@dataclass
class _Geometry:
    shape: tuple[int, int, int]  # (k, j, i)
    spacing: tuple[float, float, float]  # (i, j, k) mm
    ijk_to_ras: np.ndarray
    ijk_to_patient: np.ndarray
    oblique: dict


# Femoral head radius (mm) drawn by generator 2, and by generator 3: adult heads are 38-55 mm across, women's
# often 40-45 mm (the real pelvis series here measure 37-42 mm on their bone labels).
HEAD_RADIUS_MM = {2: (22.5, 27.0), 3: (19.0, 27.0)}


def _sample_sides(rng: np.random.Generator, generator: int = 2) -> tuple[float, list[_HipSide]]:
    """Femoral heads 45-54 mm across (generator 3: 38-54 mm), 165-200 mm apart (centre to centre),
    neck-shaft angle 125-135 degrees, anteversion 5-20 degrees, shaft 5-9 degrees off vertical (knees
    closer than hips); the two hips differ a little."""
    distance = rng.uniform(165.0, 200.0)
    radius = rng.uniform(*HEAD_RADIUS_MM[generator])  # one draw either way: the later draws stay in step
    sides = []
    for name, s in SIDES.items():
        r = radius * rng.uniform(0.97, 1.03)
        centre = _v(s * distance / 2, rng.uniform(-3, 3), rng.uniform(-3, 3))
        angle = rng.uniform(125.0, 135.0)
        tilt = np.deg2rad(rng.uniform(5.0, 9.0))
        shaft = _v(-s * np.sin(tilt), rng.uniform(-0.05, 0.05), -np.cos(tilt))
        phi = np.deg2rad(180.0 - angle) - tilt  # neck from straight down, toward lateral
        gamma = np.deg2rad(rng.uniform(0.0, 12.0))  # anteversion left after the usual internal rotation
        neck = _v(s * np.sin(phi) * np.cos(gamma), -np.sin(gamma), -np.cos(phi) * np.cos(gamma))
        cup_axis = _v(-s * rng.uniform(0.45, 0.65), -rng.uniform(0.1, 0.25), 0.85)
        sides.append(_HipSide(name, s, centre, r, _unit(neck), _unit(shaft), float(angle),
                              r * rng.uniform(1.8, 2.1), r * rng.uniform(0.6, 0.68), rng.uniform(3.0, 4.5),
                              rng.uniform(9.0, 15.0), _unit(cup_axis), rng.uniform(70.0, 80.0),
                              rng.uniform(12.0, 18.0)))
    return distance, sides


def _sample_geometry(rng: np.random.Generator, config: HipPhantomConfig) -> _Geometry:
    """Clinical coronal hip STIR: 15-30 slices of 3-5 mm; 256-512 matrix of 0.6-1.0 mm pixels
    (small: 128-160 matrix over the same field of view); sometimes oblique."""
    fov = rng.uniform(330.0, 400.0)
    if config.size == "full":
        pixel = rng.uniform(0.6, 1.0)
        cols = int(np.clip(2 * round(fov / pixel / 2), 256, 512))
        rows = int(np.clip(2 * round(cols * rng.uniform(0.8, 1.0) / 2), 256, 512))
    else:
        cols = int(rng.integers(128, 161))
        rows = int(np.clip(round(cols * rng.uniform(0.85, 1.0)), 128, 160))
        pixel = fov / cols
    n_slices = int(rng.integers(15, 31))
    thickness = float(rng.uniform(3.0, 5.0))
    centre = _v(rng.uniform(-10, 10), rng.uniform(-6, 6), rng.uniform(-15, 25))
    # i to the patient's left, j inferior, k posterior (= i x j), in RAS.
    axes = np.column_stack([_v(-1, 0, 0), _v(0, 0, -1), _v(0, -1, 0)])
    oblique = {"axis": None, "degrees": 0.0}
    if rng.random() < config.oblique_probability:
        about = str(rng.choice(["S-I", "L-R"]))
        deg = float(rng.uniform(3.0, 12.0) * rng.choice([-1.0, 1.0]))
        t = np.deg2rad(deg)
        if about == "S-I":  # turns the slice plane toward axial-free oblique coronal
            rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
        else:  # tilts the slice plane about the left-right axis
            rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
        axes = rot @ axes
        oblique = {"axis": about, "degrees": round(deg, 3)}
    spacing = (pixel, pixel, thickness)
    shape = (n_slices, rows, cols)
    lin = axes * np.array(spacing)
    half = (np.array([cols, rows, n_slices]) - 1) / 2.0
    to_patient = np.eye(4)
    to_patient[:3, :3] = lin
    to_patient[:3, 3] = centre - lin @ half
    table = _v(rng.uniform(-15, 15), rng.uniform(-20, 20), rng.uniform(-120, -40))  # scanner position
    ijk_to_ras = to_patient.copy()
    ijk_to_ras[:3, 3] += table
    return _Geometry(shape, spacing, ijk_to_ras, to_patient, oblique)
