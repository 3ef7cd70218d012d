"""Generator 3: the confounders real hip STIR shows that are bright-ish but are NOT edema.

A model trained on uniform fatty femoral-head marrow draws edema wherever real marrow is uneven. So
each case draws, independently and each with its own probability, confounders that never enter the
truth masks: red-marrow islands, a visible physeal scar, fluid in the fovea capitis, intraosseous
vessels, a trabecular texture, partial volume under the cortex (tissue, painted before the edema and
the acquisition); failed fat suppression in patches (with or without a metal clip), strong coil
shading, motion and flow ghosts (acquisition).

Everything is drawn from its own generator (``confounder_rng``), never from the case's, so the
anatomy, the lesions, their masks and generator 2's draws stay exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from axspa.phantom import mri
from axspa.phantom.hip.bone import _head, _physis
from axspa.phantom.hip.canvas import Box, _Canvas
from axspa.phantom.hip.config import CARTILAGE, CORTEX
from axspa.phantom.hip.geometry import _Geometry, _HipSide
from axspa.phantom.hip.sdf import _capsule, _cup, _Shape, _sphere, _union, _unit, _v

# Probability that a case shows each confounder; a case draws each one independently, and a
# fraction NONE of the cases has none at all (the clean phantoms stay in the mix).
NONE = 0.12
PROBABILITY = {
    "red_marrow": 0.55, "physeal_scar": 0.5, "fovea_fluid": 0.45, "vessels": 0.5, "trabecular": 0.6,
    "cortex_partial_volume": 0.5, "fat_sat_failure": 0.45, "metal": 0.15, "coil_shading": 0.5,
    "motion_ghosts": 0.35, "flow_ghosts": 0.4,
}


def confounder_rng(rng: np.random.Generator) -> np.random.Generator:
    """A generator of its own derived from the case's seed without drawing from (or advancing) it."""
    seq = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 3)))


def _r(value: float) -> float:
    return round(float(value), 4)


