"""An IPython kernel inside this process, and the papermill engine that executes notebooks on it.

A forked notebook process (see :mod:`qvlib.runner.worker`) has pandas, altair and qvlib imported
already; starting a kernel there would import them all again.  Instead the cells run in this
process, on ipykernel's own shell (:class:`~ipykernel.zmqshell.ZMQInteractiveShell`: its display
hook, display publisher and traceback formatting), whose messages go to in-process queues instead
of ZeroMQ sockets.  To nbclient these queues look like a kernel's channels, so papermill's
nbclient engine runs unchanged on top of them: the ``injected-parameters`` cell, papermill's
metadata, its error banner and anchor, nbclient's handling of every output message (streams,
displays, display updates, ``clear_output``, errors) and its merging of streams.

:class:`InProcessKernelManager` is the kernel manager that nbclient is given (see
:mod:`qvlib.runner.engine`).  What a kernel process does that this one does too:

- messages go through the same JSON round trip a kernel's do, so outputs hold the same types;
- ``sys.stdout`` and ``sys.stderr`` are captured while a cell runs, flushed before each display
  and at the end of the cell, as a kernel's streams are; output written to file descriptors 1
  and 2 (``os.system``, C code) is captured too and appended to the cell's streams;
- ``input()`` and ``getpass()`` raise ``StdinNotImplementedError`` (papermill gives no stdin);
- ``sys.path`` is a kernel's while cells run: the interpreter's own path with ``''`` (the
  working folder, the notebook's) before site-packages; between cells the process's own path
  is back, so that runner hooks import as in the process that started the run;
- the shell is created before pandas is imported, so pandas sees a kernel (it chooses its
  default ``display.max_columns`` by asking whether it runs in one).

IPython start-up files and ``PYTHONSTARTUP`` are not run: packs must not depend on a user's
profile.
"""

from __future__ import annotations

import builtins
import ctypes
import getpass
import io
import os
import sys
import tempfile
from collections import deque
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import Empty
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from IPython import __version__ as ipython_version
from IPython.core.error import StdinNotImplementedError
from jupyter_client import protocol_version
from jupyter_client.session import Session
from traitlets.config import Config

_NO_INPUT = "raw_input was called, but this frontend does not support input requests."
_NO_GETPASS = "getpass was called, but this frontend does not support input requests."


class _Channel:
    """A kernel channel as nbclient reads it: messages in the order they were sent."""

    def __init__(self) -> None:
        self._messages: deque[dict[str, Any]] = deque()

    def put(self, msg: dict[str, Any]) -> None:
        self._messages.append(msg)

    def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        # Cells run to completion before nbclient polls, so an empty channel stays empty.
        if not self._messages:
            raise Empty
        return self._messages.popleft()

    def msg_ready(self) -> bool:
        return bool(self._messages)


