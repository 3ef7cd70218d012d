"""axspa.slicer.parameters: a panel's widgets bound to its parameter node."""

from __future__ import annotations

from types import SimpleNamespace


def test_gui_binding_returns_the_tag_disconnect_needs():

    from axspa.slicer.parameters import connect_parameters_to_gui

    class Widget:
        def __init__(self, name):
            self.name = name

        def property(self, key):
            return self.name if key == "SlicerParameterName" else None

    class Node:
        def connectParametersToGui(self, mapping):
            self.mapping = mapping
            return 7

    node = Node()
    ui = SimpleNamespace(a=Widget("inputVolume"), b=Widget(None), label="not a widget")
    assert connect_parameters_to_gui(node, ui) == 7
    assert list(node.mapping) == ["inputVolume"]
