"""A case: acquisition or photo of a screen, truth (definite sacroiliitis by the sij family's rules) and files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from axspa.phantom import shapes
from axspa.phantom.pelvis.grades import PelvisConfig, sample_grades
from axspa.phantom.pelvis.render import render_pelvis
from axspa.phantom.xray import Acquisition, acquire, photograph_screen, sample_acquisition
from axspa.sij.rules import is_definite


@dataclass
class PelvisCase:
    case_id: str
    grades: dict[str, int]
    pixels: np.ndarray | None  # stored DICOM values; None for a photographed case
    photo_jpeg: bytes | None
    presentation: np.ndarray
    density: np.ndarray
    acquisition: Acquisition
    spacing: float
    truth: dict = field(default_factory=dict)


def make_pelvis_case(case_id: str, seed: int, index: int, config: PelvisConfig | None = None) -> PelvisCase:
    config = config or PelvisConfig()
    if config.generator == 2:
        return _projected_case(case_id, seed, index, config)
    rng = np.random.default_rng([seed, index, 2])
    grades = sample_grades(rng, config)
    fov_w = rng.uniform(340, 430)  # a 35 x 43 cm cassette, landscape, often collimated a little
    fov_h = fov_w * rng.uniform(0.76, 0.86)
    if config.size == "small":
        spacing = max(fov_w, fov_h) / 512
    else:
        spacing = max(rng.uniform(0.1, 0.2), max(fov_w, fov_h) / 2000)
    spacing = float(round(spacing, 4))
    shape = (int(round(fov_h / spacing)), int(round(fov_w / spacing)))
    rot = float(np.clip(rng.normal(0, 4), -12, 12))
    c, s = np.cos(np.deg2rad(rot)), np.sin(np.deg2rad(rot))
    centre_mm = np.array([fov_w / 2 + rng.normal(0, 10), rng.uniform(75, 95)])  # iliac crests near the top edge
    a = np.array([[c, -s], [s, c]]) / spacing
    matrix = np.hstack([a, (centre_mm / spacing)[:, None]])
    density, joints = render_pelvis(rng, grades, shape, matrix, spacing)
    joints_px = {k: shapes.transform_points(v, matrix).round(2).tolist() for k, v in joints.items()}
    return _finish(case_id, seed, index, config, rng, grades, density, shape, spacing, rot,
                   {"generator": "axspa.phantom.pelvis", "joint_lines_px": joints_px})


def _projected_case(case_id: str, seed: int, index: int, config: PelvisConfig) -> PelvisCase:
    """Generator 2: the pelvis drawn in 3-D and projected by a cone beam (axspa.phantom.pelvis3d)."""
    from axspa.phantom.pelvis3d.render import render_projected

    rng = np.random.default_rng([seed, index, 3])
    grades = sample_grades(rng, config)
    fov_w = rng.uniform(340, 430)
    fov_h = fov_w * rng.uniform(0.76, 0.86)
    # "small" keeps the joint space (2-4 mm) resolved: about 0.4 mm pixels; full size 0.14-0.2 mm.
    spacing = max(fov_w, fov_h) / 1000 if config.size == "small" else rng.uniform(0.14, 0.2)
    spacing = float(round(spacing, 4))
    shape = (int(round(fov_h / spacing)), int(round(fov_w / spacing)))
    roll = float(np.clip(rng.normal(0, 4), -12, 12))
    sid = float(rng.uniform(1000, 1200))
    behind = float(rng.uniform(100, 170))  # joints to detector: soft tissue of the back, table, bucky
    m0 = sid / (sid - behind)
    crest_row_mm = rng.uniform(75, 95)  # where the top of the joints lands, mm from the top edge
    beam = dict(sid=sid, sod=sid - behind, centre=(float(rng.normal(0, 10)), float((fov_h / 2 - crest_row_mm) / m0)),
                shape=shape, pixel=spacing, centre_px=(shape[1] / 2, shape[0] / 2), roll_deg=roll,
                rotation=float(np.clip(rng.normal(0, 0.05), -0.14, 0.14)),
                tilt=float(np.clip(rng.normal(0, 0.08), -0.2, 0.2)))
    density, geometry = render_projected(rng, grades, beam)
    extra = {"generator": "axspa.phantom.pelvis3d", "joint_lines_px": geometry.pop("joint_lines_px"),
             "joint_centres_px": geometry.pop("joint_centres_px"),
             "projection": {"sid_mm": round(sid, 1), "joints_to_detector_mm": round(behind, 1),
                            "patient_rotation_rad": round(beam["rotation"], 4),
                            "pelvic_tilt_rad": round(beam["tilt"], 4)}, **geometry}
    return _finish(case_id, seed, index, config, rng, grades, density, shape, spacing, roll, extra)


def _finish(case_id, seed, index, config, rng, grades, density, shape, spacing, rot, extra) -> PelvisCase:
    """Acquisition (or a photo of the screen) and truth, shared by both generators."""
    markers = ["R"] + (["AP", "SUPINE"][int(rng.integers(0, 2)):][:1] if rng.random() < 0.5 else [])
    acq = sample_acquisition(rng, shape, spacing, markers)
    pixels, pres = acquire(density, acq, rng)
    photo = None
    if rng.random() < config.photo_fraction:
        photo, photo_params = photograph_screen(pres, rng)
        pixels = None
    else:
        photo_params = None
    if photo is not None:
        extra = {**extra, "joint_lines_px": None, "joint_centres_px": None,
                 "posterior_margin_px": None} if "joint_centres_px" in extra else {**extra, "joint_lines_px": None}
    truth = _truth(case_id, grades, shape, spacing, acq, photo, photo_params, extra, seed, index, rot)
    return PelvisCase(case_id, grades, pixels, photo, pres, density, acq, spacing, truth)


def _truth(case_id, grades, shape, spacing, acq, photo, photo_params, extra, seed, index, rot) -> dict:
    sides = {}
    for side in ("right", "left"):
        g = grades[side]
        sides[side] = {"grade_probabilities": [1.0 if k == g else 0.0 for k in range(5)], "grade": g}
    definite = is_definite(grades["right"], grades["left"])
    if photo is not None:
        import io

        from PIL import Image

        w, h = Image.open(io.BytesIO(photo)).size
        inp = {"path": f"{case_id}.jpg", "sha256": hashlib.sha256(photo).hexdigest(), "rows": h, "columns": w,
               "pixel_spacing_mm": None}
    else:
        inp = {"path": f"{case_id}.dcm", "sha256": "", "rows": shape[0], "columns": shape[1],
               "pixel_spacing_mm": [spacing, spacing]}
    return {
        "schema": "axspa.sij/1",
        "input": inp,
        "model": {"grades": "phantom-truth"},
        "sides": sides,
        "definite": bool(definite),
        "definite_probability": 1.0 if definite else 0.0,
        "heatmap": None,
        "warnings": [],
        "phantom": {**extra, "seed": seed, "index": index, "rotation_deg": round(rot, 3),
                    "photographed_screen": photo_params, "acquisition": acq.to_dict()},
    }


def write_pelvis_case(case: PelvisCase, out_dir: Path, overwrite: bool = False) -> dict:
    """Write <id>.dcm (or <id>.jpg for a photographed screen), then <id>.truth.json, each atomically
    (results.write_output: a different existing file is kept unless ``overwrite``)."""
    from axspa.io.dicom_write import write_radiograph_dicom
    from axspa.results import sha256_file, write_output

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = json.loads(json.dumps(case.truth))
    if case.photo_jpeg is not None:
        write_output(out_dir / f"{case.case_id}.jpg", lambda p: Path(p).write_bytes(case.photo_jpeg), overwrite)
    else:
        acq = case.acquisition
        sha = []
        write_output(out_dir / f"{case.case_id}.dcm", lambda p: (write_radiograph_dicom(
            p, case.pixels, spacing_mm=(case.spacing, case.spacing), photometric=acq.photometric,
            modality=acq.modality, bits_stored=acq.bits_stored, body_part="PELVIS", view_position="AP",
            spacing_tag=acq.spacing_tag, patient_id=case.case_id.upper(),
            seed_uid_from=f"axspa-phantom-{case.case_id}-{case.truth['phantom']['seed']}",
            extra={"SeriesDescription": "PELVIS AP", "ProtocolName": "PHANTOM",
                   "BurnedInAnnotation": "YES" if acq.markers else "NO"}), sha.append(sha256_file(p))), overwrite)
        truth["input"]["sha256"] = sha[0]
    write_output(out_dir / f"{case.case_id}.truth.json",
                 lambda p: Path(p).write_text(json.dumps(truth, indent=2) + "\n"), overwrite)
    return truth
