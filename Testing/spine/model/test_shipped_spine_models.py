"""The shipped spine bundles on the bundled sample films and on what is no lateral spine film.

Skipped when the bundles are not installed (they are in Resources/Models in the repository)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from shipped import shipped_or_skip  # noqa: E402

from axspa.cli import main  # noqa: E402
from axspa.image import InputError, Radiograph  # noqa: E402
from axspa.io.radiograph import read_radiograph  # noqa: E402
from axspa.results import validate  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "Resources" / "SampleData"
NOT_A_SPINE = "does not look like a lateral"


@pytest.fixture(scope="module")
def models():
    from axspa.spine.pipeline import SpineModels

    return shipped_or_skip(SpineModels)


@pytest.mark.parametrize("name", ["AxSpA-CervicalSpine", "AxSpA-LumbarSpine"])
def test_sample_films_are_located_and_named_right(models, name):
    from axspa.spine.pipeline import score_radiograph

    film = read_radiograph(SAMPLES / f"{name}.dcm")
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    doc = score_radiograph(film, "auto", models=models)
    validate(doc, "spine")
    assert doc["region"] == truth["region"] and not any(NOT_A_SPINE in w for w in doc["warnings"])
    mm = film.spacing_mm[0]
    errors = [np.hypot(*np.subtract(p["point"], t["point"])) * mm
              for p, t in zip(doc["sites"], truth["sites"]) if t["point"] is not None and p["point"] is not None]
    located = sum(p["point"] is not None for p in doc["sites"])
    assert located >= sum(t["point"] is not None for t in truth["sites"]) - 1
    assert np.median(errors) < 1.0  # mm; the model card gives the held-out figures


def test_an_ap_pelvis_and_noise_are_flagged_not_scored_silently(models):
    from axspa.spine.pipeline import score_radiograph

    pelvis = read_radiograph(SAMPLES / "AxSpA-Pelvis.dcm")
    with pytest.raises(InputError, match="ViewPosition 'AP'"):  # its header says so: refused, never scored
        score_radiograph(pelvis, "auto", models=models)
    # Without a header the image alone must show it; a pelvis with its header gone is such a film too.
    pelvis.meta = {}
    cat = Radiograph(np.random.default_rng(1).random((480, 640)).astype(np.float32), None, path="cat.jpg")
    tiny = Radiograph(np.ones((10, 10), np.float32), None, path="tiny.png")
    for film in (pelvis, cat, tiny):
        doc = score_radiograph(film, "auto", models=models)
        validate(doc, "spine")
        low = [s["confidence"] for s in doc["sites"] if s["confidence"] is not None]
        assert any(NOT_A_SPINE in w for w in doc["warnings"]) or (low and np.median(low) < 0.5), film.path


def test_files_that_are_no_radiograph_get_one_line(models, tmp_path, capsys):
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    volume = tmp_path / "volume.nrrd"
    volume.write_bytes(b"NRRD0004\ntype: uint8\ndimension: 3\nsizes: 4 4 4\nencoding: raw\n\n" + bytes(64))
    for path in (empty, volume):
        code = main(["spine", str(path), "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code in (1, 2, 3) and "Traceback" not in err and path.name in (err + _failures(tmp_path))


def _failures(tmp_path) -> str:
    f = tmp_path / "out" / "failures.csv"
    return f.read_text() if f.is_file() else ""
