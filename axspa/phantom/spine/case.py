"""A case: the attenuation map, acquisition, truth (grades by the spine family's rules) and the files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from axspa.phantom.spine.anatomy import Layout, build_anatomy, plan_layout
from axspa.phantom.spine.context import _draw_cervical_context, _draw_lumbar_context
from axspa.phantom.spine.findings import SpineConfig, sample_findings
from axspa.phantom.spine.lesions import _apply_local_blurs, _blur_local, _draw_lesions
from axspa.phantom.spine.painter import Painter, _texture_slabs
from axspa.phantom.spine.vertebrae import _draw_vertebra
from axspa.phantom.xray import Acquisition, acquire, sample_acquisition, wide_blur
from axspa.spine.rules import grade_sites, segment_score
from axspa.spine.sites import REGIONS


def render_density(rng: np.random.Generator, region: str, anatomy: dict, layout: Layout,
                   plan: dict) -> tuple[np.ndarray, np.ndarray]:
    """The noiseless attenuation map of the case, and the vertebral bodies alone (for checks)."""
    p = Painter(layout)
    verts = anatomy["vertebrae"]
    if region == "cervical":
        _draw_cervical_context(p, verts, rng)
    else:
        _draw_lumbar_context(p, verts, rng)
    tilt = rng.uniform(0.0, 1.6) * (0.6 if region == "cervical" else 1.0)  # beam tilt: double endplates
    for k, v in enumerate(verts):
        pitch = float(np.hypot(*(verts[k + 1].center - v.center))) if k + 1 < len(verts) else v.h_ant + 5
        _draw_vertebra(p, v, region, pitch, tilt * rng.uniform(0.3, 1.0), rng)
    _draw_lesions(p, verts, region, plan, rng)
    _texture_slabs(p, verts, region, rng)
    # Trabecular contrast varies between patients (more visible vertical struts in osteopenia).
    tex = 1.0 + rng.uniform(0.12, 0.22) * p.texture
    body = (p.body * tex + p.body_cortex) * (1.0 - np.clip(p.carve, 0, 0.9))
    sp = layout.spacing
    density = np.array(wide_blur(p.soft + p.smooth, 2.0 / sp))  # skin edges and soft-tissue shadows are smooth
    density += wide_blur(p.air, max(1.0 / sp, 4.5)) if p.air.any() else 0.0  # >= 4.5 px: the fast path
    density += _blur_local(p.haze, 0.8 / sp) + p.bone * tex + p.other + p.cortex + body + p.metal
    _apply_local_blurs(density, p.blurs)
    return density, p.body


@dataclass
class SpineCase:
    case_id: str
    region: str
    pixels: np.ndarray  # stored values
    presentation: np.ndarray  # [0, 1], bone bright, what the montage shows
    density: np.ndarray  # noiseless attenuation map
    bodies: np.ndarray  # the vertebral bodies alone, noiseless (tests check truth points against it)
    acquisition: Acquisition
    layout: Layout
    truth: dict


def make_spine_case(case_id: str, seed: int, index: int, config: SpineConfig | None = None) -> SpineCase:
    """Everything of one case from np.random.default_rng([seed, index]) (independent of --n)."""
    config = config or SpineConfig()
    rng = np.random.default_rng([seed, index, 1])
    region = config.region or ("cervical" if rng.random() < 0.5 else "lumbar")
    plan = sample_findings(rng, region, config)
    anatomy = build_anatomy(rng, region, plan)
    layout, cutoff = plan_layout(rng, region, anatomy, config)
    density, bodies = render_density(rng, region, anatomy, layout, plan)
    markers = [str(rng.choice(["L", "R"]))] + (["LAT", "ERECT", "STANDING"][int(rng.integers(0, 3)):][:1]
                                               if rng.random() < 0.5 else [])
    acq = sample_acquisition(rng, layout.shape, layout.spacing, markers)
    pixels, pres = acquire(density, acq, rng)
    truth = build_truth(case_id, region, anatomy, layout, plan, acq, cutoff, seed, index)
    return SpineCase(case_id, region, pixels, pres, density, bodies, acq, layout, truth)


def _in_field(pt: np.ndarray, acq: Acquisition, margin: float) -> bool:
    x0, y0, x1, y1 = acq.collimation
    return bool(x0 + margin <= pt[0] <= x1 - 1 - margin and y0 + margin <= pt[1] <= y1 - 1 - margin)


def build_truth(case_id: str, region: str, anatomy: dict, layout: Layout, plan: dict, acq: Acquisition,
                cutoff: str | None, seed: int, index: int) -> dict:
    """The axspa.spine/1 truth document (input sha256 is filled in when the DICOM is written)."""
    sp = layout.spacing
    warnings: list[str] = []
    margin = 2.0 / sp  # a corner closer than 2 mm to the edge of the exposed field is not readable
    by_name = {v.name: v for v in anatomy["vertebrae"]}
    findings = {s: dict(f) for s, f in plan["findings"].items()}
    sites = []
    for s in REGIONS[region]:
        v = by_name[s[:-1]]
        pt = layout.px(v.ant_sup if s.endswith("s") else v.ant_inf)[0]
        inside = _in_field(pt, acq, 0.0)
        if not _in_field(pt, acq, margin):
            findings[s]["not_visible"] = 1
        if not inside:
            warnings.append(f"{s}: the corner lies outside the exposed field (cut off)")
        sites.append({"id": s, "point": _pt(pt) if inside else None,
                      "point_mm": _pt(pt * sp) if inside else None, "findings": findings[s]})
    grades = grade_sites(findings)
    for site in sites:
        site["grade"] = grades[site["id"]]
        site["confidence"] = 1.0
    vertebrae = []
    for v in anatomy["vertebrae"]:
        vertebrae.append({"name": v.name, "anterior_superior": _pt(layout.px(v.ant_sup)[0]),
                          "anterior_inferior": _pt(layout.px(v.ant_inf)[0]), "center": _pt(layout.px(v.center)[0])})
    h, w = layout.shape
    return {
        "schema": "axspa.spine/1",
        "input": {"path": f"{case_id}.dcm", "sha256": "", "rows": h, "columns": w,
                  "pixel_spacing_mm": [sp, sp], "photometric": acq.photometric},
        "region": region,
        "model": {"landmarks": "phantom-truth", "corners": "phantom-truth"},
        "vertebrae": vertebrae,
        "sites": sites,
        "score": segment_score(grades, region).to_dict(),
        "warnings": warnings,
        "phantom": {"generator": "axspa.phantom.spine", "seed": seed, "index": index,
                    "severity_multiplier": round(plan["severity"], 4), "bridged_levels": plan["bridged"],
                    "squared_vertebrae": plan["squared"], "implant_level": plan["implant"], "cutoff": cutoff,
                    "rotation_deg": round(layout.rotation_deg, 3), "facing": layout.facing,
                    "scale": round(anatomy["scale"], 4), "lordosis_deg": round(anatomy["lordosis_deg"], 2),
                    "acquisition": acq.to_dict()},
    }


def _pt(p: np.ndarray) -> list[float]:
    return [round(float(p[0]), 2), round(float(p[1]), 2)]


def write_spine_case(case: SpineCase, out_dir: Path, overwrite: bool = False) -> dict:
    """Write <id>.dcm, then <id>.truth.json, each atomically (results.write_output: a different existing
    file is kept unless ``overwrite``); returns the truth document."""
    from axspa.io.dicom_write import write_radiograph_dicom
    from axspa.results import sha256_file, write_output

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dcm = out_dir / f"{case.case_id}.dcm"
    sp = case.layout.spacing
    acq = case.acquisition
    sha = []
    write_output(dcm, lambda p: (write_radiograph_dicom(
        p, case.pixels, spacing_mm=(sp, sp), photometric=acq.photometric, modality=acq.modality,
        bits_stored=acq.bits_stored, body_part="CSPINE" if case.region == "cervical" else "LSPINE",
        view_position="LL" if case.layout.facing == "left" else "RL", spacing_tag=acq.spacing_tag,
        patient_id=case.case_id.upper(), seed_uid_from=f"axspa-phantom-{case.case_id}-{case.truth['phantom']['seed']}",
        extra={"SeriesDescription": f"{case.region.upper()} SPINE LAT", "ProtocolName": "PHANTOM",
               "BurnedInAnnotation": "YES" if acq.markers else "NO"}), sha.append(sha256_file(p))), overwrite)
    truth = dict(case.truth)
    truth["input"] = {**truth["input"], "sha256": sha[0]}
    write_output(out_dir / f"{case.case_id}.truth.json",
                 lambda p: Path(p).write_text(json.dumps(truth, indent=2) + "\n"), overwrite)
    return truth
