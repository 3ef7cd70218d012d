"""Anatomical clean-up of the femoral-head mask: one connected piece, within the sphere a femoral head
is. On real T1 series the network also labelled marrow behind the head (posterior acetabulum and
ischium, bright like the head's marrow) as head; the head is a ball, so voxels beyond it are not head."""

from __future__ import annotations

from typing import Sequence

import numpy as np

SPHERE_MARGIN = 1.05  # a ball's largest cross-section has the ball's radius


def largest_piece(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    idx = np.nonzero(mask)
    if not len(idx[0]):
        return mask
    box = tuple(slice(int(i.min()), int(i.max()) + 1) for i in idx)  # label only where the mask is
    labels, n = ndimage.label(mask[box])
    if n <= 1:
        return mask
    out = np.zeros_like(mask)
    out[box] = labels == (np.argmax(np.bincount(labels.ravel())[1:]) + 1)
    return out


def within_head_sphere(head: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """``head`` (slices, rows, cols) of the view, with ``spacing`` (mm); the voxels inside the ball whose
    radius is that of the largest cross-section (times SPHERE_MARGIN), centred on that cross-section in
    plane and on the area-weighted mean slice. Distances run to voxel centres, as the segments are
    defined (a voxel is head when its centre is), not to the nearer face of a thick slab."""
    areas = head.sum(axis=(1, 2)).astype(float)
    if not areas.any():
        return head
    s_max = int(np.argmax(areas))
    radius = np.sqrt(areas[s_max] * spacing[1] * spacing[2] / np.pi) * SPHERE_MARGIN
    rows, cols = np.nonzero(head[s_max])
    centre_s = float((areas * np.arange(len(areas))).sum() / areas.sum())
    s, r, c = np.ogrid[:head.shape[0], :head.shape[1], :head.shape[2]]
    ds = np.abs(s - centre_s) * spacing[0]
    dr = (r - rows.mean()) * spacing[1]
    dc = (c - cols.mean()) * spacing[2]
    return head & (ds ** 2 + dr ** 2 + dc ** 2 <= radius ** 2)
