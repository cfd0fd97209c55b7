"""Packs: turn an executed notebook into one self-contained, offline HTML file.

:class:`PackExporter` wraps an nbconvert ``HTMLExporter`` built once with the ``qv_pack``
template (``qvlib/templates/qv_pack``), so the template is compiled once per process and each
notebook renders in tens of milliseconds.  Before rendering it removes what a reader must not
see (code, prompts, ``parameters`` and papermill's ``injected-parameters`` cells, stderr) and
turns every Vega-Lite output into a chart figure with an id derived from the cell and output
index.  After rendering it adds a contents list built from the level-2 headings, each chart's
static SVG (from the output bundle, :mod:`qvlib.static_charts`) inline in its figure, where it
shows until vega-embed draws the live chart and in print, and, when the page has charts, the
Vega, Vega-Lite and vega-embed JavaScript once.

The JavaScript comes from ``vl_convert.javascript_bundle()``.  Building it takes seconds, so it
is built once per vl-convert version in a short-lived subprocess (vl-convert's JavaScript engine
must not start in a process that later forks workers) and cached on disk.  In the cached text
every ``://`` is written ``:\\/\\/`` and ``</script`` as ``<\\/script``: inside the JavaScript
string and regular-expression literals where they occur both spellings mean the same, and the
page then contains no ``http://`` or ``https://`` at all.  Those literals (SVG namespaces, the
Vega editor link of the disabled action menu) are never fetched: charts are drawn from inline
data with the action menu off.  Every rendered pack's markup is checked for references outside
the page before it is returned; text, including every value from data, is escaped and is never
a reference, so no data can fail that check.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import json
import logging
import re
import string
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import nbformat
from nbconvert import HTMLExporter

import qvlib
from qvlib import commentary, display
from qvlib.cache import cache_dir, write_atomic
from qvlib.commentary import EXECUTIVE_SUMMARY, DocumentControl
from qvlib.errors import QvError
from qvlib.static_charts import vegalite_version

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "qv_pack"
#: Cells with any of these tags are left out of packs (papermill tags the cell it injects).
DROP_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell"})
#: Output types a pack shows, best first; JavaScript and widget outputs are never shown.
DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
]
SYNTHETIC_BANNER = "SYNTHETIC DATA – not real trust data"
_VEGALITE_RE = re.compile(r"^application/vnd\.vegalite\.v\d+(\+json|\.json)$")
_H2_RE = re.compile(r"<h2(?:\s[^>]*)?>(.*?)</h2>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_URL_RE = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?\s*//|url\(\s*[\"']?\s*//|@import")
# What check_offline reads of a page: elements whose content is code, start tags, attributes.
_RAW_TEXT_RE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_ATTRIBUTE_RE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
#: Attributes whose value a browser loads or follows.
_URL_ATTRIBUTES = frozenset(
    {
        "action",
        "archive",
        "background",
        "cite",
        "codebase",
        "data",
        "formaction",
        "href",
        "icon",
        "longdesc",
        "lowsrc",
        "manifest",
        "ping",
        "poster",
        "src",
        "srcset",
        "xlink:href",
        "xml:base",
    }
)
# An attribute that may refer to something (in lower case), and the start tag around it.
_REFERRING_NAMES = "|".join(map(re.escape, sorted(_URL_ATTRIBUTES | {"style", "content"})))
_REFERRING_ATTRIBUTE_RE = re.compile(rf"\s(?:{_REFERRING_NAMES})\s*=")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_START_TAG_RE = re.compile(r"<([a-zA-Z][^\s/>]*)([^>]*)>")
# A reference outside the page: a scheme other than data:, or protocol-relative (// or \\).
_EXTERNAL = r"(?!data:)[a-z][a-z0-9+.-]*:|[/\\]{2}"
_EXTERNAL_RE = re.compile(_EXTERNAL, re.I)
_CSS_EXTERNAL_RE = re.compile(rf"@import|url\(\s*[\"']?\s*(?:{_EXTERNAL})", re.I)
_STATIC_RE = re.compile(r"<!--qv:static-chart:(\d+)-->")
_XMLNS_RE = re.compile(r"""\s+xmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
#: Shown, instead of a chart, by a pack read without JavaScript when the notebook's output has
#: no static picture of the chart (a notebook executed before charts carried one).
_NEEDS_JAVASCRIPT = "This chart is drawn by JavaScript: open the pack in a web browser to see it."
_BUNDLE_FORMAT = 1
_EMBED_OPTIONS = {"actions": False, "mode": "vega-lite", "renderer": "svg"}
_EMBED_SCRIPT = (
    "(function () {\n"
    f"  var options = {json.dumps(_EMBED_OPTIONS, sort_keys=True)};\n"
    """  document.querySelectorAll("script.qv-chart-spec").forEach(function (el) {
    var target = document.getElementById(el.getAttribute("data-target"));
    var figure = target.parentNode;
    vegaEmbed(target, JSON.parse(el.textContent), options).then(function () {
      figure.className += " qv-chart-live";
    }).catch(function (err) {
      if (figure.querySelector(".qv-chart-static")) return;  // the static chart stays
      target.className += " qv-chart-failed";
      target.textContent = "This chart could not be drawn: " + err;
    });
  });
})();"""
)
_BUILD_BUNDLE = """
import sys
import vl_convert
version = sys.argv[1] or None
sys.stdout.buffer.write(vl_convert.javascript_bundle(vl_version=version).encode("utf-8"))
"""


