"""Tables and headline findings as escaped, print-friendly HTML for notebooks and packs.

:func:`show_table` and :func:`show_findings` return small objects whose ``_repr_html_`` is
what a notebook shows and what the pack exporter copies into the pack unchanged, so every piece
of text that comes from data is escaped here: a ``<script>`` in a risk summary reads as text.
The HTML is deterministic (no random ids, no inline colours: styling is by CSS class, defined
by the pack template).  Suppressed values (rows whose boolean ``suppressed`` column is true)
show as the suppression marker with a footnote; other missing values show as an en dash.
A table shown with ``sortable=True`` is marked ``qv-sortable`` and gets a ``data-sort`` key on
cells whose text does not sort as it reads (numbers, dates, ordered categories, blanks); in a
pack, the template's small script turns each heading into a sort button (without the script,
in print or in JupyterLab, it is a plain table).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from qvlib import display
from qvlib.config import load_region_cached
from qvlib.errors import QvError

MISSING = display.MISSING
SEVERITIES = ("concern", "watch", "positive")
_SEVERITY_LABELS = {"concern": "Concern", "watch": "Watch", "positive": "Positive"}
#: Formats given to columns without one: years are labels, never quantities (2025, not 2,025).
_DEFAULT_FORMATS = {
    "year": "year",
    "survey_year": "year",
    "first_year": "year",
    "last_year": "year",
}


@dataclass(frozen=True)
class Html:
    """A fragment of ready, escaped HTML that notebooks display and packs embed as it is."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def _integral_column(series: pd.Series) -> bool:
    """True when a float column holds only whole numbers (ints that became floats via NaN)."""
    values = series.dropna()
    return pd.api.types.is_float_dtype(series) and bool(
        len(values) and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)
    )


def _check_formats(formats: Mapping[str, str]) -> dict[str, str]:
    unknown = {c: f for c, f in formats.items() if f not in display.FORMATS}
    if unknown:
        raise QvError(
            f"unknown format(s) {unknown}; give each column one of the named formats "
            f"{sorted(display.FORMATS)} (qvlib.display), so that figures read the same everywhere"
        )
    return dict(formats)


def _sort_key(value: Any, missing: bool) -> str | None:
    """The ``data-sort`` key of a cell of a sortable table, or None to sort by its text.

    Numbers (and dates, as ISO text) sort by value whatever their display format; an ordered
    categorical sorts by its position among the categories; a blank is ``""`` (always last).
    """
    if missing:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        return "" if math.isinf(number) else repr(number)
    return None


def _row_flags(df: pd.DataFrame, flags: str | Sequence[bool] | pd.Series | None, what: str):
    if flags is None:
        return [False] * len(df)
    if isinstance(flags, str):
        if flags not in df.columns:
            raise QvError(
                f"{what} column {flags!r} is not in the table; columns: "
                f"{', '.join(map(str, df.columns))}"
            )
        flags = df[flags]
    values = list(flags)
    if len(values) != len(df):
        raise QvError(f"{what} has {len(values)} values but the table has {len(df)} rows")
    return [bool(v) and not display.is_missing(v) for v in values]


