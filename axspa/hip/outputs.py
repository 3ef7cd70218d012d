"""The files of the hip family (docs/formats.md): ``hip.json``, ``<stem>.slices.csv`` and the model's
segmentation ``<stem>.seg.nrrd``. A file that differs from the new result is kept unless ``overwrite``."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Mapping, Optional

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS
from axspa.jobs import report_kept
from axspa.results import dumps, holds_other_input, unique_stems, write_file_safely, write_text_safely


def same_case(series: str, series_uid: Optional[str] = None):
    """Whether a ``hip.json`` document is the result of this series (same path, same chosen series)."""
    where = os.path.realpath(str(series).rstrip("/\\") or ".")

    def same(doc: dict) -> bool:
        recorded = doc.get("input", {})
        path = recorded.get("path")
        return (isinstance(path, str) and os.path.realpath(path) == where
                and recorded.get("series_uid") == series_uid)
    return same


def output_names(series: str, out: Path, series_uid: Optional[str] = None) -> tuple[str, str]:
    """The stem of the case's ``<stem>.seg.nrrd`` and ``<stem>.slices.csv`` (results.unique_stems), and
    the name of its document: ``hip.json``, or ``<stem>.hip.json`` when ``out`` already holds another
    case's ``hip.json``. Never one case's result under another's name."""
    same = same_case(series, series_uid)
    case_doc = out / "hip.json"

    def holds_other(stem: str, _item: str) -> bool:
        own = out / f"{stem}.hip.json"
        if own.exists():
            return holds_other_input(own, [], same)
        companions = [out / f"{stem}.seg.nrrd", out / f"{stem}.slices.csv"]
        if not any(p.exists() for p in companions):
            return False
        return holds_other_input(case_doc, companions, same)

    stem = unique_stems([str(series)], holds_other)[str(series)]
    if not case_doc.exists() or not holds_other_input(case_doc, [], same):
        if not (out / f"{stem}.hip.json").exists():
            return stem, "hip.json"
    return stem, f"{stem}.hip.json"


def write_segmentation(path: Path, masks: Mapping[str, np.ndarray], ijk_to_ras: np.ndarray,
                       overwrite: bool = False) -> None:
    """The hip segments as a Slicer ``.seg.nrrd`` (every hip segment, empty where there is no mask)."""
    from axspa.io.segfile import write_seg_nrrd

    if not write_file_safely(path, lambda p: write_seg_nrrd(p, masks, ijk_to_ras, segments=HIP_SEGMENTS),
                             overwrite):
        print(report_kept(path))


def write_hip_outputs(doc: dict, out: Path, stem: str, overwrite: bool = False, doc_name: str = "hip.json") -> None:
    """The case's document (``hip.json``, see output_names) and ``<stem>.slices.csv``."""
    for path, text in ((out / doc_name, dumps(doc)), (out / f"{stem}.slices.csv", slices_csv(doc))):
        if not write_text_safely(path, text, overwrite):
            print(report_kept(path))


def slices_csv(doc: dict) -> str:
    """One row per scoring slice and side, with the per-slice figures behind the sums."""
    rows = [{"side": side, **row} for side in ("right", "left") for row in doc["sides"][side].get("slices", [])]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        out.write("side,slice\n")
    return out.getvalue()
