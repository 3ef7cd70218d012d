"""Agreement of two segmentations on the same grid: Dice, volume similarity, volumes (mL) and the 95th
percentile Hausdorff distance in millimetres from the image geometry.

Definitions (as the SIJ edema reader study of Hepburn et al. reports them):
- Dice = 2|A∩B| / (|A| + |B|)
- volume similarity VS = 1 − |Va − Vb| / (Va + Vb)
- HD95 = max(P95 of distances from A's surface voxels to B's surface, P95 from B's to A's), in mm
  (the symmetric form MONAI and most challenge code use). Surface voxels: voxels of the mask with a
  6-neighbour outside it. When both masks are empty Dice and VS are undefined (None); HD95 is None when
  either is empty.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy import ndimage

from axspa.image import InputError
from axspa.results import PathLike
from axspa.texts import interval, number

GRID_TOLERANCE_MM = 1e-3


@dataclass
class Mask:
    """A binary mask [k, j, i] with its IJK-to-RAS geometry and where it came from."""

    array: np.ndarray
    ijk_to_ras: np.ndarray
    source: str

    @property
    def spacing(self) -> tuple[float, float, float]:
        return tuple(float(np.linalg.norm(self.ijk_to_ras[:3, c])) for c in range(3))

    @property
    def voxel_volume_ml(self) -> float:
        # |det| also covers sheared grids, where the product of the column norms would overstate the volume.
        return abs(float(np.linalg.det(self.ijk_to_ras[:3, :3]))) / 1000.0


@dataclass
class OverlapResult:
    dice: float | None
    volume_similarity: float | None
    volume_a_ml: float
    volume_b_ml: float
    voxels_a: int
    voxels_b: int
    voxels_both: int
    hd95_mm: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def read_mask(spec: PathLike, segment: str | None = None) -> Mask:
    """Read a mask from NIfTI/NRRD (non-zero voxels) or a Slicer ``.seg.nrrd`` (one segment by name).
    ``spec`` may carry the segment after a '#': ``case.seg.nrrd#Right femoral BME``."""
    text = str(spec)
    if "#" in text and segment is None:
        text, segment = text.split("#", 1)
    path = Path(text)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.name.lower().endswith(".seg.nrrd"):
        return _read_segment(path, segment)
    if segment:
        raise InputError(f"{path}: a segment name ({segment!r}) is only meaningful for a .seg.nrrd file")
    from axspa.io.volume import read_volume  # lazy: keeps `axspa agree scores` free of image I/O

    volume = read_volume(path)
    if volume.meta.get("non_finite_voxels"):
        raise InputError(f"{path}: {volume.meta['non_finite_voxels']} voxels are NaN or Inf; a mask holds 0 "
                         f"(background) and non-zero labels only")
    if volume.meta.get("spacing_known") is False:
        raise InputError(f"{path}: voxel spacing unknown ({volume.meta.get('spacing_unknown_why')}); volumes (mL) "
                         f"and HD95 (mm) need it: set the spacing in the file and try again")
    return Mask(np.asarray(volume.array) != 0, np.asarray(volume.ijk_to_ras, float), str(path))


def _read_segment(path: Path, segment: str | None) -> Mask:
    from axspa.io.segfile import read_seg_nrrd

    masks, ijk_to_ras = read_seg_nrrd(path)
    names = list(masks)
    if segment is None:
        if len(names) != 1:
            raise InputError(f"{path}: holds {len(names)} segments ({', '.join(names)}); name one with "
                             f"--segment or PATH#NAME")
        segment = names[0]
    if segment not in masks:
        raise InputError(f"{path}: no segment named {segment!r}; it has {', '.join(names) or 'none'}")
    return Mask(np.asarray(masks[segment]) != 0, np.asarray(ijk_to_ras, float), f"{path}#{segment}")


