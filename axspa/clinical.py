"""Clinical indices that go with the imaging scores (docs/scoring.md): ASDAS-CRP, ASDAS-ESR
(Lukas et al. 2009, ASAS handbook), their disease-activity states, BASDAI, BASFI and the high-risk flags
of the pelvic-radiograph study (BASFI >= 3.6, BASDAI >= 2.1).

Patient-reported items are 0-10 numerical rating scales (or 0-10 cm VAS).
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence, Union

# ASDAS-CRP uses 2 mg/L for any lower CRP (ASAS recommendation: low values of high-sensitivity CRP
# would otherwise lower the score below what the disease warrants).
CRP_FLOOR_MG_L = 2.0
ASDAS_INACTIVE_BELOW = 1.3
ASDAS_LOW_BELOW = 2.1
ASDAS_HIGH_UP_TO = 3.5
BASFI_HIGH = 3.6
BASDAI_HIGH = 2.1
# Change cut-offs (Machado et al. 2011): improvement >= 1.1 clinically important, >= 2.0 major.
ASDAS_CLINICALLY_IMPORTANT = 1.1
ASDAS_MAJOR = 2.0


def _nrs(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 <= value <= 10):
        raise ValueError(f"{name} = {value!r} is not on the 0-10 scale")
    return float(value)


def _lab(name: str, value: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 <= value < math.inf):
        raise ValueError(f"{name} = {value!r} {unit} must be a number >= 0")
    return float(value)


def asdas_crp(back_pain: float, patient_global: float, peripheral: float, stiffness_duration: float,
              crp_mg_l: float) -> float:
    """ASDAS-CRP = 0.121 back pain + 0.110 patient global + 0.073 peripheral pain/swelling
    + 0.058 morning stiffness duration + 0.579 ln(CRP + 1); CRP in mg/L, below 2 taken as 2."""
    crp = max(_lab("CRP", crp_mg_l, "mg/L"), CRP_FLOOR_MG_L)
    return (0.121 * _nrs("back pain", back_pain) + 0.110 * _nrs("patient global", patient_global)
            + 0.073 * _nrs("peripheral pain/swelling", peripheral)
            + 0.058 * _nrs("morning stiffness duration", stiffness_duration)
            + 0.579 * math.log(crp + 1.0))


def asdas_esr(back_pain: float, patient_global: float, peripheral: float, stiffness_duration: float,
              esr_mm_h: float) -> float:
    """ASDAS-ESR = 0.079 back pain + 0.113 patient global + 0.086 peripheral pain/swelling
    + 0.069 morning stiffness duration + 0.293 sqrt(ESR); ESR in mm/h."""
    esr = _lab("ESR", esr_mm_h, "mm/h")
    return (0.079 * _nrs("back pain", back_pain) + 0.113 * _nrs("patient global", patient_global)
            + 0.086 * _nrs("peripheral pain/swelling", peripheral)
            + 0.069 * _nrs("morning stiffness duration", stiffness_duration)
            + 0.293 * math.sqrt(esr))


def asdas_category(score: float) -> str:
    """Disease-activity state: 'inactive' < 1.3 <= 'low' < 2.1 <= 'high' <= 3.5 < 'very high'."""
    s = _lab("ASDAS", score, "")
    if s < ASDAS_INACTIVE_BELOW:
        return "inactive"
    if s < ASDAS_LOW_BELOW:
        return "low"
    if s <= ASDAS_HIGH_UP_TO:
        return "high"
    return "very high"


def asdas_improvement(before: float, after: float) -> str:
    """Response between two visits: 'major' (decrease >= 2.0), 'clinically important' (>= 1.1) or 'none'.
    The comparison allows 1e-9 for floating-point error, since ASDAS values are sums of products."""
    drop = _lab("ASDAS", before, "") - _lab("ASDAS", after, "")
    if drop >= ASDAS_MAJOR - 1e-9:
        return "major"
    if drop >= ASDAS_CLINICALLY_IMPORTANT - 1e-9:
        return "clinically important"
    return "none"


def basdai(*answers: Union[float, Sequence[float]]) -> float:
    """BASDAI = (Q1 + Q2 + Q3 + Q4 + (Q5 + Q6) / 2) / 5, from six 0-10 answers given either as six
    arguments or as one sequence."""
    one_sequence = len(answers) == 1 and not isinstance(answers[0], numbers.Real)
    items = list(answers[0]) if one_sequence else list(answers)
    if len(items) != 6:
        raise ValueError(f"BASDAI needs 6 answers (Q1-Q6), got {len(items)}")
    q = [_nrs(f"BASDAI Q{i + 1}", v) for i, v in enumerate(items)]
    return (q[0] + q[1] + q[2] + q[3] + (q[4] + q[5]) / 2.0) / 5.0


def basfi(items: Sequence[float]) -> float:
    """BASFI = mean of its 10 items (0-10 each)."""
    values = list(items)
    if len(values) != 10:
        raise ValueError(f"BASFI needs exactly 10 items, got {len(values)}")
    return sum(_nrs(f"BASFI item {i + 1}", v) for i, v in enumerate(values)) / 10.0


def risk_flags(basfi: float | None = None, basdai: float | None = None) -> dict[str, bool | None]:
    """High-risk flags of the pelvic-radiograph AS study: BASFI >= 3.6 and BASDAI >= 2.1
    (None where the index was not given)."""
    return {
        "basfi_high": None if basfi is None else _nrs("BASFI", basfi) >= BASFI_HIGH,
        "basdai_high": None if basdai is None else _nrs("BASDAI", basdai) >= BASDAI_HIGH,
    }
