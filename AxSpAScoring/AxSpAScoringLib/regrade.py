"""Re-grade the sites whose control points a reader moved ("Re-grade moved sites"): the corner model runs at
those points only, and only their rows of the site table change (and the grade of a disc partner whose
bridging rule changes with them). Grades a reader typed into the table are kept.

MRML classes and vtk only, so it runs under slicer-core too.
"""

from typing import Any, Callable, Union


def movedSites(markupsNode) -> list:
    """Site labels of the control points that are not where their grade was computed."""
    from axspa.slicer.markups import moved_points
    from axspa.spine.sites import ALL_SITES

    return [label for label in moved_points(markupsNode) if label in ALL_SITES] if markupsNode else []


def regradeMovedSites(volumeNode, markupsNode, tableNode, corners: Union[Any, Callable[[], Any]],
                      threshold: float = 0.5, progress=None, cancel=None, dicomDatabase=None) -> dict:
    """Re-grade the moved sites of one radiograph.

    ``corners`` is the corner predictor, or a function returning it (called only when a site moved, so
    no model is loaded for nothing). Returns {"regraded": [sites], "changed": {site: [old, new grade]},
    "kept": [sites whose typed grade was kept], "partners": [disc partners whose grade changed]}.
    """
    from axspa.slicer.markups import grade_text, markups_to_sites, record_graded_positions
    from axspa.slicer.tables import table_site_rows, table_to_grades, update_site_rows
    from axspa.spine.pipeline import grade_points
    from axspa.spine.sites import ALL_SITES, FINDINGS, disc_of
    from AxSpAScoringLib.nodes import ijkToRas, radiographFromNode

    result = {"regraded": [], "changed": {}, "kept": [], "partners": []}
    moved = movedSites(markupsNode)
    if not moved:
        return result
    if tableNode is None:
        raise ValueError("Select the output table that holds the site grades.")
    positions = markups_to_sites(markupsNode, ijkToRas(volumeNode))
    points = {site: positions[site] for site in moved}
    rows = table_site_rows(tableNode, FINDINGS) if tableNode.GetNumberOfRows() else {}
    # Findings of the other graded sites: the disc-level rule grades both sites of a level together.
    known = {site: row["findings"] for site, row in rows.items()
             if site in ALL_SITES and site not in points and row["findings"] is not None
             and row["confidence"] is not None}
    predictor = corners() if callable(corners) and not hasattr(corners, "predict") else corners
    graded = grade_points(radiographFromNode(volumeNode, dicomDatabase), points, predictor, known,
                          threshold=threshold, progress=progress, cancel=cancel)
    before = {site: row["grade"] for site, row in rows.items()}
    updates = [dict(entry, id=site) for site, entry in graded["sites"].items()]
    partners = []
    for site in points:
        _level, upper, lower = disc_of(site)
        partner = lower if site == upper else upper
        if partner in known and graded["grades"].get(partner, before.get(partner)) != before.get(partner):
            updates.append({"id": partner, "grade": graded["grades"][partner]})
            partners.append(partner)
    kept = update_site_rows(tableNode, updates, findings=FINDINGS)
    after = table_to_grades(tableNode)
    descriptions = {}
    for entry in updates:
        site = entry["id"]
        shown = dict(graded["sites"].get(site) or {"point": positions.get(site),
                                                   "confidence": rows[site]["confidence"]})
        shown["grade"] = after.get(site)
        descriptions[site] = grade_text(shown) + ("; reader's grade" if site in kept else "")
    record_graded_positions(markupsNode, list(points), descriptions)
    result["regraded"] = list(points)
    result["kept"] = kept
    result["partners"] = [site for site in partners if site not in kept]
    result["changed"] = {site: [before.get(site), after.get(site)] for site in [*points, *partners]
                         if before.get(site) != after.get(site)}
    return result
