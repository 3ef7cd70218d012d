"""A few training steps on tiny phantoms: the bundle is ours and a MONAI bundle, the predictor returns the
ten segments on the volume's grid, training resumes, and `axspa hip --model-dir` runs end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from axspa.cli import main  # noqa: E402
from axspa.hip.model.data import augment_intensity, find_cases, label_map  # noqa: E402
from axspa.hip.model.predictor import HipPredictor  # noqa: E402
from axspa.hip.model.train import train_hip  # noqa: E402
from axspa.hip.segments import HIP_SEGMENTS  # noqa: E402
from axspa.io.volume import read_volume  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tiny_hip_cases, tmp_path_factory):
    out = tmp_path_factory.mktemp("hip-bundle") / "hip-segmenter"
    train_hip([tiny_hip_cases], out, val=[tiny_hip_cases], steps=2, locator_steps=2, show_progress=False,
              calibration=[tiny_hip_cases])
    return out


def test_cases_are_found_with_their_segmentation(tiny_hip_cases):
    cases = find_cases([tiny_hip_cases])
    assert len(cases) == 3
    assert all(series.name == "dicom" and seg.name == "truth.seg.nrrd" for series, seg in cases)


def test_label_map_draws_lesions_over_their_bone():
    head = np.zeros((2, 4, 4), bool)
    head[:, 1:3, 1:3] = True
    bme = np.zeros_like(head)
    bme[0, 1, 1] = True
    labels = label_map({"Right femoral head": head, "Right femoral BME": bme}, head.shape)
    assert labels[0, 1, 1] == 3 and labels[0, 2, 2] == 1 and labels[0, 0, 0] == 0


def test_augmentation_changes_contrast_but_keeps_shape_and_finiteness():
    x = torch.rand(8, 3, 32, 32)
    y = augment_intensity(x.clone(), np.random.default_rng(0), invert_p=0.5)
    assert y.shape == x.shape and torch.isfinite(y).all() and not torch.allclose(x, y)


def test_bundle_is_ours_and_a_monai_bundle(bundle):
    info = json.loads((bundle / "bundle.json").read_text())
    assert set(info["files"]) == {"configs/inference.json", "configs/metadata.json", "models/model.pt",
                                  "docs/README.md"}
    assert info["predictor"] == "axspa.hip.model.predictor:HipPredictor"
    assert "not validated on patients" in (bundle / "docs" / "README.md").read_text().lower()
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(bundle / "configs" / "inference.json")
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(bundle / "models" / "model.pt", weights_only=True))


def test_predictor_returns_the_ten_segments_on_the_volume_grid(bundle, tiny_hip_cases):
    volume = read_volume(str(next(tiny_hip_cases.glob("*/dicom"))))
    masks = HipPredictor(bundle, {}).predict(volume)
    assert set(masks) == {s.name for s in HIP_SEGMENTS}
    assert all(m.shape == volume.array.shape and m.dtype == bool for m in masks.values())
    for side in ("Right", "Left"):  # BME lies inside its bone, whatever the (untrained) network says
        assert not (masks[f"{side} femoral BME"] & ~masks[f"{side} femoral head"]).any()
        assert not (masks[f"{side} acetabular BME"] & ~masks[f"{side} acetabulum"]).any()


def test_training_resumes_says_done_and_refuses_another_runs_checkpoint(tiny_hip_cases, tmp_path):
    out = tmp_path / "b"
    train_hip([tiny_hip_cases], out, steps=2, locator_steps=2, show_progress=False)
    checkpoint = out.with_name("b.work") / "segmenter" / "checkpoint.pt"
    assert torch.load(checkpoint, weights_only=True)["step"] == 2
    again = train_hip([tiny_hip_cases], out, steps=2, locator_steps=2, show_progress=False)
    assert again["already_done"]  # a finished make hip-models says so instead of failing
    # The bundle gone but its checkpoints kept (an interrupted run): the same request resumes from them.
    import shutil

    shutil.rmtree(out)
    train_hip([tiny_hip_cases], out, steps=2, locator_steps=2, show_progress=False)
    assert json.loads((out / "bundle.json").read_text())["training"]["steps"] == 2
    with pytest.raises(FileExistsError, match="other data, steps or seed"):
        train_hip([tiny_hip_cases], out, steps=3, locator_steps=2, show_progress=False)
    with pytest.raises(ValueError, match="another training run"):
        train_hip([tiny_hip_cases], out, steps=3, locator_steps=2, show_progress=False, overwrite=True)


def test_the_lesion_decision_is_fitted_stored_and_loaded(bundle):
    inference = json.loads((bundle / "configs" / "inference.json").read_text())
    decision = inference["lesion_decision"]
    assert set(decision) == {"margin", "min_ml", "weights"} and len(decision["weights"]) == 3
    effusion = inference["effusion_decision"]
    assert effusion["margin"] is None and len(effusion["weights"]) == 3  # volume alone: no bone to compare with
    fit = json.loads((bundle / "bundle.json").read_text())["training"]["lesion_decision_fit"]
    assert fit["bme"]["samples"] == 3 * 4  # three cases, two sides, two bones
    assert fit["effusion"]["samples"] == 3 * 2
    predictor = HipPredictor(bundle, {})
    assert predictor.decision is not None and predictor.decision.margin == decision["margin"]
    assert predictor.effusion_decision is not None and predictor.effusion_decision.margin is None


def test_cli_segments_and_scores_with_a_bundle_folder(bundle, tiny_hip_cases, tmp_path):
    case = next(tiny_hip_cases.glob("*/dicom"))
    out = tmp_path / "out"
    rc = main(["hip", str(case), "--out", str(out), "--model-dir", str(bundle)])
    assert rc == 0
    doc = json.loads((out / "hip.json").read_text())
    assert doc["schema"] == "axspa.hip/1" and doc["segmentation"] == "model"
    assert doc["model"]["segmenter"].startswith("hip-segmenter@")
    assert list(out.glob("*.seg.nrrd"))
