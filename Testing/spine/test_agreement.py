"""`axspa agree scores`: reader tables -> per-site and total agreement; bad input named by file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.cli import main
from axspa.evaluation import figures
from axspa.image import InputError
from axspa.spine import agreement
from axspa.spine.sites import ALL_SITES, CERVICAL_SITES


def _write(path, readings: dict[str, dict[str, int | None]]) -> str:
    lines = ["study,site,grade"]
    for study, grades in readings.items():
        lines += [f"{study},{site},{'' if g is None else g}" for site, g in grades.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _cohort(seed: int = 3, n: int = 12):
    rng = np.random.default_rng(seed)
    r1, r2 = {}, {}
    for s in range(n):
        base = rng.choice([0, 0, 0, 1, 2, 3], size=len(ALL_SITES))
        noise = rng.choice([-1, 0, 0, 0, 0, 1], size=len(ALL_SITES))
        r1[f"S{s:02d}"] = dict(zip(ALL_SITES, base.tolist()))
        r2[f"S{s:02d}"] = dict(zip(ALL_SITES, np.clip(base + noise, 0, 3).tolist()))
    return r1, r2


def test_site_statistics_match_a_hand_count(tmp_path):
    r1, r2 = _cohort()
    doc = agreement.agree_scores([_write(tmp_path / "R1.csv", r1), _write(tmp_path / "R2.csv", r2)], n_boot=200)
    site = "L3s"
    pairs = [(r1[s][site], r2[s][site]) for s in r1]
    res = doc["sites"][site]
    assert res["n"] == 12
    assert res["exact_agreement"] == pytest.approx(sum(a == b for a, b in pairs) / 12)
    matrix = np.zeros((4, 4), int)
    for a, b in pairs:
        matrix[a, b] += 1
    assert res["confusion_matrix"] == matrix.tolist()
    pooled = doc["all_sites"]
    assert pooled["n"] == 12 * 24
    assert doc["site_comparison"] == "R1 vs R2"
    for key in ("kappa_linear", "kappa_quadratic"):
        lo, hi = pooled[f"{key}_ci"]
        assert lo <= pooled[key] <= hi


def test_totals_use_engine_imputation(tmp_path):
    r1, r2 = _cohort(n=4)
    # Reader 2 calls two cervical sites of S00 unscorable: each takes the mean of the 10 scored ones.
    r2["S00"]["C3s"] = None
    r2["S00"]["C4s"] = None
    scored = [r2["S00"][s] for s in CERVICAL_SITES if s not in ("C3s", "C4s")]
    cervical = sum(scored) + 2 * sum(scored) / 10
    lumbar = sum(r2["S00"][s] for s in ALL_SITES if s not in CERVICAL_SITES)
    doc = agreement.agree_scores([_write(tmp_path / "a.csv", r1), _write(tmp_path / "b.csv", r2)], n_boot=200)
    assert doc["total"]["totals"]["b"][0] == pytest.approx(cervical + lumbar)
    assert doc["sites"]["C3s"]["n"] == 3 and doc["sites"]["C3s"]["unscorable_disagreements"] == 1


def test_identical_readers_agree_perfectly(tmp_path):
    r1, _ = _cohort(n=6)
    doc = agreement.agree_scores([_write(tmp_path / "x.csv", r1), _write(tmp_path / "y.csv", r1)], n_boot=200)
    assert doc["all_sites"]["exact_agreement"] == 1.0
    assert doc["all_sites"]["kappa_quadratic"] == pytest.approx(1.0)
    assert doc["total"]["icc_2_1"] == pytest.approx(1.0)
    assert doc["total"]["mean_difference"] == 0.0 and doc["total"]["loa"] == [0.0, 0.0]


def test_three_readers_give_icc_over_all(tmp_path):
    r1, r2 = _cohort(n=8)
    _, r3 = _cohort(seed=9, n=8)
    paths = [_write(tmp_path / f"R{i}.csv", r) for i, r in enumerate((r1, r2, r3), start=1)]
    total = agreement.agree_scores(paths, n_boot=200)["total"]
    assert total["n_raters"] == 3 and total["readers"] == ["R1", "R2", "R3"]
    assert len(total["pairs"]) == 3
    assert total["icc_2_1_ci"][0] <= total["icc_2_1"] <= total["icc_2_1_ci"][1]


def test_cli_json_keys_and_plot(tmp_path, capsys):
    r1, r2 = _cohort()
    a, b = _write(tmp_path / "R1.csv", r1), _write(tmp_path / "R2.csv", r2)
    plot_dir = tmp_path / "fig"
    assert main(["agree", "scores", a, b, "--json", "--bootstrap", "200", "--plot", str(plot_dir)]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("exact_agreement", "kappa_linear", "kappa_quadratic", "kappa_linear_ci", "confusion_matrix"):
        assert key in doc["sites"]["C2i"]
    for key in ("icc_2_1", "icc_2_1_ci", "icc_3_1", "icc_1_1", "mean_difference", "loa", "sdc"):
        assert key in doc["total"]
    png = plot_dir / "bland_altman.png"
    written = json.loads((plot_dir / "agreement.json").read_text())
    if figures.available():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert written["figures"] == {"bland_altman": "bland_altman.png"}
    else:  # 3D Slicer's Python (make test-slicer-python): no matplotlib, no figure, and the document says so
        assert not png.exists() and "matplotlib is not installed" in written["figures_skipped"]
    assert written["total"]["icc_2_1"] == doc["total"]["icc_2_1"]
    # Same seed, same intervals.
    assert main(["agree", "scores", a, b, "--json", "--bootstrap", "200"]) == 0
    assert json.loads(capsys.readouterr().out)["all_sites"] == doc["all_sites"]


def test_cli_text_summary(tmp_path, capsys):
    r1, r2 = _cohort()
    a, b = _write(tmp_path / "R1.csv", r1), _write(tmp_path / "R2.csv", r2)
    assert main(["agree", "scores", a, b, "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert "ICC(2,1)" in out and "smallest detectable change" in out and "T12i" in out


@pytest.mark.parametrize("content, message", [
    ("study,site\nS1,C2i\n", "missing column(s) grade"),
    ("study,site,grade\nS1,C9i,1\n", "line 2: unknown site id 'C9i'"),
    ("study,site,grade\nS1,C2i,4\n", "line 2: grade '4'"),
    ("study,site,grade\nS1,C2i,1\nS1,C2i,2\n", "line 3: study 'S1' site C2i is given twice"),
])
def test_bad_tables_name_file_and_problem(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    good = _write(tmp_path / "good.csv", {"S1": {"C2i": 1}})
    assert main(["agree", "scores", good, str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and message in err


def test_study_read_by_one_reader_only(tmp_path):
    a = _write(tmp_path / "a.csv", {"S1": {"C2i": 1}, "S2": {"C2i": 0}})
    b = _write(tmp_path / "b.csv", {"S1": {"C2i": 1}})
    with pytest.raises(InputError, match=r"b\.csv: has no reading of 1 study\(ies\).*S2"):
        agreement.agree_scores([a, b], n_boot=200)


def test_compare_with_reader_lists_site_differences():
    ours = {"C2i": 2, "C3s": 0, "C3i": None}
    reader = {"C2i": 3, "C3s": 0, "C4s": 1}
    rows = agreement.compare_with_reader(ours, reader)
    assert [r["site"] for r in rows] == ["C2i", "C3s", "C3i", "C4s"]
    assert rows[0] == {"site": "C2i", "ours": 2, "reader": 3, "difference": -1, "agree": False}
    assert rows[1]["agree"] is True and rows[1]["difference"] == 0
    assert rows[2]["difference"] is None and rows[3]["ours"] is None
