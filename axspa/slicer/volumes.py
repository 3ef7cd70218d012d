"""Volume nodes <-> numpy arrays with their IJK-to-RAS geometry, and <-> the engine's image types."""

from __future__ import annotations

from typing import Any

import numpy as np

from axspa.image import InputError, Radiograph, Volume, zero_non_finite
from axspa.slicer import array_from_vtk_matrix, vtk_matrix_from_array

_SCALAR_CLASSES = ("vtkMRMLScalarVolumeNode", "vtkMRMLLabelMapVolumeNode")
# ITU-R BT.601 luma weights: how a colour photo of a radiograph becomes one gray channel.
_LUMA = np.array([0.299, 0.587, 0.114])


def _node_label(node: Any) -> str:
    """How a node is named in messages: its name plus the file it came from, when known."""
    name = node.GetName() or node.GetID() or node.GetClassName()
    storage = node.GetStorageNode() if hasattr(node, "GetStorageNode") else None
    path = storage.GetFileName() if storage is not None else None
    return f"volume '{name}'" + (f" ({path})" if path else "")


def volume_to_array(volume_node: Any) -> tuple[np.ndarray, np.ndarray]:
    """Voxels as a numpy copy indexed [k, j, i] (plus a trailing component axis for vector volumes)
    and the node's 4x4 IJK-to-RAS matrix (node coordinates, parent transforms not applied)."""
    from vtk.util import numpy_support

    image = volume_node.GetImageData()
    scalars = image.GetPointData().GetScalars() if image is not None else None
    if scalars is None:
        raise InputError(f"{_node_label(volume_node)}: the volume holds no voxels")
    shape = tuple(reversed(image.GetDimensions()))
    components = image.GetNumberOfScalarComponents()
    if components > 1:
        shape = shape + (components,)
    array = numpy_support.vtk_to_numpy(scalars).reshape(shape).copy()
    return array, ijk_to_ras_of(volume_node)


def ijk_to_ras_of(volume_node: Any) -> np.ndarray:
    """The volume node's 4x4 IJK-to-RAS matrix (no voxel copy)."""
    import vtk

    vmatrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(vmatrix)
    return array_from_vtk_matrix(vmatrix)


def _source_path(volume_node: Any) -> str:
    storage = volume_node.GetStorageNode()
    return (storage.GetFileName() or "") if storage is not None else ""


def volume_to_engine(volume_node: Any) -> Volume:
    """The engine's Volume for a scalar volume node (array [k, j, i] copy, IJK-to-RAS)."""
    array, ijk_to_ras = volume_to_array(volume_node)
    if array.ndim != 3:
        raise InputError(f"{_node_label(volume_node)}: expected a scalar (one-component) volume, "
                         f"got {array.shape[-1]} components per voxel")
    volume = Volume(array=array, ijk_to_ras=ijk_to_ras, path=_source_path(volume_node),
                    meta={"node_name": volume_node.GetName() or "", "node_id": volume_node.GetID() or ""})
    zero_non_finite(volume, _node_label(volume_node))  # NaN/Inf voxels set to 0 with a warning, as file readers do
    _warn_if_transformed(volume_node, volume.warnings)
    return volume


def _warn_if_transformed(volume_node: Any, warnings: list[str]) -> None:
    # Results are written in the volume's own RAS; a parent transform would move the image but not
    # results placed without that transform, so the user is told.
    if volume_node.GetParentTransformNode() is not None:
        warnings.append(f"{_node_label(volume_node)} is under transform "
                        f"'{volume_node.GetParentTransformNode().GetName()}'; results use the "
                        "untransformed image coordinates")


