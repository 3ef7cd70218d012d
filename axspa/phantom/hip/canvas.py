"""The acquisition grid of a case: voxel coordinates, noise fields, painting tissues and truth masks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import numpy as np

from axspa.phantom import mri
from axspa.phantom.hip.geometry import _Geometry
from axspa.phantom.hip.sdf import _Shape

Value = Union[float, np.ndarray, Callable[[tuple, list, np.ndarray], np.ndarray]]
Box = tuple[slice, slice, slice]


class _Canvas:
    """The image being painted plus the smooth noise fields every shape and texture draws on."""

    def __init__(self, geo: _Geometry, rng: np.random.Generator) -> None:
        self.shape = geo.shape
        self.m = geo.ijk_to_patient
        self.inv = np.linalg.inv(geo.ijk_to_patient)
        self.edge = np.float32(geo.spacing[0])  # in-plane partial-volume width: one pixel
        self.image = np.zeros(self.shape, dtype=np.float32)
        extent = np.array([geo.shape[0] * geo.spacing[2], geo.shape[1] * geo.spacing[1],
                           geo.shape[2] * geo.spacing[0]])

        def cells(mm: Sequence[float]) -> tuple[int, ...]:
            return tuple(int(np.ceil(e / f)) + 1 for e, f in zip(extent, mm))

        # Shape noise (~35 and ~12 mm features), fine marrow/edema texture (~2.5 mm, each slice its
        # own), and muscle striation (fibres run mostly cranio-caudally: long in j, thin in i).
        self.coarse = mri.smooth_field(rng, self.shape, cells((35.0, 35.0, 35.0)))
        self.medium = mri.smooth_field(rng, self.shape, cells((12.0, 12.0, 12.0)))
        self.fine = mri.smooth_field(rng, self.shape, (geo.shape[0],) + cells((1, 2.5, 2.5))[1:])
        self.striation = mri.smooth_field(rng, self.shape, (geo.shape[0],) + cells((1, 22.0, 2.2))[1:])

    def evaluate(self, shape: _Shape) -> Optional[tuple[Box, np.ndarray, list[np.ndarray]]]:
        """(index box, SDF in the box, [x, y, z] in the box) or None when the shape misses the grid."""
        pad = 3.5 * shape.rough
        corners = np.array(np.meshgrid(*zip(shape.lo - pad, shape.hi + pad), indexing="ij")).reshape(3, -1)
        ijk = self.inv[:3, :3] @ corners + self.inv[:3, 3:4]
        lo = np.floor(ijk.min(axis=1)).astype(int)
        hi = np.ceil(ijk.max(axis=1)).astype(int) + 1
        n_i, n_j, n_k = self.shape[2], self.shape[1], self.shape[0]
        i0, j0, k0 = max(lo[0], 0), max(lo[1], 0), max(lo[2], 0)
        i1, j1, k1 = min(hi[0], n_i), min(hi[1], n_j), min(hi[2], n_k)
        if i1 <= i0 or j1 <= j0 or k1 <= k0:
            return None
        sub = self.m.copy()
        sub[:3, 3] = self.m[:3, :3] @ np.array([i0, j0, k0]) + self.m[:3, 3]
        xyz = mri.voxel_coordinates((k1 - k0, j1 - j0, i1 - i0), sub)
        full = np.broadcast_shapes(*(c.shape for c in xyz))
        xyz = [np.broadcast_to(c, full) for c in xyz]
        box = (slice(k0, k1), slice(j0, j1), slice(i0, i1))
        sd = shape.sdf(*xyz)
        if shape.rough:
            a, b = (np.float32(shape.rough * w) for w in shape.mix)
            noise = a * self.coarse[box] + b * self.medium[box]
            sd = sd + (noise if shape.damp is None else noise * shape.damp(*xyz))
        return box, sd, xyz

    def _width(self, sd: np.ndarray) -> np.ndarray | np.float32:
        """Partial-volume width of an edge at each voxel: a pixel in plane, and the SDF's change
        from slice to slice (slab thickness times the surface normal's through-slice component)."""
        if sd.shape[0] < 2:
            return self.edge
        g = np.abs(np.gradient(sd, axis=0))
        return np.sqrt(self.edge * self.edge + g * g)

    def paint(self, shape: _Shape, layers: Sequence[tuple[Any, Value]],
              where: Optional[Callable[[Box, np.ndarray, list], np.ndarray]] = None,
              found: Optional[tuple[Box, np.ndarray, list]] = None) -> Optional[tuple[Box, np.ndarray, list]]:
        """Blend each (inset, value) layer in turn where SDF < -inset, over the partial-volume width.
        ``inset`` may be a full-grid array (a varying depth); ``value`` a number, a full-grid array or
        a function (box, xyz, sd) -> values; ``where`` a function (box, sd, xyz) -> 0..1 weight.
        ``found`` reuses an earlier ``evaluate``; returns it so masks need no second evaluation."""
        found = self.evaluate(shape) if found is None else found
        if found is None:
            return None
        box, raw, xyz = found
        width = self._width(raw)
        weight = None if where is None else where(box, raw, xyz)
        target = self.image[box]
        for inset, value in layers:
            depth = inset[box] if isinstance(inset, np.ndarray) else np.float32(inset)
            alpha = np.clip(np.float32(0.5) - (raw + depth) / width, 0.0, 1.0)
            if weight is not None:
                alpha = alpha * weight
            if callable(value):
                val = value(box, xyz, raw)
            elif isinstance(value, np.ndarray):
                val = value[box]
            else:
                val = np.float32(value)
            target += alpha * (val - target)
        return found

    def full(self, box: Box, part: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=bool)
        out[box] = part
        return out

    def mask(self, shape: _Shape, inset: float = 0.0) -> np.ndarray:
        """Voxels whose centre lies inside the shape (SDF < -inset), as a full-grid bool array."""
        found = self.evaluate(shape)
        if found is None:
            return np.zeros(self.shape, dtype=bool)
        box, sd, _ = found
        return self.full(box, sd < -inset)
