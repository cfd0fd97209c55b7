"""Open a local HTML page in headless Chromium and report what a reader's browser would see.

The harness drives Chromium through the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4), so it needs no browser-automation package, no free TCP port and no
websocket. For each page it starts a fresh browser with a throwaway profile and the network
switched off, records console messages, uncaught exceptions, failed loads and every request the
page attempted, waits (by polling, not sleeping) until every chart container holds a drawn
``svg`` or ``canvas``, and then reads the title, text and serialised DOM. The browser's whole
process group is killed when the page is done, whatever happened.

Tests call :func:`require_chromium` first: it skips when no browser is installed on a developer
machine but fails when the ``CI`` environment variable is set, because in CI a missing browser
means the browser tests silently stopped running.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

logger = logging.getLogger(__name__)

#: Executables tried, in order, by :func:`find_chromium`.
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

#: Flags required by issue 4, then the ones that keep the run offline and container-safe.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    # Every host name resolves to nothing, so an accidental CDN link fails fast instead of
    # waiting on DNS; the request is still announced to the harness before it fails.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    # Container /dev/shm is often 64 MB, too small for Chromium's shared memory.
    "--disable-dev-shm-usage",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,1024",
    "--remote-debugging-pipe",
)

#: URL patterns the page may not fetch; blocked inside the browser as a second wall behind the
#: resolver rules (which an IP-literal URL would get past).
BLOCKED_URLS = ("http://*", "https://*", "ws://*", "wss://*", "ftp://*")

#: Seconds to wait for the browser to accept a command before giving up on it.
_WRITE_TIMEOUT = 10.0

#: JavaScript counting chart containers and those holding a visible svg or canvas.
_CHART_PROBE = """
(() => {
  const boxes = Array.from(document.querySelectorAll(%s));
  const drawn = boxes.filter((box) =>
    Array.from(box.querySelectorAll("svg, canvas")).some((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    })
  );
  return {count: boxes.length, drawn: drawn.length};
})()
"""

_SNAPSHOT = """
(() => ({
  title: document.title,
  text: document.body ? document.body.innerText : "",
  html: document.documentElement ? document.documentElement.outerHTML : "",
}))()
"""


class BrowserError(RuntimeError):
    """Chromium could not be started, crashed, or did not answer within the page timeout."""


@dataclass(frozen=True)
class PageReport:
    """What the browser saw when it opened one page.

    Attributes
    ----------
    url : str
        The ``file://`` URL that was opened.
    console_errors : list of str
        ``console.error`` (and failed ``console.assert``) calls, uncaught exceptions and
        unhandled rejections, browser log errors, and resources that failed to load.
    console_messages : list of str
        Every console call as ``"<type>: <text>"``, errors included.
    requests : list of str
        Every URL the page (or any of its frames and workers) asked for, except the page itself
        and ``data:``/``blob:`` URLs, in request order. Empty for a self-contained page.
    chart_count : int
        Number of elements matching the chart selector.
    charts_drawn : int
        Number of those containing an ``svg`` or ``canvas`` with non-zero width and height.
    title : str
        ``document.title``.
    text : str
        ``document.body.innerText``.
    html : str
        ``document.documentElement.outerHTML`` after scripts ran.
    """

    url: str
    console_errors: list[str] = field(default_factory=list)
    console_messages: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    chart_count: int = 0
    charts_drawn: int = 0
    title: str = ""
    text: str = ""
    html: str = ""


def find_chromium() -> str | None:
    """Return the path of an installed Chromium or Chrome, or None.

    Returns
    -------
    str or None
        The first of :data:`CANDIDATES` that exists and is executable.
    """
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Return the browser path, or skip the calling test (locally) or fail it (in CI).

    Returns
    -------
    str
        Path of the browser executable.
    """
    found = find_chromium()
    if found is not None:
        return found
    message = (
        "no Chromium found (tried " + ", ".join(CANDIDATES) + "); install it with "
        "`apt-get install chromium`"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}. CI must run the browser tests.", pytrace=False)
    pytest.skip(message)


