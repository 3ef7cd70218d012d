"""Patch sampling with torch: oriented square crops of a film by centre, side and angle.

One convention everywhere (training crops, inference crops, decoding): a patch of ``n`` pixels
covers a square of ``side`` film pixels centred on ``center`` (x, y), rotated by ``angle`` (radians;
the patch's +y axis points along (-sin a, cos a) in the film), optionally mirrored left-right.
Patch pixel (j_x, j_y) -> film point  center + R(angle) @ (q * side / 2), q = (2 j + 1) / n - 1.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf


def rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def _linear(side: float, angle: float, flip: bool, aspect: float) -> np.ndarray:
    # patch-normalised q -> film offset: rotate(angle) . stretch(aspect) . mirror(flip) . side / 2
    lin = rotation(angle) @ np.diag([aspect, 1.0 / aspect]) * (side / 2.0)
    return lin @ np.diag([-1.0, 1.0]) if flip else lin


def patch_thetas(centers: np.ndarray, sides: np.ndarray, angles: np.ndarray, flips: np.ndarray,
                 height: int, width: int, aspects: np.ndarray | None = None) -> torch.Tensor:
    """affine_grid thetas (B, 2, 3) mapping patch-normalised to film-normalised coordinates."""
    thetas = np.zeros((len(centers), 2, 3), dtype=np.float32)
    to_norm = np.array([2.0 / width, 2.0 / height])
    aspects = np.ones(len(centers)) if aspects is None else aspects
    for b, (c, side, a, flip, asp) in enumerate(zip(centers, sides, angles, flips, aspects)):
        lin = _linear(side, a, flip, asp)
        thetas[b, :, :2] = lin * to_norm[:, None]
        thetas[b, :, 2] = (2.0 * np.asarray(c) + 1.0) / np.array([width, height]) - 1.0
    return torch.from_numpy(thetas)


def sample_patches(images: torch.Tensor, centers: Sequence, sides: Sequence, angles: Sequence, size: int,
                   flips: Sequence | None = None, image_index: Sequence | None = None,
                   aspects: Sequence | None = None) -> torch.Tensor:
    """Bilinear patches (B, C, size, size) of ``images`` (N, C, H, W); pixels outside are 0."""
    n = len(centers)
    flips = np.zeros(n, bool) if flips is None else np.asarray(flips)
    idx = np.zeros(n, int) if image_index is None else np.asarray(image_index)
    h, w = images.shape[-2:]
    theta = patch_thetas(np.asarray(centers, float), np.asarray(sides, float), np.asarray(angles, float),
                         flips, h, w, None if aspects is None else np.asarray(aspects, float)).to(images.dtype)
    grid = nnf.affine_grid(theta, [n, images.shape[1], size, size], align_corners=False)
    src = images[torch.as_tensor(idx)]
    return nnf.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def film_to_patch(points: np.ndarray, center: Sequence, side: float, angle: float, size: int,
                  flip: bool = False, aspect: float = 1.0) -> np.ndarray:
    """Film points (..., 2) -> patch pixel coordinates (same convention as ``sample_patches``)."""
    inv = np.linalg.inv(_linear(side, angle, flip, aspect))
    q = (np.asarray(points, float) - np.asarray(center, float)) @ inv.T
    return ((q + 1.0) * size - 1.0) / 2.0


def patch_to_film(points: np.ndarray, center: Sequence, side: float, angle: float, size: int,
                  flip: bool = False, aspect: float = 1.0) -> np.ndarray:
    q = (2.0 * np.asarray(points, float) + 1.0) / size - 1.0
    return np.asarray(center, float) + q @ _linear(side, angle, flip, aspect).T


def normalise(pixels: np.ndarray) -> np.ndarray:
    """Robust [0, 1] scaling (1st-99th percentile), the same for training and inference.

    Non-finite pixels are set to the lowest finite value so that one NaN cannot blank a film."""
    x = np.asarray(pixels, dtype=np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        x = np.where(finite, x, np.nanmin(np.where(finite, x, np.nan)) if finite.any() else 0.0)
    lo, hi = np.percentile(x[:: max(1, x.shape[0] // 512), :: max(1, x.shape[1] // 512)], [1, 99])
    return np.clip((x - lo) / max(hi - lo, 1e-6), 0.0, 1.0).astype(np.float32)


def letterbox(pixels: np.ndarray, size: int) -> tuple[torch.Tensor, float, np.ndarray]:
    """The whole film scaled into a size x size square (aspect kept, centred, zero padded).

    Returns the (1, 1, size, size) tensor, the scale (small pixels per film pixel) and the offset,
    so that small = film * scale + offset."""
    h, w = pixels.shape
    scale = size / max(h, w)
    offset = np.array([(size - w * scale) / 2.0, (size - h * scale) / 2.0])
    center = (np.array([size / 2.0, size / 2.0]) - offset) / scale - 0.5
    img = torch.from_numpy(normalise(pixels))[None, None]
    # Anti-alias before shrinking: average-pool by the integer part of the reduction.
    k = int(1.0 / scale)
    if k >= 2:
        img = nnf.avg_pool2d(img, k, stride=k, ceil_mode=True)
        center = (center + 0.5) / k - 0.5
        out = sample_patches(img, [center], [size / (scale * k)], [0.0], size)
    else:
        out = sample_patches(img, [center], [size / scale], [0.0], size)
    return out, scale, offset + 0.5 * scale - 0.5  # pixel centres: small = film * scale + offset
