"""Printing: pack HTML files to A4 PDFs beside them, with headless Chromium through Playwright.

:func:`print_pdfs` opens one Chromium for a batch of packs and prints each to ``<pack>.pdf``.
Playwright drives the system Chromium (:func:`chromium_path`); no browser is ever downloaded.

What is printed is the pack's own print layout (``pack.css``, ``@media print``): A4 portrait,
the marking, pack, status and version, trust, as-at date and "Page X of Y" in the margins of
every page (CSS page-margin boxes the template writes, so a reader printing from a
Chromium-based browser gets the same), the DRAFT mark on every page of a draft.  Pages are
opened with JavaScript off: every chart prints as the static SVG drawn when the notebook ran
(:mod:`qvlib.static_charts`), so there is nothing to wait for, and the charts are vector
drawings with their text as text.  The page is offline: nothing is fetched.

Static charts are laid out for Arial's metrics (vl-convert measures text with Liberation Sans,
which has them).  If Chromium finds no font with those metrics for Arial, chart labels print
wider than they were laid out and may overlap: :func:`print_pdfs` logs a warning naming the
fix (``apt-get install fonts-liberation``).

Reproducible: Chromium writes the time of printing as ``/CreationDate`` and ``/ModDate``; both
are removed (pypdf rewrites the file), so printing the same HTML with the same Chromium and
fonts gives the same bytes.  ``/Creator`` and ``/Producer`` name Chromium's version, so a new
Chromium may give other bytes, as may other fonts.  Files are written atomically.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qvlib.cache import write_atomic
from qvlib.errors import QvError

log = logging.getLogger(__name__)

#: Environment variable naming the Chromium (or Chrome) executable to print with.
CHROMIUM_VARIABLE = "QV_CHROMIUM"
#: Executables looked for on ``PATH``, in order, when ``QV_CHROMIUM`` is not set.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install it with `apt-get install chromium fonts-liberation` (Debian, Ubuntu), or set "
    f"{CHROMIUM_VARIABLE} to the path of a Chromium or Google Chrome executable"
)
#: Quiet, offline, container-safe (no GPU, small /dev/shm).
_ARGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
#: Width of "Apr 2022" in Arial (or Liberation Sans) at 100 px: its advance widths, 8312 units
#: of 2048 per em.  Another width means Chromium draws the charts' font as another font.
_ARIAL_WIDTH = 8312 / 2048 * 100
#: The width of "Apr 2022" at 100 px in the font of the page's first static chart label.
_MEASURE = """() => {
  const label = document.querySelector(".qv-chart-static text[font-family]");
  if (!label) return null;
  const context = document.createElement("canvas").getContext("2d");
  context.font = "100px " + label.getAttribute("font-family");
  return context.measureText("Apr 2022").width;
}"""


def chromium_path() -> str:
    """The Chromium executable to print with: ``$QV_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on ``PATH``.

    Raises
    ------
    QvError
        If ``$QV_CHROMIUM`` names no executable file, or none of the names is on ``PATH``;
        the message says how to install Chromium.

    Examples
    --------
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"QV_CHROMIUM": "/no/such/chromium"}):
    ...     chromium_path()
    Traceback (most recent call last):
    ...
    qvlib.errors.QvError: QV_CHROMIUM is /no/such/chromium, which is not an executable file; ...
    """
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return named
        raise QvError(
            f"{CHROMIUM_VARIABLE} is {named}, which is not an executable file; {INSTALL_HINT}"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise QvError(
        "printing packs to PDF needs Chromium, and none was found (looked for "
        f"{', '.join(CHROMIUM_NAMES)} on PATH, and {CHROMIUM_VARIABLE} is not set): " + INSTALL_HINT
    )


def print_pdfs(paths: Iterable[str | Path], *, chromium: str | None = None) -> list[Path]:
    """Print each pack HTML file to a PDF beside it (``x.html`` to ``x.pdf``), with one browser.

    Parameters
    ----------
    paths
        Pack HTML files (``qv reviews`` or ``qv render`` output), printed in this order.
    chromium
        The Chromium executable; :func:`chromium_path` by default.

    Returns
    -------
    list of Path
        The PDFs written, one per path, in the same order.

    Raises
    ------
    QvError
        If a file is missing, Chromium is missing or cannot start, or a page cannot be
        printed; PDFs already written stay.

    Notes
    -----
    Playwright's synchronous API refuses to run in a thread where an asyncio loop runs (a
    notebook's kernel, or another Playwright session), so the printing runs in a thread of its
    own: this works from a script, a worker or a notebook cell alike.  That thread, Playwright's
    driver and Chromium (child processes) all end before the call returns, so a process may
    fork after it.

    Examples
    --------
    >>> import tempfile
    >>> from pypdf import PdfReader
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = Path(folder) / "pack.html"
    ...     _ = page.write_text("<title>Pack</title><h1>Risks</h1>", encoding="utf-8")
    ...     [pdf] = print_pdfs([page])
    ...     pdf.name, PdfReader(pdf).pages[0].extract_text()
    ('pack.pdf', 'Risks')
    """
    pages = [Path(p) for p in paths]
    for page in pages:
        if not page.is_file():
            raise QvError(f"cannot print {page}: there is no such file; build the pack first")
    if not pages:
        return []
    executable = chromium or chromium_path()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qv-print") as thread:
        return thread.submit(_print_all, pages, executable).result()


def _print_all(pages: list[Path], executable: str) -> list[Path]:
    """Print ``pages`` with one Chromium (in a thread where no asyncio loop runs)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=list(_ARGS))
        except PlaywrightError as exc:
            raise QvError(
                f"could not start Chromium ({executable}) to print packs: "
                f"{str(exc).strip().splitlines()[0]}; {INSTALL_HINT}"
            ) from None
        try:
            context = browser.new_context(java_script_enabled=False, offline=True)
            warned = False
            for page in pages:
                target = page.with_suffix(".pdf")
                try:
                    data, width = _print(context, page)
                except PlaywrightError as exc:
                    raise QvError(f"Chromium could not print {page}: {exc}") from None
                if not warned and width and abs(width - _ARIAL_WIDTH) > 0.01 * _ARIAL_WIDTH:
                    log.warning(
                        "Chromium has no font with Arial's metrics, so chart labels print "
                        "wider than they were laid out and may overlap (first seen in %s); "
                        "install Liberation Sans (apt-get install fonts-liberation) or Arial",
                        page,
                    )
                    warned = True
                write_atomic(target, _without_dates(data))
                written.append(target)
        finally:
            browser.close()
    return written


