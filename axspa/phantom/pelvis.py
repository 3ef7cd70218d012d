"""AP pelvis radiograph phantom with a modified New York grade (0-4) for each sacroiliac joint.

Anatomy in millimetres (x toward the image right = patient left, y inferior, origin on the
midline at the top of the SI joints): L5 with pedicles and transverse processes, the sacrum
with its foramina, iliac wings, both SI joints, acetabula and femoral heads, pubic and ischial
rami around the obturator foramina, soft tissue and bowel gas.

Each SI joint is seen obliquely, so it shows two joint lines (the anterior and posterior margins)
converging inferiorly, with sacrum and ilium overlapping between them. Its grade is drawn as:
0 a crisp gap of even width; 1 slightly blurred margins and faint sclerosis; 2 a few small
erosions and subchondral sclerosis, width unchanged; 3 many erosions (irregular, pseudo-widened
margins), marked sclerosis and partial ankylosis (bone bridges); 4 total ankylosis (the gap is
filled, a ghost line at most). Grades per side are drawn from configurable probabilities; the
two sides are often equal (symmetry), with each side's marginal distribution kept exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.xray import Acquisition, acquire, photograph_screen, sample_acquisition, wide_blur
from axspa.sij import is_definite

DEFAULT_GRADE_PROBS: tuple[float, ...] = (0.35, 0.15, 0.15, 0.2, 0.15)


@dataclass
class PelvisConfig:
    grade_probs: tuple[float, ...] = DEFAULT_GRADE_PROBS  # per side, grades 0..4
    symmetry: float = 0.6  # probability that the second side copies the first side's grade
    photo_fraction: float = 0.1  # cases written as a smartphone photo of a screen (JPEG)
    size: str = "full"

    def __post_init__(self) -> None:
        p = np.asarray(self.grade_probs, dtype=float)
        if p.shape != (5,) or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
            raise ValueError(f"grade_probs must be 5 probabilities summing to 1, got {self.grade_probs}")


def sample_grades(rng: np.random.Generator, config: PelvisConfig) -> dict[str, int]:
    """Per-side grades. The first side is drawn from grade_probs; the second copies it with
    probability ``symmetry``, else is drawn independently, so both sides follow grade_probs."""
    p = np.asarray(config.grade_probs, dtype=float)
    first = int(rng.choice(5, p=p))
    second = first if rng.random() < config.symmetry else int(rng.choice(5, p=p))
    if rng.random() < 0.5:
        return {"right": first, "left": second}
    return {"right": second, "left": first}


# ------------------------------------------------------------------------------------ drawing

class _Canvas:
    def __init__(self, shape: tuple[int, int], matrix: np.ndarray, spacing: float):
        self.m, self.sp = matrix, spacing
        self.soft, self.smooth, self.bone, self.cortex, self.carve, self.haze = (
            np.zeros(shape, np.float32) for _ in range(6))

    def px(self, mm) -> np.ndarray:
        return shapes.transform_points(np.atleast_2d(np.asarray(mm, dtype=float)), self.m)

    def poly(self, layer, mm, value, ss=3):
        shapes.fill_polygon(layer, self.px(mm), value, ss=ss)

    def line(self, layer, mm, width_mm, value, closed=False):
        shapes.stroke_polyline(layer, self.px(mm), max(width_mm / self.sp, 0.7), value, closed=closed)

    def ellipse(self, layer, c, radii, angle, value, ss=3):
        self.poly(layer, shapes.ellipse_points(c, radii, angle, 40), value, ss=ss)

    def dome(self, layer, c, r, value, rings=12):
        fr = np.linspace(1.0, 0.2, rings)
        prof = np.sqrt(1 - np.append(fr[1:], 0.0) ** 2) - np.sqrt(1 - fr ** 2)
        for f, dv in zip(fr, prof):
            self.ellipse(layer, c, (r * f, r * f), 0, value * dv, ss=2)


def _mirror(pts, side: int) -> np.ndarray:
    """side = -1 for the patient's right (image left), +1 for the patient's left."""
    pts = np.asarray(pts, dtype=float)
    return pts * np.array([side, 1.0])


def _joint_lines(rng: np.random.Generator, side: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The two joint lines of one SI joint (lateral/anterior and medial/posterior), top to bottom."""
    t = np.linspace(0, 1, 24)[:, None]
    top = np.array([rng.uniform(38, 46), rng.uniform(-4, 4)]) * scale
    bottom = np.array([rng.uniform(30, 38), rng.uniform(70, 85)]) * scale
    bulge = rng.uniform(6, 12) * scale
    lateral = top + (bottom - top) * t + np.array([bulge, 0]) * np.sin(np.pi * t)
    spread = rng.uniform(6, 11) * scale * (1 - t) ** 1.2
    medial = lateral - np.hstack([spread, np.zeros_like(spread)]) + np.array([0, 4 * scale]) * (1 - t)
    return _mirror(lateral, side), _mirror(medial, side)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in a 1-D mask."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if not m and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return [r for r in out if r[1] > r[0]]


