"""make evaluate-models: the comparison of measured card figures with the committed evaluation.json, and every
committed evaluation.json belonging to the bundle files it sits beside (a retrained model without a new
evaluation fails here)."""

from __future__ import annotations

import json
import sys

import pytest

from axspa.bundles import shipped_models_dir
from axspa.model_cards.figures import (
    RECIPES,
    Figure,
    bundle_fingerprint,
    compare,
    failures,
    format_rows,
    measured_figures,
)


def _f(value, tolerance=0.01):
    return {"value": value, "tolerance": tolerance}


def test_figures_within_tolerance_pass_and_one_beyond_fails():
    card = {"test.head_dice": _f(0.984), "test.hd95_mm": _f(0.8, 0.1), "test.heads": _f(80, 1)}
    rows = compare(card, {"test.head_dice": _f(0.99), "test.hd95_mm": _f(0.9), "test.heads": _f(79, 1)})
    assert [r.status for r in rows] == ["ok", "ok", "ok"] and not failures(rows)
    rows = compare(card, {"test.head_dice": _f(0.9945), "test.hd95_mm": _f(0.8), "test.heads": _f(82, 1)})
    assert [(r.name, r.status) for r in failures(rows)] == [("test.head_dice", "off"), ("test.heads", "off")]
    assert "test.head_dice" in format_rows(rows) and "0.9945" in format_rows(rows)


def test_a_missing_or_new_figure_fails_and_none_against_a_number_is_off():
    card = {"a": _f(0.5), "b": _f(None), "c": _f(0.3)}
    rows = {r.name: r.status for r in compare(card, {"b": _f(None), "c": _f(None), "d": _f(1.0)})}
    assert rows == {"a": "missing", "b": "ok", "c": "off", "d": "new"}


def test_figures_whose_inputs_are_absent_are_not_run_not_failures():
    recipe = RECIPES["hip-segmenter"]
    outputs = {"test": {"segments": {"femoral head (both sides)": {"dice_mean": 0.98}}}}
    figures, not_run = measured_figures(recipe, outputs, {"real": "../shared/data/pelvis-mri-t1 not found"})
    assert figures["test.head_dice"]["value"] == 0.98 and figures["test.lesion_dice"]["value"] is None
    assert "real.sides_correct" in not_run and "real.sides_correct" not in figures
    card = {"test.head_dice": _f(0.984), "real.sides_correct": _f(16, 1)}
    rows = compare(card, {"test.head_dice": figures["test.head_dice"]}, not_run)
    assert {r.name: r.status for r in rows} == {"test.head_dice": "ok", "real.sides_correct": "not run"}
    assert not failures(rows)


def test_a_figure_is_a_path_into_an_output():
    outputs = {"original": {"bridge": {"accuracy": 0.998}, "films": 100, "confusion_truth_rows": [[1, 2], [3, 4]]}}
    assert Figure("x", "original", "bridge.accuracy", 0.01).value(outputs) == 0.998
    assert Figure("x", "original", ("films",), 1).value(outputs) == 100
    assert Figure("x", "original", lambda d: d["confusion_truth_rows"][1][0], 1).value(outputs) == 3
    assert Figure("x", "original", "bridge.nothing", 0.01).value(outputs) is None
    assert Figure("x", "absent", "films", 1).value(outputs) is None


def test_the_module_does_not_import_torch():
    import subprocess

    code = "import sys, axspa.model_cards.figures; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


SHIPPED = sorted(p.parent.parent.name for p in shipped_models_dir().glob("*/docs/evaluation.json"))


@pytest.mark.parametrize("name", SHIPPED or [pytest.param("none", marks=pytest.mark.skip("no evaluation.json"))])
def test_a_committed_evaluation_belongs_to_the_bundle_files_beside_it(name):
    folder = shipped_models_dir() / name
    doc = json.loads((folder / "docs" / "evaluation.json").read_text())
    assert doc["bundle"] == name
    assert doc["version"] == json.loads((folder / "bundle.json").read_text())["version"]
    assert doc["bundle_sha256"] == bundle_fingerprint(folder), (
        f"{name}: weights or configs changed since docs/evaluation.json was written; rerun "
        f"`python Utilities/evaluate_models.py {name} --write`")
    for other, sha in doc.get("bundles_sha256", {}).items():
        assert sha == bundle_fingerprint(shipped_models_dir() / other), (
            f"{name}'s figures were measured with another {other}; rerun Utilities/evaluate_models.py --write")
    recipe = RECIPES[name]
    assert set(doc["figures"]) | set(doc["not_run"]) >= {f.name for f in recipe.figures}, "figures missing"
    assert doc["commands"], "no commands recorded"
    assert "make evaluate-models" in (folder / "docs" / "README.md").read_text()


def test_reexport_keeps_evaluation_json_and_the_weights(tmp_path):
    pytest.importorskip("torch")
    import shutil

    from axspa.bundles import read_bundle
    from axspa.training.bundle import reexport

    source = shipped_models_dir() / "spine-corners"
    if not (source / "bundle.json").is_file():
        pytest.skip("spine-corners is not shipped in this checkout")
    folder = shutil.copytree(source, tmp_path / "spine-corners")
    before = bundle_fingerprint(folder)
    (folder / "docs" / "evaluation.json").write_text('{"bundle": "spine-corners"}\n')
    reexport(folder, model_card="# card\n")
    info = read_bundle("spine-corners", tmp_path)
    assert "docs/evaluation.json" in info["files"] and (folder / "docs" / "README.md").read_text() == "# card\n"
    assert json.loads((folder / "docs" / "evaluation.json").read_text()) == {"bundle": "spine-corners"}
    assert bundle_fingerprint(folder) == before  # weights and configs written again byte for byte
