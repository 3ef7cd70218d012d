"""Rendering a case: tissues painted in order, lesions added, the acquisition (slice profile, bias, noise)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS, segment
from axspa.phantom import mri
from axspa.phantom.hip import confounders as conf_mod
from axspa.phantom.hip.bone import _femur, _fovea, _head, _head_region, _marrow, _pelvic_bones, _physis, _spine
from axspa.phantom.hip.canvas import Box, _Canvas
from axspa.phantom.hip.config import CAPSULE, CARTILAGE, CORTEX, EDEMA_OUTLINE, FAT, LABRUM, HipPhantomConfig
from axspa.phantom.hip.geometry import _Geometry, _HipSide, _sample_geometry, _sample_sides
from axspa.phantom.hip.lesions import _acetabular_bme, _femoral_bme, _joint_envelope, _labrum, _padded, _sample_lesions
from axspa.phantom.hip.sdf import _capsule, _cup, _Shape, _unit, _v
from axspa.phantom.hip.soft_tissue import _Frame, _frames, _paint_soft_tissue, _Tissue


@dataclass
class _Render:
    stir: np.ndarray  # uint16 [k, j, i], the stored values
    masks: dict[str, np.ndarray]
    geometry: _Geometry
    sides: list[_HipSide]
    acquisition: dict
    young: bool = False
    confounders: Optional[dict] = None  # generator 3: what was drawn (never in the masks)


def _render(rng: np.random.Generator, config: HipPhantomConfig) -> _Render:
    geo = _sample_geometry(rng, config)
    distance, sides = _sample_sides(rng, config.generator)
    _sample_lesions(sides, rng, config)
    # Generator 3's confounders come from a generator of their own: the case's draws stay generator 2's.
    conf = conf_mod.draw(conf_mod.confounder_rng(rng)) if config.generator >= 3 else None
    cv = _Canvas(geo, rng)
    fat = mri.fat_suppression(rng, geo.shape, geo.ijk_to_patient, FAT) * (1.0 + np.float32(0.2) * cv.coarse)
    fat_gain = None if conf is None else conf.fat_gain(geo)
    if fat_gain is not None:
        fat = fat * fat_gain
    tissue = _Tissue(fat, rng.uniform(0.2, 0.27), rng.uniform(0.06, 0.1), rng.uniform(0.16, 0.26),
                     bool(rng.random() < 0.45),
                     marrow_gain=None if fat_gain is None else 1.0 + np.float32(0.7) * (fat_gain - 1.0))
    frames = _frames(sides, rng)
    body = _paint_soft_tissue(cv, rng, distance, sides, tissue, frames)
    envelopes = [_joint_envelope(h, rng) for h in sides]
    for h, env in zip(sides, envelopes):  # capsule wall (below the rim) around a film of joint fluid
        a32, c32 = h.cup_axis.astype(np.float32), h.centre.astype(np.float32)
        rim = np.float32(np.cos(np.deg2rad(h.cup_half_angle - 4.0)))

        def below_rim(box: Box, sd: np.ndarray, xyz: list, a32=a32, c32=c32, rim=rim) -> np.ndarray:
            d = [xyz[i] - c32[i] for i in range(3)]
            norm = np.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2) + np.float32(1e-6)
            along = (d[0] * a32[0] + d[1] * a32[1] + d[2] * a32[2]) / norm
            return np.where((sd < 0) | (along < rim), np.float32(1.0), np.float32(0.0))

        cv.paint(env, [(-1.8, CAPSULE), (0.0, 0.32)], where=below_rim)

    masks: dict[str, np.ndarray] = {s.name: np.zeros(geo.shape, dtype=bool) for s in HIP_SEGMENTS}
    bone_any = _paint_pelvis(cv, rng, sides, frames, tissue, masks)
    _spine(cv, rng)
    for h in sides:
        bone_any |= _paint_femur(cv, h, rng, tissue, masks)
    if conf is not None:
        conf.paint_bone(cv, sides, tissue.yellow)
    soft_exclusions = _paint_joint_linings(cv, sides)
    for h in sides:
        _add_bme(cv, h, rng, geo, masks, tissue)
    for h, env in zip(sides, envelopes):
        if h.lesions["effusion"]:
            _add_effusion(cv, h, env, bone_any | soft_exclusions | masks[segment(h.name, "femoral_head").name],
                          masks)

    if conf is not None:
        conf.paint_metal(cv)
    acq = _acquire(cv, rng, geo, body, conf, sides)
    return _Render(acq.pop("stored"), masks, geo, sides, acq, tissue.young, conf_mod.record(conf))


def _paint_pelvis(cv: _Canvas, rng: np.random.Generator, sides: list[_HipSide], frames: list[_Frame],
                  tissue: _Tissue, masks: dict[str, np.ndarray]) -> np.ndarray:
    """Pelvic bones: every cortex first, then every marrow, so joined bones show no inner cortex line;
    then the thick subchondral plate of the acetabular roof (the sourcil). Returns the bone mask."""
    bones, cups = _pelvic_bones(sides, frames, rng)
    found = [cv.evaluate(shape) for shape in bones + cups]
    bone_any = np.zeros(cv.shape, dtype=bool)
    for shape, hit in zip(bones + cups, found):
        if hit is not None:
            cv.paint(shape, [(0.0, CORTEX)], found=hit)
            bone_any[hit[0]] |= hit[1] < 0
    marrow = _marrow(cv, tissue, red=True)
    for shape, hit in zip(bones + cups, found):
        if hit is not None:
            cv.paint(shape, [(1.6, marrow)], found=hit)
    for h, hit in zip(sides, found[len(bones):]):
        masks[segment(h.name, "acetabulum").name] = (cv.full(hit[0], hit[1] < 0) if hit is not None
                                                     else np.zeros(cv.shape, dtype=bool))
        r_in = h.radius + h.gap
        cv.paint(_cup(h.centre, r_in, r_in + 2.6, h.cup_axis, h.cup_half_angle - 12.0), [(0.0, CORTEX)])
        cv.paint(_cup(h.centre, r_in - 2.0, r_in, h.cup_axis, h.cup_half_angle), [(0.0, CARTILAGE)])
    return bone_any


def _paint_femur(cv: _Canvas, h: _HipSide, rng: np.random.Generator, tissue: _Tissue,
                 masks: dict[str, np.ndarray]) -> np.ndarray:
    """Head cartilage, cortex, fatty marrow, the thick diaphyseal cortex, the physeal scar and the
    ligamentum teres in the fovea. Returns the femur's mask; sets the femoral head segment."""
    femur, shaft, head = _femur(h, rng)
    cv.paint(head, [(-1.8, CARTILAGE)])
    hit = cv.evaluate(femur)
    if hit is None:
        return np.zeros(cv.shape, dtype=bool)
    cv.paint(femur, [(0.0, CORTEX), (1.2, _marrow(cv, tissue, red=False))], found=hit)
    top_z = np.float32(h.centre[2] + h.neck_dir[2] * h.neck_len - 30.0)
    thick = np.float32(rng.uniform(3.5, 6.0))
    # The diaphysis has a thick cortex: repaint the shaft's outer 3.5-6 mm below the trochanters.
    cv.paint(shaft, [(0.0, CORTEX)],  # thickening gradually below the trochanters, no step
             where=lambda box, sd, xyz: (sd > -thick) * np.clip((top_z - xyz[2]) / np.float32(35.0), 0.0, 1.0))
    marrow = cv.full(hit[0], hit[1] < -1.2)
    cv.paint(_physis(h), [(0.0, CORTEX)], where=lambda box, sd, xyz: marrow[box].astype(np.float32))
    fc, fr = _fovea(h)
    cv.paint(_capsule(fc, fc + _unit(_v(-h.s, 0.1, -0.6)) * 14.0, 2.2, 3.0), [(0.0, 0.1)])  # ligamentum teres
    masks[segment(h.name, "femoral_head").name] = cv.mask(_head_region(h))
    return cv.full(hit[0], hit[1] < 0)


