"""The AxSpA Scoring panel's sacroiliac workflow (SijPanel): both joints of the AP pelvic radiograph graded."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow


class SijPanel(Workflow):
    """Grading both sacroiliac joints with the model."""

    def connect(self) -> None:
        self.ui.sijApplyButton.connect("clicked(bool)", self.onSijApplyButton)

    def onSijApplyButton(self) -> None:
        """Grade both sacroiliac joints of the pelvic radiograph."""
        p, logic, runner = self.parameters, self.logic, self.job

        def job():  # questions (installs, a bundle's own code) first, then the wait cursor
            logic.ensureModelDependencies(logic.SIJ_BUNDLES)
            model = logic.loadSijModel()
            with runner.computing():
                return logic.scorePelvis(p.pelvisVolume, heatmapVolume=p.heatmapVolume, model=model,
                                         progress=runner.progress, cancel=runner.cancel)

        result = runner.run(job)
        if result is None:
            return
        doc, p.heatmapVolume = result
        if p.heatmapVolume:
            slicer.util.setSliceViewerLayers(background=p.pelvisVolume, foreground=p.heatmapVolume,
                                             foregroundOpacity=0.4, fit=True)
        from axspa.sij.texts import sij_summary

        texts = sij_summary(doc)
        self.ui.rightGradeLabel.text = texts["right"]
        self.ui.leftGradeLabel.text = texts["left"]
        self.ui.definiteLabel.text = texts["definite"]
        self.ui.sijWarningsLabel.text = "\n".join(doc.get("warnings") or []) or _("none")
        self.setStatus(_("Graded."))
