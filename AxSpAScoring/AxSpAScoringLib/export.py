"""Export the spine result as the reader left it ("Export..."), in the command line's files
(axspa.spine.outputs): ``<stem>.spine.json``, ``<stem>.mrk.json``, ``<stem>.sites.csv`` per radiograph and
``study.json`` for a cervical + lumbar pair, and ``clinical.csv`` / ``clinical.json`` when the first radiograph
has clinical indices (the "Clinical indices" table, AxSpAScoringLib.clinical).

The document starts from the engine's (kept with the markups when it scored) and takes the points from
the markups and the grades, findings, confidence, review flag and source from the site table, so moved
points, typed grades and re-graded sites are what is exported. MRML classes and vtk only.
"""

import re
import types
from pathlib import Path

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def inputInfo(radiograph) -> dict:
    """The document's "input" block for a radiograph read from a volume node."""
    return {"path": radiograph.path or "", "sha256": radiograph.sha256 or "", "rows": radiograph.rows,
            "columns": radiograph.columns,
            "pixel_spacing_mm": list(radiograph.spacing_mm) if radiograph.spacing_mm else None,
            "photometric": radiograph.photometric}


def documentFromNodes(volumeNode, markupsNode, tableNode, dicomDatabase=None, region=None, reading=None) -> dict:
    """The axspa.spine/1 document of one radiograph as its nodes hold it now (see the module docstring).
    Without a document from the engine (e.g. a reading typed into a table) one is made from the volume,
    for ``region`` or else the region most of the sites in the markups and table belong to. ``reading``
    ({"reader", "study"}) marks a manual reading: the document carries it, and its warnings name the
    grades the ticked findings do not give (what ``axspa train`` would learn) instead of "overrides"."""
    from axspa.slicer.markups import markups_to_sites
    from axspa.slicer.tables import table_site_rows
    from axspa.spine.edits import edited_document, empty_document
    from axspa.spine.site_table import SOURCE_READER
    from axspa.spine.sites import FINDINGS, REGIONS
    from AxSpAScoringLib.nodes import ijkToRas, radiographFromNode, storedDocument

    base = storedDocument(markupsNode) if markupsNode is not None else None
    points = markups_to_sites(markupsNode, ijkToRas(volumeNode)) if markupsNode is not None else {}
    rows = table_site_rows(tableNode, FINDINGS) if tableNode is not None and tableNode.GetNumberOfRows() else {}
    if base is None:
        base = empty_document(inputInfo(radiographFromNode(volumeNode, dicomDatabase)),
                              region or _regionOf(points, rows))
    sites = {}
    for site in REGIONS[base["region"]]:
        new = {"point": points[site]} if site in points else {}
        row = rows.get(site)
        if row is not None:
            new.update(grade=row["grade"], confidence=row["confidence"])
            if row["findings"] is not None:
                new["findings"] = row["findings"]
            if row["review"] in ("yes", "no"):
                new["review"] = row["review"] == "yes"
            if row["source"]:
                new["source"] = row["source"]
        sites[site] = new
    if reading is not None:
        return readingDocument(base, sites, reading)
    readers = [site for site, new in sites.items() if new.get("source") == SOURCE_READER]
    notes = ["grades from a reader (override): " + ", ".join(readers)] if readers else []
    return edited_document(base, sites, notes)


def readingDocument(base: dict, sites: dict, reading: dict) -> dict:
    """A manual reading's document: ``base`` with the sites' values, "reading" and a note on grades chosen
    without the findings that give them."""
    from axspa.spine.edits import edited_document
    from axspa.spine.manual import grades_without_findings

    doc = edited_document(base, sites)
    loose = grades_without_findings(doc["sites"])
    if loose:
        doc["warnings"].append("grade chosen without the findings that give it (axspa train learns the findings): "
                               + ", ".join(loose))
    doc["reading"] = {"reader": reading.get("reader") or "", "study": reading.get("study") or ""}
    return doc


def _regionOf(points: dict, rows: dict) -> str:
    from axspa.image import InputError
    from axspa.spine.sites import REGIONS

    found = {s for s, p in points.items() if p is not None} | set(rows)
    counts = {region: len(found & set(sites)) for region, sites in REGIONS.items()}
    region = max(counts, key=counts.get)
    if not counts[region]:
        raise InputError("the markups and the table hold no mSASSS site (C2i ... S1s): nothing to export")
    return region


def exportResults(outputDir, pairs, tableNode, overwrite: bool = False, dicomDatabase=None, regions=None,
                  reading=None) -> dict:
    """Write the files of each (volume, markups) pair and, for a cervical + lumbar pair, ``study.json``.

    ``regions`` (one per pair) and ``reading`` as documentFromNodes takes them. A file that differs from the
    new one (edited?) is kept unless ``overwrite``. Returns {"documents", "study" (or None), "files" (paths
    of every output file), "kept" (messages about files kept)}.
    """
    from axspa.clinical_panel import write_clinical
    from axspa.results import stem_of, validate
    from axspa.spine import outputs
    from axspa.spine.pipeline import study_document
    from AxSpAScoringLib.clinical import clinicalOf
    from AxSpAScoringLib.nodes import ijkToRas

    out = Path(outputDir)
    docs = []
    for n, (volume, markups) in enumerate(pairs):
        doc = documentFromNodes(volume, markups, tableNode, dicomDatabase, regions[n] if regions else None, reading)
        validate(doc, "spine")
        docs.append(doc)
    stems = [stem_of(doc["input"]["path"]) if doc["input"]["path"] else
             (_UNSAFE.sub("_", volume.GetName() or "") or "image") for doc, (volume, _) in zip(docs, pairs)]
    if len(set(stems)) < len(stems):  # one stem per input, never one result under another's name
        stems = [f"{stem}-{doc['region']}" for stem, doc in zip(stems, docs)]
    kept, files = [], []
    for doc, stem, (volume, _) in zip(docs, stems, pairs):
        geometry = types.SimpleNamespace(ijk_to_ras=ijkToRas(volume))  # where the points are in this scene
        kept += outputs.write_spine_outputs(doc, geometry, out, overwrite, stem=stem)
        files += [str(out / f"{stem}{ext}") for ext in (".spine.json", ".mrk.json", ".sites.csv")]
    study = None
    if len(docs) == 2:
        study = study_document(docs)
        message = outputs.write_study(study, out, overwrite)
        kept += [message] if message else []
        files.append(str(out / "study.json"))
    clinical = clinicalOf(pairs[0][0])
    if clinical is not None:  # the visit's clinical indices, as `axspa clinical --out` writes them
        kept += write_clinical(clinical, out, overwrite)
        files += [str(out / "clinical.csv"), str(out / "clinical.json")]
    return {"documents": docs, "study": study, "files": files, "kept": kept}
