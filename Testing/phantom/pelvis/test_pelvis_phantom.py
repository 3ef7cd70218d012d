"""AP pelvis phantom: reproducible bytes, valid sij truth, grade frequencies, grades drawn as the
modified New York criteria describe, DICOM and photographed-screen files that read back."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.io.radiograph import read_radiograph
from axspa.phantom.pelvis import PelvisConfig, make_pelvis_case, render_pelvis, sample_grades, write_pelvis_case
from axspa.results import validate


def test_same_seed_same_bytes(tmp_path):
    dicoms, photos = PelvisConfig(size="small", photo_fraction=0.0), PelvisConfig(size="small", photo_fraction=1.0)
    names = set()
    for out in (tmp_path / "a", tmp_path / "b"):
        for i in range(4):
            truth = write_pelvis_case(make_pelvis_case(f"pelvis-{i:05d}", 4, i, photos if i % 2 else dicoms), out)
            names.add(truth["input"]["path"])
    assert {n[-3:] for n in names} == {"dcm", "jpg"}  # both kinds were made and compared
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_truth_validates_and_definite_follows_the_criteria(tmp_path):
    cfg = PelvisConfig(size="small", photo_fraction=0.3)
    for i in range(8):
        truth = write_pelvis_case(make_pelvis_case(f"pelvis-{i:05d}", 2, i, cfg), tmp_path)
        validate(truth, "sij")
        r, left = truth["sides"]["right"]["grade"], truth["sides"]["left"]["grade"]
        for side, g in (("right", r), ("left", left)):
            assert truth["sides"][side]["grade_probabilities"] == [1.0 if k == g else 0.0 for k in range(5)]
        # Worked by hand: definite = both sides >= 2, or one side >= 3.
        assert truth["definite"] == ((r >= 2 and left >= 2) or max(r, left) >= 3)
        assert truth["definite_probability"] == (1.0 if truth["definite"] else 0.0)


@pytest.mark.parametrize("probs", [(0.35, 0.15, 0.15, 0.2, 0.15), (0.1, 0.1, 0.5, 0.2, 0.1)])
def test_grade_frequencies_follow_configuration(probs):
    cfg = PelvisConfig(grade_probs=probs, symmetry=0.6)
    n = 3000
    counts = {"right": np.zeros(5), "left": np.zeros(5)}
    same = 0
    for i in range(n):
        g = sample_grades(np.random.default_rng([1, i]), cfg)
        counts["right"][g["right"]] += 1
        counts["left"][g["left"]] += 1
        same += g["right"] == g["left"]
    p = np.asarray(probs)
    for side in counts:
        tol = 4 * np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(counts[side] / n - p) < tol), (side, counts[side] / n)
    # Bilateral disease is common: equal grades far more often than independent sides would give.
    assert same / n > 0.6 + 0.4 * float((p ** 2).sum()) - 0.05


def _gap_contrast(grade: int) -> float:
    """Mean density 4 mm either side of the middle of the right SI joint minus density on the line."""
    shape, spacing = (600, 800), 0.5
    matrix = np.array([[1 / spacing, 0, 200.0], [0, 1 / spacing, 150.0]])
    density, joints = render_pelvis(np.random.default_rng(3), {"right": grade, "left": 0}, shape, matrix, spacing)
    line = joints["right"] @ matrix[:, :2].T + matrix[:, 2]
    vals = []
    for k in range(6, 18):  # the middle of the joint
        x, y = line[k]
        on = density[int(round(y)), int(round(x)) - 1:int(round(x)) + 2].min()
        side = (density[int(round(y)), int(round(x - 8))] + density[int(round(y)), int(round(x + 8))]) / 2
        vals.append(side - on)
    return float(np.mean(vals))


def test_joint_gap_open_when_normal_and_gone_when_ankylosed():
    normal, ankylosed = _gap_contrast(0), _gap_contrast(4)
    assert normal > 0.2  # a dark joint space between sacrum and ilium
    assert ankylosed < 0.5 * normal  # total ankylosis: bone across the joint


def test_dicom_and_photo_read_back(tmp_path):
    seen = set()
    for i in range(10):
        truth = write_pelvis_case(make_pelvis_case(f"pelvis-{i:05d}", 6, i, PelvisConfig(size="small",
                                                                                         photo_fraction=0.4)),
                                  tmp_path)
        rad = read_radiograph(tmp_path / truth["input"]["path"])
        assert (rad.rows, rad.columns) == (truth["input"]["rows"], truth["input"]["columns"])
        if truth["input"]["path"].endswith(".dcm"):
            assert rad.spacing_mm == pytest.approx(tuple(truth["input"]["pixel_spacing_mm"]))
            seen.add("dcm")
        else:
            assert truth["input"]["pixel_spacing_mm"] is None and rad.spacing_mm is None
            assert truth["phantom"]["photographed_screen"]["jpeg_quality"] >= 60
            seen.add("jpg")
    assert seen == {"dcm", "jpg"}


def test_bad_grade_probabilities_rejected():
    with pytest.raises(ValueError, match="grade_probs"):
        PelvisConfig(grade_probs=(0.5, 0.5, 0.5, 0.0, 0.0))


def _iliac_band(grade: int, seed: int) -> float:
    """Median density 4.5-10 mm into the ilium beside the right SI joint minus density 18-25 mm away:
    what a reader sees as a subchondral band (sclerosis) along the joint."""
    shape, spacing = (600, 800), 0.5
    matrix = np.array([[1 / spacing, 0, 200.0], [0, 1 / spacing, 150.0]])
    density, joints = render_pelvis(np.random.default_rng(seed), {"right": grade, "left": 0}, shape, matrix, spacing)
    line = joints["right"] @ matrix[:, :2].T + matrix[:, 2]
    diffs = []
    for x, y in line[8:22]:  # the synovial part; the ilium is toward the image left for the right joint
        r = int(round(y))
        near = density[r, int(round(x - 20)):int(round(x - 9))].mean()
        far = density[r, int(round(x - 50)):int(round(x - 36))].mean()
        diffs.append(near - far)
    return float(np.median(diffs))


def test_normal_joint_has_no_sclerotic_band_and_grade_3_sclerosis_is_moderate():
    seeds = (3, 4, 5, 6)
    normal = [_iliac_band(0, s) for s in seeds]
    marked = [_iliac_band(3, s) for s in seeds]
    assert max(abs(v) for v in normal) < 0.06, normal  # grade 0: bone beside the joint like the rest of the ilium
    excess = float(np.mean(np.array(marked) - np.array(normal)))
    assert 0.03 < excess < 0.25, (normal, marked)  # grade 3: sclerosis present, not a blown-out white band
