"""Resampling between a coronal view (native pixels) and the networks' fixed-pitch crops.

A crop is ``size`` x ``size`` pixels of ``pitch`` mm centred on a point of the source image; it may be
rotated, zoomed and mirrored (training augmentation; the left hip is mirrored so both hips look alike).
The same affine is inverted to bring the network's output back onto the native pixels.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as fn


def crop_grid(center_px: Sequence[float], spacing: Sequence[float], src_hw: Sequence[int], size: int,
              pitch: float, angle: float = 0.0, zoom: float = 1.0, mirror: bool = False) -> torch.Tensor:
    """grid_sample grid (size, size, 2) of a crop centred at ``center_px`` (row, col) of a source with
    pixel ``spacing`` (row, col mm) and shape ``src_hw``; ``angle`` in radians."""
    u = (torch.arange(size, dtype=torch.float32) - (size - 1) / 2.0) * pitch * zoom
    dy, dx = torch.meshgrid(u, -u if mirror else u, indexing="ij")
    c, s = float(np.cos(angle)), float(np.sin(angle))
    y, x = c * dy - s * dx, s * dy + c * dx
    row = center_px[0] + y / spacing[0]
    col = center_px[1] + x / spacing[1]
    h, w = src_hw
    return torch.stack([col / max(w - 1, 1) * 2 - 1, row / max(h - 1, 1) * 2 - 1], dim=-1)


def sample(images: torch.Tensor, grids: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Crops (B, C, size, size) of ``images`` (B, C, H, W) along ``grids`` (B, size, size, 2); zero outside."""
    return fn.grid_sample(images, grids, mode=mode, padding_mode="zeros", align_corners=True)


def back_to_source(crop: torch.Tensor, center_px: Sequence[float], spacing: Sequence[float],
                   src_hw: Sequence[int], pitch: float, mirror: bool = False
                   ) -> tuple[Optional[tuple[slice, slice]], Optional[torch.Tensor]]:
    """Values (C, size, size) of an unrotated crop, or a batch of them (B, C, size, size) sharing one
    window, resampled onto the source pixels it covers: the (row, col) slices of the source and the values
    there ((C or B, C), h, w); (None, None) when it covers none."""
    size = crop.shape[-1]
    half_mm = (size - 1) / 2.0 * pitch
    rows = _covered(center_px[0], half_mm / spacing[0], src_hw[0])
    cols = _covered(center_px[1], half_mm / spacing[1], src_hw[1])
    if rows is None or cols is None:
        return None, None
    r = (torch.arange(rows.start, rows.stop, dtype=torch.float32) - center_px[0]) * spacing[0] / pitch
    c = (torch.arange(cols.start, cols.stop, dtype=torch.float32) - center_px[1]) * spacing[1] / pitch
    if mirror:
        c = -c
    gy, gx = torch.meshgrid(r / ((size - 1) / 2.0), c / ((size - 1) / 2.0), indexing="ij")
    grid = torch.stack([gx, gy], dim=-1)[None]
    batch = crop if crop.dim() == 4 else crop[None]
    values = fn.grid_sample(batch, grid.expand(len(batch), -1, -1, -1), mode="bilinear", padding_mode="border",
                            align_corners=True)
    return (rows, cols), (values if crop.dim() == 4 else values[0])


def _covered(center: float, half: float, n: int) -> Optional[slice]:
    lo, hi = max(0, int(np.ceil(center - half))), min(n, int(np.floor(center + half)) + 1)
    return slice(lo, hi) if hi > lo else None


def resize_to_pitch(view: np.ndarray, spacing: Sequence[float], pitch: float, canvas: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slices (n, H, W) area-averaged to ``pitch`` mm pixels and centred on a ``canvas``-px square (cut or
    zero-padded). Returns the canvases, the scale (source px per canvas px, row and col) and the offset:
    source px = (canvas px - offset + 0.5) x scale - 0.5."""
    n, h, w = view.shape
    out_h, out_w = max(1, round(h * spacing[0] / pitch)), max(1, round(w * spacing[1] / pitch))
    small = fn.interpolate(torch.from_numpy(np.ascontiguousarray(view, dtype=np.float32))[:, None],
                          size=(out_h, out_w), mode="area")[:, 0].numpy()
    out = np.zeros((n, canvas, canvas), np.float32)
    off = np.array([(canvas - out_h) // 2, (canvas - out_w) // 2])
    src_r0, src_c0 = max(0, -off[0]), max(0, -off[1])
    dst_r0, dst_c0 = max(0, off[0]), max(0, off[1])
    hh, ww = min(out_h - src_r0, canvas - dst_r0), min(out_w - src_c0, canvas - dst_c0)
    out[:, dst_r0:dst_r0 + hh, dst_c0:dst_c0 + ww] = small[:, src_r0:src_r0 + hh, src_c0:src_c0 + ww]
    return out, np.array([h / out_h, w / out_w]), off.astype(float)