def _paint_joint_linings(cv: _Canvas, sides: list[_HipSide]) -> np.ndarray:
    """Labrum (dark triangle on the acetabular rim). Returns the mask of joint tissue no effusion may
    claim: labrum and both cartilage layers."""
    out = np.zeros(cv.shape, dtype=bool)
    for h in sides:
        hit = cv.paint(_labrum(h), [(0.0, LABRUM)])
        if hit is not None:
            out[hit[0]] |= hit[1] < 0
        r_in = h.radius + h.gap
        out |= cv.mask(_head(h), inset=-1.8)
        out |= cv.mask(_cup(h.centre, r_in - 2.0, r_in, h.cup_axis, h.cup_half_angle))
    return out


def _add_bme(cv: _Canvas, h: _HipSide, rng: np.random.Generator, geo: _Geometry,
             masks: dict[str, np.ndarray], tissue: _Tissue) -> None:
    """Femoral and acetabular bone marrow edema as smooth fields clipped to the marrow of their bone."""
    r_in = h.radius + h.gap
    plans = [("femoral_bme", _femoral_bme, _head_region(h), 1.2, h.lesions["bme_strength"]),
             ("acetabular_bme", _acetabular_bme,
              _cup(h.centre, r_in + 2.6, r_in + h.cup_thickness, h.cup_axis, h.cup_half_angle - 2.0), 1.6,
              h.lesions["acetabular_strength"])]
    for region, make, bone, inset, strength in plans:
        if not h.lesions[region]:
            continue
        inside = cv.mask(bone, inset=inset)
        lesion = np.zeros(cv.shape, dtype=bool)
        peak = tissue.yellow + (1.0 - tissue.yellow) * strength
        tau = rng.uniform(1.5, 3.0)
        for blob in make(h, rng, geo):
            lesion |= _edema(cv, blob, inside, peak, tau)
        masks[segment(h.name, region).name] = lesion


