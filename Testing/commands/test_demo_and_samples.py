"""The bundled sample data is what its manifest says, and `axspa demo` runs end to end on it."""

from __future__ import annotations

import json

from axspa.cli import main
from axspa.commands.demo import SAMPLE_DATA
from axspa.io.radiograph import read_radiograph
from axspa.results import sha256_file, validate


def test_manifest_checksums_match_the_shipped_files():
    samples = json.loads((SAMPLE_DATA / "manifest.json").read_text())["samples"]
    assert {s["module"] for s in samples} == {"AxSpAScoring", "HipInflammation"}
    for s in samples:
        assert sha256_file(SAMPLE_DATA / s["file"]) == s["sha256"], s["file"]


def test_sample_radiographs_read_with_their_truth():
    for stem, kind in (("AxSpA-CervicalSpine", "spine"), ("AxSpA-LumbarSpine", "spine"), ("AxSpA-Pelvis", "sij")):
        truth = json.loads((SAMPLE_DATA / f"{stem}.truth.json").read_text())
        validate(truth, kind)
        image = read_radiograph(SAMPLE_DATA / f"{stem}.dcm")
        assert (image.rows, image.columns) == (truth["input"]["rows"], truth["input"]["columns"])
        assert image.sha256 == truth["input"]["sha256"]
        assert image.meta["transfer_syntax"].startswith("JPEG 2000")


def test_demo_runs_and_reproduces_the_hip_truth(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "total     24.55 (0-72)" in out
    assert "hip scores match the phantom's ground truth" in out
    assert (tmp_path / "report.html").is_file()
