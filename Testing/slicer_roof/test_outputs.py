"""axspa.slicer.outputs: the one way both modules link an output node to its input, scenes of earlier versions
read too (real MRML scene)."""

from __future__ import annotations

from axspa.slicer.outputs import INPUT_REFERENCE, find_output, link_output, linked_input, output_kind


def _volume(scene, name):
    return scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)


def test_an_output_is_found_by_its_input_class_and_kind(scene):
    cspine, lspine = _volume(scene, "cspine"), _volume(scene, "lspine")
    table = scene.AddNewNodeByClass("vtkMRMLTableNode", "sites")
    scores = scene.AddNewNodeByClass("vtkMRMLTableNode", "scores")
    link_output(table, [cspine, lspine], "table")  # one table for both radiographs of a visit
    link_output(scores, cspine, "scores")
    assert find_output(cspine, "vtkMRMLTableNode", "table") is table
    assert find_output(lspine, "vtkMRMLTableNode", "table") is table
    assert find_output(cspine, "vtkMRMLTableNode", "scores") is scores
    assert find_output(lspine, "vtkMRMLTableNode", "scores") is None
    assert find_output(None, "vtkMRMLTableNode", "table") is None
    assert output_kind(table) == "table" and linked_input(table) is cspine
    # Linked again: to the new input only.
    link_output(scores, lspine, "scores")
    assert find_output(cspine, "vtkMRMLTableNode", "scores") is None and linked_input(scores) is lspine


def test_outputs_of_scenes_saved_by_the_previous_version_are_found(scene):
    """AxSpA Scoring referenced its radiographs as "AxSpAInputVolume" (no kind); Hip Inflammation its STIR volume
    as "AxSpAHipInput" with the kind in "AxSpA.HipOutput". Both are still found; linking again writes the new
    names only."""
    cspine, stir = _volume(scene, "cspine"), _volume(scene, "stir")
    markups = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "sites")
    markups.AddNodeReferenceID("AxSpAInputVolume", cspine.GetID())
    segmentation = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "hips")
    segmentation.SetAttribute("AxSpA.HipOutput", "segmentation")
    segmentation.SetNodeReferenceID("AxSpAHipInput", stir.GetID())
    assert find_output(cspine, "vtkMRMLMarkupsFiducialNode", "markups") is markups
    assert find_output(stir, "vtkMRMLSegmentationNode", "segmentation") is segmentation
    assert find_output(stir, "vtkMRMLSegmentationNode", "scores") is None  # its old kind still counts
    assert output_kind(segmentation) == "segmentation" and linked_input(segmentation) is stir
    link_output(segmentation, stir, "segmentation")
    assert segmentation.GetAttribute("AxSpA.HipOutput") is None
    assert segmentation.GetNodeReferenceID("AxSpAHipInput") is None
    assert segmentation.GetNodeReferenceID(INPUT_REFERENCE) == stir.GetID()
    assert find_output(stir, "vtkMRMLSegmentationNode", "segmentation") is segmentation
