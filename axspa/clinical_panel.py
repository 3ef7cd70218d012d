"""The clinical indices of one visit as a panel enters them (AxSpA Scoring's "Clinical indices" section): the
values typed in (``panel_indices``) give the visit's document, the text the panel shows, the rows of its
"Clinical indices" table and ``clinical.csv`` / ``clinical.json`` beside the saved results.

The numbers come from the same code as ``axspa clinical VISITS.csv`` (axspa.clinical_table.visit_indices, on
the formulas of axspa.clinical), so a visit typed into the panel and the same visit as a table row give the same
indices. The values are keyed by that table's column names (``basdai_q1`` ... ``basdai_q6``, ``basfi_1`` ...
``basfi_10``, ``crp`` in mg/L, ``esr`` in mm/h, ``back_pain``, ``patient_global``, ``peripheral``,
``stiffness``; ``patient`` and ``visit_date`` as text); None or an absent key is a value not given (not
answered, not measured). ASDAS takes back pain, peripheral pain/swelling and morning stiffness duration from
BASDAI questions 2, 3 and 6 when they are not given themselves, as the ASAS handbook defines them. An index
whose items are not all given is not computed, and the document says which items it lacks.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping, Optional

from axspa import clinical
from axspa.clinical_table import ASDAS_ITEMS, BASDAI_ITEMS, BASFI_ITEMS, visit_indices, write_visits
from axspa.image import InputError
from axspa.results import PathLike

LABS = {"crp": "CRP", "esr": "ESR"}
INPUTS = BASDAI_ITEMS + BASFI_ITEMS + list(LABS) + list(ASDAS_ITEMS)
TEXT_INPUTS = ("patient", "visit_date")
# What the panel calls each value (BASDAI questions as the questionnaire asks them).
LABELS = {
    "basdai_q1": "BASDAI Q1 (fatigue)", "basdai_q2": "BASDAI Q2 (spinal pain)",
    "basdai_q3": "BASDAI Q3 (peripheral joint pain/swelling)", "basdai_q4": "BASDAI Q4 (enthesitis/tenderness)",
    "basdai_q5": "BASDAI Q5 (morning stiffness severity)", "basdai_q6": "BASDAI Q6 (morning stiffness duration)",
    **{f"basfi_{i}": f"BASFI item {i}" for i in range(1, 11)},
    "crp": "CRP (mg/L)", "esr": "ESR (mm/h)", "back_pain": "back pain", "patient_global": "patient global",
    "peripheral": "peripheral pain/swelling", "stiffness": "morning stiffness duration",
}
INDEX_NAMES = {"asdas_crp": "ASDAS-CRP", "asdas_esr": "ASDAS-ESR", "basdai": "BASDAI", "basfi": "BASFI"}
FLAG_NAMES = {"basdai_high": f"BASDAI >= {clinical.BASDAI_HIGH:g}", "basfi_high": f"BASFI >= {clinical.BASFI_HIGH:g}"}
TABLE_COLUMNS = ["index", "value", "category", "note"]
TABLE_DESCRIPTIONS = {
    "index": "clinical index (ASDAS-CRP, ASDAS-ESR, BASDAI, BASFI) or high-risk flag",
    "value": "the index (2 decimals), or yes/no for a flag; empty when it could not be computed",
    "category": "ASDAS disease activity: inactive < 1.3 <= low < 2.1 <= high <= 3.5 < very high",
    "note": "why the index could not be computed (the items not given)",
}


def panel_indices(values: Mapping[str, Any]) -> tuple[dict, str]:
    """The visit's document (clinical_indices) and the text the panel shows (indices_text)."""
    document = clinical_indices(values)
    return document, indices_text(document)


def clinical_indices(values: Mapping[str, Any]) -> dict:
    """The indices of one visit from the values entered (see the module docstring): the row ``axspa clinical``
    writes for it (patient, visit_date, asdas_crp, asdas_crp_state, asdas_esr, asdas_esr_state, basdai, basfi,
    basdai_high, basfi_high, notes) plus "inputs" (every value, None where not given) and "not_computed"
    ({index: why} for each index or flag left empty). InputError names a value off its scale or not a number."""
    unknown = sorted(set(values) - set(INPUTS) - set(TEXT_INPUTS))
    if unknown:
        raise InputError(f"clinical indices: unknown value(s) {', '.join(unknown)}")
    inputs = {name: _given(name, values.get(name)) for name in INPUTS}
    row = {name: "" if value is None else repr(value) for name, value in inputs.items()}
    row.update({name: str(values.get(name) or "") for name in TEXT_INPUTS})
    document = visit_indices(row, "clinical indices")  # InputError for a value off its scale
    reasons = _reasons(inputs, document)
    document["notes"] = "; ".join(f"{INDEX_NAMES.get(k) or FLAG_NAMES[k]}: {why}" for k, why in reasons.items())
    document["inputs"] = inputs
    document["not_computed"] = reasons
    return document


