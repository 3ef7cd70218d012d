"""axspa evaluate spine: metrics by hand on a truth folder and a perturbed copy of it."""

from __future__ import annotations

import json
import shutil

import pytest

from axspa.cli import main
from axspa.spine.evaluate import evaluate_spine


@pytest.fixture(scope="module")
def truth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("truth")
    assert main(["phantom", "spine", "--n", "3", "--seed", "11", "--size", "small", "--out", str(out)]) == 0
    return out


def _as_predictions(truth_dir, pred_dir):
    pred_dir.mkdir()
    for p in truth_dir.glob("*.truth.json"):
        shutil.copy(p, pred_dir / p.name.replace(".truth.json", ".spine.json"))


def test_truth_against_itself_is_perfect(truth_dir, tmp_path):
    _as_predictions(truth_dir, tmp_path / "pred")
    m = evaluate_spine(truth_dir, tmp_path / "pred")
    assert m["films"] == 3 and m["located_fraction"] == 1.0 and m["localization_mm"]["median"] == 0.0
    assert m["grade_accuracy"] == 1.0 and m["segment_score"]["mae"] == 0.0


def test_a_moved_point_a_changed_grade_and_a_missing_site_count(truth_dir, tmp_path, capsys):
    pred = tmp_path / "pred"
    _as_predictions(truth_dir, pred)
    path = sorted(pred.glob("*.spine.json"))[0]
    doc = json.loads(path.read_text())
    located = [s for s in doc["sites"] if s["point"] is not None and s["grade"] is not None]
    located[0]["point"] = [located[0]["point"][0] + 10.0, located[0]["point"][1]]  # 10 px off
    located[1]["grade"] = 3 if located[1]["grade"] != 3 else 0
    located[2]["point"], located[2]["grade"] = None, None  # not located
    path.write_text(json.dumps(doc))
    m = evaluate_spine(truth_dir, pred)
    n = m["sites"]
    assert m["located_fraction"] == pytest.approx((n - 1) / n)
    assert m["grade_accuracy"] == pytest.approx((n - 2) / n)
    spacing = doc["input"]["pixel_spacing_mm"][0]
    assert max(m["localization_mm"]["p95"], 0) <= 10 * spacing and m["localization_mm"]["median"] == 0.0
    assert main(["evaluate", "spine", "--truth", str(truth_dir), "--pred", str(pred)]) == 0
    assert "quadratic weighted kappa" in capsys.readouterr().out


def test_a_film_without_a_prediction_counts_as_failed(truth_dir, tmp_path, capsys):
    pred = tmp_path / "pred"
    _as_predictions(truth_dir, pred)
    first = sorted(pred.glob("*.spine.json"))[0]
    first.unlink()  # the model wrote nothing for this film
    m = evaluate_spine(truth_dir, pred)
    assert m["films"] == 3 and m["evaluated"] == 2 and len(m["missing"]) == 1
    assert m["region_accuracy"] == pytest.approx(2 / 3)
    assert m["located_fraction"] < 1.0 and m["grade_accuracy"] < 1.0  # its sites are in every denominator
    assert main(["evaluate", "spine", "--truth", str(truth_dir), "--pred", str(pred)]) == 1
    assert "(no prediction)" in capsys.readouterr().out
