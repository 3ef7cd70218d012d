"""What the Hip Inflammation Logic does with the nodes: segment the STIR volume with the model into the hip
segments, and score the segments as they are now (after edits in Segment Editor: no model runs) into the
results table, the per-slice table and the plot. MRML classes and vtk only (no Qt, no slicer.util)."""

from HipInflammationLib.nodes import MODEL_ATTRIBUTE, editedSegments, writeSegmentation


def segmentNodes(volumeNode, model, segmentationNode=None, progress=None, cancel=None):
    """Run the model on the volume and write its segments (the user's edited ones kept). Nothing is written
    when the model fails or the user cancels. Returns (segmentation node, names of the kept segments)."""
    from axspa.hip.pipeline import segment_hip
    from axspa.jobs import report, scaled_progress
    from axspa.slicer import set_json_attribute
    from axspa.slicer.outputs import link_output
    from axspa.slicer.volumes import volume_to_engine

    volume = volume_to_engine(volumeNode)
    masks = segment_hip(volume, model, progress=scaled_progress(progress, 0.0, 0.85), cancel=cancel)
    report(progress, 0.85, "writing the hip segments", cancel)
    node, kept = writeSegmentation(volumeNode, masks, segmentationNode)
    set_json_attribute(node, MODEL_ATTRIBUTE, {"segmenter": getattr(model, "bundle_id", type(model).__name__),
                                                "edema_probability": dict(getattr(model, "edema_probability", {}))})
    link_output(node, volumeNode, "segmentation")
    return node, kept


def scoreNodes(volumeNode, segmentationNode, config, resultsTable=None, slicesTable=None, plotChart=None) -> dict:
    """Score the hip segments of the node as they are now (matched by name, ignoring case) and write the
    results table (per side), the per-slice table and the plot. Returns {"document": axspa.hip/1 dict,
    "segmentation", "table", "slices", "plot" (nodes), "warnings": [str], "masks": {name: mask}}."""
    from axspa.hip.pipeline import add_edema_probability, score_hip
    from axspa.hip.segments import match_hip_segments
    from axspa.hip.texts import HIP_TABLE_COLUMNS, hip_result_rows
    from axspa.results import validate
    from axspa.slicer import get_json_attribute
    from axspa.slicer.outputs import link_output
    from axspa.slicer.segmentations import segmentation_to_masks
    from axspa.slicer.volumes import volume_to_engine
    from HipInflammationLib.nodes import writeResultsTable, writeSlicesTable
    from HipInflammationLib.plot import writeLesionPlot

    volume = volume_to_engine(volumeNode)
    allMasks = segmentation_to_masks(segmentationNode, volumeNode)
    masks, ignored = match_hip_segments(allMasks)
    edited = editedSegments(segmentationNode, volumeNode, allMasks)
    document = score_hip(volume, masks, config, source=segmentationNode.GetName())
    document["input"]["node"] = volumeNode.GetName()
    model = get_json_attribute(segmentationNode, MODEL_ATTRIBUTE, None)
    if model:
        document["model"] = {k: v for k, v in model.items() if k != "edema_probability"}
        add_edema_probability(document, model.get("edema_probability") or {})
        document["segmentation"] = "model" + ("; edited in Slicer: " + ", ".join(edited) if edited else "")
    else:
        document["segmentation"] = f"segmentation '{segmentationNode.GetName()}'"
    validate(document, "hip")

    table = writeResultsTable(volumeNode, HIP_TABLE_COLUMNS, hip_result_rows(document["sides"]), resultsTable,
                              name=f"{volumeNode.GetName()} hip scores")
    slices = writeSlicesTable(volumeNode, document, slicesTable, name=f"{volumeNode.GetName()} hip scores per slice")
    plot = writeLesionPlot(volumeNode, document, plotChart)
    for node, kind in ((segmentationNode, "segmentation"), (table, "scores"), (slices, "slices"), (plot, "plot")):
        link_output(node, volumeNode, kind)

    warnings = list(document.get("warnings", []))
    if ignored:
        warnings.append("Segments not used (not a hip segment name): " + ", ".join(ignored))
    warnings += [side["reason"] for side in document["sides"].values() if side.get("reason")]
    return {"document": document, "segmentation": segmentationNode, "table": table, "slices": slices,
            "plot": plot, "warnings": warnings, "masks": masks}
