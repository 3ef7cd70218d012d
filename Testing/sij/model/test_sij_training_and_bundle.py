"""A few training steps on tiny phantoms: the bundle is ours and a MONAI bundle, the predictor keeps the
protocol (grade probabilities, joints, direct P(definite), operating points, a heat map on the film grid), the
user's joint points are used, and `axspa sij --model-dir` writes valid results."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from axspa.cli import main  # noqa: E402
from axspa.io.radiograph import read_radiograph  # noqa: E402
from axspa.results import validate  # noqa: E402
from axspa.sij.model.data import crop, crop_matrix, paste_back, to_film  # noqa: E402
from axspa.sij.model.train import find_cases, train_sij  # noqa: E402
from axspa.sij.pipeline import load_models, score_pelvis  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tiny_pelvis_cases, tmp_path_factory):
    out = tmp_path_factory.mktemp("sij-bundle") / "sij-grader"
    train_sij([tiny_pelvis_cases], out, val=[tiny_pelvis_cases], steps=2, locator_steps=2, show_progress=False)
    return out


def test_cases_have_joint_centres_and_both_classes(tiny_pelvis_cases):
    cases = find_cases([tiny_pelvis_cases])
    assert len(cases) == 6
    assert {t["definite"] for _, t in cases} == {True, False}  # the operating points need both


def test_crop_mapping_is_mirrored_for_the_right_joint_and_pastes_back():
    film = np.zeros((300, 400), np.float32)
    film[140:160, 210:215] = 1.0  # a mark right of the centre (200, 150)
    m_left = crop_matrix((200.0, 150.0), 0.5, mirror=False, size_px=64, side_mm=32.0)
    m_right = crop_matrix((200.0, 150.0), 0.5, mirror=True, size_px=64, side_mm=32.0)
    assert to_film(m_left, np.array([31.5, 31.5]))[0] == pytest.approx([200.0, 150.0])
    left, right = crop(film, m_left, 64), crop(film, m_right, 64)
    assert left[:, 32:].sum() > 10 * left[:, :32].sum()  # the mark stays on the right half
    assert right[:, :32].sum() > 10 * right[:, 32:].sum()  # mirrored: on the left half
    back = paste_back(np.ones((64, 64), np.float32), m_left, film.shape)
    assert back[150, 200] == pytest.approx(1.0) and back[0, 0] == 0.0


def test_bundle_is_ours_and_a_monai_bundle(bundle):
    info = json.loads((bundle / "bundle.json").read_text())
    assert info["name"] == "sij-grader" and info["predictor"] == "axspa.sij.model.predictor:SijPredictor"
    for f in ("configs/metadata.json", "configs/inference.json", "models/model.pt", "docs/README.md"):
        assert f in info["files"]
    inference = json.loads((bundle / "configs" / "inference.json").read_text())
    assert inference["network_def"]["_target_"] == "axspa.sij.model.network.SijNet"
    assert set(inference["operating_points"]) == {"sensitive", "balanced", "specific"}
    state = torch.load(bundle / "models" / "model.pt", map_location="cpu", weights_only=True)
    assert {k.split(".")[0] for k in state} == {"locator", "refine", "grader", "pair"}


def test_predictor_keeps_the_protocol_and_uses_the_users_points(bundle, tiny_pelvis_cases):
    model = load_models(bundle)
    dcm, truth = find_cases([tiny_pelvis_cases])[0]
    rg = read_radiograph(str(dcm))
    doc, heat = score_pelvis(rg, model)
    validate(doc, "sij")
    assert heat.shape == rg.pixels.shape and 0 <= heat.min() and heat.max() <= 1
    for side in ("right", "left"):
        assert sum(doc["sides"][side]["grade_probabilities"]) == pytest.approx(1, abs=1e-3)
        assert set(doc["sides"][side]["joint"]) == {"column", "row", "confidence"}
    assert 0 <= doc["definite_probability_direct"] <= 1
    assert set(doc["operating_points"]) == {"sensitive", "balanced", "specific"}
    centres = truth["phantom"]["joint_centres_px"]
    doc2, _ = score_pelvis(rg, model, joints={s: tuple(centres[s]) for s in ("right", "left")})
    for side in ("right", "left"):
        j = doc2["sides"][side]["joint"]
        assert (j["column"], j["row"]) == pytest.approx(tuple(centres[side]), abs=0.01)
        assert j["confidence"] == 1.0


def test_training_resumes_and_says_done(bundle, tiny_pelvis_cases):
    again = train_sij([tiny_pelvis_cases], bundle, val=[tiny_pelvis_cases], steps=2, locator_steps=2,
                      show_progress=False)
    assert again.get("already_done")
    with pytest.raises(FileExistsError):
        train_sij([tiny_pelvis_cases], bundle, val=[tiny_pelvis_cases], steps=3, locator_steps=2,
                  show_progress=False)


def test_axspa_sij_with_model_dir_writes_valid_results(bundle, tiny_pelvis_cases, tmp_path):
    dcm = find_cases([tiny_pelvis_cases])[1][0]
    assert main(["sij", str(dcm), "--model-dir", str(bundle), "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / f"{dcm.stem}.sij.json").read_text())
    validate(doc, "sij")
    assert (tmp_path / doc["heatmap"]).is_file()
