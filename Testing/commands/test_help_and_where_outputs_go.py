"""Help texts say what every option is (and print as written), and every command that writes files ends by
saying where it wrote them (issue 11, part 4)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from fake_predictors import install_bundle
from spine_results import cohort

from axspa.cli import build_parser, main
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"


def _parsers(parser: argparse.ArgumentParser, name: str = "axspa"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                yield from _parsers(child, f"{name} {sub}")


def test_every_option_has_help_and_help_prints_as_written(capsys):
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
        text = parser.format_help()
        assert "%%" not in text and "%(" not in text, name


def test_agree_scores_help_says_95_percent(capsys):
    with pytest.raises(SystemExit):
        main(["agree", "scores", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "bootstrap 95% CIs" in text and "ICC(2,1) with 95% CI" in text


def test_hip_out_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["hip", "--help"])
    assert "--out OUT output folder: hip.json" in " ".join(capsys.readouterr().out.split())


def _last_line(capsys, stream: str = "out") -> str:
    return getattr(capsys.readouterr(), stream).strip().splitlines()[-1]


def test_hip_ends_with_where_its_outputs_are(tmp_path, capsys):
    out = tmp_path / "hip"
    assert main(["hip", str(SAMPLE / "AxSpA-HipSTIR.nrrd"), "--seg", str(SAMPLE / "AxSpA-HipSTIR.seg.nrrd"),
                 "--out", str(out)]) == 0
    assert _last_line(capsys) == f"outputs in {out}"
    assert (out / "hip.json").is_file()


def test_sij_ends_with_where_its_outputs_are_even_when_a_case_failed(tmp_path, capsys, monkeypatch):
    models = tmp_path / "models"
    install_bundle(models, "sij-grader", "FixedSij", {"right": [1, 0, 0, 0, 0], "left": [1, 0, 0, 0, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    bad = tmp_path / "not-an-image.dcm"
    bad.write_text("no")
    assert main(["sij", str(bad), "--out", str(tmp_path / "o")]) == 1
    assert _last_line(capsys) == f"outputs in {tmp_path / 'o'}"
    assert (tmp_path / "o" / "failures.csv").is_file()


def test_agree_and_progression_end_with_their_files(tmp_path, capsys):
    table = "study,site,grade\n" + "".join(f"S{i},{s},{i % 4}\n" for i in range(4)
                                           for s in CERVICAL_SITES + LUMBAR_SITES)
    (tmp_path / "r1.csv").write_text(table)
    (tmp_path / "r2.csv").write_text(table.replace(",3\n", ",2\n"))
    assert main(["agree", "scores", str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv"), "--bootstrap", "100",
                 "--plot", str(tmp_path / "a")]) == 0
    assert _last_line(capsys) == f"outputs in {tmp_path / 'a'}: agreement.json, bland_altman.png"
    assert main(["progression", str(cohort(tmp_path)), "--out", str(tmp_path / "p")]) == 0
    assert _last_line(capsys) == (f"outputs in {tmp_path / 'p'}: progression.csv, progression.json, "
                                  f"cumulative_probability.png")
    # With --json, stdout stays one JSON document; where the files went is said on stderr.
    assert main(["progression", str(cohort(tmp_path)), "--out", str(tmp_path / "p"), "--json"]) == 0
    said = capsys.readouterr()
    json.loads(said.out)
    assert said.err.strip().endswith("cumulative_probability.png")
    seg = SAMPLE / "AxSpA-HipSTIR.seg.nrrd"
    assert main(["agree", "masks", f"{seg}#Left femoral BME", f"{seg}#Left femoral BME", "--out",
                 str(tmp_path / "m")]) == 0
    assert _last_line(capsys) == f"outputs in {tmp_path / 'm'}: overlap.json"
