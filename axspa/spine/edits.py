"""A spine result as a reader left it: the engine's ``axspa.spine/1`` document with the points the reader
moved, the grades the reader typed and the sites re-graded since, put back in, and the segment score
recomputed through the rules. What the Slicer panel exports, in the command line's file formats.

Each site may carry ``"source"``: "model" (the engine's grade) or "reader" (a reader's override), and
``"review"`` (the engine flagged it for a reader); both are additions the schema allows.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Optional, Sequence

from axspa.spine import rules
from axspa.spine.sites import FINDINGS, REGIONS

SITE_KEYS = ("point", "findings", "grade", "confidence", "review", "source")


def empty_document(input_info: Mapping[str, Any], region: str, model: Optional[Mapping[str, str]] = None) -> dict:
    """A document with no engine result (e.g. a reading typed into a table): every site of ``region``
    unlocated and unscored; ``model`` names "none" unless given."""
    if region not in REGIONS:
        raise ValueError(f"region must be cervical or lumbar, got {region!r}")
    sites = [{"id": s, "point": None, "point_mm": None, "findings": dict.fromkeys(FINDINGS, 0.0), "grade": None,
              "confidence": None} for s in REGIONS[region]]
    return {"schema": "axspa.spine/1", "input": dict(input_info), "region": region,
            "model": dict(model or {"landmarks": "none", "corners": "none"}), "vertebrae": [], "sites": sites,
            "score": rules.segment_score({}, region).to_dict(), "warnings": []}


def edited_document(base: Mapping[str, Any], sites: Mapping[str, Mapping[str, Any]],
                    warnings: Sequence[str] = ()) -> dict:
    """``base`` (an axspa.spine/1 document) with the sites' values replaced by ``sites`` ({site id: {key:
    value}} for the keys in SITE_KEYS; a key left out keeps the base value), ``point_mm`` recomputed from
    the point and the input's pixel spacing, the score recomputed from the grades and ``warnings`` added.
    Sites of other regions in ``sites`` are ignored. ``base`` is not changed."""
    doc = copy.deepcopy(dict(base))
    spacing = (doc.get("input") or {}).get("pixel_spacing_mm")
    for entry in doc["sites"]:
        new = sites.get(entry["id"], {})
        for key in SITE_KEYS:
            if key not in new:
                continue
            value = new[key]
            if key == "point":
                value = None if value is None else [float(value[0]), float(value[1])]
            elif key == "findings":
                value = {f: float(value.get(f, 0.0)) for f in FINDINGS} if value else entry.get("findings")
            elif key == "grade":
                value = None if value is None else int(value)
            elif key == "confidence":
                value = None if value is None else float(value)
            entry[key] = value
        if "point" in new:
            point = entry["point"]
            entry["point_mm"] = ([point[0] * spacing[1], point[1] * spacing[0]]
                                 if point is not None and spacing else None)
    grades = {entry["id"]: entry["grade"] for entry in doc["sites"]}
    doc["score"] = rules.segment_score(grades, doc["region"]).to_dict()
    doc["warnings"] = list(doc.get("warnings", [])) + [w for w in warnings if w not in doc.get("warnings", [])]
    return doc
