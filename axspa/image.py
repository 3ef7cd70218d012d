"""In-memory images the engine works on: a 2D radiograph and a 3D volume with its geometry."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class InputError(ValueError):
    """Bad input a user can fix; the message names the file and the problem."""


@dataclass
class Radiograph:
    """A projection radiograph ready for analysis.

    ``pixels`` is float32 [rows, columns] with bone bright (MONOCHROME1 already inverted,
    rescale and VOI applied). ``spacing_mm`` is (row, column) spacing or None when unknown.
    ``steps`` records what was done to the stored pixels, ``warnings`` what the user should know.
    """

    pixels: np.ndarray
    spacing_mm: tuple[float, float] | None
    path: str = ""
    sha256: str = ""
    photometric: str = "MONOCHROME2"
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def columns(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def ijk_to_ras(self) -> np.ndarray:
        """Where Slicer puts this image: ITK's default LPS axes (i = column to patient left,
        j = row to posterior), origin at the first stored pixel, 1 mm when spacing is unknown."""
        row_mm, col_mm = self.spacing_mm or (1.0, 1.0)
        return np.diag([-col_mm, -row_mm, 1.0, 1.0])


@dataclass
class Volume:
    """A 3D image: ``array`` is indexed [k, j, i] (slice, row, column), as SimpleITK and Slicer's
    ``arrayFromVolume`` return it; ``ijk_to_ras`` maps (i, j, k, 1) to RAS millimetres."""

    array: np.ndarray
    ijk_to_ras: np.ndarray
    path: str = ""
    meta: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """(i, j, k) spacing in mm: the column norms of the direction-scaled matrix."""
        return tuple(float(np.linalg.norm(self.ijk_to_ras[:3, c])) for c in range(3))

    @property
    def origin_ras(self) -> np.ndarray:
        return self.ijk_to_ras[:3, 3].copy()

    @property
    def directions_ras(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit i, j, k axes in RAS."""
        return self.ijk_to_ras[:3, :3] / np.array(self.spacing)

    @property
    def voxel_volume_ml(self) -> float:
        return float(np.prod(self.spacing)) / 1000.0


def zero_non_finite(volume: Volume, source: str = "") -> int:
    """Set voxels that are not finite numbers (NaN, Inf) to 0, with a warning naming how many and on which
    slices; InputError when no voxel is finite. Returns how many were set (every volume reader and the
    MRML adapter go through here: such voxels never change a score silently)."""
    array = volume.array
    bad = ~np.isfinite(array)
    if not bad.any():
        return 0
    if bad.all():
        raise InputError(f"{source or volume.path or 'volume'}: no voxel holds a finite number (all NaN or Inf)")
    slices = sorted({int(k) for k in np.nonzero(bad.reshape(bad.shape[0], -1).any(axis=1))[0]})
    shown = ", ".join(map(str, slices[:8])) + (" ..." if len(slices) > 8 else "")
    volume.array = np.where(bad, 0, array).astype(array.dtype, copy=False)
    volume.meta["non_finite_voxels"] = int(bad.sum())
    volume.warnings.append(f"{int(bad.sum())} voxels are not finite numbers (NaN or Inf) on slice(s) "
                           f"{shown} (k, 0-based); they were set to 0")
    return int(bad.sum())


def ijk_to_ras_matrix(spacing: tuple[float, float, float], origin_lps: tuple[float, float, float],
                      direction_lps: np.ndarray | tuple[float, ...]) -> np.ndarray:
    """Build IJK-to-RAS from ITK/DICOM-style geometry (origin and direction in LPS)."""
    direction = np.asarray(direction_lps, dtype=float).reshape(3, 3)
    lps_to_ras = np.diag([-1.0, -1.0, 1.0])
    m = np.eye(4)
    m[:3, :3] = lps_to_ras @ direction @ np.diag(spacing)
    m[:3, 3] = lps_to_ras @ np.asarray(origin_lps, dtype=float)
    return m
