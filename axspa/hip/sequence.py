"""Does a series look like coronal STIR or another fat-suppressed sequence? Hip scores read bright marrow
as edema: on a T1 or non-fat-suppressed image the fatty marrow of the femoral head is bright too, so such
a series is scored only with a warning in the result.

Two independent checks:

- tags (DICOM series): the series description, protocol and sequence names hold a fat-suppression
  keyword (STIR, TIRM, TIR, SPAIR, SPIR, fat sat, FS ...), or the sequence is an inversion recovery whose
  inversion time nulls fat (100-250 ms at 1.5 T, 150-250 ms at 3 T). A series that states neither, or names
  T1, is warned about; a volume file without tags (NRRD, NIfTI) is not.
- contrast (needs no tags): ``marrow_brightness`` is the median intensity inside the femoral heads over
  the 95th percentile of the body (voxels above 10% of the 99.5th percentile of the volume). Fatty marrow
  is dark in STIR and among the brightest tissues in T1. Calibrated on 38 phantom STIR hips (axspa phantom
  hip, small and full size: 0.14-0.38) and the 8 real T1 series of ../shared/data/pelvis-mri-t1 (whole
  femur label: 0.51-0.68); MARROW_BRIGHT lies between them.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

import numpy as np

from axspa.image import Volume

MARROW_BRIGHT = 0.44  # marrow_brightness above this: marrow as bright as a T1's
BODY_FRACTION = 0.10  # body voxels: above this fraction of the volume's 99.5th percentile
# Inversion times (ms) that null fat: STIR. Longer ones are FLAIR-like or T1-weighted IR.
STIR_TI_MS = {1.5: (100.0, 250.0), 3.0: (150.0, 250.0)}
# Fat suppression named in a description, protocol or sequence name ('t2_tirm_cor', '*tir2d1_7', 'PD FS',
# 't2fs', 'SPAIR', 'fat sat'); 'fs' followed by a letter is not one ('fse': fast spin echo).
_FAT_SUPPRESSED = re.compile(r"stir|tirm|(?<![a-z])tir(?![a-z])|spair|(?<![a-z])spir(?![a-z])|fat.?sat|fat.?sup"
                             r"|fs(?![a-z])|fsat|chess|water")
_T1 = re.compile(r"(?<![a-z0-9])t1(?![0-9])")


def sequence_warnings(volume: Volume, masks: Optional[Mapping[str, np.ndarray]] = None) -> list[str]:
    """Warnings when ``volume`` does not look like STIR or fat-suppressed: by its DICOM tags (see the
    module docstring) and, when ``masks`` (hip segment name -> bool array) hold femoral-head voxels, by the
    brightness of the femoral-head marrow. [] when it looks right or nothing can be told."""
    warnings = []
    tag_warning = tag_problem(volume.meta)
    if tag_warning:
        warnings.append(tag_warning)
    head = _femoral_heads(masks, volume.array.shape) if masks else None
    if head is not None and head.any():
        ratio = marrow_brightness(volume.array, head)
        if ratio > MARROW_BRIGHT:
            warnings.append(f"marrow bright (femoral-head marrow at {ratio:.2f} of the body's bright tissue, "
                            f"above {MARROW_BRIGHT:g}): looks like a T1 or non-fat-suppressed image (or fat "
                            f"suppression failed); bright marrow fat would be reported as edema")
    return warnings


def marrow_brightness(array: np.ndarray, head_mask: np.ndarray) -> float:
    """Median intensity in ``head_mask`` over the 95th percentile of the body (voxels above BODY_FRACTION of
    the volume's 99.5th percentile): about 0.15-0.4 in STIR, 0.5 and more in T1. NaN when the mask is empty
    or the volume holds no signal."""
    a = np.nan_to_num(np.array(array, dtype=np.float32), copy=False)
    np.clip(a, 0.0, None, out=a)
    head = np.asarray(head_mask, dtype=bool)
    # Percentiles of the body from every second voxel along each axis: the same figure to a few per mille,
    # an eighth of the sorting.
    few = a[::2, ::2, ::2] if a.ndim == 3 and min(a.shape) >= 4 else a
    top = float(np.percentile(few, 99.5)) if a.size else 0.0
    if not head.any() or top <= 0:
        return float("nan")
    body = few[few > BODY_FRACTION * top]
    return float(np.median(a[head]) / np.percentile(body, 95))


def _femoral_heads(masks: Mapping[str, np.ndarray], shape: tuple[int, ...]) -> Optional[np.ndarray]:
    """Both femoral heads with their BME (a T1's bright marrow may have been segmented as BME)."""
    from axspa.hip.segments import HIP_SEGMENTS

    names = [s.name for s in HIP_SEGMENTS if s.region in ("femoral_head", "femoral_bme")]
    found = [np.asarray(masks[n], dtype=bool) for n in names if n in masks and np.shape(masks[n]) == shape]
    return np.logical_or.reduce(found) if found else None


def tag_problem(meta: Mapping[str, Any]) -> Optional[str]:
    """Why the series' DICOM tags do not look like STIR or fat-suppressed, or None (also when it has no
    such tags: a NRRD or NIfTI file)."""
    text = _names(meta)
    if not text and not meta.get("scanning_sequence"):
        return None
    if looks_like_stir(meta):
        return None
    label = meta.get("series_description") or meta.get("protocol") or meta.get("sequence") or "?"
    if _T1.search(text):
        return (f"series '{label}' is named as a T1 sequence, not STIR or fat-suppressed: bright marrow fat "
                f"would be reported as edema; choose the coronal STIR series")
    return (f"series '{label}' does not look like STIR or fat-suppressed (no STIR, TIRM, SPAIR or fat-sat in "
            f"its description, protocol or sequence name, no fat-nulling inversion time): check that bright "
            f"marrow is edema, not fat")


def fat_nulling_inversion(meta: Mapping[str, Any]) -> bool:
    """An inversion-recovery sequence with an inversion time that nulls fat at its field strength."""
    if "IR" not in str(meta.get("scanning_sequence") or "").upper().split("\\"):
        return False
    ti, tesla = _number(meta.get("inversion_time")), _number(meta.get("magnetic_field_strength"))
    if ti is None:
        return False
    low, high = STIR_TI_MS[3.0] if tesla is not None and tesla > 2.0 else STIR_TI_MS[1.5]
    return low <= ti <= high


def looks_like_stir(meta: Mapping[str, Any]) -> bool:
    """True when the tags name a fat-suppressed sequence (keywords or a fat-nulling inversion time)."""
    return bool(_FAT_SUPPRESSED.search(_names(meta))) or fat_nulling_inversion(meta)


def _names(meta: Mapping[str, Any]) -> str:
    return " ".join(str(meta[k]) for k in ("series_description", "protocol", "sequence") if meta.get(k)).lower()


def _number(value: Any) -> Optional[float]:
    try:
        return float(str(value).split("\\")[0])
    except (TypeError, ValueError):
        return None
