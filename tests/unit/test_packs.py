"""Pack exporter: what a reader sees, offline, deterministic, charts embedded once."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from qvlib import packs
from qvlib.errors import QvError
from qvlib.tables import show_findings, show_table

HEADER = {
    "title": "Annual education quality review",
    "trust_code": "RHM",
    "trust_name": "University Hospital Southampton",
    "review_year": "2025/26",
    "as_at": "2025-10-14",
    "provenance": {"dataset": "sample", "period": "2021/22 to 2025/26", "snapshot": "ab12cd34"},
    "document": packs.DocumentControl(
        "Wessex quality team", "quality@example.nhs.uk", "OFFICIAL-SENSITIVE"
    ),
}

SETUP = """\
import sys
import numpy as np
import pandas as pd
import qvlib.charts as qc
from qvlib.tables import show_findings, show_table
print("STDERR_MARKER", file=sys.stderr)
"""
SPC = """\
spc = pd.DataFrame({"x": pd.date_range("2024-04-01", periods=14, freq="MS"),
                    "y": np.arange(14.0), "mean": 6.5, "lpl": 0.0, "upl": 13.0,
                    "point_type": "common_cause", "trial_limits": False})
qc.chart_spc(spc, "Exception reports", "Reports")
"""
FFT = """\
fft = pd.DataFrame({"period": ["2024-01", "2024-02"], "setting": "inpatient",
                    "pct_positive": [94.0, 95.0]})
display(qc.chart_fft_trend(fft))
show_table(pd.DataFrame({"summary": ["<script>alert('x')</script> bullying"]}),
           caption="Open risks")
