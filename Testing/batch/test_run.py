"""A batch run with test-double predictors: outputs per case, tables, resume, model and option changes,
user edits kept, interruption at any moment, failures isolated, time limit, workers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from batch_cohorts import rows as _rows
from batch_cohorts import run as _run
from batch_cohorts import set_config, spine_cohort, tree, write_film, write_manifest

from axspa.batch import store
from axspa.batch.executors import InlineExecutor, ProcessExecutor
from axspa.batch.run import case_outputs, plan_batch, run_batch
from axspa.batch.work import Options
from axspa.image import InputError
from axspa.jobs import CancelledError


def test_a_batch_writes_each_case_and_the_cohort_tables(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=4)
    outcome = _run(manifest, tmp_path / "out", models)
    assert outcome.exit_status == 0 and sorted(outcome.scored) == ["P0-V0", "P0-V1", "P1-V0", "P1-V1"]
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "cases" / "P0-V0").iterdir()) == [
        "case.json", "film0.mrk.json", "film0.sites.csv", "film0.spine.json"]
    summary = {r["case_id"]: r for r in _rows(out / "summary.csv")}
    assert summary["P0-V0"]["status"] == "scored" and summary["P0-V0"]["msasss_raw"] == "2"  # C4i syndesmophyte
    assert summary["P0-V0"]["models"].startswith("spine-landmarks@test")
    cohort = _rows(out / "cohort.csv")
    assert [(r["patient"], r["visit_date"], r["result"]) for r in cohort][:2] == [
        ("P0", "2020-01-01", "cases/P0-V0/film0.spine.json"), ("P1", "2020-01-01", "cases/P1-V0/film1.spine.json")]
    assert not (out / "failures.csv").exists()
    # cohort.csv is what `axspa progression` reads: two patients, two visits each
    from axspa.spine.progression import analyse

    assert len(analyse(out / "cohort.csv")["patients"]) == 2


def test_a_rerun_skips_what_is_done_and_rescores_only_what_a_model_or_option_changed(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=2)
    film = write_film(tmp_path / "pelvis.png", 150)
    rows = _rows(manifest) + [{"case_id": "S1", "patient_id": "P9", "visit_date": "2021-01-01", "job": "sij",
                               "path": film.name, "region": ""}]
    manifest = write_manifest(manifest, rows)
    out = tmp_path / "out"
    first = _run(manifest, out, models)
    assert sorted(first.scored) == ["P0-V0", "P1-V0", "S1"]
    again = _run(manifest, out, models)
    assert again.scored == [] and sorted(again.unchanged) == ["P0-V0", "P1-V0", "S1"]
    set_config(models, "spine-corners", {"findings": {"C5i": {"bridging": 0.9}}})  # a new spine model
    changed = _run(manifest, out, models)
    assert sorted(changed.scored) == ["P0-V0", "P1-V0"] and changed.unchanged == ["S1"]
    summary = {r["case_id"]: r for r in _rows(out / "summary.csv")}
    assert summary["P0-V0"]["msasss_raw"] == "6"  # bridging C5i: C5i and C6s graded 3
    option = _run(manifest, out, models, options=Options(model_dir=str(models), threshold=0.95))
    assert sorted(option.scored) == ["P0-V0", "P1-V0"] and option.unchanged == ["S1"]


def test_edited_outputs_are_kept_unless_overwrite(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=1)
    out = tmp_path / "out"
    _run(manifest, out, models)
    markups = out / "cases" / "P0-V0" / "film0.mrk.json"
    markups.write_text(markups.read_text().replace("C4i", "C4i moved"))
    assert _run(manifest, out, models).unchanged == ["P0-V0"]  # same model: nothing to do, the edit stays
    set_config(models, "spine-corners", {})
    blocked = _run(manifest, out, models)
    assert "film0.mrk.json edited or added since the batch wrote this case; kept" in blocked.failures["P0-V0"]
    assert "C4i moved" in markups.read_text() and blocked.exit_status == 1
    replaced = _run(manifest, out, models, overwrite=True)
    assert replaced.scored == ["P0-V0"] and "C4i moved" not in markups.read_text()


def test_killed_while_swapping_a_case_in_resumes_to_the_same_outputs(tmp_path, models, monkeypatch):
    manifest = spine_cohort(tmp_path, n=4)
    _run(manifest, tmp_path / "whole", models)
    out = tmp_path / "out"
    real_move = store._move
    calls = {"n": 0}

    def killed(src, dst):  # the process dies at the third rename: in the middle of the batch
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real_move(src, dst)

    monkeypatch.setattr(store, "_move", killed)
    with pytest.raises(KeyboardInterrupt):
        _run(manifest, out, models)
    monkeypatch.setattr(store, "_move", real_move)
    half = {r["case_id"]: r["status"] for r in _rows(out / "summary.csv")}
    assert list(half.values()).count("scored") == 2  # the tables say where it stopped
    resumed = _run(manifest, out, models)
    assert len(resumed.unchanged) == 2 and len(resumed.scored) == 2
    assert tree(out) == tree(tmp_path / "whole")


def test_killed_with_sigkill_at_any_moment_resumes_to_the_same_outputs(tmp_path, models):
    import signal
    import subprocess
    import sys
    import time

    set_config(models, "spine-landmarks", {"sleep": 0.15})
    manifest = spine_cohort(tmp_path, n=6)
    _run(manifest, tmp_path / "whole", models)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "axspa.cli", "batch", str(manifest), "--out", str(out), "--workers", "0",
               "--model-dir", str(models), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done_at_kill = []
    for wanted in (1, 3, 5):  # killed as soon as that many cases are done: mid-batch, at no chosen step
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while _done(out) < wanted and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        done_at_kill.append(_done(out))
    assert all(0 < n < 6 for n in done_at_kill), done_at_kill
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert tree(out) == tree(tmp_path / "whole")


def _done(out: Path) -> int:
    return sum(1 for _ in (out / "cases").glob(f"*/{store.RECORD}"))


def test_failures_are_isolated_and_recorded(tmp_path, models):
    set_config(models, "spine-landmarks", {"fail_rows": [201]})
    manifest = spine_cohort(tmp_path, n=3)
    plan = plan_batch(manifest, tmp_path / "out")
    (tmp_path / "films" / "film2.png").unlink()  # vanishes between plan and run
    outcome = run_batch(plan, tmp_path / "out", Options(model_dir=str(models)))
    assert outcome.scored == ["P0-V0"] and outcome.exit_status == 1
    failures = {r["case_id"]: r["reason"] for r in _rows(tmp_path / "out" / "failures.csv")}
    assert "RuntimeError: the network gave NaN on a film of 201 rows" in failures["P1-V0"]
    assert "film2.png" in failures["P0-V1"]
    assert "Traceback" in (tmp_path / "out" / "failures.log").read_text()


def test_a_missing_model_fails_its_job_only(tmp_path, models):
    shutil.rmtree(models / "sij-grader")
    manifest = spine_cohort(tmp_path, n=1)
    film = write_film(tmp_path / "pelvis.png", 150)
    write_manifest(manifest, _rows(manifest) + [{"case_id": "S1", "patient_id": "P9", "visit_date": "",
                                                 "job": "sij", "path": film.name}])
    outcome = _run(manifest, tmp_path / "out", models)
    assert outcome.scored == ["P0-V0"]
    assert "model bundle 'sij-grader' not found" in outcome.failures["S1"]


def test_cancel_stops_between_cases_and_writes_the_tables(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=3)
    seen = []
    with pytest.raises(CancelledError):
        _run(manifest, tmp_path / "out", models, progress=lambda f, m: seen.append(m),
             cancel=lambda: len(seen) >= 1)
    assert [r["status"] for r in _rows(tmp_path / "out" / "summary.csv")].count("scored") == 1


def test_worker_processes_give_the_same_outputs_and_survive_a_crash_and_a_hang(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=4)
    _run(manifest, tmp_path / "inline", models)
    outcome = _run(manifest, tmp_path / "two", models, executor=ProcessExecutor(2))
    assert outcome.exit_status == 0
    assert tree(tmp_path / "two") == tree(tmp_path / "inline")
    set_config(models, "spine-landmarks", {"hang_rows": [201], "exit_rows": [202]})
    bad = _run(manifest, tmp_path / "bad", models, executor=ProcessExecutor(2, limit=5))
    assert sorted(bad.scored) == ["P0-V0", "P1-V1"]
    assert bad.failures["P1-V0"].startswith("timed out: no result after 5 s")
    assert "ended with exit code 3" in bad.failures["P0-V1"]


def test_case_outputs_names_the_files_to_load(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=1)
    _run(manifest, tmp_path / "out", models)
    found = case_outputs(tmp_path / "out", "P0-V0")
    assert sorted(found["files"]) == ["document", "markups", "table"]
    assert found["case"]["job"] == "spine" and found["summary"]["msasss_raw"] == 2
    with pytest.raises(InputError, match="no scored case 'nope'; scored cases there: P0-V0"):
        case_outputs(tmp_path / "out", "nope")


def test_inline_time_limit_gives_up_on_a_hung_case(tmp_path, models):
    set_config(models, "spine-landmarks", {"hang_rows": [200]})
    manifest = spine_cohort(tmp_path, n=2)
    outcome = _run(manifest, tmp_path / "out", models, executor=InlineExecutor(limit=1))
    assert outcome.scored == ["P1-V0"] and outcome.failures["P0-V0"].startswith("timed out")
