"""mSASSS sites <-> a fiducial markups node (one control point per site, labelled with the site id).

Rescoring into the same node never overwrites what the user did: the positions the engine wrote
are stored in the node attribute ``AxSpA.WrittenPositions`` (label -> RAS or null); a control point
whose position or status no longer matches it, one the user created, or one that is locked (the
point or the whole markup) keeps its position, and its label is listed in ``AxSpA.KeptPoints``.

Where each site's grade was computed is in ``AxSpA.GradedPositions`` (label -> RAS or null): the
engine's point when it scored the film (also for a point the user had moved, whose position is kept),
the user's point once the site was re-graded there. ``moved_points`` lists the points that are no
longer where their grade was computed: the ones to re-grade.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

import numpy as np

from axspa.image import InputError
from axspa.slicer import get_json_attribute, set_json_attribute

WRITTEN_POSITIONS = "WrittenPositions"
KEPT_POINTS = "KeptPoints"
GRADED_POSITIONS = "GradedPositions"
# A point moved by less than this (mm) is still where the engine put it (float round-off in storage).
_MOVE_TOLERANCE_MM = 1e-3


def sites_to_markups(scene: Any, sites: list[dict], ijk_to_ras: np.ndarray, node: Any = None,
                     name: str = "mSASSS sites", overwrite: bool = False) -> Any:
    """One control point per site: label = site id, position = ijk_to_ras @ (x, y, 0, 1), description
    = grade text; ``point: None`` gives a point with position status "missing" for the user to place.

    Reuses ``node`` when given, keeping user-edited/locked points (see module docstring); with
    ``overwrite`` only locked points are kept. Lock flags of the points and of the node are never
    changed. Returns the node.
    """
    matrix = np.asarray(ijk_to_ras, dtype=float)
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
        node.CreateDefaultDisplayNodes()
    written: dict = get_json_attribute(node, WRITTEN_POSITIONS, {})
    graded: dict = get_json_attribute(node, GRADED_POSITIONS, {})
    kept: list[str] = []
    with _modifying(node):
        for site in sites:
            label = str(site["id"])
            ras = _site_ras(site, matrix)
            index = _index_of_label(node, label)
            if index >= 0 and (_locked(node, index) if overwrite else _user_owned(node, index, label, written)):
                kept.append(label)
            else:
                if index < 0:
                    index = _add_point(node, label)
                _place(node, index, ras)
                written[label] = ras
            graded[label] = ras  # this run's grade of the site was computed at the engine's point
            node.SetNthControlPointDescription(index, grade_text(site))
    set_json_attribute(node, WRITTEN_POSITIONS, written)
    set_json_attribute(node, GRADED_POSITIONS, graded)
    set_json_attribute(node, KEPT_POINTS, kept)
    return node


def moved_points(node: Any) -> list[str]:
    """Labels of the placed control points that are not where their site's grade was computed
    (``AxSpA.GradedPositions``, else where the engine wrote them): moved by the user, or placed by the
    user where the engine found no corner. Points without a position are not listed."""
    written: dict = get_json_attribute(node, WRITTEN_POSITIONS, {})
    graded: dict = get_json_attribute(node, GRADED_POSITIONS, {})
    moved = []
    for index in range(node.GetNumberOfControlPoints()):
        label = node.GetNthControlPointLabel(index)
        current = _current_position(node, index)
        if current is None:
            continue
        before = graded[label] if label in graded else written.get(label)
        if before is None or float(np.max(np.abs(np.subtract(current, before)))) > _MOVE_TOLERANCE_MM:
            moved.append(label)
    return moved


def record_graded_positions(node: Any, labels: list[str], descriptions: Optional[dict] = None) -> None:
    """Note that the sites ``labels`` were graded where their control points are now, and set the
    descriptions given ({label: text}, any label); positions and lock flags are not touched."""
    graded: dict = get_json_attribute(node, GRADED_POSITIONS, {})
    descriptions = descriptions or {}
    with _modifying(node):
        for index in range(node.GetNumberOfControlPoints()):
            label = node.GetNthControlPointLabel(index)
            if label in labels:
                graded[label] = _current_position(node, index)
            if label in descriptions:
                node.SetNthControlPointDescription(index, descriptions[label])
    set_json_attribute(node, GRADED_POSITIONS, graded)


def kept_points(node: Any) -> list[str]:
    """Labels whose user-edited position the last sites_to_markups call kept."""
    return list(get_json_attribute(node, KEPT_POINTS, []))


def grade_text(site: dict) -> str:
    """What a control point's description says about its site: grade, or why there is none."""
    grade = site.get("grade")
    if grade is None:
        text = "not located" if site.get("point") is None else "unscorable"
    else:
        text = f"grade {int(grade)}"
    confidence = site.get("confidence")
    if confidence is not None:
        text += f", confidence {float(confidence):.2f}"
    return text


