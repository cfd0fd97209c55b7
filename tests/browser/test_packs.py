"""Every kind of page qv builds, opened in headless Chromium as a reader would open it.

Each page must draw every chart (an SVG or canvas in each chart container), log no console
error and make no network request.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from .chromium import open_page, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> str:
    return require_chromium()


def _first(year_dir: Path, pattern: str) -> Path:
    found = sorted(year_dir.glob(pattern))
    assert found, f"no page matches {pattern}"
    return found[0]


PAGES = {
    "desktop-review-dashboard": ("RHM/desktop-review-dashboard.html", True),
    "annual-review-pack": ("RHM/annual-review-pack.html", True),
    "triggered-visit-brief": ("*/triggered-visit-brief-*.html", True),
    "learner-educator-visit-brief": ("*/learner-educator-visit-brief-*.html", True),
    "region-overview": ("region-overview.html", True),
    "index": ("index.html", False),
}


@pytest.mark.parametrize("kind", PAGES)
def test_page_renders_offline_without_errors(kind, sample_build, browser, tmp_path):
    pattern, has_charts = PAGES[kind]
    report = open_page(
        _first(sample_build, pattern), browser=browser, screenshot=tmp_path / f"{kind}.png"
    )
    assert report.console_errors == []
    assert report.requests == []
    if has_charts:
        assert report.chart_count > 0
        assert report.charts_drawn == report.chart_count
    assert (tmp_path / f"{kind}.png").stat().st_size > 0


def test_cqc_bundle_summary_renders(sample_build, browser, tmp_path):
    with zipfile.ZipFile(sample_build / "RHU" / "cqc-response-bundle.zip") as bundle:
        page = tmp_path / "summary.html"
        page.write_bytes(bundle.read("summary.html"))
    report = open_page(page, browser=browser)
    assert report.console_errors == []
    assert report.requests == []
    assert report.charts_drawn == report.chart_count
    assert "CQC response bundle" in report.text
