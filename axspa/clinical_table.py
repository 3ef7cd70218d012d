"""A table of visits scored with the clinical indices (``axspa clinical VISITS.csv``): per row ASDAS-CRP and
ASDAS-ESR with their states, BASDAI, BASFI and the high-risk flags, from whatever the row holds.

Columns (names case-insensitive; any may be absent or empty): ``patient``, ``visit_date``, ``basdai_q1`` ...
``basdai_q6``, ``basfi_1`` ... ``basfi_10``, ``crp`` (mg/L), ``esr`` (mm/h), ``back_pain``, ``patient_global``,
``peripheral`` (pain/swelling), ``stiffness`` (morning stiffness duration, 0-10). ASDAS takes back pain,
peripheral pain/swelling and stiffness duration from BASDAI questions 2, 3 and 6 when their own columns are
empty, as the ASAS handbook defines them. An index whose items are incomplete is left empty, saying why.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Optional

from axspa import clinical
from axspa.image import InputError
from axspa.results import PathLike

BASDAI_ITEMS = [f"basdai_q{i}" for i in range(1, 7)]
BASFI_ITEMS = [f"basfi_{i}" for i in range(1, 11)]
# The ASDAS items and the BASDAI question that asks the same (ASAS handbook).
ASDAS_ITEMS = {"back_pain": "basdai_q2", "patient_global": None, "peripheral": "basdai_q3",
               "stiffness": "basdai_q6"}
OUTPUT_COLUMNS = ["patient", "visit_date", "asdas_crp", "asdas_crp_state", "asdas_esr", "asdas_esr_state",
                  "basdai", "basfi", "basdai_high", "basfi_high", "asdas_crp_change", "notes"]


def read_visits(path: PathLike) -> list[dict[str, Any]]:
    """The rows of a visits table with the indices computed; InputError naming the file, line and column
    of a value that is not a number or off its scale."""
    from axspa.io.table import read_table

    rows = [visit_indices(row, f"{path}, line {line}") for line, row in read_table(path, "visits table")]
    if not rows:
        raise InputError(f"{path}: no visits")
    _changes(rows)
    return rows


def visit_indices(row: dict[str, str], where: str = "") -> dict[str, Any]:
    """One visit's indices from its columns (see the module docstring)."""
    values = {name: _number(row, name, where) for name in row}
    for name in BASDAI_ITEMS + BASFI_ITEMS + list(ASDAS_ITEMS):
        if values.get(name) is not None and not 0 <= values[name] <= 10:
            raise InputError(f"{where}: {name} = {values[name]:g} is not on the 0-10 scale")
    notes: list[str] = []
    out: dict[str, Any] = {"patient": row.get("patient", ""), "visit_date": row.get("visit_date", "")}
    try:
        out["basdai"] = _complete(values, BASDAI_ITEMS, "BASDAI", notes, clinical.basdai)
        out["basfi"] = _complete(values, BASFI_ITEMS, "BASFI", notes, clinical.basfi)
        asdas = [values.get(item) if values.get(item) is not None else values.get(basdai or "")
                 for item, basdai in ASDAS_ITEMS.items()]
        for lab, formula in (("crp", clinical.asdas_crp), ("esr", clinical.asdas_esr)):
            if None in asdas or values.get(lab) is None:
                missing = [n for n, v in zip(list(ASDAS_ITEMS) + [lab], asdas + [values.get(lab)]) if v is None]
                notes.append(f"ASDAS-{lab.upper()}: no {', '.join(missing)}")
                out[f"asdas_{lab}"] = out[f"asdas_{lab}_state"] = None
                continue
            score = formula(*asdas, values[lab])
            out[f"asdas_{lab}"], out[f"asdas_{lab}_state"] = round(score, 2), clinical.asdas_category(score)
        out.update(clinical.risk_flags(basfi=out["basfi"], basdai=out["basdai"]))
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    out["notes"] = "; ".join(notes)
    return out


def _complete(values: dict, items: list[str], name: str, notes: list[str], formula) -> Optional[float]:
    given = [values.get(item) for item in items]
    if all(v is None for v in given):
        return None
    if None in given:
        notes.append(f"{name}: no {', '.join(i for i, v in zip(items, given) if v is None)}")
        return None
    return round(formula(given), 2)


def _number(row: dict[str, str], name: str, where: str) -> Optional[float]:
    text = row.get(name, "")
    if name in ("patient", "visit_date") or text == "":
        return None
    try:
        return float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        raise InputError(f"{where}: {name} = {text!r} is not a number") from None


def _changes(rows: list[dict[str, Any]]) -> None:
    """ASDAS-CRP change from the patient's previous visit (by date) as its ASAS category."""
    previous: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["patient"], r["visit_date"])):
        before = previous.get(row["patient"])
        row["asdas_crp_change"] = None
        if row["patient"] and before and before["asdas_crp"] is not None and row["asdas_crp"] is not None:
            row["asdas_crp_change"] = clinical.asdas_improvement(before["asdas_crp"], row["asdas_crp"])
        previous[row["patient"]] = row


def visits_csv(rows: list[dict[str, Any]]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, OUTPUT_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in OUTPUT_COLUMNS})
    return text.getvalue()


def write_visits(rows: list[dict[str, Any]], out: PathLike, overwrite: bool = False) -> list[str]:
    """``clinical.csv`` and ``clinical.json`` (``axspa.clinical/1``: ``visits``, the rows) in ``out``; returns
    what it says of files kept because they differ (a user's edit) and ``overwrite`` was not given."""
    import json

    from axspa.results import kept_message, write_text_safely

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    document = json.dumps({"schema": "axspa.clinical/1", "visits": rows}, indent=1) + "\n"
    kept = []
    for name, text in (("clinical.csv", visits_csv(rows)), ("clinical.json", document)):
        if not write_text_safely(out / name, text, overwrite):
            kept.append(kept_message(out / name))
    return kept


def visits_text(rows: list[dict[str, Any]]) -> str:
    """The table for the terminal."""
    def show(value: Any) -> str:
        return "-" if value is None else ("yes" if value is True else "no" if value is False else str(value))

    lines = ["patient    visit       ASDAS-CRP          ASDAS-ESR          BASDAI  BASFI  high BASDAI/BASFI"]
    for r in rows:
        crp = f"{show(r['asdas_crp'])} {r['asdas_crp_state'] or ''}".strip()
        esr = f"{show(r['asdas_esr'])} {r['asdas_esr_state'] or ''}".strip()
        lines.append(f"{r['patient'] or '-':10s} {r['visit_date'] or '-':11s} {crp:18s} {esr:18s} "
                     f"{show(r['basdai']):7s} {show(r['basfi']):6s} {show(r['basdai_high'])}/{show(r['basfi_high'])}")
    return "\n".join(lines)
