"""Executing one job: papermill runs the notebook, nbconvert renders the pack, files are written.

A job runs in a process of its own, forked from a worker process for that job alone
(:mod:`qvlib.runner.worker`), so nothing a notebook does reaches another notebook.  Two engines
execute the notebook there, both through papermill (the ``injected-parameters`` cell after the
``parameters`` cell, papermill's metadata, its error banner and anchor on failure):

- ``fork`` (default): on ipykernel's shell inside the forked process (:mod:`qvlib.runner.kernel`).
  The worker imported pandas, altair and qvlib and read the data snapshot before forking, so a
  notebook starts with them loaded yet untouched by any other notebook.
- ``fresh`` (the reference): papermill's nbclient engine with a new kernel for the notebook,
  over IPC sockets in a folder of the forked process's own, removed when it ends.

Both give the same bytes.  Kernels get ``PYTHONHASHSEED=0`` (workers run with it too), so set
orders, and so packs, do not change between runs.  The executed notebook carries no times
(papermill's start and end times and durations are removed: times live in the manifest) and no
random ids (every cell id is derived from the job's key and the cell's position).

Everything here imports its heavy dependencies on first use, so that the process that plans a
run does not pay for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from qvlib.cache import FILE_MODE, write_atomic
from qvlib.commentary import DocumentControl
from qvlib.runner.inputs import sha256_file
from qvlib.runner.plan import Job
from qvlib.runner.registry import resolve

#: ``--engine`` choices (see the module's description).
EngineName = Literal["fork", "fresh"]

#: Imported by each worker once, before it forks a process per notebook.  Imports run as a
#: kernel runs a notebook's imports (inside the shell), so libraries that ask whether they
#: run in a kernel get the answer a notebook would.  Only modules whose import changes nothing
#: a notebook can see belong here: not ``qvlib.charts``, whose import enables its altair theme
#: (a notebook that does not import it must see altair's defaults, as in a new kernel).
PREWARM_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "altair",
    "openpyxl",
    "qvlib",
    "qvlib.datasets",
    "qvlib.metrics",
    "qvlib.tables",
    "qvlib.reviews",
    "qvlib.briefs",
    "qvlib.bundles",
    "qvlib.cqc",
    "qvlib.overview",
)

#: Reads the run's data snapshot once per worker; notebooks opened in its forks find it loaded.
SNAPSHOT_PRELOAD = "qvlib.runner.engine:preload_snapshot"

#: Environment of notebook processes and kernels: a fixed hash seed makes set order reproducible.
KERNEL_ENV = {"PYTHONHASHSEED": "0"}
#: Kernel command-line additions: history in memory, as nbclient does.
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]

#: papermill's names for the two engines (see :func:`_register_engines`).
FORK_ENGINE, FRESH_ENGINE = "qv-in-process", "qv-fresh-kernel"
_TIMING_KEYS = ("start_time", "end_time", "duration")


def without_iri_grammar() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process.

    jsonschema checks the ``iri`` and ``iri-reference`` string formats with rfc3987-syntax when
    it is installed (JupyterLab brings it), and that package builds 38 grammars when imported:
    about 1.2 s of CPU in every process that imports altair, nbformat or papermill.  No schema a
    run validates against uses those formats (Vega-Lite's uses ``uri``, ``uri-reference`` and
    ``color-hex``; the notebook format's none), so the run's processes do without them: a
    module set to ``None`` in ``sys.modules`` is one Python does not import, and jsonschema
    registers the formats only when the import succeeds.  Outputs are byte-identical to a
    fresh kernel's, which imports it (tested).  Call it before anything imports jsonschema.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def preload_snapshot(snapshot: str) -> None:
    """Read the snapshot as notebooks open it (``qv.open_review(trust, year, data)`` caches the
    dataset per process) and index its rows by trust, before a worker forks."""
    from qvlib.reviews import load_cached

    dataset = load_cached(snapshot)
    if dataset.trust_codes:
        dataset.trust(dataset.trust_codes[0])


@dataclass(frozen=True)
class WorkerConfig:
    """How workers execute and render jobs: picklable, sent once to each worker process.

    ``exporter`` is an import reference to a class with ``render(nb, *, title, trust_code,
    trust_name, review_year, provenance, synthetic) -> str``; ``prewarm`` the modules each
    worker imports before forking; ``snapshot`` the run's data snapshot, read once per worker
    through ``preload`` (an import reference called with its path).
    """

    engine: EngineName = "fork"
    exporter: str = "qvlib.packs:PackExporter"
    prewarm: tuple[str, ...] = PREWARM_MODULES
    preload: str | None = SNAPSHOT_PRELOAD
    snapshot: str | None = None


@dataclass
class JobResult:
    """What became of one job; ``outputs`` are absolute paths of the files written."""

    key: str
    status: Literal["built", "failed", "skipped", "cancelled"]
    seconds: float = 0.0
    started: str | None = None
    finished: str | None = None
    outputs: list[str] = field(default_factory=list)
    output_sha256: str | None = None
    error: str | None = None
    executed: str | None = None


def now() -> str:
    """The current time, as recorded in the manifest."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def remove_partial_files(paths: Iterable[Path]) -> None:
    """Remove temporary files that an interrupted atomic write of ``paths`` left behind."""
    for path in paths:
        try:
            for tmp in path.parent.glob(f".{path.name}.*.tmp*"):
                tmp.unlink(missing_ok=True)
        except OSError:
            continue


