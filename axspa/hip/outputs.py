"""The files of the hip family (SPEC: File contracts): ``hip.json``, ``<stem>.slices.csv`` and the model's
segmentation ``<stem>.seg.nrrd``. A file that differs from the new result is kept unless ``overwrite``."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS
from axspa.jobs import report_kept
from axspa.results import dumps, write_file_safely, write_text_safely


def write_segmentation(path: Path, masks: Mapping[str, np.ndarray], ijk_to_ras: np.ndarray,
                       overwrite: bool = False) -> None:
    """The hip segments as a Slicer ``.seg.nrrd`` (every hip segment, empty where there is no mask)."""
    from axspa.io.segfile import write_seg_nrrd

    if not write_file_safely(path, lambda p: write_seg_nrrd(p, masks, ijk_to_ras, segments=HIP_SEGMENTS),
                             overwrite):
        print(report_kept(path))


def write_hip_outputs(doc: dict, out: Path, stem: str, overwrite: bool = False) -> None:
    """``hip.json`` and ``<stem>.slices.csv``."""
    for path, text in ((out / "hip.json", dumps(doc)), (out / f"{stem}.slices.csv", slices_csv(doc))):
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
