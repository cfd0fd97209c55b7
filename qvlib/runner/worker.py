"""Worker processes: each imports what notebooks need once, then forks a process per job.

A worker is a fresh Python process (never a fork of the process that plans the run, which
holds threads, caches and open files).  It creates the in-process kernel's shell, imports
pandas, altair and qvlib, reads the run's data snapshot, freezes those objects for the garbage
collector (so forks share their memory pages instead of copying them) and then, for each job,
forks a process that executes the notebook, writes the outputs, sends back a
:class:`~qvlib.runner.engine.JobResult` and exits.  Whatever a notebook changes (options,
themes, the working directory, the environment, warning filters, module attributes, qvlib's
globals) dies with its process; the worker itself never runs notebook code.

Processes never outlive the run.  A worker asks Linux to send it SIGTERM when the process that
started it dies (``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread watches the parent's pid), and
each notebook process asks the same of its worker.  On SIGTERM a worker stops its notebook
process (which stops a kernel it started), removes what the interrupted job had half-written
and exits; it ignores SIGINT and SIGHUP, which the run's main process handles for everyone.

:class:`WorkerProcess` is the other end, used by the executors: it starts a worker, hands it
jobs one at a time and reads results, pickled over a socket pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import pickle
import random
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from typing import Any

from qvlib.runner.engine import (
    KERNEL_ENV,
    JobResult,
    WorkerConfig,
    now,
    remove_kernel_folders,
    remove_partial_files,
    stop_kernels,
)
from qvlib.runner.lifetime import die_with_parent
from qvlib.runner.plan import Job
from qvlib.runner.registry import resolve
from qvlib.runner.svgserver import SvgServer
from qvlib.static_charts import ENV_SERVER

_LENGTH = struct.Struct("!Q")
#: A worker of the fork engine creates the in-process kernel's shell first and imports its own
#: modules (which import pandas) inside it, as a notebook's imports run (see
#: :mod:`qvlib.runner.kernel`).
_WORKER_CODE = (
    "import contextlib, sys\n"
    "from qvlib.runner.engine import without_iri_grammar\n"
    "without_iri_grammar()\n"
    "shell = contextlib.nullcontext()\n"
    "if sys.argv[3] == 'fork':\n"
    "    from qvlib.runner.kernel import shared_kernel\n"
    "    shell = shared_kernel().shell.builtin_trap\n"
    "with shell:\n"
    "    from qvlib.runner.worker import main\n"
    "main()\n"
)
#: How long a process asked to stop may take before it is killed.
STOP_GRACE_SECONDS = 3.0


class Channel:
    """Pickled messages over a connected socket, each preceded by its length."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(_LENGTH.pack(len(data)) + data)

    def recv(self) -> Any:
        """The next message; ``EOFError`` when the other end has gone."""
        (length,) = _LENGTH.unpack(self._read(_LENGTH.size))
        return pickle.loads(self._read(length))

    def _read(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise EOFError("the other process closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.sock.close()


def describe_exit(status: int) -> str:
    """Words for a ``waitpid`` status or a ``Popen.returncode`` (negative: killed by a signal)."""
    if status < 0 or os.WIFSIGNALED(status):
        number = -status if status < 0 else os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    code = os.WEXITSTATUS(status) if status > 255 else status
    return f"exit code {code}"


# --------------------------------------------------------------------------- worker side

#: The notebook process running now and its job, for the SIGTERM handler.
_CURRENT: tuple[int, Job] | None = None
#: This worker's chart server, which the SIGTERM handler stops too (its CPU time then counts
#: in this process tree's, and nothing is left to notice this worker's end on its own).
_CHARTS: SvgServer | None = None


def _stop_child(pid: int, job: Job) -> None:
    """Stop a notebook process (SIGTERM, then SIGKILL) and remove its half-written files."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    remove_partial_files(job.written_paths())
    remove_kernel_folders(pid)


def _terminate_worker(signum: int, _frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _CURRENT is not None:
        _stop_child(*_CURRENT)
    if _CHARTS is not None:
        _CHARTS.stop()
    os._exit(128 + signum)


def _terminate_notebook(signum: int, _frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stop_kernels()
    os._exit(128 + signum)


def _warm_up_altair() -> None:
    """Build a chart spec once, so that altair's schema validators exist before forking.

    Altair names views and parameters by hashing their specs (it keeps no counters) and this
    chart warns of nothing, so no notebook can tell that it was built.
    """
    if "altair" in sys.modules and "pandas" in sys.modules:
        alt, pd = sys.modules["altair"], sys.modules["pandas"]
        alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point().encode(x="x:Q").to_dict()


class Worker:
    """The state every notebook process starts from, and the forking of one per job.

    ``import_path`` is the ``sys.path`` of the process that started the worker: hooks (the
    exporter, finalize hooks) are imported with it; notebooks get the path a kernel has.
    """

    def __init__(self, config: WorkerConfig, import_path: list[str] | None = None):
        global _CHARTS
        from qvlib.runner.engine import JobRunner

        # The chart server starts first: its engine warms up while this process imports.
        self.charts = _CHARTS = SvgServer()
        # As a kernel does: matplotlib, if a notebook imports it, draws inline.
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        # ``python -c`` put the working directory on sys.path: never import from there.
        while sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]
        kernel_path = list(sys.path)
        sys.path.extend(p for p in import_path or [] if p and p not in sys.path)
        imports: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if config.engine == "fork":
            from qvlib.runner.kernel import shared_kernel

            kernel = shared_kernel()
            kernel.notebook_path = kernel_path
            # Before pandas is imported: imports run inside the shell, as a notebook's do.
            imports = kernel.shell.builtin_trap
        self.imports = imports
        with imports:
            for name in config.prewarm:
                importlib.import_module(name)
            _warm_up_altair()
            self.runner = JobRunner(config)
        self.config = config
        if self.charts.wait_ready():  # else each notebook draws its charts itself
            os.environ[ENV_SERVER] = self.charts.address
        if config.snapshot:
            self.preload(config.snapshot)
        self._freeze()

    def preload(self, snapshot: str) -> None:
        """Read the run's data snapshot (``config.preload``) once, for every fork to share.

        A snapshot that cannot be read is left to the notebooks, which report it.
        """
        if self.config.preload:
            with self.imports, contextlib.suppress(Exception):
                resolve(self.config.preload)(snapshot)
            self._freeze()

    def _freeze(self) -> None:
        # Objects frozen for the collector stay untouched in forks: their pages stay shared.
        sys.stdout.flush()
        sys.stderr.flush()
        gc.collect()
        gc.freeze()

    def run(self, job: Job) -> JobResult:
        """Execute ``job`` in a forked process; a crash of that process fails the job."""
        global _CURRENT
        started = now()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the notebook process
            os.close(read_end)
            self._child(job, write_end)
        os.close(write_end)
        _CURRENT = (pid, job)
        try:
            with os.fdopen(read_end, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
        finally:
            _CURRENT = None
        if data:
            return pickle.loads(data)
        remove_partial_files(job.written_paths())
        return JobResult(
            key=job.key,
            status="failed",
            started=started,
            finished=now(),
            error=f"the process executing the notebook died ({describe_exit(status)})",
        )

    def _child(self, job: Job, write_end: int) -> None:
        code = 0
        try:
            signal.signal(signal.SIGTERM, _terminate_notebook)
            die_with_parent(signal.SIGTERM, os.getppid())
            asyncio.set_event_loop(asyncio.new_event_loop())
            # As in a new kernel: random generators seeded from entropy, not the worker's state.
            random.seed()
            if "numpy" in sys.modules:
                sys.modules["numpy"].random.seed()
            result = self.runner.run(job)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)


def main() -> None:
    """Entry point of a worker process: ``python -c ... FD PARENT_PID``."""
    fd, parent = int(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate_worker)
    die_with_parent(signal.SIGTERM, parent)
    channel = Channel(socket.socket(fileno=fd))
    # A notebook process must not hold the connection: the run learns of a worker's death
    # from the connection closing.
    os.register_at_fork(after_in_child=channel.close)
    try:
        worker = Worker(*channel.recv())
    except EOFError:
        os._exit(0)
    except BaseException:
        channel.send(("error", traceback.format_exc()))
        os._exit(1)
    channel.send(("ready", os.getpid()))
    while True:
        try:
            kind, payload = channel.recv()
        except EOFError:
            break
        if kind == "stop":
            break
        if kind == "preload":
            worker.preload(payload)
            continue
        channel.send(("result", worker.run(payload)))
    worker.charts.stop()
    os._exit(0)


# --------------------------------------------------------------------------- the other end


class WorkerProcess:
    """A worker process started by this one, running one job at a time."""

    def __init__(self, config: WorkerConfig):
        here, there = socket.socketpair()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER_CODE,
                str(there.fileno()),
                str(os.getpid()),
                config.engine,
            ],
            pass_fds=(there.fileno(),),
            env={**os.environ, **KERNEL_ENV},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        there.close()
        self.channel = Channel(here)
        self.channel.send((config, list(sys.path)))
        self.job: Job | None = None
        self.ready = False
        self.snapshot = config.snapshot

    @property
    def pid(self) -> int:
        return self.process.pid

    def fileno(self) -> int:
        return self.channel.fileno()

    def submit(self, job: Job, snapshot: str | None = None) -> None:
        """Hand ``job`` to the worker (it must be ready and idle), which reads ``snapshot``
        first if it has not read it yet."""
        if snapshot and snapshot != self.snapshot:
            self.channel.send(("preload", snapshot))
            self.snapshot = snapshot
        self.job = job
        self.channel.send(("job", job))

    def receive(self) -> tuple[str, Any]:
        """The worker's next message: ``("ready", pid)``, ``("result", JobResult)`` or
        ``("error", traceback)``; ``EOFError`` if the worker died."""
        message = self.channel.recv()
        if message[0] == "ready":
            self.ready = True
        elif message[0] == "result":
            self.job = None
        return message

    def exit_description(self) -> str:
        """How the worker ended (call after :meth:`receive` raised ``EOFError``)."""
        try:
            code = self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return describe_exit(code)

    def stop(self, *, now: bool = False) -> None:
        """Stop the worker: at once (SIGTERM: it stops its notebook process), or when idle."""
        if self.process.poll() is None:
            if now:
                self.process.terminate()
            else:
                with contextlib.suppress(OSError):
                    self.channel.send(("stop", None))

    def wait(self, timeout: float = STOP_GRACE_SECONDS * 2) -> None:
        """Wait for the worker to end; kill it if it takes longer than ``timeout``."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.channel.close()
