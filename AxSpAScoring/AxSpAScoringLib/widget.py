"""The AxSpA Scoring widget's life cycle that is the same for every scripted module (WidgetLifecycle: enter,
scene close, reload, cleanup, the first volume as input) and the panel's parts made on the widget
(makeWorkflows: live totals, "Selected site" box, place mode and one object per workflow, buttons connected)."""

from typing import Callable

import slicer
import vtk


class WidgetLifecycle:
    """Mixed into AxSpAScoringWidget before ScriptedLoadableModuleWidget; uses its logic, _parameterNode,
    setParameterNode and the _live and _placement helpers."""

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()
        if self._live:
            self._live.watch(None)
        if self._placement:
            self._placement.stop()

    def onReload(self) -> None:
        """Reload re-reads AxSpAScoringLib and the axspa engine too (Slicer's re-runs only the module file)."""
        from axspa.slicer.reload import forget_modules

        forget_modules(("AxSpAScoringLib", "axspa"))
        super().onReload()

    def enter(self) -> None:
        """Called each time the user opens this module."""
        self.initializeParameterNode()

    def exit(self) -> None:
        """Called each time the user opens a different module: the GUI no longer follows the parameter node."""
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)

    def onSceneStartClose(self, caller, event) -> None:
        """Called just before the scene is closed."""
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        """Called just after the scene is closed."""
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        """Ensure parameter node exists and observed; the first volume is the input when none is chosen."""
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            firstVolumeNode = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if firstVolumeNode:
                self._parameterNode.inputVolume = firstVolumeNode


def makeWorkflows(widget, defer: Callable[[Callable], None]) -> None:
    """The workflows of the panel on ``widget`` (spinePanel, readingPanel, sijPanel, comparePanel, clinicalPanel,
    their buttons connected), the live totals (_live), the "Selected site" box (_siteEditor) and place mode over the
    reading's point lists (_placement); ``defer`` runs a function once Qt is back in its loop."""
    from AxSpAScoringLib.clinical_panel import ClinicalPanel
    from AxSpAScoringLib.compare_panel import ComparePanel
    from AxSpAScoringLib.panel import LiveScore, Placement, SiteEditor
    from AxSpAScoringLib.reading_panel import ReadingPanel, placingText
    from AxSpAScoringLib.sij_panel import SijPanel
    from AxSpAScoringLib.spine_panel import SpinePanel

    widget.spinePanel, widget.readingPanel = SpinePanel(widget), ReadingPanel(widget)
    widget.sijPanel, widget.comparePanel = SijPanel(widget), ComparePanel(widget)
    widget.clinicalPanel = ClinicalPanel(widget)
    for workflow in (widget.spinePanel, widget.readingPanel, widget.sijPanel, widget.comparePanel,
                     widget.clinicalPanel):
        workflow.connect()
    status = widget.spinePanel.setStatus
    widget._live = LiveScore(widget.logic.rescoreFromTable, widget.spinePanel.showScore, status, defer=defer,
                             paused=lambda: widget._job.running)
    widget._siteEditor = SiteEditor(widget.ui, lambda: widget._parameterNode.findingThreshold)
    widget._placement = Placement(slicer, lambda: widget._parameterNode, defer, lambda site: status(placingText(site)))
    widget._placement.observe(slicer.mrmlScene)  # and again after a scene is loaded
