"""Volume node <-> array adapters on a real MRML scene."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.image import InputError
from axspa.slicer.volumes import (
    array_to_volume,
    radiograph_from_volume_node,
    volume_to_array,
    volume_to_engine,
)

slicer = pytest.importorskip("slicer")


def test_oblique_volume_round_trip(scene, oblique_ijk_to_ras):
    rng = np.random.default_rng(1)
    array = rng.integers(-1000, 3000, size=(5, 7, 9)).astype(np.int16)
    node = array_to_volume(scene, array, oblique_ijk_to_ras, "oblique")

    assert node.GetClassName() == "vtkMRMLScalarVolumeNode"
    assert node.GetImageData().GetDimensions() == (9, 7, 5)  # VTK order is (i, j, k)
    back, matrix = volume_to_array(node)
    assert back.dtype == np.int16
    np.testing.assert_array_equal(back, array)
    np.testing.assert_allclose(matrix, oblique_ijk_to_ras, atol=1e-9)
    # The node itself reports the geometry a Slicer user sees (spacing, origin).
    np.testing.assert_allclose(node.GetSpacing(), (0.8, 0.7, 3.0), atol=1e-9)
    np.testing.assert_allclose(node.GetOrigin(), oblique_ijk_to_ras[:3, 3], atol=1e-9)
    # A copy: changing it does not change the node.
    back[0, 0, 0] = 1234
    assert volume_to_array(node)[0][0, 0, 0] == array[0, 0, 0]


def test_voxel_lands_at_matrix_position(scene, oblique_ijk_to_ras):
    array = np.zeros((4, 5, 6), np.uint8)
    node = array_to_volume(scene, array, oblique_ijk_to_ras, "v")
    # Voxel (i=2, j=3, k=1) is array[1, 3, 2]; MRML's own IJK->RAS must put it where the matrix says.
    import vtk

    m = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(m)
    ras = m.MultiplyPoint((2, 3, 1, 1))
    np.testing.assert_allclose(ras, oblique_ijk_to_ras @ [2, 3, 1, 1], atol=1e-9)


def test_reuse_node_replaces_voxels_and_geometry(scene, oblique_ijk_to_ras):
    node = array_to_volume(scene, np.ones((2, 3, 4), np.float32), np.eye(4), "v")
    again = array_to_volume(scene, np.zeros((3, 4, 5), bool), oblique_ijk_to_ras, "ignored", node=node)
    assert again is node and node.GetName() == "v"
    assert scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 1
    back, matrix = volume_to_array(node)
    assert back.shape == (3, 4, 5) and back.dtype == np.uint8  # bool stored as uint8
    np.testing.assert_allclose(matrix, oblique_ijk_to_ras, atol=1e-9)


def test_labelmap_class_and_engine_volume(scene, oblique_ijk_to_ras):
    labels = np.zeros((3, 4, 5), np.int64)
    labels[1, 2, 3] = 7
    node = array_to_volume(scene, labels, oblique_ijk_to_ras, "labels", node_class="vtkMRMLLabelMapVolumeNode")
    assert node.GetClassName() == "vtkMRMLLabelMapVolumeNode"
    volume = volume_to_engine(node)
    assert volume.array.dtype == np.int32 and volume.array[1, 2, 3] == 7
    np.testing.assert_allclose(volume.spacing, (0.8, 0.7, 3.0), atol=1e-9)
    assert volume.meta["node_name"] == "labels"


def test_radiograph_from_single_slice_volume(scene):
    pixels = np.arange(6 * 8, dtype=np.uint16).reshape(6, 8)
    # A radiograph as Slicer loads it: LPS axes, column spacing 0.15, row spacing 0.2.
    matrix = np.diag([-0.15, -0.2, 1.0, 1.0])
    node = array_to_volume(scene, pixels, matrix, "lateral c-spine")
    radiograph = radiograph_from_volume_node(node)
    assert radiograph.pixels.shape == (6, 8) and radiograph.pixels.dtype == np.float32
    np.testing.assert_array_equal(radiograph.pixels, pixels)
    assert radiograph.spacing_mm == pytest.approx((0.2, 0.15))  # (row, column)
    np.testing.assert_allclose(radiograph.ijk_to_ras, matrix)
    np.testing.assert_allclose(radiograph.meta["ijk_to_ras"], matrix)


def test_radiograph_from_colour_photo(scene):
    rgb = np.zeros((1, 4, 5, 3), np.uint8)
    rgb[0, 1, 2] = (255, 255, 255)
    rgb[0, 2, 3] = (255, 0, 0)
    node = array_to_volume(scene, rgb, np.eye(4), "photo", node_class="vtkMRMLVectorVolumeNode")
    radiograph = radiograph_from_volume_node(node)
    assert radiograph.pixels.shape == (4, 5)
    assert radiograph.pixels[1, 2] == pytest.approx(255.0)
    assert radiograph.pixels[2, 3] == pytest.approx(0.299 * 255)
    assert any("gray" in step for step in radiograph.steps)


def test_radiograph_rejects_multi_slice_volume(scene):
    node = array_to_volume(scene, np.zeros((3, 4, 5), np.int16), np.eye(4), "ct")
    with pytest.raises(InputError, match="ct.*3 slices"):
        radiograph_from_volume_node(node)


def test_empty_volume_node_is_input_error(scene):
    node = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "empty")
    with pytest.raises(InputError, match="empty.*no voxels"):
        volume_to_array(node)


def test_nan_voxels_of_a_volume_node_are_set_to_zero_with_a_warning(scene, oblique_ijk_to_ras):
    """Scoring a node in Slicer follows the file readers: NaN/Inf never changes a score silently."""
    array = np.ones((3, 6, 5), np.float32)
    array[1, 2, 2] = np.nan
    volume = volume_to_engine(array_to_volume(scene, array, oblique_ijk_to_ras, "stir"))
    assert np.isfinite(volume.array).all() and volume.array[1, 2, 2] == 0
    assert any("1 voxels are not finite" in w for w in volume.warnings)
    flat = np.linspace(0, 1, 20, dtype=np.float32).reshape(1, 4, 5)
    flat[0, 1, 1] = np.inf
    radiograph = radiograph_from_volume_node(array_to_volume(scene, flat, np.eye(4), "film"))
    assert np.isfinite(radiograph.pixels).all() and any("not finite" in w for w in radiograph.warnings)
    with pytest.raises(InputError, match="no voxel holds a finite number"):
        volume_to_engine(array_to_volume(scene, np.full((2, 2, 2), np.nan, np.float32), np.eye(4), "nan"))