def stable_cell_ids(nb: Any, key: str) -> Any:
    """Give every cell an id derived from the job key and its position (ids must not be random)."""
    for index, cell in enumerate(nb.cells):
        cell["id"] = hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:16]
    return nb


def _without_times(nb: Any) -> Any:
    """Drop papermill's start and end times and durations (the manifest records times)."""
    for holder in [nb.metadata, *(cell.metadata for cell in nb.cells)]:
        papermill = holder.get("papermill")
        if papermill is not None:
            for key in _TIMING_KEYS:
                papermill.pop(key, None)
    return nb


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), text).strip()


# --------------------------------------------------------------------------- fresh kernels

#: Process groups of the kernels this process started.
_KERNELS: set[int] = set()
#: Folders of those kernels' connection files and sockets, from before each starts until it stops.
_KERNEL_FOLDERS: set[Path] = set()


def stop_kernels() -> None:
    """Kill the kernels this process started and remove their files (used on termination)."""
    for pgid in list(_KERNELS):
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
        _KERNELS.discard(pgid)
    # Also the folder of a kernel stopped while it was starting (not in _KERNELS yet).
    for folder in list(_KERNEL_FOLDERS):
        shutil.rmtree(folder, ignore_errors=True)
        _KERNEL_FOLDERS.discard(folder)


#: Start of the name of a kernel's folder, followed by the notebook process's id.
KERNEL_FOLDER_PREFIX = "qv-kernel-"
#: Longest folder for a kernel's IPC sockets: a Unix socket's path holds at most 107 bytes.
_MAX_SOCKET_FOLDER = 90


def _kernel_folder(runtime: Path) -> Path:
    """A new folder for one kernel's connection file and sockets: in Jupyter's runtime folder,
    or in the system's temporary folder when that path is too long for a socket.  Its name
    holds this process's id, so the worker can remove it should this process be killed."""
    prefix = f"{KERNEL_FOLDER_PREFIX}{os.getpid()}-"
    if len(str(runtime)) + len(prefix) + 10 > _MAX_SOCKET_FOLDER:
        runtime = Path(tempfile.gettempdir())
    runtime.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=runtime))


def remove_kernel_folders(pid: int) -> None:
    """Remove the kernel folders the notebook process ``pid`` left (it was stopped or killed
    while a kernel started or ran)."""
    from jupyter_core.paths import jupyter_runtime_dir

    for runtime in {Path(jupyter_runtime_dir()), Path(tempfile.gettempdir())}:
        for folder in runtime.glob(f"{KERNEL_FOLDER_PREFIX}{pid}-*"):
            shutil.rmtree(folder, ignore_errors=True)


