"""X-ray projection of 3-D anatomy: voxel grids of attenuation, line integrals along a cone beam.

One engine for the radiograph phantoms drawn from 3-D anatomy. The patient frame is in millimetres:
x toward the patient's left (the image right on an AP film), z inferior (image down), y posterior
(away from the source, toward the detector). Anatomy is written into ``Grid`` volumes, a coarse one
for the whole body part and fine ones where detail matters (the sacroiliac joints); ``project``
integrates each along the rays of a ``ConeBeam`` onto the detector.

The beam diverges from a point source: a plane at depth y is magnified by SID / (SOD + y), so
structures nearer the source are larger and the two margins of an oblique joint project apart.
Small patient rotations about the long axis and tilts about the left-right axis are applied as
shears per depth (exact to first order, cheap); the in-plane rotation of the film is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Grid:
    """A voxel volume ``data[y, z, x]`` (float32 attenuation per mm) with its corner and voxel size."""

    origin: tuple[float, float, float]  # (x, y, z) mm of voxel [0, 0, 0]'s centre
    spacing: float
    data: np.ndarray

    @classmethod
    def covering(cls, lo: tuple[float, float, float], hi: tuple[float, float, float], spacing: float) -> Grid:
        n = [int(np.ceil((h - lo_) / spacing)) + 1 for lo_, h in zip(lo, hi)]
        return cls(tuple(float(v) for v in lo), float(spacing), np.zeros((n[1], n[2], n[0]), np.float32))

    def box(self, lo, hi):
        """The slices of this grid inside the (x, y, z) box [lo, hi] and the coordinates of their voxels as
        broadcastable arrays x[1, 1, nx], y[ny, 1, 1], z[1, nz, 1]; None when the box misses the grid."""
        idx = []
        for axis, (a, b) in enumerate(zip(lo, hi)):
            n = self.data.shape[(2, 0, 1)[axis]]
            i0 = max(int(np.floor((a - self.origin[axis]) / self.spacing)), 0)
            i1 = min(int(np.ceil((b - self.origin[axis]) / self.spacing)) + 1, n)
            if i1 <= i0:
                return None
            idx.append((i0, i1))
        (x0, x1), (y0, y1), (z0, z1) = idx
        s = self.spacing
        x = (self.origin[0] + s * np.arange(x0, x1, dtype=np.float32))[None, None, :]
        y = (self.origin[1] + s * np.arange(y0, y1, dtype=np.float32))[:, None, None]
        z = (self.origin[2] + s * np.arange(z0, z1, dtype=np.float32))[None, :, None]
        return np.s_[y0:y1, z0:z1, x0:x1], x, y, z

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        ny, nz, nx = self.data.shape
        lo = np.array(self.origin)
        return lo, lo + self.spacing * (np.array([nx, ny, nz]) - 1)


@dataclass
class ConeBeam:
    """Source, detector and patient placement of one exposure."""

    sid: float  # source to detector, mm
    sod: float  # source to the plane y = 0 of the patient frame, mm
    centre: tuple[float, float]  # (x, z) of the patient frame on the central ray
    shape: tuple[int, int]  # detector rows, columns
    pixel: float  # detector pixel, mm
    centre_px: tuple[float, float]  # (column, row) where the central ray meets the detector
    roll_deg: float = 0.0  # film rotation in its plane
    rotation: float = 0.0  # patient rotation about the long axis (radians, small): x shifts by -rotation * y
    tilt: float = 0.0  # pelvic tilt about the left-right axis (radians, small): z shifts by tilt * y

    def magnification(self, y: float) -> float:
        return self.sid / (self.sod + y)

    def _rot(self) -> np.ndarray:
        c, s = np.cos(np.deg2rad(self.roll_deg)), np.sin(np.deg2rad(self.roll_deg))
        return np.array([[c, -s], [s, c]])

    def to_detector(self, points) -> np.ndarray:
        """(x, y, z) mm in the patient frame -> (column, row) detector pixels."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        x = p[:, 0] - self.centre[0] - self.rotation * p[:, 1]
        z = p[:, 2] - self.centre[1] + self.tilt * p[:, 1]
        m = self.sid / (self.sod + p[:, 1])
        uv = np.stack([x * m, z * m], axis=1) @ self._rot().T / self.pixel
        return uv + np.asarray(self.centre_px)

    def mm_per_pixel_at(self, y: float) -> float:
        """Size in the patient of one detector pixel at depth y (what a calibrated PixelSpacing would say)."""
        return self.pixel / self.magnification(y)


