"""Semireal hip STIR cases: real T1 pelvis anatomy mapped to a STIR-like contrast, with femoral-head
bone marrow edema (BME) painted into the marrow so the truth is known exactly.

Used to evaluate the hip model on real anatomy and real acquisition geometry (../shared/data/pelvis-mri-t1,
development data that is never shipped); the lesions are synthetic, so the figures say how well the
model finds lesions it has never seen painted on real bone shapes, not how it does on real edema.
numpy/scipy only (no torch), so it runs wherever the test suite runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import numpy as np
from scipy import ndimage as ndi

from axspa.image import Volume

FLUID_STORED = 1000.0  # stored value free fluid would have: 12-bit storage, gain like the phantom's (700-1400)
EDEMA_OUTLINE = 0.4  # painted signal fraction above which a reader would outline the edema (as the phantom)
SIDES = ("right", "left")

# STIR signal relative to free fluid (the phantom's tissue values: fat 0.05, cortex 0.015, muscle 0.2-0.27,
# yellow marrow 0.06-0.1) at T1 signal relative to the fat level (t). On these post-contrast T1 series
# muscle peaks near t = 0.33, femoral-head marrow near t = 0.6 and fat at t = 0.75-1.1.
_T1_POINTS = (0.0, 0.1, 0.33, 0.5, 0.65, 0.8, 10.0)
_STIR_SOFT = (0.12, 0.12, 0.25, 0.14, 0.07, 0.05, 0.05)  # soft tissue: dark-on-T1 stays low-intermediate
_STIR_BONE = (0.02, 0.02, 0.2, 0.14, 0.07, 0.05, 0.05)  # inside bone: dark-on-T1 is cortex, dark on STIR
_RESIDUAL_GAIN = 0.25  # share of the T1 fine texture and noise (relative to fat) kept in the output


def fat_level(t1: np.ndarray) -> float:
    """Robust fat level: the 90th percentile of the body (voxels above a tenth of the 99th percentile).
    Subcutaneous and intermuscular fat is the brightest large tissue on T1; a high percentile rather
    than the maximum ignores enhancing vessels and coil hot spots."""
    a = np.asarray(t1, np.float32)
    top = float(np.percentile(a, 99))
    body = a[a > 0.1 * top] if top > 0 else a
    level = float(np.percentile(body, 90)) if body.size else 0.0
    return level if level > 0 else 1.0


def body_mask(t_smooth: np.ndarray) -> np.ndarray:
    """The body on each slice: tissue above 15 % of fat, holes filled (bladder, bowel gas and cortex are
    dark on T1 yet inside the body, so they must not be treated as air)."""
    tissue = t_smooth > 0.15
    out = np.zeros_like(tissue)
    for k in range(tissue.shape[0]):
        out[k] = ndi.binary_fill_holes(ndi.binary_closing(tissue[k], iterations=3))
    return out


def stir_like(t1: np.ndarray, bone: Optional[np.ndarray] = None) -> np.ndarray:
    """Map T1 contrast to a STIR-like one: fat and fatty marrow (bright on T1) become dark, muscle
    intermediate-low, air black. T1 cannot tell fluid from cortex or gas (all dark), so dark-on-T1 tissue
    stays low-intermediate; where a bone mask is given, dark-on-T1 inside bone is taken as cortex and made
    dark. The curve is applied to a lightly smoothed image (the curve is not monotonic, so applying it to
    noisy values would fold the noise) and the fine residual is added back, so noise and texture remain.
    Returns float32 on the 12-bit stored scale (free fluid = FLUID_STORED), same shape: the geometry of
    the series is untouched."""
    t = np.asarray(t1, np.float32) / np.float32(fat_level(t1))
    smooth = ndi.gaussian_filter(t, sigma=(0.0, 0.8, 0.8))  # in-plane only: slices are 4-5 mm apart
    signal = np.interp(smooth, _T1_POINTS, _STIR_SOFT).astype(np.float32)
    if bone is not None:
        near_bone = ndi.binary_dilation(np.asarray(bone, bool), structure=_in_plane_cross())
        signal[near_bone] = np.interp(smooth[near_bone], _T1_POINTS, _STIR_BONE)
    signal[~body_mask(smooth)] = 0.0
    out = (signal + np.float32(_RESIDUAL_GAIN) * (t - smooth)) * np.float32(FLUID_STORED)
    return np.clip(out, 0.0, 4095.0).astype(np.float32)


def _in_plane_cross() -> np.ndarray:
    s = np.zeros((1, 3, 3), bool)
    s[0, 1, :] = s[0, :, 1] = True
    return s


def _spacing_kji(ijk_to_ras: np.ndarray) -> Tuple[float, float, float]:
    m = np.asarray(ijk_to_ras, float)[:3, :3]
    return tuple(float(np.linalg.norm(m[:, c])) for c in (2, 1, 0))  # type: ignore[return-value]


def _crop(mask: np.ndarray, margin: int = 2) -> Tuple[slice, ...]:
    """Bounding box of a mask plus a margin, so the distance transforms run on a small block."""
    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(axis=0) - margin, 0)
    hi = np.minimum(idx.max(axis=0) + margin + 1, mask.shape)
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))


def femoral_head(femur: np.ndarray, ijk_to_ras: np.ndarray, proximal_mm: float = 60.0,
                 grow: float = 1.05) -> Tuple[np.ndarray, np.ndarray, float]:
    """(head region, centre [k, j, i], radius mm) of one side's femur label. The head is the thickest
    part of the proximal femur: its centre is the maximum of the Euclidean distance transform (true
    spacing) within the top proximal_mm (superior, RAS z) of the label, which leaves out the shaft; the
    region is the femur within a ball of radius grow x that maximum (the distance to the nearest
    background voxel centre falls a little short of the surface)."""
    box = _crop(femur, margin=2)
    sub = np.asarray(femur[box], bool)
    edt = ndi.distance_transform_edt(sub, sampling=_spacing_kji(ijk_to_ras))
    kji = np.indices(sub.shape).reshape(3, -1) + np.array([s.start for s in box])[:, None]
    m = np.asarray(ijk_to_ras, float)
    z = (m[2, 0] * kji[2] + m[2, 1] * kji[1] + m[2, 2] * kji[0] + m[2, 3]).reshape(sub.shape)
    proximal = sub & (z > z[sub].max() - proximal_mm)
    flat = int(np.argmax(np.where(proximal, edt, -1.0)))
    centre_local = np.array(np.unravel_index(flat, sub.shape))
    radius = float(edt.flat[flat]) * grow
    region = np.zeros(femur.shape, bool)
    region[box] = sub & (_distance_mm(sub.shape, centre_local, ijk_to_ras) <= radius)
    return region, centre_local + np.array([s.start for s in box]), radius


def _distance_mm(shape: Tuple[int, ...], centre_kji: np.ndarray, ijk_to_ras: np.ndarray) -> np.ndarray:
    """Physical distance of every voxel of a block from a voxel centre, oblique axes included."""
    d = np.indices(shape).reshape(3, -1) - np.asarray(centre_kji).reshape(3, 1)
    m = np.asarray(ijk_to_ras, float)[:3, :3]
    xyz = m @ d[::-1]  # rows of d are k, j, i; the matrix takes i, j, k
    return np.sqrt((xyz ** 2).sum(axis=0)).reshape(shape)


def _smooth_noise(shape: Tuple[int, ...], rng: np.random.Generator, sigma_vox: Tuple[float, ...]) -> np.ndarray:
    """Unit-variance smooth random field: the irregular, feathery margins of edema."""
    f = ndi.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma_vox)
    sd = float(f.std())
    return f / np.float32(sd if sd > 0 else 1.0)


def _blob_fraction(shape: Tuple[int, ...], spacing: Tuple[float, float, float], centre: np.ndarray,
                   axes_mm: np.ndarray, rotation: np.ndarray, feather: np.ndarray, tau: float) -> np.ndarray:
    """Signal fraction of one edema blob: a rotated ellipsoid whose approximate signed distance,
    roughened by the feather field, falls off logistically over tau mm; brightest in the core."""
    d = (np.indices(shape).reshape(3, -1) - centre.reshape(3, 1)) * np.asarray(spacing).reshape(3, 1)
    local = rotation.T @ d / axes_mm.reshape(3, 1)
    r = float(axes_mm.min())
    sd = ((np.sqrt((local ** 2).sum(axis=0)) - 1.0) * r).reshape(shape).astype(np.float32)
    f = 1.0 / (1.0 + np.exp(np.clip((sd + feather) / np.float32(tau), -30.0, 30.0)))
    return (f * (0.7 + 0.3 * np.clip(-sd / r, 0.0, 1.0))).astype(np.float32)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    return q * np.sign(np.diag(r))


def _edema_field(marrow: np.ndarray, spacing: Tuple[float, float, float], rng: np.random.Generator,
                 target_ml: float) -> np.ndarray:
    """Combined signal fraction of one to three blobs centred in the marrow, whose ellipsoids add up to
    about target_ml (before clipping to the marrow and the outline threshold)."""
    n = int(rng.integers(1, 4))
    shares = rng.dirichlet(np.full(n, 2.0)) * target_ml
    sigma = tuple(2.0 / s for s in spacing)  # about 2 mm correlation length
    feather = 1.5 * _smooth_noise(marrow.shape, rng, sigma)
    tau = float(rng.uniform(1.0, 2.0))
    candidates = np.argwhere(marrow)
    field = np.zeros(marrow.shape, np.float32)
    for share in shares:
        shape = rng.uniform(0.7, 1.3, 3)
        scale = (share * 1000.0 * 3.0 / (4.0 * np.pi) / np.prod(shape)) ** (1.0 / 3.0)
        centre = candidates[int(rng.integers(len(candidates)))].astype(float)
        blob = _blob_fraction(marrow.shape, spacing, centre, shape * scale, _random_rotation(rng), feather, tau)
        field = np.maximum(field, blob)
    return field


def paint_edema(stir: np.ndarray, head_region: np.ndarray, rng: np.random.Generator,
                spacing: Tuple[float, float, float], fluid: float = FLUID_STORED,
                volume_ml: Tuple[float, float] = (0.3, 6.0), tries: int = 30) -> Tuple[np.ndarray, np.ndarray]:
    """Paint femoral-head BME: one to three smooth blobs with feathered margins inside the head marrow
    (the head eroded 1 mm from its boundary, so the cortex stays dark), peak signal 0.5-1.0 x free fluid.
    spacing is (i, j, k) mm as Volume.spacing. Returns (new image, truth): truth is where the painted
    fraction exceeds EDEMA_OUTLINE inside the marrow; its volume is drawn log-uniform in volume_ml (a
    draw whose outline falls outside the range, e.g. a blob mostly outside the marrow, is redrawn)."""
    box = _crop(head_region, margin=2)
    spacing_kji = (float(spacing[2]), float(spacing[1]), float(spacing[0]))
    marrow = ndi.distance_transform_edt(head_region[box], sampling=spacing_kji) > 1.0
    voxel_ml = float(np.prod(spacing)) / 1000.0
    lo, hi = volume_ml
    for _ in range(tries):
        target = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        field = _edema_field(marrow, spacing_kji, rng, target) * marrow
        truth_box = field > EDEMA_OUTLINE
        if lo <= truth_box.sum() * voxel_ml <= hi:
            break
    image = np.array(stir, np.float32, copy=True)
    sub = image[box]
    peak = float(rng.uniform(0.5, 1.0)) * fluid
    value = peak * (1.0 + 0.1 * _smooth_noise(sub.shape, rng, (0.0, 1.0, 1.0)))
    # Move the local mean toward the edema signal but keep the residual: acquisition noise is additive.
    base = ndi.gaussian_filter(sub, sigma=(0.0, 1.0, 1.0))
    image[box] = np.clip(sub + field * (value - base), 0.0, 4095.0)
    truth = np.zeros(head_region.shape, bool)
    truth[box] = truth_box
    return image, truth


def femoral_heads(volume: Volume, labels: np.ndarray) -> Dict[str, Tuple[np.ndarray, np.ndarray, float]]:
    """{side: (head region, centre [k, j, i], radius mm)} from a bone labelmap on the volume's grid."""
    from axspa.hip.reference import reference_femurs

    femurs = reference_femurs(volume, labels)
    return {side: femoral_head(femurs[side], volume.ijk_to_ras) for side in SIDES if femurs[side].any()}


