"""Output nodes of the AxSpA Scoring module: site markups, the site table and the heat map.

Each function reuses the node it is given (the user's choice in the panel) and creates one only when
none is given; a created node is placed in the subject hierarchy under the input's study.
"""

import os

import numpy as np
import vtk

# Files the engine's radiograph reader understands better than a volume node's voxels.
RADIOGRAPH_FILE_EXTENSIONS = (".dcm", ".dicom", ".ima", "")


def ijkToRas(volumeNode) -> np.ndarray:
    """The volume node's 4x4 IJK-to-RAS matrix (the real geometry, whatever the image was loaded from)."""
    from axspa.slicer import array_from_vtk_matrix

    matrix = vtk.vtkMatrix4x4()
    volumeNode.GetIJKToRASMatrix(matrix)
    return array_from_vtk_matrix(matrix)


def radiographFromNode(volumeNode, dicomDatabase=None):
    """The radiograph as the engine expects it (bone bright, rescale and VOI applied).

    A volume node keeps the stored values and shows MONOCHROME1 only through its display settings,
    so when the node came from a DICOM file (DICOM database or Add Data) that file is read again by
    the engine's reader, exactly as the command line reads it; otherwise the voxels are used.
    """
    from axspa.image import InputError
    from axspa.io.radiograph import read_radiograph
    from axspa.slicer.volumes import radiograph_from_volume_node

    fromVoxels = radiograph_from_volume_node(volumeNode)
    path = sourceDicomFile(volumeNode, dicomDatabase)
    if path:
        try:
            fromFile = read_radiograph(path)
        except InputError:
            return fromVoxels
        if fromFile.pixels.shape == fromVoxels.pixels.shape:
            return fromFile
    return fromVoxels


def sourceDicomFile(volumeNode, dicomDatabase=None):
    """Path of the single DICOM file a node was loaded from, or None."""
    uids = (volumeNode.GetAttribute("DICOM.instanceUIDs") or "").split()
    if len(uids) == 1 and dicomDatabase is not None:
        path = dicomDatabase.fileForInstance(uids[0])
        if path and os.path.isfile(path):
            return path
    storage = volumeNode.GetStorageNode()
    path = storage.GetFileName() if storage else None
    if path and os.path.isfile(path) and os.path.splitext(path)[1].lower() in RADIOGRAPH_FILE_EXTENSIONS:
        return path
    return None


def writeSiteMarkups(volumeNode, sites: list, markupsNode=None, name: str = "mSASSS sites", overwrite: bool = False):
    """Control points of the sites ([x, y] pixel points of an axspa.spine/1 document) on the volume; points
    the user moved, placed or locked are kept (with ``overwrite`` only locked ones)."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.markups import sites_to_markups

    node = sites_to_markups(volumeNode.GetScene(), sites, ijkToRas(volumeNode), node=markupsNode, name=name,
                            overwrite=overwrite)
    place_if_new(node, markupsNode is None, volumeNode)
    return node


def writeSiteTable(volumeNode, sites: list, tableNode=None, name: str = "mSASSS sites", overwrite: bool = False):
    """One row per site (grades the user edited in an existing table are kept unless ``overwrite``)."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.tables import sites_to_table
    from axspa.spine.sites import FINDINGS

    node = sites_to_table(volumeNode.GetScene(), sites, node=tableNode, name=name, findings=FINDINGS,
                          overwrite=overwrite)
    place_if_new(node, tableNode is None, volumeNode)
    return node


