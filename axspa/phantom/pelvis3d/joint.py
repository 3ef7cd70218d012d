"""One sacroiliac joint in 3-D: its auricular surface and the modified New York grade drawn on it.

The joint surface is a ruled, undulating surface between its anterior margin A(z) and posterior margin
P(z): going back from A to P it runs medially (about 15-30 degrees to the sagittal plane), so an AP beam
sees its two margins as two lines, the anterior one lateral, converging toward the inferior end. The
sacrum lies medial of the surface, the ilium lateral, each with a subchondral plate, the joint space
between them. Grades are built in 3-D: blurred, irregular plates (1); small erosions and patchy iliac
sclerosis, width unchanged (2); many erosions, sclerosis on both sides, widening or narrowing, bone
bridges (3); the space filled with bone, plates gone (4). Confounders drawn on normal joints: osteitis
condensans ilii (dense triangle on the iliac side, joint intact) and an anterior degenerative osteophyte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class JointGeometry:
    side: int  # -1 patient right (image left), +1 patient left
    height: float  # craniocaudal length, mm
    x_top: float  # anterior margin |x| at the top, mm
    x_bottom: float
    bulge: float  # lateral bulge of the anterior margin (the auricular C shape)
    spread: float  # |x| between anterior and posterior margins at the top
    y0: float  # sacral centre depth at z = 0
    slope: float  # sacral inclination: dy/dz
    thick_top: float  # sacral thickness at z = 0
    width: float  # joint space, mm
    undulation: float  # amplitude of the surface's ridges, mm
    phase: float

    def t(self, z):
        return np.clip(z / self.height, 0, 1)

    def sacrum_centre(self, z):
        return self.y0 + self.slope * z - 0.0025 * z * z

    def sacrum_thickness(self, z):
        return np.maximum(self.thick_top * (1 - 0.55 * np.clip(z / (1.6 * self.height), 0, 1)), 10.0)

    def y_anterior(self, z):
        return self.sacrum_centre(z) - 0.42 * self.sacrum_thickness(z)

    def y_posterior(self, z):
        return self.sacrum_centre(z) + 0.28 * self.sacrum_thickness(z)

    def x_anterior(self, z):
        t = self.t(z)
        return self.x_top + (self.x_bottom - self.x_top) * t + self.bulge * np.sin(np.pi * t ** 0.8)

    def spread_at(self, z):
        return self.spread * (1 - self.t(z)) ** 1.3 + 1.5

    def tau(self, y, z):
        """Position across the joint, 0 at the anterior margin, 1 at the posterior margin (not clipped)."""
        ya, yp = self.y_anterior(z), self.y_posterior(z)
        return (y - ya) / (yp - ya)

    def surface(self, y, z):
        """|x| of the auricular surface at (y, z), with its ridges; tau clipped to the joint."""
        tau = np.clip(self.tau(y, z), 0, 1)
        ridges = self.undulation * np.sin(2 * np.pi * (1.3 * tau + z / 22.0) + self.phase) * np.sin(np.pi * tau)
        # Parallel to the beam near both margins (there the AP beam runs along the joint space, which is why
        # a radiograph shows two joint lines), oblique in between.
        u = np.clip((tau - 0.3) / 0.4, 0, 1)
        return self.x_anterior(z) - self.spread_at(z) * u * u * (3 - 2 * u) + ridges

    def normal_factor(self, z):
        """Lateral distance -> distance normal to the surface (its mean obliquity)."""
        dy = self.y_posterior(z) - self.y_anterior(z)
        return 1.0 / np.sqrt(1 + (self.spread_at(z) / (0.75 * dy)) ** 2)

    def lateral(self, x, y, z):
        """Signed distance from the surface, positive toward the ilium, normal to the surface (mm)."""
        return (self.side * x - self.surface(y, z)) * self.normal_factor(z)

    def margins_mm(self, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
        """The anterior and posterior margins as (x, y, z) points, top to bottom."""
        z = np.linspace(0, self.height, n)
        ant = np.stack([self.side * self.x_anterior(z), self.y_anterior(z), z], axis=1)
        post = np.stack([self.side * (self.x_anterior(z) - self.spread_at(z)), self.y_posterior(z), z], axis=1)
        return ant, post

    def centre_mm(self) -> np.ndarray:
        z = 0.55 * self.height
        y = 0.5 * (self.y_anterior(z) + self.y_posterior(z))
        return np.array([self.side * float(self.surface(y, z)), float(y), z])

    def box(self, pad: float = 30.0):
        """(lo, hi) of the joint region in mm, with ``pad`` around it."""
        z = np.linspace(0, self.height, 16)
        ys = np.concatenate([self.y_anterior(z), self.y_posterior(z)])
        xs = np.concatenate([self.x_anterior(z), self.x_anterior(z) - self.spread_at(z)])
        x_lo, x_hi = xs.min() - pad, xs.max() + pad
        lo = (min(self.side * x_lo, self.side * x_hi), ys.min() - pad, -pad * 0.6)
        hi = (max(self.side * x_lo, self.side * x_hi), ys.max() + pad, self.height + pad * 0.6)
        return lo, hi


def sample_joint(rng: np.random.Generator, side: int, sc: float, tilt: float) -> JointGeometry:
    return JointGeometry(side=side, height=rng.uniform(62, 78) * sc * tilt, x_top=rng.uniform(42, 48) * sc,
                         x_bottom=rng.uniform(32, 38) * sc, bulge=rng.uniform(4, 8) * sc,
                         spread=rng.uniform(8, 15) * sc, y0=rng.uniform(-6, 2), slope=rng.uniform(0.25, 0.5) * tilt,
                         thick_top=rng.uniform(38, 48) * sc, width=rng.uniform(2.0, 4.0) * sc,
                         undulation=rng.uniform(0.6, 2.0), phase=rng.uniform(0, 2 * np.pi))


@dataclass
class JointFindings:
    """What the grade drew (recorded in the truth file)."""

    grade: int
    width_factor: float = 1.0
    erosions: int = 0
    sclerosis: float = 0.0  # extra attenuation per mm in the sclerotic band
    sclerosis_depth: float = 0.0
    sacral_sclerosis: bool = False
    fused_fraction: float = 0.0
    plate_irregularity: float = 0.0  # mm of wander of the subchondral plate
    confounder: str = ""

    def to_dict(self) -> dict:
        return {k: (round(float(v), 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def sample_findings(rng: np.random.Generator, grade: int, female: bool) -> JointFindings:
    f = JointFindings(grade=grade)
    f.plate_irregularity = {0: 0.0, 1: rng.uniform(0.3, 0.7), 2: rng.uniform(0.5, 1.0), 3: rng.uniform(0.8, 1.5),
                            4: 0.0}[grade]
    f.erosions = {0: 0, 1: int(rng.integers(0, 2)), 2: int(rng.integers(2, 6)), 3: int(rng.integers(7, 15)),
                  4: 0}[grade]
    f.sclerosis = {0: 0.0, 1: rng.uniform(0.0, 0.004), 2: rng.uniform(0.005, 0.010), 3: rng.uniform(0.008, 0.015),
                   4: rng.uniform(0.0, 0.005)}[grade]
    f.sclerosis_depth = rng.uniform(5, 14)
    f.sacral_sclerosis = grade >= 3 and rng.random() < 0.7
    if grade == 3:
        f.width_factor = rng.uniform(1.35, 1.9) if rng.random() < 0.7 else rng.uniform(0.45, 0.65)
        f.fused_fraction = rng.uniform(0.1, 0.4) if rng.random() < 0.5 else 0.0
    if grade == 4:
        f.fused_fraction = 1.0
    if grade <= 1:
        u = rng.random()
        if u < (0.12 if female else 0.03):
            f.confounder = "osteitis condensans ilii"
        elif u < 0.18:
            f.confounder = "anterior osteophyte"
    return f


def _patch(rng: np.random.Generator, shape: tuple[int, int], fraction: float, smooth: float) -> np.ndarray:
    """A random blob mask over a (tau, z) table covering about ``fraction`` of it."""
    if fraction >= 1:
        return np.ones(shape, bool)
    if fraction <= 0:
        return np.zeros(shape, bool)
    n = ndimage.gaussian_filter(rng.standard_normal(shape), smooth, mode="wrap")
    return n > np.quantile(n, 1 - fraction)


def joint_operations(rng: np.random.Generator, g: JointGeometry, f: JointFindings, marrow: float,
                     cortex: float) -> list:
    """The scene operations (see render.py) that draw this joint's findings, after the bones."""
    ops = []
    nz, nt = 48, 16
    z_tab = np.linspace(0, g.height, nz)
    t_tab = np.linspace(0, 1, nt)

    def table(mask: np.ndarray):
        """(tau, z) lookup of a boolean table -> 0..1, smooth."""
        m = ndimage.gaussian_filter(mask.astype(np.float32), 0.7)

        def look(tau, z):
            iz = np.clip(z / g.height * (nz - 1), 0, nz - 1)
            it = np.clip(tau * (nt - 1), 0, nt - 1)
            from scipy.ndimage import map_coordinates
            tb, zb = np.broadcast_arrays(it, iz)
            return map_coordinates(m, np.stack([tb.ravel(), zb.ravel()]), order=1, mode="nearest").reshape(tb.shape)
        return look

    lo, hi = g.box(pad=18)
    in_joint = _joint_extent(g)
    half_w = g.width * f.width_factor / 2
    # Sclerosis: a band on the iliac side (and the sacral side from grade 3), patchy for grade 2.
    if f.sclerosis > 0 or f.confounder == "osteitis condensans ilii":
        frac = {1: 0.5, 2: rng.uniform(0.3, 0.55), 3: rng.uniform(0.7, 1.0), 4: 0.6}.get(f.grade, 0.0)
        patch = table(_patch(rng, (nt, nz), frac, 3.0))
        depth = f.sclerosis_depth
        value = f.sclerosis
        if f.confounder == "osteitis condensans ilii":
            # Dense iliac triangle at the lower anterior joint, sharply bounded, the joint itself intact.
            patch = table((t_tab[:, None] < 0.75) & (z_tab[None, :] > g.height * rng.uniform(0.35, 0.55)))
            depth, value = rng.uniform(12, 22), rng.uniform(0.010, 0.018)

        def ilium_band(x, y, z, patch=patch, depth=depth):
            e = g.lateral(x, y, z) - half_w
            inside = (e > 0) & (e < depth * (0.6 + 0.4 * (1 - g.t(z))))
            w = patch(g.tau(y, z), z) * in_joint(y, z)
            return np.where(inside & (w > 0.5), -1.0, 1.0)
        ops.append(("add", ilium_band, lo, hi, value))
        if f.sacral_sclerosis:
            def sacral_band(x, y, z, patch=patch):
                e = -g.lateral(x, y, z) - half_w
                inside = (e > 0) & (e < 0.5 * depth)
                return np.where(inside & (patch(g.tau(y, z), z) * in_joint(y, z) > 0.5), -1.0, 1.0)
            ops.append(("add", sacral_band, lo, hi, 0.7 * value))
    # Erosions: bites out of the surfaces, mostly iliac, in the synovial (lower two thirds) part.
    for _ in range(f.erosions):
        z = rng.uniform(0.3, 0.95) * g.height
        tau = rng.uniform(0.05, 0.95)
        y = g.y_anterior(z) + tau * (g.y_posterior(z) - g.y_anterior(z))
        r = rng.uniform(1.0, 2.2) * (1.3 if f.grade == 3 else 1.0)
        toward = 1 if rng.random() < 0.7 else -1
        x = g.side * (g.surface(y, z) + toward * (half_w / g.normal_factor(z) + 0.4 * r))
        c = np.array([x, y, z])
        ops.append(("cut", *_sphere(c, r), 0.15))
    # Bone bridges (partial ankylosis) or the whole space filled (total ankylosis).
    if f.fused_fraction > 0:
        fused = table(_patch(rng, (nt, nz), f.fused_fraction, 2.5))
        reach = half_w + (2.4 if f.grade == 4 else 1.2)
        # Bridges reach past both margins: an ankylosed joint has lost its anterior and posterior lines too.
        in_fused = _joint_extent(g, 0.35)

        def bridge(x, y, z):
            e = g.lateral(x, y, z)
            tau = g.tau(y, z)
            # in front of the joint the sacrum turns away (anatomy.sacrum_and_ilia): fill that wedge as well
            near = (e < reach) & (e > -reach - 20.0 * np.clip(-tau, 0, None) * g.normal_factor(z))
            return np.where(near & (fused(np.clip(g.tau(y, z), 0, 1), z) > 0.5) & (in_fused(y, z) > 0.5), -1.0, 1.0)
        ops.append(("set", bridge, lo, hi, marrow * 1.05))
        if f.grade == 4 and rng.random() < 0.5:  # a ghost of the fused joint
            ops.append(("add", lambda x, y, z: np.abs(g.lateral(x, y, z)) - 0.4, lo, hi, -0.25 * marrow))
    if f.confounder == "anterior osteophyte":
        z = g.height * rng.uniform(0.7, 0.95)
        a = np.array([g.side * (g.x_anterior(z) - 4), g.y_anterior(z) - 3, z])
        b = a + np.array([g.side * 8, -2, rng.uniform(-4, 4)])
        from axspa.phantom.solids import capsule
        ops.append(("fill", *capsule(a, b, 2.5, 1.5), marrow * 1.3, cortex))
    return ops


def _joint_extent(g: JointGeometry, margin: float = 0.05):
    """1 inside the joint's (tau, z) extent widened by ``margin`` in tau, 0 outside."""
    def inside(y, z):
        tau = g.tau(y, z)
        return ((tau > -margin) & (tau < 1 + margin) & (z > 0) & (z < g.height)).astype(np.float32)
    return inside


def _sphere(c, r):
    from axspa.phantom.solids import sphere
    return sphere(c, r)