def _edema(cv: _Canvas, core: _Shape, inside: np.ndarray, peak: float, tau: float) -> np.ndarray:
    """Paint one edema: signal fraction f = logistic(-(SDF + feathering) / tau), brightest in the
    core (f to 1) and fading out over several millimetres with irregular, feathery margins; returns
    the part a reader would outline (f above EDEMA_OUTLINE) inside the marrow."""
    found = cv.evaluate(_padded(core, 5.0 * tau + 6.0))
    if found is None:
        return np.zeros(cv.shape, dtype=bool)
    box, sd, _ = found
    radius = float(np.min(core.hi - core.lo)) / 2.0
    feather = sd + np.float32(1.5) * cv.fine[box] + np.float32(1.3) * cv.medium[box]
    f = np.float32(1.0) / (np.float32(1.0) + np.exp(np.clip(feather / np.float32(tau), -30.0, 30.0)))
    f *= np.float32(0.7) + np.float32(0.3) * np.clip(-sd / np.float32(max(radius, 1.0)), 0.0, 1.0)
    inner = inside[box]
    target = cv.image[box]
    value = np.float32(peak) * (1.0 + np.float32(0.1) * cv.fine[box])
    target += f * inner * (value - target)
    return cv.full(box, (f > EDEMA_OUTLINE) & inner)


def _add_effusion(cv: _Canvas, h: _HipSide, envelope: _Shape, excluded: np.ndarray,
                  masks: dict[str, np.ndarray]) -> None:
    """Fluid (or thickened synovium) filling the distended capsule wherever there is no bone,
    cartilage or labrum: crisp at the capsule, following the neck into its recesses."""
    found = cv.evaluate(envelope)
    if found is None:
        return
    box, sd, _ = found
    region = (sd < 0) & ~excluded[box]
    v = np.float32(h.lesions["effusion_value"])
    grain = np.float32(0.15 if h.lesions["effusion_kind"] == "synovitis" else 0.04)
    cv.paint(envelope, [(0.0, lambda b, xyz, s: v * (1.0 + grain * cv.fine[b]))],
             where=lambda b, s, xyz: region.astype(np.float32), found=found)
    masks[segment(h.name, "effusion").name] = cv.full(box, region)


def _acquire(cv: _Canvas, rng: np.random.Generator, geo: _Geometry, body: tuple[float, float],
             conf: Optional[conf_mod.Confounders] = None, sides: Optional[list[_HipSide]] = None) -> dict:
    """Fine tissue texture, slice profile, (generator 3: ghosts), coil bias (generator 3: stronger
    shading), Rician noise, 12-bit storage."""
    texture_amp = rng.uniform(0.02, 0.05)
    image = cv.image * (1.0 + np.float32(texture_amp) * cv.fine)
    image = mri.slice_profile(image, rng)
    if conf is not None:
        image = conf.ghosts(cv, image, sides or [])
    image = image * mri.coil_bias(rng, geo.shape, geo.ijk_to_patient, body)
    if conf is not None:
        image = conf.shading(image)
    sigma = rng.uniform(0.012, 0.03)
    image = mri.rician_noise(image, rng, sigma)
    gain = rng.uniform(700.0, 1400.0)
    return {"stored": mri.to_stored(image, gain), "noise_sigma": round(float(sigma), 5),
            "gain": round(float(gain), 3), "texture": round(float(texture_amp), 4)}


def render_hip_case(rng: np.random.Generator, config: Optional[HipPhantomConfig] = None
                    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """One case in memory: (STIR uint16 [k, j, i] as it would be stored, truth masks by segment
    name (bool, same grid), 4x4 IJK-to-RAS)."""
    r = _render(rng, config or HipPhantomConfig())
    return r.stir, r.masks, r.geometry.ijk_to_ras
