"""`axspa batch` as a user runs it: the bundled sample data plus a broken file and a copy of a case under another
name, with the shipped models: the plan, the failures, complete outputs, a resumed rerun, and the progression
and report of its cohort.csv."""

from __future__ import annotations

from batch_cohorts import rows, sample_folder, spine_cohort

from axspa.bundles import ModelMissingError, find_bundle
from axspa.cli import main


def _installed(name: str) -> bool:
    try:
        find_bundle(name)
        return True
    except ModelMissingError:
        return False


def test_plan_prints_the_table_and_writes_nothing(tmp_path, capsys):
    folder = sample_folder(tmp_path / "in")
    assert main(["batch", str(folder), "--out", str(tmp_path / "out"), "--plan"]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[:5] == ["AxSpA-LumbarSpine", "spine", "to", "score", "lumbar"]
               for line in out.splitlines())
    assert "duplicate" in out and "same content as case AxSpA-LumbarSpine" in out
    assert "zero-byte file" in out
    ignored = sum(1 for p in folder.rglob("*") if p.is_file()) - 4 - 2
    assert out.strip().splitlines()[-1] == f"4 case(s) to score, 1 duplicate, 1 failed, {ignored} ignored"
    assert not (tmp_path / "out").exists()


def test_sample_folder_with_the_shipped_models(tmp_path, capsys):
    import pytest

    pytest.importorskip("torch", reason="the shipped models need torch")
    if not (_installed("spine-landmarks") and _installed("hip-segmenter")):
        pytest.skip("the shipped spine and hip models are not installed")
    folder = sample_folder(tmp_path / "in")
    out = tmp_path / "out"
    status = main(["batch", str(folder), "--out", str(out), "--workers", "0"])
    printed = capsys.readouterr()
    sij = _installed("sij-grader")
    assert status == 1  # the zero-byte file
    failures = {r["input"].rsplit("/", 1)[-1]: r["reason"] for r in rows(out / "failures.csv")}
    assert failures.pop("broken.dcm") == "zero-byte file"
    if not sij:
        assert "model bundle 'sij-grader' is not installed" in failures.pop("AxSpA-Pelvis.dcm")
    assert failures == {}
    summary = {r["case_id"]: r for r in rows(out / "summary.csv")}
    scored = {cid for cid, r in summary.items() if r["status"] == "scored"}
    expected = {"AxSpA-CervicalSpine", "AxSpA-LumbarSpine", "AxSpA-HipSTIR"} | ({"AxSpA-Pelvis"} if sij else set())
    assert scored == expected
    assert summary["AxSpA-LumbarSpine"]["region"] == "lumbar" and float(summary["AxSpA-LumbarSpine"]["msasss_imputed"])
    assert summary["AxSpA-HipSTIR"]["hip_right_head_found"] == "True"
    for case_id in scored:
        assert (out / "cases" / case_id / "case.json").is_file()
    assert sorted(p.name for p in (out / "cases" / "AxSpA-HipSTIR").iterdir()) == [
        "AxSpA-HipSTIR.seg.nrrd", "AxSpA-HipSTIR.slices.csv", "case.json", "hip.json"]
    plan = {r["path"].rsplit("/", 1)[-1]: r["status"] for r in rows(out / "plan.csv")}
    assert plan["copy-of-lumbar.dcm"] == "duplicate" and plan["broken.dcm"] == "failed"
    assert "batch: " in printed.out and "scored" in printed.out

    assert main(["batch", str(folder), "--out", str(out), "--workers", "0"]) == 1  # resumed: nothing to redo
    assert f"batch: 0 scored, {len(scored)} unchanged" in capsys.readouterr().out

    assert main(["progression", str(out / "cohort.csv")]) == 0
    assert "1 patients, 1 visits" in capsys.readouterr().out  # the cervical and lumbar film of one visit
    assert main(["report", str(out / "cohort.csv"), "--no-thumbnails"]) == 0
    html = (out / "report.html").read_text()
    assert "mSASSS per radiograph" in html and "Hip STIR inflammation" in html and "Failed cases" in html


def test_manifest_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "m.csv"
    bad.write_text("case_id,job,path\nA,spine,x.png\n")
    assert main(["batch", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"axspa batch: {bad}: missing column(s) patient_id, visit_date; a manifest has columns case_id, "
        "patient_id, visit_date, job, path (and optionally region, series_uid)")
    assert main(["batch", str(tmp_path / "nothing"), "--out", str(tmp_path / "out")]) == 2
    assert "no such manifest or folder" in capsys.readouterr().err


def test_progress_lines_without_a_terminal_and_quiet(tmp_path, models, capsys):
    manifest = spine_cohort(tmp_path, n=2)
    assert main(["batch", str(manifest), "--out", str(tmp_path / "a"), "--model-dir", str(models),
                 "--workers", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["[1/2] P0-V0: scored", "[2/2] P1-V0: scored"]
    assert main(["batch", str(manifest), "--out", str(tmp_path / "b"), "--model-dir", str(models),
                 "--workers", "0", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("batch: 2 scored, 0 unchanged")
