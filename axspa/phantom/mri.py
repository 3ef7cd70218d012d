"""MR acquisition effects for the synthetic STIR phantoms: slice profile, coil bias, texture, noise.

Every function takes the case's ``numpy.random.Generator`` and draws from it in a fixed order, so
the same seed gives the same image bytes. All operations are vectorised; smooth random fields are
drawn on a coarse grid and interpolated, which costs little whatever the matrix size.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def smooth_field(rng: np.random.Generator, shape: tuple[int, ...], cells: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-std random field varying over about ``cells`` features per axis (float32)."""
    coarse = rng.standard_normal(tuple(max(int(c), 2) for c in cells)).astype(np.float32)
    zoom = [s / c for s, c in zip(shape, coarse.shape)]
    field = ndimage.zoom(coarse, zoom, order=1, mode="nearest", grid_mode=True)
    field = field[tuple(slice(0, s) for s in shape)]
    std = float(field.std()) or 1.0
    return ((field - field.mean()) / std).astype(np.float32)


def voxel_coordinates(shape: tuple[int, int, int], ijk_to_xyz: np.ndarray, step: int = 1) -> list[np.ndarray]:
    """x, y, z (mm) of every ``step``-th voxel of a [k, j, i] grid, each shaped like that sub-grid."""
    k, j, i = (np.arange(0, n, step, dtype=np.float32) for n in shape)
    m = np.asarray(ijk_to_xyz, dtype=np.float32)
    return [m[r, 0] * i[None, None, :] + m[r, 1] * j[None, :, None] + m[r, 2] * k[:, None, None] + m[r, 3]
            for r in range(3)]


def coil_bias(rng: np.random.Generator, shape: tuple[int, int, int], ijk_to_xyz: np.ndarray,
              body_half_widths: tuple[float, float]) -> np.ndarray:
    """Multiplicative receive-coil sensitivity: phased-array elements on the anterior and posterior
    body surface make tissue near them brighter (so slices and the body's edges differ), plus a
    gentle linear gradient. Computed on a coarse grid (it is smooth) and interpolated."""
    step = 8
    x, y, z = voxel_coordinates(shape, ijk_to_xyz, step)
    ax, ay = body_half_widths
    field = np.ones(np.broadcast_shapes(x.shape, y.shape, z.shape), dtype=np.float32)
    for surface in (+1.0, -1.0):  # anterior and posterior coil arrays
        for ex in (-0.6 * ax, 0.0, 0.6 * ax):
            for ez in (-70.0, 70.0):
                gain = rng.uniform(0.15, 0.45)
                sigma = rng.uniform(90.0, 150.0)
                ey = surface * ay * rng.uniform(0.95, 1.1)
                d2 = (x - ex) ** 2 + (y - ey) ** 2 + (z - ez) ** 2
                field += np.float32(gain) * np.exp(-d2 / np.float32(2 * sigma**2))
    gx, gz = rng.uniform(-0.0012, 0.0012, size=2)
    field *= 1.0 + np.float32(gx) * x + np.float32(gz) * z
    zoom = [s / c for s, c in zip(shape, field.shape)]
    full = ndimage.zoom(field, zoom, order=1, mode="nearest", grid_mode=True)[:shape[0], :shape[1], :shape[2]]
    return (full / np.float32(np.median(full))).astype(np.float32)


def slice_profile(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Partial volume across the 3-5 mm slice and k-space truncation in plane: a small blur."""
    sigma_k = rng.uniform(0.25, 0.45)
    sigma_inplane = rng.uniform(0.35, 0.6)
    return ndimage.gaussian_filter(image, (sigma_k, sigma_inplane, sigma_inplane), mode="nearest")


def rician_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Magnitude image of complex data with Gaussian noise: Rician, with its floor in the air."""
    real = image + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    imag = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.sqrt(real * real + imag * imag)


def to_stored(image: np.ndarray, gain: float) -> np.ndarray:
    """Scale to scanner-like 12-bit values and round to uint16 (what the DICOM stores)."""
    return np.clip(np.rint(image * np.float32(gain)), 0, 4095).astype(np.uint16)