def _given(name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"clinical indices: {LABELS[name]} = {value!r} is not a number")
    if name in LABS and not 0 <= value < math.inf:  # checked even when ASDAS lacks other items
        raise InputError(f"clinical indices: {LABELS[name]} = {value:g} must be a number >= 0")
    return float(value)


def _missing(inputs: Mapping[str, Optional[float]], items) -> list[str]:
    return [LABELS[item] for item in items if inputs[item] is None]


def _reasons(inputs: Mapping[str, Optional[float]], document: Mapping[str, Any]) -> dict[str, str]:
    """{index or flag: why it is empty} for those the document leaves empty."""
    reasons = {}
    for lab, name in LABS.items():
        if document[f"asdas_{lab}"] is None:
            lacking = []
            for item, basdai in ASDAS_ITEMS.items():
                if inputs[item] is None and (basdai is None or inputs[basdai] is None):
                    lacking.append(LABELS[item] + (f" (nor {LABELS[basdai].split(' (')[0]})" if basdai else ""))
            if inputs[lab] is None:
                lacking.append(f"{name} (not measured)")
            reasons[f"asdas_{lab}"] = "no " + ", ".join(lacking)
    for index, items in (("basdai", BASDAI_ITEMS), ("basfi", BASFI_ITEMS)):
        if document[index] is None:
            reasons[index] = "not answered: " + _short(_missing(inputs, items), len(items))
    for flag, index in (("basdai_high", "basdai"), ("basfi_high", "basfi")):
        if document[flag] is None:
            reasons[flag] = f"no {INDEX_NAMES[index]}"
    return reasons


def _short(labels: list[str], of: int) -> str:
    if len(labels) == of:
        return "all " + ("6 questions" if of == 6 else "10 items")
    return ", ".join(labels)


def indices_text(document: Mapping[str, Any]) -> str:
    """The panel's lines: each index with its category or why it is not computed, then the two flags."""
    lines = []
    reasons = document.get("not_computed") or {}
    for key, name in INDEX_NAMES.items():
        value = document.get(key)
        if value is None:
            lines.append(f"{name}: not computed ({reasons.get(key, 'items missing')})")
        elif key.startswith("asdas"):
            lines.append(f"{name}: {value:.2f}, {document[key + '_state']} disease activity")
        else:
            lines.append(f"{name}: {value:.2f}")
    for key, name in FLAG_NAMES.items():
        lines.append(f"{name} (high risk): {_yes_no(document.get(key), reasons.get(key))}")
    return "\n".join(lines)


def _yes_no(flag: Optional[bool], why: Optional[str] = None) -> str:
    if flag is None:
        return f"not known ({why})" if why else "not known"
    return "yes" if flag else "no"


def indices_rows(document: Mapping[str, Any]) -> list[list[str]]:
    """The rows of the "Clinical indices" table (TABLE_COLUMNS), every cell text."""
    reasons = document.get("not_computed") or {}
    rows = []
    for key, name in INDEX_NAMES.items():
        value = document.get(key)
        category = document.get(key + "_state") if key.startswith("asdas") else None
        rows.append([name, "" if value is None else f"{value:.2f}", category or "", reasons.get(key, "")])
    for key, name in FLAG_NAMES.items():
        flag = document.get(key)
        rows.append([name, "" if flag is None else _yes_no(flag), "", reasons.get(key, "")])
    return rows


def write_clinical(document: Mapping[str, Any], out: PathLike, overwrite: bool = False) -> list[str]:
    """``clinical.csv`` and ``clinical.json`` in ``out``, as ``axspa clinical --out`` writes them, with this one
    visit (the JSON row also holds "inputs" and "not_computed"); returns what it says of files kept because
    they differ (a user's edit) and ``overwrite`` was not given."""
    return write_visits([dict(document)], out, overwrite)
