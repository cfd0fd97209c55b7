"""Tests of the headless Chromium harness on small hand-made pages.

Each page is built so the right answer is known without running the harness: a page with one
drawn chart, a page that throws, a page that reaches for the network, a page whose chart never
draws, and a real Vega-Lite chart with its JavaScript inlined as the packs will have it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import vl_convert

from . import chromium
from .chromium import BrowserError, find_chromium, open_page, require_chromium

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def browser() -> str:
    return require_chromium()


def write_page(folder: Path, body: str, *, title: str = "Test page") -> Path:
    page = folder / "page.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return page


INLINE_SVG_CHART = (
    "<h1>Ward summary</h1>"
    "<div class='qv-chart'><svg width='120' height='60'><rect width='40' height='30'/></svg></div>"
)


PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.mark.browser
def test_clean_page_with_inline_svg_chart_is_drawn_and_read(tmp_path: Path, browser: str) -> None:
    # A self-contained page: an inline chart, a data: image, an in-page link and a log line.
    page = write_page(
        tmp_path,
        INLINE_SVG_CHART
        + f"<img src='{PIXEL}'><a href='#top'>top</a>"
        + "<script>console.log('rendered', 3);</script>",
        title="Pack of RHM",
    )

    report = open_page(page, browser=browser)

    assert (report.chart_count, report.charts_drawn) == (1, 1)
    assert report.console_errors == []
    assert report.console_messages == ["log: rendered 3"]
    assert report.requests == []
    assert report.title == "Pack of RHM"
    assert report.text.split() == ["Ward", "summary", "top"]
    assert "<rect" in report.html
    assert report.url == page.resolve().as_uri()


@pytest.mark.browser
def test_uncaught_exception_and_console_error_are_reported(tmp_path: Path, browser: str) -> None:
    page = write_page(
        tmp_path,
        INLINE_SVG_CHART
        + "<script>console.error('chart data missing for', 'RHM');</script>"
        + "<script>throw new Error('boom in chart script');</script>",
    )

    report = open_page(page, browser=browser)

    assert len(report.console_errors) == 2
    assert report.console_errors[0] == "chart data missing for RHM"
    assert "boom in chart script" in report.console_errors[1]
    assert "error: chart data missing for RHM" in report.console_messages


@pytest.mark.browser
def test_external_image_is_recorded_as_a_request_and_not_fetched(
    tmp_path: Path, browser: str
) -> None:
    page = write_page(tmp_path, "<img src='https://example.invalid/x.png'>" + INLINE_SVG_CHART)

    report = open_page(page, browser=browser)

    assert report.requests == ["https://example.invalid/x.png"]
    assert len(report.console_errors) == 1
    assert "https://example.invalid/x.png" in report.console_errors[0]


@pytest.mark.browser
def test_fetches_from_script_and_worker_are_recorded_and_blocked(
    tmp_path: Path, browser: str
) -> None:
    # An IP literal needs no name lookup, so only the in-browser block keeps it offline; the
    # worker's request is made in a separate target the harness must also watch.
    worker = "fetch('http://192.0.2.8/from-worker.json').catch(() => postMessage('refused'))"
    script = f"""
      const w = new Worker(URL.createObjectURL(new Blob([{json.dumps(worker)}])));
      const fromWorker = new Promise((resolve) => {{ w.onmessage = resolve; }});
      const fromPage = fetch('http://192.0.2.7/data.json').then(() => 'fetched', () => 'refused');
      Promise.all([fromPage, fromWorker]).then(([outcome]) => {{
        document.title = outcome;
        document.getElementById('c').innerHTML = '<svg width=10 height=10></svg>';
      }});
    """
    page = write_page(tmp_path, f"<div class='qv-chart' id='c'></div><script>{script}</script>")

    report = open_page(page, browser=browser)

    assert report.charts_drawn == 1, "a fetch was neither answered nor refused"
    assert sorted(report.requests) == [
        "http://192.0.2.7/data.json",
        "http://192.0.2.8/from-worker.json",
    ]
    assert report.title == "refused"


@pytest.mark.browser
def test_empty_chart_container_is_counted_but_not_drawn(tmp_path: Path, browser: str) -> None:
    page = write_page(
        tmp_path,
        INLINE_SVG_CHART
        + "<div class='qv-chart'></div>"
        + "<div class='qv-chart'><svg width='0' height='0'></svg></div>",
    )

    report = open_page(page, browser=browser, chart_timeout=0.5)

    assert (report.chart_count, report.charts_drawn) == (3, 1)


@pytest.mark.browser
def test_waits_for_a_chart_drawn_after_load(tmp_path: Path, browser: str) -> None:
    late_chart = """
    <div class='qv-chart' id='late'></div>
    <script>
      setTimeout(() => {
        const c = document.createElement('canvas');
        c.width = 200; c.height = 100;
        document.getElementById('late').appendChild(c);
      }, 1500);
    </script>
    """
    page = write_page(tmp_path, late_chart)

    assert open_page(page, browser=browser).charts_drawn == 1
    assert open_page(page, browser=browser, wait_for_charts=False).charts_drawn == 0


@pytest.mark.browser
def test_chart_selector_is_a_parameter(tmp_path: Path, browser: str) -> None:
    page = write_page(
        tmp_path,
        "<div class='qv-chart'></div>"
        "<figure class='vega-embed'><svg width='10' height='10'></svg></figure>",
    )

    report = open_page(page, browser=browser, chart_selector="figure.vega-embed")

    assert (report.chart_count, report.charts_drawn) == (1, 1)


@pytest.mark.browser
def test_inline_vega_lite_charts_draw_offline(tmp_path: Path, browser: str) -> None:
    # One page, one chart per Vega renderer: the harness must see both an svg and a canvas.
    data = pd.DataFrame({"month": ["Apr", "May", "Jun"], "responses": [41, 37, 52]})
    spec = json.dumps(alt.Chart(data).mark_bar().encode(x="month:N", y="responses:Q").to_dict())
    body = (
        "<div class='qv-chart' id='as-svg'></div><div class='qv-chart' id='as-canvas'></div>"
        f"<script>{vl_convert.javascript_bundle()}</script>"
        f"<script>vegaEmbed('#as-svg', {spec}, {{renderer: 'svg', actions: false}});"
        f"vegaEmbed('#as-canvas', {spec}, {{renderer: 'canvas', actions: false}});</script>"
    )
    page = write_page(tmp_path, body)

    report = open_page(page, browser=browser)

    assert (report.chart_count, report.charts_drawn) == (2, 2)
    assert report.console_errors == []
    assert report.requests == []
    assert "<svg" in report.html
    assert "<canvas" in report.html


@pytest.mark.browser
def test_screenshot_is_a_png_of_the_whole_page(tmp_path: Path, browser: str) -> None:
    # 3000 px is taller than the 1024 px window: the picture must include what is below it.
    page = write_page(tmp_path, INLINE_SVG_CHART + "<div style='height: 3000px'></div>")
    shot = tmp_path / "shot.png"

    open_page(page, browser=browser, screenshot=shot)

    png = shot.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    # The IHDR chunk follows the signature: length, type, then width and height (big-endian).
    height = int.from_bytes(png[20:24], "big")
    assert height > 3000


@pytest.mark.browser
def test_hung_page_times_out_instead_of_hanging(tmp_path: Path, browser: str) -> None:
    page = write_page(tmp_path, "<script>while (true) {}</script>")

    started = time.monotonic()
    with pytest.raises(BrowserError, match="did not finish loading"):
        open_page(page, browser=browser, timeout=3)
    # Generous for a loaded CI machine, yet well short of hanging until pytest is killed.
    assert time.monotonic() - started < 20


@pytest.mark.browser
def test_invalid_chart_selector_is_an_error_not_zero_charts(tmp_path: Path, browser: str) -> None:
    page = write_page(tmp_path, INLINE_SVG_CHART)

    with pytest.raises(BrowserError, match="probe failed"):
        open_page(page, browser=browser, chart_selector="div[")


def test_missing_page_is_reported_before_starting_a_browser(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no-such-pack.html"):
        open_page(tmp_path / "no-such-pack.html")


def test_find_chromium_returns_none_when_nothing_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chromium, "CANDIDATES", ("qv-no-such-browser",))

    assert find_chromium() is None


def test_missing_browser_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chromium, "CANDIDATES", ("qv-no-such-browser",))
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="no Chromium found"):
        require_chromium()


def test_missing_browser_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chromium, "CANDIDATES", ("qv-no-such-browser",))
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium()
