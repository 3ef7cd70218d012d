"""Which output nodes belong to which input: the one way both modules link an output node (site markups, site
table, segmentation, result tables, plot) to the input node(s) it holds results of, so that scoring the same input
again reuses its outputs instead of adding new ones, and a panel can select the outputs of the chosen input.

An output records its input(s) as node references of role ``INPUT_REFERENCE`` (they survive saving the scene) and
what it is in the attribute ``OUTPUT_KIND`` ("markups", "table", "segmentation", "scores", ...).

Scenes saved by earlier versions are read too: AxSpA Scoring referenced its radiographs as "AxSpAInputVolume"
(no kind: the node class told markups from table), Hip Inflammation its STIR volume as "AxSpAHipInput" with the
kind in "AxSpA.HipOutput". Linking a node again writes the current names and drops the old ones.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

INPUT_REFERENCE = "AxSpAInput"
OUTPUT_KIND = "AxSpA.Output"
LEGACY_REFERENCES = ("AxSpAInputVolume", "AxSpAHipInput")
LEGACY_KINDS = ("AxSpA.HipOutput",)


def link_output(node: Any, inputs: Any, kind: str) -> None:
    """Record that ``node`` holds the ``kind`` result of ``inputs`` (one input node, or several; None entries are
    skipped), replacing whatever it was linked to before."""
    inputs = [inputs] if inputs is None or not isinstance(inputs, (list, tuple)) else inputs
    for role in (INPUT_REFERENCE, *LEGACY_REFERENCES):
        node.RemoveNodeReferenceIDs(role)
    for name in LEGACY_KINDS:
        node.RemoveAttribute(name)
    node.SetAttribute(OUTPUT_KIND, kind)
    for source in inputs:
        if source is not None:
            node.AddNodeReferenceID(INPUT_REFERENCE, source.GetID())


def output_kind(node: Any) -> Optional[str]:
    """What ``node`` is as an output ("segmentation", "table", ...), or None (not an output, or an AxSpA Scoring
    output saved before outputs had kinds)."""
    if node is None:
        return None
    for name in (OUTPUT_KIND, *LEGACY_KINDS):
        kind = node.GetAttribute(name)
        if kind:
            return kind
    return None


def linked_input_ids(node: Any) -> list[str]:
    """IDs of the input nodes ``node`` holds results of (current role first, then the old ones)."""
    ids: list[str] = []
    for role in (INPUT_REFERENCE, *LEGACY_REFERENCES):
        for i in range(node.GetNumberOfNodeReferences(role)):
            node_id = node.GetNthNodeReferenceID(role, i)
            if node_id and node_id not in ids:
                ids.append(node_id)
    return ids


def linked_input(node: Any) -> Any:
    """The (first) input node ``node`` holds results of, or None."""
    if node is None or node.GetScene() is None:
        return None
    for node_id in linked_input_ids(node):
        found = node.GetScene().GetNodeByID(node_id)
        if found is not None:
            return found
    return None


def find_output(input_node: Any, class_name: str, kind: str) -> Any:
    """The last node of ``class_name`` holding the ``kind`` result of ``input_node`` (link_output), or None. A node
    saved before outputs had kinds matches any kind of its class."""
    if input_node is None or input_node.GetScene() is None:
        return None
    scene = input_node.GetScene()
    found = None
    for n in range(scene.GetNumberOfNodesByClass(class_name)):
        node = scene.GetNthNodeByClass(n, class_name)
        if output_kind(node) in (kind, None) and input_node.GetID() in linked_input_ids(node):
            found = node
    return found


def outputs_of(input_node: Any, kinds: Iterable[tuple[str, str]]) -> dict:
    """{kind: find_output(input_node, class_name, kind)} for each (kind, class_name) of ``kinds``."""
    return {kind: find_output(input_node, class_name, kind) for kind, class_name in kinds}