def _bundle_path() -> Path:
    vlc = importlib.metadata.version("vl-convert-python")
    return cache_dir() / f"vega-bundle-vlc{vlc}-vl{vegalite_version()}-f{_BUNDLE_FORMAT}.js"


def _make_inert(js: str) -> str:
    """Spell URL schemes and ``</script`` so that neither appears in the page (same meaning)."""
    return js.replace("://", r":\/\/").replace("</script", r"<\/script")


@cache
def vega_bundle() -> str:
    """The Vega + Vega-Lite + vega-embed JavaScript for packs, from the on-disk cache.

    Built on first use in a subprocess with ``vl_convert.javascript_bundle()`` and written
    atomically, so parallel workers share one copy.  Call this once in a parent process before
    forking workers to build the cache up front; it never starts vl-convert in this process.

    Returns
    -------
    str
        JavaScript that defines ``window.vegaEmbed``; no ``http(s)://`` and no ``</script``.

    Examples
    --------
    >>> js = vega_bundle()
    >>> "vegaEmbed" in js, "https://" in js, "</script" in js
    (True, False, False)
    """
    path = _bundle_path()
    if path.exists():
        return path.read_text(encoding="utf-8")
    log.info("building the Vega JavaScript bundle (once per vl-convert version) in %s", path)
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_BUNDLE, vegalite_version() or ""],
        capture_output=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise QvError(
            "could not build the Vega JavaScript bundle with vl-convert: "
            + result.stderr.decode("utf-8", "replace").strip()[-2000:]
        )
    js = _make_inert(result.stdout.decode("utf-8"))
    write_atomic(path, js)
    return js


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart_html(spec: Mapping[str, Any], chart_id: str, static_index: int | None) -> str:
    """A chart's figure: a placeholder for static SVG number ``static_index`` (if any), the
    live chart's target, and its spec."""
    body = {k: v for k, v in spec.items() if k != "$schema"}
    title = body.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    label = html.escape(str(title or body.get("description") or "Chart"))
    if static_index is None:
        static = f"<noscript><p>{_NEEDS_JAVASCRIPT}</p></noscript>"
    else:
        static = f'<div class="qv-chart-static"><!--qv:static-chart:{static_index}--></div>'
    return (
        f'<figure class="qv-chart" aria-label="{label}">{static}'
        f'<div class="qv-chart-view" id="{chart_id}"></div>'
        f'<script type="application/json" class="qv-chart-spec" data-target="{chart_id}">'
        f"{_json_for_script(body)}</script></figure>"
    )


