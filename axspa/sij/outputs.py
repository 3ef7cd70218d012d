"""The files of the sacroiliac-joint family (docs/formats.md): ``<stem>.sij.json`` and the heat map
``<stem>.heatmap.nrrd``. A file that differs from the new result is kept unless ``overwrite`` is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from axspa.jobs import report_kept
from axspa.results import dumps, holds_other_input, input_sha256, stem_of, unique_stems, validate, write_file_safely


def output_stems(images: Sequence[str], out: Path) -> dict[str, str]:
    """The stem of each image's outputs in ``out`` (results.unique_stems): a ``<stem>.sij.json`` there
    belongs to the image when it records the image's SHA-256."""
    def holds_other(stem: str, image: str) -> bool:
        sha = input_sha256(image)
        return holds_other_input(out / f"{stem}.sij.json", [out / f"{stem}.heatmap.nrrd"],
                                 lambda doc: sha is not None and doc.get("input", {}).get("sha256") == sha)
    return unique_stems(images, holds_other)


def write_sij_outputs(path: str, doc: dict, heatmap: Any, ijk_to_ras: np.ndarray, out: Path,
                      overwrite: bool = False, stem: Optional[str] = None) -> None:
    """The heat map (when the model gave one, named in ``doc["heatmap"]``), then the validated document,
    under ``stem`` (output_stems; by default the stem of the input ``path``)."""
    from axspa.io.nrrdfile import write_nrrd

    stem = stem or stem_of(path)
    if heatmap is not None:
        heat_path = out / f"{stem}.heatmap.nrrd"
        doc["heatmap"] = heat_path.name
        if not write_file_safely(heat_path, lambda p: write_nrrd(p, heatmap, ijk_to_ras), overwrite):
            print(report_kept(heat_path))
    validate(doc, "sij")
    json_path = out / f"{stem}.sij.json"
    if not write_file_safely(json_path, lambda p: Path(p).write_text(dumps(doc)), overwrite):
        print(report_kept(json_path))
