"""Packs printed to PDF: A4, few pages, the document controls on every page, vector charts, and
the same bytes every time.

The session's sample build is ``make pdf``'s run: its RHM dashboard and annual pack are checked
here.  Their PDFs are kept under ``outputs/test-artefacts/browser/`` beside
the screenshots, for people to look at.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from qvlib import printing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PACKS = ("desktop-review-dashboard", "annual-review-pack")
#: Pages each pack may print to.  The dashboard printed to 18 pages when every section started a
#: page; with the national sections' depth added it prints to 20 full pages, the annual pack to
#: 10 (measured on the sample data).
MAX_PAGES = {"desktop-review-dashboard": 22, "annual-review-pack": 12}
A4_POINTS = (595, 842)
STATUS = {
    "desktop-review-dashboard": "DRAFT · version 1",
    "annual-review-pack": "FINAL · version 1",
}


def _meta(page: str, name: str) -> str:
    found = re.search(rf'<meta content="([^"]*)" name="qv-{name}"', page)
    assert found, f"no qv-{name} meta tag"
    return html.unescape(found.group(1))


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def printed(sample_build, artefacts) -> dict[str, Path]:
    """The PDFs ``make pdf`` (the session's sample build) printed of RHM's packs."""
    pdfs = {pack: sample_build / "RHM" / f"{pack}.pdf" for pack in PACKS}
    for pdf in pdfs.values():
        shutil.copy(pdf, artefacts / pdf.name)
    return pdfs


def test_make_pdf_prints_every_html_pack_and_records_it(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text())["outputs"]
    html_packs = [e for e in manifest if e["path"].endswith(".html")]
    assert len(html_packs) > 20
    for entry in html_packs:
        pdf = sample_build / entry["path"].replace(".html", ".pdf")
        assert entry["pdf"]["path"] == pdf.relative_to(sample_build).as_posix()
        assert entry["pdf"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    # The final annual pack's frozen version has its PDF too.
    [annual] = [e for e in manifest if e["key"] == "RHM/annual-review-pack"]
    assert annual["versions"][0]["files"] == [
        "RHM/annual-review-pack.v1.html",
        "RHM/annual-review-pack.v1.pdf",
    ]


@pytest.fixture(scope="module")
def chromium() -> str:
    from .pages import chromium_path

    return chromium_path()


@pytest.mark.parametrize("pack", PACKS)
def test_a_pack_prints_to_a4_pages_without_a_near_empty_one(printed, pack):
    reader = PdfReader(printed[pack])
    assert 4 <= len(reader.pages) <= MAX_PAGES[pack]
    for page in reader.pages:
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == A4_POINTS
    # Every page but the last holds more than a few lines of text.
    for number, page in enumerate(reader.pages[:-1], 1):
        assert len(page.extract_text()) > 400, f"page {number} is nearly empty"


@pytest.mark.parametrize("pack", PACKS)
def test_every_page_carries_trust_as_at_status_marking_and_its_number(printed, pack):
    source = printed[pack].with_suffix(".html").read_text(encoding="utf-8")
    status = f"{_meta(source, 'status').upper()} · version {_meta(source, 'version')}"
    wanted = [_meta(source, n) for n in ("pack", "trust", "marking")]
    wanted += [f"as at {_meta(source, 'as-at')}", status, "SYNTHETIC DATA"]
    assert "University Hospital Southampton NHS Foundation Trust (RHM)" in wanted
    # The sample commentary signs off RHM's annual pack; its dashboard is a draft.
    assert status == STATUS[pack]
    reader = PdfReader(printed[pack])
    for number, page in enumerate(reader.pages, 1):
        text = _words(page.extract_text())
        for expected in wanted:
            assert expected in text, f"page {number} lacks {expected!r}"
        assert f"Page {number} of {len(reader.pages)}" in text


@pytest.mark.parametrize("pack", PACKS)
def test_charts_print_as_vector_drawings_with_their_text(printed, pack):
    source = printed[pack].with_suffix(".html").read_text(encoding="utf-8")
    titles = [html.unescape(t) for t in re.findall(r'<figure aria-label="([^"]+)"', source)]
    assert titles
    reader = PdfReader(printed[pack])
    text = _words(" ".join(page.extract_text() for page in reader.pages))
    for title in titles:
        assert _words(title) in text, f"chart {title!r} is not in the PDF"
    assert "% positive" in text or "Headcount" in text  # an axis title
    for number, page in enumerate(reader.pages, 1):
        assert list(page.images) == [], f"page {number} holds a raster image"


def test_printing_again_gives_the_same_bytes_without_dates(printed, chromium, tmp_path):
    again = tmp_path / "elsewhere"
    again.mkdir()
    page = again / "desktop-review-dashboard.html"
    shutil.copy(printed["desktop-review-dashboard"].with_suffix(".html"), page)
    [pdf] = printing.print_pdfs([page], chromium=chromium)
    assert pdf.read_bytes() == printed["desktop-review-dashboard"].read_bytes()
    info = PdfReader(BytesIO(pdf.read_bytes())).metadata
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert info["/Title"].startswith("[DRAFT] [SYNTHETIC] Desktop review dashboard – University")
    assert info["/Producer"].startswith("Skia/PDF")


def test_chart_fonts_have_arial_metrics_here(sample_build, chromium, tmp_path, caplog):
    """Static charts are laid out for Arial's metrics; with Liberation Sans (or Arial) the
    printer draws them so and does not warn."""
    page = tmp_path / "annual-review-pack.html"
    shutil.copy(sample_build / "RHM" / "annual-review-pack.html", page)
    with caplog.at_level(logging.WARNING, logger="qvlib.printing"):
        printing.print_pdfs([page], chromium=chromium)
    assert caplog.records == []


def test_a_chart_font_without_arial_metrics_is_warned_about(chromium, tmp_path, caplog):
    page = tmp_path / "pack.html"
    page.write_text(
        "<h1>Pack</h1><div class='qv-chart-static'><svg width='90' height='20'>"
        "<text x='0' y='15' font-family='monospace'>Apr 2022</text></svg></div>",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="qvlib.printing"):
        printing.print_pdfs([page], chromium=chromium)
    [record] = caplog.records
    assert "no font with Arial's metrics" in record.getMessage()
    assert "apt-get install fonts-liberation" in record.getMessage()


def test_qv_render_pdf_writes_the_page_and_its_pdf(sample_build, chromium, tmp_path, qv_cli):
    executed = sample_build / "RHM" / "executed" / "annual-review-pack.ipynb"
    out = tmp_path / "annual.html"
    result = qv_cli("render", str(executed), "-o", str(out), "--pdf")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {out}\nwrote {out.with_suffix('.pdf')}\n"
    text = _words(PdfReader(out.with_suffix(".pdf")).pages[0].extract_text())
    assert "Annual education quality review" in text and "Page 1 of" in text


def test_printing_works_where_an_asyncio_loop_runs(browser, chromium, tmp_path):
    """The session's `browser` keeps Playwright's asyncio loop running in this thread, as a
    notebook's kernel runs one: printing still works (it runs in a thread of its own)."""
    page = tmp_path / "pack.html"
    page.write_text("<h1>Risks</h1>", encoding="utf-8")
    assert printing.print_pdfs([page], chromium=chromium) == [page.with_suffix(".pdf")]
