"""A case on disk: DICOM series, truth.seg.nrrd and truth.json (scores by the hip family's rules), montage tiles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS, SEGMENT_BY_NAME, segment
from axspa.phantom.hip.config import SIDES, HipPhantomConfig, generator_id
from axspa.phantom.hip.render import _Render, _render


def _seed_list(rng_seed: Sequence[int] | int) -> list[int]:
    return [int(rng_seed)] if np.isscalar(rng_seed) else [int(v) for v in rng_seed]


def _truth_document(r: _Render, case_id: str, seed: list[int], config: HipPhantomConfig) -> dict:
    from axspa.hip.scores import HipScoreConfig, hip_scores

    score_config = HipScoreConfig()
    sides = hip_scores(r.stir.astype(np.float32), r.masks, r.geometry.ijk_to_ras, score_config)
    geo = r.geometry
    config_doc = asdict(config)
    if config.generator == 2:  # generator 2's truth.json exactly as it was written before generator 3
        del config_doc["generator"]
    phantom = {
        "generator": generator_id(config.generator), "case_id": case_id, "seed": seed, "config": config_doc,
        "oblique": geo.oblique, "acquisition": r.acquisition,
        "lesions": {h.name: {k: v for k, v in h.lesions.items()} for h in r.sides},
        "femoral_head_diameter_mm": {h.name: round(2 * h.radius, 2) for h in r.sides},
        "neck_shaft_angle_deg": {h.name: round(h.neck_shaft_deg, 2) for h in r.sides},
        "red_marrow_islands": r.young,
    }
    if r.confounders is not None:  # bright-ish but not edema; never in the truth masks
        phantom["confounders"] = _jsonable(r.confounders)
    return {
        "schema": "axspa.hip/1",
        "input": {"path": "dicom", "shape": list(geo.shape), "spacing_mm": [round(v, 6) for v in geo.spacing]},
        "sides": _jsonable(sides),
        "settings": {"half_width": score_config.half_width,
                     "min_lesion_area_mm2": score_config.min_lesion_area_mm2},
        "note": "Phantom ground truth. HIMRISS-style slice sums computed from the truth segmentation; "
                "not the official HIMRISS reader protocol.",
        "phantom": phantom,
        "warnings": [],
    }


def _jsonable(obj: Any) -> Any:
    """numpy scalars and tuples -> plain JSON types, recursively."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def generate_hip_case(out_dir: Path, case_id: str, rng_seed: Sequence[int] | int,
                      config: Optional[HipPhantomConfig] = None, overwrite: bool = False) -> dict:
    """Write DIR/<case_id>/dicom/ (coronal STIR series), truth.seg.nrrd and truth.json; return the
    truth document (axspa.hip/1 with a 'phantom' section). Same seed, same bytes. The case folder is
    filled under a hidden name and appears only when complete (results.write_folder_safely); one that
    differs from the new case is kept unless ``overwrite``."""
    from axspa.results import kept_message, write_folder_safely

    config = config or HipPhantomConfig()
    seed = _seed_list(rng_seed)
    r = _render(np.random.default_rng(seed), config)
    doc = _truth_document(r, case_id, seed, config)
    case_dir = Path(out_dir) / case_id
    if not write_folder_safely(case_dir, lambda folder: _write_hip_files(folder, r, doc, case_id, seed), overwrite):
        print(kept_message(case_dir))
    return doc


def _write_hip_files(case_dir: Path, r: Any, doc: dict, case_id: str, seed: list) -> None:
    from axspa.io.dicom_write import write_series_dicom
    from axspa.io.segfile import write_seg_nrrd

    write_series_dicom(case_dir / "dicom", r.stir, r.geometry.ijk_to_ras, modality="MR",
                       series_description="STIR_COR_HIPS", sequence="STIR", patient_id=case_id,
                       seed_uid_from=f"{doc['phantom']['generator']}:{case_id}:{seed}")
    write_seg_nrrd(case_dir / "truth.seg.nrrd", r.masks, r.geometry.ijk_to_ras, segments=HIP_SEGMENTS)
    (case_dir / "truth.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _stir_window(image: np.ndarray) -> np.ndarray:
    """uint8 display of a STIR slice windowed as a reader would on a PACS: on the soft tissue, not on
    the brightest pixels. Within the body (above a fraction of the bright tissue level), the 70th
    percentile falls on muscle whatever the amount of fluid or fat; muscle is set to about 40 % grey,
    so fluid and edema are bright and fat and fatty marrow dark in every case."""
    body = image[image > 0.25 * float(np.percentile(image, 95))]
    level = float(np.percentile(body, 70)) if body.size else float(image.max())
    white = 2.4 * level if level > 0 else 1.0
    return (np.clip(image / white, 0.0, 1.0) * 255).astype(np.uint8)


def hip_montage_tile(case_dir: Path) -> np.ndarray:
    """RGB uint8 [rows, columns, 3]: the central scoring slice (largest femoral-head area, both sides)
    windowed, with every truth segment's outline in its fixed colour. Patient right on the left."""
    from scipy import ndimage

    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    case_dir = Path(case_dir)
    volume = read_volume(case_dir / "dicom")
    masks, _ = read_seg_nrrd(case_dir / "truth.seg.nrrd")
    heads = sum(masks[segment(side, "femoral_head").name].sum(axis=(1, 2)) for side in SIDES)
    k = int(np.argmax(heads))
    grey = _stir_window(volume.array[k].astype(np.float32))
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    for seg in HIP_SEGMENTS:  # bones first, lesions drawn over them
        m = masks.get(seg.name)
        if m is None or not m[k].any():
            continue
        edge = m[k] & ~ndimage.binary_erosion(m[k])
        rgb[edge] = (np.asarray(SEGMENT_BY_NAME[seg.name].color) * 255).astype(np.uint8)
    return rgb
