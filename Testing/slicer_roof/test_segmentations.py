"""Masks <-> segmentation node on an oblique reference volume; .seg.nrrd read back by slicerio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from axspa.hip.segments import HIP_SEGMENTS, SEGMENT_BY_NAME
from axspa.slicer.hierarchy import save_node
from axspa.slicer.segmentations import (
    kept_segments,
    masks_to_segmentation,
    oriented_image_from_mask,
    segmentation_to_masks,
)
from axspa.slicer.volumes import array_to_volume, ijk_to_ras_of

slicer = pytest.importorskip("slicer")
slicerio = pytest.importorskip("slicerio")

SHAPE = (6, 20, 24)  # [k, j, i]


def _ball(center, radius):
    k, j, i = np.indices(SHAPE)
    return (k - center[0]) ** 2 / 4 + (j - center[1]) ** 2 + (i - center[2]) ** 2 <= radius ** 2


def _masks() -> dict[str, np.ndarray]:
    right_head = _ball((3, 9, 7), 5)
    left_head = _ball((3, 9, 17), 4.5)
    right_bme = right_head & _ball((3, 7, 6), 2.5)  # BME lies inside its femoral head: overlap
    effusion = np.zeros(SHAPE, bool)
    effusion[2:4, 15:18, 3:9] = True
    return {"Right femoral head": right_head, "Left femoral head": left_head,
            "Right femoral BME": right_bme, "Right effusion-synovitis": effusion}


@pytest.fixture
def reference(scene, oblique_ijk_to_ras):
    stir = np.random.default_rng(0).normal(100, 10, SHAPE).astype(np.float32)
    return array_to_volume(scene, stir, oblique_ijk_to_ras, "STIR cor")


def test_overlapping_masks_round_trip_on_oblique_volume(scene, reference):
    masks = _masks()
    assert (masks["Right femoral BME"] & masks["Right femoral head"]).sum() == masks["Right femoral BME"].sum()
    node = masks_to_segmentation(scene, masks, reference, segments=HIP_SEGMENTS)

    segmentation = node.GetSegmentation()
    assert [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())] == list(masks)
    assert node.GetNodeReference(node.GetReferenceImageGeometryReferenceRole()) is reference
    for name in masks:
        assert segmentation.GetSegment(name).GetName() == name
        assert segmentation.GetSegment(name).GetColor() == pytest.approx(SEGMENT_BY_NAME[name].color)
    back = segmentation_to_masks(node, reference)
    assert list(back) == list(masks)
    for name, mask in masks.items():
        assert back[name].dtype == bool
        np.testing.assert_array_equal(back[name], mask, err_msg=name)


def _world_points(mask_ijk: np.ndarray, ijk_to_ras: np.ndarray) -> set:
    """RAS positions (rounded to 1 um) of the voxels of an [i, j, k]-indexed mask."""
    ijk = np.argwhere(mask_ijk)
    ras = (ijk_to_ras @ np.c_[ijk, np.ones(len(ijk))].T).T[:, :3]
    return {tuple(p) for p in np.round(ras, 3)}


def test_seg_nrrd_read_back_by_slicerio(scene, reference, oblique_ijk_to_ras, tmp_path):
    masks = _masks()
    node = masks_to_segmentation(scene, masks, reference, segments=HIP_SEGMENTS)
    path = tmp_path / "hip.seg.nrrd"
    save_node(node, path)

    segmentation = slicerio.read_segmentation(str(path))
    names = [s["name"] for s in segmentation["segments"]]
    assert names == list(masks)
    ijk_to_ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ np.asarray(segmentation["ijkToLPS"])
    for name, mask in masks.items():
        segment = slicerio.segment_from_name(segmentation, name)
        assert segment["color"] == pytest.approx(SEGMENT_BY_NAME[name].color, abs=1e-5)
        read = slicerio.segment_mask(segmentation, name)  # [i, j, k]
        assert read.sum() == mask.sum(), name
        # Same voxels at the same places in the patient, whatever extent the file was cropped to.
        ours = _world_points(mask.transpose(2, 1, 0), oblique_ijk_to_ras)
        assert _world_points(read, ijk_to_ras) == ours, name

    # And Slicer's own reader gives the same masks back on the volume grid.
    loaded = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "loaded")
    storage = scene.AddNewNodeByClass("vtkMRMLSegmentationStorageNode")
    storage.SetFileName(str(path))
    assert storage.ReadData(loaded) == 1
    back = segmentation_to_masks(loaded, reference)
    for name, mask in masks.items():
        np.testing.assert_array_equal(back[name], mask, err_msg=name)
    # The engine's hash tags survive the file: rescoring the reloaded node recognises its own output.
    masks_to_segmentation(scene, masks, reference, node=loaded, segments=HIP_SEGMENTS)
    assert kept_segments(loaded) == []


def test_user_edited_segment_is_kept_on_rescore(scene, reference):
    masks = _masks()
    node = masks_to_segmentation(scene, masks, reference, segments=HIP_SEGMENTS)
    # The user paints over part of the effusion (as the Segment Editor would: replace its labelmap).
    painted = masks["Right effusion-synovitis"].copy()
    painted[2:4, 12:15, 3:9] = True
    labelmap = slicer.vtkOrientedImageData()
    labelmap.DeepCopy(oriented_image_from_mask(painted, np.asarray(_matrix(reference))))
    assert slicer.vtkSlicerSegmentationsModuleLogic.SetBinaryLabelmapToSegment(
        labelmap, node, "Right effusion-synovitis", slicer.vtkSlicerSegmentationsModuleLogic.MODE_REPLACE)

    new = {name: np.roll(mask, 1, axis=2) for name, mask in masks.items()}  # the model's new answer
    same = masks_to_segmentation(scene, new, reference, node=node, segments=HIP_SEGMENTS)
    assert same is node and scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") == 1
    assert kept_segments(node) == ["Right effusion-synovitis"]
    back = segmentation_to_masks(node, reference)
    np.testing.assert_array_equal(back["Right effusion-synovitis"], painted)
    for name in ("Right femoral head", "Left femoral head", "Right femoral BME"):
        np.testing.assert_array_equal(back[name], new[name], err_msg=name)
    assert node.GetSegmentation().GetNumberOfSegments() == 4


def test_rescore_after_reload_into_shared_layers(scene, reference, tmp_path):
    # A segmentation loaded from file shares layers; updating one segment must not touch the others.
    masks = _masks()
    node = masks_to_segmentation(scene, masks, reference, segments=HIP_SEGMENTS)
    node.GetSegmentation().CollapseBinaryLabelmaps(False)
    grown = masks["Left femoral head"] | masks["Right femoral head"]
    masks_to_segmentation(scene, {"Left femoral head": grown}, reference, node=node, segments=HIP_SEGMENTS)
    back = segmentation_to_masks(node, reference)
    np.testing.assert_array_equal(back["Left femoral head"], grown)
    np.testing.assert_array_equal(back["Right femoral head"], masks["Right femoral head"])
    np.testing.assert_array_equal(back["Right femoral BME"], masks["Right femoral BME"])


def test_segment_user_made_is_never_overwritten(scene, reference):
    # A segment drawn by hand before any scoring: it has no engine hash tag.
    drawn = np.zeros(SHAPE, bool)
    drawn[1:3, 2:5, 2:5] = True
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "manual")
    node.SetReferenceImageGeometryParameterFromVolumeNode(reference)
    node.AddSegmentFromBinaryLabelmapRepresentation(
        oriented_image_from_mask(drawn, np.asarray(_matrix(reference))), "Right femoral head", [1, 0, 0],
        "Right femoral head")
    masks_to_segmentation(scene, _masks(), reference, node=node, segments=HIP_SEGMENTS)
    assert kept_segments(node) == ["Right femoral head"]
    back = segmentation_to_masks(node, reference)
    np.testing.assert_array_equal(back["Right femoral head"], drawn)
    np.testing.assert_array_equal(back["Left femoral head"], _masks()["Left femoral head"])


def test_bad_masks_rejected(scene, reference):
    with pytest.raises(ValueError, match="mask shape"):
        masks_to_segmentation(scene, {"Right femoral head": np.zeros((2, 2, 2), bool)}, reference,
                              segments=HIP_SEGMENTS)
    with pytest.raises(ValueError, match="unknown segment 'Spleen'"):
        masks_to_segmentation(scene, {"Spleen": np.zeros(SHAPE, bool)}, reference, segments=HIP_SEGMENTS)


def _matrix(volume_node):
    import vtk

    m = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(m)
    return [[m.GetElement(r, c) for c in range(4)] for r in range(4)]


SAMPLE_SEG = Path(__file__).resolve().parents[2] / "Resources" / "SampleData" / "AxSpA-HipSTIR.seg.nrrd"


def _load(scene, path, name="loaded"):
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    storage = scene.AddNewNodeByClass("vtkMRMLSegmentationStorageNode")
    storage.SetFileName(str(path))
    assert storage.ReadData(node) == 1
    return node


def test_model_masks_into_the_shipped_sample_match_its_segments_by_name(scene):
    """The shipped .seg.nrrd has generated IDs (Segment_1 ...): writing model masks into it must find
    the reference segments by name (they are the user's: kept), never add a second 'Right femoral head',
    and scoring must then read the reference, not the model's mask (issue 8, item 12)."""
    from axspa.io.volume import read_volume

    stir = read_volume(SAMPLE_SEG.parent / "AxSpA-HipSTIR.nrrd")
    reference = array_to_volume(scene, stir.array, stir.ijk_to_ras, "STIR")
    node = _load(scene, SAMPLE_SEG)
    segmentation = node.GetSegmentation()
    ids = [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())]
    assert "Right femoral head" not in ids  # generated IDs, not names
    before = segmentation_to_masks(node, reference)
    model = {name: np.zeros_like(mask) for name, mask in before.items() if name in SEGMENT_BY_NAME}
    model["Right femoral head"][stir.array.shape[0] // 2, :3, :3] = True
    masks_to_segmentation(scene, model, reference, node=node, segments=HIP_SEGMENTS)
    assert segmentation.GetNumberOfSegments() == len(ids)
    assert sorted(kept_segments(node)) == sorted(model)
    after = segmentation_to_masks(node, reference)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


def test_two_segments_with_one_name_are_refused(scene, reference):
    from axspa.image import InputError

    node = masks_to_segmentation(scene, _masks(), reference, segments=HIP_SEGMENTS)
    labelmap = oriented_image_from_mask(_masks()["Left femoral head"], ijk_to_ras_of(reference))
    node.AddSegmentFromBinaryLabelmapRepresentation(labelmap, "right femoral head", [1, 0, 0], "Segment_9")
    with pytest.raises(InputError, match="two segments named"):
        segmentation_to_masks(node, reference)
    with pytest.raises(InputError, match="two segments named"):
        masks_to_segmentation(scene, _masks(), reference, node=node, segments=HIP_SEGMENTS)


def test_a_new_segment_never_takes_the_id_of_a_renamed_one(scene, reference):
    """A user renamed the segment whose ID is 'Right femoral head': the engine's 'Right femoral head' is a new
    segment beside it (its name as ID was taken), and the user's segment is left as it is."""
    masks = _masks()
    node = masks_to_segmentation(scene, {"Right femoral head": masks["Right femoral head"]}, reference,
                                 segments=HIP_SEGMENTS)
    node.GetSegmentation().GetSegment("Right femoral head").SetName("My notes")
    masks_to_segmentation(scene, {"Right femoral head": masks["Left femoral head"]}, reference, node,
                          segments=HIP_SEGMENTS)
    segmentation = node.GetSegmentation()
    ids = [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())]
    assert len(ids) == len(set(ids)) == 2
    back = segmentation_to_masks(node, reference)
    np.testing.assert_array_equal(back["My notes"], masks["Right femoral head"])
    np.testing.assert_array_equal(back["Right femoral head"], masks["Left femoral head"])


