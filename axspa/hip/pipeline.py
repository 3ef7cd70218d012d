"""Hip inflammation on coronal STIR: segmentation model (or a given segmentation) -> hip scores, for one
volume or a whole case as ``axspa hip`` runs it (read, segment or place the given segmentation, score,
write).

Predictor protocol: ``predict(volume: Volume, progress, cancel) -> {segment name: bool array [k,j,i]}``
with the segment names of axspa/hip/segments.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from axspa.bundles import load_predictor
from axspa.hip.inputs import check_hip_volume, hip_series
from axspa.hip.scores import HipScoreConfig, hip_scores
from axspa.hip.segments import HIP_SEGMENTS, SEGMENT_BY_NAME, match_hip_segments
from axspa.hip.sequence import sequence_warnings
from axspa.image import InputError, Volume
from axspa.jobs import Cancel, Progress, report
from axspa.results import validate

HIP_BUNDLE = "hip-segmenter"


def load_models(model_dir: Optional[Path] = None, trust_code: bool = False) -> Any:
    """The hip-segmenter predictor: installed, or the bundle folder ``model_dir`` (see bundles.read_bundle)."""
    return load_predictor(HIP_BUNDLE, model_dir, trust_code)


def segment_hip(volume: Volume, model: Optional[Any] = None, progress: Progress = None,
                cancel: Cancel = None) -> dict[str, np.ndarray]:
    """Masks of every hip segment for a STIR volume."""
    check_hip_volume(volume)  # the model assumes a 3-D coronal volume of >= 2 slices
    model = model or load_models()
    report(progress, 0.0, "segmenting hips", cancel)
    masks = model.predict(volume, progress, cancel)
    report(progress, 1.0, "done", cancel)
    return masks


def score_hip(volume: Volume, masks: Mapping[str, np.ndarray], config: Optional[HipScoreConfig] = None,
              source: str = "") -> dict:
    """The ``axspa.hip/1`` document for a volume and its segmentation (from a model or a reader)."""
    config = config or HipScoreConfig()
    require_spacing(volume)
    check_masks(volume, masks, source)
    sides = hip_scores(volume.array, masks, volume.ijk_to_ras, config)
    return {"schema": "axspa.hip/1",
            "input": {"path": volume.path, "shape": list(volume.array.shape),
                      "spacing_mm": list(volume.spacing)},
            "sides": sides,
            "settings": {"half_width": config.half_width, "min_lesion_area_mm2": config.min_lesion_area_mm2},
            "note": "HIMRISS-style slice sums computed from segmentations; not the official HIMRISS "
                    "reader protocol.",
            "warnings": list(volume.warnings) + sequence_warnings(volume, masks)}


def require_spacing(volume: Volume) -> None:
    """InputError when the volume's file states no voxel spacing (io.volume.checked_volume): the scores'
    areas (mm²) and volumes (mL) would be made up."""
    if volume.meta.get("spacing_known") is False:
        raise InputError(f"{volume.path}: voxel spacing unknown ({volume.meta.get('spacing_unknown_why')}); "
                         f"HIMRISS-style areas (mm²) and lesion volumes (mL) need it: set the spacing in the file "
                         f"(e.g. Volumes module in Slicer, then save) and try again")


def check_masks(volume: Volume, masks: Mapping[str, np.ndarray], source: str = "") -> None:
    """Every mask on the volume's grid with a known segment name, or InputError naming the file."""
    where = f"{source}: " if source else ""
    unknown = [n for n in masks if n not in SEGMENT_BY_NAME]
    if unknown:
        expected = ", ".join(s.name for s in HIP_SEGMENTS)
        raise InputError(f"{where}unknown segment names {unknown}; expected names among: {expected}")
    for name, mask in masks.items():
        if mask.shape != volume.array.shape:
            raise InputError(f"{where}segment '{name}' has shape {mask.shape}, "
                             f"the image has {volume.array.shape}: not on the same grid")


