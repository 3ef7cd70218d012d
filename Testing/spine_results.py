"""Test helpers: spine results and reading tables written by hand, and a small longitudinal cohort."""

from __future__ import annotations

import json
from typing import Optional

from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES


def spine_json(path, region: str, grades: dict[str, Optional[int]]) -> str:
    sites = {"cervical": CERVICAL_SITES, "lumbar": LUMBAR_SITES}[region]
    doc = {"schema": "axspa.spine/1", "region": region, "input": {"path": "", "sha256": "", "rows": 100,
                                                                  "columns": 100, "pixel_spacing_mm": None},
           "sites": [{"id": s, "point": [10 + i, 5 + 7 * i], "grade": grades.get(s, 0)} for i, s in enumerate(sites)],
           "score": {"raw": 0, "imputed": 0.0, "imputed_sites": [], "missing": False}, "warnings": []}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path.name


def table(path, grades: dict[str, Optional[int]]) -> str:
    path.write_text("site,grade\n" + "".join(f"{s},{'' if g is None else g}\n" for s, g in grades.items()))
    return path.name


def cohort(tmp_path):
    # P1: baseline all 0; two years later C5i syndesmophyte (2) and a bridge at L2/3 (L2i, L3s = 3): +8.
    base = spine_json(tmp_path / "p1_v1_c.spine.json", "cervical", {})
    base_l = spine_json(tmp_path / "p1_v1_l.spine.json", "lumbar", {})
    fu = spine_json(tmp_path / "p1_v2_c.spine.json", "cervical", {"C5i": 2})
    fu_l = spine_json(tmp_path / "p1_v2_l.spine.json", "lumbar", {"L2i": 3, "L3s": 3})
    # P2 as reading tables: total 4 at baseline, 5 one year later (+1 in 1 y = +2 per 2 y: a progressor).
    all_sites = list(CERVICAL_SITES) + list(LUMBAR_SITES)
    t1 = table(tmp_path / "p2_v1.csv", {s: (1 if s in ("C2i", "C3s", "L1s", "L1i") else 0) for s in all_sites})
    t2 = table(tmp_path / "p2_v2.csv", {s: (1 if s in ("C2i", "C3s", "L1s", "L1i", "L4s") else 0)
                                         for s in all_sites})
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("patient,visit_date,result\n"
                        f"P1,2020-01-15,{base}\nP1,2020-01-15,{base_l}\nP1,2022-01-15,{fu}\nP1,2022-01-15,{fu_l}\n"
                        f"P2,2021-03-01,{t1}\nP2,2022-03-01,{t2}\n", encoding="utf-8")
    return manifest