class _ChannelSession(Session):
    """A :class:`~jupyter_client.session.Session` that sends to a :class:`_Channel`.

    A message is serialized and deserialized as between a kernel and its client, so it reaches
    nbclient with the same types (and a message that is not JSON-compliant warns the same way).
    """

    def send(  # type: ignore[override]
        self,
        stream: _Channel,
        msg_or_type: dict[str, Any] | str,
        content: dict[str, Any] | None = None,
        parent: dict[str, Any] | None = None,
        ident: Any = None,
        buffers: Any = None,
        track: bool = False,
        header: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if isinstance(msg_or_type, dict):
            msg = msg_or_type
        else:
            msg = self.msg(
                msg_or_type, content=content, parent=parent, header=header, metadata=metadata
            )
        _, frames = self.feed_identities(self.serialize(msg))
        stream.put(self.deserialize(frames))
        return msg


class _CellStream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` of a cell: text is published as ``stream`` messages."""

    def __init__(self, kernel: ShellKernel, name: str, fd: int) -> None:
        super().__init__()
        self._kernel = kernel
        self._name = name
        #: The process's own descriptor for this stream while a cell runs.
        self.original_fd = fd
        self._parts: list[str] = []

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"<{self._name}>"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "UTF-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        # As a kernel's streams do: the process's own descriptor (output there is not captured).
        return self.original_fd

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        if self._parts:
            text, self._parts = "".join(self._parts), []
            self._kernel.publish("stream", {"name": self._name, "text": text})


def _no_input(prompt: str = "") -> str:
    raise StdinNotImplementedError(_NO_INPUT)


def _no_getpass(prompt: str = "Password: ", stream: Any = None, **kwargs: Any) -> str:
    raise StdinNotImplementedError(_NO_GETPASS)


class ShellKernel:
    """ipykernel's shell in this process, answering execute and kernel-info requests.

    Create it (:func:`shared_kernel`) before importing pandas; fork; then execute in the child.
    """

    def __init__(self) -> None:
        from ipykernel.compiler import XCachingCompiler
        from ipykernel.zmqshell import ZMQInteractiveShell

        self.session = _ChannelSession(key=b"")
        self.iopub = _Channel()
        self.shell_channel = _Channel()
        # As a kernel started by nbclient: history in memory, no history file.
        config = Config({"HistoryManager": {"hist_file": ":memory:"}})
        self.shell = ZMQInteractiveShell.instance(
            config=config, kernel=self, compiler_class=XCachingCompiler
        )
        for hook in (self.shell.displayhook, self.shell.display_pub):
            hook.session = self.session
            hook.pub_socket = self.iopub
        self._parent: dict[str, Any] = {}
        #: ``sys.path`` while cells run (see :func:`enter_notebook_folder`).
        self.notebook_path: list[str] = list(sys.path)
        self.stdout = _CellStream(self, "stdout", 1)
        self.stderr = _CellStream(self, "stderr", 2)
        self._captured: dict[int, Any] = {}

    # -- what nbclient asks of a kernel --------------------------------------------------------

    def publish(self, msg_type: str, content: dict[str, Any]) -> None:
        """Send an IOPub message about the request being executed."""
        self.session.send(self.iopub, msg_type, content, parent=self._parent)

    def kernel_info(self) -> str:
        """Answer a ``kernel_info_request``; return its message id."""
        request = self.session.msg("kernel_info_request", {})
        content = {
            "status": "ok",
            "protocol_version": protocol_version,
            "implementation": IPythonKernel.implementation,
            "implementation_version": ipython_version,
            "language_info": IPythonKernel.language_info,
            "banner": self.shell.banner,
            "help_links": [],
        }
        self.session.send(self.shell_channel, "kernel_info_reply", content, parent=request)
        return request["header"]["msg_id"]

    async def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
        **_ignored: Any,
    ) -> str:
        """Run ``code`` as an ``execute_request``; replies are queued; return its message id."""
        shell = self.shell
        request = self.session.msg(
            "execute_request",
            {"code": code, "silent": silent, "store_history": store_history},
        )
        self._parent = request
        shell.set_parent(request)
        self.publish("status", {"execution_state": "busy"})
        if not silent:
            self.publish("execute_input", {"code": code, "execution_count": shell.execution_count})
        with self._cell_io():
            result = await self._run(code, store_history=store_history, silent=silent)
        error = result.error_before_exec or result.error_in_exec
        if result.success and not getattr(shell, "_last_traceback_during_displayhook", False):
            reply: dict[str, Any] = {"status": "ok"}
        else:
            reply = {
                "status": "error",
                "traceback": shell._last_traceback or [],
                "ename": type(error).__name__,
                "evalue": str(error),
            }
        reply["execution_count"] = shell.execution_count - 1
        reply["user_expressions"] = shell.user_expressions(user_expressions or {})
        reply["payload"] = shell.payload_manager.read_payload()
        shell.payload_manager.clear_payload()
        self.session.send(self.shell_channel, "execute_reply", reply, parent=request)
        self.publish("status", {"execution_state": "idle"})
        return request["header"]["msg_id"]

    async def _run(self, code: str, *, store_history: bool, silent: bool):
        """Run a cell as ipykernel does: on the running event loop when it awaits."""
        shell = self.shell
        try:
            transformed, preprocessing_error = shell.transform_cell(code), None
        except Exception:
            transformed, preprocessing_error = code, sys.exc_info()
        if shell.should_run_async(
            code, transformed_cell=transformed, preprocessing_exc_tuple=preprocessing_error
        ):
            result = None
            try:
                result = await shell.run_cell_async(
                    code,
                    store_history=store_history,
                    silent=silent,
                    transformed_cell=transformed,
                    preprocessing_exc_tuple=preprocessing_error,
                )
            finally:
                shell.events.trigger("post_execute")
                if not silent:
                    shell.events.trigger("post_run_cell", result)
            return result
        return shell.run_cell(code, store_history=store_history, silent=silent)

    @contextmanager
    def _cell_io(self):
        """Capture the cell's streams (Python objects and descriptors 1 and 2); no stdin."""
        saved = sys.stdout, sys.stderr, builtins.input, getpass.getpass, sys.path
        for stream in (sys.__stdout__, sys.__stderr__):  # earlier output is not the cell's
            if stream is not None:
                stream.flush()
        originals = {fd: os.dup(fd) for fd in (1, 2)}
        for fd in originals:
            os.dup2(self._descriptor_file(fd).fileno(), fd)
        self.stdout.original_fd, self.stderr.original_fd = originals[1], originals[2]
        sys.stdout, sys.stderr = self.stdout, self.stderr
        builtins.input, getpass.getpass = _no_input, _no_getpass
        sys.path = self.notebook_path
        try:
            yield
        finally:
            self.notebook_path = sys.path
            with suppress(OSError, AttributeError):  # no C library to ask
                ctypes.CDLL(None).fflush(None)  # so printf output of the cell lands in it
            for fd, stream in ((1, self.stdout), (2, self.stderr)):
                os.dup2(originals[fd], fd)
                os.close(originals[fd])
                captured = self._descriptor_file(fd)
                if captured.tell():
                    captured.seek(0)
                    stream.write(captured.read().decode("utf-8", "replace"))
                    captured.seek(0)
                    captured.truncate()
            self.stdout.flush()
            self.stderr.flush()
            sys.stdout, sys.stderr, builtins.input, getpass.getpass, sys.path = saved

    def _descriptor_file(self, fd: int) -> Any:
        """The file that descriptor ``fd`` writes to while a cell runs (one per process)."""
        if fd not in self._captured:
            self._captured[fd] = tempfile.TemporaryFile()  # noqa: SIM115 (kept open)
        return self._captured[fd]


class InProcessKernelClient:
    """The part of :class:`jupyter_client.KernelClient` that nbclient uses."""

    allow_stdin = False

    def __init__(self, kernel: ShellKernel) -> None:
        self.kernel = kernel
        self.shell_channel = kernel.shell_channel
        self.iopub_channel = kernel.iopub

    def start_channels(self) -> None:
        pass

    def stop_channels(self) -> None:
        pass

    def wait_for_ready(self, timeout: float | None = None) -> None:
        pass

    def is_alive(self) -> bool:
        return True

    def kernel_info(self) -> str:
        return self.kernel.kernel_info()

    def execute(self, code: str, **kwargs: Any):
        return self.kernel.execute(code, **kwargs)


class InProcessKernelManager:
    """The part of :class:`jupyter_client.KernelManager` that nbclient uses: a running kernel."""

    has_kernel = True

    def __init__(self, kernel: ShellKernel) -> None:
        self.kernel = kernel

    def client(self) -> InProcessKernelClient:
        return InProcessKernelClient(self.kernel)

    def is_alive(self) -> bool:
        return True

    def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        pass

    def cleanup_resources(self, restart: bool = False) -> None:
        pass

    def interrupt_kernel(self) -> None:
        raise RuntimeError("an in-process kernel cannot be interrupted")


_KERNEL: ShellKernel | None = None


def shared_kernel() -> ShellKernel:
    """The process's :class:`ShellKernel`, created on first use (before pandas is imported)."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = ShellKernel()
    return _KERNEL


def enter_notebook_folder(folder: Path) -> None:
    """Working directory and cells' ``sys.path`` as in a kernel started in ``folder``."""
    os.chdir(folder)
    kernel = shared_kernel()
    path = [p for p in kernel.notebook_path if p != ""]
    site = [
        i for i, p in enumerate(path) if os.path.basename(p) in ("site-packages", "dist-packages")
    ]
    path.insert(site[0] if site else 0, "")  # the working folder, as IPython puts it
    kernel.notebook_path = path
