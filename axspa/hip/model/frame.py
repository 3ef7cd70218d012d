"""Coronal slices in one orientation whatever the file's: rows run superior -> inferior, columns from
the patient's right to left (radiological view), slices along the anterior-posterior axis.

``SliceFrame`` is derived from the volume's IJK-to-RAS (so the patient side always comes from the
geometry) and moves arrays [k, j, i] to that view and back with transposes and flips only; an oblique
coronal acquisition keeps its own slice plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from axspa.hip.scores import coronal_axis


@dataclass(frozen=True)
class SliceFrame:
    axes: tuple[int, int, int]  # array axes of (slice, row, column)
    flips: tuple[bool, bool, bool]  # flip each after the transpose
    spacing: tuple[float, float, float]  # mm along (slice, row, column)

    @classmethod
    def from_ijk_to_ras(cls, ijk_to_ras: np.ndarray) -> SliceFrame:
        m = np.asarray(ijk_to_ras, dtype=float)[:3, :3]
        # array axis a (of [k, j, i]) runs along IJK column 2 - a
        dirs = [m[:, 2 - a] for a in range(3)]
        norms = [float(np.linalg.norm(d)) for d in dirs]
        unit = [d / n for d, n in zip(dirs, norms)]
        slice_axis = coronal_axis(ijk_to_ras)  # most anterior-posterior, as the scores count slices
        rest = [a for a in range(3) if a != slice_axis]
        row_axis = max(rest, key=lambda a: abs(unit[a][2]))  # most superior-inferior
        col_axis = [a for a in rest if a != row_axis][0]
        flips = (bool(unit[slice_axis][1] < 0),  # slices anterior -> posterior
                 bool(unit[row_axis][2] > 0),  # rows superior -> inferior
                 bool(unit[col_axis][0] > 0))  # columns patient right -> left (RAS x falls)
        axes = (slice_axis, row_axis, col_axis)
        return cls(axes, flips, tuple(norms[a] for a in axes))

    def to_view(self, array: np.ndarray) -> np.ndarray:
        view = np.transpose(array, self.axes)
        for axis, flip in enumerate(self.flips):
            if flip:
                view = np.flip(view, axis)
        return view

    def from_view(self, view: np.ndarray) -> np.ndarray:
        for axis, flip in enumerate(self.flips):
            if flip:
                view = np.flip(view, axis)
        return np.transpose(view, np.argsort(self.axes))

    def view_to_kji(self, point: np.ndarray, shape_kji: tuple[int, int, int]) -> np.ndarray:
        """A (slice, row, column) index of the view -> (k, j, i) array index of the volume."""
        view_shape = [shape_kji[a] for a in self.axes]
        p = [(n - 1 - v) if f else v for v, n, f in zip(point, view_shape, self.flips)]
        out = np.zeros(3)
        for v, a in zip(p, self.axes):
            out[a] = v
        return out


def kji_to_ras(ijk_to_ras: np.ndarray, kji: np.ndarray) -> np.ndarray:
    k, j, i = kji
    return (np.asarray(ijk_to_ras, dtype=float) @ np.array([i, j, k, 1.0]))[:3]


def robust_scale(values: np.ndarray) -> tuple[float, float]:
    """Intensity range (1st, 99.5th percentile of the non-zero signal) mapped to 0-1 for the networks:
    scanner units, gain and bit depth differ, the shape of the histogram does not much."""
    v = values[np.isfinite(values)]
    v = v[v > 0] if np.any(v > 0) else v
    if v.size == 0:
        return 0.0, 1.0
    v = v[:: max(1, v.size // 200_000)]
    lo, hi = float(np.percentile(v, 1)), float(np.percentile(v, 99.5))
    return lo, (hi if hi > lo else lo + 1.0)
