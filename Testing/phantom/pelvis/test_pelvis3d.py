"""Pelvis phantom generator 2 (3-D anatomy projected by a cone beam): reproducible, truth with the joint centres
where an AP film has them, grades built in 3-D (ankylosis fills the joint), the painter kept as generator 1."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.cli import main
from axspa.phantom.pelvis import PelvisConfig, make_pelvis_case, write_pelvis_case
from axspa.phantom.pelvis3d.joint import joint_operations
from axspa.results import validate

SMALL = PelvisConfig(size="small", photo_fraction=0.0)


def test_same_seed_same_bytes_and_truth_with_joint_centres(tmp_path):
    for out in (tmp_path / "a", tmp_path / "b"):
        for i in range(2):
            write_pelvis_case(make_pelvis_case(f"p-{i}", 9, i, SMALL), out)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
    for i in range(2):
        case = make_pelvis_case(f"p-{i}", 9, i, SMALL)
        truth = case.truth
        validate(truth, "sij")
        ph = truth["phantom"]
        assert ph["generator"] == "axspa.phantom.pelvis3d"
        rows, cols = case.pixels.shape
        (rc, rr), (lc, lr) = ph["joint_centres_px"]["right"], ph["joint_centres_px"]["left"]
        assert 0.15 * cols < rc < 0.5 * cols < lc < 0.85 * cols  # the patient's right on the image left
        assert 0.1 * rows < rr < 0.7 * rows and abs(rr - lr) < 0.2 * (lc - rc)
        assert 60 < (lc - rc) * case.spacing < 130  # mm on the detector
        assert {f["grade"] for f in ph["findings"].values()} <= set(range(5))
        assert [ph["findings"][s]["grade"] for s in ("right", "left")] == \
            [truth["sides"][s]["grade"] for s in ("right", "left")]


def _joint_space_filling(grade: int) -> float:
    """Mean attenuation in the right joint's space (within a third of its width of the surface, inside the
    joint), as a fraction of marrow: 0 for an open joint, about 1 when bone fills it."""
    from axspa.phantom.pelvis3d.anatomy import CORTEX, MARROW, sacrum_and_ilia, sample_build
    from axspa.phantom.pelvis3d.joint import sample_findings, sample_joint
    from axspa.phantom.pelvis3d.render import apply
    from axspa.phantom.projection import Grid

    rng = np.random.default_rng(5)
    b = sample_build(rng, 1.0, False)
    joints = {s: sample_joint(rng, s, 1.0, 1.0) for s in (-1, 1)}
    findings = {-1: sample_findings(rng, grade, False), 1: sample_findings(rng, 0, False)}
    g = joints[-1]
    ops = sacrum_and_ilia(rng, b, joints, findings) + joint_operations(rng, g, findings[-1], MARROW, CORTEX)
    grid = Grid.covering(*g.box(pad=4), 0.5)
    apply(grid, ops)
    sl, x, y, z = grid.box(*g.box(pad=4))
    half = g.width * findings[-1].width_factor / 2
    tau = np.broadcast_to(g.tau(y, z), grid.data.shape)
    space = (np.abs(g.lateral(x, y, z)) < half / 3) & (tau > 0.1) & (tau < 0.9) & \
        np.broadcast_to((z > 0.3 * g.height) & (z < 0.9 * g.height), grid.data.shape)
    return float(grid.data[space].mean() / MARROW)


def test_the_joint_space_is_open_when_normal_and_filled_when_ankylosed():
    assert _joint_space_filling(0) < 0.1
    assert _joint_space_filling(4) > 0.9


def test_the_painter_stays_as_generator_1_and_the_cli_knows_both(tmp_path):
    case = make_pelvis_case("p", 3, 0, PelvisConfig(size="small", photo_fraction=0.0, generator=1))
    assert case.truth["phantom"]["generator"] == "axspa.phantom.pelvis"
    assert "joint_centres_px" not in case.truth["phantom"]
    with pytest.raises(ValueError, match="generator"):
        PelvisConfig(generator=3)
    assert main(["phantom", "pelvis", "--n", "1", "--generator", "3", "--out", str(tmp_path / "x")]) != 0
    assert main(["phantom", "pelvis", "--n", "1", "--generator", "1", "--size", "small",
                 "--out", str(tmp_path / "one")]) == 0