"""


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    """A tiny pack notebook, executed by a real kernel (once for this module)."""
    nb = new_notebook()
    nb.cells = [
        new_code_cell('trust_code = "PARAM_MARKER"  # ODS code', metadata={"tags": ["parameters"]}),
        new_code_cell('trust_code = "INJECTED_MARKER"', metadata={"tags": ["injected-parameters"]}),
        new_code_cell(SETUP),
        new_markdown_cell("## Risks & interventions\n\nText about risks."),
        new_code_cell(SPC),
        new_markdown_cell("## Survey trends"),
        new_code_cell(FFT),
        new_markdown_cell("## Survey trends"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    return nb


@pytest.fixture(scope="module")
def page(executed) -> str:
    return packs.PackExporter().render(executed, synthetic=True, **HEADER)


def test_code_parameters_injected_cells_and_stderr_are_not_shown(page):
    for marker in (
        "PARAM_MARKER",
        "INJECTED_MARKER",
        "STDERR_MARKER",
        "import numpy",
        "qc.chart_spc",
    ):
        assert marker not in page
    assert "In&nbsp;[" not in page and "Out[" not in page


def test_header_shows_trust_year_as_at_title_and_provenance(page):
    header = page[page.index("<header") : page.index("</header>")]
    assert "as at 14 Oct 2025" in header
    for text in (
        "Annual education quality review",
        "University Hospital Southampton",
        "RHM",
        "2025/26",
        "ab12cd34",
        "2021/22 to 2025/26",
    ):
        assert text in page


def test_synthetic_banner_appears_only_for_synthetic_data(executed, page):
    real = packs.PackExporter().render(executed, synthetic=False, **HEADER)
    assert "SYNTHETIC DATA – not real trust data" in page
    assert "SYNTHETIC" not in real


def test_contents_lists_h2_headings_in_order_with_unique_anchors(page):
    nav = re.search(r'<nav class="qv-contents".*?</nav>', page, re.S).group(0)
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', nav)
    assert [label for _, label in links] == [
        "Risks &amp; interventions",
        "Survey trends",
        "Survey trends",
    ]
    anchors = [a for a, _ in links]
    assert anchors == ["s-risks-interventions", "s-survey-trends", "s-survey-trends-2"]
    for anchor in anchors:
        assert f'<h2 id="{anchor}">' in page


def test_no_external_resource_or_url_anywhere(page):
    assert "http://" not in page and "https://" not in page
    markup = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    for attr in re.findall(r'(?:src|href)="([^"]*)"', markup):
        assert attr.startswith(("#", "data:")), attr
    assert "@import" not in page


def test_each_chart_is_embedded_once_with_ids_from_cell_and_output_index(page):
    targets = re.findall(r'class="qv-chart-spec" data-target="([^"]+)"', page)
    assert targets == ["qv-chart-4-0", "qv-chart-6-0"]
    for target in targets:
        assert f'<div class="qv-chart-view" id="{target}"></div>' in page
    assert page.count("window.vegaEmbed=") == 1
    assert page.count("vegaEmbed(target") == 1
    assert '"text":"Exception reports"' in page


def test_rendering_is_deterministic(executed, page):
    assert packs.PackExporter().render(executed, synthetic=True, **HEADER) == page


def test_script_in_a_table_cell_stays_escaped(page):
    assert "&lt;script&gt;alert('x')&lt;/script&gt; bullying" in page
    assert "<script>alert" not in page


def test_page_without_charts_has_no_vega_javascript():
    nb = new_notebook(cells=[new_markdown_cell("## Summary\n\nNothing to chart.")])
    page = packs.PackExporter().render(nb, synthetic=False, **HEADER)
    assert "vegaEmbed" not in page
    assert "<script" not in page


@pytest.mark.parametrize(
    ("mimetype", "as_text"),
    [("application/vnd.vegalite.v6+json", False), ("application/vnd.vegalite.v6.json", True)],
)
def test_chart_spec_in_any_vegalite_version_becomes_an_embed_and_is_script_safe(mimetype, as_text):
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "mark": "bar",
        "title": "T",
        "data": {"values": [{"a": "</script><b>"}]},
    }
    data = {mimetype: json.dumps(spec) if as_text else spec, "text/plain": "<VegaLite 6 object>"}
    cell = new_code_cell(
        "chart", outputs=[new_output("execute_result", data=data, execution_count=1)]
    )
    page = packs.PackExporter().render(new_notebook(cells=[cell]), synthetic=False, **HEADER)
    assert 'data-target="qv-chart-0-0"' in page
    assert "\\u003c/script\\u003e" in page and "</script><b>" not in page
    embedded = re.search(r'class="qv-chart-spec"[^>]*>(.*?)</script>', page, re.S).group(1)
    assert json.loads(embedded) == {k: v for k, v in spec.items() if k != "$schema"}
    assert "VegaLite 6 object" not in page


def test_error_outputs_show_a_short_message_not_a_traceback():
    cell = new_code_cell(
        "x",
        outputs=[
            new_output("error", ename="KeyError", evalue="'RHM'", traceback=["TRACEBACK_MARKER"])
        ],
    )
    page = packs.PackExporter().render(new_notebook(cells=[cell]), synthetic=False, **HEADER)
    assert "KeyError: 'RHM'" in page
    assert "TRACEBACK_MARKER" not in page


def test_a_url_in_the_narrative_is_refused():
    nb = new_notebook(cells=[new_markdown_cell("See [CQC](https://www.cqc.org.uk).")])
    with pytest.raises(QvError, match="must not reference any URL"):
        packs.PackExporter().render(nb, synthetic=False, **HEADER)


HOSTILE_TEXT = (
    "See https://www.gmc-uk.org/nts; @import url(//x); <img src='https://x/y.png'> "
    "[NTS](https://www.gmc-uk.org) //cdn.example"
)


def test_urls_and_css_in_data_are_escaped_text_in_tables_and_findings():
    risks = pd.DataFrame({"risk_id": ["R1"], "summary": [HOSTILE_TEXT]})
    table = show_table(risks, caption="Open risks", sortable=True).html
    findings = show_findings([{"severity": "concern", "text": HOSTILE_TEXT}]).html
    page = _table_page(table + findings)
    assert page.count(html.escape(HOSTILE_TEXT, quote=False)) == 2  # cell and finding, as text
    assert "<img src" not in page and "<style" not in page.split("</style>", 1)[1]
    assert re.findall(r"<a\b[^>]*>", page) == ['<a href="#s-trusts">']  # only the contents


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="https://example.org/logo.png" alt="logo">',
        "<img src='//example.org/logo.png'>",
        '<img srcset="a.png 1x, https://example.org/b.png 2x">',
        '<a href="HTTPS&#58;//example.org">report</a>',
        '<link rel="stylesheet" href="//cdn.example.org/x.css">',
        '<script src="https://cdn.example.org/x.js"></script>',
        "<script>fetch('https://example.org/track')</script>",
        "<style>@import 'print.css';</style>",
        '<div style="background: url(https://example.org/x.png)">x</div>',
        '<svg><image xlink:href="http://example.org/x.png"/></svg>',
        '<meta http-equiv="refresh" content="0; url=https://example.org">',
        '<script type="application/json" class="qv-chart-spec">'
        '{"data": {"url": "https://example.org/data.csv"}, "mark": "bar"}</script>',
    ],
)
def test_a_reference_outside_the_page_written_as_markup_is_refused(markup):
    with pytest.raises(QvError, match="must not reference any URL"):
        _table_page(f"<p>{markup}</p>")


def test_data_urls_anchors_and_chart_data_holding_urls_are_allowed():
    spec = {"data": {"values": [{"url": "https://x", "href": "//y"}]}, "mark": "bar"}
    packs.check_offline(
        '<a href="#s-risks">Risks</a><img src="data:image/png;base64,AAAA">'
        '<div style="background:url(data:image/png;base64,AA)"></div>'
        f'<script type="application/json" class="qv-chart-spec">{json.dumps(spec)}</script>'
        '<td data-sort="https://www.gmc-uk.org">https://www.gmc-uk.org</td>'
    )


def test_vega_bundle_is_inert_and_cached_on_disk():
    js = packs.vega_bundle()
    assert "window.vegaEmbed=" in js
    assert "://" not in js and "</script" not in js.lower()
    assert packs._bundle_path().read_text(encoding="utf-8") == js


def _table_page(html_output: str, **header) -> str:
    cell = new_code_cell("t", outputs=[new_output("display_data", data={"text/html": html_output})])
    nb = new_notebook(cells=[new_markdown_cell("## Trusts"), cell])
    return packs.PackExporter().render(nb, **{"synthetic": False, **HEADER, **header})


def test_sort_script_is_added_once_only_to_pages_with_a_sortable_table():
    df = pd.DataFrame({"trust": ["RHM", "RN5"], "n": [2, 10]})
    sortable = show_table(df, caption="A", sortable=True).html
    page = _table_page(sortable + show_table(df, caption="B", sortable=True).html)
    assert page.count("<script") == 1
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    assert 'querySelectorAll("table.qv-sortable")' in script
    assert 'setAttribute("aria-sort"' in script and 'createElement("button")' in script
    plain = _table_page(show_table(df, caption="A").html)
    assert "<script" not in plain
    assert page == _table_page(sortable + show_table(df, caption="B", sortable=True).html)


def test_region_pack_without_a_trust_code_has_no_empty_code_badge():
    page = _table_page("<p>x</p>", title="Region overview", trust_code="", trust_name="Wessex")
    assert "<title>[DRAFT] Region overview – Wessex 2025/26, as at 14 Oct 2025</title>" in page
    assert 'class="qv-code"' not in page and "()" not in page
    assert "Region overview · Wessex · 2025/26" in page


def test_a_draft_carries_a_draft_mark_and_the_documents_controls():
    page = _table_page("<p>x</p>")
    assert '<div aria-hidden="true" class="qv-draft-mark">DRAFT</div>' in page
    assert "<title>[DRAFT] " in page
    assert "Version 1, not approved for issue" in page
    # Marking at the top and in the footer, issuer and contact in the header.
    assert page.index('class="qv-marking"') < page.index("<header")
    assert page.count("OFFICIAL-SENSITIVE") >= 3  # marking strip, footer, printer's meta
    assert "Issued by Wessex quality team · quality@example.nhs.uk" in page
    assert '<meta content="draft" name="qv-status"/>' in page


def test_a_final_pack_shows_who_approved_it_and_when_and_no_draft_mark():
    final = packs.DocumentControl(
        "Wessex quality team",
        "quality@example.nhs.uk",
        "OFFICIAL-SENSITIVE",
        status="final",
        version=3,
        approved_by="Head of Quality <Wessex>",
        approved_on=dt.date(2025, 10, 20),
    )
    page = _table_page("<p>x</p>", document=final)
    assert 'class="qv-draft-mark"' not in page and "[DRAFT]" not in page
    assert "Version 3, approved by Head of Quality &lt;Wessex&gt; on 20 Oct 2025" in page
    assert '<meta content="final" name="qv-status"/>' in page


def test_every_chart_shows_its_static_svg_in_place_until_the_live_one_is_drawn(page):
    figures = re.findall(r'<figure [^>]*class="qv-chart".*?</figure>', page, re.S)
    assert len(figures) == 2
    for figure in figures:
        static = re.search(r'<div class="qv-chart-static">(<svg\b[^>]*>)', figure)
        assert static, "a chart without its static SVG"
        assert "xmlns" not in static.group(1) and "viewBox=" in static.group(1)
        assert figure.index("qv-chart-static") < figure.index("qv-chart-view")
    assert ">Exception reports</text>" in figures[0]
    markup = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    assert "xmlns" not in markup and "http://" not in page
    assert 'figure.className += " qv-chart-live"' in page  # drawn: the static one is hidden
    assert "@media screen { .qv-chart-live .qv-chart-static { display: none; } }" in page
    assert ".qv-chart-static + .qv-chart-view { display: none; }" in page  # print: static


def test_a_chart_output_without_a_static_svg_tells_readers_without_javascript():
    spec = {"mark": "bar", "title": "T", "data": {"values": [{"a": 1}]}}
    data = {"application/vnd.vegalite.v5+json": spec, "text/plain": "Chart: T"}
    cell = new_code_cell("chart", outputs=[new_output("display_data", data=data)])
    page = packs.PackExporter().render(new_notebook(cells=[cell]), synthetic=False, **HEADER)
    assert 'class="qv-chart-static"' not in page
    assert "<noscript><p>This chart is drawn by JavaScript: open the pack in a web browser" in page


def test_every_printed_page_carries_the_document_controls_as_escaped_css():
    page = _table_page(
        "<p>x</p>",
        trust_name='St "Mary\'s" </style><b>',
        document=packs.DocumentControl("Wessex", "q@example.nhs.uk", "OFFICIAL-SENSITIVE"),
    )
    rules = re.search(r"@page \{\n  @top-left.*?\n\}", page, re.S).group(0)
    assert rules == (
        "@page {\n"
        '  @top-left { content: "Annual education quality review\\a as at 14 Oct 2025"; }\n'
        '  @top-center { content: "OFFICIAL\\2d SENSITIVE"; }\n'
        '  @top-right { content: "DRAFT \\b7  version 1"; }\n'
        '  @bottom-left { content: "St \\22 Mary\\27 s\\22  \\3c \\2f style\\3e \\3c b\\3e  '
        '\\28 RHM\\29 "; }\n'
        '  @bottom-center { content: "OFFICIAL\\2d SENSITIVE"; }\n'
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages); }\n'
        "}"
    )
    assert page.count("</style>") == 1


def test_a_synthetic_final_pack_says_so_on_every_printed_page():
    final = packs.DocumentControl(
        "Wessex",
        "q@example.nhs.uk",
        "OFFICIAL",
        status="final",
        version=2,
        approved_by="Head of Quality",
        approved_on=dt.date(2025, 10, 20),
    )
    page = _table_page("<p>x</p>", document=final, synthetic=True)
    assert '@top-right { content: "FINAL \\b7  version 2\\a SYNTHETIC DATA"; }' in page
