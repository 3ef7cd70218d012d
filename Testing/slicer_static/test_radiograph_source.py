"""The module reads a radiograph node's source DICOM with the engine's reader, because the node's voxels
are stored values: a MONOCHROME1 file would otherwise reach the model with bone dark."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

slicer = pytest.importorskip("slicer")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def nodes_module(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "AxSpAScoring"))
    from AxSpAScoringLib import nodes

    return nodes


@pytest.fixture
def monochrome1(tmp_path):
    from axspa.io.dicom_write import write_radiograph_dicom

    stored = np.zeros((40, 30), np.uint16)
    stored[10:20, 5:15] = 100  # bone: low stored values in MONOCHROME1
    stored[stored == 0] = 4000
    path = tmp_path / "cr.dcm"
    write_radiograph_dicom(path, stored, spacing_mm=(0.2, 0.2), photometric="MONOCHROME1", seed_uid_from="m1")
    return path, stored


def _node_with_voxels(stored: np.ndarray):
    from axspa.slicer.volumes import array_to_volume

    scene = slicer.vtkMRMLScene()
    return array_to_volume(scene, stored[np.newaxis].astype(np.int16), np.diag([-0.2, -0.2, 1.0, 1.0]), "cr")


def test_node_from_dicom_database_is_read_from_its_file_bone_bright(nodes_module, monochrome1):
    path, stored = monochrome1
    node = _node_with_voxels(stored)
    node.SetAttribute("DICOM.instanceUIDs", "1.2.3")
    database = types.SimpleNamespace(fileForInstance=lambda uid: str(path) if uid == "1.2.3" else "")
    radiograph = nodes_module.radiographFromNode(node, database)
    assert radiograph.path == str(path)
    assert "inverted MONOCHROME1 (bone bright)" in radiograph.steps
    assert radiograph.pixels[15, 10] > radiograph.pixels[30, 25]  # bone brighter than background


def test_node_without_source_file_uses_its_voxels(nodes_module, monochrome1):
    _, stored = monochrome1
    radiograph = nodes_module.radiographFromNode(_node_with_voxels(stored), None)
    assert radiograph.pixels.shape == (40, 30)
    assert radiograph.spacing_mm == pytest.approx((0.2, 0.2))
