"""The same batch on a Dask cluster: a LocalCluster of 2 worker processes gives exactly the single-process
outputs; without Dask, --scheduler says what to install; the SLURM cluster's job script."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from batch_cohorts import run as _run
from batch_cohorts import set_config, spine_cohort, tree

from axspa.batch.executors import DaskExecutor, slurm_cluster
from axspa.cli import main
from axspa.jobs import DependencyError

TESTING = Path(__file__).resolve().parents[1]


@pytest.fixture
def local_cluster(monkeypatch):
    distributed = pytest.importorskip("distributed", reason="Dask is an optional extra: pip install 'axspa[cluster]'")
    # The workers import the test doubles (Testing/fake_predictors.py) as a lab's own predictor package.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTING), *sys.path]))
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1")
    yield cluster
    cluster.close()


def test_a_local_dask_cluster_gives_the_single_process_outputs(tmp_path, models, local_cluster):
    manifest = spine_cohort(tmp_path, n=6)
    _run(manifest, tmp_path / "single", models)
    outcome = _run(manifest, tmp_path / "dask", models, executor=DaskExecutor(address=local_cluster.scheduler_address))
    assert outcome.exit_status == 0 and len(outcome.scored) == 6
    assert tree(tmp_path / "dask") == tree(tmp_path / "single")


def test_dask_command_line_with_failures_and_a_time_limit(tmp_path, models, local_cluster, capsys):
    set_config(models, "spine-landmarks", {"fail_rows": [201], "hang_rows": [202]})
    manifest = spine_cohort(tmp_path, n=4)
    status = main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--scheduler",
                   local_cluster.scheduler_address, "--model-dir", str(models), "--case-timeout", "5", "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert "FAILED P1-V0: RuntimeError: the network gave NaN on a film of 201 rows" in err
    assert "FAILED P0-V1: timed out: no result after 5 s" in err
    assert sorted(p.name for p in (tmp_path / "out" / "cases").iterdir()) == ["P0-V0", "P1-V1"]


def test_without_dask_the_scheduler_option_says_what_to_install(tmp_path, models, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    manifest = spine_cohort(tmp_path, n=1)
    with pytest.raises(DependencyError, match=r"pip install 'axspa\[cluster\]'"):
        DaskExecutor(address="tcp://127.0.0.1:1")
    status = main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1"])
    assert status == 2 and "--scheduler needs Dask" in capsys.readouterr().err
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--model-dir", str(models)]) == 0


def test_slurm_cluster_job_script_has_the_queue_cores_and_memory():
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is an optional extra: pip install 'axspa[cluster]'")
    cluster = slurm_cluster("imaging", cores=4, memory="16GB", walltime="01:30:00", account="lab42",
                            scheduler_host="127.0.0.1")
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p imaging", "#SBATCH -A lab42", "#SBATCH --cpus-per-task=4", "#SBATCH -t 01:30:00",
                 "export OMP_NUM_THREADS=4", "--nthreads 1"):
        assert line in script
