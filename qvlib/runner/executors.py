"""Where jobs run: worker processes on this machine, or a Dask cluster.

A :class:`JobExecutor` takes the planned jobs and yields a
:class:`~qvlib.runner.engine.JobResult` for each as it finishes, in completion order.

- :class:`LocalExecutor` starts ``--jobs`` worker processes (:mod:`qvlib.runner.worker`) and
  hands each one job at a time.  A worker that dies fails only the job it was running (with
  how it died); the jobs not yet started go to the other workers and to a replacement.
- :class:`DaskExecutor` (``--scheduler ADDRESS``) submits each job to a ``dask.distributed``
  cluster.  On each Dask worker the job runs exactly as locally, on a qv worker process that
  Dask worker keeps for the run; the job's files come back to this process, which writes them
  as a local run does, so outputs, manifest and index are the same.  The cluster's machines need
  this version of qv installed and the run's data snapshot (under ``--out``) at the same path.

Leaving the ``with`` block because of an exception (an interrupted run) stops every worker at
once; leaving it normally lets them finish.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import replace
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from qvlib.errors import QvError
from qvlib.runner.engine import JobResult, WorkerConfig, now, remove_partial_files, write_atomic
from qvlib.runner.plan import Job

log = logging.getLogger(__name__)

#: Workers that die before becoming ready this many times in a row fail the remaining jobs.
_STARTUP_ATTEMPTS = 3
#: How long to try to reach a Dask scheduler.
CONNECT_TIMEOUT = "20s"


def failed(job: Job, error: str) -> JobResult:
    """A failed result for ``job`` that never produced one."""
    return JobResult(key=job.key, status="failed", started=now(), finished=now(), error=error)


class JobExecutor:
    """Runs jobs and yields their results as they complete; use as a context manager.

    ``config`` may be replaced until :meth:`run` is called (a run learns its snapshot late).
    """

    config: WorkerConfig

    def start(self) -> None:
        """Start workers ahead of :meth:`run` (while the run still prepares its data)."""

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        """Yield one result per job, in completion order."""
        raise NotImplementedError

    def close(self, *, abort: bool = False) -> None:
        """Release workers: let them finish, or (``abort``) stop them at once."""

    def __enter__(self) -> JobExecutor:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(abort=exc_type is not None)


class LocalExecutor(JobExecutor):
    """``workers`` worker processes on this machine."""

    def __init__(self, workers: int, config: WorkerConfig):
        from qvlib.runner.worker import WorkerProcess

        self._start = WorkerProcess
        self.workers = max(1, workers)
        self.config = config
        self._running: list[Any] = []

    def start(self) -> None:
        while len(self._running) < self.workers:
            self._running.append(self._start(self.config))

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        pending = deque(jobs)
        running = self._running
        while len(running) < min(self.workers, len(pending)):
            running.append(self._start(self.config))
        snapshot = self.config.snapshot
        failures, startup_error = 0, ""
        while running:
            for worker in running:
                if worker.ready and worker.job is None and pending:
                    worker.submit(pending.popleft(), snapshot)
            if not pending and not any(w.job for w in running):
                break
            for worker in wait(running):
                try:
                    kind, payload = worker.receive()
                except (EOFError, OSError):
                    how = worker.exit_description()
                    running.remove(worker)
                    worker.wait()
                    if worker.job is not None:
                        remove_partial_files(worker.job.written_paths())
                        yield failed(worker.job, f"the worker process running it died ({how})")
                    if not worker.ready:
                        failures += 1
                        startup_error = startup_error or how
                    if pending and failures < _STARTUP_ATTEMPTS:
                        running.append(self._start(self.config))
                    continue
                if kind == "result":
                    yield payload
                elif kind == "error":
                    startup_error = payload.strip().splitlines()[-1]
                    log.error("a worker process could not start:\n%s", payload)
                elif kind == "ready":
                    failures = 0
        for job in pending:
            yield failed(job, f"no worker process could start ({startup_error})")

    def close(self, *, abort: bool = False) -> None:
        workers, self._running = self._running, []
        for worker in workers:
            worker.stop(now=abort or not worker.ready)
        for worker in workers:
            worker.wait()


# --------------------------------------------------------------------------- Dask


class DaskExecutor(JobExecutor):
    """Jobs on the ``dask.distributed`` cluster whose scheduler is at ``address``."""

    def __init__(self, address: str, config: WorkerConfig):
        try:
            from distributed import Client
        except ImportError:
            raise QvError(
                f"--scheduler {address}: running jobs on a Dask cluster needs "
                "dask.distributed, which is not installed; install the 'dask' extra "
                "(pip install -e '.[dask]'), or leave out --scheduler to run on this machine"
            ) from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise QvError(
                f"--scheduler {address}: no Dask scheduler answers there ({exc}); start one "
                "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
                "--scheduler to run on this machine"
            ) from None
        self.config = config
        self._futures: list[Any] = []

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        from distributed import as_completed

        by_future = {
            self.client.submit(run_dask_job, job, self.config, pure=False): job for job in jobs
        }
        self._futures = list(by_future)
        for future in as_completed(self._futures, loop=self.client.loop):
            job = by_future[future]
            try:
                result, files = future.result()
            except Exception as exc:
                yield failed(job, f"the Dask task failed: {type(exc).__name__}: {exc}")
                continue
            try:
                for path, data in files.items():
                    write_atomic(Path(path), data)
            except OSError as exc:
                remove_partial_files(job.written_paths())
                result = failed(job, f"could not write the job's files: {exc}")
            yield result

    def close(self, *, abort: bool = False) -> None:
        if abort and self._futures:
            with contextlib.suppress(Exception):
                self.client.cancel(self._futures)
        self._futures = []
        self.client.close()


# On a Dask worker: qv worker processes, started from one thread that lives as long as the
# Dask worker (a worker process dies with the thread that started it), kept between tasks.
_IDLE: dict[WorkerConfig, list[Any]] = {}
_IDLE_LOCK = threading.Lock()
_SPAWN_REQUESTS: queue.Queue[tuple[WorkerConfig, queue.Queue[Any]]] = queue.Queue()
_SPAWNER: threading.Thread | None = None


def _spawner() -> None:
    from qvlib.runner.worker import WorkerProcess

    while True:
        config, reply = _SPAWN_REQUESTS.get()
        try:
            reply.put(WorkerProcess(config))
        except BaseException as exc:
            reply.put(exc)


def _acquire(config: WorkerConfig) -> Any:
    global _SPAWNER
    with _IDLE_LOCK:
        for stale in [c for c in _IDLE if c != config]:  # a new run: its snapshot
            for worker in _IDLE.pop(stale):
                worker.stop()
        idle = _IDLE.setdefault(config, [])
        while idle:
            worker = idle.pop()
            if worker.process.poll() is None:
                return worker
        if _SPAWNER is None:
            _SPAWNER = threading.Thread(target=_spawner, name="qv-workers", daemon=True)
            _SPAWNER.start()
    reply: queue.Queue[Any] = queue.Queue()
    _SPAWN_REQUESTS.put((config, reply))
    worker = reply.get()
    if isinstance(worker, BaseException):
        raise worker
    kind, payload = worker.receive()
    if kind != "ready":
        raise RuntimeError(f"a qv worker process could not start:\n{payload}")
    return worker


def run_dask_job(job: Job, config: WorkerConfig) -> tuple[JobResult, dict[str, bytes]]:
    """Run ``job`` on this Dask worker; return its result and its files (path -> bytes).

    The job writes into a folder of its own; the files are returned under their real paths
    and the folder is removed.
    """
    stage = Path(tempfile.mkdtemp(prefix="qv-dask-job-"))
    try:
        staged = replace(
            job,
            output=stage / "output" / job.output.name,
            executed=stage / "executed" / job.executed.name,
            executed_as=job.executed,
        )
        real = {
            staged.output.parent: job.output.parent,
            staged.executed.parent: job.executed.parent,
        }
        worker = _acquire(config)
        try:
            worker.submit(staged)
            kind, result = worker.receive()
        except (EOFError, OSError):
            how = worker.exit_description()
            worker.wait()
            return failed(job, f"the worker process running it died ({how})"), {}
        with _IDLE_LOCK:
            _IDLE.setdefault(config, []).append(worker)

        def moved(path: str | Path) -> Path:
            path = Path(path)
            return real.get(path.parent, path.parent) / path.name

        files = {
            str(moved(path)): path.read_bytes()
            for folder in real
            if folder.is_dir()
            for path in folder.iterdir()
            if not path.name.startswith(".")
        }
        result.outputs = [str(moved(p)) for p in result.outputs]
        if result.executed:
            result.executed = str(moved(result.executed))
        return result, files
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def make_executor(jobs: int, config: WorkerConfig, scheduler: str | None = None) -> JobExecutor:
    """The executor for a run: ``jobs`` local worker processes, or a Dask cluster.

    Raises
    ------
    QvError
        If a scheduler is given and dask.distributed is missing or the scheduler does not answer.
    """
    if scheduler:
        return DaskExecutor(scheduler, config)
    return LocalExecutor(jobs, config)