def showHeatmap(volumeNode, heatmap, heatmapNode=None, name: str = "Sacroiliitis heat map"):
    """Put the model's heat map ([rows, columns] on the radiograph's grid, 0..1) into a volume node shown as a heat
    map: blue to red, 0 transparent (the radiograph shows through), with a colour legend."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.volumes import array_to_volume, show_as_heat_map

    array = np.asarray(heatmap, dtype=np.float32)
    dims = volumeNode.GetImageData().GetDimensions()  # (i, j, k) = (columns, rows, 1)
    if array.shape[-2:] != (dims[1], dims[0]):
        raise ValueError(f"heat map shape {array.shape} does not match the radiograph "
                         f"({dims[1]} rows x {dims[0]} columns)")
    node = array_to_volume(volumeNode.GetScene(), array.reshape(1, dims[1], dims[0]), ijkToRas(volumeNode),
                           name, node=heatmapNode)
    place_if_new(node, heatmapNode is None, volumeNode)
    finite = array[np.isfinite(array)]
    show_as_heat_map(node, maximum=max(1.0, float(finite.max())) if finite.size else 1.0)
    return node


def showHeatmapLayers(heatmapNode, opacity: float = 0.5, visible: bool = True, background=None) -> int:
    """The heat map as the slice views' foreground over ``background`` (the radiograph, when given) at ``opacity``
    (0..1), or hidden (no foreground, legend off) when not ``visible``; its colour legend follows. Returns how many
    views (slice composite nodes) were set."""
    import slicer

    scene = heatmapNode.GetScene()
    opacity = min(1.0, max(0.0, float(opacity)))
    composites = [scene.GetNthNodeByClass(n, "vtkMRMLSliceCompositeNode")
                  for n in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode"))]
    for composite in composites:
        if background is not None:
            composite.SetBackgroundVolumeID(background.GetID())
        if visible:
            composite.SetForegroundVolumeID(heatmapNode.GetID())
        elif composite.GetForegroundVolumeID() == heatmapNode.GetID():
            composite.SetForegroundVolumeID(None)
        composite.SetForegroundOpacity(opacity)
    display = heatmapNode.GetDisplayNode()
    if display is not None:
        display.SetVisibility(bool(visible))
    colorLogic = getattr(slicer, "vtkSlicerColorLogic", None)
    legend = colorLogic.GetColorLegendDisplayNode(heatmapNode) if colorLogic is not None else None
    if legend is not None:
        legend.SetVisibility(bool(visible))
    return len(composites)


# Output kind (axspa.slicer.outputs.link_output) of the sacroiliac joints' control points of a pelvic radiograph,
# their labels per side.
JOINTS = "sij-joints"
HEATMAP = "sij-heatmap"  # and of its heat map
JOINT_LABELS = {"right": "right SIJ", "left": "left SIJ"}


def writeJointMarkups(volumeNode, doc: dict, markupsNode=None, name: str = "Sacroiliac joints"):
    """The joints the grader used (``sides.<side>.joint`` of an axspa.sij/1 document: column, row, confidence) as
    control points "right SIJ" / "left SIJ" on the radiograph, the user can move them and re-grade there. Locked
    points keep their place. Returns the node (None when the document locates no joint and none was given)."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.markups import sites_to_markups
    from axspa.slicer.outputs import link_output

    sites = []
    for side, label in JOINT_LABELS.items():
        joint = (doc.get("sides") or {}).get(side, {}).get("joint")
        if joint and joint.get("column") is not None and joint.get("row") is not None:
            sites.append({"id": label, "point": [float(joint["column"]), float(joint["row"])],
                          "grade": doc["sides"][side].get("grade"), "confidence": joint.get("confidence")})
    if not sites and markupsNode is None:
        return None
    node = sites_to_markups(volumeNode.GetScene(), sites, ijkToRas(volumeNode), node=markupsNode, name=name,
                            overwrite=True)
    link_output(node, volumeNode, JOINTS)
    place_if_new(node, markupsNode is None, volumeNode)
    return node


def jointsFromMarkups(volumeNode, markupsNode) -> dict:
    """{"right": (column, row), "left": (column, row)}: the "right SIJ" / "left SIJ" control points in pixel
    coordinates of the radiograph (through its RAS-to-IJK); ValueError naming a point that is not placed."""
    from axspa.slicer.markups import markups_to_sites

    points = markups_to_sites(markupsNode, ijkToRas(volumeNode))
    joints = {}
    for side, label in JOINT_LABELS.items():
        if points.get(label) is None:
            raise ValueError(f"Place the point '{label}' in '{markupsNode.GetName()}' on the {side} sacroiliac "
                             f"joint first (or grade again to let the model find it).")
        joints[side] = points[label]
    return joints


def otherRegion(region: str) -> str:
    """The other region of a cervical + lumbar visit."""
    return "lumbar" if region == "cervical" else "cervical"


# ------------------------------------------------------------------------- which nodes belong to which input

# Output kinds (axspa.slicer.outputs.link_output) of the site markups of a radiograph and of the site table of
# one or both radiographs of a visit.
MARKUPS, TABLE = "markups", "table"
# Markups attribute: the engine's axspa.spine/1 document of the radiograph (input, model, vertebrae, warnings).
SPINE_DOCUMENT = "SpineDocument"


def storeDocument(markupsNode, doc: dict) -> None:
    """Keep the engine's document with the markups of its radiograph (what Export starts from)."""
    from axspa.slicer import set_json_attribute

    set_json_attribute(markupsNode, SPINE_DOCUMENT, doc)


def storedDocument(markupsNode):
    """The document storeDocument kept, or None."""
    from axspa.slicer import get_json_attribute

    return get_json_attribute(markupsNode, SPINE_DOCUMENT, None)


def findSitePoint(markupsNodes, site: str):
    """(markups node, control point index) of the placed point labelled ``site`` (matched by label, never by
    position in the list), or None when no node has it placed."""
    import slicer

    placed = (slicer.vtkMRMLMarkupsNode.PositionDefined, slicer.vtkMRMLMarkupsNode.PositionPreview)
    for node in markupsNodes:
        if node is None:
            continue
        for index in range(node.GetNumberOfControlPoints()):
            if node.GetNthControlPointLabel(index) == site:
                if node.GetNthControlPointPositionStatus(index) in placed:
                    return node, index
                break
    return None
