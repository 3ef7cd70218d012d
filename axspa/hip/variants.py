"""Acquisition variants of hip phantom cases: what scanners differ in (robustness figures of the model card).

Each variant rewrites a case (DICOM series, truth.seg.nrrd, truth.json) with the same anatomy. The
intensity variants (``bias``, ``field3t``, ``fatsat_fail``) keep the grid and the masks as they are. The
grid variants resample the image (linear, or averaging when the new pixels are larger) and the masks
(nearest, or majority when the pixels are larger) onto a new grid and write its own IJK-to-RAS, so the
anatomy stays where it is in patient (RAS) coordinates. The truth scores are recomputed on the variant,
since the gray-value UNet-score depends on the intensities and the scoring slices on the grid.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from scipy import ndimage

from axspa.hip.segments import HIP_SEGMENTS

FEMORAL_HEADS = tuple(s.name for s in HIP_SEGMENTS if s.region == "femoral_head")
VARIANTS = ("bias", "field3t", "fatsat_fail", "thin_inplane", "coarse_inplane", "thick_slices", "many_slices",
            "oblique")
INTENSITY_VARIANTS = ("bias", "field3t", "fatsat_fail")

BIAS_AMPLITUDE = 0.4  # the field spans 1 -/+ 40 % over the field of view
FIELD3T_GAMMA, FIELD3T_FLUID_GAIN, FIELD3T_NOISE = 0.7, 1.3, 0.04  # noise: fraction of the bright level
FATSAT_PERCENTILES, FATSAT_TARGET = (15.0, 30.0), 1.5  # fat level; failed fat brought to 1.5 x muscle
THIN_MM, COARSE_MM, THICK_MM, MANY_SLICES, OBLIQUE_DEG = 0.5, (1.0, 1.2), 5.0, 40, (10.0, 15.0)


def variant_seed(case_id: str, name: str) -> int:
    """The seed of one variant of one case: the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(f"{case_id}:{name}".encode()).digest()[:8], "little")


def make_variant(name: str, image: np.ndarray, masks: dict[str, np.ndarray], ijk_to_ras: np.ndarray,
                 seed: int) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, dict]:
    """(image float32 [k, j, i], masks on its grid, its IJK-to-RAS, parameters) of variant ``name``."""
    rng = np.random.default_rng(seed)
    image = np.asarray(image, dtype=np.float32)
    m = np.asarray(ijk_to_ras, dtype=float)
    spacing = [float(np.linalg.norm(m[:3, 2 - a])) for a in range(3)]  # array axes k, j, i
    if name in INTENSITY_VARIANTS:
        out, params = {"bias": _bias, "field3t": _field3t, "fatsat_fail": _fatsat_fail}[name](image, rng)
        return out.astype(np.float32), masks, m, params
    if name == "oblique":
        return _oblique(image, masks, m, rng)
    extent = [image.shape[a] * spacing[a] for a in range(3)]
    if name == "thin_inplane":
        new = {a: (round(extent[a] / THIN_MM), THIN_MM) for a in (1, 2)}
        return _regrid(image, masks, m, new, "linear", "nearest")
    if name == "coarse_inplane":
        target = round(float(rng.uniform(*COARSE_MM)), 3)
        if min(spacing[1:]) >= target:
            return image, masks, m, {"pixel_mm": target, "resampled": False,
                                     "reason": f"pixels already {min(spacing[1:]):.2f} mm"}
        new = {a: (max(1, round(extent[a] / target)), target) for a in (1, 2)}
        return _regrid(image, masks, m, new, "area", "majority")
    if name == "thick_slices":
        return _regrid(image, masks, m, {0: (max(1, round(extent[0] / THICK_MM)), THICK_MM)}, "area", "nearest")
    if name == "many_slices":
        return _regrid(image, masks, m, {0: (MANY_SLICES, extent[0] / MANY_SLICES)}, "linear", "nearest")
    raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")


# Intensity variants ---------------------------------------------------------------------------------

def _unit_coords(shape: tuple[int, ...]) -> list[np.ndarray]:
    """Index coordinates scaled to [-1, 1] along each array axis (k, j, i), broadcastable."""
    return [np.linspace(-1.0, 1.0, n, dtype=np.float32).reshape([-1 if a == b else 1 for b in range(3)])
            for a, n in enumerate(shape)]


def _muscle_level(image: np.ndarray) -> float:
    """Soft-tissue (muscle) level: the 70th percentile of the tissue brighter than a quarter of the p95
    (as the phantom's display window does)."""
    body = image[image > 0.25 * float(np.percentile(image, 95))]
    return float(np.percentile(body, 70)) if body.size else float(image.max())