def show_table(
    df: pd.DataFrame,
    *,
    caption: str,
    columns: Mapping[str, str] | None = None,
    suppressed_marker: str | None = None,
    formats: Mapping[str, str] | None = None,
    highlight: str | Sequence[bool] | pd.Series | None = None,
    highlight_note: str | None = None,
    note: str | None = None,
    empty_text: str = "None recorded.",
    sortable: bool = False,
) -> Html:
    """A readable table: escaped text, formatted numbers and dates, suppression shown.

    Parameters
    ----------
    df
        The rows to show, in order.  A boolean ``suppressed`` column marks rows whose missing
        values were suppressed (small numbers); it is not shown itself.
    caption
        Table caption (what the table shows).
    columns
        Columns to show, in order, mapped to their headings (``{"opened": "Opened"}``); all
        columns under their own names by default.
    suppressed_marker
        Shown in place of a missing value in a suppressed row, with a footnote; by default
        ``suppression.marker`` in ``parameters/region.yaml``.
    formats
        Per-column named formats of :data:`qvlib.display.FORMATS`, e.g. ``{"spent": "money",
        "utilisation_pct": "pct"}``.  Otherwise whole numbers get thousands separators, other
        numbers one decimal place, dates ``14 Oct 2025``, years stay labels and booleans read
        Yes/No.  Codes in known columns (visit types, professions, settings, ...) read as words
        (:func:`qvlib.display.labelled`).
    highlight
        Rows to highlight (class ``qv-highlight``): a boolean column name or one flag a row,
        e.g. open immediate mandatory requirements or overdue actions.
    highlight_note
        Footnote saying what a highlighted row means.
    note
        Any other footnote (source, definitions).
    empty_text
        Shown in the body when there are no rows.
    sortable
        Let the reader sort the table in a pack: the pack's script makes each heading a button
        that sorts by that column, ascending then descending (numbers by value, blanks last).
        Ordered categorical columns (e.g. CQC ratings) sort in category order.

    Returns
    -------
    Html
        Displayable HTML (``_repr_html_``).

    Examples
    --------
    >>> df = pd.DataFrame({"programme": ["Surgery <core>", "Medicine"],
    ...                    "spent": [1234567.0, None], "suppressed": [False, True]})
    >>> html = str(show_table(df, caption="Spend", formats={"spent": "money"},
    ...                       suppressed_marker="*"))
    >>> "Surgery &lt;core&gt;" in html, "£1,234,567" in html
    (True, True)
    >>> '<td class="num">*</td>' in html, "* Suppressed: too few respondents" in html
    (True, True)
    """
    shown = (
        dict(columns)
        if columns is not None
        else {str(c): str(c) for c in df.columns if c != "suppressed"}
    )
    missing = [c for c in shown if c not in df.columns]
    if missing:
        raise QvError(
            f"table {caption!r}: columns {', '.join(missing)} are not in the data; "
            f"it has {', '.join(map(str, df.columns))}"
        )
    if suppressed_marker is None:
        suppressed_marker = load_region_cached().suppression.marker
    formats = {c: f for c, f in _DEFAULT_FORMATS.items() if c in df.columns} | _check_formats(
        formats or {}
    )
    df = display.labelled(df, [c for c in shown if c in display.COLUMN_VOCABULARY])
    suppressed = _row_flags(df, "suppressed" if "suppressed" in df.columns else None, "suppressed")
    highlighted = _row_flags(df, highlight, "highlight")
    numeric = {
        c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        for c in shown
    }
    whole = {c: _integral_column(df[c]) for c in shown}
    ordered = {
        c: list(df[c].cat.categories)
        for c in shown
        if isinstance(df[c].dtype, pd.CategoricalDtype) and df[c].cat.ordered
    }

    num_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_class if numeric[c] else ""}>{escape(label)}</th>'
        for c, label in shown.items()
    )
    body: list[str] = []
    used_marker = False
    for row, is_suppressed, is_highlighted in zip(
        df.itertuples(index=False, name=None), suppressed, highlighted, strict=True
    ):
        record = dict(zip(df.columns, row, strict=True))
        cells = []
        for c in shown:
            value = record[c]
            missing = display.is_missing(value)
            if missing:
                if is_suppressed:
                    text, used_marker = suppressed_marker, True
                else:
                    text = MISSING
            else:
                kind = formats.get(c)
                text = display.fmt(value, kind) if kind else display.fmt_auto(value, whole[c])
            attrs = num_class if numeric[c] else ""
            if sortable:
                rank = c in ordered and not missing
                key = _sort_key(ordered[c].index(value) if rank else value, missing)
                if key is not None:
                    attrs += f' data-sort="{escape(key)}"'
            cells.append(f"<td{attrs}>{escape(text)}</td>")
        row_cls = ' class="qv-highlight"' if is_highlighted else ""
        body.append(f"<tr{row_cls}>{''.join(cells)}</tr>")
    if not body:
        body.append(
            f'<tr><td class="qv-empty" colspan="{max(len(shown), 1)}">'
            f"{escape(empty_text)}</td></tr>"
        )

    notes = []
    if used_marker:
        notes.append(
            f"{escape(suppressed_marker)} Suppressed: too few respondents to report "
            "without identifying people."
        )
    if highlight_note and any(highlighted):
        notes.append(f'<span class="qv-highlight-key"></span> {escape(highlight_note)}')
    if note:
        notes.append(escape(note))
    foot = "".join(f'<p class="qv-table-note">{n}</p>' for n in notes)
    if sortable:
        # Shown by the pack's sort script: without it the headings are not buttons.
        foot += (
            '<p class="qv-table-note qv-sort-hint" hidden>'
            "Select a column heading to sort by it; select it again to reverse the order.</p>"
        )
    table_cls = ' class="qv-sortable"' if sortable else ""
    return Html(
        '<div class="qv-table">'
        f"<table{table_cls}><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def _get(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def show_findings(findings: Iterable[Any], *, title: str | None = None) -> Html:
    """Headline findings as a styled list, each labelled with its severity.

    Parameters
    ----------
    findings
        Objects or mappings with ``severity`` (``concern``, ``watch`` or ``positive``) and
        ``text``; shown in the order given.
    title
        Optional heading above the list.

    Returns
    -------
    Html
        Displayable HTML; the text is escaped.

    Examples
    --------
    >>> html = str(show_findings([{"severity": "concern", "text": "Rota gaps > 10%"}]))
    >>> 'class="qv-finding qv-finding-concern"' in html, "Rota gaps &gt; 10%" in html
    (True, True)
    """
    items = []
    for item in findings:
        severity, text = _get(item, "severity"), _get(item, "text")
        if severity not in SEVERITIES:
            raise QvError(
                f"finding severity must be one of {', '.join(SEVERITIES)}, "
                f"not {severity!r} (finding: {text!r})"
            )
        items.append(
            f'<li class="qv-finding qv-finding-{severity}">'
            f'<span class="qv-finding-label">{_SEVERITY_LABELS[severity]}</span> '
            f'<span class="qv-finding-text">{escape(str(text))}</span></li>'
        )
    if not items:
        items.append('<li class="qv-finding qv-finding-none">No headline findings.</li>')
    heading = f'<p class="qv-findings-title">{escape(title)}</p>' if title else ""
    return Html(f'<div class="qv-findings">{heading}<ul>{"".join(items)}</ul></div>')


def show_changes(changes: pd.DataFrame, *, caption: str) -> Html:
    """Year-on-year changes, each row in its own unit (:attr:`TrustReview.changes`).

    Parameters
    ----------
    changes
        ``measure, kind, previous, current, change``: ``kind`` is the row's named format;
        ``change`` was worked out from the rounded figures, so each row adds up as shown.
    caption
        Table caption.


    Examples
    --------
    >>> changes = pd.DataFrame({"measure": ["Funding used"], "kind": ["pct"],
    ...                         "previous": [91.24], "current": [94.06], "change": [2.8]})
    >>> html = str(show_changes(changes, caption="Since last year"))
    >>> "91.2%" in html, "94.1%" in html, "+2.9 pts" in html
    (True, True, True)
    """
    kinds = changes["kind"]
    previous, current = changes["previous"], changes["current"]
    rows = pd.DataFrame(
        {
            "measure": changes["measure"],
            "previous": [display.fmt(v, k) for v, k in zip(previous, kinds, strict=True)],
            "current": [display.fmt(v, k) for v, k in zip(current, kinds, strict=True)],
            "change": [
                display.fmt_change(p, c, k)
                for p, c, k in zip(previous, current, kinds, strict=True)
            ],
        }
    )
    return show_table(
        rows,
        caption=caption,
        columns={
            "measure": "Measure",
            "previous": "Last year",
            "current": "This year",
            "change": "Change",
        },
        note="Changes are worked out from the rounded figures shown; percentages change in "
        "points (pts).",
    )


def _fmt_figure(value: Any, kind: str) -> str:
    """A figure in its row's format; a median of counts that is not whole keeps its half."""
    if kind == "count" and not display.is_missing(value) and float(value) % 1:
        return display.fmt_number(value, 1)
    return display.fmt(value, kind)


def show_comparison(comparison: pd.DataFrame, *, caption: str, note: str | None = None) -> Html:
    """A trust's figures against the region's (and England's), each row in its own format.

    Parameters
    ----------
    comparison
        Rows of :attr:`qvlib.reviews.TrustReview.region_comparison`: ``measure, period, kind,
        value, region_median, region_min, region_max, region_trusts``, optional ``england``
        and ``suppressed`` (this trust's figure is shown as the suppression marker).
    caption
        Table caption.
    note
        A footnote (e.g. what "England" is for these figures).

    Examples
    --------
    >>> rows = pd.DataFrame({"measure": ["FFT % positive: A&E"], "period": ["Jan 2026"],
    ...                      "kind": ["pct"], "value": [76.12], "region_median": [80.26],
    ...                      "region_min": [76.12], "region_max": [82.35], "region_trusts": [7]})
    >>> html = str(show_comparison(rows, caption="Against the region"))
    >>> "76.1%" in html, "80.3%" in html, "A&amp;E" in html
    (True, True, True)
    """
    kinds = comparison["kind"]
    england = comparison["england"] if "england" in comparison.columns else None
    rows = pd.DataFrame(
        {
            "measure": comparison["measure"],
            "period": comparison["period"],
            "value": [_fmt_figure(v, k) for v, k in zip(comparison["value"], kinds, strict=True)],
            "median": [
                _fmt_figure(v, k) for v, k in zip(comparison["region_median"], kinds, strict=True)
            ],
            "range": [
                MISSING
                if display.is_missing(lo) or display.is_missing(hi)
                else f"{_fmt_figure(lo, k)} to {_fmt_figure(hi, k)}"
                for lo, hi, k in zip(
                    comparison["region_min"], comparison["region_max"], kinds, strict=True
                )
            ],
            "trusts": comparison["region_trusts"],
        }
    )
    if "suppressed" in comparison.columns:
        suppressed = comparison["suppressed"].fillna(False).astype(bool).to_numpy()
        rows.loc[suppressed, "value"] = None
        rows["suppressed"] = suppressed
    columns = {
        "measure": "Measure",
        "period": "Period",
        "value": "This trust",
        "median": "Region median",
        "range": "Region range",
        "trusts": "Trusts",
    }
    if england is not None and england.notna().any():
        rows["england"] = [_fmt_figure(v, k) for v, k in zip(england, kinds, strict=True)]
        columns["england"] = "England"
    return show_table(
        rows,
        caption=caption,
        columns=columns,
        formats={"trusts": "count"},
        note=note,
        empty_text="No figures to compare.",
    )


def show_list(items: Iterable[str], *, empty_text: str = "Nothing to report.") -> Html:
    """Sentences as a plain bulleted list (escaped); ``empty_text`` when there are none.

    >>> str(show_list(["Visits <2025>"]))
    '<ul class="qv-list"><li>Visits &lt;2025&gt;</li></ul>'
    """
    rows = "".join(f"<li>{escape(str(item))}</li>" for item in items)
    if not rows:
        return show_note(empty_text)
    return Html(f'<ul class="qv-list">{rows}</ul>')


def show_note(text: str) -> Html:
    """A sentence in place of a table or chart that has nothing to show.

    Examples
    --------
    >>> str(show_note("No visits in 2025/26 & none planned."))
    '<p class="qv-note">No visits in 2025/26 &amp; none planned.</p>'
    """
    return Html(f'<p class="qv-note">{escape(text)}</p>')


def show_notes(notes: Iterable[str], *, title: str = "About the dates in this pack") -> Html:
    """Notes about what a pack could and could not know (as-at date, partial data).

    Examples
    --------
    >>> str(show_notes([]))
    ''
    >>> "<li>FFT to August 2025.</li>" in str(show_notes(["FFT to August 2025."]))
    True
    """
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    if not items:
        return Html("")
    return Html(
        f'<div class="qv-notes" role="note"><p class="qv-notes-title">{escape(title)}</p>'
        f"<ul>{items}</ul></div>"
    )