@dataclass
class Confounders:
    rng: np.random.Generator
    on: dict[str, bool]
    drawn: dict = field(default_factory=dict)  # parameters as drawn, for truth.json

    # --- tissue ----------------------------------------------------------------------------------

    def fat_gain(self, geo: _Geometry) -> Optional[np.ndarray]:
        """Multiplier (>= 1) of the fat signal where the inversion pulse fails: smooth patches, worse
        off-centre (B0/B1 inhomogeneity grows away from the isocentre) and around a metal clip."""
        if not (self.on["fat_sat_failure"] or self.on["metal"]):
            return None
        rng, blobs = self.rng, []
        if self.on["fat_sat_failure"]:
            for _ in range(int(rng.integers(1, 4))):
                angle, rho = rng.uniform(0, 2 * np.pi), rng.uniform(40.0, 180.0)
                centre = _v(rho * np.cos(angle), rng.uniform(-60, 60), rho * np.sin(angle))
                blobs.append((centre, rng.uniform(20.0, 70.0), rng.uniform(0.8, 4.0)))
        if self.on["metal"]:
            self.drawn["metal"] = self._metal_site()
            blobs.append((np.asarray(self.drawn["metal"]["centre_mm"]), rng.uniform(25.0, 50.0),
                          rng.uniform(2.0, 4.5)))
        self.drawn["fat_sat_failure"] = [{"centre_mm": [_r(v) for v in c], "sigma_mm": _r(s), "gain": _r(g)}
                                         for c, s, g in blobs]
        x, y, z = mri.voxel_coordinates(geo.shape, geo.ijk_to_patient, 8)  # smooth: coarse grid
        coarse = np.ones(np.broadcast_shapes(x.shape, y.shape, z.shape), dtype=np.float32)
        for c, s, g in blobs:
            d2 = (x - np.float32(c[0])) ** 2 + (y - np.float32(c[1])) ** 2 + (z - np.float32(c[2])) ** 2
            coarse += np.float32(g) * np.exp(-d2 / np.float32(2 * s * s))
        return mri.upsample(coarse, geo.shape)

    def _metal_site(self) -> dict:
        """A surgical clip in the inguinal soft tissue, well clear of the joints."""
        rng = self.rng
        s = rng.choice([-1.0, 1.0])
        centre = _v(s * rng.uniform(40.0, 130.0), rng.uniform(55.0, 80.0), rng.uniform(-60.0, 40.0))
        return {"centre_mm": [_r(v) for v in centre], "radius_mm": _r(rng.uniform(2.0, 5.0)),
                "rim_mm": _r(rng.uniform(1.2, 3.0)), "rim_value": _r(rng.uniform(0.6, 1.2))}

    def paint_bone(self, cv: _Canvas, sides: list[_HipSide], yellow: float) -> None:
        """Marrow confounders, after the bones and before the edema (which paints over them)."""
        if self.on["red_marrow"]:
            self._red_marrow(cv, sides, yellow)
        if self.on["trabecular"]:
            self._trabecular(cv, sides)
        if self.on["cortex_partial_volume"]:
            self._cortex_partial_volume(cv, sides)
        if self.on["vessels"]:
            self._vessels(cv, sides)
        if self.on["physeal_scar"]:
            self._physeal_scar(cv, sides, yellow)
        if self.on["fovea_fluid"]:
            self._fovea_fluid(cv, sides)

    def _red_marrow(self, cv: _Canvas, sides: list[_HipSide], yellow: float) -> None:
        """Patchy haematopoietic islands in the head, neck and acetabulum (adults too): between
        yellow marrow and about half-way to edema; mirrored in both hips in some cases."""
        rng = self.rng
        symmetric = bool(rng.random() < 0.4)
        level = rng.uniform(0.05, 0.25)  # of the way from yellow marrow to fluid; edema is 0.3-0.85
        threshold, soft = rng.uniform(-0.2, 1.0), rng.uniform(0.6, 1.5)
        waves, envelope = _waves(rng, 10, (8.0, 30.0)), _waves(rng, 3, (40.0, 90.0))  # islands, and where
        acetabulum = bool(rng.random() < 0.6)
        self.drawn["red_marrow"] = {"level": _r(level), "threshold": _r(threshold), "symmetric": symmetric,
                                    "acetabulum": acetabulum}
        add = np.float32((1.0 - yellow) * level)

        def islands(xyz: list) -> np.ndarray:
            x = np.abs(xyz[0]) if symmetric else xyz[0]
            patchy = _wave_field(waves, x, xyz[1], xyz[2]) + np.float32(0.6) * _wave_field(envelope, x, xyz[1], xyz[2])
            return add * np.clip((patchy - threshold) / soft, 0.0, 1.0)

        for h in sides:
            _add_inside(cv, _head_neck(h), 2.5, islands)
            if acetabulum:
                r_in = h.radius + h.gap
                _add_inside(cv, _cup(h.centre, r_in + 2.6, r_in + h.cup_thickness, h.cup_axis,
                                     h.cup_half_angle - 2.0), 1.6, islands)

    def _trabecular(self, cv: _Canvas, sides: list[_HipSide]) -> None:
        """Fine trabecular lines in the head and neck along the principal compressive group (from
        the weight-bearing dome down to the medial neck cortex): multiplicative texture."""
        rng = self.rng
        amp = rng.uniform(0.05, 0.2)
        shortest = max(1.5, 2.2 * float(cv.edge))  # no finer than the grid resolves
        self.drawn["trabecular"] = {"amplitude": _r(amp)}
        for h in sides:
            waves = _waves(rng, 8, (shortest, shortest * 2.0), across=_unit(_v(-h.s * 0.35, 0.0, 1.0)))

            def texture(xyz: list, waves: tuple = waves) -> np.ndarray:
                return np.float32(amp) * _wave_field(waves, *xyz)

            _add_inside(cv, _head_neck(h), 1.5, texture, relative=True)

    def _cortex_partial_volume(self, cv: _Canvas, sides: list[_HipSide]) -> None:
        """Cartilage and cortex averaged into the outermost marrow voxels: a brighter band under the
        head's surface, wider where the thick slice cuts the surface obliquely (top and bottom)."""
        amp, width = self.rng.uniform(0.15, 0.45), self.rng.uniform(0.6, 1.6)
        self.drawn["cortex_partial_volume"] = {"amplitude": _r(amp), "width_px": _r(width)}
        for h in sides:
            found = cv.evaluate(_head(h))
            if found is None:
                continue
            box, sd, _ = found
            depth = -sd - np.float32(1.2)  # below the cortex
            band = np.clip(1.0 - depth / (np.float32(width) * cv._width(sd)), 0.0, 1.0) * (depth > 0)
            target = cv.image[box]
            target += np.float32(amp) * band * (np.float32(CARTILAGE) - target)

    def _vessels(self, cv: _Canvas, sides: list[_HipSide]) -> None:
        """Nutrient and retinacular vessels: thin bright rods running mostly front to back, so each
        shows as a small dot continuous over a few coronal slices."""
        rng = self.rng
        count = 0
        for h in sides:
            for _ in range(int(rng.integers(1, 5))):
                in_neck = rng.random() < 0.4
                base = h.centre + h.neck_dir * h.radius * (rng.uniform(0.9, 1.5) if in_neck else 0.0)
                centre = base + rng.normal(0.0, 1.0, 3) * h.radius * (0.12 if in_neck else 0.25)
                direction = _unit(_v(rng.normal(0, 0.35), 1.0, rng.normal(0, 0.35)))
                half = rng.uniform(4.0, 10.0)
                cv.paint(_capsule(centre - direction * half, centre + direction * half, rng.uniform(0.5, 1.1)),
                         [(0.0, rng.uniform(0.3, 0.6))])
                count += 1
        self.drawn["vessels"] = {"count": count}

    def _physeal_scar(self, cv: _Canvas, sides: list[_HipSide], yellow: float) -> None:
        """The physeal scar redrawn thicker: dark (sclerotic) or bright (residual cartilage/fluid-like)."""
        rng = self.rng
        bright = bool(rng.random() < 0.45)
        half = rng.uniform(0.6, 1.2) if bright else rng.uniform(0.8, 1.6)
        value = yellow + (1.0 - yellow) * rng.uniform(0.12, 0.3) if bright else CORTEX
        self.drawn["physeal_scar"] = {"variant": "bright" if bright else "dark", "half_thickness_mm": _r(half),
                                      "value": _r(value)}
        for h in sides:
            marrow = cv.mask(_head_neck(h), inset=1.5)
            cv.paint(_physis(h, half), [(0.0, value)],
                     where=lambda box, sd, xyz, marrow=marrow: marrow[box].astype(np.float32))

    def _fovea_fluid(self, cv: _Canvas, sides: list[_HipSide]) -> None:
        """A little joint fluid in the fovea capitis: a small bright spot on the medial head surface."""
        rng = self.rng
        self.drawn["fovea_fluid"] = {}
        for h in sides:
            u = _unit(_v(-h.s, -0.15, -0.45))  # as bone._fovea
            radius, value = rng.uniform(1.5, 3.0), rng.uniform(0.55, 0.95)
            cv.paint(_sphere(h.centre + u * (h.radius - 0.5), radius), [(0.0, value)])
            self.drawn["fovea_fluid"][h.name] = {"radius_mm": _r(radius), "value": _r(value)}

    def paint_metal(self, cv: _Canvas) -> None:
        """The clip itself, last: a signal void with a bright rim of piled-up signal."""
        site = self.drawn.get("metal")
        if site:
            r, rim = site["radius_mm"], site["rim_mm"]
            cv.paint(_sphere(np.asarray(site["centre_mm"]), r + rim), [(0.0, site["rim_value"]), (rim, 0.0)])

    # --- acquisition -----------------------------------------------------------------------------

    def ghosts(self, cv: _Canvas, image: np.ndarray, sides: list[_HipSide]) -> np.ndarray:
        """Motion ghosts (faint copies of the whole image) and pulsatile flow ghosts (copies of the
        bright femoral veins only), shifted along the phase-encode direction (rows or columns)."""
        if not (self.on["motion_ghosts"] or self.on["flow_ghosts"]):
            return image
        rng = self.rng
        axis = int(rng.choice([1, 2]))
        self.drawn["phase_encode"] = "rows (S-I)" if axis == 1 else "columns (R-L)"
        out = image.copy()
        if self.on["motion_ghosts"]:
            a0, decay = rng.uniform(0.03, 0.15), rng.uniform(0.3, 0.7)
            step = max(1, int(round(rng.uniform(0.06, 0.25) * image.shape[axis])))
            n = int(rng.integers(1, 4))
            self.drawn["motion_ghosts"] = {"amplitude": _r(a0), "decay": _r(decay), "step_px": step, "count": n}
            everything = (slice(None),) * 3
            for m in range(1, n + 1):
                weight = np.float32(a0 * decay ** (m - 1))
                for sign in (1, -1):
                    _add_shifted(out, image, everything, weight, axis, sign * m * step)
        if self.on["flow_ghosts"]:
            a0 = rng.uniform(0.1, 0.45)
            step = max(1, int(round(rng.uniform(12.0, 45.0) / float(cv.edge))))
            n = int(rng.integers(1, 5))
            self.drawn["flow_ghosts"] = {"amplitude": _r(a0), "step_px": step, "count": n}
            for box, src in _bright_femoral_veins(cv, sides):
                for m in range(1, n + 1):
                    for sign in (1, -1):
                        _add_shifted(out, src, box, np.float32(a0 * 0.8 ** (m - 1)), axis, sign * m * step)
        return out

    def shading(self, image: np.ndarray) -> np.ndarray:
        """Stronger coil shading than the base model: separable bumps and dips across the slices
        (front to back) and across the columns and rows (a coil element close to or far from the hip)."""
        if not self.on["coil_shading"]:
            return image
        rng = self.rng
        profiles, drawn = [], []
        for n in image.shape:
            t = np.linspace(-1.0, 1.0, n, dtype=np.float32)
            amp, centre, width = rng.uniform(-0.45, 0.8), rng.uniform(-1.0, 1.0), rng.uniform(0.3, 1.2)
            profiles.append(1.0 + np.float32(amp) * np.exp(-((t - np.float32(centre)) / np.float32(width)) ** 2))
            drawn.append({"amplitude": _r(amp), "centre": _r(centre), "width": _r(width)})
        self.drawn["coil_shading"] = drawn
        plane = profiles[1][:, None] * profiles[2][None, :]
        return image * (profiles[0][:, None, None] * plane[None])