def _register_engines() -> None:
    """Register qv's two engines with papermill: :data:`FORK_ENGINE` and :data:`FRESH_ENGINE`.

    Both are papermill's nbclient engine (``PapermillNotebookClient``); they differ in the
    kernel manager they give it.  Both finish the notebook before papermill writes it: times
    removed, cell ids derived from the job, its recorded path set.
    """
    import logging

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from jupyter_core.utils import run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines

    from qvlib.runner.kernel import InProcessKernelManager, shared_kernel

    log = logging.getLogger("papermill")

    class QvEngine(Engine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, *, qv_key, qv_recorded_path, **kwargs):
            nb = super().execute_notebook(nb, kernel_name, **kwargs)
            nb.metadata.papermill["output_path"] = qv_recorded_path
            return stable_cell_ids(_without_times(nb), qv_key)

        @classmethod
        def client(cls, nb_man, kernel_name, km, start_timeout, **kwargs):
            return PapermillNotebookClient(
                nb_man,
                km=km,
                kernel_name=kernel_name,
                startup_timeout=start_timeout,
                log=log,
                coalesce_streams=True,
                record_timing=False,
                **kwargs,
            )

    class InProcessEngine(QvEngine):
        """nbclient on the in-process kernel of this (forked) process."""

        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, *, qv_holder, start_timeout=60, **_ignored
        ):
            qv_holder["nb"] = nb_man.nb
            km = InProcessKernelManager(shared_kernel())
            return cls.client(nb_man, kernel_name, km, start_timeout).execute()

    class FreshKernelEngine(QvEngine):
        """A new kernel per notebook, over IPC sockets in a folder removed when it stops."""

        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, *, qv_holder, qv_cwd, start_timeout=60, **_ignored
        ):
            qv_holder["nb"] = nb_man.nb
            folder = _kernel_folder(Path(jupyter_runtime_dir()))
            _KERNEL_FOLDERS.add(folder)
            km = AsyncKernelManager(
                kernel_name=kernel_name,
                transport="ipc",
                connection_file=str(folder / "kernel.json"),
            )

            def started(**_: Any) -> None:
                _KERNELS.add(km.provisioner.pgid or km.provisioner.pid)

            client = cls.client(
                nb_man,
                kernel_name,
                km,
                start_timeout,
                extra_arguments=list(KERNEL_ARGS),
                on_notebook_start=started,
            )
            try:
                return client.execute(cwd=str(qv_cwd), env={**os.environ, **KERNEL_ENV})
            finally:
                if km.has_kernel:
                    run_sync(km.shutdown_kernel)(now=True)
                run_sync(km.cleanup_resources)()
                shutil.rmtree(folder, ignore_errors=True)
                _KERNELS.clear()
                _KERNEL_FOLDERS.discard(folder)

    papermill_engines.register(FORK_ENGINE, InProcessEngine)
    papermill_engines.register(FRESH_ENGINE, FreshKernelEngine)


# --------------------------------------------------------------------------- one job


