"""Where a batch's cases run, each yielding ``CaseResult``s as cases finish:

- ``InlineExecutor``: in this process, one case after another (Slicer's Python console; ``--workers 0``);
- ``ProcessExecutor``: N worker processes, each loading its models once, torch threads split between them,
  a case that passes the time limit stopped by ending its worker (a fresh one takes its place);
- ``DaskExecutor``: a Dask distributed cluster (``--scheduler ADDRESS``, ``--cluster local|slurm``); the
  results come back as bytes, so the workers need not see the output folder (they do need the inputs).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from typing import Any, Callable, Iterator, Optional, Sequence

from axspa.batch.plan import Case
from axspa.batch.work import CaseResult, Options, score_case, score_case_within, timeout_reason
from axspa.jobs import CancelledError, DependencyError

Cancel = Optional[Callable[[], bool]]
CLUSTER_HINT = "pip install 'axspa[cluster]' (Dask distributed and dask-jobqueue)"


def _check_cancel(cancel: Cancel) -> None:
    if cancel is not None and cancel():
        raise CancelledError("batch cancelled")


class InlineExecutor:
    """Cases in this process, in order. A time limit gives up on a case after ``limit`` seconds (its thread
    cannot be killed here and finishes in the background)."""

    def __init__(self, limit: Optional[float] = None) -> None:
        self.limit = limit

    def run(self, cases: Sequence[Case], options: Options, cancel: Cancel = None) -> Iterator[CaseResult]:
        for case in cases:
            _check_cancel(cancel)
            yield score_case_within(case, options, self.limit)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------------- worker processes

def _worker_main(conn: Any, threads: int) -> None:
    """A worker process: models stay loaded between cases; torch and BLAS use ``threads`` threads each, so
    N workers do not oversubscribe the cores (set before anything imports them: this process is spawned)."""
    import signal

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's: it writes the tables, then ends us
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        case, options = message
        conn.send(score_case(case, options))


class _Worker:
    def __init__(self, context: Any, threads: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, threads), daemon=True)
        self.process.start()
        child.close()
        self.case: Optional[Case] = None
        self.started = 0.0

    def send(self, case: Case, options: Options) -> None:
        self.case, self.started = case, time.monotonic()
        self.conn.send((case, options))

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class ProcessExecutor:
    """``workers`` processes (spawned: no state shared with this one but the arguments)."""

    def __init__(self, workers: int, limit: Optional[float] = None) -> None:
        self.n = max(1, int(workers))
        self.limit = limit
        self.threads = max(1, (os.cpu_count() or 1) // self.n)
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def run(self, cases: Sequence[Case], options: Options, cancel: Cancel = None) -> Iterator[CaseResult]:
        from multiprocessing.connection import wait

        pending = deque(cases)
        while len(self.workers) < min(self.n, len(pending)):
            self.workers.append(_Worker(self.context, self.threads))
        while pending or any(w.case is not None for w in self.workers):
            _check_cancel(cancel)
            for worker in self.workers:
                if worker.case is None and pending:
                    worker.send(pending.popleft(), options)
            busy = [w for w in self.workers if w.case is not None]
            ready = wait([w.conn for w in busy], timeout=self._wait_time(busy))
            for worker in busy:
                if worker.conn in ready:
                    yield self._receive(worker)
                elif self.limit and time.monotonic() - worker.started > self.limit:
                    yield self._replace(worker, timeout_reason(self.limit))

    def _wait_time(self, busy: list[_Worker]) -> float:
        # Short enough to notice Cancel; never past the first worker's time limit.
        wait = 0.5
        if self.limit:
            now = time.monotonic()
            wait = min([wait] + [max(0.0, w.started + self.limit - now) for w in busy])
        return wait

    def _receive(self, worker: _Worker) -> CaseResult:
        try:
            result = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            why = " (killed: out of memory?)" if code is not None and code < 0 else ""
            return self._replace(worker, f"the worker process scoring it ended with exit code {code}{why}")
        worker.case = None
        return result

    def _replace(self, worker: _Worker, reason: str) -> CaseResult:
        case, started = worker.case, worker.started
        worker.stop(kill=True)
        self.workers[self.workers.index(worker)] = _Worker(self.context, self.threads)
        return CaseResult(case.case_id if case else "", error=reason, seconds=time.monotonic() - started)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop(kill=worker.case is not None)
        self.workers = []


# --------------------------------------------------------------------------------------------------- Dask

def _dask_task(case: Case, options: Options, limit: Optional[float]) -> CaseResult:
    """What a Dask worker runs: the case, given up after ``limit``; the worker's address is returned so the
    driver can restart a worker left with a hung case."""
    result = score_case_within(case, options, limit)
    try:
        from distributed import get_worker

        result.worker = get_worker().address
    except (ImportError, ValueError):
        pass
    return result


class DaskExecutor:
    """Cases as tasks on a Dask cluster: an existing scheduler (``address``) or a cluster object started
    here (``cluster``, closed with the executor)."""

    def __init__(self, address: Optional[str] = None, cluster: Any = None, limit: Optional[float] = None) -> None:
        distributed = import_distributed("--scheduler")
        self.cluster = cluster
        self.client = distributed.Client(cluster if cluster is not None else address, timeout="30s")
        self.limit = limit

    def run(self, cases: Sequence[Case], options: Options, cancel: Cancel = None) -> Iterator[CaseResult]:
        as_completed = import_distributed("--scheduler").as_completed
        futures = [self.client.submit(_dask_task, case, options, self.limit, pure=False,
                                      key=f"axspa-{case.case_id}-{os.getpid()}-{time.monotonic_ns()}")
                   for case in cases]
        ids = {f.key: case.case_id for f, case in zip(futures, cases)}
        try:
            for future in as_completed(futures):
                _check_cancel(cancel)
                yield self._result(future, ids[future.key])
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def _result(self, future: Any, case_id: str) -> CaseResult:
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 (a worker lost, a task that could not be sent: the case's)
            return CaseResult(case_id, error=f"Dask task failed: {type(exc).__name__}: {' '.join(str(exc).split())}")
        if result.error.startswith("timed out") and result.worker:
            try:
                self.client.restart_workers([result.worker])  # ends the hung case's thread with its worker
            except Exception:  # noqa: BLE001 (no nanny, an older Dask: the thread stays; the batch goes on)
                pass
        return result

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def import_distributed(option: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise DependencyError(f"{option} needs Dask, which is not installed: {CLUSTER_HINT}") from None
    return distributed


def start_cluster(kind: str, workers: int = 2, queue: Optional[str] = None, cores: int = 2, memory: str = "8GB",
                  walltime: str = "02:00:00", account: Optional[str] = None) -> Any:
    """A Dask cluster of ``kind``: ``local`` (``workers`` processes here) or ``slurm`` (``workers`` SLURM jobs
    of ``cores`` cores and ``memory`` each, on ``queue``, through dask-jobqueue)."""
    if kind == "local":
        distributed = import_distributed("--cluster local")
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
    if kind == "slurm":
        cluster = slurm_cluster(queue, cores, memory, walltime, account)
        cluster.scale(jobs=workers)  # submits the SLURM jobs (sbatch)
        return cluster
    raise ValueError(f"unknown cluster kind {kind!r}; expected local or slurm")


def slurm_cluster(queue: Optional[str], cores: int, memory: str, walltime: str, account: Optional[str],
                  scheduler_host: Optional[str] = None) -> Any:
    """A dask-jobqueue SLURMCluster, no job submitted yet: per job one worker running one case at a time with
    all the job's cores as torch threads (``cluster.job_script()`` shows the script it will submit). The
    scheduler listens where the compute nodes can reach it unless ``scheduler_host`` says otherwise."""
    import_distributed("--cluster slurm")
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise DependencyError(f"--cluster slurm needs dask-jobqueue, which is not installed: {CLUSTER_HINT}") from None
    extra = {"scheduler_options": {"host": scheduler_host}} if scheduler_host else {}
    return SLURMCluster(queue=queue, account=account, cores=1, job_cpu=cores, processes=1, memory=memory,
                        walltime=walltime, job_name="axspa-batch",
                        job_script_prologue=[f"export OMP_NUM_THREADS={cores}"], **extra)
