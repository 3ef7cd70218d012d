"""The Slicer roof: everything of the extension that needs MRML or Qt, shared by both modules. The engine (the
rest of axspa) never imports it; it imports the engine.

- MRML adapters <-> the engine's arrays and sites: volumes, markups, tables, segmentations, hierarchy, cohort
  (a batch case loaded into the scene, and the batch run in this process), outputs (one way to link an output
  node to its input); the JSON node attributes and matrix helpers are here;
- the panels' plumbing: samples (Sample Data registration), packages (installs, asked first), trust (a bundle's
  own code), parameters (widgets bound to the parameter node), reload, panel_job (progress, Cancel, calm
  messages), saving (the keep-my-edits save flow and the output folder of a path field).

The adapters use only MRML classes and ``vtk`` (plus numpy), never ``slicer.util`` helpers that need the Slicer
application and never Qt, so the same code runs inside Slicer (>= 5.8) and under the ``slicer-core`` wheel that
the tests use; Slicer's application and Qt are passed in where a panel needs them. ``slicer`` is imported inside
functions so that importing this package costs nothing until an adapter is called.

Node attributes written here (all start with ``AxSpA.``) record what the engine last wrote, so a
rescoring run can tell a user's edit from its own output and keep the edit.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

ATTRIBUTE_PREFIX = "AxSpA."


def vtk_matrix_from_array(matrix: np.ndarray) -> Any:
    """A vtkMatrix4x4 holding a 4x4 numpy matrix."""
    import vtk

    m = np.asarray(matrix, dtype=float)
    if m.shape != (4, 4):
        raise ValueError(f"expected a 4x4 matrix, got shape {m.shape}")
    vm = vtk.vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            vm.SetElement(r, c, float(m[r, c]))
    return vm


def array_from_vtk_matrix(vmatrix: Any) -> np.ndarray:
    """A 4x4 numpy copy of a vtkMatrix4x4."""
    return np.array([[vmatrix.GetElement(r, c) for c in range(4)] for r in range(4)], dtype=float)


def ensure_node_class(scene: Any, class_name: str) -> None:
    """Register an MRML node class with the scene if it is not registered yet.

    Inside Slicer every module registers its classes at start-up, so this does nothing there; a bare
    scene (slicer-core) lacks a few, e.g. vtkMRMLMarkupsJsonStorageNode, which storage and
    ``CreateNodeByClass`` need.
    """
    if scene.IsNodeClassRegistered(class_name):
        return
    import slicer

    cls = getattr(slicer, class_name, None)
    if cls is None:
        raise RuntimeError(f"MRML node class {class_name} is not available in this Slicer build")
    scene.RegisterNodeClass(cls())


def get_json_attribute(node: Any, name: str, default: Any = None) -> Any:
    """Read a JSON-valued node attribute (``AxSpA.<name>``); ``default`` when absent or unreadable."""
    text = node.GetAttribute(ATTRIBUTE_PREFIX + name)
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        # A hand-edited or truncated attribute must not stop a rescoring run.
        return default


def set_json_attribute(node: Any, name: str, value: Any) -> None:
    """Store ``value`` as JSON in the node attribute ``AxSpA.<name>``."""
    node.SetAttribute(ATTRIBUTE_PREFIX + name, json.dumps(value))
