"""Hip inflammation scores from a coronal STIR volume and its segments (docs/scoring.md).

Per patient side: the scoring slices (the coronal slice with the largest femoral-head area plus up to
``half_width`` slices each side of it), the UNet-score of Zheng et al. 2023 (sum over the scoring slices
of the lesion gray-value proportion), its area-fraction variant, lesion volumes in mL and HIMRISS-style
slice sums. The HIMRISS-style sums are not the official reader protocol: a region of a slice counts 1 when
its lesion pixels on that slice cover at least ``min_lesion_area_mm2`` in total.

Arrays are indexed [k, j, i] like Slicer's ``arrayFromVolume``; ``ijk_to_ras`` maps (i, j, k, 1) to RAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from axspa.hip.segments import LESION_REGIONS, SEGMENT_BY_NAME, segment

SIDES = ("right", "left")


@dataclass
class HipScoreConfig:
    half_width: int = 7  # slices each side of the largest-head slice (15 at most, as Zheng et al.)
    min_lesion_area_mm2: float = 5.0  # HIMRISS-style: smaller lesion areas on a slice count 0


def _array_axis_spacing(ijk_to_ras: np.ndarray) -> tuple[float, float, float]:
    """Spacing (mm) along array axes 0, 1, 2 = k, j, i."""
    m = np.asarray(ijk_to_ras, dtype=float)
    si, sj, sk = (float(np.linalg.norm(m[:3, c])) for c in range(3))
    return (sk, sj, si)


def coronal_axis(ijk_to_ras: np.ndarray) -> int:
    """The array axis (0, 1, 2 of the [k, j, i] array) whose direction is most aligned with
    anterior-posterior: coronal slices are the planes across it."""
    m = np.asarray(ijk_to_ras, dtype=float)
    if m.shape not in ((4, 4), (3, 3)):
        raise ValueError(f"ijk_to_ras must be a 4x4 (or 3x3) matrix, got shape {m.shape}")
    directions = m[:3, :3]
    norms = np.linalg.norm(directions, axis=0)
    if np.any(norms == 0) or not np.all(np.isfinite(directions)):
        raise ValueError("ijk_to_ras has a zero or non-finite axis")
    ap = np.abs(directions[1, :]) / norms  # |A component| of the unit i, j, k axes
    ijk_column = int(np.argmax(ap))
    return 2 - ijk_column  # i is array axis 2, j axis 1, k axis 0


def _slice_areas(mask: np.ndarray, axis: int) -> np.ndarray:
    other = tuple(a for a in range(3) if a != axis)
    return np.count_nonzero(mask, axis=other)


def scoring_slices(head_mask: np.ndarray, axis: int, half_width: int = 7) -> list[int]:
    """The slice with the largest femoral-head area (the first of equal ones) and up to ``half_width``
    slices each side, clipped to the volume; [] when there is no head."""
    if head_mask.ndim != 3 or axis not in (0, 1, 2):
        raise ValueError(f"need a 3D mask and an axis 0-2, got shape {head_mask.shape} and axis {axis}")
    if half_width < 0:
        raise ValueError(f"half_width must be >= 0, got {half_width}")
    areas = _slice_areas(head_mask, axis)
    if not areas.any():
        return []
    centre = int(np.argmax(areas))
    return list(range(max(0, centre - half_width), min(len(areas) - 1, centre + half_width) + 1))


def _take(a: np.ndarray, axis: int, index: int) -> np.ndarray:
    return np.take(a, index, axis=axis)


def _check_inputs(stir: np.ndarray, masks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if stir.ndim != 3:
        raise ValueError(f"STIR volume must be 3D [k, j, i], got shape {stir.shape}")
    out = {}
    for name, mask in masks.items():
        if name not in SEGMENT_BY_NAME:
            raise ValueError(f"unknown hip segment {name!r}; expected one of {', '.join(SEGMENT_BY_NAME)}")
        mask = np.asarray(mask)
        if mask.shape != stir.shape:
            raise ValueError(f"segment {name!r} has shape {mask.shape}, the STIR volume {stir.shape}")
        out[name] = mask.astype(bool, copy=False)
    return out


def hip_scores(stir: np.ndarray, masks: Mapping[str, np.ndarray], ijk_to_ras: np.ndarray,
               config: HipScoreConfig | None = None) -> dict:
    """Scores of both sides: {"right": {...}, "left": {...}} (see the module docstring). ``masks`` maps
    segment names (axspa.hip.segments) to boolean arrays shaped like ``stir``; absent segments are empty."""
    config = config or HipScoreConfig()
    stir = np.asarray(stir)
    masks = _check_inputs(stir, masks)
    axis = coronal_axis(ijk_to_ras)
    spacing = _array_axis_spacing(ijk_to_ras)
    pixel_area = float(np.prod([spacing[a] for a in range(3) if a != axis]))
    voxel_ml = float(np.prod(spacing)) / 1000.0
    # Magnitude images have no negative signal; a negative offset would make proportions meaningless.
    intensity = np.nan_to_num(stir.astype(np.float64), copy=False)
    np.clip(intensity, 0.0, None, out=intensity)  # in place: a second float64 copy of the volume costs ~40 ms
    empty = np.zeros(stir.shape, dtype=bool)
    return {side: _side_scores(side, intensity, masks, empty, axis, pixel_area, voxel_ml, config)
            for side in SIDES}


def _side_scores(side: str, intensity: np.ndarray, masks: Mapping[str, np.ndarray], empty: np.ndarray,
                 axis: int, pixel_area: float, voxel_ml: float, config: HipScoreConfig) -> dict:
    def mask(region: str) -> np.ndarray:
        return masks.get(segment(side, region).name, empty)

    lesions = {region: mask(region) for region in LESION_REGIONS}
    # BME lies inside its bone but a label map may keep it out of the head label: the head is both.
    head = mask("femoral_head") | lesions["femoral_bme"]
    result: dict = {
        "femoral_head_found": bool(head.any()),
        "reason": None,
        "scoring_slices": [],
        "unet_score": {"gray_value": 0.0, "area_fraction": 0.0},
        "lesion_volume_ml": {segment(side, r).name: float(np.count_nonzero(m)) * voxel_ml
                             for r, m in lesions.items()},
        "himriss": {"femoral_bme": 0, "acetabular_bme": 0, "effusion": 0, "total": 0},
        "slices": [],
    }
    if not result["femoral_head_found"]:
        result["reason"] = f"no {segment(side, 'femoral_head').name} pixels in the segmentation"
        return result
    slices = scoring_slices(head, axis, config.half_width)
    rows = [_slice_row(s, intensity, head, lesions, axis, pixel_area, config) for s in slices]
    result["scoring_slices"] = slices
    result["slices"] = rows
    result["unet_score"] = {"gray_value": float(sum(r["gray_value_proportion"] for r in rows)),
                            "area_fraction": float(sum(r["area_fraction"] for r in rows))}
    himriss = {region: int(sum(r[f"{region}_lesion"] for r in rows)) for region in LESION_REGIONS}
    himriss["total"] = sum(himriss.values())
    result["himriss"] = himriss
    return result


def _slice_row(index: int, intensity: np.ndarray, head: np.ndarray, lesions: Mapping[str, np.ndarray],
               axis: int, pixel_area: float, config: HipScoreConfig) -> dict:
    head_s = _take(head, axis, index)
    bme_s = _take(lesions["femoral_bme"], axis, index)
    img_s = _take(intensity, axis, index)
    head_sum = float(img_s[head_s].sum())
    head_n = int(np.count_nonzero(head_s))
    # A slice without head pixels (or with no signal in them) contributes 0, not a division error.
    gray = float(img_s[bme_s].sum()) / head_sum if head_sum > 0 else 0.0
    frac = int(np.count_nonzero(bme_s)) / head_n if head_n else 0.0
    row = {"index": int(index), "head_area_mm2": head_n * pixel_area}
    for region in LESION_REGIONS:
        area = int(np.count_nonzero(_take(lesions[region], axis, index))) * pixel_area
        row[f"{region}_area_mm2"] = area
        # The tolerance keeps an area of exactly the threshold (a product of spacings) counted.
        row[f"{region}_lesion"] = int(area >= config.min_lesion_area_mm2 - 1e-9)
    row["gray_value_proportion"] = gray
    row["area_fraction"] = frac
    return row
