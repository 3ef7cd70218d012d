"""Anatomical clean-up of the femoral-head mask: one connected piece, within the sphere a femoral head
is. On real T1 series the network also labelled marrow behind the head (posterior acetabulum and
ischium, bright like the head's marrow) as head; the head is a ball, so voxels beyond it are not head."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

SPHERE_MARGIN = 1.05  # a ball's largest cross-section has the ball's radius


def bounding_box(mask: np.ndarray, margin: int = 0) -> Optional[tuple]:
    """Slices of a mask's bounding box (with ``margin`` voxels, clipped), None when empty; from the mask's
    projections, a fraction of np.nonzero's cost on a full volume."""
    box = []
    for axis in range(mask.ndim):
        hit = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        if not len(hit):
            return None
        box.append(slice(max(int(hit[0]) - margin, 0), int(hit[-1]) + 1 + margin))
    return tuple(box)


def largest_piece(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    box = bounding_box(mask)  # label only where the mask is
    if box is None:
        return mask
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


SPHERE_TRIM_MM = 2.5  # outline points further than this from the fitted sphere are not part of it (the neck cut)


def fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares sphere (centre, radius) through points (n, 3) in mm: |p|² = 2 p·c + (r² - |c|²) is
    linear in (c, r² - |c|²)."""
    a = np.c_[2.0 * points, np.ones(len(points))]
    solution, *_ = np.linalg.lstsq(a, (points ** 2).sum(axis=1), rcond=None)
    centre = solution[:3]
    return centre, float(np.sqrt(max(solution[3] + centre @ centre, 0.0)))


def within_fitted_sphere(head: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """The shape prior: a femoral head is a ball. Fit a sphere to the head's in-plane outline (every slice's
    cross-section outline lies on the ball's surface; points off it by more than SPHERE_TRIM_MM, such as the
    flat cut at the neck, are dropped and the sphere refitted) and keep the voxels within it plus half a pixel
    (the outline voxels straddle the surface). On the real T1 series the network's head bulged beyond the bone
    at its rim and on its first and last slices; a ball fitted to the whole outline leaves those out. A mask
    too small to fit, or a fit no femoral head could be (radius outside 10-40 mm), is returned as it is."""
    from scipy import ndimage

    # Work on the head's bounding box (with a voxel of margin): a full volume's erosion costs ~0.1 s.
    box = bounding_box(head, margin=1)
    if box is None:
        return head
    lo = [b.start for b in box]
    part = head[box]
    plane = np.zeros((3, 3, 3), bool)
    plane[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    outline = part & ~ndimage.binary_erosion(part, structure=plane)
    scale = np.asarray(spacing, dtype=float)
    points = (np.argwhere(outline) + lo) * scale
    if len(points) < 30:
        return head
    centre, radius = fit_sphere(points)
    for _ in range(3):
        near = np.abs(np.linalg.norm(points - centre, axis=1) - radius) < SPHERE_TRIM_MM
        if near.sum() < 30:
            return head
        centre, radius = fit_sphere(points[near])
    if not 10.0 <= radius <= 40.0:
        return head
    voxels = np.argwhere(part)
    keep = np.linalg.norm((voxels + lo) * scale - centre, axis=1) <= radius + min(scale[1:])
    out = np.zeros_like(head)
    inside = np.zeros_like(part)
    inside[tuple(voxels[keep].T)] = True
    out[box] = inside
    return out
