"""The Hip Inflammation panel's glue that is not one button's handler: the hint under "Score existing
segmentation", the per-side table fitted to the panel, the outputs that follow a new input volume, and the
question about segments the user edited before the model runs.

Widgets are used only through the properties PythonQt gives them (``text``, ``setMRMLTableNode``, ...), so the
tests drive this code with stand-ins and a real MRML scene; Qt is imported only to ask the question.
"""

from slicer.i18n import tr as _


def scoreHint(idle: bool, hasInput: bool, hasSegmentation: bool, scored: bool) -> str:
    """Why "Score existing segmentation" is disabled, or what it will do."""
    if not idle:
        return _("Busy: the buttons come back when the current job ends (or press Cancel).")
    if not hasInput:
        return _('"Score existing segmentation" needs a STIR volume (Inputs) and a segmentation (Outputs).')
    if not hasSegmentation:
        return _('"Score existing segmentation" is off until you select, under Outputs, the segmentation to '
                 'score (yours, or one you corrected), with the segment names listed there.')
    if scored:
        return _('"Recompute scores" scores the segments as they are now, e.g. after editing them in Segment '
                 'Editor; no model runs.')
    return _('"Score existing segmentation" scores the selected segmentation by its segment names; no model '
             'runs.')


def showResultsTable(view, table) -> None:
    """The per-side table, its columns as wide as their texts so it fits the panel (about 400 px)."""
    view.setMRMLTableNode(table)
    if hasattr(view, "resizeColumnsToContents"):
        view.resizeColumnsToContents()


def selectOutputsOf(p) -> None:
    """A new input volume: outputs left empty or holding results of another volume become this volume's
    (or none); outputs the user chose for no volume in particular stay."""
    from axspa.slicer.outputs import find_output, linked_input
    from HipInflammationLib.logic import OUTPUT_PARAMETERS

    for name, className, kind in OUTPUT_PARAMETERS:
        node = getattr(p, name)
        if node is None or linked_input(node) not in (None, p.inputVolume):
            setattr(p, name, find_output(p.inputVolume, className, kind))


def askAboutEditedSegments(slicer, segmentation, edited) -> str:
    """"keep" or "new": what the model does with the segments the user ``edited`` in ``segmentation``
    ("keep" when there are none); raises CancelledError when the user cancels."""
    from axspa.jobs import CancelledError

    if not edited:
        return "keep"
    import qt

    box = qt.QMessageBox(slicer.util.mainWindow())
    box.setWindowTitle(_("Hip Inflammation"))
    box.setText(_("These segments of '{name}' were edited or drawn by you: {segments}.").format(
        name=segmentation.GetName(), segments=", ".join(edited)))
    box.setInformativeText(_("Keep them (the model writes only the other segments), or write the model's "
                             "segmentation into a new node and leave this one as it is?"))
    keep = box.addButton(_("Keep my edits"), qt.QMessageBox.AcceptRole)
    new = box.addButton(_("New segmentation"), qt.QMessageBox.ActionRole)
    box.addButton(qt.QMessageBox.Cancel)
    box.exec_()
    if box.clickedButton() == keep:
        return "keep"
    if box.clickedButton() == new:
        return "new"
    raise CancelledError("edited segments")
