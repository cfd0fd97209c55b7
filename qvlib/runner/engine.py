"""Executing one job in a worker: papermill with a warm or a fresh kernel, then HTML, atomically.

Both engines keep papermill's semantics (the ``injected-parameters`` cell after the
``parameters`` cell, papermill's metadata, its error banner and anchor on failure).  They differ
in where the kernel comes from:

- ``fresh`` (the reference): papermill's nbclient engine, a new kernel for every notebook.
- ``warm`` (default): the worker owns one kernel per kernel name, started once with qvlib,
  pandas and altair imported, and reset before each notebook to the state of a new kernel in
  which those libraries happen to be imported already: user namespace (``%reset -f``), qvlib's
  own modules dropped so the notebook's ``import qvlib`` runs their set-up again (theme and
  renderer), pandas options and altair theme, renderer and data transformer at their defaults,
  working directory, ``sys.path``, environment variables, warning filters and their once-only
  registries, logging handlers, matplotlib figures, the random generators (reseeded from
  entropy, as in a new kernel) and the execution counter.  A kernel that ran a failing notebook
  is restarted before it is used again.  What the reset cannot undo is a notebook changing a
  third-party module's attributes; pack notebooks only call qvlib, they never patch libraries.

Both kernels get ``PYTHONHASHSEED=0`` so that set and dict-of-set orders, and so the bytes of a
pack, do not change between runs.  After execution every cell id is replaced by one derived from
the job's key, so the executed notebook and the HTML carry no random ids.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbformat import NotebookNode

from qvlib.errors import QvError
from qvlib.runner.plan import Job, sha256_file
from qvlib.runner.registry import resolve

log = logging.getLogger(__name__)

EngineName = Literal["warm", "fresh"]
_PAPERMILL_ENGINE = {"warm": "qv-warm", "fresh": "qv-fresh"}

#: Imported in every warm kernel once, so that notebooks do not pay for it.
PREWARM_MODULES = (
    "pandas",
    "altair",
    "qvlib",
    "qvlib.datasets",
    "qvlib.metrics",
    "qvlib.charts",
    "qvlib.tables",
)

#: Packages dropped from a warm kernel's ``sys.modules`` before each notebook, so that their
#: import-time set-up (theme, renderer) runs in the notebook as it would in a new kernel;
#: their dependencies stay imported, which is where the time goes.
REIMPORTED = ("qvlib",)

#: Kernel environment additions: a fixed hash seed makes set iteration order reproducible.
KERNEL_ENV = {"PYTHONHASHSEED": "0"}
#: Kernel command-line additions: history in memory (as nbclient does), and no start-up chatter
#: (ipykernel warns about TCP transport on every start, which would drown the progress lines).
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]

# The code below runs inside the warm kernel.  After the warm-up imports it drops the project's
# own modules, puts pandas and altair at their defaults and records the interpreter's state in a
# module (``%reset -f`` clears the user namespace but not sys.modules); ``restore`` returns to it.
_WARM_STATE_SOURCE = r"""
import logging, os, random, sys, warnings

def _loggers():
    manager = logging.Logger.manager
    found = {"": logging.getLogger()}
    found.update((n, lg) for n, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger))
    return found

def _pandas_registry():
    # The registry of options is private; no public API lists them without printing.
    # reset_option("all") cannot be used: it validates plotting.backend, importing matplotlib.
    config = sys.modules["pandas"]._config.config
    return {n: o for n, o in config._registered_options.items()
            if n not in config._deprecated_options}