def semireal_cases(data_dir: Path, draws: int = 3, seed: int = 0
                   ) -> Iterator[Tuple[str, Volume, Dict[str, np.ndarray]]]:
    """(case id, STIR-like volume, {side: femoral BME truth}) per patient folder (dicom/ and
    bone-labels.nrrd) and draw. Each head is left clean (empty truth) with probability 0.5. Every case has
    its own generator seeded by (seed, patient number, draw), so a case does not depend on which others
    ran. volume.meta holds the head regions, centres and radii and what was painted."""
    from axspa.io.nrrdfile import read_nrrd
    from axspa.io.volume import read_volume

    patients = sorted(d for d in Path(data_dir).iterdir() if (d / "bone-labels.nrrd").is_file())
    for p_index, patient in enumerate(patients):
        t1 = read_volume(str(patient / "dicom"))
        labels, _ = read_nrrd(patient / "bone-labels.nrrd")
        heads = femoral_heads(t1, labels)
        stir = stir_like(t1.array, bone=labels > 0)
        for draw in range(draws):
            volume, truth = draw_case(stir, t1, heads, np.random.default_rng([seed, p_index, draw]))
            volume.meta.update(patient=patient.name, draw=draw)
            yield f"{patient.name}-d{draw}", volume, truth


def draw_case(stir: np.ndarray, t1: Volume, heads: Dict[str, Tuple[np.ndarray, np.ndarray, float]],
              rng: np.random.Generator) -> Tuple[Volume, Dict[str, np.ndarray]]:
    """One draw: each head is left clean (empty truth) with probability 0.5, otherwise edema is painted
    into it. The volume keeps t1's geometry; its meta holds the heads and the painted mL per side."""
    image, truth, painted = stir, {}, {}
    for side, (region, _, _) in heads.items():
        if rng.random() < 0.5:
            truth[side] = np.zeros(region.shape, bool)
            continue
        image, truth[side] = paint_edema(image, region, rng, t1.spacing)
        painted[side] = round(float(truth[side].sum()) * t1.voxel_volume_ml, 3)
    meta = {"painted_ml": painted,
            "heads": {s: {"region": r, "centre_kji": c.tolist(), "radius_mm": round(rad, 2)}
                      for s, (r, c, rad) in heads.items()}}
    return Volume(image, np.array(t1.ijk_to_ras), t1.path, meta), truth