def open_page(
    path: Path,
    *,
    wait_for_charts: bool = True,
    screenshot: Path | None = None,
    chart_selector: str = ".qv-chart",
    chart_timeout: float = 10.0,
    timeout: float = 30.0,
    browser: str | None = None,
) -> PageReport:
    """Open a local HTML file in a fresh headless Chromium and report what happened.

    Parameters
    ----------
    path : Path
        The HTML file to open.
    wait_for_charts : bool
        Poll until every element matching ``chart_selector`` holds a drawn ``svg`` or
        ``canvas``, or ``chart_timeout`` runs out. The containers themselves must exist when
        the load event fires (scripts may fill them later). When False, read the page once it
        has loaded.
    screenshot : Path, optional
        Write a PNG of the whole page here after the charts are drawn.
    chart_selector : str
        CSS selector of chart containers.
    chart_timeout : float
        Seconds to wait, after the load event, for the charts to be drawn. A chart that is not
        drawn by then is reported as not drawn; it is not an error of the harness.
    timeout : float
        Hard limit in seconds for the whole visit, browser start-up included.
    browser : str, optional
        Browser executable; found with :func:`find_chromium` when not given.

    Returns
    -------
    PageReport
        Console output, requests, chart counts and the rendered page.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    BrowserError
        If no browser is found, it fails or exceeds ``timeout``, or ``chart_selector`` is not
        valid CSS.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no page to open at {path}")
    browser = browser or find_chromium()
    if browser is None:
        raise BrowserError("no Chromium found; install it with `apt-get install chromium`")
    url = path.as_uri()
    deadline = time.monotonic() + timeout
    with _launch(browser) as cdp:
        return _visit(
            cdp,
            url,
            deadline=deadline,
            wait_for_charts=wait_for_charts,
            chart_selector=chart_selector,
            chart_timeout=chart_timeout,
            screenshot=screenshot,
        )


@contextlib.contextmanager
def _launch(browser: str) -> Iterator[_Cdp]:
    """Start the browser on a fresh profile; close it and kill its process group on exit."""
    with contextlib.ExitStack() as stack:
        profile = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="qv-chromium-", ignore_cleanup_errors=True)
        )
        stderr = stack.enter_context(tempfile.TemporaryFile())
        # The browser's pipe ends are closed here as soon as it has started, so that its exit
        # reads as end-of-file; ours stay open until the browser is stopped.
        with contextlib.ExitStack() as browser_ends:
            commands_r, commands_w = _pipe(read_by=browser_ends, written_by=stack)
            replies_r, replies_w = _pipe(read_by=stack, written_by=browser_ends)
            # Chromium reads commands from fd 3 and writes replies to fd 4. bash (dash only
            # knows fds 0-9) moves the pipe ends there and execs the browser, which keeps the
            # pid, so the new session (process group) is the browser's.
            command = f'exec "$@" 3<&{commands_r} 4>&{replies_w} {commands_r}<&- {replies_w}>&-'
            proc = subprocess.Popen(
                ["/bin/bash", "-c", command, "bash", browser, *FLAGS, f"--user-data-dir={profile}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=(commands_r, replies_w),
                start_new_session=True,
            )
        cdp = _Cdp(commands_w, replies_r, stderr)
        stack.callback(_stop, proc, cdp)
        yield cdp


def _pipe(*, read_by: contextlib.ExitStack, written_by: contextlib.ExitStack) -> tuple[int, int]:
    """Open a pipe whose ends are numbered 10 or above, so moving them onto 3 and 4 is safe.

    Each end is closed when the stack holding it unwinds.
    """
    ends = []
    for fd, owner in zip(os.pipe(), (read_by, written_by), strict=True):
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
        owner.callback(os.close, ends[-1])
    return ends[0], ends[1]


def _stop(proc: subprocess.Popen[bytes], cdp: _Cdp) -> None:
    """Close the browser, then kill whatever is left of its process group."""
    # A browser that closes itself reaps its helper processes; killing it outright would leave
    # them as zombies wherever pid 1 does not reap orphans (as in some containers).
    with contextlib.suppress(BrowserError, OSError):
        cdp.send("Browser.close")
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        logger.warning("Chromium (pid %s) did not exit after SIGKILL", proc.pid)


class _Cdp:
    """A minimal DevTools-protocol client over Chromium's pipe, in flattened session mode."""

    def __init__(self, write_fd: int, read_fd: int, stderr: IO[bytes]) -> None:
        os.set_blocking(write_fd, False)
        self._write_fd = write_fd
        self._read_fd = read_fd
        self._stderr = stderr
        self._buffer = b""
        self._next_id = 0
        self.on_event: Callable[[dict[str, Any]], None] = lambda message: None

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        """Send a command without waiting for its reply; return its id."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            # A browser that stopped reading must not block us forever on a full pipe.
            _, writable, _ = select.select([], [self._write_fd], [], _WRITE_TIMEOUT)
            if not writable:
                raise BrowserError(f"Chromium stopped reading commands (sending {method})")
            data = data[os.write(self._write_fd, data) :]
        return self._next_id

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        deadline: float,
    ) -> dict[str, Any]:
        """Send a command and return its result, handling events that arrive meanwhile."""
        wanted = self.send(method, params, session)
        while True:
            message = self.receive(deadline)
            if message is None:
                raise BrowserError(f"Chromium did not answer {method} before the page timeout")
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error']}")
                return message.get("result", {})

    def pump(self, until: float) -> None:
        """Handle events until the monotonic time ``until``."""
        while self.receive(until) is not None:
            pass

    def receive(self, deadline: float) -> dict[str, Any] | None:
        """Return the next reply, passing events to ``on_event``; None once ``deadline`` passes."""
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._read_fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited unexpectedly:\n{self._stderr_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message and "id" not in message:
            self.on_event(message)
        return message

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]


class _Recorder:
    """Collects console output, errors and requests from the page's events."""

    def __init__(self, cdp: _Cdp, page_url: str) -> None:
        self.cdp = cdp
        self.page_url = page_url
        self.console_errors: list[str] = []
        self.console_messages: list[str] = []
        self.requests: list[str] = []
        self.loaded = False
        self._request_urls: dict[str, str] = {}

    def handle(self, message: dict[str, Any]) -> None:
        """Record one protocol event."""
        method = message["method"]
        params = message.get("params", {})
        if method == "Target.attachedToTarget":
            # The page's own attachment has no parent session and is set up by _visit; iframes
            # in other processes and workers attach beneath it and are watched the same way.
            if "sessionId" in message:
                _enable_session(self.cdp, params["sessionId"])
                self.cdp.send("Runtime.runIfWaitingForDebugger", session=params["sessionId"])
            return
        handler = getattr(self, "_on_" + method.replace(".", "_"), None)
        if handler is not None:
            handler(params)

    def _on_Page_loadEventFired(self, params: dict[str, Any]) -> None:
        self.loaded = True

    def _on_Runtime_consoleAPICalled(self, params: dict[str, Any]) -> None:
        text = " ".join(_remote_object_text(arg) for arg in params.get("args", []))
        kind = params.get("type", "log")
        self.console_messages.append(f"{kind}: {text}")
        if kind in ("error", "assert"):
            self.console_errors.append(text)

    def _on_Runtime_exceptionThrown(self, params: dict[str, Any]) -> None:
        details = params.get("exceptionDetails", {})
        # The description carries the message and stack; a thrown non-Error has only the text.
        description = (details.get("exception") or {}).get("description")
        if not description:
            where = f"{details.get('url', '')}:{details.get('lineNumber', 0) + 1}"
            description = f"{details.get('text', 'Uncaught exception')} at {where}"
        self.console_errors.append(description)

    def _on_Log_entryAdded(self, params: dict[str, Any]) -> None:
        entry = params.get("entry", {})
        # Failed loads are reported once, with their URL, by Network.loadingFailed, and a
        # worker's errors by the worker's own session; the page log repeats both.
        if entry.get("level") == "error" and entry.get("source") not in ("network", "worker"):
            self.console_errors.append(entry.get("text", ""))

    def _on_Network_requestWillBeSent(self, params: dict[str, Any]) -> None:
        url = params.get("request", {}).get("url", "")
        self._request_urls[params.get("requestId", "")] = url
        if url.startswith(("data:", "blob:")) or _same_document(url, self.page_url):
            return
        self.requests.append(url)

    def _on_Network_loadingFailed(self, params: dict[str, Any]) -> None:
        url = self._request_urls.get(params.get("requestId", ""), "?")
        if params.get("canceled") and not params.get("blockedReason"):
            return
        if params.get("blockedReason"):
            reason = f"blocked ({params['blockedReason']})"
        else:
            reason = params.get("errorText", "failed")
        self.console_errors.append(f"failed to load {url}: {reason}")