def test_written_segments_are_not_auto_named_or_coloured(scene, reference, tmp_path):
    """Issue 17, item 4: a segment whose name or colour is "auto-generated" is renamed and recoloured by Segment
    Editor when the user picks a terminology, and a renamed "Right femoral head" drops out of scoring. Every segment
    the engine writes, new or rewritten, has both flags off, and so has the scene's .seg.nrrd."""
    masks = _masks()
    node = masks_to_segmentation(scene, masks, reference, segments=HIP_SEGMENTS)
    segmentation = node.GetSegmentation()

    def flags():
        return {segmentation.GetNthSegment(i).GetName(): (segmentation.GetNthSegment(i).GetNameAutoGenerated(),
                                                          segmentation.GetNthSegment(i).GetColorAutoGenerated())
                for i in range(segmentation.GetNumberOfSegments())}

    assert flags() == {name: (False, False) for name in masks}
    # A node written before the fix (flags on): rescoring into it clears them on the segments it rewrites.
    for name in masks:
        segmentation.GetSegment(name).SetNameAutoGenerated(True)
        segmentation.GetSegment(name).SetColorAutoGenerated(True)
    masks_to_segmentation(scene, masks, reference, node=node, segments=HIP_SEGMENTS)
    assert kept_segments(node) == [] and flags() == {name: (False, False) for name in masks}
    # Slicer's own writer keeps them off in the file (what a saved scene holds).
    path = tmp_path / "hip.seg.nrrd"
    save_node(node, path)
    loaded = _load(scene, path)
    loaded_segmentation = loaded.GetSegmentation()
    assert all(not loaded_segmentation.GetNthSegment(i).GetNameAutoGenerated()
               and not loaded_segmentation.GetNthSegment(i).GetColorAutoGenerated()
               for i in range(loaded_segmentation.GetNumberOfSegments()))
