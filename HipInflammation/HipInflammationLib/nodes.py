"""Output nodes of the Hip Inflammation module: the segmentation and the results table.

Each function reuses the node it is given (the user's choice in the panel) and creates one only when
none is given; a created node is placed in the subject hierarchy under the input's study.
"""

import vtk


def _placeIfNew(node, created: bool, inputVolume) -> None:
    if created:
        from axspa.mrml.hierarchy import place_under_study

        place_under_study(inputVolume.GetScene(), node, inputVolume)


def writeSegmentation(volumeNode, masks: dict, segmentationNode=None):
    """Hip segments from [k, j, i] masks on the volume's grid; segments the user edited are kept."""
    from axspa.mrml.segmentations import masks_to_segmentation

    node = masks_to_segmentation(volumeNode.GetScene(), masks, volumeNode, node=segmentationNode,
                                 name=f"{volumeNode.GetName()} hip segments")
    _placeIfNew(node, segmentationNode is None, volumeNode)
    return node


def writeResultsTable(volumeNode, columns, rows, tableNode=None, name: str = "Hip scores"):
    """A table node with string columns ``columns`` and ``rows`` (lists of cell texts)."""
    created = tableNode is None
    if created:
        tableNode = volumeNode.GetScene().AddNewNodeByClass("vtkMRMLTableNode", name)
    table = vtk.vtkTable()
    for c, title in enumerate(columns):
        column = vtk.vtkStringArray()
        column.SetName(title)
        column.SetNumberOfValues(len(rows))
        for r, row in enumerate(rows):
            column.SetValue(r, str(row[c]))
        table.AddColumn(column)
    wasModified = tableNode.StartModify()
    tableNode.SetAndObserveTable(table)
    for title in columns:
        tableNode.SetColumnTitle(title, title)
    tableNode.SetUseColumnTitleAsColumnHeader(True)
    tableNode.SetLocked(True)  # computed results: edit the segmentation and re-score instead
    tableNode.EndModify(wasModified)
    _placeIfNew(tableNode, created, volumeNode)
    return tableNode
