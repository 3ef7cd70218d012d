"""Trabecular bone texture, streaked along the trabecular columns."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage


def _trabecular(rng: np.random.Generator, shape: tuple[int, int], spacing: float) -> np.ndarray:
    """Multiplicative trabecular texture around 1: a network of bone struts (the edges of a warped Voronoi
    tessellation, marrow spaces about 1.5 mm across) with struts of uneven thickness, some missing."""
    f = 2 if spacing < 0.3 else 1
    h, w = shape[0] // f + 1, shape[1] // f + 1
    sp = spacing * f
    cell = rng.uniform(1.3, 1.8) / sp  # marrow-space size in pixels of the working grid
    if cell < 2.0:  # too fine to resolve (small images): only a faint mottle survives
        n = ndimage.gaussian_filter(rng.standard_normal((h, w), dtype=np.float32), 0.8)
        tex = 1 + 0.05 * n / (n.std() + 1e-6)
        return _upsample(tex, shape, f)
    # A slow warp bends the tessellation so the cells are irregular, not a honeycomb.
    wsig = 4.0 / sp
    k = max(int(wsig / 3), 1)
    coarse = rng.standard_normal((2, h // k + 2, w // k + 2)).astype(np.float32)
    warp = [ndimage.zoom(ndimage.gaussian_filter(c, wsig / k), k, order=1)[:h, :w] for c in coarse]
    warp = [0.35 * cell * c / (c.std() + 1e-6) for c in warp]
    y = (np.arange(h, dtype=np.float32)[:, None] + warp[1]) / cell + 1
    x = (np.arange(w, dtype=np.float32)[None, :] + warp[0]) / cell + 1
    y = np.clip(y, 1, None)
    x = np.clip(x, 1, None)
    iy, ix = y.astype(np.int32), x.astype(np.int32)
    fy, fx = y - iy.astype(np.float32), x - ix.astype(np.float32)
    gh, gw = int(iy.max()) + 3, int(ix.max()) + 3
    jy, jx = rng.random((2, gh * gw), dtype=np.float32)
    lin = iy * gw + ix
    d1 = np.full((h, w), 9.0, np.float32)
    d2 = np.full((h, w), 9.0, np.float32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            idx = lin + (dy * gw + dx)
            d = (np.take(jx, idx) + (dx - fx)) ** 2 + (np.take(jy, idx) + (dy - fy)) ** 2
            d2 = np.minimum(d2, np.maximum(d1, d))
            d1 = np.minimum(d1, d)
    edge = np.sqrt(d2) - np.sqrt(d1)  # 0 on a cell wall, in cell units
    thick = 0.24 + 0.08 * warp[0] / (0.35 * cell)  # strut half-thickness varies slowly
    strut = np.exp(-(edge / np.maximum(thick, 0.1)) ** 2)
    gaps = ndimage.gaussian_filter(rng.standard_normal((h, w), dtype=np.float32), 0.35 * cell)
    strut *= np.clip(0.8 + 0.6 * gaps / (gaps.std() + 1e-6), 0.3, 1)  # some struts thin out or break
    tex = 0.8 + 0.55 * strut
    tex /= tex.mean()
    return _upsample(tex.astype(np.float32), shape, f)


def _upsample(tex: np.ndarray, shape: tuple[int, int], f: int) -> np.ndarray:
    if f > 1:
        tex = np.asarray(Image.fromarray(np.asarray(tex, dtype=np.float32)).resize((tex.shape[1] * f, tex.shape[0] * f),
                                                          Image.Resampling.BILINEAR))
    return tex[: shape[0], : shape[1]]


def _streaked(rng: np.random.Generator, column: np.ndarray, tex: np.ndarray, spacing: float) -> np.ndarray:
    """Vertebral-body bone with its texture: the strut network plus vertical striation (the primary,
    load-bearing trabeculae run craniocaudally), made only inside the bodies' bounding box."""
    rows, cols = np.flatnonzero(column.any(axis=1)), np.flatnonzero(column.any(axis=0))
    if rows.size == 0:
        return column
    sl = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    noise = rng.standard_normal(column[sl].shape, dtype=np.float32)
    streak = ndimage.gaussian_filter(noise, (1.5 / spacing, max(0.3 / spacing, 0.6)))
    streak = 1 + 0.09 * streak / (streak.std() + 1e-6)
    out = np.zeros_like(column)
    out[sl] = column[sl] * (0.5 + 0.5 * tex[sl]) * streak
    return out
