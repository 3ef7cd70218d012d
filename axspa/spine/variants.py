"""Acquisition variants of annotated spine films, for the robustness figures of the model card.

Each variant re-writes every film of a folder (read as the model would read it) with its truth moved
along: MONOCHROME1 storage, a 12-degree rotation, a mirrored film, half the resolution, and an 8-bit
JPEG that carries no pixel spacing (its truth keeps the true spacing, so errors stay in mm).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from scipy import ndimage

from axspa.image import Radiograph
from axspa.results import sha256_file

VARIANTS = ("monochrome1", "rotated12", "mirrored", "half", "jpeg8")


def _move_points(doc: dict, fn: Callable[[np.ndarray], np.ndarray]) -> dict:
    doc = copy.deepcopy(doc)
    for s in doc["sites"]:
        if s.get("point") is not None:
            s["point"] = [round(float(v), 2) for v in fn(np.asarray(s["point"], float))]
            s["point_mm"] = None
    for v in doc.get("vertebrae", []):
        for key in ("anterior_superior", "anterior_inferior", "center"):
            if v.get(key) is not None:
                v[key] = [round(float(c), 2) for c in fn(np.asarray(v[key], float))]
    return doc


def make_variant(name: str, film: Radiograph, truth: dict) -> tuple[np.ndarray, dict, dict]:
    """(pixels in [0, 1] bone bright, moved truth, writer options) for one variant."""
    px = film.pixels
    h, w = px.shape
    spacing = film.spacing_mm
    if name == "monochrome1":
        return px, truth, {"photometric": "MONOCHROME1", "spacing_mm": spacing}
    if name == "mirrored":
        return px[:, ::-1], _move_points(truth, lambda p: np.array([w - 1 - p[0], p[1]])), {"spacing_mm": spacing}
    if name == "half":
        hh, ww = h // 2, w // 2
        small = px[: hh * 2, : ww * 2].reshape(hh, 2, ww, 2).mean(axis=(1, 3))
        sp = (spacing[0] * 2, spacing[1] * 2) if spacing else None
        moved = _move_points(truth, lambda p: (p + 0.5) / 2 - 0.5)
        moved["input"]["pixel_spacing_mm"] = list(sp) if sp else None
        return small, moved, {"spacing_mm": sp}
    if name == "rotated12":
        rot = ndimage.rotate(px, 12.0, reshape=True, order=1, mode="constant", cval=float(np.percentile(px, 1)))
        a = math.radians(12.0)
        # ndimage.rotate turns the image by +12 degrees (counter-clockwise as displayed): in (x, y) pixel
        # coordinates with y down, a point moves by the matrix below about the centres of both grids.
        c_in = np.array([(w - 1) / 2, (h - 1) / 2])
        c_out = np.array([(rot.shape[1] - 1) / 2, (rot.shape[0] - 1) / 2])
        m = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        return rot, _move_points(truth, lambda p: m @ (p - c_in) + c_out), {"spacing_mm": spacing}
    if name == "jpeg8":
        return px, truth, {"jpeg": True}
    raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")


def write_variants(src: Path, out: Path, names=VARIANTS, first: Optional[int] = None) -> dict:
    """Write ``out/<variant>/<id>.(dcm|jpg)`` + ``<id>.truth.json`` for every film of ``src`` (or its
    ``first`` films in name order), and ``out/original/`` with those films as they are, so that every
    variant is compared with the same films."""
    import shutil

    from PIL import Image

    from axspa.io.dicom_write import write_radiograph_dicom
    from axspa.io.radiograph import read_radiograph
    from axspa.results import write_file_safely, write_text_safely

    truths = sorted(Path(src).glob("*.truth.json"))[:first]
    original = out / "original"
    original.mkdir(parents=True, exist_ok=True)
    for truth_path in truths:
        case = truth_path.name[: -len(".truth.json")]
        for path in (truth_path, truth_path.with_name(case + ".dcm")):
            shutil.copyfile(path, original / path.name)
    counts = {"original": len(truths)}
    for name in names:
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        for truth_path in truths:
            truth = json.loads(truth_path.read_text())
            case = truth_path.name[: -len(".truth.json")]
            film = read_radiograph(truth_path.with_name(case + ".dcm"))
            px, moved, opts = make_variant(name, film, truth)
            if opts.get("jpeg"):
                path = folder / f"{case}.jpg"
                image = Image.fromarray((np.clip(px, 0, 1) * 255).round().astype(np.uint8))
                write_file_safely(path, lambda tmp, im=image: im.save(tmp, format="JPEG", quality=90), overwrite=True)
                moved["input"]["photometric"] = "MONOCHROME2"
            else:
                path = folder / f"{case}.dcm"
                photometric = opts.get("photometric", "MONOCHROME2")
                stored = np.clip(px, 0, 1)
                stored = 1.0 - stored if photometric == "MONOCHROME1" else stored
                write_radiograph_dicom(path, (stored * 4095).round().astype(np.uint16), spacing_mm=opts["spacing_mm"],
                                       photometric=photometric, bits_stored=12,
                                       body_part="CSPINE" if truth["region"] == "cervical" else "LSPINE")
                moved["input"]["photometric"] = photometric
            rows, cols = px.shape
            moved["input"].update({"path": path.name, "sha256": sha256_file(path), "rows": rows, "columns": cols})
            write_text_safely(folder / f"{case}.truth.json", json.dumps(moved, indent=2) + "\n", overwrite=True)
            n += 1
        counts[name] = n
    return counts
