"""Output nodes of the Hip Inflammation module: the segmentation and the results table.

Each function reuses the node it is given (the user's choice in the panel) and creates one only when
none is given; a created node is placed in the subject hierarchy under the input's study.
"""


def writeSegmentation(volumeNode, masks: dict, segmentationNode=None):
    """Hip segments from [k, j, i] masks on the volume's grid; segments the user edited are kept."""
    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.mrml.hierarchy import place_if_new
    from axspa.mrml.segmentations import masks_to_segmentation

    node = masks_to_segmentation(volumeNode.GetScene(), masks, volumeNode, node=segmentationNode,
                                 segments=HIP_SEGMENTS, name=f"{volumeNode.GetName()} hip segments")
    place_if_new(node, segmentationNode is None, volumeNode)
    return node


def writeResultsTable(volumeNode, columns, rows, tableNode=None, name: str = "Hip scores"):
    """A locked table node with string columns ``columns`` and ``rows`` (lists of cell texts): computed
    results, so the user edits the segmentation and re-scores instead."""
    from axspa.mrml.hierarchy import place_if_new
    from axspa.mrml.tables import text_table

    node = text_table(volumeNode.GetScene(), columns, rows, tableNode, name, titles=True)
    place_if_new(node, tableNode is None, volumeNode)
    return node
