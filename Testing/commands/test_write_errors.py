"""OS errors writing outputs and errors of one case (issue 8, classes 6 and 11): the command line says
one line naming the path and the reason and exits 2; inside a batch, the case fails (a line in
failures.csv, the traceback of an unexpected error in failures.log) and the batch goes on."""

from __future__ import annotations

import csv
from pathlib import Path

import fake_predictors
import numpy as np
import pytest
from fake_predictors import FixedLandmarks, install_bundle

from axspa.cli import main
from axspa.io.dicom_write import write_radiograph_dicom

REPO = Path(__file__).resolve().parents[2]
READING = REPO / "Resources" / "SampleData" / "sample-reading.csv"


def _film(path: Path, columns: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (np.arange(120 * columns) % 4096).reshape(120, columns).astype(np.uint16)
    write_radiograph_dicom(path, pixels, spacing_mm=(0.15, 0.15), photometric="MONOCHROME2",
                           seed_uid_from=str(columns))
    return path


class RaisingLandmarks(FixedLandmarks):
    """A plug-in model that raises on odd input (here: a film 101 pixels wide)."""

    def predict(self, pixels, spacing_mm, region):
        if pixels.shape[1] == 101:
            raise RuntimeError("odd film: the network got NaN")
        return super().predict(pixels, spacing_mm, region)


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setattr(fake_predictors, "RaisingLandmarks", RaisingLandmarks, raising=False)
    models = tmp_path / "models"
    install_bundle(models, "spine-landmarks", "RaisingLandmarks", {})
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {}})
    install_bundle(models, "sij-grader", "FixedSij", {"right": [1, 0, 0, 0, 0], "left": [0, 0, 0, 1, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    return models


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["spine", "{film}", "--region", "cervical", "--out", "{file}"],
    ["sij", "{film}", "--out", "{file}"],
    ["agree", "scores", "{reader}", "{reader}", "--bootstrap", "100", "--plot", "{file}"],
    ["progression", "{manifest}", "--out", "{file}"],
    ["report", "{results}", "--out", "{file}/report.html"],
])
def test_out_is_a_file_is_one_line_and_exit_2(argv, models, tmp_path, capsys):
    film = _film(tmp_path / "films" / "a.dcm", 100)
    file = tmp_path / "not-a-folder"
    file.write_text("a file where the output folder should be\n")
    results = tmp_path / "results"
    assert main(["sij", str(film), "--out", str(results)]) == 0
    manifest = tmp_path / "cohort.csv"
    manifest.write_text(f"patient,visit_date,result\np1,2020-01-01,{READING}\np1,2022-01-01,{READING}\n")
    rows = READING.read_text().splitlines()[1:]
    reader = tmp_path / "reader.csv"
    reader.write_text("study,site,grade\n" + "".join(f"{s},{r}\n" for s in ("s1", "s2", "s3") for r in rows))
    values = {"film": str(film), "file": str(file), "manifest": str(manifest), "results": str(results),
              "reader": str(reader)}
    capsys.readouterr()
    assert main([a.format(**values) for a in argv]) == 2
    assert str(file) in _one_line(capsys.readouterr().err)


def test_a_folder_where_an_output_goes_fails_that_case_only(models, tmp_path, capsys):
    a, b = _film(tmp_path / "a" / "one.dcm", 100), _film(tmp_path / "b" / "two.dcm", 102)
    out = tmp_path / "out"
    assert main(["sij", str(a), "--out", str(out)]) == 0
    heatmap = out / "one.heatmap.nrrd"
    heatmap.unlink()
    heatmap.mkdir()  # a folder where the heat map goes
    assert main(["sij", str(a), str(b), "--out", str(out)]) == 1
    rows = list(csv.DictReader((out / "failures.csv").open()))
    assert [r["input"] for r in rows] == [str(a)]
    assert str(heatmap) in rows[0]["reason"] and "\n" not in rows[0]["reason"]
    assert (out / "two.sij.json").is_file()
    assert "Traceback" not in capsys.readouterr().err


def test_a_model_that_raises_on_one_case_fails_that_case_only(models, tmp_path, capsys):
    films = [_film(tmp_path / f"f{n}.dcm", 100 + n) for n in range(3)]  # f1 is 101 wide: the model raises
    out = tmp_path / "out"
    assert main(["spine", *map(str, films), "--region", "cervical", "--out", str(out)]) == 1
    assert (out / "f0.spine.json").is_file() and (out / "f2.spine.json").is_file()
    rows = list(csv.DictReader((out / "failures.csv").open()))
    assert [r["input"] for r in rows] == [str(films[1])]
    assert "RuntimeError: odd film" in rows[0]["reason"] and "failures.log" in rows[0]["reason"]
    log = (out / "failures.log").read_text()
    assert str(films[1]) in log and "Traceback" in log and "RaisingLandmarks" not in capsys.readouterr().err
    # a clean re-run of the good cases leaves no stale failure list or log
    assert main(["spine", str(films[0]), "--region", "cervical", "--out", str(out)]) == 0
    assert not (out / "failures.csv").exists() and not (out / "failures.log").exists()


class RaisingHip:
    def __init__(self, folder, info) -> None:
        pass

    def predict(self, volume, progress=None, cancel=None):
        raise RuntimeError("odd volume: the network got NaN")


def test_a_single_case_command_whose_model_raises_says_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fake_predictors, "RaisingHip", RaisingHip, raising=False)
    install_bundle(tmp_path / "models", "hip-segmenter", "RaisingHip", {})
    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "models"))
    stir = REPO / "Resources" / "SampleData" / "AxSpA-HipSTIR.nrrd"
    assert main(["hip", str(stir), "--out", str(tmp_path / "out")]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("axspa hip: failed: RuntimeError: odd volume") and "traceback in " in line
    log = Path(line.rsplit("traceback in ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text() and "in predict" in log.read_text()
    log.unlink()
