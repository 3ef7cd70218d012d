"""Cohort throughput (``make bench``, 2 CPU cores): 200 phantom lateral spine films with the shipped models on
1 and 2 worker processes and on a 2-worker Dask LocalCluster, against running ``axspa spine`` once per file
(on the first AXSPA_BENCH_PER_FILE films, default 10, its rate applied to all); films per minute and the
ratios. Then the batch machinery's own cost per case with test-double predictors (target <= 20 ms): the
batch's wall time less the time spent scoring inside the cases, per case. Not a timed test: it prints."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_cohorts import spine_cohort

from axspa.batch.executors import DaskExecutor, InlineExecutor, ProcessExecutor
from axspa.batch.run import plan_batch, run_batch
from axspa.batch.work import Options

pytestmark = pytest.mark.benchmark

N_FILMS = int(os.environ.get("AXSPA_BENCH_FILMS", "200"))
N_PER_FILE = int(os.environ.get("AXSPA_BENCH_PER_FILE", "10"))


def _rate(n: int, seconds: float) -> float:
    return 60.0 * n / seconds


def test_cohort_throughput_with_the_shipped_spine_models(tmp_path):
    pytest.importorskip("torch")
    from axspa.bundles import ModelMissingError, find_bundle
    from axspa.cli import main

    try:
        find_bundle("spine-landmarks")
    except ModelMissingError as exc:
        pytest.skip(str(exc))
    films = tmp_path / "films"
    assert main(["phantom", "spine", "--n", str(N_FILMS), "--seed", "7", "--out", str(films)]) == 0
    plan = plan_batch(films)
    assert len(plan.cases) == N_FILMS, plan.lines[:3]
    rates = {}
    runs = [("1 worker process", lambda: ProcessExecutor(1)), ("2 worker processes", lambda: ProcessExecutor(2)),
            ("Dask LocalCluster, 2 workers", _local_cluster)]
    for name, make in runs:
        executor = make()
        t0 = time.perf_counter()
        outcome = run_batch(plan, tmp_path / name.replace(" ", "-"), Options(), executor)
        seconds = time.perf_counter() - t0
        assert outcome.exit_status == 0 and len(outcome.scored) == N_FILMS
        rates[name] = _rate(N_FILMS, seconds)
    files = sorted(films.glob("*.dcm"))[:N_PER_FILE]
    t0 = time.perf_counter()
    for film in files:
        subprocess.run([sys.executable, "-m", "axspa.cli", "spine", str(film), "--out", str(tmp_path / "single")],
                       check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "2"})
    rates["axspa spine once per file"] = _rate(len(files), time.perf_counter() - t0)
    base = rates["axspa spine once per file"]
    print(f"\ncohort of {N_FILMS} phantom spine films, {os.cpu_count()} cores:")
    for name, rate in rates.items():
        print(f"  {name:32s} {rate:7.1f} films/min  ({rate / base:5.1f}x once-per-file)")


def _local_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    return DaskExecutor(cluster=cluster)


def test_batch_machinery_overhead_per_case(tmp_path, models):
    manifest = spine_cohort(tmp_path, n=N_FILMS)
    t0 = time.perf_counter()
    plan = plan_batch(manifest, tmp_path / "out")
    plan_s = time.perf_counter() - t0
    seconds_in_cases = []

    class Timed(InlineExecutor):
        def run(self, cases, options, cancel=None):
            for result in super().run(cases, options, cancel):
                seconds_in_cases.append(result.seconds)
                yield result

    t0 = time.perf_counter()
    outcome = run_batch(plan, tmp_path / "out", Options(model_dir=str(models)), Timed())
    total = time.perf_counter() - t0 + plan_s
    assert len(outcome.scored) == N_FILMS
    t0 = time.perf_counter()
    again = run_batch(plan_batch(manifest, tmp_path / "out"), tmp_path / "out", Options(model_dir=str(models)))
    resume_s = time.perf_counter() - t0
    assert len(again.unchanged) == N_FILMS
    overhead_ms = 1000 * (total - sum(seconds_in_cases)) / N_FILMS
    print(f"\nbatch machinery with test-double predictors, {N_FILMS} cases: {overhead_ms:.1f} ms per case "
          f"(target <= 20; plan {1000 * plan_s / N_FILMS:.1f} ms per case); a rerun that skips every case: "
          f"{1000 * resume_s / N_FILMS:.1f} ms per case")
    assert Path(tmp_path / "out" / "summary.csv").is_file()
