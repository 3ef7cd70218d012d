"""The engine where tqdm and matplotlib cannot be imported, as in 3D Slicer's own Python (issue 17, item 1): a batch
runs without a progress bar, printing the same lines; the agreement and progression outputs are written without
their figures, and the documents say why. (jsonschema: Testing/test_schema_check.py; pynrrd:
Testing/io/test_nrrd_format.py. `make test-slicer-python` runs these suites where the packages are not installed.)"""

from __future__ import annotations

import json
import sys
import types

import pytest
from spine_results import cohort

from axspa import jobs
from axspa.evaluation import figures
from axspa.image import InputError
from axspa.spine.sites import ALL_SITES


@pytest.fixture
def no_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `from tqdm import tqdm` now raises ImportError


@pytest.fixture
def no_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not figures.available()


def test_run_batch_without_tqdm_prints_the_same_lines(tmp_path, capsys, no_tqdm):
    def work(item: str) -> str:
        if item == "bad":
            raise InputError("bad: not an image")
        return f"{item}: ok"

    assert jobs.run_batch(["a", "bad", "b"], tmp_path, work, "test") == 1
    out, err = capsys.readouterr()
    assert out == "a: ok\nb: ok\n" and "FAILED bad: bad: not an image" in err
    assert (tmp_path / "failures.csv").read_text().splitlines() == ["input,reason", "bad,bad: not an image"]


def test_the_batch_display_without_tqdm_prints_a_line_per_case(capsys, no_tqdm):
    from axspa.commands.batch import _Display

    display = _Display(total=2, quiet=False)
    display(types.SimpleNamespace(status="scored", case_id="P1", reason="", failed=0, done=1, total=2))
    display(types.SimpleNamespace(status="failed", case_id="P2", reason="unreadable", failed=1, done=2, total=2))
    display.close()
    out, err = capsys.readouterr()
    assert out == "[1/2] P1: scored\n" and err == "FAILED P2: unreadable\n"


def test_the_plain_progress_iterates_and_counts():
    from axspa.progress import tqdm

    bar = tqdm(range(3), desc="x", unit="case", disable=False)
    assert list(bar) == [0, 1, 2] and bar.n == 3 and bar.disable
    with tqdm(total=5, initial=1) as bar:
        bar.update(2)
        bar.set_postfix(failed=0, refresh=False)
    assert bar.n == 3


def test_figures_without_matplotlib_are_skipped_not_fatal(tmp_path, no_matplotlib):
    assert figures.bland_altman_plot([1, 2, 3], [1, 3, 3], tmp_path / "ba.png") is None
    assert figures.cumulative_probability_plot([0.5, 2.5], tmp_path / "cp.png") is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match=r"figures need matplotlib: pip install 'axspa\[report\]'"):
        figures.pyplot()  # the HTML report, all figures, still says how to install it


def test_agreement_and_progression_without_matplotlib(tmp_path, capsys, no_matplotlib):
    from axspa.cli import main

    cohort(tmp_path)  # reading tables and spine results of two patients, and a manifest
    out = tmp_path / "progression"
    assert main(["progression", str(tmp_path / "manifest.csv"), "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["progression.csv", "progression.json"]
    doc = json.loads((out / "progression.json").read_text())
    assert "figures" not in doc
    assert doc["figures_skipped"] == ("cumulative_probability.png not drawn: matplotlib is not installed "
                                      "(pip install 'axspa[report]')")
    assert doc["figures_skipped"] in stderr and "cumulative_probability.png" not in stdout

    readers = [tmp_path / f"r{n}.csv" for n in (1, 2)]
    for n, path in enumerate(readers):  # four studies, every site graded; reader 2 differs on odd studies
        path.write_text("study,site,grade\n" + "".join(f"S{s},{site},{(s + k + n * (s % 2)) % 4}\n"
                                                       for s in range(4) for k, site in enumerate(ALL_SITES)))
    plot = tmp_path / "agreement"
    assert main(["agree", "scores", *map(str, readers), "--bootstrap", "100", "--plot", str(plot)]) == 0
    assert sorted(p.name for p in plot.iterdir()) == ["agreement.json"]
    doc = json.loads((plot / "agreement.json").read_text())
    assert "figures" not in doc and doc["figures_skipped"].startswith("bland_altman.png not drawn: matplotlib")
    assert doc["figures_skipped"] in capsys.readouterr().err
