"""The chart drawer of one worker: a process that keeps vl-convert's engine started.

vl-convert draws in a JavaScript engine that takes about half a second of CPU to start in each
process, and that must never start in a process that later forks (its threads would not follow
the fork).  A worker forks one process per notebook, so each notebook would start the engine
again: at national scale that is more CPU than the packs' own work.  Instead each worker starts
this server, a fresh process (not a fork), before it forks anything, and tells the notebooks
where it listens (``QV_SVG_SERVER``, a Unix socket); :func:`qvlib.static_charts.static_svg`
sends each chart there and draws it in its own process only when no server answers.  The
server draws one chart at a time, as its worker runs one notebook at a time, and gives the
bytes vl-convert gives in any process.

Run as ``python -m qvlib.runner.svgserver SOCKET PARENT_PID``; it stops when its worker stops
(SIGTERM, also sent when the worker dies) and removes the folder of its socket.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qvlib.runner.lifetime import die_with_parent

_LENGTH = struct.Struct("!I")
_START_SECONDS = 10.0


def send(sock: socket.socket, value: dict[str, Any]) -> None:
    """Send ``value`` as JSON, preceded by its length."""
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    sock.sendall(_LENGTH.pack(len(data)) + data)


def receive(sock: socket.socket) -> dict[str, Any]:
    """The next JSON message on ``sock``; ``EOFError`` when the other end closed early."""
    (length,) = _LENGTH.unpack(_read(sock, _LENGTH.size))
    return json.loads(_read(sock, length).decode("utf-8"))


def _read(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the connection closed mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def draw(address: str, spec: dict[str, Any], vl_version: str | None) -> str:
    """The SVG of ``spec``, drawn by the server at ``address``.

    Raises
    ------
    OSError, EOFError
        The server is not there or went away (draw in this process instead).
    ValueError
        vl-convert could not draw the spec (its message).
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(address)
        send(sock, {"spec": spec, "vl_version": vl_version})
        reply = receive(sock)
    if "error" in reply:
        raise ValueError(reply["error"])
    return reply["svg"]


class SvgServer:
    """A worker's handle on its server: started with the worker, stopped with it."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="qv-svg-"))
        self.address = str(self.folder / "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, self.address, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )

    def wait_ready(self) -> bool:
        """Wait until the server listens (its engine started); ``False`` if it did not."""
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if os.path.exists(self.address):
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """Stop the server and remove its socket."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def serve(address: str, parent: int) -> None:
    """Draw charts for the notebooks of one worker until it stops."""
    import vl_convert

    def stop(*_: Any) -> None:
        shutil.rmtree(os.path.dirname(address), ignore_errors=True)  # the folder is the server's
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    die_with_parent(signal.SIGTERM, parent)
    # Start the engine before listening: the socket appears when the first chart is cheap.
    vl_convert.vegalite_to_svg({"mark": "point"})
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = f"{address}.{os.getpid()}"
    listener.bind(temporary)
    listener.listen(16)
    os.rename(temporary, address)
    while True:
        connection, _ = listener.accept()
        with connection:
            try:
                request = receive(connection)
            except (OSError, EOFError, ValueError):
                continue
            try:
                svg = vl_convert.vegalite_to_svg(request["spec"], vl_version=request["vl_version"])
                reply = {"svg": svg}
            except Exception as exc:  # vl-convert raises ValueError; any failure is reported
                reply = {"error": str(exc)}
            try:
                send(connection, reply)
            except OSError:
                continue


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
