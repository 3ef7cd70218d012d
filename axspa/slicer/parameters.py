"""Parameter binding: a panel's widgets bound to its parameter node, with the tag that undoes it."""

from __future__ import annotations

from typing import Any

PARAMETER_NAME_PROPERTY = "SlicerParameterName"  # the .ui property that binds a widget to a parameter


def connect_parameters_to_gui(parameter_node: Any, ui: Any) -> Any:
    """Bind every widget of ``ui`` (``slicer.util.childWidgetVariables``) that names a parameter and
    return the tag ``disconnectGui`` needs. ``connectGui`` returns None in Slicer 5.8, so a panel that
    used it could never disconnect and bound its widgets again on every enter."""
    mapping = {}
    for widget in vars(ui).values():
        name = widget.property(PARAMETER_NAME_PROPERTY) if hasattr(widget, "property") else None
        if name:
            mapping[str(name)] = widget
    return parameter_node.connectParametersToGui(mapping)
