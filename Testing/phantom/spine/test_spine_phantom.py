"""Lateral spine phantom: reproducible bytes, valid truth, prevalence, truth points on the corners,
DICOM that reads back with the truth's spacing, acquisition variation."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest

from axspa.io.radiograph import read_radiograph
from axspa.phantom.spine import (
    DEFAULT_PREVALENCE,
    SpineConfig,
    make_spine_case,
    sample_findings,
    write_spine_case,
)
from axspa.results import validate
from axspa.spine.rules import grade_sites, segment_score
from axspa.spine.sites import FINDINGS, REGIONS

SMALL = SpineConfig(size="small")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Twelve small cases (cervical and lumbar mixed) written once for the module."""
    out = tmp_path_factory.mktemp("spine")
    truths = [write_spine_case(make_spine_case(f"spine-{i:05d}", 7, i, SMALL), out) for i in range(12)]
    return out, truths


def test_same_seed_same_bytes_and_cases_independent_of_n(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for i in range(2):
        write_spine_case(make_spine_case(f"spine-{i:05d}", 11, i, SMALL), a)
    # Case 1 made alone (as with --start 1 --n 1) is the same case.
    write_spine_case(make_spine_case("spine-00001", 11, 1, SMALL), b)
    for name in ("spine-00001.dcm", "spine-00001.truth.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    # A different seed gives a different image.
    write_spine_case(make_spine_case("spine-00000", 12, 0, SMALL), b)
    assert (a / "spine-00000.dcm").read_bytes() != (b / "spine-00000.dcm").read_bytes()


def test_truth_validates_and_lists_every_site_once(written):
    out, truths = written
    regions = set()
    for truth in truths:
        validate(truth, "spine")
        regions.add(truth["region"])
        ids = [s["id"] for s in truth["sites"]]
        assert ids == list(REGIONS[truth["region"]])
        for s in truth["sites"]:
            assert set(s["findings"]) == set(FINDINGS)
            assert all(v in (0, 1) for v in s["findings"].values())
        on_disk = json.loads((out / f"{truth['input']['path'][:-4]}.truth.json").read_text())
        assert on_disk == truth
    assert regions == {"cervical", "lumbar"}


def test_grades_and_score_are_the_engines(written):
    _, truths = written
    for truth in truths:
        findings = {s["id"]: s["findings"] for s in truth["sites"]}
        grades = grade_sites(findings)
        assert {s["id"]: s["grade"] for s in truth["sites"]} == grades
        assert truth["score"] == segment_score(grades, truth["region"]).to_dict()
        for s in truth["sites"]:
            if s["findings"]["bridging"]:
                assert s["grade"] == 3  # rule 1, whatever else the corner shows


@pytest.mark.parametrize("prevalence", [DEFAULT_PREVALENCE, {
    "erosion": 0.15, "sclerosis": 0.02, "squaring": 0.2, "syndesmophyte": 0.05, "bridging": 0.2,
    "osteophyte": 0.1, "other": 0.05, "not_visible": 0.08}])
def test_finding_frequencies_follow_configured_prevalence(prevalence):
    cfg = SpineConfig(prevalence=dict(prevalence), implant_prob=0.0)
    n_patients = 1500
    per_patient = {k: [] for k in FINDINGS}
    for i in range(n_patients):
        rng = np.random.default_rng([5, i])
        region = "cervical" if i % 2 else "lumbar"
        f = sample_findings(rng, region, cfg)["findings"]
        for k in FINDINGS:
            per_patient[k].append(np.mean([site[k] for site in f.values()]))
    for k in FINDINGS:
        x = np.asarray(per_patient[k])
        # Sites of one patient share its severity, so the standard error comes from patient means.
        se = x.std(ddof=1) / np.sqrt(n_patients)
        assert abs(x.mean() - prevalence[k]) < 4 * se + 0.003, (k, x.mean(), prevalence[k])


def test_severity_gives_normal_patients_and_advanced_ones():
    cfg = SpineConfig(implant_prob=0.0)
    bridged_levels = []
    for i in range(400):
        plan = sample_findings(np.random.default_rng([9, i]), "lumbar", cfg)
        bridged_levels.append(len(plan["bridged"]))
    bridged_levels = np.asarray(bridged_levels)
    assert (bridged_levels == 0).mean() > 0.6  # most patients have no bridge
    assert (bridged_levels >= 2).sum() >= 5  # a few advanced patients bridge several levels


def test_true_points_lie_on_the_drawn_corners():
    for i in range(6):
        case = make_spine_case("x", 21, i, SpineConfig(size="small", prevalence=dict.fromkeys(FINDINGS, 0.0),
                                                       implant_prob=0.0, cutoff_prob=0.0))
        sp = case.layout.spacing
        bodies = case.bodies
        fill = np.percentile(bodies[bodies > 0], 75)
        centers = {v["name"]: np.array(v["center"]) for v in case.truth["vertebrae"]}
        for s in case.truth["sites"]:
            p = np.array(s["point"])
            x, y = np.round(p).astype(int)
            r = max(int(round(1.0 / sp)), 1)
            near = bodies[y - r:y + r + 1, x - r:x + r + 1]
            assert near.max() > 0.5 * fill, (case.truth["region"], s["id"])
            # 3 mm further out from the vertebra's centre there is no vertebral body.
            out = p + (p - centers[s["id"][:-1]]) / np.linalg.norm(p - centers[s["id"][:-1]]) * 3.0 / sp
            ox, oy = np.round(out).astype(int)
            if 0 <= oy < bodies.shape[0] and 0 <= ox < bodies.shape[1]:
                assert bodies[oy, ox] < 0.1 * fill, (case.truth["region"], s["id"])


def test_cut_off_sites_are_not_visible_without_a_point():
    cfg = SpineConfig(size="small", cutoff_prob=1.0, prevalence=dict.fromkeys(FINDINGS, 0.0), implant_prob=0.0)
    n_cut = 0
    for i in range(6):
        truth = make_spine_case("x", 3, i, cfg).truth
        for s in truth["sites"]:
            if s["point"] is None:
                n_cut += 1
                assert s["findings"]["not_visible"] == 1 and s["grade"] is None
                assert any(w.startswith(s["id"] + ":") for w in truth["warnings"])
    assert n_cut >= 3


def test_dicom_reads_back_with_truth_spacing_and_varies(written):
    out, truths = written
    photometrics, bits, tags = set(), set(), set()
    for truth in truths:
        path = out / truth["input"]["path"]
        rad = read_radiograph(path)
        assert (rad.rows, rad.columns) == (truth["input"]["rows"], truth["input"]["columns"])
        assert rad.spacing_mm == pytest.approx(tuple(truth["input"]["pixel_spacing_mm"]), rel=1e-6)
        assert rad.photometric == truth["input"]["photometric"]
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert ds.Modality in ("CR", "DX") and ds.BodyPartExamined in ("CSPINE", "LSPINE")
        assert ds.ViewPosition in ("LL", "RL")
        photometrics.add(ds.PhotometricInterpretation)
        bits.add(int(ds.BitsStored))
        tags.add(("PixelSpacing" in ds, "ImagerPixelSpacing" in ds))
        # Bone is bright after reading, whatever the photometric: the vertebral centres are brighter
        # than the image median.
        centres = [v["center"] for v in truth["vertebrae"] if v["center"]]
        vals = [rad.pixels[int(round(c[1])), int(round(c[0]))] for c in centres
                if 0 <= c[1] < rad.rows and 0 <= c[0] < rad.columns]
        assert np.median(vals) > np.median(rad.pixels)
    assert photometrics == {"MONOCHROME1", "MONOCHROME2"}
    assert len(bits) >= 2 and len(tags) >= 2


def test_full_size_uses_realistic_spacing():
    case = make_spine_case("x", 1, 0, SpineConfig(size="full"))
    assert 0.1 <= case.layout.spacing <= 0.2
    assert 700 <= max(case.pixels.shape) <= 2000


def _frame_px(truth: dict, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, unit toward the disc below and unit anterior of a vertebra, in pixels."""
    v = next(v for v in truth["vertebrae"] if v["name"] == name)
    c, s, i = (np.array(v[k], dtype=float) for k in ("center", "anterior_superior", "anterior_inferior"))
    u = (i - s) / np.linalg.norm(i - s)
    mid = (s + i) / 2
    n = (mid - c) / np.linalg.norm(mid - c)
    return c, u, n


def test_trabeculae_run_perpendicular_to_the_endplates():
    # Vertical struts: inside a body the density changes faster across them (antero-posterior)
    # than along them (cranio-caudal), whatever the rotation of the image.
    cfg = SpineConfig(size="full", prevalence=dict.fromkeys(FINDINGS, 0.0), implant_prob=0.0, cutoff_prob=0.0)
    for i, (region, name) in enumerate((("lumbar", "L3"), ("cervical", "C5"), ("lumbar", "L2"))):
        case = make_spine_case("x", 31, i, SpineConfig(**{**cfg.__dict__, "region": region}))
        c, u, n = _frame_px(case.truth, name)
        half = int(2.5 / case.layout.spacing)
        x, y = np.round(c).astype(int)
        patch = case.density[y - half:y + half, x - half:x + half].astype(float)
        gy, gx = np.gradient(patch)
        across = np.mean((gx * n[0] + gy * n[1]) ** 2)
        along = np.mean((gx * u[0] + gy * u[1]) ** 2)
        assert across > 1.5 * along, (region, across, along)


def test_cervical_airway_is_dark_in_front_of_the_prevertebral_stripe():
    cfg = SpineConfig(size="small", region="cervical", prevalence=dict.fromkeys(FINDINGS, 0.0), implant_prob=0.0,
                      cutoff_prob=0.0)
    for i in range(3):
        case = make_spine_case("x", 32, i, cfg)
        sp = case.layout.spacing
        for name, stripe_mm in (("C3", 2.0), ("C6", 6.0)):
            c, u, n = _frame_px(case.truth, name)
            front = np.array(next(v for v in case.truth["vertebrae"] if v["name"] == name)["anterior_superior"])
            front = front + u * np.dot(c - front, u)  # anterior border at the level of the centre
            pts = np.round(front + n * np.arange(0.0, 40.0, 1.0)[:, None] / sp).astype(int)
            profile = case.density[pts[:, 1], pts[:, 0]]  # density every mm in front of the body
            soft, air = profile[int(stripe_mm)], profile[8:].min()
            assert air < soft - 0.15, (name, soft, air)
