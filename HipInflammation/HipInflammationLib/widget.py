"""The Hip Inflammation widget's life cycle that is the same for every scripted module (WidgetLifecycle: enter,
exit, scene close, reload, cleanup, the first volume as input)."""

import slicer
import vtk


class WidgetLifecycle:
    """Mixed into HipInflammationWidget before ScriptedLoadableModuleWidget; uses its logic, _parameterNode,
    _parameterNodeGuiTag, setParameterNode and _checkCanApply."""

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()

    def onReload(self) -> None:
        """Reload re-reads HipInflammationLib and the axspa engine too (Slicer's re-runs only the module file)."""
        from axspa.slicer.reload import forget_modules

        forget_modules(("HipInflammationLib", "axspa"))
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