def _enable_session(cdp: _Cdp, session: str) -> None:
    """Turn on the event streams the recorder needs, and the offline wall, for one session."""
    cdp.send("Runtime.enable", session=session)
    cdp.send("Log.enable", session=session)
    cdp.send("Network.enable", session=session)
    cdp.send("Network.setBlockedURLs", {"urls": list(BLOCKED_URLS)}, session=session)
    cdp.send(
        "Target.setAutoAttach",
        {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
        session=session,
    )


def _visit(
    cdp: _Cdp,
    url: str,
    *,
    deadline: float,
    wait_for_charts: bool,
    chart_selector: str,
    chart_timeout: float,
    screenshot: Path | None,
) -> PageReport:
    """Navigate a new tab to ``url``, wait for it, and collect the report."""
    recorder = _Recorder(cdp, url)
    cdp.on_event = recorder.handle
    target = cdp.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)
    attached = cdp.call(
        "Target.attachToTarget",
        {"targetId": target["targetId"], "flatten": True},
        deadline=deadline,
    )
    session = attached["sessionId"]
    _enable_session(cdp, session)
    cdp.call("Page.enable", session=session, deadline=deadline)
    navigation = cdp.call("Page.navigate", {"url": url}, session=session, deadline=deadline)
    if "errorText" in navigation:
        raise BrowserError(f"could not open {url}: {navigation['errorText']}")

    while not recorder.loaded:
        if cdp.receive(deadline) is None:
            raise BrowserError(f"{url} did not finish loading before the page timeout")

    def evaluate(expression: str) -> Any:
        result = cdp.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
            session=session,
            deadline=deadline,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = (details.get("exception") or {}).get("description", details["text"])
            raise BrowserError(f"the harness's probe failed on {url}: {description}")
        return result["result"].get("value")

    probe = _CHART_PROBE % json.dumps(chart_selector)
    charts = evaluate(probe)
    charts_deadline = min(deadline, time.monotonic() + chart_timeout)
    while wait_for_charts and charts["drawn"] < charts["count"]:
        if time.monotonic() >= charts_deadline:
            logger.info("%s: %d of %d charts drawn", url, charts["drawn"], charts["count"])
            break
        cdp.pump(min(charts_deadline, time.monotonic() + 0.1))
        charts = evaluate(probe)

    if screenshot is not None:
        # Clip to the whole document, not just the window, so every chart is in the picture.
        size = cdp.call("Page.getLayoutMetrics", session=session, deadline=deadline)
        content = size["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": content["width"], "height": content["height"]}
        shot = cdp.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}},
            session=session,
            deadline=deadline,
        )
        Path(screenshot).write_bytes(base64.b64decode(shot["data"]))

    page = evaluate(_SNAPSHOT)
    # Let messages already in flight (e.g. a console call made as the last chart drew) arrive.
    cdp.pump(min(deadline, time.monotonic() + 0.05))
    return PageReport(
        url=url,
        console_errors=recorder.console_errors,
        console_messages=recorder.console_messages,
        requests=recorder.requests,
        chart_count=charts["count"],
        charts_drawn=charts["drawn"],
        title=page["title"],
        text=page["text"],
        html=page["html"],
    )


def _same_document(url: str, page_url: str) -> bool:
    """True when ``url`` is the page itself (ignoring a #fragment)."""
    return url.split("#", 1)[0] == page_url


def _remote_object_text(arg: dict[str, Any]) -> str:
    """Render one console argument roughly as DevTools shows it."""
    if "value" in arg:
        value = arg["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return arg.get("description") or arg.get("unserializableValue") or arg.get("type", "")