def _set_pandas(values):
    pd = sys.modules["pandas"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in values.items():
            current = pd.get_option(name)
            if current is not value and current != value:
                pd.set_option(name, value)


def purge(packages):
    # Modules whose import sets things up (qvlib.charts enables its theme and renderer) are
    # dropped, so that the notebook's own import runs that set-up again, as in a new kernel.
    for name in [n for n in sys.modules if n.split(".")[0] in packages]:
        del sys.modules[name]

def library_defaults():
    if "pandas" in sys.modules:
        _set_pandas({n: o.defval for n, o in _pandas_registry().items()})
    alt = sys.modules.get("altair")
    if alt is not None:
        alt.theme.enable("default")
        alt.renderers.enable("default")
        alt.data_transformers.enable("default")

def snapshot(packages):
    global FILTERS, LOGGERS, SYS_PATH, ENVIRON, PACKAGES
    PACKAGES = tuple(packages)
    purge(PACKAGES)
    library_defaults()
    FILTERS = list(warnings.filters)
    LOGGERS = {n: (list(lg.handlers), lg.level, lg.propagate) for n, lg in _loggers().items()}
    SYS_PATH = list(sys.path)
    ENVIRON = dict(os.environ)

def restore(cwd):
    purge(PACKAGES)
    os.chdir(cwd)
    sys.path[:] = SYS_PATH
    if dict(os.environ) != ENVIRON:
        os.environ.clear()
        os.environ.update(ENVIRON)
    warnings.filters[:] = FILTERS
    warnings.onceregistry.clear()
    warnings._filters_mutated()  # invalidates every module's "already shown" registry
    for name, lg in _loggers().items():
        handlers, level, propagate = LOGGERS.get(name, ([], logging.NOTSET, True))
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate
    library_defaults()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    random.seed()
    get_ipython().execution_count = 1
"""


def _prewarm_code(modules: tuple[str, ...], reimported: tuple[str, ...]) -> str:
    imports = "\n".join(
        f"try:\n    import {name}\nexcept ImportError:\n    pass" for name in modules
    )
    return (
        f"{imports}\n"
        "import sys as _qv_sys, types as _qv_types\n"
        "_qv_warm = _qv_types.ModuleType('_qv_warm')\n"
        f"exec({_WARM_STATE_SOURCE!r}, _qv_warm.__dict__)\n"
        "_qv_sys.modules['_qv_warm'] = _qv_warm\n"
        f"_qv_warm.snapshot({reimported!r})\n"
    )


def _reset_code(cwd: Path) -> str:
    return f"%reset -f\n__import__('_qv_warm').restore({str(cwd)!r})\n"


def _file_mode() -> int:
    # mkstemp creates files readable by the owner only; outputs get the usual umask-based mode.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stable_cell_ids(nb: NotebookNode, key: str) -> NotebookNode:
    """Give every cell an id derived from the job key and its position (ids must not be random)."""
    for index, cell in enumerate(nb.cells):
        cell["id"] = hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:16]
    return nb


_FILE_MODE = _file_mode()


class WarmKernel:
    """One kernel kept alive across notebooks, reset to its warmed-up state before each."""

    def __init__(self, kernel_name: str, start_dir: Path, prewarm: tuple[str, ...]):
        self.kernel_name = kernel_name
        self.start_dir = start_dir
        self.prewarm = prewarm
        self.km = None
        self.kc = None
        self.needs_restart = False

    def _run(self, code: str) -> None:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        cell = nbformat.v4.new_code_cell(code)
        client = NotebookClient(nbformat.v4.new_notebook(cells=[cell]), km=self.km)
        client.kc = self.kc
        try:
            client.execute_cell(cell, 0, store_history=False)
        except CellExecutionError as exc:
            raise QvError(f"warm kernel set-up failed: {exc.ename}: {exc.evalue}") from None

    def start(self) -> None:
        """Start the kernel and import the warm-up modules in it."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        run_sync(self.km.start_kernel)(
            cwd=str(self.start_dir),
            env={**os.environ, **KERNEL_ENV},
            extra_arguments=list(KERNEL_ARGS),
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=60)
        self.kc.allow_stdin = False
        self._run(_prewarm_code(self.prewarm, REIMPORTED))
        self.needs_restart = False

    def shutdown(self) -> None:
        """Stop the kernel (immediately: nothing in it is worth keeping)."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None

    def ready(self, cwd: Path) -> WarmKernel:
        """Return this kernel reset for the next notebook (restarted first if it is dirty)."""
        if self.needs_restart:
            self.shutdown()
        if self.km is None:
            self.start()
        try:
            self._run(_reset_code(cwd))
        except Exception:
            # A kernel that cannot even be reset (it died, or a notebook broke the reset) is
            # replaced; a second failure is the job's.
            log.info("kernel reset failed; restarting it", exc_info=True)
            self.shutdown()
            self.start()
            self._run(_reset_code(cwd))
        return self


def _register_engines() -> None:
    """Register the warm and fresh engines with papermill (in every process that runs jobs)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines

    def client_kwargs(kernel_name, start_timeout, execution_timeout) -> dict[str, Any]:
        return {
            "kernel_name": kernel_name,
            "startup_timeout": start_timeout,
            "timeout": execution_timeout,
            "log": log,
            # How a kernel batches printed text into messages depends on timing; merged
            # streams make the executed notebook, and so the pack, the same bytes every run.
            "coalesce_streams": True,
        }

    class FreshKernelEngine(Engine):
        """papermill's nbclient engine (a new kernel per notebook) with qv's kernel settings."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            *,
            qv_holder,
            qv_cwd,
            start_timeout=60,
            execution_timeout=None,
            **_ignored,
        ):
            qv_holder["nb"] = nb_man.nb
            client = PapermillNotebookClient(
                nb_man, **client_kwargs(kernel_name, start_timeout, execution_timeout)
            )
            client.extra_arguments = list(KERNEL_ARGS)
            return client.execute(cwd=str(qv_cwd), env={**os.environ, **KERNEL_ENV})

    class WarmKernelEngine(Engine):
        """Runs the notebook on the worker's warm kernel, which it does not shut down."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            *,
            qv_holder,
            qv_kernel,
            start_timeout=60,
            execution_timeout=None,
            **_ignored,
        ):
            qv_holder["nb"] = nb_man.nb
            client = PapermillNotebookClient(
                nb_man,
                km=qv_kernel.km,
                **client_kwargs(kernel_name, start_timeout, execution_timeout),
            )
            client.kc = qv_kernel.kc
            return client.execute()

    papermill_engines.register(_PAPERMILL_ENGINE["fresh"], FreshKernelEngine)
    papermill_engines.register(_PAPERMILL_ENGINE["warm"], WarmKernelEngine)


