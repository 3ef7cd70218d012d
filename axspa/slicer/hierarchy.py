"""Where results live in the scene (subject hierarchy) and how they are written to disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

from axspa.slicer import ensure_node_class


def place_under_study(scene: Any, output_node: Any, input_node: Any) -> None:
    """Put ``output_node`` in the subject hierarchy under the study that holds ``input_node`` (or, when
    the input is in no study, under the input's parent item), so the result sits next to its image.

    Items missing from the hierarchy (a bare scene has none until a module adds them) are created.
    """
    import slicer

    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(scene)
    input_item = _item_of(sh, input_node)
    study_level = slicer.vtkMRMLSubjectHierarchyConstants.GetDICOMLevelStudy()
    parent = sh.GetItemAncestorAtLevel(input_item, study_level) or sh.GetItemParent(input_item)
    output_item = sh.GetItemByDataNode(output_node)
    if output_item:
        sh.SetItemParent(output_item, parent)
    else:
        sh.CreateItem(parent, output_node)


def place_if_new(output_node: Any, created: bool, input_node: Any) -> None:
    """What both modules do with an output node: one they ``created`` goes under the input's study
    (place_under_study); one the user chose stays where the user keeps it."""
    if created:
        place_under_study(input_node.GetScene(), output_node, input_node)


def _item_of(sh: Any, node: Any) -> int:
    item = sh.GetItemByDataNode(node)
    return item if item else sh.CreateItem(sh.GetSceneItemID(), node)


def save_node(node: Any, path: Union[str, os.PathLike], overwrite: bool = True) -> None:
    """Write a node to ``path`` with the storage node class Slicer uses for that file name:
    .mrk.json (vtkMRMLMarkupsJsonStorageNode), .seg.nrrd (vtkMRMLSegmentationStorageNode),
    .csv/.tsv tables (vtkMRMLTableStorageNode), .nrrd/.nii.gz volumes.

    A temporary storage node does the writing, so the node's own storage node (the file the user
    loaded it from) is left untouched. With ``overwrite=False`` an existing file is never replaced.
    Raises OSError when the file cannot be written.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path}: exists; not overwriting it")
    scene = node.GetScene()
    if scene is None:
        raise ValueError(f"node '{node.GetName()}' is not in a scene")
    if node.IsA("vtkMRMLMarkupsNode"):
        # Markups pick their storage class among the registered ones; a bare scene lacks the JSON one.
        ensure_node_class(scene, "vtkMRMLMarkupsJsonStorageNode")
    class_name = node.GetDefaultStorageNodeClassName(str(path))
    if not class_name:
        raise ValueError(f"{path}: no storage node can write a {node.GetClassName()}")
    storage = _new_storage_node(class_name)
    try:
        storage.SetScene(scene)  # units and referenced nodes come from the scene
        storage.SetFileName(str(path))
        storage.SetUseCompression(True)
        if not storage.WriteData(node) or not path.is_file():
            raise OSError(f"{path}: could not write {node.GetClassName()} '{node.GetName()}' with {class_name}")
    finally:
        storage.SetScene(None)


def _new_storage_node(class_name: str) -> Any:
    # Instantiated directly (Python owns it) rather than through scene.CreateNodeByClass, whose
    # reference ownership differs between Slicer versions.
    import slicer

    cls = getattr(slicer, class_name, None)
    if cls is None:
        raise RuntimeError(f"storage node class {class_name} is not available in this Slicer build")
    return cls()