def check_same_grid(a: Mask, b: Mask) -> None:
    """InputError naming both files when the masks are not on the same voxel grid."""
    if a.array.shape != b.array.shape:
        raise InputError(f"{b.source}: grid {b.array.shape[::-1]} (i, j, k) does not match "
                         f"{a.source} {a.array.shape[::-1]}; resample one mask onto the other's grid first")
    if not np.allclose(a.ijk_to_ras, b.ijk_to_ras, atol=GRID_TOLERANCE_MM):
        raise InputError(f"{b.source}: geometry (origin, spacing or directions) differs from {a.source}; "
                         f"the masks are not on the same grid")


def compare_masks(a: Mask, b: Mask) -> OverlapResult:
    """Dice, VS, volumes and HD95 of two masks on the same grid (checked)."""
    check_same_grid(a, b)
    va, vb = int(a.array.sum()), int(b.array.sum())
    both = int(np.logical_and(a.array, b.array).sum())
    ml = a.voxel_volume_ml
    total = va + vb
    dice = 2.0 * both / total if total else None
    vs = 1.0 - abs(va - vb) / total if total else None
    return OverlapResult(dice, vs, va * ml, vb * ml, va, vb, both, hd95(a.array, b.array, a.ijk_to_ras))


def hd95(a: np.ndarray, b: np.ndarray, ijk_to_ras: np.ndarray) -> float | None:
    """Symmetric 95th-percentile Hausdorff distance (mm) between the surfaces of two masks [k, j, i]."""
    if not a.any() or not b.any():
        return None
    # Array axes are (k, j, i): sampling is the spacing in that order. Distances are exact on orthogonal
    # grids (oblique but orthogonal directions included), which is what scanners write.
    spacing_ijk = [float(np.linalg.norm(ijk_to_ras[:3, c])) for c in range(3)]
    sampling = spacing_ijk[::-1]
    surf_a, surf_b = _surface(a), _surface(b)
    dist_to_b = ndimage.distance_transform_edt(~surf_b, sampling=sampling)
    dist_to_a = ndimage.distance_transform_edt(~surf_a, sampling=sampling)
    return float(max(np.percentile(dist_to_b[surf_a], 95), np.percentile(dist_to_a[surf_b], 95)))


def _surface(mask: np.ndarray) -> np.ndarray:
    mask = mask.astype(bool)
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def read_pairs(path: PathLike) -> list[dict]:
    """Rows of a pairs table: columns ``a``, ``b`` (paths, relative to the table's folder) and optional ``id``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    lines = text.splitlines()
    if not lines:
        raise InputError(f"{path}: empty pairs table")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("a", "b") if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected a, b and optional id")
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not row.get("a") or not row.get("b"):
            raise InputError(f"{path}, line {n}: both a and b are needed")
        rows.append({"id": row.get("id") or f"pair{len(rows) + 1}", "line": n,
                     "a": _resolve(path.parent, row["a"]), "b": _resolve(path.parent, row["b"])})
    if not rows:
        raise InputError(f"{path}: no pairs")
    return rows


def _resolve(folder: Path, spec: str) -> str:
    file_part, sep, segment = spec.partition("#")
    p = Path(file_part)
    return str(p if p.is_absolute() else folder / p) + (sep + segment)


def summarize(results: list[dict]) -> dict:
    """Cohort summary of per-pair results: mean, SD, median, min, max of each metric and the ICC of volumes."""
    from axspa.evaluation import stats

    summary: dict = {"n": len(results)}
    for key in ("dice", "volume_similarity", "hd95_mm", "volume_a_ml", "volume_b_ml"):
        values = np.array([r[key] for r in results if r.get(key) is not None], dtype=float)
        summary[key] = None if not len(values) else {
            "mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
            "median": float(np.median(values)), "min": float(values.min()), "max": float(values.max()),
            "n": int(len(values))}
    volumes = np.array([[r["volume_a_ml"], r["volume_b_ml"]] for r in results], dtype=float)
    summary["volume_icc"] = stats.icc(volumes).to_dict() if len(volumes) >= 2 else None
    summary["volume_bland_altman"] = (stats.bland_altman(volumes[:, 0], volumes[:, 1]).to_dict()
                                      if len(volumes) >= 2 else None)
    return summary


def overlap_document(masks: Sequence[str] = (), pairs: Optional[PathLike] = None,
                     segment: Optional[str] = None) -> dict:
    """The ``axspa agree masks`` result (``axspa.overlap/1``): two masks A B, or every pair of a pairs
    table. ``segment`` names the segment of .seg.nrrd inputs given without ``#NAME``."""
    if pairs and masks:
        raise InputError("give either two masks or --pairs PAIRS.csv, not both")
    if pairs:
        results = []
        for row in read_pairs(pairs):
            try:
                result = compare_masks(read_mask(row["a"], _segment(row["a"], segment)),
                                       read_mask(row["b"], _segment(row["b"], segment)))
            except InputError as exc:  # name the row of the table, then the file and the problem
                raise InputError(f"{pairs}, line {row['line']} (pair {row['id']}): {exc}") from exc
            results.append({"id": row["id"], "a": row["a"], "b": row["b"], **result.to_dict()})
        return {"schema": "axspa.overlap/1", "pairs": results, "summary": summarize(results)}
    if len(masks) != 2:
        raise InputError(f"agree masks needs exactly two masks A B (got {len(masks)}), or --pairs")
    a, b = masks
    result = compare_masks(read_mask(a, _segment(a, segment)), read_mask(b, _segment(b, segment)))
    return {"schema": "axspa.overlap/1", "a": a, "b": b, **result.to_dict()}