def _bias(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A smooth multiplicative field, a random quadratic polynomial over the grid scaled to 1 -/+ 40 %:
    the falling-off sensitivity of surface coils."""
    k, j, i = _unit_coords(image.shape)
    terms = [i, j, k, i * i, j * j, k * k, i * j, i * k, j * k]
    coef = rng.normal(size=len(terms))
    coef[:3] *= 2.0  # mostly a gradient, bent a little
    p = sum(c * t for c, t in zip(coef, terms)) * np.ones(image.shape, np.float32)
    p = 2.0 * (p - p.min()) / max(float(p.max() - p.min()), 1e-6) - 1.0
    field = 1.0 + BIAS_AMPLITUDE * p
    return image * field, {"amplitude": BIAS_AMPLITUDE, "polynomial": "quadratic in i, j, k",
                           "coefficients": [round(float(c), 4) for c in coef],
                           "field_range": [round(float(field.min()), 3), round(float(field.max()), 3)]}


def _field3t(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Another field strength's contrast: a monotone curve (gamma 0.7, then fluid lifted 1.3 x over
    muscle through a smooth step from muscle to twice its level) and more (Rician) noise."""
    ref = max(float(np.percentile(image, 99)), 1e-6)
    x = np.clip(image / ref, 0.0, None)
    muscle = _muscle_level(image) / ref
    step = np.clip((x - muscle) / max(muscle, 1e-6), 0.0, 1.0)
    y = x ** FIELD3T_GAMMA * (1.0 + (FIELD3T_FLUID_GAIN - 1.0) * step * step * (3.0 - 2.0 * step))
    sigma = FIELD3T_NOISE
    noise = rng.normal(0.0, sigma, size=(2, *image.shape)).astype(np.float32)
    out = np.sqrt((y + noise[0]) ** 2 + noise[1] ** 2) * ref
    return out, {"gamma": FIELD3T_GAMMA, "fluid_gain": FIELD3T_FLUID_GAIN, "muscle_level": round(muscle * ref, 1),
                 "rician_noise_sigma": round(sigma * ref, 1)}


def _body(image: np.ndarray) -> np.ndarray:
    """The patient's cross-section on each slice: tissue above a third of the muscle level, smoothed,
    closed and with its holes (dark fat, marrow) filled; the field of view's sides count as closed, since
    the pelvis is often wider than the field of view."""
    level = _muscle_level(image)
    smooth = ndimage.gaussian_filter(image, sigma=(0, 2, 2)) > level / 3.0
    body = np.zeros(image.shape, bool)
    for k, s in enumerate(smooth):
        s = ndimage.binary_closing(s, iterations=3, border_value=0)
        padded = np.pad(s, ((0, 0), (1, 1)), constant_values=True)  # closed at the left and right edges
        body[k] = ndimage.binary_fill_holes(padded)[:, 1:-1] | s
    return body


def _fatsat_fail(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Fat suppression failing toward the edges of the field of view (inhomogeneous B0 off centre),
    widest on one side: fat-level signal of the body brightened there toward 1.5 x muscle."""
    body = _body(image)
    lo, hi = (float(np.percentile(image[body], p)) for p in FATSAT_PERCENTILES)
    smooth = ndimage.gaussian_filter(image, sigma=(0, 1.5, 1.5))  # whole fat regions, not noisy voxels
    fatness = np.clip((hi - smooth) / max(hi - lo, 1e-6), 0.0, 1.0) * body
    _, j, i = _unit_coords(image.shape)
    side = float(rng.choice([-1.0, 1.0]))  # -1: the band widens over the first columns

    def smoothstep(x: np.ndarray, a: float, b: float) -> np.ndarray:
        t = np.clip((x - a) / (b - a), 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    edge = np.maximum(smoothstep(np.abs(i), 0.55, 0.95), smoothstep(np.abs(j), 0.6, 0.95))
    band = np.maximum(edge, smoothstep(side * i, 0.1, 0.7))
    target = FATSAT_TARGET * _muscle_level(image)
    out = image + band * fatness * max(target - lo, 0.0)
    return out, {"fat_percentiles": list(FATSAT_PERCENTILES), "fat_level": round(lo, 1),
                 "target": round(target, 1), "wide_side": "first columns" if side < 0 else "last columns",
                 "edge_band": "|i| 0.55-0.95, |j| 0.6-0.95 of the half field; wide side 0.1-0.7",
                 "affected_fraction": round(float((band * fatness > 0.5).mean()), 4)}


# Grid variants -------------------------------------------------------------------------------------

def _weights(centres: np.ndarray, ratio: float, n_old: int, mode: str) -> np.ndarray:
    """[n_new, n_old] resampling matrix: linear interpolation at ``centres`` (old index units), or the
    overlap of each new pixel (``ratio`` old pixels wide) with the old ones, rows summing to 1."""
    w = np.zeros((len(centres), n_old), np.float32)
    rows = np.arange(len(centres))
    if mode == "linear":
        c = np.clip(centres, 0, n_old - 1)
        i0 = np.minimum(np.floor(c).astype(int), max(n_old - 2, 0))
        f = c - i0
        w[rows, i0] += 1.0 - f
        w[rows, np.minimum(i0 + 1, n_old - 1)] += f
        return w
    lo = np.clip(centres - ratio / 2, -0.5, n_old - 0.5)[:, None]
    hi = np.clip(centres + ratio / 2, -0.5, n_old - 0.5)[:, None]
    edges = np.arange(n_old)[None, :]
    w = np.clip(np.minimum(hi, edges + 0.5) - np.maximum(lo, edges - 0.5), 0.0, None).astype(np.float32)
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-6)


def _along(a: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(np.tensordot(w, a, axes=(1, axis)), 0, axis)


def _regrid(image: np.ndarray, masks: dict[str, np.ndarray], m: np.ndarray, new: dict[int, tuple[int, float]],
            image_mode: str, mask_mode: str) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, dict]:
    """Resample along the array axes of ``new`` ({axis: (number of samples, spacing mm)}) keeping the
    centre of the grid: the image by ``image_mode`` ('linear' or 'area'), masks by ``mask_mode``
    ('nearest' or 'majority': the area-weighted fraction >= 0.5)."""
    out_m, first = m.copy(), np.zeros(3)
    out = image
    float_masks = {n: np.asarray(v, np.float32) for n, v in masks.items()} if mask_mode == "majority" else None
    new_masks = dict(masks)
    for axis, (n_new, spacing_new) in new.items():
        col, n_old = 2 - axis, image.shape[axis]
        ratio = spacing_new / float(np.linalg.norm(m[:3, col]))
        centres = (n_old - 1) / 2 + (np.arange(n_new) - (n_new - 1) / 2) * ratio
        out = _along(out, _weights(centres, ratio, n_old, image_mode), axis)
        if float_masks is not None:
            w = _weights(centres, ratio, n_old, "area")
            float_masks = {n: _along(v, w, axis) for n, v in float_masks.items()}
        else:
            idx = np.clip(np.rint(centres).astype(int), 0, n_old - 1)
            new_masks = {n: np.take(v, idx, axis=axis) for n, v in new_masks.items()}
        out_m[:3, col] *= ratio
        first[col] = centres[0]
    if float_masks is not None:
        new_masks = {n: v >= 0.5 for n, v in float_masks.items()}
    out_m[:3, 3] = m[:3, :3] @ first + m[:3, 3]
    sp = [round(float(np.linalg.norm(out_m[:3, c])), 4) for c in range(3)]
    params = {"spacing_mm_ijk": sp, "shape_kji": list(out.shape), "image": image_mode, "masks": mask_mode}
    return out.astype(np.float32), new_masks, out_m, params


def _oblique(image: np.ndarray, masks: dict[str, np.ndarray], m: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, dict]:
    """The slice stack turned 10-15 degrees about the patient's superior-inferior axis, about the centre
    of the volume: the anatomy stays in place in RAS, the acquisition grid is oblique. Slices are added
    (as a radiographer would plan them) when the turned stack would cut off part of a femoral head; other
    segments may lose what falls outside it, as the image does."""
    deg = float(rng.uniform(*OBLIQUE_DEG) * rng.choice([-1.0, 1.0]))
    t = np.deg2rad(deg)
    rot = np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])
    n_ijk = np.array(image.shape[::-1])
    centre = m[:3, :3] @ ((n_ijk - 1) / 2) + m[:3, 3]
    lin = rot @ m[:3, :3]
    # Femoral-head voxels in the turned grid's index units: grow the grid (symmetrically) to hold them.
    heads = np.zeros(image.shape, bool)
    for n in FEMORAL_HEADS:
        heads |= masks.get(n, False)
    kji = np.argwhere(heads)
    new_n = n_ijk.copy()
    if len(kji):
        ras = kji[:, ::-1] @ m[:3, :3].T + m[:3, 3]
        idx = (ras - centre) @ np.linalg.inv(lin).T + (n_ijk - 1) / 2
        excess = np.maximum(-idx.min(axis=0), idx.max(axis=0) - (n_ijk - 1))
        new_n = n_ijk + 2 * np.ceil(np.maximum(excess, 0.0)).astype(int)
    out_m = np.eye(4)
    out_m[:3, :3] = lin
    out_m[:3, 3] = centre - lin @ ((new_n - 1) / 2)
    # new (i, j, k) -> old (i, j, k), as an affine map on [k, j, i] arrays.
    a = np.linalg.inv(m) @ out_m
    flip = np.eye(4)[[2, 1, 0, 3]]
    a = flip @ a @ flip
    shape = tuple(int(n) for n in new_n[::-1])
    background = float(np.percentile(image, 1))
    out = ndimage.affine_transform(image, a[:3, :3], a[:3, 3], output_shape=shape, order=1, cval=background)
    new_masks = {n: ndimage.affine_transform(v.astype(np.uint8), a[:3, :3], a[:3, 3], output_shape=shape,
                                             order=0, cval=0) > 0 for n, v in masks.items()}
    return out.astype(np.float32), new_masks, out_m, {
        "degrees_about_superior_inferior": round(deg, 3), "shape_kji": list(shape),
        "slices_added": int(new_n[2] - n_ijk[2]), "outside_filled_with": round(background, 1)}


# Cases on disk -----------------------------------------------------------------------------------

def _stored(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 65535).astype(np.uint16)


def write_variant_case(case_dir: Path, out_dir: Path, names: Iterable[str] = VARIANTS) -> None:
    """Write ``out_dir/<variant>/<case>/`` (dicom/, truth.seg.nrrd, truth.json) for one phantom case."""
    from axspa.hip.scores import HipScoreConfig, hip_scores
    from axspa.io.dicom_write import write_series_dicom
    from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
    from axspa.io.volume import read_volume
    from axspa.results import write_folder_safely

    case_dir = Path(case_dir)
    case = case_dir.name
    truth = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
    volume = read_volume(case_dir / "dicom")
    masks, seg_m = read_seg_nrrd(case_dir / "truth.seg.nrrd")
    if not np.allclose(seg_m, volume.ijk_to_ras, atol=1e-3) or next(iter(masks.values())).shape != volume.array.shape:
        raise ValueError(f"{case_dir}: truth.seg.nrrd is not on the grid of the DICOM series")
    settings = truth.get("settings", {})
    config = HipScoreConfig(**{k: settings[k] for k in ("half_width", "min_lesion_area_mm2") if k in settings})
    for name in names:
        image, new_masks, m, params = make_variant(name, volume.array, masks, volume.ijk_to_ras,
                                                   variant_seed(case, name))
        stored = _stored(image)
        doc = copy.deepcopy(truth)
        doc["input"].update(shape=list(stored.shape),
                            spacing_mm=[round(float(np.linalg.norm(m[:3, c])), 6) for c in range(3)])
        doc["sides"] = hip_scores(stored.astype(np.float32), new_masks, m, config)
        doc["variant"] = name
        doc["variant_parameters"] = params

        def fill(folder: Path, stored=stored, new_masks=new_masks, m=m, doc=doc, name=name) -> None:
            write_series_dicom(folder / "dicom", stored, m, modality="MR", series_description="STIR_COR_HIPS",
                               sequence="STIR", patient_id=case, seed_uid_from=f"axspa-hip-variant:{name}:{case}")
            write_seg_nrrd(folder / "truth.seg.nrrd", new_masks, m, segments=HIP_SEGMENTS)
            (folder / "truth.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")

        write_folder_safely(Path(out_dir) / name / case, fill, overwrite=True)


def write_variants(src: Path, out: Path, names: Iterable[str] = VARIANTS, first: Optional[int] = None) -> dict:
    """Write ``out/original/<case>/`` (copied as is) and ``out/<variant>/<case>/`` for every case folder of
    ``src`` (``<case>/truth.json``), or its ``first`` cases in name order; returns cases per folder."""
    from axspa.results import write_folder_safely

    names = list(names)
    cases = sorted(p for p in Path(src).iterdir() if (p / "truth.json").is_file())[:first]
    for case_dir in cases:
        write_folder_safely(Path(out) / "original" / case_dir.name,
                            lambda folder, c=case_dir: shutil.copytree(c, folder, dirs_exist_ok=True), overwrite=True)
        write_variant_case(case_dir, out, names)
    return {name: len(cases) for name in ["original", *names]}