def _inline_svg(svg: str | list[str]) -> str:
    """An SVG document as markup inside HTML: its root's ``xmlns`` declarations dropped.

    The HTML parser puts an ``<svg>`` element in the SVG namespace by itself, so the
    declarations (``http://www.w3.org/...`` names, never fetched) are not needed in a page.
    """
    text = "".join(svg) if isinstance(svg, list) else svg
    start = text.index("<svg")
    end = text.index(">", start)
    root = _XMLNS_RE.sub("", text[start:end])
    return root + text[end:]


def _vegalite_spec(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for mimetype, value in data.items():
        if _VEGALITE_RE.match(mimetype):
            return json.loads(value) if isinstance(value, str) else value
    return None


def _html_cell(cell_id: str, body: str) -> dict[str, Any]:
    return {
        "id": cell_id,
        "cell_type": "code",
        "source": "",
        "metadata": {},
        "outputs": [{"output_type": "display_data", "data": {"text/html": body}, "metadata": {}}],
        "execution_count": None,
    }


def commentary_payload(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The rendered commentary a pack notebook displayed (:func:`qvlib.commentary.attach`):
    ``file, sha256, sign_off, sections``, or ``None`` when the notebook attached none.

    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> data = {commentary.MIMETYPE: {"sections": []}, "text/plain": "commentary"}
    >>> cell = new_code_cell("qv.commentary.attach(review, commentary)",
    ...                      outputs=[new_output("display_data", data=data)])
    >>> commentary_payload(new_notebook(cells=[cell]))
    {'sections': []}
    >>> commentary_payload(new_notebook()) is None
    True
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            payload = output.get("data", {}).get(commentary.MIMETYPE)
            if payload is not None:
                return payload
    return None


class _Placer:
    """Puts the team's commentary into a pack: the executive summary before the first section,
    every other section after the Markdown cell with its heading."""

    def __init__(self, payload: dict[str, Any] | None, document: DocumentControl):
        self.payload = payload
        self.document = document
        sections = payload["sections"] if payload else []
        self.summary = next(
            (s for s in sections if commentary.same_heading(s["heading"], EXECUTIVE_SUMMARY)), None
        )
        self.pending = [s for s in sections if s is not self.summary]
        self.opened = False

    def before(self, cell_id: str, markdown: str) -> list[dict[str, Any]]:
        """Cells to put before a Markdown cell: the opening, before the first ``##``."""
        if self.opened or self.payload is None or not commentary.headings(markdown):
            return []
        self.opened = True
        if self.summary is not None:
            return [
                {
                    "id": f"{cell_id}-summary",
                    "cell_type": "markdown",
                    "source": f"## {EXECUTIVE_SUMMARY}",
                    "metadata": {},
                },
                _html_cell(f"{cell_id}-summary-text", _commentary_html(self.summary["html"])),
            ]
        if not self.document.draft:
            raise QvError(
                f"commentary {self.payload['file']}: a final pack needs an executive summary"
            )
        missing = (
            "the executive summary" if self.payload["sections"] else "commentary for this pack"
        )
        note = (
            f"Draft: the quality team has not yet written {missing}; it will open the pack "
            "when it is written."
        )
        return [_html_cell(f"{cell_id}-summary-note", f'<p class="qv-note">{note}</p>')]

    def after(self, cell_id: str, markdown: str) -> list[dict[str, Any]]:
        """The commentary sections under the headings of a Markdown cell."""
        cells = []
        for heading in commentary.headings(markdown):
            for section in [
                s for s in self.pending if commentary.same_heading(s["heading"], heading)
            ]:
                self.pending.remove(section)
                cells.append(
                    _html_cell(f"{cell_id}-commentary", _commentary_html(section["html"], True))
                )
        return cells

    def check_placed(self, headings: list[str]) -> None:
        if self.pending:
            unplaced = ", ".join(repr(s["heading"]) for s in self.pending)
            raise QvError(
                f"commentary {self.payload['file']}: no heading {unplaced} in this pack; its "
                f"headings: {', '.join([EXECUTIVE_SUMMARY, *headings])}"
            )


def _commentary_html(body: str, labelled: bool = False) -> str:
    label = '<p class="qv-commentary-label">Quality team\'s commentary</p>' if labelled else ""
    return f'<section class="qv-commentary">{label}{body}</section>'


def _prepare(
    nb: nbformat.NotebookNode, document: DocumentControl
) -> tuple[nbformat.NotebookNode, int, list[str]]:
    """A light copy of ``nb`` holding only what a reader sees, its number of charts, and the
    charts' static SVGs (as markup for the page) in placeholder order.

    Outputs are rebuilt rather than deep-copied: chart specs (with their data) become short
    HTML strings, which keeps nbconvert's own copy of the notebook cheap.  Static SVGs go in
    after nbconvert has rendered the page, which spares them its HTML parser.  The team's
    commentary (:mod:`qvlib.commentary`) is placed under its headings.
    """
    cells = []
    charts = 0
    statics: list[str] = []
    placer = _Placer(commentary_payload(nb), document)
    seen_headings: list[str] = []
    for ci, cell in enumerate(nb.cells):
        if DROP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            cells += placer.before(f"c{ci}", cell.source)
            cells.append(
                {
                    "id": f"c{ci}",
                    "cell_type": "markdown",
                    "source": cell.source,
                    "metadata": {},
                    "attachments": cell.get("attachments", {}),
                }
            )
            seen_headings += commentary.headings(cell.source)
            cells += placer.after(f"c{ci}", cell.source)
            continue
        if cell.cell_type != "code":
            continue
        outputs = []
        for oi, output in enumerate(cell.get("outputs", [])):
            kind = output.get("output_type")
            if kind == "stream" and output.get("name") == "stdout":
                outputs.append({"output_type": "stream", "name": "stdout", "text": output.text})
            elif kind == "error":
                outputs.append(
                    {
                        "output_type": "error",
                        "ename": output.ename,
                        "evalue": output.evalue,
                        "traceback": [],
                    }
                )
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if commentary.MIMETYPE in data:
                    continue  # placed under its headings
                spec = _vegalite_spec(data)
                if spec is not None:
                    charts += 1
                    index = None
                    if "image/svg+xml" in data:
                        index = len(statics)
                        statics.append(_inline_svg(data["image/svg+xml"]))
                    data = {"text/html": _chart_html(spec, f"qv-chart-{ci}-{oi}", index)}
                else:
                    data = {k: v for k, v in data.items() if k in DISPLAY_PRIORITY}
                # One output kind for results and displays keeps the template simple.
                outputs.append(
                    {
                        "output_type": "display_data",
                        "data": data,
                        "metadata": dict(output.get("metadata", {})),
                    }
                )
        cells.append(
            {
                "id": f"c{ci}",
                "cell_type": "code",
                "source": "",
                "metadata": {},
                "outputs": outputs,
                "execution_count": None,
            }
        )
    placer.check_placed(seen_headings)
    light = {
        "cells": cells,
        "metadata": dict(nb.get("metadata", {})),
        "nbformat": nb.get("nbformat", 4),
        "nbformat_minor": nb.get("nbformat_minor", 5),
    }
    return nbformat.from_dict(light), charts, statics


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _add_contents(page: str) -> str:
    """Give every ``<h2>`` a deterministic id and put a contents list at the placeholder."""
    entries: list[tuple[str, str]] = []
    used: set[str] = set()

    def number(match: re.Match[str]) -> str:
        inner = match.group(1)
        label = _TAG_RE.sub("", inner).strip()
        base = "s-" + _slug(html.unescape(label))
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        entries.append((anchor, label))
        return f'<h2 id="{anchor}">{inner}</h2>'

    page = _H2_RE.sub(number, page)
    contents = ""
    if entries:
        items = "".join(f'<li><a href="#{a}">{label}</a></li>' for a, label in entries)
        contents = (
            '<nav class="qv-contents" aria-label="Contents">'
            f'<p class="qv-contents-title">Contents</p><ol>{items}</ol></nav>'
        )
    return page.replace("<!--qv:contents-->", contents, 1)


def _svg_base64(svg: str | list[str]) -> str:
    text = "".join(svg) if isinstance(svg, list) else svg
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _css_string(value: Any) -> str:
    """``value`` as a double-quoted CSS string: every character but ASCII letters, digits and
    spaces written as a hexadecimal escape, so no value can end the string or the style sheet.

    Each escape ends with a space, which CSS reads as part of the escape (so a space after it
    in the value is kept).
    """
    kept = (
        c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in str(value)
    )
    return '"' + "".join(kept) + '"'


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def check_offline(page: str) -> None:
    """Raise :class:`QvError` if the markup of ``page`` refers to anything outside the page.

    Packs must open with no network, so what qv and its notebooks write is checked: every
    tag's URL attributes (``src``, ``href``, ``srcset``, ...), style sheets and ``style``
    attributes (``@import``, ``url(...)``), script code, and chart specs (a ``url`` or ``href``
    outside their data, which Vega would fetch or follow).  ``data:`` URIs, ``#`` anchors and
    relative paths are allowed.  Text is not checked: a value from data, such as a risk
    summary citing ``https://www.gmc-uk.org/nts``, is escaped text in a cell, shown and never
    fetched, so data can never fail a pack.

    >>> check_offline("<p>Source: https://www.gmc-uk.org/nts, cited in the text</p>")
    >>> check_offline('<img src="https://example.org/logo.png">')
    Traceback (most recent call last):
    ...
    qvlib.errors.QvError: a pack must not reference any URL (it has to open offline), ...
    """
    for match in _RAW_TEXT_RE.finditer(page):
        tag, attributes, code = match.group(1).lower(), match.group(2), match.group(3)
        if tag == "style":
            found = _CSS_EXTERNAL_RE.search(code)
            if found:
                _refuse(f"a style sheet with {found.group(0)!r}", code, found.start())
            continue
        if "application/json" in attributes.lower():
            try:
                spec = json.loads(code)
            except ValueError:  # not a chart spec of ours: read it as code, below
                pass
            else:
                key = _chart_link(spec)
                if key:
                    _refuse(f"a chart spec with a {key!r} (Vega fetches or follows it)", code, 0)
                continue
        found = _URL_RE.search(code.lower())
        if found:
            _refuse(f"a script with {found.group(0)!r}", code, found.start())
    markup = _RAW_TEXT_RE.sub(lambda m: f"<{m.group(1)}{m.group(2)}>", page)
    checked = -1
    # ASCII lower case keeps every position, so hits index the markup itself.
    for hit in _REFERRING_ATTRIBUTE_RE.finditer(markup.translate(_ASCII_LOWER)):
        # Only inside a start tag: text, escaped, holds no "<" or ">" of its own.
        start = markup.rfind("<", 0, hit.start())
        tag = _START_TAG_RE.match(markup, start) if start > checked else None
        if tag is None or tag.end() <= hit.start():
            continue
        checked = start
        name = tag.group(1).lower()
        for attribute in _ATTRIBUTE_RE.finditer(tag.group(2)):
            key = attribute.group(1).lower()
            value = html.unescape(next((v for v in attribute.group(2, 3, 4) if v), ""))
            if key == "style":
                found = _CSS_EXTERNAL_RE.search(value)
            elif key in _URL_ATTRIBUTES or (name == "meta" and key == "content"):
                found = _EXTERNAL_RE.match(value.strip()) or _URL_RE.search(value.lower())
            else:
                continue
            if found:
                _refuse(f"<{name} {key}=...> refers to {value.strip()[:80]!r}", tag.group(0), 0)


def _chart_link(spec: Any) -> str | None:
    """The first ``url`` or ``href`` key of a Vega-Lite spec outside its inline data."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("url", "href"):
                return key
            found = None if key in ("datasets", "values") else _chart_link(value)
            if found:
                return found
    elif isinstance(spec, list):
        return next((key for key in map(_chart_link, spec) if key), None)
    return None


def _refuse(what: str, text: str, at: int) -> NoReturn:
    context = text[max(at - 80, 0) : at + 120].replace("\n", " ")
    raise QvError(
        f"a pack must not reference any URL (it has to open offline), but {what} in: "
        f"...{context}...  This is markup from a notebook or qvlib, not data (data is shown "
        "as text): cite sources by name, embed images as data: URIs, and show charts through "
        "qvlib.charts (its renderer embeds them offline)."
    )


class PackExporter:
    """Renders executed notebooks as pack HTML; build one and reuse it for every notebook.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Risks")])
    >>> exporter = PackExporter()
    >>> page = exporter.render(nb, title="Annual education quality review", trust_code="RHM",
    ...                        trust_name="University Hospital Southampton", review_year="2025/26",
    ...                        as_at="2025-10-14",
    ...                        provenance={"dataset": "sample", "snapshot": "3f2a..."},
    ...                        synthetic=True, document=DocumentControl(
    ...                            "Wessex quality team", "quality@example.nhs.uk", "OFFICIAL"))
    >>> page.startswith("<!DOCTYPE html>"), SYNTHETIC_BANNER in page, "Risks</h2>" in page
    (True, True, True)
    """

    def __init__(self) -> None:
        self._exporter = HTMLExporter(
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            template_name=TEMPLATE_NAME,
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            exclude_anchor_links=True,
            # Our own _prepare does the cleaning; nbconvert's preprocessors would only
            # re-validate the notebook once each.
            default_preprocessors=[],
        )
        self._exporter.display_data_priority = list(DISPLAY_PRIORITY)
        self._exporter.register_filter("svg_base64", _svg_base64)
        self._exporter.register_filter("css_string", _css_string)

    @staticmethod
    def prepare() -> None:
        """Build what every page shares (the Vega bundle cache) once, before workers start.

        >>> PackExporter.prepare()  # afterwards vega_bundle() reads the cache
        """
        vega_bundle()

    def render(
        self,
        nb: nbformat.NotebookNode,
        *,
        title: str,
        trust_code: str,
        trust_name: str,
        review_year: str,
        as_at: str,
        provenance: Mapping[str, Any],
        synthetic: bool,
        document: DocumentControl,
    ) -> str:
        """The pack page for one executed notebook.

        Parameters
        ----------
        nb
            The executed notebook (not modified).
        title
            Pack title, e.g. "Annual education quality review".
        trust_code, trust_name, review_year
            Shown in the header, page title and footer.
        as_at
            ``YYYY-MM-DD``: the date the pack is as at, shown in the header and footer
            ("as at 14 Oct 2025").
        provenance
            Data provenance shown in the header, in the order given, e.g.
            ``{"dataset": ..., "period": ..., "snapshot": <hash>}``; keys become labels.
        synthetic
            Whether the data is synthetic: adds the banner "SYNTHETIC DATA – not real trust
            data" at the top of the page.
        document
            Issuer, contact, protective marking, version and status: in the header, the footer
            and (as ``<meta name="qv-...">`` for the printer) on every printed page; a draft
            carries a DRAFT mark.

        Returns
        -------
        str
            A complete HTML document: deterministic (same input, same text), no external URL.

        Raises
        ------
        QvError
            If the page would reference a URL (see :func:`check_offline`).
        """
        prepared, charts, statics = _prepare(nb, document)
        resources = {
            "qv": {
                "title": title,
                "trust_code": trust_code,
                "trust_name": trust_name,
                "review_year": review_year,
                "as_at": display.fmt_date(as_at),
                "provenance": [(_label(str(k)), str(v)) for k, v in provenance.items()],
                "synthetic": bool(synthetic),
                "banner": SYNTHETIC_BANNER,
                "version": qvlib.__version__,
                "document": document,
                "approved_on": display.fmt_date(document.approved_on),
            }
        }
        page, _ = self._exporter.from_notebook_node(prepared, resources=resources)
        page = _add_contents(page)
        page = _STATIC_RE.sub(lambda m: statics[int(m.group(1))], page)
        # The bundle's text is made URL-free when it is built and cached (see vega_bundle), so
        # only the page is checked: checking 900 kB of JavaScript per page would be slow.
        check_offline(page)
        scripts = ""
        if charts:
            scripts = f"<script>{vega_bundle()}</script>\n<script>{_EMBED_SCRIPT}</script>"
        return page.replace("<!--qv:scripts-->", scripts, 1)