def radiograph_from_volume_node(volume_node: Any) -> Radiograph:
    """A single-slice volume node as the engine's Radiograph.

    Pixels are float32 [rows, columns] = [j, i] of the slice; a colour (RGB/RGBA) volume, e.g. a
    photo of a radiograph, is converted to gray. ``spacing_mm`` is (row, column) = (j, i) spacing.
    The node's own IJK-to-RAS is kept in ``meta['ijk_to_ras']`` for placing results back.
    """
    array, ijk_to_ras = volume_to_array(volume_node)
    steps: list[str] = [f"read from MRML volume node '{volume_node.GetName() or volume_node.GetID()}'"]
    if array.ndim == 4:
        array = _to_gray(volume_node, array)
        steps.append("converted colour to gray (ITU-R BT.601 luma)")
    if array.shape[0] != 1:
        raise InputError(f"{_node_label(volume_node)}: a radiograph must be a single image, "
                         f"this volume has {array.shape[0]} slices")
    spacing = tuple(float(s) for s in volume_node.GetSpacing())
    pixels = np.ascontiguousarray(array[0], dtype=np.float32)
    bad = ~np.isfinite(pixels)
    if bad.all():
        raise InputError(f"{_node_label(volume_node)}: no pixel holds a finite number (all NaN or Inf)")
    if bad.any():
        pixels = np.where(bad, np.nanmin(np.where(bad, np.nan, pixels)), pixels).astype(np.float32)
        steps.append(f"{int(bad.sum())} non-finite pixels set to the darkest value")
    radiograph = Radiograph(pixels=pixels,
                            spacing_mm=(spacing[1], spacing[0]), path=_source_path(volume_node),
                            steps=steps, meta={"ijk_to_ras": ijk_to_ras,
                                               "node_name": volume_node.GetName() or ""})
    if bad.any():
        radiograph.warnings.append(f"{int(bad.sum())} pixels are not finite numbers (NaN or Inf); they were set "
                                   f"to the darkest value")
    _warn_if_transformed(volume_node, radiograph.warnings)
    return radiograph


def _to_gray(volume_node: Any, array: np.ndarray) -> np.ndarray:
    components = array.shape[-1]
    if components not in (3, 4):
        raise InputError(f"{_node_label(volume_node)}: cannot read an image with {components} "
                         "components per pixel as a radiograph (expected gray, RGB or RGBA)")
    return array[..., :3].astype(np.float64) @ _LUMA


def array_to_volume(scene: Any, array: np.ndarray, ijk_to_ras: np.ndarray, name: str, node: Any = None,
                    node_class: str = "vtkMRMLScalarVolumeNode") -> Any:
    """Put a [k, j, i] array (2D [j, i] is one slice) with its IJK-to-RAS into a volume node.

    Reuses ``node`` when given (voxels, type and geometry replaced, name kept), else adds a new
    ``node_class`` node named ``name`` with default display nodes. Voxels are deep-copied.
    """
    vtk_array = _vtk_voxels(np.asarray(array))
    if node is None:
        node = scene.AddNewNodeByClass(node_class, name)
        _set_voxels(node, vtk_array, ijk_to_ras)
        node.CreateDefaultDisplayNodes()
    else:
        _set_voxels(node, vtk_array, ijk_to_ras)
    return node


def _vtk_voxels(array: np.ndarray) -> tuple[np.ndarray, int]:
    """The array as C-contiguous [k, j, i] in a dtype VTK volumes display, and its component count."""
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim not in (3, 4):
        raise ValueError(f"expected a 2D or 3D array (optionally with components), got shape {array.shape}")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    elif array.dtype == np.int64 or array.dtype == np.uint64:
        # Slicer does not render 64-bit integer volumes; narrow when the values fit.
        if array.size and (array.min() < np.iinfo(np.int32).min or array.max() > np.iinfo(np.int32).max):
            raise ValueError("64-bit integer voxels outside the 32-bit range cannot be shown in Slicer")
        array = array.astype(np.int32)
    components = array.shape[3] if array.ndim == 4 else 1
    return np.ascontiguousarray(array), components


