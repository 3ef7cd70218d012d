"""Output nodes of the Hip Inflammation module: the segmentation, the results table and the per-slice table.

Each function reuses the node it is given (the user's choice in the panel) and creates one only when
none is given; a created node is placed in the subject hierarchy under the input's study. Every output
records which STIR volume it holds results of (axspa.slicer.outputs.link_output, kinds "segmentation", "scores",
"slices" and "plot"), so the console's process() finds it again instead of adding another.
"""

import numpy as np

# JSON node attribute (axspa.slicer) of a segmentation the model wrote: {"segmenter": "name@version"}.
MODEL_ATTRIBUTE = "HipModel"

SLICE_COLUMN_DESCRIPTIONS = {
    "side": "patient side (from the image geometry)",
    "index": "coronal slice index (along the image axis closest to anterior-posterior)",
    "head_area_mm2": "femoral head area on the slice (mm2; femoral BME counted as head)",
    "femoral_bme_area_mm2": "femoral BME area on the slice (mm2)",
    "femoral_bme_lesion": "1 when the femoral BME area reaches the minimum lesion area (HIMRISS-style)",
    "acetabular_bme_area_mm2": "acetabular BME area on the slice (mm2)",
    "acetabular_bme_lesion": "1 when the acetabular BME area reaches the minimum lesion area (HIMRISS-style)",
    "effusion_area_mm2": "effusion-synovitis area on the slice (mm2)",
    "effusion_lesion": "1 when the effusion-synovitis area reaches the minimum lesion area (HIMRISS-style)",
    "gray_value_proportion": "STIR intensity in femoral BME / in the femoral head on the slice (UNet-score term)",
    "area_fraction": "femoral BME area / femoral head area on the slice",
}


# ----------------------------------------------------------------------------------------------- segments

def writeSegmentation(volumeNode, masks: dict, segmentationNode=None):
    """The ten hip segments from [k, j, i] masks on the volume's grid (a segment the model left out is
    written empty), with their fixed colours and terminology. Segments are matched by name; segments the
    user edited or drew are kept as they are. Returns (node, names of the kept segments)."""
    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.segmentations import kept_segments, masks_to_segmentation

    shape = next((np.shape(m) for m in masks.values()), None)
    full = {s.name: masks[s.name] if s.name in masks else np.zeros(shape, bool) for s in HIP_SEGMENTS
            if shape is not None or s.name in masks}
    full.update({name: mask for name, mask in masks.items() if name not in full})  # unknown names: refused
    if not full:
        raise ValueError("the segmentation model returned no segment")
    node = masks_to_segmentation(volumeNode.GetScene(), full, volumeNode, node=segmentationNode,
                                 segments=HIP_SEGMENTS, name=f"{volumeNode.GetName()} hip segments")
    kept = kept_segments(node)
    setTerminology(node, exclude=kept)
    place_if_new(node, segmentationNode is None, volumeNode)
    return node, kept


def setTerminology(segmentationNode, exclude=()) -> None:
    """Slicer terminology of each hip segment (found by name), except the segments named in ``exclude``."""
    import slicer

    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.slicer.segmentations import name_key, segment_ids_by_name

    ids = segment_ids_by_name(segmentationNode)
    tag = slicer.vtkSegment.GetTerminologyEntryTagName()
    for definition in HIP_SEGMENTS:
        found = ids.get(name_key(definition.name))
        if found and definition.name not in exclude:
            segmentationNode.GetSegmentation().GetSegment(found[1]).SetTag(tag, definition.terminology)


def editedSegments(segmentationNode, volumeNode, masks=None) -> list:
    """Hip segments (canonical names) of the node that the user edited since the engine wrote them, or drew
    (no record of the engine writing them). ``masks``: segmentation_to_masks of the node, when at hand."""
    import vtk

    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.slicer.segmentations import HASH_TAG, mask_hash, name_key, segment_ids_by_name, segmentation_to_masks

    ids = segment_ids_by_name(segmentationNode)
    if masks is None:
        masks = segmentation_to_masks(segmentationNode, volumeNode)
    edited = []
    for definition in HIP_SEGMENTS:
        found = ids.get(name_key(definition.name))
        if not found:
            continue
        name, segmentId = found
        written = vtk.reference("")
        segment = segmentationNode.GetSegmentation().GetSegment(segmentId)
        if not segment.GetTag(HASH_TAG, written) or str(written) != mask_hash(masks[name]):
            edited.append(definition.name)
    return edited


# ------------------------------------------------------------------------------------------------- tables

def writeResultsTable(volumeNode, columns, rows, tableNode=None, name: str = "Hip scores"):
    """A locked table node with string columns ``columns`` and ``rows`` (lists of cell texts): computed
    results, so the user edits the segmentation and re-scores instead."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.tables import text_table

    node = text_table(volumeNode.GetScene(), columns, rows, tableNode, name, titles=True)
    place_if_new(node, tableNode is None, volumeNode)
    return node


def writeSlicesTable(volumeNode, document: dict, tableNode=None, name: str = "Hip scores per slice"):
    """One row per scoring slice and side (the ``slices`` rows of each side of the axspa.hip/1 document, as
    in ``<stem>.slices.csv``): numbers in numeric columns so they sort and plot; a locked table."""
    import vtk

    from axspa.slicer.hierarchy import place_if_new

    rows = [{"side": side, **row} for side in ("right", "left") for row in document["sides"][side].get("slices", [])]
    columns = list(rows[0]) if rows else ["side", "index"]
    table = vtk.vtkTable()
    for column in columns:
        sample = next((row[column] for row in rows), "" if column == "side" else 0)
        if isinstance(sample, str):
            array = vtk.vtkStringArray()
        elif isinstance(sample, (bool, int, np.integer)):
            array = vtk.vtkIntArray()
        else:
            array = vtk.vtkDoubleArray()
        array.SetName(column)
        array.SetNumberOfValues(len(rows))
        for r, row in enumerate(rows):
            value = row[column]
            array.SetValue(r, value if isinstance(value, str) else int(value) if isinstance(array, vtk.vtkIntArray)
                           else float(value))
        table.AddColumn(array)
    created = tableNode is None
    if created:
        tableNode = volumeNode.GetScene().AddNewNodeByClass("vtkMRMLTableNode", name)
    wasModified = tableNode.StartModify()
    tableNode.SetAndObserveTable(table)
    tableNode.SetLocked(True)
    for column in columns:
        if column in SLICE_COLUMN_DESCRIPTIONS:
            tableNode.SetColumnDescription(column, SLICE_COLUMN_DESCRIPTIONS[column])
    tableNode.EndModify(wasModified)
    place_if_new(tableNode, created, volumeNode)
    return tableNode
