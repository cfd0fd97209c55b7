"""Every kind of page qv builds, opened in headless Chromium as a reader would open it.

Each page must draw every chart (an SVG or canvas in each chart container), log no console
error and make no network request. A screenshot of each is kept under
``outputs/test-artefacts/browser/`` for people to look at.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from .pages import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "desktop-review-dashboard": ("RHM/desktop-review-dashboard.html", True),
    "annual-review-pack": ("RHM/annual-review-pack.html", True),
    "triggered-visit-brief": ("*/triggered-visit-brief-*.html", True),
    "learner-educator-visit-brief": ("*/learner-educator-visit-brief-*.html", True),
    "region-overview": ("region-overview.html", True),
    "index": ("index.html", False),
}


def _first(year_dir: Path, pattern: str) -> Path:
    found = sorted(year_dir.glob(pattern))
    assert found, f"no page matches {pattern}"
    return found[0]


@pytest.mark.parametrize("kind", PAGES)
def test_page_renders_offline_without_errors(kind, sample_build, browser, artefacts):
    pattern, has_charts = PAGES[kind]
    shot = artefacts / f"{kind}.png"
    report = open_page(browser, _first(sample_build, pattern), screenshot=shot)
    assert report.console_errors == []
    assert report.requests == []
    if has_charts:
        assert report.chart_count > 0
        assert report.charts_drawn == report.chart_count
    assert shot.stat().st_size > 0


def test_cqc_bundle_summary_renders(sample_build, browser, artefacts, tmp_path):
    with zipfile.ZipFile(sample_build / "RHU" / "cqc-response-bundle.zip") as bundle:
        page = tmp_path / "summary.html"
        page.write_bytes(bundle.read("summary.html"))
    report = open_page(browser, page, screenshot=artefacts / "cqc-response-bundle.png")
    assert report.console_errors == []
    assert report.requests == []
    assert report.charts_drawn == report.chart_count
    assert "CQC response bundle" in report.text


@pytest.mark.parametrize("kind", [k for k, (_, has_charts) in PAGES.items() if has_charts])
def test_without_javascript_every_chart_shows_as_its_static_svg(
    kind, sample_build, browser, artefacts
):
    """A locked-down viewer (no JavaScript) still shows every chart: its static SVG."""
    pattern, _ = PAGES[kind]
    shot = artefacts / f"{kind}-no-javascript.png"
    report = open_page(browser, _first(sample_build, pattern), screenshot=shot, javascript=False)
    assert report.chart_count > 0
    assert report.charts_drawn == report.chart_count
    assert report.console_errors == [] and report.requests == []
    assert "This chart is drawn by JavaScript" not in report.text