def markups_to_sites(node: Any, ijk_to_ras: np.ndarray) -> dict[str, Optional[tuple[float, float]]]:
    """Pixel coordinates (x = column, y = row) of each control point by label, through the inverse
    of ``ijk_to_ras``; None for a point not placed (missing or undefined position)."""
    ras_to_ijk = np.linalg.inv(np.asarray(ijk_to_ras, dtype=float))
    result: dict[str, Optional[tuple[float, float]]] = {}
    for index in range(node.GetNumberOfControlPoints()):
        label = node.GetNthControlPointLabel(index)
        if label in result:
            raise InputError(f"markups '{node.GetName()}': label {label!r} is on more than one "
                             "control point; rename or delete the duplicate")
        ras = _current_position(node, index)
        if ras is None:
            result[label] = None
        else:
            ijk = ras_to_ijk @ np.array([*ras, 1.0])
            result[label] = (float(ijk[0]), float(ijk[1]))
    return result


@contextmanager
def _modifying(node: Any) -> Iterator[None]:
    # One Modified event for the whole update instead of one per point.
    was_modifying = node.StartModify()
    try:
        yield
    finally:
        node.EndModify(was_modifying)


def _site_ras(site: dict, matrix: np.ndarray) -> Optional[list[float]]:
    point = site.get("point")
    if point is None:
        return None
    ras = matrix @ np.array([float(point[0]), float(point[1]), 0.0, 1.0])
    return [float(v) for v in ras[:3]]


def _index_of_label(node: Any, label: str) -> int:
    for index in range(node.GetNumberOfControlPoints()):
        if node.GetNthControlPointLabel(index) == label:
            return index
    return -1


def _current_position(node: Any, index: int) -> Optional[list[float]]:
    import slicer

    status = node.GetNthControlPointPositionStatus(index)
    if status not in (slicer.vtkMRMLMarkupsNode.PositionDefined, slicer.vtkMRMLMarkupsNode.PositionPreview):
        return None
    return [float(v) for v in node.GetNthControlPointPosition(index)]


def _user_owned(node: Any, index: int, label: str, written: dict) -> bool:
    """True when the point is the user's: locked, created by the user, or moved/placed/unset since
    the engine wrote it."""
    if _locked(node, index):
        return True
    if label not in written:
        return True
    current = _current_position(node, index)
    before = written[label]
    if (current is None) != (before is None):
        return True
    return current is not None and float(np.max(np.abs(np.subtract(current, before)))) > _MOVE_TOLERANCE_MM


def _locked(node: Any, index: int) -> bool:
    return bool(node.GetLocked() or node.GetNthControlPointLocked(index))


def _add_point(node: Any, label: str) -> int:
    import vtk

    return node.AddControlPoint(vtk.vtkVector3d(0.0, 0.0, 0.0), label)


def _place(node: Any, index: int, ras: Optional[list[float]]) -> None:
    if ras is None:
        node.SetNthControlPointPositionMissing(index)
    else:
        node.SetNthControlPointPosition(index, *ras)
