"""The AxSpA Scoring panel's sacroiliac workflow (SijPanel): both joints of the AP pelvic radiograph graded, the
heat map in colour over the radiograph (opacity, show/hide), the joints as points the user moves and re-grades at."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow


class SijPanel(Workflow):
    """Grading both sacroiliac joints with the model, and showing what it found."""

    def connect(self) -> None:
        self.ui.sijApplyButton.connect("clicked(bool)", self.onSijApplyButton)
        self.ui.sijRegradeButton.connect("clicked(bool)", self.onSijRegradeButton)
        self.ui.heatmapOpacitySliderWidget.connect("valueChanged(double)", self.onHeatmapDisplayChanged)
        self.ui.showHeatmapCheckBox.connect("toggled(bool)", self.onHeatmapDisplayChanged)

    def onSijApplyButton(self) -> None:
        """Grade both sacroiliac joints of the pelvic radiograph where the model finds them."""
        self._grade(atPoints=False)

    def onSijRegradeButton(self) -> None:
        """Grade both joints again where the user put the "right SIJ" and "left SIJ" points."""
        self._grade(atPoints=True)

    def onHeatmapDisplayChanged(self, *unused) -> None:
        """The opacity slider or the show box changed: the slice views follow."""
        p = self.parameters
        if p and p.heatmapVolume:
            self.logic.showHeatmapLayers(p.heatmapVolume, self.ui.heatmapOpacitySliderWidget.value,
                                         bool(self.ui.showHeatmapCheckBox.checked))

    def _grade(self, atPoints: bool) -> None:
        p, logic, runner = self.parameters, self.logic, self.job

        def job():  # questions (installs, a bundle's own code) first, then the wait cursor
            logic.ensureModelDependencies(logic.SIJ_BUNDLES)
            model = logic.loadSijModel()
            with runner.computing():
                # The radiograph's own heat map and points are found again (another film's are left alone).
                if atPoints:
                    return logic.regradePelvisAtPoints(p.pelvisVolume, model=model, progress=runner.progress,
                                                       cancel=runner.cancel)
                return logic.scorePelvis(p.pelvisVolume, model=model, progress=runner.progress, cancel=runner.cancel)

        result = runner.run(job)
        if result is None:
            return
        doc, p.heatmapVolume = result
        if p.heatmapVolume:
            if not atPoints:  # the radiograph behind, fitted; a re-grade leaves the views where the user is
                slicer.util.setSliceViewerLayers(background=p.pelvisVolume, fit=True)
            logic.showHeatmapLayers(p.heatmapVolume, self.ui.heatmapOpacitySliderWidget.value,
                                    bool(self.ui.showHeatmapCheckBox.checked), background=p.pelvisVolume)
        self.showSijDocument(doc)
        self.widget._checkCanApply()  # the joint points are there now: "Re-grade at points" can run
        self.setStatus(_("Graded at your points.") if atPoints else _("Graded."))

    def showSijDocument(self, doc: dict) -> None:
        """Grades with every grade's probability, the definite verdict with both of its probabilities, the operating
        points (when the model has them) and the warnings."""
        from axspa.sij.texts import sij_summary

        texts = sij_summary(doc)
        for side in ("right", "left"):
            label = getattr(self.ui, side + "GradeLabel")
            label.text = texts[side]
            label.toolTip = texts[side + "_probabilities"]
            getattr(self.ui, side + "ProbabilitiesLabel").text = texts[side + "_probabilities"]
        self.ui.definiteLabel.text = texts["definite"]
        self.ui.operatingPointsLabel.text = texts["operating_points"] or _("not given by this model")
        self.ui.sijWarningsLabel.text = "\n".join(doc.get("warnings") or []) or _("none")
