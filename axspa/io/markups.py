"""Slicer markups files (.mrk.json) written without Slicer, so the CLI's landmarks open in Slicer.

The layout follows Slicer's markups schema v1.0.3 and what Slicer's own writer emits: one
``Fiducial`` markup, one control point per landmark with id, label, description, position,
orientation, selected, locked, visibility and positionStatus, and a display block.

A landmark that could not be located is written with ``positionStatus: "missing"`` and no position:
Slicer reads that as a skipped point that the user can place from the Markups module (Slicer's own
writer uses the same status; the schema's enum predates it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

from axspa.image import InputError

SCHEMA_URL = ("https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/"
              "Resources/Schema/markups-schema-v1.0.3.json#")
# RAS -> LPS flips the first two axes; the same diagonal maps back.
_RAS_LPS = (-1.0, -1.0, 1.0)
_IDENTITY_3X3 = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
# Orientation as Slicer writes it in LPS for an identity RAS orientation.
_IDENTITY_3X3_LPS = [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0]

Point = Optional[Sequence[float]]


def write_markups_json(path: Union[str, os.PathLike], points: Sequence[tuple[str, Point]], *,
                       name: str = "mSASSS sites", locked: bool = False,
                       descriptions: Optional[dict[str, str]] = None,
                       coordinate_system: str = "LPS") -> None:
    """Write ``points`` (label, RAS position in mm or None) as a Slicer fiducial markups file.

    Positions are given in RAS; with ``coordinate_system="LPS"`` (Slicer's default for files) they are
    stored negated in x and y. ``locked`` locks the markup and every point; ``descriptions`` maps a
    label to the text shown in Slicer's control-point table (e.g. the grade).
    """
    from axspa.results import write_text_safely

    text = markups_json_text(points, name=name, locked=locked, descriptions=descriptions,
                             coordinate_system=coordinate_system)
    write_text_safely(path, text, overwrite=True)  # atomic; whether to replace is the caller's decision


def markups_json_text(points: Sequence[tuple[str, Point]], *, name: str = "mSASSS sites",
                      locked: bool = False, descriptions: Optional[dict[str, str]] = None,
                      coordinate_system: str = "LPS") -> str:
    """The .mrk.json document write_markups_json writes, as text (for writers that refuse to
    overwrite a user's file)."""
    if coordinate_system not in ("LPS", "RAS"):
        raise ValueError(f"coordinate_system must be 'LPS' or 'RAS', not {coordinate_system!r}")
    document = {"@schema": SCHEMA_URL,
                "markups": [_markup(name, points, locked, descriptions or {}, coordinate_system)]}
    return json.dumps(document, indent=4, allow_nan=False) + "\n"


def _markup(name: str, points: Sequence[tuple[str, Point]], locked: bool, descriptions: dict[str, str],
            coordinate_system: str) -> dict:
    return {
        "type": "Fiducial",
        "name": name,
        "coordinateSystem": coordinate_system,
        "coordinateUnits": "mm",
        "locked": bool(locked),
        "fixedNumberOfControlPoints": False,
        "labelFormat": "%N-%d",
        "lastUsedControlPointNumber": len(points),
        "controlPoints": [_control_point(i, label, position, locked, descriptions.get(label, ""),
                                         coordinate_system)
                          for i, (label, position) in enumerate(points)],
        "measurements": [],
        "display": _display(),
    }


def _control_point(index: int, label: str, position: Point, locked: bool, description: str,
                   coordinate_system: str) -> dict:
    lps = coordinate_system == "LPS"
    point: dict = {"id": str(index + 1), "label": str(label), "description": str(description),
                   "associatedNodeID": ""}
    if position is not None:
        ras = [float(v) for v in position]
        if len(ras) != 3:
            raise ValueError(f"control point {label!r}: expected 3 coordinates, got {len(ras)}")
        point["position"] = [v * f for v, f in zip(ras, _RAS_LPS)] if lps else ras
    point.update({
        "orientation": list(_IDENTITY_3X3_LPS if lps else _IDENTITY_3X3),
        "selected": True,
        "locked": bool(locked),
        "visibility": True,
        "positionStatus": "defined" if position is not None else "missing",
    })
    return point


def _display() -> dict:
    # Slicer's defaults, except labels on (the site ids are the point of these markups).
    return {
        "visibility": True,
        "opacity": 1.0,
        "color": [0.4, 1.0, 1.0],
        "selectedColor": [1.0, 0.5, 0.5],
        "activeColor": [0.4, 1.0, 0.0],
        "propertiesLabelVisibility": False,
        "pointLabelsVisibility": True,
        "textScale": 3.0,
        "glyphType": "Sphere3D",
        "glyphScale": 3.0,
        "glyphSize": 5.0,
        "useGlyphScale": True,
        "sliceProjection": False,
        "sliceProjectionUseFiducialColor": True,
        "sliceProjectionOutlinedBehindSlicePlane": False,
        "sliceProjectionColor": [1.0, 1.0, 1.0],
        "sliceProjectionOpacity": 0.6,
    }


def read_markups_json(path: Union[str, os.PathLike]) -> list[tuple[str, Optional[tuple[float, float, float]]]]:
    """Read the control points of the first markup of a .mrk.json as (label, RAS position or None).

    A point whose positionStatus is not "defined" (or "preview") reads as None. Raises
    axspa.image.InputError naming the file for a file that is not a markups document.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        markup = document["markups"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path}: not a readable Slicer markups file ({exc})") from exc
    flip = _RAS_LPS if markup.get("coordinateSystem", "LPS") == "LPS" else (1.0, 1.0, 1.0)
    result = []
    for cp in markup.get("controlPoints", []):
        status = cp.get("positionStatus", "defined")
        position = cp.get("position")
        if status in ("defined", "preview") and isinstance(position, list) and len(position) == 3:
            result.append((str(cp.get("label", "")), tuple(float(v) * f for v, f in zip(position, flip))))
        else:
            result.append((str(cp.get("label", "")), None))
    return result