def _segment(spec: str, segment: Optional[str]) -> Optional[str]:
    return None if "#" in spec else segment


OVERLAP_COLUMNS = ("id", "a", "b", "dice", "volume_similarity", "volume_a_ml", "volume_b_ml", "hd95_mm")


def write_overlap(doc: dict, folder: PathLike, overwrite: bool = False) -> None:
    """``overlap.json`` (and ``overlap.csv``, one row per pair, for a pairs table) in ``folder``, atomically;
    a file that differs from the new result is kept unless ``overwrite`` (results.write_output)."""
    from axspa.results import write_text_output

    folder = Path(folder)
    if "pairs" in doc:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=OVERLAP_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(doc["pairs"])
        write_text_output(folder / "overlap.csv", text.getvalue(), overwrite)
    write_text_output(folder / "overlap.json", json.dumps(doc, indent=1) + "\n", overwrite)


def _pair_text(r: dict) -> str:
    return (f"Dice {number(r['dice'], '.3f')}  VS {number(r['volume_similarity'], '.3f')}  "
            f"volumes {number(r['volume_a_ml'])} / {number(r['volume_b_ml'])} mL  "
            f"HD95 {number(r['hd95_mm'], '.1f')} mm")


def overlap_text(doc: dict) -> str:
    """One line for a single pair; for many, one line per pair then the summary and the ICC of volumes."""
    if "pairs" not in doc:
        return _pair_text(doc)
    width = max(len(r["id"]) for r in doc["pairs"])
    lines = [f"{r['id']:<{width}}  {_pair_text(r)}" for r in doc["pairs"]]
    s = doc["summary"]
    for key, label in (("dice", "Dice"), ("volume_similarity", "VS"), ("hd95_mm", "HD95 mm")):
        if s.get(key):
            m = {k: number(s[key][k], ".3f") for k in ("mean", "sd", "median", "min", "max")}
            lines.append(f"{label}: mean {m['mean']} (SD {m['sd']}), median {m['median']}, range {m['min']}-{m['max']}")
    icc = s.get("volume_icc")
    if icc:
        lines.append(f"volumes: ICC(2,1) {number(icc['icc_2_1'], '.3f')}{interval(icc['icc_2_1_ci'])}, "
                     f"ICC(3,1) {number(icc['icc_3_1'], '.3f')}")
    return "\n".join(lines)
