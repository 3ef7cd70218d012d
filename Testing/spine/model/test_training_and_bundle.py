"""A few training steps on tiny phantoms: bundle written and loaded safely, predictors run, resume works."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from axspa.io.radiograph import read_radiograph  # noqa: E402
from axspa.spine.model.predictor import CornerPredictor, LandmarkPredictor  # noqa: E402
from axspa.spine.model.train import train_spine  # noqa: E402
from axspa.spine.sites import FINDINGS, REGIONS  # noqa: E402
from axspa.training.bundle import BundleCodeError, load_network  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundles(tiny_spine_films, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    for kind in ("spine-landmarks", "spine-corners"):
        train_spine(kind, [tiny_spine_films], out / kind, val=[tiny_spine_films], steps=2, show_progress=False)
    return out


def test_bundle_is_ours_and_a_monai_bundle(bundles):
    for kind in ("spine-landmarks", "spine-corners"):
        folder = bundles / kind
        info = json.loads((folder / "bundle.json").read_text())
        assert set(info["files"]) == {"configs/inference.json", "configs/metadata.json", "models/model.pt",
                                      "docs/README.md"}
        assert info["predictor"].startswith("axspa.spine.model.predictor:")
        assert "not validated on patients" in (folder / "docs" / "README.md").read_text()
        from monai.bundle import ConfigParser

        parser = ConfigParser()
        parser.read_config(folder / "configs" / "inference.json")
        net = parser.get_parsed_content("network_def")
        net.load_state_dict(torch.load(folder / "models" / "model.pt", weights_only=True))
        meta = json.loads((folder / "configs" / "metadata.json").read_text())
        assert "network_data_format" in meta and meta["version"] == info["version"]


def test_predictors_report_every_site_of_the_region(bundles, tiny_spine_films):
    lm = LandmarkPredictor(bundles / "spine-landmarks", {})
    corners = CornerPredictor(bundles / "spine-corners", {})
    film = read_radiograph(next(tiny_spine_films.glob("*.dcm")))
    located = lm.predict(film.pixels, film.spacing_mm, "lumbar")
    assert located["region"] == "lumbar" and list(located["sites"]) == list(REGIONS["lumbar"])
    points = {s: p for s, p in located["sites"].items() if p is not None}
    truth = json.loads(next(tiny_spine_films.glob("*.truth.json")).read_text())
    truth_points = {s["id"]: s["point"] for s in truth["sites"] if s["point"]}
    probs = corners.predict(film.pixels, film.spacing_mm, truth_points)
    assert set(probs) == set(truth_points)
    assert all(set(p) == set(FINDINGS) and all(0 <= v <= 1 for v in p.values()) for p in probs.values())
    # Every located corner lies on the film and has a confidence; a missing one has neither.
    h, w = film.pixels.shape
    assert set(located["point_confidence"]) == set(points)
    assert all(-0.5 <= x <= w - 0.5 and -0.5 <= y <= h - 0.5 for x, y in points.values())


def test_training_resumes_from_its_checkpoint(tiny_spine_films, tmp_path):
    out = tmp_path / "corners"
    train_spine("spine-corners", [tiny_spine_films], out, steps=2, show_progress=False)
    first = torch.load(out.with_name("corners.work") / "checkpoint.pt", weights_only=True)
    assert first["step"] == 2
    assert train_spine("spine-corners", [tiny_spine_films], out, steps=2, show_progress=False)["already_done"]
    import shutil

    shutil.rmtree(out)  # the bundle gone, its checkpoint kept (an interrupted run): the same request resumes
    train_spine("spine-corners", [tiny_spine_films], out, steps=2, show_progress=False)
    again = torch.load(out.with_name("corners.work") / "checkpoint.pt", weights_only=True)
    assert again["step"] == 2 and again["scheduler"]["last_epoch"] == 2
    with pytest.raises(FileExistsError, match="other data, steps or seed"):
        train_spine("spine-corners", [tiny_spine_films], out, steps=3, show_progress=False)
    with pytest.raises(ValueError, match="another training run"):  # a checkpoint of 2 steps is not resumed as 3
        train_spine("spine-corners", [tiny_spine_films], out, steps=3, show_progress=False, overwrite=True)


def test_a_hostile_bundle_is_refused_and_runs_nothing(bundles, tmp_path):
    folder = tmp_path / "hostile"
    import shutil

    shutil.copytree(bundles / "spine-corners", folder)
    marker = tmp_path / "pwned"
    for network_def in ({"_target_": "pathlib.Path.touch", "self": str(marker)},
                        {"_target_": "axspa.spine.model.network.CornerNet",
                         "n_out": f"$open({str(marker)!r}, 'w').write('x')"}):
        (folder / "configs" / "inference.json").write_text(json.dumps({"network_def": network_def}))
        with pytest.raises(BundleCodeError):
            load_network(folder, {})
        assert not marker.exists()


def test_a_groups_bundle_folder_scores_a_film_end_to_end(bundles, tiny_spine_films):
    from axspa.results import validate
    from axspa.spine.pipeline import SpineModels, score_radiograph

    models = SpineModels(model_dir=bundles)
    film = read_radiograph(next(tiny_spine_films.glob("*.dcm")))
    doc = score_radiograph(film, "auto", models=models)
    validate(doc, "spine")
    assert doc["model"]["landmarks"].startswith("spine-landmarks@")
    assert all("review" in s for s in doc["sites"])


def test_a_predictor_outside_axspa_is_not_even_imported(bundles, tmp_path, monkeypatch):
    import shutil
    import sys

    from axspa.bundles import BundleCodeError, load_predictor

    marker = tmp_path / "imported"
    (tmp_path / "evil_predictor.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nclass P:\n    def __init__(self, folder, info):\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    folder = tmp_path / "models" / "spine-corners"
    shutil.copytree(bundles / "spine-corners", folder)
    info = json.loads((folder / "bundle.json").read_text())
    info["predictor"] = "evil_predictor:P"
    (folder / "bundle.json").write_text(json.dumps(info))
    with pytest.raises(BundleCodeError, match="would run the bundle's code") as refused:
        load_predictor("spine-corners", tmp_path / "models")
    assert "--trust-bundle-code" in refused.value.hint and "--trust-bundle-code" not in str(refused.value)
    assert not marker.exists() and "evil_predictor" not in sys.modules
    load_predictor("spine-corners", tmp_path / "models", trust_code=True)  # the user said yes
    assert marker.exists()


@pytest.mark.parametrize("shape", [(10, 10), (300, 400)])
def test_what_is_no_spine_film_gives_a_valid_result_not_a_traceback(bundles, shape):
    import numpy as np

    from axspa.image import Radiograph
    from axspa.results import validate
    from axspa.spine.pipeline import SpineModels, score_radiograph

    pixels = np.random.default_rng(0).random(shape).astype(np.float32)
    doc = score_radiograph(Radiograph(pixels, None, path="noise.png"), "auto", models=SpineModels(model_dir=bundles))
    validate(doc, "spine")
