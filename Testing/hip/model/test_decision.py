"""The hip lesion decision (axspa.hip.model.decision): voxels kept only where brighter than their bone's
marrow by the margin, small pieces dropped, a side cleared when the probability of any edema is low; the
margin and weights fitted from samples with truth."""

from __future__ import annotations

import numpy as np

from axspa.hip.model.decision import DecisionSample, LesionDecision, fit_decision

VOXEL_ML = 0.001  # 1 mm³


def _bone_with(lesion_value: float, lesion_size: int = 6, rng_seed: int = 0):
    rng = np.random.default_rng(rng_seed)
    view = (0.1 + 0.01 * rng.standard_normal((20, 20, 20))).astype(np.float32)
    bone = np.zeros(view.shape, bool)
    bone[2:18, 2:18, 2:18] = True
    lesion = np.zeros(view.shape, bool)
    lesion[5:5 + lesion_size, 5:5 + lesion_size, 5:5 + lesion_size] = True
    view[lesion] = lesion_value
    return view, bone, lesion


def test_a_lesion_brighter_than_its_marrow_is_kept_a_look_alike_is_not():
    rule = LesionDecision(margin=1.0, min_ml=0.05, weights=())
    view, bone, lesion = _bone_with(0.4)  # four times the marrow
    kept, p = rule.apply(view, bone, lesion, VOXEL_ML)
    assert kept.sum() == lesion.sum() and p == 1.0
    view, bone, lesion = _bone_with(0.15)  # red marrow: 1.5 times
    kept, p = rule.apply(view, bone, lesion, VOXEL_ML)
    assert not kept.any() and p == 0.0


def test_pieces_smaller_than_the_minimum_are_dropped():
    rule = LesionDecision(margin=0.5, min_ml=0.05)
    view, bone, lesion = _bone_with(0.4, lesion_size=3)  # 27 mm³ < 50 mm³
    assert not rule.filter(view, bone, lesion, VOXEL_ML)[0].any()
    view, bone, lesion = _bone_with(0.4, lesion_size=4)  # 64 mm³
    assert rule.filter(view, bone, lesion, VOXEL_ML)[0].sum() == 64


def test_a_low_probability_clears_the_side_and_it_is_reported():
    rule = LesionDecision(margin=0.5, min_ml=0.0, weights=(-5.0, 0.0, 0.0))  # always "no edema"
    view, bone, lesion = _bone_with(0.4)
    kept, p = rule.apply(view, bone, lesion, VOXEL_ML)
    assert not kept.any() and p < 0.01


def test_fitting_finds_a_margin_between_look_alikes_and_edema_and_separates_sides():
    samples = []
    for seed in range(12):
        edema = seed % 2 == 0
        view, bone, raw = _bone_with(0.45 if edema else 0.16, rng_seed=seed)
        truth = raw.copy() if edema else np.zeros_like(raw)
        samples.append(DecisionSample.crop(view, bone, raw, truth, VOXEL_ML))
    rule, fit = fit_decision(samples)
    assert 0.6 <= rule.margin < 3.5  # above the look-alikes' 1.6x, below the edema's 4.5x
    assert fit["accuracy_any_lesion"] == 1.0 and fit["with_lesion"] == 6
    for s in samples:
        kept, p = rule.apply(s.view, s.bone, s.raw, VOXEL_ML)
        assert (p >= 0.5) == bool(s.truth.any()) and kept.any() == bool(s.truth.any())


def test_json_round_trip_and_older_bundles_keep_their_raw_labels():
    rule = LesionDecision(0.7, 0.05, (-1.0, 2.0, 0.5))
    assert LesionDecision.from_json(rule.to_json()) == LesionDecision(0.7, 0.05, (-1.0, 2.0, 0.5))
    assert LesionDecision.from_json(None) is None and LesionDecision.from_json({}) is None


def test_without_a_margin_the_volume_alone_decides():
    """Effusion-synovitis lies in no bone: no intensity test, small pieces dropped, the logistic on volume."""
    samples = []
    for seed in range(10):
        present = seed % 2 == 0
        view, bone, raw = _bone_with(0.3, lesion_size=10 if present else 5, rng_seed=seed)
        samples.append(DecisionSample.crop(view, raw, raw, raw.copy() if present else np.zeros_like(raw), VOXEL_ML))
    rule, fit = fit_decision(samples, margins=(None,))
    assert rule.margin is None and fit["accuracy_any_lesion"] == 1.0
    big = _bone_with(0.11, lesion_size=10)  # barely brighter than the "bone": kept, no intensity test
    kept, p = rule.apply(big[0], big[2], big[2], VOXEL_ML)
    assert kept.sum() == 1000 and p > 0.5
    assert LesionDecision.from_json(rule.to_json()).margin is None