def project(grid: Grid, beam: ConeBeam, out: np.ndarray) -> None:
    """Add the line integrals of ``grid`` along the beam's rays onto ``out`` (detector rows x columns), in place,
    before the film's roll (``unroll`` applies it to the finished map).

    Each depth plane is resampled onto the detector at its own magnification (separable bilinear); only the
    detector rectangle the grid can reach is touched, so a small fine grid costs little.
    """
    ny, nz, nx = grid.data.shape
    lo, hi = grid.bounds()
    flat = ConeBeam(**{**beam.__dict__, "roll_deg": 0.0})
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    cr = flat.to_detector(corners)
    c0, r0 = np.maximum(np.floor(cr.min(0)).astype(int) - 1, 0)
    c1 = min(int(np.ceil(cr[:, 0].max())) + 2, out.shape[1])
    r1 = min(int(np.ceil(cr[:, 1].max())) + 2, out.shape[0])
    if c1 <= c0 or r1 <= r0:
        return
    s = grid.spacing
    cu, cv = beam.centre_px
    du = (np.arange(c0, c1) - cu) * beam.pixel
    dv = (np.arange(r0, r1) - cv) * beam.pixel
    acc = np.zeros((r1 - r0, c1 - c0), np.float32)
    padded = np.zeros((nz + 2, nx + 2), np.float32)
    for k in range(ny):
        plane = grid.data[k]
        if not plane.any():
            continue
        y = grid.origin[1] + k * s
        m = beam.magnification(y)
        ix = (du / m + beam.centre[0] + beam.rotation * y - grid.origin[0]) / s + 1
        iz = (dv / m + beam.centre[1] - beam.tilt * y - grid.origin[2]) / s + 1
        padded[1:-1, 1:-1] = plane
        rows = _weights(iz, nz + 2)
        cols = _weights(ix, nx + 2)
        if rows is None or cols is None:
            continue
        (z0, wz), (x0, wx) = rows, cols
        a = padded[z0] * (1 - wz)[:, None] + padded[z0 + 1] * wz[:, None]
        acc += a[:, x0] * (1 - wx) + a[:, x0 + 1] * wx
    out[r0:r1, c0:c1] += acc * s


def _weights(idx: np.ndarray, n: int):
    """Lower index and weight of linear interpolation along one axis of a zero-padded plane (outside -> pad)."""
    idx = np.clip(idx, 0, n - 1.001)
    i0 = np.floor(idx).astype(np.intp)
    return i0, (idx - i0).astype(np.float32)


def unroll(image: np.ndarray, beam: ConeBeam) -> np.ndarray:
    """Turn a map projected without roll (``project``) to the film's roll about the central ray."""
    if abs(beam.roll_deg) < 1e-6:
        return image
    rot = beam._rot()
    centre = np.array([beam.centre_px[1], beam.centre_px[0]])
    # output (r, c) -> input: inverse rotation in (u, v) = (c, r) coordinates
    inv = rot.T
    matrix = np.array([[inv[1, 1], inv[1, 0]], [inv[0, 1], inv[0, 0]]])
    offset = centre - matrix @ centre
    return ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="nearest").astype(np.float32)


def obliquity(beam: ConeBeam) -> np.ndarray:
    """Path-length factor of oblique rays (1 on the central ray), to multiply a projection by."""
    rows, cols = beam.shape
    v = (np.arange(rows, dtype=np.float32) - beam.centre_px[1]) * beam.pixel
    u = (np.arange(cols, dtype=np.float32) - beam.centre_px[0]) * beam.pixel
    return np.sqrt(1 + (u[None, :] ** 2 + v[:, None] ** 2) / beam.sid ** 2).astype(np.float32)


def ellipsoid_chords(beam: ConeBeam, centre, radii, mu: float, out: np.ndarray) -> None:
    """Add mu x the chord length through an axis-aligned ellipsoid along each ray (parallel rays through its
    centre's magnification; the ellipsoid is smooth, so this is close), in place. Used for soft tissue and gas."""
    cx, cy, cz = centre
    m = beam.magnification(cy)
    (cc, rc), = beam.to_detector([centre])
    rx, ry, rz = (r * m / beam.pixel for r in (radii[0], radii[1], radii[2]))
    rows, cols = out.shape
    r0, r1 = max(int(rc - rz) - 1, 0), min(int(rc + rz) + 2, rows)
    c0, c1 = max(int(cc - rx) - 1, 0), min(int(cc + rx) + 2, cols)
    if r1 <= r0 or c1 <= c0:
        return
    yy = (np.arange(r0, r1, dtype=np.float32)[:, None] - rc) / rz
    xx = (np.arange(c0, c1, dtype=np.float32)[None, :] - cc) / rx
    out[r0:r1, c0:c1] += (2 * radii[1] * mu) * np.sqrt(np.clip(1 - xx * xx - yy * yy, 0, None))
