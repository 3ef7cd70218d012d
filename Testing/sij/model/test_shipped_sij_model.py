"""The shipped sij-grader on the bundled AP pelvis sample, and on what is no adult AP pelvis film: a lateral spine
film, noise standing in for a photo of a cat, a pelvis shrunk to a child's size, a 3-D volume. Those get a warning
and no confident grade, never a traceback. Skipped when the bundle is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from shipped import shipped_or_skip  # noqa: E402

from axspa.cli import main  # noqa: E402
from axspa.image import Radiograph  # noqa: E402
from axspa.io.radiograph import read_radiograph  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "Resources" / "SampleData"
UNSURE = 0.6  # no grade of a film that is no adult AP pelvis may be more probable than this


@pytest.fixture(scope="module")
def model():
    from axspa.sij.pipeline import load_models

    return shipped_or_skip(load_models)


def _score(film, model):
    from axspa.sij.pipeline import score_pelvis

    return score_pelvis(film, model)[0]


def test_the_sample_pelvis_is_located_and_graded_like_its_truth(model):
    film = read_radiograph(SAMPLES / "AxSpA-Pelvis.dcm")
    truth = json.loads((SAMPLES / "AxSpA-Pelvis.truth.json").read_text())
    doc = _score(film, model)
    assert not [w for w in doc["warnings"] if "unreliable" in w]
    for side in ("right", "left"):
        joint = doc["sides"][side]["joint"]
        true = truth["phantom"]["joint_centres_px"][side]
        assert np.hypot(joint["column"] - true[0], joint["row"] - true[1]) * film.spacing_mm[1] < 5.0
        assert abs(doc["sides"][side]["grade"] - truth["sides"][side]["grade"]) <= 1
    assert doc["definite"] == truth["definite"]


def _child_size(film: Radiograph) -> Radiograph:
    """The film's content shrunk to 60 % in the middle of the same grid and pixel spacing: a child's pelvis."""
    from scipy import ndimage

    small = ndimage.zoom(film.pixels, 0.6, order=1)
    out = np.full(film.pixels.shape, float(np.median(film.pixels)), np.float32)
    r0, c0 = (out.shape[0] - small.shape[0]) // 2, (out.shape[1] - small.shape[1]) // 2
    out[r0:r0 + small.shape[0], c0:c0 + small.shape[1]] = small
    return Radiograph(out, film.spacing_mm, path="child.dcm")


@pytest.mark.parametrize("kind", ["lumbar spine", "cervical spine", "noise", "child"])
def test_what_is_no_adult_ap_pelvis_is_flagged_and_not_graded_confidently(model, kind):
    if kind == "noise":
        film = Radiograph(np.random.default_rng(1).random((480, 640)).astype(np.float32), None, path="cat.jpg")
    elif kind == "child":
        film = _child_size(read_radiograph(SAMPLES / "AxSpA-Pelvis.dcm"))
    else:
        film = read_radiograph(SAMPLES / f"AxSpA-{kind.split()[0].capitalize()}Spine.dcm")
    doc = _score(film, model)
    assert any("unreliable" in w for w in doc["warnings"]), doc["warnings"]
    for side in ("right", "left"):
        assert max(doc["sides"][side]["grade_probabilities"]) <= UNSURE
    assert 0.2 <= doc["definite_probability"] <= 0.8 or not doc["definite"]


def test_a_3d_volume_gets_one_line_not_a_traceback(model, tmp_path, capsys):
    status = main(["sij", str(SAMPLES / "AxSpA-HipSTIR.nrrd"), "--out", str(tmp_path)])
    printed = capsys.readouterr()
    assert status != 0
    assert "Traceback" not in printed.out + printed.err
    assert "AxSpA-HipSTIR.nrrd" in printed.out + printed.err
