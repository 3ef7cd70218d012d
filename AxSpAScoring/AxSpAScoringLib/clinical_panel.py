"""The AxSpA Scoring panel's "Clinical indices" section (ClinicalPanel): BASDAI Q1-Q6, BASFI items 1-10, CRP,
ESR, back pain, patient global and peripheral pain/swelling (spin boxes bound to the parameter node; their lowest
value, -1, reads "not answered" or "not measured"), and "Compute indices": ASDAS-CRP/ESR with their categories,
BASDAI, BASFI and the high-risk flags in the panel and in the "Clinical indices" table of the radiograph."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow

NOT_GIVEN = -1.0  # a spin box at its lowest value: "not answered" / "not measured"
# The parameter of each value (axspa.clinical_panel's names).
PARAMETERS = {
    **{f"basdai_q{i}": f"clinicalBasdaiQ{i}" for i in range(1, 7)},
    **{f"basfi_{i}": f"clinicalBasfi{i}" for i in range(1, 11)},
    "crp": "clinicalCrp", "esr": "clinicalEsr", "back_pain": "clinicalBackPain",
    "patient_global": "clinicalPatientGlobal", "peripheral": "clinicalPeripheral",
}


def enteredValues(parameters) -> dict:
    """The values of the parameter node as axspa.clinical_panel takes them (None where not given)."""
    values = {}
    for name, parameter in PARAMETERS.items():
        value = getattr(parameters, parameter)
        values[name] = None if value is None or value <= NOT_GIVEN else float(value)
    return values


class ClinicalPanel(Workflow):
    """The visit's clinical indices from the values entered."""

    def connect(self) -> None:
        self.ui.clinicalComputeButton.connect("clicked(bool)", self.onClinicalComputeButton)

    def onClinicalComputeButton(self) -> None:
        """Compute the indices the values entered allow; say why the others cannot be computed."""
        p = self.parameters
        with slicer.util.tryWithErrorDisplay(_("Failed to compute the clinical indices."), waitCursor=True):
            # With a radiograph the table is its own (found through its link); without one, the last one made.
            result = self.logic.computeClinicalIndices(enteredValues(p), p.inputVolume,
                                                       None if p.inputVolume else p.clinicalTable)
            p.clinicalTable = result["table"]
            self.ui.clinicalResultsLabel.text = result["text"]
            self.setStatus(_("Clinical indices computed (table '{name}'); Export saves them as clinical.csv and "
                             "clinical.json.").format(name=result["table"].GetName()))
