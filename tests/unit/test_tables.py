"""Tables and findings: escaped, formatted, suppression shown, deterministic HTML."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qvlib.errors import QvError
from qvlib.tables import show_findings, show_table


def _cells(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]


def test_script_in_a_cell_is_shown_as_text():
    df = pd.DataFrame({"summary": ["<script>alert(1)</script> undermining"]})
    page = show_table(df, caption="Risks <b>")._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; undermining" in page
    assert "<caption>Risks &lt;b&gt;</caption>" in page


def test_suppressed_rows_show_the_marker_and_a_footnote_other_gaps_a_dash():
    df = pd.DataFrame(
        {
            "indicator": ["A", "B", "C"],
            "score": [70.0, np.nan, np.nan],
            "suppressed": [False, True, False],
        }
    )
    page = show_table(df, caption="NTS")._repr_html_()
    assert _cells(page) == ["A", "70", "B", "*", "C", "–"]
    assert "Suppressed" in page
    assert "suppressed" not in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page)


def test_no_suppression_footnote_without_suppressed_values():
    df = pd.DataFrame({"score": [np.nan], "suppressed": [False]})
    page = show_table(df, caption="x", suppressed_marker="†")._repr_html_()
    assert "†" not in page and "Suppressed" not in page


def test_formats_dates_numbers_and_booleans():
    df = pd.DataFrame(
        {
            "opened": pd.to_datetime(["2025-01-05", "2024-11-20"]),
            "learners": [1234, 56],
            "score": [16.0, np.nan],  # whole numbers that became floats through a gap
            "rate": [0.25, 12.345],
            "escalated": [True, False],
            "spent": [1500000.0, 2.5],
        }
    )
    page = show_table(df, caption="x", formats={"spent": "money"})._repr_html_()
    assert _cells(page) == [
        "5 Jan 2025",
        "1,234",
        "16",
        "0.2",
        "Yes",
        "£1,500,000",
        "20 Nov 2024",
        "56",
        "–",
        "12.3",
        "No",
        "£2",
    ]
    assert '<td class="num">1,234</td>' in page


def test_columns_select_order_and_rename():
    df = pd.DataFrame({"a": [1], "b": ["x"], "c": [3]})
    page = show_table(df, caption="x", columns={"b": "Bee", "a": "Ay"})._repr_html_()
    assert re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page) == ["Bee", "Ay"]
    assert _cells(page) == ["x", "1"]
    with pytest.raises(QvError, match="zz"):
        show_table(df, caption="x", columns={"zz": "Z"})


def test_highlighted_rows_get_a_css_class_not_an_inline_colour():
    df = pd.DataFrame({"ref": ["A1", "A2"], "imr": [False, True]})
    page = show_table(
        df,
        caption="Actions",
        columns={"ref": "Ref"},
        highlight="imr",
        highlight_note="Immediate mandatory requirement",
    )._repr_html_()
    rows = re.findall(r"<tr([^>]*)><td", page)
    assert rows == ["", ' class="qv-highlight"']
    assert "style=" not in page
    assert "Immediate mandatory requirement" in page
    with pytest.raises(QvError, match="2 rows"):
        show_table(df, caption="x", highlight=[True])


def test_html_is_deterministic_and_has_no_ids():
    df = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    first = show_table(df, caption="x")._repr_html_()
    assert first == show_table(df.copy(), caption="x")._repr_html_()
    assert " id=" not in first


def test_empty_table_says_so():
    page = show_table(pd.DataFrame({"a": []}), caption="x", empty_text="No open risks.")
    assert "No open risks." in str(page)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_round_trips_through_escaping(text):
    page = show_table(pd.DataFrame({"t": [text]}), caption="c")._repr_html_()
    assert _cells(page) == [text]
    assert "<" not in re.search(r"<td>(.*?)</td>", page, re.S).group(1)


def test_findings_are_labelled_by_severity_and_escaped():
    page = show_findings(
        [
            {"severity": "concern", "text": "Red <b>handover</b>"},
            type("F", (), {"severity": "positive", "text": "Green supervision"})(),
        ]
    )._repr_html_()
    assert page.index("qv-finding-concern") < page.index("qv-finding-positive")
    assert "Red &lt;b&gt;handover&lt;/b&gt;" in page
    assert ">Concern<" in page and ">Positive<" in page


def test_findings_reject_unknown_severity():
    with pytest.raises(QvError, match="one of concern, watch, positive, not 'bad'"):
        show_findings([{"severity": "bad", "text": "x"}])


def _sortable(df: pd.DataFrame, **kwargs) -> str:
    return show_table(df, caption="Trusts", sortable=True, **kwargs).html


def test_sortable_table_is_marked_and_keys_cells_that_do_not_sort_as_they_read():
    df = pd.DataFrame(
        {
            "trust": ["RHM", "RN5"],
            "spent": [1_234_567.0, 99.5],
            "opened": pd.to_datetime(["2025-04-09", "2024-12-25"]),
            "rating": pd.Categorical(
                ["inadequate", "good"],
                categories=["outstanding", "good", "inadequate"],
                ordered=True,
            ),
            "gap": [np.nan, -0.25],
        }
    )
    page = _sortable(df, formats={"spent": "money"})
    assert '<table class="qv-sortable">' in page
    # £1,234,567 must sort above £100 by value, dates by date, ratings by rank, blanks last.
    assert '<td class="num" data-sort="1234567.0">£1,234,567</td>' in page
    assert '<td data-sort="2025-04-09T00:00:00">9 Apr 2025</td>' in page
    assert '<td data-sort="2">Inadequate</td>' in page and '<td data-sort="1">Good</td>' in page
    assert '<td class="num" data-sort="">–</td>' in page
    # Plain text sorts as it reads: no key.
    assert "<td>RHM</td>" in page
    # The hint is hidden until the pack's script has made the headings buttons.
    assert '<p class="qv-table-note qv-sort-hint" hidden>' in page


def test_sortable_table_stays_escaped_and_deterministic():
    df = pd.DataFrame({"summary": ['<script>alert("x")</script>'], "n": [3]})
    page = _sortable(df, columns={"summary": "Concern <b>", "n": "N"})
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page == _sortable(df, columns={"summary": "Concern <b>", "n": "N"})


def test_tables_are_not_sortable_unless_asked():
    df = pd.DataFrame({"n": [1, 2]})
    page = show_table(df, caption="Counts").html
    assert "qv-sortable" not in page and "data-sort" not in page and "qv-sort-hint" not in page


def test_comparison_formats_each_row_in_its_own_unit_and_marks_suppression():
    from qvlib.tables import show_comparison

    rows = pd.DataFrame(
        {
            "measure": ["NTS red outcomes", "FFT % positive: A&E", "Staff survey: Morale", "CQC"],
            "period": ["NTS 2025", "Aug 2025", "Staff survey 2024", "as published"],
            "kind": ["count", "pct", "score10", "rating"],
            "value": [14, None, 6.1, "good"],
            "region_median": [0.5, 78.76, 6.01, "good"],
            "region_min": [0, 74.48, 5.4, "inadequate"],
            "region_max": [14, 83.54, 6.5, "outstanding"],
            "region_trusts": [10, 7, 11, 11],
            "england": [None, None, 5.95, None],
            "suppressed": [False, True, False, False],
        }
    )
    html = str(show_comparison(rows, caption="Against the region"))
    assert "<td>14</td><td>0.5</td><td>0 to 14</td>" in html  # a half stays a half
    assert "<td>78.8%</td><td>74.5% to 83.5%</td>" in html
    assert "<td>6.10</td><td>6.01</td><td>5.40 to 6.50</td>" in html
    assert "<td>5.95</td>" in html and ">England<" in html
    assert "<td>Good</td><td>Good</td><td>Inadequate to Outstanding</td>" in html
    assert "Suppressed" in html  # the FFT figure is shown as the marker, with a footnote
    without = str(show_comparison(rows.drop(columns="england"), caption="x"))
    assert ">England<" not in without


def test_a_list_is_escaped_and_says_so_when_empty():
    from qvlib.tables import show_list

    assert "<li>&lt;b&gt; 1 visit</li>" in str(show_list(["<b> 1 visit"]))
    assert "Nothing here." in str(show_list([], empty_text="Nothing here."))
