"""Reader agreement on mSASSS readings: per-site exact agreement, confusion matrices and weighted kappas
(two readers), and agreement on the totals (engine rules, imputation included) for k >= 2 readers:
ICC(2,1)/(3,1)/(1,1), Bland–Altman and the smallest detectable change; and the comparison of one result
with one reader's grades (the AxSpA Scoring module's "Compare with reader").

A reader table has one row per (study, site): columns ``study``, ``site``, ``grade`` (0-3, empty =
unscorable). Per-site statistics compare reader 1 with reader 2 (the first two tables given), on the
studies where both scored the site; totals use every reader.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from axspa.evaluation import stats
from axspa.image import InputError
from axspa.results import PathLike
from axspa.spine.readings import parse_grade
from axspa.spine.rules import total_score
from axspa.spine.sites import ALL_SITES, canonical_site

GRADES = (0, 1, 2, 3)


@dataclass
class ReaderTable:
    """One reader's grades: study id -> site id -> grade (None = unscorable)."""

    name: str
    path: str
    studies: dict[str, dict[str, int | None]] = field(default_factory=dict)


def read_reader_table(path: PathLike, name: str | None = None) -> ReaderTable:
    """Parse a ``study,site,grade`` table (UTF-8 with or without BOM, ``,`` or ``;``); InputError naming the
    file and line for a missing column, unknown site, bad grade or a (study, site) given twice."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 CSV ({exc})") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: empty table; expected columns study, site, grade")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in ("study", "site", "grade") if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; a reader table has columns "
                         f"study, site, grade")
    col = {c: header.index(c) for c in ("study", "site", "grade")}
    table = ReaderTable(name or path.stem, str(path))
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [(row[col[c]] if col[c] < len(row) else "").strip() for c in ("study", "site", "grade")]
        study, site_text, grade_text = cells
        if not study:
            raise InputError(f"{path}, line {line}: empty study id")
        site = canonical_site(site_text)
        if site is None:
            raise InputError(f"{path}, line {line}: unknown site id {site_text!r}; expected one of "
                             f"{', '.join(ALL_SITES)}")
        grades = table.studies.setdefault(study, {})
        if site in grades:
            raise InputError(f"{path}, line {line}: study {study!r} site {site} is given twice")
        grades[site] = parse_grade(path, line, grade_text)
    if not table.studies:
        raise InputError(f"{path}: no readings")
    return table


def check_same_studies(tables: Sequence[ReaderTable]) -> list[str]:
    """The studies every reader read, in the first table's order; InputError naming the file that lacks
    a study another reader read (a study read by one reader only cannot be compared)."""
    all_studies: dict[str, str] = {}
    for t in tables:
        for s in t.studies:
            all_studies.setdefault(s, t.path)
    for t in tables:
        lacking = [s for s in all_studies if s not in t.studies]
        if lacking:
            shown = ", ".join(lacking[:5]) + (" …" if len(lacking) > 5 else "")
            raise InputError(f"{t.path}: has no reading of {len(lacking)} study(ies) that another reader read "
                             f"({shown}, first seen in {all_studies[lacking[0]]}); every study must be read by "
                             f"every reader")
    return list(all_studies)


def site_agreement(a: ReaderTable, b: ReaderTable, studies: Sequence[str], n_boot: int = 2000,
                   seed: int = 0) -> dict:
    """Per site (and pooled over all sites): n pairs, exact agreement, 4×4 confusion matrix (rows reader a,
    columns reader b, grades 0-3), unweighted/linear/quadratic kappa with seeded bootstrap 95% CIs.
    A pair counts when both readers graded the site; pairs where one or both called it unscorable are
    counted separately (``unscorable_disagreements``: exactly one reader called it unscorable)."""
    sites: dict[str, dict] = {}
    pooled_a, pooled_b, pooled_study = [], [], []
    for i, site in enumerate(ALL_SITES):
        ga, gb, unscorable_disagree = [], [], 0
        for s in studies:
            x, y = a.studies[s].get(site), b.studies[s].get(site)
            if x is not None and y is not None:
                ga.append(x)
                gb.append(y)
                pooled_study.append(s)
            elif (x is None) != (y is None) and (site in a.studies[s] or site in b.studies[s]):
                unscorable_disagree += 1
        if not ga and not unscorable_disagree:
            continue  # a site no study lists (e.g. lumbar sites in a cervical-only study)
        sites[site] = _pair_stats(ga, gb, None, n_boot, seed + i)
        sites[site]["unscorable_disagreements"] = unscorable_disagree
        pooled_a += ga
        pooled_b += gb
    pooled = _pair_stats(pooled_a, pooled_b, pooled_study, n_boot, seed)
    return {"sites": sites, "all_sites": pooled}


def _pair_stats(ga: list[int], gb: list[int], groups: list[str] | None, n_boot: int, seed: int) -> dict:
    n = len(ga)
    out: dict = {"n": n, "exact_agreement": (float(np.mean(np.equal(ga, gb))) if n else None),
                 "confusion_matrix": stats.confusion_matrix(ga, gb, GRADES).tolist()}
    for weighting, key in (("none", "kappa"), ("linear", "kappa_linear"), ("quadratic", "kappa_quadratic")):
        r = stats.kappa_with_ci(ga, gb, weighting, GRADES, n_boot=n_boot, seed=seed, groups=groups)
        out[key] = r["kappa"]
        out[f"{key}_ci"] = r["ci"]
    return out


def totals(tables: Sequence[ReaderTable], studies: Sequence[str]) -> dict[str, list[float | None]]:
    """Total mSASSS (engine rules, imputation included) of every study, per reader."""
    out = {}
    for t in tables:
        try:
            out[t.name] = [total_score(t.studies[s]).total for s in studies]
        except ValueError as exc:
            raise InputError(f"{t.path}: {exc}") from None
    return out


def total_agreement(tables: Sequence[ReaderTable], studies: Sequence[str]) -> dict:
    """ICC(2,1) with CI, ICC(3,1), ICC(1,1), SEM and SDC over studies whose total every reader could score;
    Bland–Altman of reader 2 − reader 1 (and of every other pair under ``pairs``)."""
    per_reader = totals(tables, studies)
    names = [t.name for t in tables]
    matrix = np.array([[per_reader[n][i] for n in names] for i in range(len(studies))], dtype=float)
    complete = np.all(np.isfinite(matrix), axis=1)
    out: dict = {"readers": names, "n_studies": len(studies), "n_complete": int(complete.sum()),
                 "excluded_studies": [s for s, ok in zip(studies, complete) if not ok],
                 "totals": {n: per_reader[n] for n in names}, "studies": list(studies)}
    x = matrix[complete]
    if len(x) < 2:
        out.update({"icc_2_1": None, "icc_2_1_ci": None, "icc_3_1": None, "icc_3_1_ci": None,
                    "icc_1_1": None, "icc_1_1_ci": None, "sem": None, "sdc": None,
                    "mean_difference": None, "loa": None, "pairs": []})
        out["note"] = "fewer than 2 studies with a total from every reader"
        return out
    out.update(stats.icc(x).to_dict())
    ba = stats.bland_altman(x[:, 0], x[:, 1]).to_dict()
    out.update({"mean_difference": ba["mean_difference"], "sd_difference": ba["sd_difference"],
                "loa": ba["loa"], "mean_difference_ci": ba["mean_difference_ci"]})
    out["pairs"] = [{"a": names[i], "b": names[j], **stats.bland_altman(x[:, i], x[:, j]).to_dict()}
                    for i, j in combinations(range(len(names)), 2)]
    return out


def agree_scores(paths: Sequence[PathLike], n_boot: int = 2000, seed: int = 0) -> dict:
    """The whole `axspa agree scores` result: {"readers", "sites", "all_sites", "total"}."""
    if len(paths) < 2:
        raise InputError("agree scores needs at least two reader tables")
    tables = [read_reader_table(p, name=_reader_name(p, i, paths)) for i, p in enumerate(paths)]
    studies = check_same_studies(tables)
    doc: dict = {"schema": "axspa.agreement/1", "readers": [{"name": t.name, "path": t.path} for t in tables],
                 "n_studies": len(studies), "bootstrap": {"n": n_boot, "seed": seed}}
    doc.update(site_agreement(tables[0], tables[1], studies, n_boot=n_boot, seed=seed))
    doc["site_comparison"] = f"{tables[0].name} vs {tables[1].name}"
    doc["total"] = total_agreement(tables, studies)
    return doc


def _reader_name(path: PathLike, index: int, paths: Sequence[PathLike]) -> str:
    stems = [Path(p).stem for p in paths]
    stem = Path(path).stem
    return stem if stems.count(stem) == 1 else f"R{index + 1}"


def compare_with_reader(result_grades: Mapping[str, int | None],
                        reader_grades: Mapping[str, int | None]) -> list[dict]:
    """Site-level comparison of a result with a reader's grades, for the Slicer module: one row per site
    either lists, in canonical order: {"site", "ours", "reader", "difference" (ours − reader, None when
    either is unscorable or absent), "agree" (bool)}."""
    rows = []
    for site in ALL_SITES:
        if site not in result_grades and site not in reader_grades:
            continue
        ours, theirs = result_grades.get(site), reader_grades.get(site)
        diff = ours - theirs if ours is not None and theirs is not None else None
        rows.append({"site": site, "ours": ours, "reader": theirs, "difference": diff,
                     "agree": ours == theirs})
    return rows


def compare_grades(result_grades: Mapping[str, Optional[int]], reader_grades: Mapping[str, Optional[int]],
                   source: str) -> dict:
    """Site rows (disagreements first) and counts over the sites both list; InputError naming ``source``
    when they share no site. Totals are the engine's mSASSS of each side's own grades."""
    common = [s for s in ALL_SITES if s in result_grades and s in reader_grades]
    if not common:
        raise InputError(f"{source}: no site in common with the result table (reader: "
                         f"{', '.join(reader_grades) or 'none'})")
    rows = compare_with_reader({s: result_grades[s] for s in common}, {s: reader_grades[s] for s in common})
    rows = [r for r in rows if not r["agree"]] + [r for r in rows if r["agree"]]
    n_agree = sum(r["agree"] for r in rows)
    ours, reader = total_score(result_grades), total_score(reader_grades)
    return {
        "rows": rows, "n_compared": len(rows), "n_agree": n_agree, "exact_agreement": n_agree / len(rows),
        "disagreeing_sites": [r["site"] for r in rows if not r["agree"]],
        "only_ours": [s for s in ALL_SITES if s in result_grades and s not in reader_grades],
        "only_reader": [s for s in ALL_SITES if s in reader_grades and s not in result_grades],
        "our_total": ours.total, "reader_total": reader.total,
        "our_score": ours.to_dict(), "reader_score": reader.to_dict(), "reader_source": source,
    }
