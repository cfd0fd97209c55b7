"""The team's commentary: parsed, checked against the pack, rendered with live figures, placed."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from qvlib import commentary, packs
from qvlib.commentary import (
    CommentaryError,
    DocumentControl,
    attach,
    check_commentary,
    commentary_path,
    pack_headings,
    read_commentary,
    render_sections,
)
from qvlib.config import load_region
from qvlib.findings import value_names
from qvlib.reviews import open_review

SAMPLE = "data/sample"
ANNUAL = "notebooks/annual_review_pack.ipynb"


def _write(tmp_path, text: str, name: str = "annual-review-pack.md"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def review():
    return open_review("RHM", "2025/26", SAMPLE, as_at="2026-03-31")


def test_a_file_lives_beside_the_data_by_year_trust_and_pack():
    path = commentary_path("/data", "2025/26", "RHM", "triggered-visit-brief-a-b.html")
    assert path.as_posix() == "/data/commentary/2025-26/RHM/triggered-visit-brief-a-b.md"


def test_front_matter_and_sections_are_read_with_their_lines(tmp_path):
    path = _write(
        tmp_path,
        """
        ---
        status: final
        version: 2
        approved_by: Head of Quality
        approved_on: 2025-10-20
        as_at: 2025-10-14
        ---
        ## Executive summary
        Good.

        ```
        ## not a section (in a code block)
        ```
        ## Trust update
        ### A sub-heading stays in its section
        """,
    )
    parsed = read_commentary(path)
    assert parsed.sign_off.status == "final" and parsed.sign_off.version == 2
    assert parsed.sign_off.approved_on == dt.date(2025, 10, 20)
    assert parsed.headings == ["Executive summary", "Trust update"]
    assert [s.line for s in parsed.sections] == [8, 14]
    assert "## not a section" in parsed.sections[0].body
    assert parsed.has_executive_summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\nstatus: issued\n---\n## Executive summary\nx\n", ":2: status: Input should be"),
        ("---\nstatus: draft\nsigned: me\n---\n", ":3: signed: unknown key; the keys are status"),
        ("---\nstatus: final\nversion: 1\n---\n", "a final pack needs approved_by, approved_on"),
        (
            "---\nstatus: final\napproved_by: HoQ\napproved_on: 2025-10-01\nas_at: 2025-10-14\n"
            "---\n",
            "approved_on 2025-10-01 is before as_at 2025-10-14",
        ),
        ("---\nstatus: [draft\n---\n", ":2: the front matter is not valid YAML"),
        ("Intro\n## Trust update\nx\n", ":1: text before the first '## Heading'"),
        ("# Pack\n## Trust update\n", ":1: '# Pack': sections are '## Heading'"),
        ("## Trust update\na\n## trust  update\nb\n", ":3: section 'trust  update' is given twice"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file_and_line(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(CommentaryError) as raised:
        read_commentary(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "annual-review-pack.md"
    path.write_bytes("## Trust update\nCaf\u00e9".encode("cp1252"))
    with pytest.raises(CommentaryError, match="not UTF-8 text"):
        read_commentary(path)


def test_the_pack_headings_are_the_notebooks_level_two_headings():
    headings = pack_headings(ANNUAL)
    assert "Trust update" in headings and "Summary of education quality" in headings
    assert "Annual education quality review pack" not in headings  # the title (#)


def test_an_unknown_heading_names_file_line_and_the_packs_sections(tmp_path):
    path = _write(tmp_path, "## Executive summary\nx\n\n## Trust updates\ny\n")
    with pytest.raises(CommentaryError) as raised:
        check_commentary(
            read_commentary(path), pack_headings(ANNUAL), [], pack="annual-review-pack"
        )
    message = str(raised.value)
    assert f"{path}:4: no section 'Trust updates' in annual-review-pack" in message
    assert "its sections: Executive summary, Agenda and attendees" in message


def test_an_unknown_figure_names_file_line_a_near_name_and_the_known_ones(tmp_path):
    path = _write(tmp_path, "## Executive summary\n\nWe have {{ open_risk.extreme }} risks.\n")
    names = value_names(load_region())
    with pytest.raises(CommentaryError) as raised:
        check_commentary(read_commentary(path), [], names, pack="annual-review-pack")
    message = str(raised.value)
    assert f"{path}:3: '{{{{ open_risk.extreme }}}}' is not a figure" in message
    assert "did you mean open_risks.extreme?" in message
    assert "funding.utilisation" in message


@pytest.mark.parametrize(
    "code",
    [
        "{{ open_risks.total | int }}",
        "{{ open_risks.total.__class__ }}",
        "{{ open_risks['total'] }}",
        "{{ lipsum() }}",
        "{% for x in open_risks %}{{ x }}{% endfor %}",
        "{% set x = 1 %}",
    ],
)
def test_only_figure_names_may_be_quoted_no_code(tmp_path, code):
    path = _write(tmp_path, f"## Executive summary\n{code}\n")
    names = value_names(load_region())
    with pytest.raises(CommentaryError) as raised:
        check_commentary(read_commentary(path), [], names, pack="annual-review-pack")
    assert f"{path}:2:" in str(raised.value)


def test_a_final_file_needs_an_executive_summary(tmp_path):
    path = _write(
        tmp_path,
        """
        ---
        status: final
        approved_by: Head of Quality
        approved_on: 2025-10-20
        as_at: 2025-10-14
        ---
        ## Trust update
        Fine.
        """,
    )
    with pytest.raises(CommentaryError, match="no '## Executive summary'"):
        check_commentary(read_commentary(path), ["Trust update"], [], pack="annual-review-pack")


def test_figures_are_formatted_as_the_tables_format_them(tmp_path, review):
    path = _write(
        tmp_path,
        "## Use of education funding\n"
        "{{ funding.utilisation }} of {{ funding.allocated }} spent; as at {{ as_at }}.\n",
    )
    [(_, html)] = render_sections(read_commentary(path), review.values)
    assert html == "<p>95.5% of £40,956,485 spent; as at 31 Mar 2026.</p>\n"


def test_raw_html_is_escaped_and_links_are_shown_as_typed(tmp_path):
    path = _write(
        tmp_path,
        "## Trust update\n<script>alert(1)</script> see [the GMC](https://www.gmc-uk.org) "
        "and ![logo](https://example.org/x.png) <https://example.org>\n",
    )
    [(_, html)] = render_sections(read_commentary(path), {})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "<a " not in html and "<img" not in html
    assert "[the GMC](https://www.gmc-uk.org)" in html


def test_a_figure_with_markdown_characters_stays_literal(tmp_path):
    path = _write(tmp_path, "## Trust update\nTrust: {{ trust.name }}.\n")
    [(_, html)] = render_sections(read_commentary(path), {"trust.name": "St *Mary*_s <NHS>"})
    assert html == "<p>Trust: St *Mary*_s &lt;NHS&gt;.</p>\n"


def test_the_sample_commentary_fits_its_packs_and_quotes_the_review(review):
    annual = read_commentary(f"{SAMPLE}/commentary/2025-26/RHM/annual-review-pack.md")
    check_commentary(
        annual, pack_headings(ANNUAL), value_names(review.region), pack="annual-review-pack"
    )
    shown = attach(review, annual.path)
    summary = dict(shown.sections)["Executive summary"]
    assert f"{review.values['open_risks.total']} open education and" in summary
    assert "{{" not in summary
    bundle = shown._repr_mimebundle_()
    assert bundle[commentary.MIMETYPE]["sign_off"]["status"] == "final"
    assert "Executive summary" in bundle["text/html"]
    # Plain text of its own: a memory address would make every executed notebook differ.
    assert bundle["text/plain"] == "<CommentaryOutput annual-review-pack.md: 4 section(s)>"
    assert bundle["text/plain"] == repr(shown)


# --------------------------------------------------------------------------- placing in a pack

HEADER = {
    "title": "Annual education quality review",
    "trust_code": "RHM",
    "trust_name": "University Hospital Southampton",
    "review_year": "2025/26",
    "as_at": "2026-03-31",
    "provenance": {"dataset": "sample"},
    "synthetic": False,
}
DRAFT = DocumentControl("Wessex quality team", "q@example.nhs.uk", "OFFICIAL-SENSITIVE")
FINAL = DocumentControl(
    "Wessex quality team",
    "q@example.nhs.uk",
    "OFFICIAL-SENSITIVE",
    status="final",
    version=1,
    approved_by="Head of Quality",
    approved_on=dt.date(2026, 4, 21),
)


def _pack(sections: list[tuple[str, str]] | None, document=DRAFT) -> str:
    cells = [new_markdown_cell("# Annual education quality review pack")]
    if sections is not None:
        payload = {
            "file": "annual-review-pack.md",
            "sha256": "0" * 64,
            "sign_off": {"status": document.status, "version": document.version},
            "sections": [{"heading": h, "html": body} for h, body in sections],
        }
        data = {commentary.MIMETYPE: payload, "text/html": "<p>ANALYST COPY</p>"}
        cells.append(new_code_cell("attach", outputs=[new_output("display_data", data=data)]))
    cells += [
        new_markdown_cell("## Trust update\n\nWhat the trust reports."),
        new_code_cell("t", outputs=[new_output("display_data", data={"text/html": "<p>T</p>"})]),
        new_markdown_cell("## Hotspots"),
    ]
    return packs.PackExporter().render(new_notebook(cells=cells), document=document, **HEADER)


def test_the_executive_summary_opens_the_pack_and_sections_follow_their_heading():
    page = _pack([("Executive summary", "<p>SUMMARY</p>"), ("trust  update", "<p>UPDATE</p>")])
    main = page[page.index('<main class="qv-main">') :]
    order = [main.index(s) for s in ("SUMMARY", "Trust update</h2>", "What the trust", "UPDATE")]
    assert order == sorted(order)
    assert main.index("UPDATE") < main.index("<p>T</p>")  # right under the heading's text
    assert '<a href="#s-executive-summary">Executive summary</a>' in page  # in the contents
    assert "ANALYST COPY" not in page
    assert "Quality team's commentary" in page


def test_a_section_whose_heading_is_not_in_the_pack_fails_the_pack():
    with pytest.raises(commentary.QvError, match="no heading 'Funding' in this pack"):
        _pack([("Funding", "<p>x</p>")])


def test_a_draft_without_commentary_says_so_plainly():
    page = _pack([])
    assert "Draft: the quality team has not yet written commentary for this pack" in page
    page = _pack([("Trust update", "<p>UPDATE</p>")])
    assert "Draft: the quality team has not yet written the executive summary" in page


def test_a_final_pack_has_its_summary_and_no_draft_note():
    page = _pack([("Executive summary", "<p>SUMMARY</p>")], document=FINAL)
    assert "SUMMARY" in page and "has not yet written" not in page
    with pytest.raises(commentary.QvError, match="a final pack needs an executive summary"):
        _pack([("Trust update", "<p>UPDATE</p>")], document=FINAL)


def test_a_notebook_without_commentary_output_is_left_as_it_is():
    page = _pack(None)
    assert "has not yet written" not in page and "qv-commentary" not in page.split("</style>")[1]
