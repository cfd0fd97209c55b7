"""Where jobs run: a small interface with a local implementation and room for a Dask one.

A :class:`JobExecutor` takes the planned jobs and yields a :class:`JobResult` for each as it
finishes, in completion order.  :class:`LocalExecutor` runs one job at a time in this process
(``--jobs 1``) or hands jobs out dynamically to a pool of worker processes, each owning its own
kernel and HTML exporter for the whole run.  ``--scheduler ADDRESS`` (a Dask cluster) plugs in
here as another executor; dask.distributed is not a dependency yet, so it is refused clearly.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from qvlib.errors import QvError
from qvlib.runner.engine import JobResult, Worker, WorkerConfig, init_worker, run_in_worker
from qvlib.runner.plan import Job

log = logging.getLogger(__name__)


class JobExecutor:
    """Runs jobs and yields their results as they complete; use as a context manager."""

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        """Yield one result per job, in completion order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and kernels."""

    def __enter__(self) -> JobExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LocalExecutor(JobExecutor):
    """``workers`` processes on this machine; with one worker, jobs run in this process."""

    def __init__(self, workers: int, config: WorkerConfig):
        self.workers = max(1, workers)
        self.config = config
        self._inline: Worker | None = None
        self._pool: ProcessPoolExecutor | None = None

    def run(self, jobs: Sequence[Job]) -> Iterator[JobResult]:
        if not jobs:
            return
        if self.workers == 1 or len(jobs) == 1:
            self._inline = self._inline or Worker(self.config)
            for job in jobs:
                yield self._inline.run(job)
            return
        # "spawn": workers start clean (no copy of this process's threads or kernels); each
        # imports qvlib once and keeps its kernel for the whole run.
        self._pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(jobs)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.config,),
        )
        futures = {self._pool.submit(run_in_worker, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # a worker process died: report the job, go on
                log.debug("worker failed on %s", job.key, exc_info=True)
                yield JobResult(
                    key=job.key,
                    status="failed",
                    error=f"worker process failed: {type(exc).__name__}: {exc}",
                )

    def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_executor(jobs: int, config: WorkerConfig, scheduler: str | None = None) -> JobExecutor:
    """The executor for a run: local processes, or (``scheduler``) a Dask cluster.

    Raises
    ------
    QvError
        If a scheduler is given: running on Dask needs the ``dask`` extra, not installed here.
    """
    if scheduler:
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise QvError(
                f"--scheduler {scheduler}: running jobs on a Dask cluster needs dask.distributed, "
                "which is not installed; install the 'dask' extra (pip install -e '.[dask]'), "
                "or leave out --scheduler to run on this machine with --jobs N"
            ) from None
        raise QvError(
            f"--scheduler {scheduler}: this version of qv cannot run jobs on Dask yet; "
            "leave out --scheduler to run on this machine with --jobs N"
        )
    return LocalExecutor(jobs, config)