def _set_voxels(node: Any, voxels: tuple[np.ndarray, int], ijk_to_ras: np.ndarray) -> None:
    import vtk
    from vtk.util import numpy_support

    array, components = voxels
    image = vtk.vtkImageData()
    image.SetDimensions(array.shape[2], array.shape[1], array.shape[0])
    flat = array.reshape(-1, components) if components > 1 else array.reshape(-1)
    image.GetPointData().SetScalars(numpy_support.numpy_to_vtk(flat, deep=True))
    node.SetIJKToRASMatrix(vtk_matrix_from_array(ijk_to_ras))
    node.SetAndObserveImageData(image)


# ------------------------------------------------------------------------------------------------- heat maps

HEAT_MAP_COLORS = "AxSpA heat map"  # name of the scene's heat-map colour table
HEAT_MAP_COLORS_TAG = "AxSpA.HeatMapColors"  # its singleton tag: one per scene, found again after a reload
# The ramp (value, red, green, blue): blue, cyan, green, yellow, red, as Slicer's ColdToHotRainbow.
_HEAT_RAMP = ((0.0, 0.0, 0.0, 1.0), (0.25, 0.0, 1.0, 1.0), (0.5, 0.0, 1.0, 0.0), (0.75, 1.0, 1.0, 0.0),
              (1.0, 1.0, 0.0, 0.0))


def heat_map_color_node(scene: Any) -> Any:
    """The scene's heat-map colour table (made the first time): 256 colours from blue (low) to red (high), the
    first one, for 0, fully transparent, so a heat map over a radiograph shows only where the model looked."""
    import slicer

    node = scene.GetSingletonNode(HEAT_MAP_COLORS_TAG, "vtkMRMLColorTableNode")
    if node is not None:
        return node
    node = slicer.vtkMRMLColorTableNode()
    node.SetSingletonTag(HEAT_MAP_COLORS_TAG)
    node.SetName(HEAT_MAP_COLORS)
    node.SetTypeToUser()
    node.SetNumberOfColors(256)
    node.GetLookupTable().SetTableRange(0, 255)
    stops, channels = [s[0] for s in _HEAT_RAMP], np.array([s[1:] for s in _HEAT_RAMP]).T
    for index in range(256):
        red, green, blue = (float(np.interp(index / 255.0, stops, channel)) for channel in channels)
        node.SetColor(index, "", red, green, blue, 0.0 if index == 0 else 1.0)
    scene.AddNode(node)
    return node


def show_as_heat_map(volume_node: Any, maximum: float = 1.0, legend: bool = True) -> Any:
    """Display ``volume_node`` (values 0..``maximum``) as a heat map: the heat-map colour table (0 transparent),
    window 0..maximum, and a colour legend in the views (``legend``; Slicer >= 5.0). Returns the legend's display
    node, or None."""
    scene = volume_node.GetScene()
    display = volume_node.GetDisplayNode()
    if display is None:
        volume_node.CreateDefaultDisplayNodes()
        display = volume_node.GetDisplayNode()
    display.SetAndObserveColorNodeID(heat_map_color_node(scene).GetID())
    display.SetAutoWindowLevel(False)
    display.SetWindowLevelMinMax(0.0, float(maximum))
    return _color_legend(volume_node) if legend else None


def _color_legend(volume_node: Any) -> Any:
    """The volume's colour legend (Slicer's Colors module logic; None where this Slicer has none)."""
    import slicer

    from axspa.slicer import ensure_node_class

    colors = getattr(getattr(slicer, "modules", None), "colors", None)  # the application's Colors module
    logic = colors.logic() if colors is not None else getattr(slicer, "vtkSlicerColorLogic", None)
    if logic is None or not hasattr(logic, "AddDefaultColorLegendDisplayNode"):
        return None
    try:
        ensure_node_class(volume_node.GetScene(), "vtkMRMLColorLegendDisplayNode")  # registered in Slicer already
    except RuntimeError:
        return None
    return logic.AddDefaultColorLegendDisplayNode(volume_node)
