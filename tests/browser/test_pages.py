"""The page checks themselves, on small hand-made pages whose right answer is known.

A page with one drawn chart, a page that throws, pages that reach for the network (from an
image, a script and a worker), a page whose chart never draws, and real Vega-Lite charts with
their JavaScript inlined as the packs have it.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import vl_convert

from .pages import chromium_path, open_page

pytestmark = pytest.mark.browser

CHART = (
    "<div class='qv-chart'><svg width='120' height='60'><rect width='40' height='30'/></svg></div>"
)
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def write_page(folder: Path, body: str, *, title: str = "Test page") -> Path:
    page = folder / "page.html"
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return page


def test_self_contained_page_is_drawn_and_read(tmp_path, browser):
    page = write_page(
        tmp_path,
        f"<h1>Ward summary</h1>{CHART}<img src='{PIXEL}'><a href='#top'>top</a>"
        "<script>console.log('rendered');</script>",
        title="Pack of RHM",
    )
    report = open_page(browser, page)
    assert (report.chart_count, report.charts_drawn) == (1, 1)
    assert report.console_errors == [] and report.requests == []
    assert report.title == "Pack of RHM"
    assert report.text.split() == ["Ward", "summary", "top"]


def test_console_errors_uncaught_exceptions_and_missing_files_are_reported(tmp_path, browser):
    page = write_page(
        tmp_path,
        CHART
        + "<img src='missing-logo.png'>"
        + "<script>console.error('chart data missing for', 'RHM');</script>"
        + "<script>throw new Error('boom in chart script');</script>",
    )
    errors = open_page(browser, page).console_errors
    assert "chart data missing for RHM" in errors
    assert any("boom in chart script" in e for e in errors)
    assert any("missing-logo.png" in e and "ERR_FILE_NOT_FOUND" in e for e in errors)


def test_requests_from_an_image_a_script_and_a_worker_are_recorded_and_refused(tmp_path, browser):
    # IP literals need no name lookup: only the refusal in the browser keeps them offline.
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
    page = write_page(
        tmp_path,
        "<img src='https://example.invalid/x.png'>"
        f"<div class='qv-chart' id='c'></div><script>{script}</script>",
    )
    report = open_page(browser, page)
    assert report.charts_drawn == 1, "a fetch was neither answered nor refused"
    assert sorted(report.requests) == [
        "http://192.0.2.7/data.json",
        "http://192.0.2.8/from-worker.json",
        "https://example.invalid/x.png",
    ]
    assert report.title == "refused"


def test_a_chart_container_left_empty_is_counted_but_not_drawn(tmp_path, browser):
    page = write_page(
        tmp_path,
        CHART
        + "<div class='qv-chart'></div>"
        + "<div class='qv-chart'><svg width='0' height='0'></svg></div>",
    )
    report = open_page(browser, page, chart_timeout=0.5)
    assert (report.chart_count, report.charts_drawn) == (3, 1)


def test_a_chart_drawn_after_the_load_event_is_waited_for(tmp_path, browser):
    page = write_page(
        tmp_path,
        "<div class='qv-chart' id='late'></div><script>setTimeout(() => {"
        "const c = document.createElement('canvas'); c.width = 200; c.height = 100;"
        "document.getElementById('late').appendChild(c); }, 1500);</script>",
    )
    assert open_page(browser, page).charts_drawn == 1


def test_inline_vega_lite_charts_draw_offline_as_svg_and_canvas(tmp_path, browser):
    data = pd.DataFrame({"month": ["Apr", "May", "Jun"], "responses": [41, 37, 52]})
    spec = json.dumps(alt.Chart(data).mark_bar().encode(x="month:N", y="responses:Q").to_dict())
    page = write_page(
        tmp_path,
        "<div class='qv-chart' id='as-svg'></div><div class='qv-chart' id='as-canvas'></div>"
        f"<script>{vl_convert.javascript_bundle()}</script>"
        f"<script>vegaEmbed('#as-svg', {spec}, {{renderer: 'svg', actions: false}});"
        f"vegaEmbed('#as-canvas', {spec}, {{renderer: 'canvas', actions: false}});</script>",
    )
    report = open_page(browser, page)
    assert (report.chart_count, report.charts_drawn) == (2, 2)
    assert report.console_errors == [] and report.requests == []


def test_screenshot_is_a_png_of_the_whole_page(tmp_path, browser):
    page = write_page(tmp_path, CHART + "<div style='height: 3000px'></div>")
    shot = tmp_path / "shot.png"
    open_page(browser, page, screenshot=shot)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[20:24], "big") > 3000  # IHDR height: below the 1024 px window


def test_missing_page_is_an_error(tmp_path, browser):
    with pytest.raises(FileNotFoundError, match="no-such-pack.html"):
        open_page(browser, tmp_path / "no-such-pack.html")


def test_missing_browser_skips_locally_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("QV_CHROMIUM", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Chromium, and none was found"):
        chromium_path()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        chromium_path()
