"""Open a local HTML page in headless Chromium (Playwright) and report what a reader would see.

Playwright drives the system Chromium (``executable_path``; browsers are never downloaded). Each
page gets a fresh browser context (a throwaway profile) in which every request that is not a
``file:``, ``data:`` or ``blob:`` URL is recorded and refused, from the page, its frames and its
workers alike. The report holds the console errors (``console.error``, uncaught exceptions,
resources that failed to load), the requests refused, and how many chart containers hold a
drawn ``svg`` or ``canvas`` once the charts had time to draw.

:func:`chromium_path` is called first by the browser fixture: it finds Chromium as the PDF
printer does (:func:`qvlib.printing.chromium_path`), and skips when there is none on a developer
machine but fails when the ``CI`` environment variable is set, because in CI a missing browser
means the browser tests silently stopped running.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route
from playwright.sync_api import Error as PlaywrightError

from qvlib import printing
from qvlib.errors import QvError

#: Container-safe, quiet and offline: no sandbox (containers), no GPU, no background traffic.
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",  # container /dev/shm is often too small for Chromium
)
#: URL schemes a self-contained page may load.
LOCAL = ("file:", "data:", "blob:")
#: Counts chart containers and those holding a visible svg or canvas.
CHART_PROBE = """(selector) => {
  const boxes = Array.from(document.querySelectorAll(selector));
  const drawn = boxes.filter((box) =>
    Array.from(box.querySelectorAll("svg, canvas")).some((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    })
  );
  return {count: boxes.length, drawn: drawn.length};
}"""


@dataclass
class PageReport:
    """What the browser saw when it opened one page.

    ``requests`` are the URLs the page (or its frames and workers) asked for that are not local,
    in request order; each was refused. ``charts_drawn`` counts the chart containers holding an
    ``svg`` or ``canvas`` with a non-zero size.
    """

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    chart_count: int = 0
    charts_drawn: int = 0
    title: str = ""
    text: str = ""


def chromium_path() -> str:
    """The system Chromium; skips the test locally when there is none, fails it in CI."""
    try:
        return printing.chromium_path()
    except QvError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}. CI must run the browser tests.", pytrace=False)
        pytest.skip(str(exc))


def open_page(
    browser: Browser,
    path: Path,
    *,
    screenshot: Path | None = None,
    chart_selector: str = ".qv-chart",
    chart_timeout: float = 10.0,
    javascript: bool = True,
) -> PageReport:
    """Open ``path`` in a fresh context, wait for its charts, and report.

    A chart not drawn within ``chart_timeout`` seconds of the load event is reported as not
    drawn. ``screenshot`` gets a PNG of the whole page (not just the window). With
    ``javascript=False`` the page's scripts do not run, as in a locked-down viewer (the probes
    of this module still do).
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no page to open at {path}")
    report = PageReport(url=path.as_uri())

    def refuse_remote(route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            report.requests.append(url)
            route.abort()

    context = browser.new_context(
        service_workers="block",
        viewport={"width": 1280, "height": 1024},
        java_script_enabled=javascript,
    )
    try:
        context.route("**/*", refuse_remote)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and report.console_errors.append(m.text))
        page.on("pageerror", lambda exc: report.console_errors.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed",
            lambda r: (
                r.url.startswith("file:")
                and report.console_errors.append(f"failed to load {r.url}: {r.failure}")
            ),
        )
        page.goto(report.url, wait_until="load")
        with contextlib.suppress(PlaywrightError):  # a chart still not drawn is counted below
            page.wait_for_function(
                f"(s) => {{ const c = ({CHART_PROBE})(s); return c.drawn === c.count; }}",
                arg=chart_selector,
                timeout=chart_timeout * 1000,
            )
        charts = page.evaluate(CHART_PROBE, chart_selector)
        report.chart_count, report.charts_drawn = charts["count"], charts["drawn"]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        report.title = page.title()
        report.text = page.inner_text("body")
    finally:
        context.close()
    return report