def _draw_joint(cv: _Canvas, rng: np.random.Generator, side: int, grade: int, scale: float,
                lines: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    lateral, medial = lines
    normal_out = np.array([side, 0.0])  # toward the ilium
    n = len(lateral)
    width = rng.uniform(2.5, 4.0) * scale
    # Where the joint is fused: none for 0-2, segments for 3 (partial), everything for 4.
    fused = np.zeros(n, dtype=bool)
    if grade == 3 and rng.random() < 0.6:
        start = int(rng.integers(0, n - 6))
        fused[start:start + int(rng.integers(4, 10))] = True
    if grade == 4:
        fused[:] = True
    # Joint gap: dark band along each line, drawn over the runs that are not fused.
    for line, strength in ((lateral, 1.0), (medial, 0.55)):
        w = width * (0.8 if line is medial else 1.0)
        if grade >= 3:
            w *= rng.uniform(1.2, 1.6)  # pseudo-widening by marginal erosions
        for run in _runs(~fused):
            cv.line(cv.carve, line[run[0]:run[1] + 1], w, 0.85 * strength)
        if grade == 4 and line is lateral and rng.random() < 0.5:
            cv.line(cv.carve, line, 0.6 * scale, 0.15)  # ghost of the fused joint
        # Subchondral cortex: thin bright lines on both margins of an intact gap.
        if grade <= 1:
            cv.line(cv.cortex, line + normal_out * (w / 2 + 0.5), 0.9, 0.35 * strength)
            cv.line(cv.cortex, line - normal_out * (w / 2 + 0.5), 0.9, 0.3 * strength)
    # Erosions: bites out of the margins (iliac side mostly), more and larger with grade.
    n_eros = {0: 0, 1: int(rng.integers(0, 2)), 2: int(rng.integers(2, 5)), 3: int(rng.integers(6, 12)), 4: 0}[grade]
    for _ in range(n_eros):
        i = int(rng.integers(1, n - 1))
        if fused[i]:
            continue
        r = rng.uniform(1.2, 2.5) * scale * (1.3 if grade == 3 else 1.0)
        c = lateral[i] + normal_out * rng.uniform(0.5, 1.5) * r * (1 if rng.random() < 0.7 else -1)
        cv.ellipse(cv.carve, c, (r, r * rng.uniform(0.6, 1.0)), rng.uniform(0, 180), 0.7)
    # Subchondral sclerosis: a dense band on the iliac side, fading laterally.
    scl = {0: 0.0, 1: 0.08, 2: 0.25, 3: 0.4, 4: 0.15}[grade] * rng.uniform(0.7, 1.3)
    if scl > 0:
        depth = rng.uniform(6, 14) * scale * (1.5 if grade >= 3 else 1.0)
        for f in (1.0, 0.66, 0.33):
            band = np.vstack([lateral, (lateral + normal_out * depth * f)[::-1]])
            cv.poly(cv.haze, band, scl / 3)
        if grade >= 2:
            cv.poly(cv.haze, np.vstack([lateral, (lateral - normal_out * depth * 0.4)[::-1]]), scl / 3)
    # Partial ankylosis: bone bridges across the fused segments.
    if grade == 3 and fused.any():
        cv.line(cv.bone, lateral[fused], width * 1.5, 0.25)
    return lateral


def render_pelvis(rng: np.random.Generator, grades: dict[str, int], shape: tuple[int, int], matrix: np.ndarray,
                  spacing: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noiseless attenuation map and the lateral joint line of each side (mm)."""
    cv = _Canvas(shape, matrix, spacing)
    sc = rng.uniform(0.9, 1.1)
    # Soft tissue: hips and abdomen, wider than the field; bowel gas over the upper half.
    body = shapes.ellipse_points((0, 90 * sc), (rng.uniform(215, 260) * sc, 300 * sc), 0, 80)
    cv.poly(cv.soft, body, rng.uniform(2.5, 3.5), ss=1)
    for _ in range(int(rng.integers(4, 14))):
        c = (rng.uniform(-150, 150) * sc, rng.uniform(-90, 60) * sc)
        cv.ellipse(cv.smooth, c, (rng.uniform(8, 30), rng.uniform(6, 18)), rng.uniform(0, 180),
                   -rng.uniform(0.3, 0.9), ss=1)
    # Iliac wings: fan-shaped, thin centrally with a dense crest; medial edge at the SI joint.
    joints = {}
    # The joint lines come first: the sacrum reaches the lateral (anterior) line, the ilium the medial
    # (posterior) one, so the two bones overlap between them as the oblique joint does on an AP view.
    lines = {side: _joint_lines(rng, side, sc) for side in (-1, 1)}
    for side in (-1, 1):
        outer = _mirror(np.array([[45, 95], [85, 118], [118, 108], [133, 60], [146, 5], [150, -35], [128, -62],
                                  [80, -58], [42, -22]]) * sc, side)
        wing_s = shapes.smooth_closed(np.vstack([lines[side][1], outer]), 140, 0.008)
        cv.poly(cv.bone, wing_s, 0.16)
        cv.line(cv.cortex, wing_s, 1.5, 0.2, closed=True)
        # The thick iliac body (sciatic buttress) from the SI joint down to the acetabulum.
        cv.line(cv.smooth, _mirror(np.array([[50, 20], [75, 80], [100, 125]]) * sc, side), 40 * sc, 0.15)
        crest = _mirror(shapes.bezier((42, -24), (95, -82), (150, -35), 20) * sc, side)
        cv.line(cv.cortex, crest, 6 * sc, 0.25)
        # Iliopectineal line: the pelvic brim from the SI joint to the pubis.
        brim = _mirror(shapes.bezier((45, 60), (75, 110), (25, 180), 20) * sc, side)
        cv.line(cv.cortex, brim, 2.5, 0.35)
        # Acetabulum and femoral head, neck and greater trochanter.
        fh = _mirror(np.array([[100, 150]]) * sc, side)[0]
        cv.dome(cv.bone, fh, 24 * sc, 0.75)
        roof = _mirror(shapes.bezier((72, 135), (100, 105), (128, 128), 16) * sc, side)
        cv.line(cv.cortex, roof, 3, 0.4)
        neck = _mirror(np.array([[105, 160], [140, 195]]) * sc, side)
        cv.line(cv.bone, neck, 30 * sc, 0.45)
        cv.ellipse(cv.bone, _mirror([[150, 190]], side)[0] * sc, (16 * sc, 22 * sc), 0, 0.45)
        cv.line(cv.bone, _mirror(np.array([[138, 205], [128, 260]]) * sc, side), 34 * sc, 0.6)
        # Pubic and ischial rami around the obturator foramen.
        obt = shapes.ellipse_points(_mirror([[50, 205]], side)[0] * sc, (22 * sc, 15 * sc), side * 20, 40)
        cv.line(cv.bone, obt, 10 * sc, 0.45, closed=True)
        cv.line(cv.cortex, obt, 1.2, 0.25, closed=True)
    # Sacrum: between the joints, tapering down; foramina as dark ovals in two columns.
    right_l, left_l = lines[-1][0], lines[1][0]
    tail = shapes.bezier(left_l[-1], np.array([20, 125]) * sc, np.array([0, 145]) * sc, 10)[1:]
    tail_r = shapes.bezier(np.array([0, 145]) * sc, np.array([-20, 125]) * sc, right_l[-1], 10)[1:-1]
    top = shapes.bezier(right_l[0], np.array([0, -22]) * sc, left_l[0], 12)[1:-1]
    sac = np.vstack([top, left_l, tail, tail_r, right_l[::-1]])
    cv.poly(cv.bone, sac, 0.3)
    for k in range(4):
        for side in (-1, 1):
            c = (side * (22 - 3 * k) * sc, (12 + 26 * k) * sc)
            cv.ellipse(cv.carve, c, (5 * sc * (1 - 0.1 * k), 4 * sc), 0, 0.35)
            cv.line(cv.cortex, shapes.ellipse_points(c, (6 * sc, 5 * sc), 0, 24)[2:11], 1.0, 0.2)
    cv.line(cv.bone, np.array([[0, 0], [0, 120]]) * sc, 5, 0.1)  # median sacral crest
    # L5 above: body, disc, pedicles, transverse processes, spinous process.
    l5c = np.array([0, -45]) * sc
    body = shapes.rounded_quad(l5c + np.array([[-27, -14], [27, -14], [29, 14], [-29, 14]]) * sc, 3 * sc)
    cv.poly(cv.bone, body, 0.5)
    cv.line(cv.cortex, body, 1.5, 0.35, closed=True)
    for side in (-1, 1):
        ped = l5c + np.array([side * 17, -3]) * sc
        cv.line(cv.cortex, shapes.ellipse_points(ped, (5 * sc, 7 * sc), 0, 24), 2.0, 0.4, closed=True)
        tp = np.array([l5c + np.array([side * 25, 0]) * sc, l5c + np.array([side * 52, 6]) * sc])
        cv.line(cv.bone, tp, 12 * sc, 0.3)
    cv.ellipse(cv.bone, l5c + np.array([0, 10]) * sc, (4 * sc, 11 * sc), 0, 0.3)
    # Pubic symphysis.
    for side in (-1, 1):
        cv.ellipse(cv.bone, (side * 12 * sc, 205 * sc), (9 * sc, 20 * sc), 0, 0.4)
    # The SI joints themselves, graded.
    for name, side in (("right", -1), ("left", 1)):
        joints[name] = _draw_joint(cv, rng, side, grades[name], sc, lines[side])
    tex_noise = rng.standard_normal((shape[0] // 2 + 1, shape[1] // 2 + 1), dtype=np.float32)
    tex = ndimage.gaussian_filter(tex_noise, 0.25 / spacing)
    tex = 1 + 0.12 * np.tanh(tex / (tex.std() + 1e-6))
    tex = np.repeat(np.repeat(tex, 2, 0), 2, 1)[: shape[0], : shape[1]]
    bone = (cv.bone * tex + cv.cortex) * (1 - np.clip(cv.carve, 0, 0.9))
    # Blur the joint region a little more for grade >= 1 (indistinct margins) via the haze layer.
    haze = ndimage.gaussian_filter(cv.haze, 1.5 / spacing) if cv.haze.any() else 0.0
    smooth = wide_blur(cv.smooth, 5 / spacing) if cv.smooth.any() else 0.0
    density = ndimage.gaussian_filter(cv.soft, 1.0) + smooth + bone + haze
    return density.astype(np.float32), joints


# --------------------------------------------------------------------------------------- case

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
    rng = np.random.default_rng([seed, index, 2])
    grades = sample_grades(rng, config)
    fov_w = rng.uniform(320, 420)
    fov_h = fov_w * rng.uniform(0.72, 0.85)
    if config.size == "small":
        spacing = max(fov_w, fov_h) / 512
    else:
        spacing = max(rng.uniform(0.1, 0.2), max(fov_w, fov_h) / 2000)
    spacing = float(round(spacing, 4))
    shape = (int(round(fov_h / spacing)), int(round(fov_w / spacing)))
    rot = float(np.clip(rng.normal(0, 4), -12, 12))
    c, s = np.cos(np.deg2rad(rot)), np.sin(np.deg2rad(rot))
    centre_mm = np.array([fov_w / 2 + rng.normal(0, 10), rng.uniform(95, 120)])
    a = np.array([[c, -s], [s, c]]) / spacing
    matrix = np.hstack([a, (centre_mm / spacing)[:, None]])
    density, joints = render_pelvis(rng, grades, shape, matrix, spacing)
    markers = ["R"] + (["AP", "SUPINE"][int(rng.integers(0, 2)):][:1] if rng.random() < 0.5 else [])
    acq = sample_acquisition(rng, shape, spacing, markers)
    pixels, pres = acquire(density, acq, rng)
    photo = None
    if rng.random() < config.photo_fraction:
        photo, photo_params = photograph_screen(pres, rng)
        pixels = None
    else:
        photo_params = None
    joints_px = {k: shapes.transform_points(v, matrix).round(2).tolist() for k, v in joints.items()}
    truth = _truth(case_id, grades, shape, spacing, acq, photo, photo_params, joints_px, seed, index, rot)
    return PelvisCase(case_id, grades, pixels, photo, pres, density, acq, spacing, truth)


def _truth(case_id, grades, shape, spacing, acq, photo, photo_params, joints_px, seed, index, rot) -> dict:
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
        "phantom": {"generator": "axspa.phantom.pelvis", "seed": seed, "index": index,
                    "rotation_deg": round(rot, 3),
                    "joint_lines_px": None if photo is not None else joints_px,
                    "photographed_screen": photo_params, "acquisition": acq.to_dict()},
    }


def write_pelvis_case(case: PelvisCase, out_dir: Path) -> dict:
    """Write <id>.dcm (or <id>.jpg for a photographed screen) and <id>.truth.json."""
    from axspa.io.dicom_write import write_radiograph_dicom

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = json.loads(json.dumps(case.truth))
    if case.photo_jpeg is not None:
        (out_dir / f"{case.case_id}.jpg").write_bytes(case.photo_jpeg)
    else:
        acq = case.acquisition
        dcm = out_dir / f"{case.case_id}.dcm"
        write_radiograph_dicom(
            dcm, case.pixels, spacing_mm=(case.spacing, case.spacing), photometric=acq.photometric,
            modality=acq.modality, bits_stored=acq.bits_stored, body_part="PELVIS", view_position="AP",
            spacing_tag=acq.spacing_tag, patient_id=case.case_id.upper(),
            seed_uid_from=f"axspa-phantom-{case.case_id}-{case.truth['phantom']['seed']}",
            extra={"SeriesDescription": "PELVIS AP", "ProtocolName": "PHANTOM",
                   "BurnedInAnnotation": "YES" if acq.markers else "NO"})
        truth["input"]["sha256"] = hashlib.sha256(dcm.read_bytes()).hexdigest()
    (out_dir / f"{case.case_id}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth
