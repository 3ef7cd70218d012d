"""Subject hierarchy placement of results and saving volumes through Slicer's storage nodes."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.slicer.hierarchy import place_under_study, save_node
from axspa.slicer.volumes import array_to_volume

slicer = pytest.importorskip("slicer")


def _sh(scene):
    return slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(scene)


def test_output_goes_next_to_input_under_its_study(scene):
    sh = _sh(scene)
    patient = sh.CreateSubjectItem(sh.GetSceneItemID(), "Patient 1")
    study = sh.CreateStudyItem(patient, "Hip MRI 2024-01-01")
    other_study = sh.CreateStudyItem(patient, "Spine XR")
    stir = array_to_volume(scene, np.zeros((2, 3, 4), np.int16), np.eye(4), "STIR cor")
    sh.CreateItem(study, stir)
    segmentation = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "STIR cor segmentation")
    sh.CreateItem(other_study, segmentation)  # somewhere else first: it must be moved

    place_under_study(scene, segmentation, stir)
    output_item = sh.GetItemByDataNode(segmentation)
    assert sh.GetItemParent(output_item) == study
    assert sh.GetItemParent(output_item) == sh.GetItemParent(sh.GetItemByDataNode(stir))

    table = scene.AddNewNodeByClass("vtkMRMLTableNode", "scores")  # no item yet: one is created
    place_under_study(scene, table, stir)
    assert sh.GetItemParent(sh.GetItemByDataNode(table)) == study


def test_input_in_a_series_folder_below_the_study(scene):
    sh = _sh(scene)
    study = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "P"), "S")
    folder = sh.CreateFolderItem(study, "series 3")
    image = array_to_volume(scene, np.zeros((1, 3, 4), np.int16), np.eye(4), "lateral")
    sh.CreateItem(folder, image)
    markups = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "sites")
    place_under_study(scene, markups, image)
    assert sh.GetItemParent(sh.GetItemByDataNode(markups)) == study


def test_without_a_study_the_output_joins_the_input_folder(scene):
    sh = _sh(scene)
    folder = sh.CreateFolderItem(sh.GetSceneItemID(), "my cases")
    image = array_to_volume(scene, np.zeros((1, 3, 4), np.int16), np.eye(4), "pelvis")
    sh.CreateItem(folder, image)
    table = scene.AddNewNodeByClass("vtkMRMLTableNode", "sij")
    place_under_study(scene, table, image)
    assert sh.GetItemParent(sh.GetItemByDataNode(table)) == folder

    loose = array_to_volume(scene, np.zeros((1, 3, 4), np.int16), np.eye(4), "loose")
    result = scene.AddNewNodeByClass("vtkMRMLTableNode", "loose result")
    place_under_study(scene, result, loose)  # input not in the hierarchy yet: both land at the top
    assert sh.GetItemParent(sh.GetItemByDataNode(result)) == sh.GetSceneItemID()


def test_volume_saved_as_nrrd_keeps_voxels_and_geometry(scene, oblique_ijk_to_ras, tmp_path):
    import SimpleITK as sitk  # noqa: N813 (an independent reader, and one Slicer's Python has)

    array = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    node = array_to_volume(scene, array, oblique_ijk_to_ras, "heat map")
    path = tmp_path / "case.heatmap.nrrd"
    save_node(node, path)
    image = sitk.ReadImage(str(path))  # LPS geometry; the array comes back [k, j, i]
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), array)
    lps_to_ras = np.diag([-1.0, -1.0, 1.0])
    directions = np.asarray(image.GetDirection()).reshape(3, 3) * np.asarray(image.GetSpacing())  # columns = i, j, k
    np.testing.assert_allclose(lps_to_ras @ directions, oblique_ijk_to_ras[:3, :3], atol=1e-6)
    np.testing.assert_allclose(lps_to_ras @ np.asarray(image.GetOrigin()), oblique_ijk_to_ras[:3, 3], atol=1e-6)


def test_save_node_reports_unwritable_path(scene, tmp_path):
    node = array_to_volume(scene, np.zeros((1, 2, 2), np.int16), np.eye(4), "v")
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="could not write"):
        save_node(node, blocker / "v.nrrd")
