"""Output nodes of the AxSpA Scoring module: site markups, the site table and the heat map.

Each function reuses the node it is given (the user's choice in the panel) and creates one only when
none is given; a created node is placed in the subject hierarchy under the input's study.
"""

import numpy as np
import vtk


def ijkToRas(volumeNode) -> np.ndarray:
    """The volume node's 4x4 IJK-to-RAS matrix (the real geometry, whatever the image was loaded from)."""
    from axspa.mrml import array_from_vtk_matrix

    matrix = vtk.vtkMatrix4x4()
    volumeNode.GetIJKToRASMatrix(matrix)
    return array_from_vtk_matrix(matrix)


def _placeIfNew(node, created: bool, inputVolume) -> None:
    if created:
        from axspa.mrml.hierarchy import place_under_study

        place_under_study(inputVolume.GetScene(), node, inputVolume)


def writeSiteMarkups(volumeNode, sites: list, markupsNode=None, name: str = "mSASSS sites"):
    """Control points of the sites ([x, y] pixel points of an axspa.spine/1 document) on the volume."""
    from axspa.mrml.markups import sites_to_markups

    node = sites_to_markups(volumeNode.GetScene(), sites, ijkToRas(volumeNode), node=markupsNode, name=name)
    _placeIfNew(node, markupsNode is None, volumeNode)
    return node


def writeSiteTable(volumeNode, sites: list, tableNode=None, name: str = "mSASSS sites"):
    """One row per site (grades the user edited in an existing table are kept)."""
    from axspa.mrml.tables import sites_to_table

    node = sites_to_table(volumeNode.GetScene(), sites, node=tableNode, name=name)
    _placeIfNew(node, tableNode is None, volumeNode)
    return node


def showHeatmap(volumeNode, heatmap, heatmapNode=None, name: str = "Sacroiliitis heat map"):
    """Put the model's heat map ([rows, columns] on the radiograph's grid) into a volume node."""
    from axspa.mrml.volumes import array_to_volume

    array = np.asarray(heatmap, dtype=np.float32)
    dims = volumeNode.GetImageData().GetDimensions()  # (i, j, k) = (columns, rows, 1)
    if array.shape[-2:] != (dims[1], dims[0]):
        raise ValueError(f"heat map shape {array.shape} does not match the radiograph "
                         f"({dims[1]} rows x {dims[0]} columns)")
    node = array_to_volume(volumeNode.GetScene(), array.reshape(1, dims[1], dims[0]), ijkToRas(volumeNode),
                           name, node=heatmapNode)
    _placeIfNew(node, heatmapNode is None, volumeNode)
    return node
