"""Fixtures for the MRML adapter tests: a real MRML scene (slicer-core wheel) and oblique geometry."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.image import ijk_to_ras_matrix


@pytest.fixture
def scene():
    """A fresh, real vtkMRMLScene (skipped where the slicer-core wheel is not installed)."""
    slicer = pytest.importorskip("slicer", reason="slicer-core (real MRML libraries) is not installed")
    s = slicer.vtkMRMLScene()
    yield s
    s.Clear(True)


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """Rotation matrix from three angles (radians) about x, y, z."""
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


@pytest.fixture
def oblique_ijk_to_ras() -> np.ndarray:
    """An oblique, anisotropic IJK-to-RAS: rotated about all three axes, spacing 0.8 x 0.7 x 3 mm."""
    return ijk_to_ras_matrix((0.8, 0.7, 3.0), (12.5, -40.0, 7.25), rotation(0.3, -0.2, 0.5))
