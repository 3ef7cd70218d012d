"""Minimal stand-ins for the parts of Slicer's Python that need the application (not in slicer-core).

Kept free of any axspa import so a test can check what importing a module file pulls in.
"""

from __future__ import annotations

import contextlib
import types
import unittest

import pytest

# Tests importing these stand-ins need the real MRML classes (slicer-core); without it they skip.
slicer = pytest.importorskip("slicer", reason="slicer-core (real MRML libraries) is not installed")


class Parent:
    """What Slicer passes to a module's constructor (qSlicerScriptedLoadableModule)."""

    def __init__(self) -> None:
        self.title = ""


def application_stubs(connections: list) -> dict[str, types.ModuleType]:
    slm = types.ModuleType("slicer.ScriptedLoadableModule")

    class ScriptedLoadableModule:
        def __init__(self, parent):
            self.parent = parent

    class ScriptedLoadableModuleWidget:
        def __init__(self, parent=None):
            self.parent = parent

        def onReload(self):  # Slicer's re-runs the module's file (slicer.util.reloadScriptedModule)
            slm.reloaded.append(type(self).__name__)

    class ScriptedLoadableModuleLogic:
        def __init__(self, parent=None):
            pass

        def getParameterNode(self):
            return slicer.mrmlScene.AddNewNodeByClass("vtkMRMLScriptedModuleNode")

    class ScriptedLoadableModuleTest(unittest.TestCase):
        def delayDisplay(self, message, msec=None):
            pass

    for cls in (ScriptedLoadableModule, ScriptedLoadableModuleWidget, ScriptedLoadableModuleLogic,
                ScriptedLoadableModuleTest):
        setattr(slm, cls.__name__, cls)
    slm.reloaded = []  # the widgets whose base onReload ran

    pnw = types.ModuleType("slicer.parameterNodeWrapper")

    def parameterNodeWrapper(cls):
        def init(self, node):
            self.parameterNode = node
        cls.__init__ = init
        return cls

    class Choice:
        def __init__(self, choices):
            self.choices = choices

    class WithinRange:
        def __init__(self, low, high):
            self.low, self.high = low, high

    pnw.parameterNodeWrapper, pnw.Choice, pnw.WithinRange = parameterNodeWrapper, Choice, WithinRange
    i18n = types.ModuleType("slicer.i18n")
    i18n.tr = lambda text: text
    i18n.translate = lambda context, text: text
    return {"slicer.ScriptedLoadableModule": slm, "slicer.parameterNodeWrapper": pnw, "slicer.i18n": i18n}


def imported_module(monkeypatch, module_dir, name: str):
    """Import a module file (e.g. AxSpAScoring) against a fresh scene, its application parts stubbed;
    a generator for a fixture (``yield from``): the module and its Lib are forgotten afterwards."""
    import importlib
    import sys

    for stub_name, stub in application_stubs([]).items():
        monkeypatch.setitem(sys.modules, stub_name, stub)
    monkeypatch.setattr(slicer, "mrmlScene", slicer.vtkMRMLScene(), raising=False)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(connect=lambda signal, slot: None), raising=False)
    monkeypatch.syspath_prepend(str(module_dir))

    def cached():
        return [m for m in sys.modules if m == name or m.startswith(name + "Lib")]

    for m in cached():
        monkeypatch.delitem(sys.modules, m)
    yield importlib.import_module(name)
    for m in cached():
        sys.modules.pop(m, None)


def error_display_recorder(errors: list, wait_cursor=None):
    """Slicer's ``slicer.util.tryWithErrorDisplay`` for tests: records the error's text and re-raises, as
    Slicer's does; with ``waitCursor=True`` its block runs under ``wait_cursor`` (a wait_cursor_recorder class,
    when given), as Slicer's sets the wait cursor."""

    @contextlib.contextmanager
    def try_with_error_display(message=None, show=True, waitCursor=False):
        with wait_cursor() if waitCursor and wait_cursor is not None else contextlib.nullcontext():
            try:
                yield
            except Exception as exc:
                errors.append(str(exc))
                raise

    return try_with_error_display


def wait_cursor_recorder(events: list):
    """Slicer's ``slicer.util.WaitCursor`` for tests: ``events`` gets "wait" when the wait cursor is set and
    "normal" when it is restored; the class's ``depth`` is how many are set now (0: the normal cursor)."""

    class WaitCursor:
        depth = 0

        def __init__(self, show=True):
            self.show = show

        def __enter__(self):
            WaitCursor.depth += 1
            events.append("wait")

        def __exit__(self, *exc):
            WaitCursor.depth -= 1
            events.append("normal")

    return WaitCursor


class Widget(types.SimpleNamespace):
    """A Qt widget of a module's .ui for panel tests: its properties (set as attributes), its signals (connect,
    emit) and the table-view calls the panels make."""

    def __init__(self, **properties):
        super().__init__(**{"text": "", "enabled": True, "visible": True, "toolTip": "", "checked": False,
                            "currentIndex": 0, "currentText": "", "currentPath": "", "value": 0, "slots": {},
                            **properties})

    def connect(self, signal, slot):
        self.slots.setdefault(signal, []).append(slot)

    def emit(self, signal, *args):
        for slot in self.slots.get(signal, []):
            slot(*args)

    def setMRMLTableNode(self, node):
        self.table = node

    def setColumnHidden(self, column, hidden):
        pass
