"""Score spine radiographs with the models into the module's nodes ("Score with model"): the site markups and
the site table of one radiograph, or of a cervical + lumbar pair, created or reused without overwriting what the
user edited there. MRML classes and vtk only (plus slicer.i18n for the warnings), so it runs under slicer-core.
"""

from slicer.i18n import tr as _


def scoreSpineNodes(models, inputVolume, region: str = "auto", otherVolume=None, outputMarkups=None,
                    otherMarkups=None, outputTable=None, threshold: float = 0.5, progress=None, cancel=None,
                    overwrite: bool = False, dicomDatabase=None) -> dict:
    """Score one radiograph (or a pair) with ``models`` (axspa.spine.pipeline.SpineModels, loaded once for both).

    Returns {"documents": [axspa.spine/1 dicts], "markups": [nodes], "table": node, "warnings": [str]}. Output
    nodes given are reused (points and grades the user edited are kept unless ``overwrite``; kept points are
    re-graded where they are); missing ones are created under the input's study. The nodes of a manual reading
    (AxSpAScoringLib.reading) are never scored into: the models' result goes to new nodes beside them.
    """
    from axspa.jobs import scaled_progress
    from axspa.slicer.markups import kept_points
    from axspa.slicer.outputs import link_output
    from axspa.slicer.tables import kept_grades
    from axspa.spine.pipeline import score_radiograph
    from AxSpAScoringLib.nodes import (
        MARKUPS,
        TABLE,
        otherRegion,
        radiographFromNode,
        storeDocument,
        writeSiteMarkups,
        writeSiteTable,
    )
    from AxSpAScoringLib.reading import isReadingNode
    from AxSpAScoringLib.regrade import regradeMovedSites

    outputMarkups, otherMarkups, outputTable = (None if isReadingNode(node) else node
                                                for node in (outputMarkups, otherMarkups, outputTable))
    volumes = [inputVolume] + ([otherVolume] if otherVolume is not None else [])
    documents, markups = [], []
    for n, volume in enumerate(volumes):
        step = scaled_progress(progress, n / len(volumes), (n + 1) / len(volumes))
        wanted = region if n == 0 else otherRegion(documents[0]["region"])
        doc = score_radiograph(radiographFromNode(volume, dicomDatabase), wanted, models=models,
                               progress=step, cancel=cancel, threshold=threshold)
        documents.append(doc)
    for volume, node, doc in zip(volumes, (outputMarkups, otherMarkups), documents):
        node = writeSiteMarkups(volume, doc["sites"], node, f"mSASSS sites {doc['region']}", overwrite)
        link_output(node, [volume], MARKUPS)
        storeDocument(node, doc)
        markups.append(node)
    allSites = [site for doc in documents for site in doc["sites"]]
    table = writeSiteTable(inputVolume, allSites, outputTable, overwrite=overwrite)
    link_output(table, volumes, TABLE)
    warnings = [w for doc in documents for w in doc.get("warnings", [])]
    kept = [label for node in markups for label in kept_points(node)]
    regraded = []
    for volume, node in zip(volumes, markups):  # the models' grades of kept points are for the models' points
        regraded += regradeMovedSites(volume, node, table, models.corners, threshold,
                                      dicomDatabase=dicomDatabase)["regraded"]
    if kept:
        warnings.insert(0, _("Points you placed or moved were kept: ") + ", ".join(kept))
    if regraded:
        warnings.insert(0, _("Graded where you placed them: ") + ", ".join(regraded))
    if kept_grades(table):
        warnings.insert(0, _("Grades you edited in the table were kept: ") + ", ".join(kept_grades(table)))
    return {"documents": documents, "markups": markups, "table": table, "warnings": warnings}
