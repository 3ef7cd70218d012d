"""``axspa phantom``: writes the files docs/formats.md names, same seed same bytes, a montage, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from axspa.cli import main
from axspa.results import validate


def _run(*argv: str) -> int:
    return main(["phantom", *argv])


def test_spine_files_montage_and_same_bytes(tmp_path):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    png = tmp_path / "spine.png"
    assert _run("spine", "--n", "3", "--seed", "5", "--size", "small", "--out", str(out_a), "--montage", str(png)) == 0
    assert _run("spine", "--n", "3", "--seed", "5", "--size", "small", "--out", str(out_b)) == 0
    names = sorted(p.name for p in out_a.iterdir())
    assert names == [f"spine-0000{i}.{ext}" for i in range(3) for ext in ("dcm", "truth.json")]
    for name in names:
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
        if name.endswith(".json"):
            validate(json.loads((out_a / name).read_text()), "spine")
    with Image.open(png) as im:
        assert im.mode == "RGB" and min(im.size) >= 200
        # Truth is drawn in colour on the grey radiographs.
        rgb = np.asarray(im.convert("RGB")).astype(int)
        assert (rgb[..., 0] != rgb[..., 1]).any()


def test_start_extends_a_set_with_the_same_cases(tmp_path):
    assert _run("spine", "--n", "2", "--seed", "1", "--size", "small", "--out", str(tmp_path / "a")) == 0
    assert _run("spine", "--n", "1", "--start", "1", "--seed", "1", "--size", "small",
                "--out", str(tmp_path / "b")) == 0
    assert (tmp_path / "a" / "spine-00001.dcm").read_bytes() == (tmp_path / "b" / "spine-00001.dcm").read_bytes()


def test_spine_region_and_prevalence_options(tmp_path):
    assert _run("spine", "--n", "2", "--seed", "2", "--size", "small", "--region", "cervical",
                "--prevalence", "bridging=1", "--normal-fraction", "0", "--out", str(tmp_path)) == 0
    for f in tmp_path.glob("*.truth.json"):
        truth = json.loads(f.read_text())
        assert truth["region"] == "cervical"
        bridged = [s for s in truth["sites"] if s["findings"]["bridging"]]
        assert len(bridged) >= 8  # every level is bridged (severity raises p, capped at 0.95)


def test_pelvis_files_and_montage(tmp_path):
    png = tmp_path / "pelvis.png"
    assert _run("pelvis", "--n", "3", "--seed", "8", "--size", "small", "--grade-probs", "0,0,0,0,1",
                "--photo-fraction", "0", "--out", str(tmp_path / "p"), "--montage", str(png)) == 0
    for i in range(3):
        truth = json.loads((tmp_path / "p" / f"pelvis-0000{i}.truth.json").read_text())
        validate(truth, "sij")
        assert truth["sides"]["right"]["grade"] == truth["sides"]["left"]["grade"] == 4
        assert truth["definite"] is True
        assert (tmp_path / "p" / f"pelvis-0000{i}.dcm").is_file()
    assert png.stat().st_size > 1000


def test_hip_is_delegated(tmp_path):
    pytest.importorskip("axspa.phantom.hip")
    png = tmp_path / "hip.png"
    assert _run("hip", "--n", "1", "--seed", "3", "--size", "small", "--out", str(tmp_path / "h"),
                "--montage", str(png)) == 0
    case = tmp_path / "h" / "hip-00000"
    assert (case / "truth.json").is_file() and (case / "truth.seg.nrrd").is_file()
    assert any((case / "dicom").iterdir())
    validate(json.loads((case / "truth.json").read_text()), "hip")
    assert png.is_file()


@pytest.mark.parametrize("argv, message", [
    (["spine", "--n", "0"], "argument --n: 0 is not in the allowed range"),  # the parser's usage error
    (["spine", "--prevalence", "bogus=0.1"], "unknown finding 'bogus'"),
    (["spine", "--prevalence", "erosion=1.5"], "not a probability"),
    (["pelvis", "--grade-probs", "0.5,0.5"], "five probabilities"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, capsys, argv, message):
    try:
        code = _run(*argv, "--out", str(tmp_path / "x"))
    except SystemExit as exc:  # argparse's range check
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
