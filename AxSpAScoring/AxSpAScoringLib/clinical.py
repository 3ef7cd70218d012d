"""The clinical indices of the visit in the scene: the "Clinical indices" table node (index, value, category, note;
locked, as computed results are) linked to the radiograph it goes with (axspa.slicer.outputs, kind "clinical")
and put under that radiograph's study, with the visit's document (axspa.clinical_panel) kept in a node attribute
so that Export writes it beside the other results (clinical.csv, clinical.json). MRML classes and vtk only.
"""

from typing import Any, Optional

CLINICAL = "clinical"  # output kind of the table (axspa.slicer.outputs.link_output)
CLINICAL_TABLE_NAME = "Clinical indices"
CLINICAL_DOCUMENT = "ClinicalIndices"  # table attribute: the visit's document (axspa.clinical_panel)


def writeClinicalTable(scene: Any, document: dict, inputVolume: Any = None, tableNode: Any = None) -> Any:
    """Fill the "Clinical indices" table with ``document``'s indices: ``tableNode`` when given, else the one of
    ``inputVolume`` (found through its link), else a new one, which goes under the input's study. The table is
    linked to ``inputVolume`` (when there is one). Returns the table node."""
    from axspa.clinical_panel import TABLE_COLUMNS, TABLE_DESCRIPTIONS, indices_rows
    from axspa.slicer import set_json_attribute
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.outputs import link_output
    from axspa.slicer.tables import text_table

    if tableNode is None:
        tableNode = clinicalTableOf(inputVolume)
    created = tableNode is None
    table = text_table(scene, TABLE_COLUMNS, indices_rows(document), tableNode, CLINICAL_TABLE_NAME,
                       descriptions=TABLE_DESCRIPTIONS)
    set_json_attribute(table, CLINICAL_DOCUMENT, document)
    if inputVolume is not None:
        link_output(table, inputVolume, CLINICAL)
        place_if_new(table, created, inputVolume)
    return table


def storedClinical(tableNode: Any) -> Optional[dict]:
    """The visit's document kept with a "Clinical indices" table, or None."""
    from axspa.slicer import get_json_attribute

    return get_json_attribute(tableNode, CLINICAL_DOCUMENT, None) if tableNode is not None else None


def clinicalTableOf(inputVolume: Any) -> Any:
    """The (last) "Clinical indices" table linked to ``inputVolume``, or None. Only a table linked as kind
    "clinical" counts (find_output would also take a site table saved before outputs had kinds)."""
    from axspa.slicer.outputs import linked_input_ids, output_kind

    scene = inputVolume.GetScene() if inputVolume is not None else None
    found = None
    for n in range(scene.GetNumberOfNodesByClass("vtkMRMLTableNode") if scene is not None else 0):
        node = scene.GetNthNodeByClass(n, "vtkMRMLTableNode")
        if output_kind(node) == CLINICAL and inputVolume.GetID() in linked_input_ids(node):
            found = node
    return found


def clinicalOf(inputVolume: Any) -> Optional[dict]:
    """The document of the "Clinical indices" table linked to ``inputVolume``, or None."""
    return storedClinical(clinicalTableOf(inputVolume))
