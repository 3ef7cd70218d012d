"""MR acquisition effects for the synthetic STIR phantoms: smooth random fields, slice profile,
coil bias, noise.

Every function takes the case's ``numpy.random.Generator`` and draws from it in a fixed order, so
the same seed gives the same image bytes. All operations are vectorised; smooth random fields are
drawn on a coarse grid and brought to the full grid by separable matrix products (three small
matrix multiplications), which is several times faster than spline zooming and free of the
creases that linear interpolation leaves.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import ndimage


def _interpolation_matrix(n: int, c: int) -> np.ndarray:
    """(n, c) weights taking c coarse samples to n fine ones with a Gaussian kernel of about one
    coarse cell: smooth (no linear-interpolation creases) and rows summing to one."""
    if c == n:
        return np.eye(n, dtype=np.float32)
    t = (np.arange(n, dtype=np.float64) + 0.5) * c / n - 0.5
    w = np.exp(-0.5 * ((t[:, None] - np.arange(c)[None, :]) / 0.65) ** 2)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def upsample(coarse: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Smoothly resample a coarse [k, j, i] array to ``shape`` (float32)."""
    w0, w1, w2 = (_interpolation_matrix(n, c) for n, c in zip(shape, coarse.shape))
    x = coarse.astype(np.float32) @ w2.T  # (c0, c1, n2)
    x = np.matmul(w1, x)  # (c0, n1, n2)
    return (w0 @ x.reshape(x.shape[0], -1)).reshape(shape)


def smooth_field(rng: np.random.Generator, shape: tuple[int, ...], cells: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-std random field varying over about ``cells`` features per axis (float32).
    An axis given as many cells as it has voxels is left uncorrelated along it."""
    coarse = rng.standard_normal(tuple(min(max(int(c), 2), s) for c, s in zip(cells, shape))).astype(np.float32)
    field = upsample(coarse, shape)
    std = float(field.std()) or 1.0
    return ((field - field.mean()) / std).astype(np.float32)


def voxel_coordinates(shape: tuple[int, int, int], ijk_to_xyz: np.ndarray, step: int = 1) -> list[np.ndarray]:
    """x, y, z (mm) of every ``step``-th voxel of a [k, j, i] grid, each shaped like that sub-grid."""
    k, j, i = (np.arange(0, n, step, dtype=np.float32) for n in shape)
    m = np.asarray(ijk_to_xyz, dtype=np.float32)
    return [m[r, 0] * i[None, None, :] + m[r, 1] * j[None, :, None] + m[r, 2] * k[:, None, None] + m[r, 3]
            for r in range(3)]


def fat_suppression(rng: np.random.Generator, shape: tuple[int, int, int], ijk_to_xyz: np.ndarray,
                    fat: float) -> np.ndarray:
    """STIR signal of fat on the grid: nulled near the isocentre, rising toward the edges of the
    field of view where B0/B1 inhomogeneity spoils the inversion (the bright rim of real STIR),
    with a little patchiness. Coarse grid, interpolated."""
    step = 8
    x, y, z = voxel_coordinates(shape, ijk_to_xyz, step)
    z0 = np.float32(rng.uniform(-20.0, 30.0))
    rho = np.sqrt(x * x + np.float32(1.6) * y * y + (z - z0) ** 2)
    start, width = np.float32(rng.uniform(140.0, 170.0)), np.float32(rng.uniform(70.0, 120.0))
    rim = np.clip((rho - start) / width, 0.0, 1.5) ** 2
    side = np.float32(rng.uniform(-0.3, 0.3))  # one edge of the field is usually worse than the other
    rim = rim * (1.0 + side * np.sign(x))
    coarse = np.float32(fat) * (1.0 + np.float32(rng.uniform(1.0, 3.0)) * rim)
    coarse = np.broadcast_to(coarse, np.broadcast_shapes(x.shape, y.shape, z.shape))
    return upsample(np.ascontiguousarray(coarse), shape)


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
    full = upsample(field, shape)
    return (full / np.float32(np.median(field))).astype(np.float32)


def slice_profile(image: np.ndarray, rng: np.random.Generator, slice_sigma: Optional[float] = None) -> np.ndarray:
    """In-plane k-space truncation (a small blur) and slice cross-talk. Partial volume within the
    slab itself is rendered at the tissue edges (see hip._Canvas.paint), so the through-slice
    blur here is only the slice-profile tails reaching the neighbours."""
    sigma_k = rng.uniform(0.15, 0.3) if slice_sigma is None else slice_sigma
    sigma_inplane = rng.uniform(0.35, 0.6)
    return ndimage.gaussian_filter(image, (sigma_k, sigma_inplane, sigma_inplane), mode="nearest", truncate=3.0)


def rician_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Magnitude image of complex data with Gaussian noise: Rician, with its floor in the air."""
    real = image + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    imag = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.sqrt(real * real + imag * imag)


def to_stored(image: np.ndarray, gain: float) -> np.ndarray:
    """Scale to scanner-like 12-bit values and round to uint16 (what the DICOM stores)."""
    return np.clip(np.rint(image * np.float32(gain)), 0, 4095).astype(np.uint16)
