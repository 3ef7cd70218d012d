"""Boolean masks on a volume's grid <-> a segmentation node (one segment per hip region or lesion).

Each mask becomes its own binary-labelmap layer, so masks may overlap (a BME segment lies inside its
bone). Segments are found by name, ignoring case, in reading and writing alike: Segment Editor and
``.seg.nrrd`` files give segments generated IDs (``Segment_1`` ...), so an ID is never taken to be a name;
two segments with one name are refused with a message. A new segment gets its name as ID (when no segment
has that ID already); colour from the segment list the caller passes (e.g. the hip family's ``HIP_SEGMENTS``).
The segmentation's reference image geometry is the input volume, so Slicer's Segment Editor works on the
same grid.

Rescoring into the same node keeps the user's work: each segment carries the tag
``AxSpA.WrittenHash`` (hash of the mask the engine wrote); a segment whose current voxels no longer
hash to it (the user painted or erased), or one without the tag (the user made it), is left as it
is, and its name is listed in the node attribute ``AxSpA.KeptSegments``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from axspa.image import InputError
from axspa.mrml import get_json_attribute, set_json_attribute
from axspa.mrml.volumes import ijk_to_ras_of

HASH_TAG = "AxSpA.WrittenHash"
KEPT_SEGMENTS = "KeptSegments"


def masks_to_segmentation(scene: Any, masks: dict[str, np.ndarray], reference_volume_node: Any,
                          node: Any = None, *, segments: Sequence[Any], name: Optional[str] = None) -> Any:
    """One segment per mask ([k, j, i] bool on the reference volume's grid); reuse ``node`` when given,
    keeping segments the user edited (module docstring). ``segments`` lists the known segments (objects
    with ``name`` and ``color``); a mask of another name is an error. Returns the segmentation node."""
    defs = {s.name: s for s in segments}
    ijk_to_ras = ijk_to_ras_of(reference_volume_node)
    shape = _grid_shape(reference_volume_node)
    for segment_name, mask in masks.items():
        _check_mask(segment_name, mask, shape, defs)
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                       name or f"{reference_volume_node.GetName()} segmentation")
        node.CreateDefaultDisplayNodes()
    node.SetReferenceImageGeometryParameterFromVolumeNode(reference_volume_node)
    existing = segment_ids_by_name(node)  # refuses duplicate names before anything is written
    kept: list[str] = []
    for segment_name, mask in masks.items():
        found = existing.get(name_key(segment_name))
        if not _write_segment(node, defs[segment_name], np.asarray(mask, dtype=bool), ijk_to_ras,
                              reference_volume_node, found[1] if found else None):
            kept.append(segment_name)
    set_json_attribute(node, KEPT_SEGMENTS, kept)
    return node


def kept_segments(node: Any) -> list[str]:
    """Segments the last masks_to_segmentation call left alone because the user had edited them."""
    return list(get_json_attribute(node, KEPT_SEGMENTS, []))


def segmentation_to_masks(seg_node: Any, reference_volume_node: Any) -> dict[str, np.ndarray]:
    """Every segment as a [k, j, i] bool mask on the reference volume's grid, by segment name
    (resampled with nearest neighbour when the segment lies on another grid)."""
    masks: dict[str, np.ndarray] = {}
    for name, segment_id in segment_ids_by_name(seg_node).values():
        masks[name] = _segment_mask(seg_node, segment_id, reference_volume_node)
    return masks


def name_key(name: str) -> str:
    """How segment names compare: ignoring case and runs of spaces ('right  Femoral head')."""
    return " ".join(str(name).lower().split())


def segment_ids_by_name(seg_node: Any) -> dict[str, tuple[str, str]]:
    """``{name_key(name): (name, segment ID)}`` of every segment; InputError when two segments share a
    name (ignoring case): which one the scores should read could only be guessed."""
    segmentation = seg_node.GetSegmentation()
    found: dict[str, tuple[str, str]] = {}
    for index in range(segmentation.GetNumberOfSegments()):
        segment_id = segmentation.GetNthSegmentID(index)
        name = segmentation.GetSegment(segment_id).GetName()
        key = name_key(name)
        if key in found:
            raise InputError(f"segmentation '{seg_node.GetName()}' has two segments named '{name}' (IDs "
                             f"{found[key][1]!r} and {segment_id!r}); rename or delete one in Segment Editor")
        found[key] = (name, segment_id)
    return found


def mask_hash(mask: np.ndarray) -> str:
    """Hash of a boolean mask (shape and voxels): what the engine wrote, to spot a user's edit."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    digest = hashlib.sha256(repr(mask.shape).encode())
    digest.update(np.packbits(mask, axis=None).tobytes())
    return digest.hexdigest()


def _grid_shape(volume_node: Any) -> tuple[int, int, int]:
    image = volume_node.GetImageData()
    if image is None:
        raise InputError(f"reference volume '{volume_node.GetName()}' holds no voxels")
    dims = image.GetDimensions()
    return (dims[2], dims[1], dims[0])


def _check_mask(segment_name: str, mask: np.ndarray, shape: tuple[int, int, int],
                defs: dict[str, Any]) -> None:
    if segment_name not in defs:
        raise ValueError(f"unknown segment {segment_name!r}; expected one of {', '.join(defs)}")
    if np.shape(mask) != shape:
        raise ValueError(f"segment {segment_name!r}: mask shape {np.shape(mask)} does not match the "
                         f"reference volume grid {shape} ([k, j, i])")


def _write_segment(node: Any, definition: Any, mask: np.ndarray, ijk_to_ras: np.ndarray,
                   reference_volume_node: Any, segment_id: Optional[str]) -> bool:
    """Write one mask into its segment (``segment_id``: the existing segment of that name, or None);
    False when the segment is the user's and was left alone."""
    import slicer

    segmentation = node.GetSegmentation()
    segment = segmentation.GetSegment(segment_id) if segment_id else None
    labelmap = oriented_image_from_mask(mask, ijk_to_ras)
    if segment is None:
        # Its name as ID unless another segment (renamed by the user) already has that ID.
        segment_id = node.AddSegmentFromBinaryLabelmapRepresentation(
            labelmap, definition.name, list(definition.color), segmentation.GenerateUniqueSegmentID(definition.name))
        segment = segmentation.GetSegment(segment_id)
    else:
        current = _segment_mask(node, segment_id, reference_volume_node)
        if _user_edited(segment, current):
            return False
        # Its own layer first, so replacing it never touches segments that shared its labelmap.
        segmentation.SeparateSegmentLabelmap(segment_id)
        if not slicer.vtkSlicerSegmentationsModuleLogic.SetBinaryLabelmapToSegment(
                labelmap, node, segment_id, slicer.vtkSlicerSegmentationsModuleLogic.MODE_REPLACE):
            raise RuntimeError(f"could not write segment {segment_id!r} into '{node.GetName()}'")
        segment.SetColor(*definition.color)
    segment.SetTag(HASH_TAG, mask_hash(mask))
    return True


def _user_edited(segment: Any, current: np.ndarray) -> bool:
    import vtk

    written = vtk.reference("")
    if not segment.GetTag(HASH_TAG, written):
        return True  # no tag: the user made this segment
    return str(written) != mask_hash(current)


def oriented_image_from_mask(mask: np.ndarray, ijk_to_ras: np.ndarray) -> Any:
    """A vtkOrientedImageData (uint8 0/1) holding a [k, j, i] mask placed by ``ijk_to_ras``."""
    import slicer
    import vtk
    from vtk.util import numpy_support

    from axspa.mrml import vtk_matrix_from_array

    image = slicer.vtkOrientedImageData()
    k, j, i = mask.shape
    image.SetExtent(0, i - 1, 0, j - 1, 0, k - 1)
    image.AllocateScalars(vtk.VTK_UNSIGNED_CHAR, 1)
    voxels = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    voxels[:] = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
    image.SetImageToWorldMatrix(vtk_matrix_from_array(ijk_to_ras))
    return image


def _reference_image(volume_node: Any) -> Any:
    """An empty oriented image with the volume's extent and IJK-to-RAS: the grid to resample onto."""
    import slicer
    import vtk

    reference = slicer.vtkOrientedImageData()
    reference.SetExtent(volume_node.GetImageData().GetExtent())
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    reference.SetImageToWorldMatrix(matrix)
    return reference


def _segment_mask(seg_node: Any, segment_id: str, reference_volume_node: Any) -> np.ndarray:
    import slicer
    from vtk.util import numpy_support

    labelmap = slicer.vtkOrientedImageData()
    if not seg_node.GetBinaryLabelmapRepresentation(segment_id, labelmap):
        raise RuntimeError(f"segment {segment_id!r} of '{seg_node.GetName()}' has no binary labelmap")
    resampled = slicer.vtkOrientedImageData()
    shape = _grid_shape(reference_volume_node)
    if labelmap.GetPointData().GetScalars() is None:
        return np.zeros(shape, dtype=bool)  # an empty segment has no voxels at all
    if not slicer.vtkOrientedImageDataResample.ResampleOrientedImageToReferenceOrientedImage(
            labelmap, _reference_image(reference_volume_node), resampled):
        raise RuntimeError(f"could not resample segment {segment_id!r} onto the reference volume grid")
    values = numpy_support.vtk_to_numpy(resampled.GetPointData().GetScalars()).reshape(shape)
    return values > 0