class JobRunner:
    """Executes jobs in this process with one engine; build it once, before forking.

    Building it registers the engines with papermill, builds the HTML exporter and renders a
    small page with it, and validates an empty notebook, so that the template is compiled and
    the notebook schema's validator built once, not in every forked process (neither is state
    a notebook can see).  :meth:`run` executes one job and never raises: every failure becomes
    a failed :class:`JobResult`.
    """

    def __init__(self, config: WorkerConfig):
        import nbformat
        import papermill  # noqa: F401  (loads papermill's engines before ours are registered)

        _register_engines()
        self.config = config
        self.exporter = resolve(config.exporter)()
        sample = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell("## Warm-up\n\nText, *emphasis*.")]
        )
        nbformat.writes(sample)
        self.exporter.render(
            sample,
            title="Warm-up",
            trust_code="",
            trust_name="",
            review_year="",
            as_at="2000-01-01",
            provenance={},
            synthetic=False,
            document=DocumentControl("", "", ""),
        )

    def run(self, job: Job) -> JobResult:
        """Execute, render and write one job."""
        started, clock = now(), time.perf_counter()
        result = JobResult(key=job.key, status="failed", started=started)
        try:
            nb, error = self._execute(job)
            result.executed = str(job.executed)
            if error is None:
                result.outputs = [str(p) for p in self._write_outputs(job, nb)]
                result.output_sha256 = sha256_file(job.output)
                result.status = "built"
            else:
                result.error = error
        except Exception as exc:  # one job's failure must not stop the others
            result.error = f"{type(exc).__name__}: {exc}"
        result.seconds = round(time.perf_counter() - clock, 3)
        result.finished = now()
        return result

    def _execute(self, job: Job) -> tuple[Any, str | None]:
        """Run the notebook through papermill, which writes the executed notebook (atomically:
        to a temporary file renamed into place); return it and any error."""
        import nbformat
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from qvlib.runner.kernel import enter_notebook_folder

        notebook = job.kind.notebook
        holder: dict[str, Any] = {}
        engine_kwargs: dict[str, Any] = {
            "qv_holder": holder,
            "qv_key": job.key,
            "qv_recorded_path": str(job.executed_as or job.executed),
        }
        if self.config.engine == "fork":
            engine = FORK_ENGINE
            enter_notebook_folder(notebook.parent)
        else:
            engine, engine_kwargs["qv_cwd"] = FRESH_ENGINE, notebook.parent
        job.executed.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(  # papermill wants an .ipynb name
            prefix=f".{job.executed.name}.", suffix=".tmp.ipynb", dir=job.executed.parent
        )
        os.close(fd)
        error = None
        try:
            try:
                nb = papermill.execute_notebook(
                    str(notebook),
                    tmp,
                    parameters=job.parameters,
                    engine_name=engine,
                    request_save_on_cell_execute=False,
                    progress_bar=False,
                    **engine_kwargs,
                )
                os.chmod(tmp, FILE_MODE)
                os.replace(tmp, job.executed)
                return nb, None
            except PapermillExecutionError as exc:
                # papermill has put its error banner and anchor in the notebook it executed.
                nb = holder["nb"]
                error = f"cell In [{exc.exec_count}] raised {exc.ename}: {_first_line(exc.evalue)}"
            except Exception as exc:
                if "nb" not in holder:
                    raise
                nb = holder["nb"]
                error = f"{type(exc).__name__}: {_first_line(str(exc)) or 'kernel failure'}"
                _annotate_failure(nb, error, traceback.format_exc())
                nb.metadata.papermill["output_path"] = str(job.executed_as or job.executed)
            stable_cell_ids(_without_times(nb), job.key)  # the banner cells are new
            write_atomic(job.executed, nbformat.writes(nb))
            return nb, error
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _write_outputs(self, job: Job, nb: Any) -> list[Path]:
        html_text = render_job(self.exporter, nb, job)
        if job.kind.finalize is None:
            write_atomic(job.output, html_text)
            return [job.output]
        finalize: Callable[..., list[Path]] = resolve(job.kind.finalize)
        return [Path(p) for p in finalize(nb, html_text, job)]


def render_job(exporter: Any, nb: Any, job: Job) -> str:
    """The pack page of ``job``'s executed notebook ``nb``, by ``exporter`` (see
    :class:`WorkerConfig`), with the job's header and document controls."""
    return exporter.render(
        nb,
        title=job.title,
        # A region pack has no trust code: its header names the region only.
        trust_code=job.trust_code or "",
        trust_name=job.trust_name,
        review_year=job.review_year,
        as_at=job.as_at,
        provenance=job.provenance,
        synthetic=job.synthetic,
        document=job.document,
    )


def _annotate_failure(nb: Any, error: str, details: str) -> None:
    """Put a banner on a notebook that failed outside a cell (e.g. its kernel died)."""
    import nbformat
    from papermill.execute import ERROR_MARKER_TAG

    banner = nbformat.v4.new_markdown_cell(
        f"**Execution stopped: {html.escape(error)}**\n\n```\n{details}\n```"
    )
    banner.metadata["tags"] = [ERROR_MARKER_TAG]
    nb.cells.insert(0, banner)