def _print(context, page: Path) -> tuple[bytes, float | None]:
    """The PDF of ``page``, and the width its charts' font gives "Apr 2022" (see _MEASURE)."""
    tab = context.new_page()
    try:
        tab.goto(page.resolve().as_uri(), wait_until="load")
        width = tab.evaluate(_MEASURE)
        # A4 unless the page says otherwise (packs do, in @page); margins come from @page.
        pdf = tab.pdf(
            format="A4",
            prefer_css_page_size=True,
            print_background=True,
            tagged=True,
            outline=True,
        )
        return pdf, width
    finally:
        tab.close()


def _without_dates(data: bytes) -> bytes:
    """The PDF without its ``/CreationDate`` and ``/ModDate``, and with the ids of its tagged
    structure numbered 1, 2, ... in their order, so the same page gives the same bytes
    whenever it is printed."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header  # pypdf would write its own, older, version
    dated = ("/CreationDate", "/ModDate")
    writer.metadata = {k: v for k, v in (reader.metadata or {}).items() if k not in dated}
    buffer = io.BytesIO()
    writer.write(buffer)
    return _numbered_ids(buffer.getvalue())


_NODE_ID = re.compile(rb"\(node(\d+)\)")


def _numbered_ids(data: bytes) -> bytes:
    """Chromium names each structure element of a tagged PDF after the page's DOM node
    (``/ID (node00000085)``), and the renderer numbers nodes as it meets them, which can differ
    by one from print to print.  Each id becomes its rank among the file's ids, written with as
    many digits, so the bytes stay put (the cross-reference offsets hold) and the ID tree stays
    sorted.

    >>> _numbered_ids(b"/ID (node00000085) /ID (node00000090) /Names [(node00000085) 1 0 R]")
    b'/ID (node00000001) /ID (node00000002) /Names [(node00000001) 1 0 R]'
    """
    found = sorted({int(m.group(1)) for m in _NODE_ID.finditer(data)})
    rank = {number: position for position, number in enumerate(found, 1)}

    def renumber(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        return b"(node" + str(rank[int(digits)]).zfill(len(digits)).encode() + b")"

    return _NODE_ID.sub(renumber, data)