def draw(rng: np.random.Generator) -> Confounders:
    """Which confounders this case has (each with its own probability; some cases have none)."""
    none = bool(rng.random() < NONE)
    on = {name: (not none) and bool(rng.random() < p) for name, p in PROBABILITY.items()}
    return Confounders(rng, on)


def record(conf: Optional[Confounders]) -> Optional[dict]:
    """The truth.json entry: each confounder with its drawn parameters, or false."""
    if conf is None:
        return None
    out: dict = {name: conf.drawn.get(name, True) if on else False for name, on in conf.on.items()}
    if "phase_encode" in conf.drawn:
        out["phase_encode"] = conf.drawn["phase_encode"]
    return out


# --- helpers ------------------------------------------------------------------------------------

def _head_neck(h: _HipSide) -> _Shape:
    """Head and neck (no trochanters), as bone._femur draws them: where red islands and vessels lie."""
    neck = _capsule(h.centre + h.neck_dir * 0.3 * h.radius, h.centre + h.neck_dir * h.neck_len,
                    h.neck_radius, h.neck_radius * 1.3)
    return _union([_head(h), neck], 5.0)


def _waves(rng: np.random.Generator, n: int, wavelengths: tuple[float, float],
           across: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """n random plane waves (wave vectors, phases); with ``across`` the crests run along that axis."""
    dirs = rng.normal(size=(n, 3))
    if across is not None:
        dirs -= np.outer(dirs @ across, across)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    k = dirs * (2 * np.pi / rng.uniform(*wavelengths, size=n))[:, None]
    return k.astype(np.float32), rng.uniform(0, 2 * np.pi, size=n).astype(np.float32)


def _wave_field(waves: tuple[np.ndarray, np.ndarray], x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Sum of the plane waves, unit variance: a cheap smooth random field evaluated only in a box."""
    k, phase = waves
    out = np.zeros(np.broadcast_shapes(x.shape, y.shape, z.shape), dtype=np.float32)
    for (kx, ky, kz), p in zip(k, phase):
        out += np.cos(kx * x + ky * y + kz * z + p)
    return out * np.float32(np.sqrt(2.0 / len(phase)))


def _add_inside(cv: _Canvas, shape: _Shape, inset: float, value, relative: bool = False) -> None:
    """Add value(xyz) (times the current signal if ``relative``) deeper than ``inset`` inside the shape,
    fading in over one pixel."""
    found = cv.evaluate(shape)
    if found is None:
        return
    box, sd, xyz = found
    weight = np.clip(np.float32(0.5) - (sd + np.float32(inset)) / cv.edge, 0.0, 1.0)
    target = cv.image[box]
    target += weight * value(xyz) * (target if relative else np.float32(1.0))


def _bright_femoral_veins(cv: _Canvas, sides: list[_HipSide]) -> list[tuple[Box, np.ndarray]]:
    """The bright (slow-flow) signal around the femoral vessels' course in front of each hip, as
    soft_tissue._paint_vessels lays them: the source of the pulsatile ghosts."""
    out = []
    for h in sides:
        x = h.centre[0] - h.s * 33.0
        path = [_v(x - h.s * 8, 32, 40), _v(x, 38, -10), _v(x + h.s * 10, 30, -220)]
        for a, b in zip(path, path[1:]):
            found = cv.evaluate(_capsule(a, b, 14.0))
            if found is None:
                continue
            box, sd, _ = found
            img = cv.image[box]
            out.append((box, np.where((sd < 0) & (img > 0.35), img, np.float32(0.0))))
    return out


def _add_shifted(out: np.ndarray, src: np.ndarray, box: Box, weight: np.float32, axis: int, shift: int) -> None:
    """out[box shifted by ``shift`` along ``axis``] += weight * src (clipped to the grid)."""
    n = out.shape[axis]
    start = (box[axis].start or 0) + shift
    stop = start + src.shape[axis]
    lo, hi = max(start, 0), min(stop, n)
    if hi <= lo:
        return
    dst, part = list(box), [slice(None)] * 3
    dst[axis] = slice(lo, hi)
    part[axis] = slice(lo - start, hi - start)
    out[tuple(dst)] += weight * src[tuple(part)]