def masks_on_grid(masks: Mapping[str, np.ndarray], mask_ijk_to_ras: np.ndarray, volume: Volume,
                  source: str = "") -> dict[str, np.ndarray]:
    """Masks moved onto the volume's grid when they differ by a whole-voxel offset (a segmentation
    cropped to its extent); InputError when the grids do not line up at all."""
    where = f"{source}: " if source else ""
    if not np.allclose(mask_ijk_to_ras[:3, :3], volume.ijk_to_ras[:3, :3], atol=1e-3):
        raise InputError(f"{where}segmentation axes or spacing differ from the image; "
                         "resample it onto the image (e.g. in Slicer) first")
    offset_ijk = np.linalg.solve(volume.ijk_to_ras[:3, :3], mask_ijk_to_ras[:3, 3] - volume.ijk_to_ras[:3, 3])
    if not np.allclose(offset_ijk, np.round(offset_ijk), atol=1e-2):
        raise InputError(f"{where}segmentation origin is not on the image's voxel grid")
    i0, j0, k0 = (int(v) for v in np.round(offset_ijk))
    placed = {}
    for name, mask in masks.items():
        full = np.zeros(volume.array.shape, dtype=bool)
        src, dst = _overlap(mask.shape, full.shape, (k0, j0, i0))
        full[dst] = mask[src]
        placed[name] = full
    check_masks(volume, placed, source)
    return placed


def _overlap(src_shape: tuple[int, ...], dst_shape: tuple[int, ...],
             offset: tuple[int, ...]) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    src, dst = [], []
    for n_src, n_dst, o in zip(src_shape, dst_shape, offset):
        lo, hi = max(o, 0), min(o + n_src, n_dst)
        hi = max(hi, lo)
        dst.append(slice(lo, hi))
        src.append(slice(lo - o, hi - o))
    return tuple(src), tuple(dst)


UNSURE = (0.2, 0.8)  # a probability of any edema in this range is flagged for review


def add_edema_probability(doc: dict, probability: Mapping[str, Mapping[str, float]]) -> None:
    """Per side, the model's probability that there is any femoral / acetabular BME (the lesion decision:
    below one half the side's BME is left empty), and a warning where it is unsure either way."""
    for side, by_region in probability.items():
        doc["sides"][side]["edema_probability"] = dict(by_region)
        for region, p in by_region.items():
            if UNSURE[0] <= p <= UNSURE[1]:
                kept = "kept" if p >= 0.5 else "left out"
                doc["warnings"].append(f"{side} hip: {region.replace('_', ' ').replace('bme', 'BME')} uncertain "
                                       f"(probability of any edema {p:.2f}; {kept}): review this side")


def score_case(series: str, out: Path, seg: Optional[Path] = None, series_uid: Optional[str] = None,
               config: Optional[HipScoreConfig] = None, overwrite: bool = False,
               model_dir: Optional[Path] = None, trust_code: bool = False, model: Optional[Any] = None) -> dict:
    """``axspa hip``: read the series, segment it with the model (written as ``<stem>.seg.nrrd``) or place
    the segmentation ``seg`` on its grid, score, and write ``hip.json`` and ``<stem>.slices.csv`` into
    ``out`` (names from outputs.output_names: never one case's result under another's name). Returns the
    validated ``axspa.hip/1`` document."""
    from axspa.hip import outputs
    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    if seg:
        model = None
    elif model is None:
        model = load_models(model_dir, trust_code)  # a missing model stops before any reading
    series_uid, notes = hip_series(series, series_uid)  # size, geometry, several series: the coronal STIR one
    volume = read_volume(series, series_uid=series_uid)
    volume.warnings += notes + check_hip_volume(volume, refuse=not seg)  # --seg: other planes with a warning
    require_spacing(volume)
    stem, doc_name = outputs.output_names(series, out, series_uid)
    if seg:
        masks, seg_ijk_to_ras = read_seg_nrrd(seg)
        matched, others = match_hip_segments(masks)  # 'right femoral head' is the Right femoral head
        masks = {**matched, **{name: masks[name] for name in others}}  # other names: refused by check_masks
        masks = masks_on_grid(masks, seg_ijk_to_ras, volume, str(seg))
        source = str(seg)
    else:
        masks = segment_hip(volume, model)
        source = "model"
        outputs.write_segmentation(out / f"{stem}.seg.nrrd", masks, volume.ijk_to_ras, overwrite)
    doc = score_hip(volume, masks, config, source)
    doc["segmentation"] = source
    if model is not None:
        doc["model"] = {"segmenter": getattr(model, "bundle_id", HIP_BUNDLE)}
        add_edema_probability(doc, getattr(model, "edema_probability", {}))
    if series_uid is not None:
        doc["input"]["series_uid"] = series_uid
    validate(doc, "hip")
    outputs.write_hip_outputs(doc, out, stem, overwrite, doc_name)
    return doc