@dataclass
class JobResult:
    """What became of one job; ``outputs`` are absolute paths of the files written."""

    key: str
    status: Literal["built", "failed", "skipped"]
    seconds: float = 0.0
    started: str | None = None
    finished: str | None = None
    outputs: list[str] = field(default_factory=list)
    output_sha256: str | None = None
    error: str | None = None
    executed: str | None = None


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker executes and renders: picklable, sent once to each worker process."""

    engine: EngineName = "warm"
    exporter: str = "qvlib.packs:PackExporter"
    prewarm: tuple[str, ...] = PREWARM_MODULES
    execution_timeout: int | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), text).strip()


class Worker:
    """Executes jobs one after another, owning its kernels and its HTML exporter."""

    def __init__(self, config: WorkerConfig):
        import papermill  # noqa: F401  (loads papermill's engines before ours are registered)

        _register_engines()
        self.config = config
        self._kernels: dict[str, WarmKernel] = {}
        self._exporter = None

    def close(self) -> None:
        """Shut down every kernel this worker started."""
        for kernel in self._kernels.values():
            kernel.shutdown()
        self._kernels.clear()

    def _exporter_instance(self):
        if self._exporter is None:
            self._exporter = resolve(self.config.exporter)()
        return self._exporter

    def run(self, job: Job) -> JobResult:
        """Execute, render and write one job; every failure becomes a failed result."""
        started, clock = _now(), time.perf_counter()
        result = JobResult(key=job.key, status="failed", started=started)
        try:
            nb, error = self._execute(job)
            write_atomic(job.executed, nbformat.writes(nb))
            result.executed = str(job.executed)
            if error is None:
                result.outputs = [str(p) for p in self._write_outputs(job, nb)]
                result.output_sha256 = sha256_file(job.output)
                result.status = "built"
            else:
                result.error = error
        except Exception as exc:  # one job's failure must not stop the others
            log.debug("job %s failed", job.key, exc_info=True)
            result.error = f"{type(exc).__name__}: {exc}"
        result.seconds = round(time.perf_counter() - clock, 3)
        result.finished = _now()
        return result

    def _execute(self, job: Job) -> tuple[NotebookNode, str | None]:
        """Run the notebook through papermill; return the executed notebook and any error."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        notebook = job.kind.notebook
        kernel_name = (
            nbformat.read(notebook, as_version=4)
            .metadata.get("kernelspec", {})
            .get("name", "python3")
        )
        holder: dict[str, NotebookNode] = {}
        engine_kwargs: dict[str, Any] = {"qv_holder": holder}
        if self.config.engine == "warm":
            kernel = self._kernels.setdefault(
                kernel_name, WarmKernel(kernel_name, notebook.parent, self.config.prewarm)
            )
            engine_kwargs["qv_kernel"] = kernel.ready(notebook.parent)
        else:
            engine_kwargs["qv_cwd"] = notebook.parent
        job.executed.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{job.executed.stem}.", suffix=".tmp.ipynb", dir=job.executed.parent
        )
        os.close(fd)
        error = None
        try:
            nb = papermill.execute_notebook(
                str(notebook),
                tmp,
                parameters=job.parameters,
                engine_name=_PAPERMILL_ENGINE[self.config.engine],
                request_save_on_cell_execute=False,
                progress_bar=False,
                kernel_name=kernel_name,
                execution_timeout=self.config.execution_timeout,
                **engine_kwargs,
            )
        except PapermillExecutionError as exc:
            # papermill has written the notebook with its error banner and anchor to ``tmp``.
            nb = nbformat.read(tmp, as_version=4)
            error = f"cell In [{exc.exec_count}] raised {exc.ename}: {_first_line(exc.evalue)}"
        except Exception as exc:
            if "nb" not in holder:
                raise
            nb = holder["nb"]
            error = f"{type(exc).__name__}: {_first_line(str(exc)) or 'kernel failure'}"
            _annotate_failure(nb, error, traceback.format_exc())
        finally:
            Path(tmp).unlink(missing_ok=True)
        if error is not None and self.config.engine == "warm":
            self._kernels[kernel_name].needs_restart = True
        nb.metadata.setdefault("papermill", {})["output_path"] = str(job.executed)
        return stable_cell_ids(nb, job.key), error

    def _write_outputs(self, job: Job, nb: NotebookNode) -> list[Path]:
        html_text = self._exporter_instance().render(
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
        if job.kind.finalize is None:
            write_atomic(job.output, html_text)
            return [job.output]
        return [Path(p) for p in resolve(job.kind.finalize)(nb, html_text, job)]


def _annotate_failure(nb: NotebookNode, error: str, details: str) -> None:
    """Put a banner on a notebook that failed outside a cell (e.g. its kernel died)."""
    from papermill.execute import ERROR_MARKER_TAG

    banner = nbformat.v4.new_markdown_cell(
        f"**Execution stopped: {html.escape(error)}**\n\n```\n{details}\n```"
    )
    banner.metadata["tags"] = [ERROR_MARKER_TAG]
    nb.cells.insert(0, banner)


_WORKER: Worker | None = None


def init_worker(config: WorkerConfig) -> None:
    """Process-pool initializer: one :class:`Worker` per process, closed when it exits."""
    from multiprocessing import util

    global _WORKER
    _WORKER = Worker(config)
    util.Finalize(_WORKER, _WORKER.close, exitpriority=10)


def run_in_worker(job: Job) -> JobResult:
    """Run ``job`` on this process's worker (see :func:`init_worker`)."""
    if _WORKER is None:
        raise RuntimeError("init_worker() was not called in this process")
    return _WORKER.run(job)
