"""Charts: aggregated frames in, :class:`altair.Chart` specs out, in one NHS house style.

Every chart function takes the frame a :mod:`qvlib.metrics` function returns (the column names in
each docstring are the contract) and returns a chart spec; nothing here computes a metric or
writes a file.  Colours come from one data file, ``qvlib/data/nhs_colours.json``: the NHS
identity palette through one registered altair theme (``"nhs"``), and the semantic colours
(Making Data Count SPC point types, GMC NTS outcomes, CQC ratings, risk bands) through the
:func:`colours` accessor, so no chart carries its own colour list.

Importing this module enables the theme and the ``"qv"`` renderer (:func:`enable_pack_rendering`):
a displayed chart becomes a Vega-Lite JSON output that JupyterLab draws natively and that
:class:`qvlib.packs.PackExporter` turns into an offline, interactive chart in a pack, plus the
same chart as a static SVG (:mod:`qvlib.static_charts`) for readers without JavaScript and print.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from qvlib import display
from qvlib.schemas import CQC_KEY_QUESTIONS, CQC_RATINGS, NTS_OUTCOMES
from qvlib.static_charts import static_svg
from qvlib.tables import Html, show_note

COLOURS_FILE = Path(__file__).parent / "data" / "nhs_colours.json"
THEME_NAME = "nhs"
RENDERER_NAME = "qv"
#: JupyterLab 4 draws Vega-Lite outputs of this type (it knows v3-v5, not altair 6's
#: ``application/vnd.vegalite.v6.json``); the specs altair 6 writes render there unchanged.
VEGALITE_MIMETYPE = "application/vnd.vegalite.v5+json"
#: Plot width in pixels: with axis labels the chart fits A4 portrait (about 640 px).
CHART_WIDTH = 520
CHART_HEIGHT = 240
FONT = "Arial, 'Helvetica Neue', Helvetica, sans-serif"

SPC_POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral",
)
_SPC_LABELS = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral": "Special cause: neutral",
}


@cache
def _palette() -> dict[str, Any]:
    return json.loads(COLOURS_FILE.read_text(encoding="utf-8"))


def colours(group: str) -> dict[str, str]:
    """Colours of one group of ``nhs_colours.json``.

    Parameters
    ----------
    group
        ``"nhs"`` (identity palette by name), ``"spc"``, ``"nts_outcome"``, ``"cqc_rating"``,
        ``"risk_band"`` or ``"finding"``.

    Returns
    -------
    dict
        Value (or colour name) to hex colour; keys starting with ``_`` (notes) are left out.
    """
    data = _palette()
    if group not in data or not isinstance(data[group], dict):
        groups = sorted(k for k, v in data.items() if isinstance(v, dict))
        raise KeyError(f"colour group must be one of {', '.join(groups)}, not {group!r}")
    return {k: v for k, v in data[group].items() if not k.startswith("_")}


def _nhs(name: str) -> str:
    return colours("nhs")[name]


def nhs_theme() -> alt.theme.ThemeConfig:
    """The house style: NHS identity colours, system fonts, sizes that print well on A4."""
    palette = _palette()
    grey, dark_grey, pale_grey = _nhs("Mid Grey"), _nhs("Dark Grey"), _nhs("Pale Grey")
    return {
        "config": {
            "font": FONT,
            "background": "#FFFFFF",
            "padding": 8,
            "view": {
                "continuousWidth": CHART_WIDTH,
                "continuousHeight": CHART_HEIGHT,
                "stroke": None,
            },
            "range": {
                "category": palette["category"],
                "ordinal": palette["sequential"],
                "ramp": palette["sequential"],
                "heatmap": palette["sequential"],
            },
            "mark": {"color": _nhs("NHS Blue")},
            "line": {"strokeWidth": 2},
            "point": {"filled": True, "size": 40},
            "bar": {"color": _nhs("NHS Blue")},
            "axis": {
                "labelColor": dark_grey,
                "labelFontSize": 11,
                "titleColor": _nhs("Black"),
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": pale_grey,
                "domainColor": grey,
                "tickColor": grey,
            },
            "legend": {
                "orient": "bottom",
                "direction": "horizontal",
                "labelColor": dark_grey,
                "labelFontSize": 11,
                "titleFontSize": 11,
                "titleColor": _nhs("Black"),
                "columns": 4,
            },
            "header": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": _nhs("Black")},
            "title": {
                "anchor": "start",
                "fontSize": 15,
                "fontWeight": "bold",
                "color": _nhs("Dark Blue"),
                "subtitleColor": dark_grey,
                "subtitleFontSize": 12,
                "offset": 10,
            },
        }
    }


def _chart_text(spec: dict) -> str:
    title = spec.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(title)
    return f"Chart: {title}" if title else "Chart"


def pack_renderer(spec: dict, **metadata: Any) -> dict[str, Any]:
    """Altair renderer: the Vega-Lite spec as JSON, its static SVG and a one-line text fallback.

    No HTML and no script: JupyterLab draws the JSON itself (it prefers it to the SVG), the
    pack exporter embeds it offline and shows the SVG until the live chart is drawn, and
    without JavaScript (print, a locked-down viewer, plain nbconvert) the SVG is the chart.
    The SVG is drawn here, in the kernel, by :func:`qvlib.static_charts.static_svg` (cached).
    ``$schema`` is dropped because it is a URL and the version is implied by the bundled
    Vega-Lite.

    >>> bundle = pack_renderer({"mark": "bar", "title": "Open risks",
    ...                         "data": {"values": [{"n": 3}]},
    ...                         "encoding": {"x": {"field": "n", "type": "quantitative"}}})
    >>> sorted(bundle), bundle["text/plain"]
    (['application/vnd.vegalite.v5+json', 'image/svg+xml', 'text/plain'], 'Chart: Open risks')
    """
    body = {k: v for k, v in spec.items() if k != "$schema"}
    return {
        VEGALITE_MIMETYPE: body,
        "image/svg+xml": static_svg(body),
        "text/plain": _chart_text(body),
    }


def enable_pack_rendering() -> None:
    """Enable the NHS theme and the ``"qv"`` renderer (done on import; safe to call again)."""
    alt.theme.enable(THEME_NAME)
    alt.renderers.enable(RENDERER_NAME)


alt.theme.register(THEME_NAME, enable=False)(nhs_theme)
alt.renderers.register(RENDERER_NAME, pack_renderer)
enable_pack_rendering()


def _scale(
    group: str,
    present: Sequence[str] | None = None,
    order: Sequence[str] = (),
    vocabulary: str | None = None,
) -> alt.Scale:
    """A colour scale mapping the values of one semantic group to the colours in the data file.

    ``order`` lists the values (codes) in legend order; with ``present`` only those values
    appear.  With a ``vocabulary`` the domain holds the values' display labels, as the data does
    after :func:`qvlib.display.labelled`.
    """
    mapping = colours(group)
    domain = [v for v in (order or mapping) if v in mapping]
    if present is not None:
        wanted = set(present)
        domain = [v for v in domain if v in wanted] or domain
    shown = display.labels_for(vocabulary, domain) if vocabulary else domain
    return alt.Scale(domain=shown, range=[mapping[v] for v in domain])


def _x_type(series: pd.Series) -> Literal["temporal", "quantitative", "ordinal"]:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "temporal"
    if pd.api.types.is_numeric_dtype(series):
        return "quantitative"
    return "ordinal"


def _require(df: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(
            f"{chart} needs columns {', '.join(columns)}; missing {', '.join(missing)} "
            f"(got {', '.join(map(str, df.columns))})"
        )


def _title(text: str, subtitle: str | Sequence[str] | None = None) -> alt.Title:
    return alt.Title(text, subtitle=subtitle) if subtitle else alt.Title(text)


def _no_data(title: str, what: str) -> Html:
    """What a chart with nothing to draw shows instead: a sentence, not an empty frame."""
    return show_note(f"{title}: {what}")


def _count_axis(values: pd.Series, title: str) -> alt.Axis:
    """An axis for counts: whole-number ticks only, however small the counts."""
    top = int(values.max()) if len(values) and pd.notna(values.max()) else 0
    if top <= 10:
        return alt.Axis(title=title, values=list(range(0, max(top, 1) + 1)), format="d")
    return alt.Axis(title=title, tickMinStep=1, format=",d")


#: Longest axis label drawn in full (pixels); longer ones wrap rather than being cut.
LABEL_LIMIT = 360


def chart_spc(
    spc: pd.DataFrame,
    title: str,
    y_title: str,
    *,
    x_title: str | None = None,
) -> alt.LayerChart | Html:
    """Making Data Count XmR chart: values, mean, process limits, target, coloured points.

    Parameters
    ----------
    spc
        One row per point: ``x`` (date, period or number), ``y``, ``mean``, ``lpl``, ``upl``,
        ``point_type`` (``common_cause``, ``special_cause_improvement``,
        ``special_cause_concern``, ``special_cause_neutral``), ``trial_limits`` (bool); optional
        ``target`` and ``segment`` (lines break between segments after a rebase).
    title, y_title
        Chart title and y-axis title.
    x_title
        X-axis title; none by default (dates speak for themselves).

    Returns
    -------
    alt.LayerChart or Html
        Grey value line, black mean, dashed grey limits, dashed red target when present and
        points in the MDC colours; the subtitle says when the limits are trial limits.  With no
        points, a sentence saying so.
    """
    _require(spc, ["x", "y", "mean", "lpl", "upl", "point_type", "trial_limits"], "chart_spc")
    if spc["y"].notna().sum() == 0:
        return _no_data(title, "no months to chart.")
    spc_colours = colours("spc")
    x_type = _x_type(spc["x"])
    x_axis = alt.Axis(format="%b %Y", labelAngle=0) if x_type == "temporal" else alt.Axis()
    x = alt.X("x", type=x_type, title=x_title, axis=x_axis)
    detail = [alt.Detail("segment:N")] if "segment" in spc.columns else []
    base = alt.Chart().encode(x, *detail)
    y_scale = alt.Scale(zero=False)

    def limit_line(field: str, colour: str, dash: list[int] | None, width: float) -> alt.Chart:
        mark = {"color": colour, "strokeWidth": width, "interpolate": "step-after"}
        if dash:
            mark["strokeDash"] = dash
        return base.mark_line(**mark).encode(y=alt.Y(f"{field}:Q", scale=y_scale))

    layers = [
        base.mark_line(color=spc_colours["value_line"], strokeWidth=1.5).encode(
            y=alt.Y("y:Q", title=y_title, scale=y_scale)
        ),
        limit_line("mean", spc_colours["mean_line"], None, 1.2),
        limit_line("upl", spc_colours["process_limit"], [5, 4], 1.2),
        limit_line("lpl", spc_colours["process_limit"], [5, 4], 1.2),
    ]
    has_target = "target" in spc.columns and spc["target"].notna().any()
    if has_target:
        layers.append(limit_line("target", spc_colours["target"], [10, 4], 1.5))
    label_expr = " : ".join(
        f"datum.label == '{key}' ? '{label}'" for key, label in _SPC_LABELS.items()
    )
    tooltip = [
        alt.Tooltip("x", type=_x_type(spc["x"]), title="Period", format="%b %Y")
        if x_type == "temporal"
        else alt.Tooltip("x", type=x_type, title="Period"),
        alt.Tooltip("y:Q", title=y_title, format=",.1f"),
        alt.Tooltip("mean:Q", title="Mean", format=",.1f"),
        alt.Tooltip("point_type:N", title="Variation"),
    ]
    layers.append(
        base.mark_point(filled=True, size=55, opacity=1).encode(
            y=alt.Y("y:Q", scale=y_scale),
            color=alt.Color(
                "point_type:N",
                scale=_scale("spc", spc["point_type"].unique(), SPC_POINT_TYPES),
                legend=alt.Legend(title=None, labelExpr=f"{label_expr} : datum.label"),
            ),
            tooltip=tooltip,
        )
    )
    trial = bool(spc["trial_limits"].any())
    subtitle = "Trial limits: fewer than 13 points, so limits may move" if trial else None
    lines = "Grey line: values; black: mean; dashed grey: process limits"
    if has_target:
        lines += "; dashed red: target"
    return alt.layer(*layers, data=spc).properties(
        title=_title(title, subtitle),
        description=f"Statistical process control chart of {y_title}. {lines}.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


#: A Vega label expression putting the last " · " part of a label on a second line.
_TWO_LINES = (
    "lastindexof(datum.label, ' · ') > 0 ? [slice(datum.label, 0, lastindexof(datum.label, "
    "' · ')), slice(datum.label, lastindexof(datum.label, ' · ') + 3)] : datum.label"
)


def _environment_labels(outcomes: pd.DataFrame) -> pd.Series:
    """A row label for each result's clinical learning environment: specialty first (so a
    reader finds a specialty), then programme group and site, leaving out what every row
    shares."""
    parts = [c for c in ("specialty", "programme_group", "site") if c in outcomes.columns]
    varying = [c for c in parts if outcomes[c].nunique(dropna=False) > 1] or parts[:1]
    return outcomes[varying].astype(str).agg(" · ".join, axis=1)


def chart_nts_heatmap(
    outcomes: pd.DataFrame, *, title: str | None = None
) -> alt.FacetChart | alt.Chart | Html:
    """GMC NTS outcomes: one row per clinical learning environment, one column per indicator.

    Results are per site x programme group x specialty, so each of those is its own row
    (specialty first, sorted, so that a reader finds a specialty); a column of the frame that
    every row shares is left out of the labels.  Several years give one grid per year.

    Parameters
    ----------
    outcomes
        ``indicator``, ``year``, ``outcome_final`` (red, pink, white, light green, green, not
        reported, no result) and any of ``specialty``, ``programme_group``, ``site``; optional
        ``score`` and ``n`` are shown in the tooltip (blank when suppressed).
    title
        Chart title; "National Training Survey outcomes" by default.
    """
    _require(outcomes, ["indicator", "year", "outcome_final"], "chart_nts_heatmap")
    title = title or "National Training Survey outcomes"
    if outcomes.empty:
        return _no_data(title, "no NTS results published for this by the as-at date.")
    frame = outcomes.assign(environment=_environment_labels(outcomes))
    two_lines = frame["environment"].str.contains(" · ").any()
    frame = display.labelled(frame, ["outcome_final"])
    order = sorted(frame["environment"].unique(), key=str.casefold)
    tooltip = [
        alt.Tooltip("environment:N", title="Where"),
        alt.Tooltip("indicator:N", title="Indicator"),
        alt.Tooltip("year:N", title="Year"),
        alt.Tooltip("outcome_final:N", title="Outcome"),
    ]
    if "score" in frame.columns:
        tooltip.append(alt.Tooltip("score:Q", title="Score", format=".1f"))
    if "n" in frame.columns:
        tooltip.append(alt.Tooltip("n:Q", title="Respondents (n)", format="d"))
    heatmap = (
        alt.Chart(frame)
        .mark_rect(stroke=_nhs("Mid Grey"), strokeWidth=0.5)
        .encode(
            x=alt.X(
                "indicator:N",
                title=None,
                sort=None,
                axis=alt.Axis(labelAngle=-45, labelLimit=LABEL_LIMIT),
            ),
            y=alt.Y(
                "environment:N",
                title=None,
                sort=order,
                # Two lines: specialty and programme, then the site, so that no label is cut.
                axis=alt.Axis(labelLimit=LABEL_LIMIT, labelExpr=_TWO_LINES, labelLineHeight=11),
            ),
            color=alt.Color(
                "outcome_final:N",
                title="Outcome",
                scale=_scale("nts_outcome", order=NTS_OUTCOMES, vocabulary="code"),
                legend=alt.Legend(title=None),
            ),
            tooltip=tooltip,
        )
        .properties(width={"step": 20}, height={"step": 26 if two_lines else 18})
    )
    subtitle = "GMC outcome against the national benchmark; grey: fewer than 3 respondents"
    description = (
        "Heatmap of NTS outcomes by indicator and clinical learning environment: red and pink "
        "are below the benchmark, light green and green above, white between, grey not reported."
    )
    if frame["year"].nunique() == 1:
        return heatmap.properties(title=_title(title, subtitle), description=description)
    return heatmap.facet(
        row=alt.Row("year:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
    ).properties(title=_title(title, subtitle), description=description)


def chart_funding_utilisation(
    funding: pd.DataFrame, *, title: str | None = None
) -> alt.FacetChart | Html:
    """Education funding allocated and spent by year, one panel per stream.

    Each panel has its own £ scale: streams differ by orders of magnitude, and a shared axis
    would flatten the small ones.

    Parameters
    ----------
    funding
        ``year``, ``stream``, ``allocated``, ``spent`` (GBP), ``utilisation_pct`` (0-100).
    title
        Chart title; "Funding allocated and spent" by default.
    """
    _require(
        funding,
        ["year", "stream", "allocated", "spent", "utilisation_pct"],
        "chart_funding_utilisation",
    )
    title = title or "Funding allocated and spent"
    if funding.empty:
        return _no_data(title, "no funding reported by the as-at date.")
    frame = display.labelled(funding, ["stream"]).assign(
        used=[display.fmt_pct(v) for v in funding["utilisation_pct"]]
    )
    tooltip = [
        alt.Tooltip("year:N", title="Year"),
        alt.Tooltip("stream:N", title="Stream"),
        alt.Tooltip("allocated:Q", title="Allocated (£)", format=",.0f"),
        alt.Tooltip("spent:Q", title="Spent (£)", format=",.0f"),
        alt.Tooltip("used:N", title="Utilisation"),
    ]
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)), tooltip=tooltip
    )
    allocated = base.mark_bar(color=_nhs("Light Blue"), opacity=0.45).encode(
        y=alt.Y(
            "allocated:Q",
            title=None,
            axis=alt.Axis(labelExpr="'£' + format(datum.value, '~s')", tickCount=4),
        )
    )
    spent = base.mark_bar(color=_nhs("NHS Blue"), width={"band": 0.5}).encode(y="spent:Q")
    label = base.mark_text(dy=-6, fontSize=10, color=_nhs("Dark Grey")).encode(
        y="allocated:Q", text="used:N"
    )
    return (
        alt.layer(allocated, spent, label, data=frame)
        .properties(width=230, height=150)
        .facet(facet=alt.Facet("stream:N", title=None), columns=2)
        .resolve_scale(y="independent")
        .properties(
            title=_title(
                title,
                "Pale bar: allocated; dark bar: spent; label: % used; each panel has its own scale",
            ),
            description="Bar chart of education funding allocated and spent per year, by stream.",
        )
    )


def chart_staff_survey(staff: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart | Html:
    """NHS Staff Survey People Promise scores against the benchmark group's range.

    Parameters
    ----------
    staff
        One row per element (latest year): ``element``, ``score``, ``benchmark_best``,
        ``benchmark_average``, ``benchmark_worst`` (all 0-10).  Rows are drawn in the order given.
    title
        Chart title; "NHS Staff Survey: People Promise" by default.
    """
    _require(
        staff,
        ["element", "score", "benchmark_best", "benchmark_average", "benchmark_worst"],
        "chart_staff_survey",
    )
    title = title or "NHS Staff Survey: People Promise"
    if staff.empty:
        return _no_data(title, "no results published by the as-at date.")
    tooltip = [
        alt.Tooltip("element:N", title="Element"),
        alt.Tooltip("score:Q", title="Trust score", format=".2f"),
        alt.Tooltip("benchmark_worst:Q", title="Benchmark worst", format=".2f"),
        alt.Tooltip("benchmark_average:Q", title="Benchmark average", format=".2f"),
        alt.Tooltip("benchmark_best:Q", title="Benchmark best", format=".2f"),
    ]
    values = staff[["score", "benchmark_best", "benchmark_worst"]].stack()
    low = math.floor(float(values.min()) * 2) / 2 if len(values) else 0.0
    high = math.ceil(float(values.max()) * 2) / 2 if len(values) else 10.0
    ticks = [low + 0.5 * i for i in range(int(round((high - low) / 0.5)) + 1)]
    base = alt.Chart().encode(
        y=alt.Y("element:N", title=None, sort=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        tooltip=tooltip,
    )
    x_scale = alt.Scale(domain=[low, high], nice=False)
    axis = alt.Axis(values=ticks, format=".1f", labelOverlap=True)
    band = base.mark_bar(color=_nhs("Light Blue"), opacity=0.35, height={"band": 0.55}).encode(
        x=alt.X("benchmark_worst:Q", title="Score (0-10)", scale=x_scale, axis=axis),
        x2="benchmark_best:Q",
    )
    average = base.mark_tick(color=_nhs("Dark Grey"), thickness=2, size=16).encode(
        x="benchmark_average:Q"
    )
    trust = base.mark_point(filled=True, size=90, color=_nhs("NHS Blue"), opacity=1).encode(
        x="score:Q"
    )
    return alt.layer(band, average, trust, data=staff).properties(
        title=_title(
            title,
            "Bar: benchmark group worst to best; tick: average; dot: this trust",
        ),
        description="Range chart of staff survey scores against the benchmark group.",
        width=CHART_WIDTH - 120,
        height={"step": 24},
    )


def chart_cqc_grid(cqc: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart | Html:
    """CQC ratings by key question, coloured as CQC colours them.

    Parameters
    ----------
    cqc
        ``key_question`` (safe, effective, caring, responsive, well-led, overall), ``rating``
        (outstanding, good, requires improvement, inadequate, not rated), ``publication_date``.
        Several publication dates give one row each.
    title
        Chart title; "CQC ratings" by default.
    """
    _require(cqc, ["key_question", "rating", "publication_date"], "chart_cqc_grid")
    title = title or "CQC ratings"
    rated = cqc[cqc["rating"].notna()]
    if rated.empty:
        return _no_data(title, "no rating published by the as-at date.")
    frame = display.labelled(rated, ["key_question", "rating"]).assign(
        published=[display.fmt_date(d) for d in rated["publication_date"]]
    )
    questions = display.labels_for("key_question", CQC_KEY_QUESTIONS)
    base = alt.Chart().encode(
        x=alt.X(
            "key_question:N",
            title=None,
            sort=questions,
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        y=alt.Y("published:O", title="Published", sort=None),
        tooltip=[
            alt.Tooltip("key_question:N", title="Key question"),
            alt.Tooltip("rating:N", title="Rating"),
            alt.Tooltip("published:N", title="Published"),
        ],
    )
    dark = display.labels_for("code", ["outstanding", "good", "inadequate", "not rated"])
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "rating:N",
            scale=_scale("cqc_rating", order=CQC_RATINGS, vocabulary="code"),
            legend=alt.Legend(title=None),
        ),
    )
    # Break "Requires improvement" over two lines so it fits its cell.
    labels = base.mark_text(fontSize=10, fontWeight="bold", lineBreak=" ").encode(
        text=alt.Text("rating:N"),
        color=alt.condition(
            alt.FieldOneOfPredicate(field="rating", oneOf=dark),
            alt.value("#FFFFFF"),
            alt.value(_nhs("Black")),
        ),
    )
    return alt.layer(cells, labels, data=frame).properties(
        title=_title(title),
        description="Grid of CQC ratings by key question and publication date.",
        width={"step": 84},
        height={"step": 36},
    )


def chart_fft_trend(fft: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart | Html:
    """Friends and Family Test % positive by month and setting; suppressed months are gaps.

    Parameters
    ----------
    fft
        ``period`` (``YYYY-MM``), ``setting``, ``pct_positive`` (0-100; NaN where suppressed,
        drawn as a break in the line, never as zero).
    title
        Chart title; "Friends and Family Test: % positive" by default.
    """
    _require(fft, ["period", "setting", "pct_positive"], "chart_fft_trend")
    title = title or "Friends and Family Test: % positive"
    if fft.empty:
        return _no_data(title, "no months published by the as-at date.")
    frame = display.labelled(fft, ["setting"])
    base = alt.Chart().encode(
        x=alt.X(
            "period:T",
            timeUnit="utcyearmonth",
            title=None,
            axis=alt.Axis(format="%b %Y", labelAngle=0),
        ),
        y=alt.Y("pct_positive:Q", title="% positive", scale=alt.Scale(zero=False)),
        color=alt.Color("setting:N", title=None),
        tooltip=[
            alt.Tooltip("period:T", timeUnit="utcyearmonth", title="Month", format="%b %Y"),
            alt.Tooltip("setting:N", title="Setting"),
            alt.Tooltip("pct_positive:Q", title="% positive", format=".1f"),
        ],
    )
    return alt.layer(
        base.mark_line(invalid="break-paths-show-domains"),
        base.mark_point(size=25),
        data=frame,
    ).properties(
        title=_title(title, "Gaps are months with too few responses to publish"),
        description="Line chart of Friends and Family Test % positive by month and setting.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


def _band_scale(order: Sequence[str]) -> alt.Scale:
    known = colours("risk_band")
    labels = display.labels_for("code", order)
    if all(b in known for b in order):
        return alt.Scale(domain=labels, range=[known[b] for b in order])
    return alt.Scale(domain=labels)


def chart_risk_bands(
    counts: pd.DataFrame,
    *,
    bands: Sequence[str] | None = None,
    title: str | None = None,
) -> alt.Chart:
    """Open education risks by band (and quality framework domain when given).

    Parameters
    ----------
    counts
        ``band``, ``open`` (count of open risks); optional ``domain``.
    bands
        Band names lowest first (from ``RegionConfig``); the data file's order by default.
    title
        Chart title; "Open risks by band" by default.
    """
    _require(counts, ["band", "open"], "chart_risk_bands")
    order = list(bands) if bands else list(colours("risk_band"))
    labels = display.labels_for("code", order)
    frame = counts.assign(band=[display.label("code", str(b)) for b in counts["band"]])
    colour = alt.Color(
        "band:N", title="Band", sort=labels, scale=_band_scale(order), legend=alt.Legend(title=None)
    )
    tooltip = [alt.Tooltip("band:N", title="Band"), alt.Tooltip("open:Q", title="Open risks")]
    x = alt.X("open:Q", axis=_count_axis(frame["open"], "Open risks"))
    chart = alt.Chart(frame)
    if "domain" in frame.columns:
        tooltip.insert(0, alt.Tooltip("domain:N", title="Domain"))
        chart = chart.mark_bar().encode(
            y=alt.Y("domain:N", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=x,
            color=colour,
            tooltip=tooltip,
        )
    else:
        chart = chart.mark_bar().encode(
            y=alt.Y("band:N", title=None, sort=labels),
            x=x,
            color=colour,
            tooltip=tooltip,
        )
    return chart.properties(
        title=_title(title or "Open risks by band"),
        description="Bar chart of open education and training risks by risk band.",
        width=CHART_WIDTH - 120,
        height={"step": 24},
    )


def chart_nets_trend(nets: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart | Html:
    """NHS Education and Training Survey: % positive by year and indicator.

    Parameters
    ----------
    nets
        ``year``, ``indicator``, ``pct_positive`` (0-100; NaN where suppressed).
    title
        Chart title; "Education and Training Survey: % positive" by default.
    """
    _require(nets, ["year", "indicator", "pct_positive"], "chart_nets_trend")
    title = title or "Education and Training Survey: % positive"
    if nets["pct_positive"].notna().sum() == 0:
        return _no_data(title, "no results to show (none published, or too few respondents).")
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("pct_positive:Q", title="% positive", scale=alt.Scale(zero=False)),
        color=alt.Color("indicator:N", title=None, legend=alt.Legend(labelLimit=LABEL_LIMIT)),
        tooltip=[
            alt.Tooltip("year:N", title="Year"),
            alt.Tooltip("indicator:N", title="Indicator"),
            alt.Tooltip("pct_positive:Q", title="% positive", format=".1f"),
        ],
    )
    return alt.layer(
        base.mark_line(invalid="break-paths-show-domains"), base.mark_point(size=40), data=nets
    ).properties(
        title=_title(title),
        description="Line chart of NETS % positive by year and indicator.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


def chart_learners(
    learners: pd.DataFrame,
    *,
    measure: Literal["headcount", "fte"] = "headcount",
    title: str | None = None,
) -> alt.Chart | Html:
    """Learners by year, stacked by profession group.

    Parameters
    ----------
    learners
        ``year``, ``profession_group`` and the ``measure`` column (``headcount`` or ``fte``).
    measure
        Which column to draw.
    title
        Chart title; "Learners by profession group" by default.
    """
    _require(learners, ["year", "profession_group", measure], "chart_learners")
    title = title or "Learners by profession group"
    if learners.empty:
        return _no_data(title, "no learner numbers reported by the as-at date.")
    label = "Headcount" if measure == "headcount" else "Full-time equivalent"
    frame = display.labelled(learners, ["profession_group"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"sum({measure}):Q", title=label, axis=alt.Axis(format=",d")),
            color=alt.Color("profession_group:N", title=None),
            tooltip=[
                alt.Tooltip("year:N", title="Year"),
                alt.Tooltip("profession_group:N", title="Profession group"),
                alt.Tooltip(f"sum({measure}):Q", title=label, format=",.0f"),
            ],
        )
        .properties(
            title=_title(title),
            description=f"Stacked bar chart of learner {label.lower()} by year and profession.",
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
        )
    )


def _trust_axis(frame: pd.DataFrame, sort: Any) -> alt.Y:
    """The trust axis of a region chart: ``short_name``, else ``trust_name``, else the code."""
    field = next(c for c in ("short_name", "trust_name", "trust_code") if c in frame.columns)
    return alt.Y(f"{field}:N", title=None, sort=sort, axis=alt.Axis(labelLimit=LABEL_LIMIT))


def _trust_tooltip(frame: pd.DataFrame) -> list[alt.Tooltip]:
    tooltip = [alt.Tooltip("trust_code:N", title="Trust")]
    if "trust_name" in frame.columns:
        tooltip.append(alt.Tooltip("trust_name:N", title="Name"))
    return tooltip


def chart_region_risks(
    risks_by_band: pd.DataFrame,
    *,
    bands: Sequence[str] | None = None,
    title: str | None = None,
) -> alt.Chart:
    """Open education risks of every trust, stacked by band, most open risks first.

    Parameters
    ----------
    risks_by_band
        ``trust_code``, ``band``, ``open`` (one row per trust and band); optional
        ``short_name`` or ``trust_name`` labels the bars (else the code).
    bands
        Band names lowest first (from ``RegionConfig``); the data file's order by default.
    title
        Chart title; "Open risks by trust and band" by default.
    """
    _require(risks_by_band, ["trust_code", "band", "open"], "chart_region_risks")
    order = list(bands) if bands else list(colours("risk_band"))
    labels = display.labels_for("code", order)
    frame = risks_by_band.assign(
        band=[display.label("code", str(b)) for b in risks_by_band["band"]]
    )
    totals = frame.groupby("trust_code")["open"].sum()
    tooltip = [
        *_trust_tooltip(frame),
        alt.Tooltip("band:N", title="Band"),
        alt.Tooltip("open:Q", title="Open risks"),
    ]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=_trust_axis(frame, "-x"),
            x=alt.X("sum(open):Q", axis=_count_axis(totals, "Open risks")),
            color=alt.Color(
                "band:N", sort=labels, scale=_band_scale(order), legend=alt.Legend(title=None)
            ),
            # Stack lowest band first, so the highest bands sit at the end of each bar.
            order=alt.Order("band_rank:Q"),
            tooltip=tooltip,
        )
        .transform_calculate(band_rank=f"indexof({json.dumps(labels)}, datum.band)")
        .properties(
            title=_title(title or "Open risks by trust and band"),
            description=(
                "Stacked bar chart of each trust's open education and training risks by risk "
                "band, the trust with most open risks first."
            ),
            width=CHART_WIDTH - 200,
            height={"step": 22},
        )
    )


def chart_region_nts(reds_greens: pd.DataFrame, *, title: str | None = None) -> alt.Chart | Html:
    """Red and green GMC NTS outcomes of every trust, side by side, in the frame's trust order.

    Parameters
    ----------
    reds_greens
        ``trust_code``, ``outcome`` (``red`` or ``green``), ``results`` (count); optional
        ``short_name`` or ``trust_name`` labels the bars (else the code).  Trusts are drawn
        in the order they first appear.
    title
        Chart title; "NTS red and green outcomes by trust" by default.
    """
    _require(reds_greens, ["trust_code", "outcome", "results"], "chart_region_nts")
    title = title or "NTS red and green outcomes by trust"
    if reds_greens.empty:
        return _no_data(title, "no NTS results published by the as-at date.")
    shown = [o for o in NTS_OUTCOMES if o in set(reds_greens["outcome"])]
    frame = display.labelled(reds_greens, ["outcome"])
    tooltip = [
        *_trust_tooltip(frame),
        alt.Tooltip("outcome:N", title="Outcome"),
        alt.Tooltip("results:Q", title="Results"),
    ]
    return (
        alt.Chart(frame)
        .mark_bar(stroke=_nhs("Mid Grey"), strokeWidth=0.5)
        .encode(
            y=_trust_axis(frame, None),
            yOffset=alt.YOffset("outcome:N", sort=display.labels_for("code", shown)),
            x=alt.X("results:Q", axis=_count_axis(frame["results"], "Results")),
            color=alt.Color(
                "outcome:N",
                scale=_scale("nts_outcome", present=shown, order=NTS_OUTCOMES, vocabulary="code"),
                legend=alt.Legend(title=None),
            ),
            tooltip=tooltip,
        )
        .properties(
            title=_title(
                title,
                "Red: bottom quartile, clear of the benchmark; green: top quartile, clear of it",
            ),
            description=(
                "Bar chart of the number of red and of green National Training Survey outcomes "
                "of each trust."
            ),
            width=CHART_WIDTH - 200,
            height={"step": 11},
        )
    )


# --------------------------------------------------------------------------- national items


def chart_nts_outcome_counts(counts: pd.DataFrame, *, title: str | None = None) -> alt.Chart | Html:
    """GMC NTS results of each outcome per survey year, stacked red first.

    Parameters
    ----------
    counts
        ``year`` and one count column per outcome (red, pink, white, light green, green, not
        reported, no result), as :func:`qvlib.metrics.calc_outcome_counts` gives; ``total``
        is not drawn.  Outcomes with no result in any year are left out of the legend.
    title
        Chart title; "NTS outcomes by year" by default.
    """
    _require(counts, ["year", *NTS_OUTCOMES], "chart_nts_outcome_counts")
    title = title or "NTS outcomes by year"
    if counts.empty or counts[list(NTS_OUTCOMES)].to_numpy().sum() == 0:
        return _no_data(title, "no NTS results published by the as-at date.")
    long = counts.melt(
        id_vars=["year"], value_vars=list(NTS_OUTCOMES), var_name="outcome", value_name="results"
    )
    long = long[long["results"] > 0]
    shown = [o for o in NTS_OUTCOMES if o in set(long["outcome"])]
    frame = display.labelled(long, ["outcome"]).assign(
        rank=long["outcome"].map(list(NTS_OUTCOMES).index),
        year=[display.fmt_year(y) for y in long["year"]],
    )
    totals = long.groupby("year")["results"].sum()
    return (
        alt.Chart(frame)
        .mark_bar(stroke=_nhs("Mid Grey"), strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(results):Q", axis=_count_axis(totals, "Results")),
            color=alt.Color(
                "outcome:N",
                scale=_scale("nts_outcome", present=shown, order=NTS_OUTCOMES, vocabulary="code"),
                legend=alt.Legend(title=None),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("year:N", title="Year"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("results:Q", title="Results", format=",d"),
            ],
        )
        .properties(
            title=_title(title, "Results of each GMC outcome; red at the bottom of each bar"),
            description="Stacked bar chart of the number of NTS results of each outcome by year.",
            width={"step": 70},
            height=CHART_HEIGHT,
        )
    )


def chart_website_ratings(
    trend: pd.DataFrame, *, title: str | None = None
) -> alt.LayerChart | Html:
    """NHS website star ratings over time, one line per site.

    Parameters
    ----------
    trend
        ``site_name``, ``period`` (``YYYY-MM``), ``stars`` (1-5) and ``ratings`` (how many
        ratings the month's stars average).
    title
        Chart title; "NHS website ratings" by default.
    """
    _require(trend, ["site_name", "period", "stars", "ratings"], "chart_website_ratings")
    title = title or "NHS website ratings"
    if trend["stars"].notna().sum() == 0:
        return _no_data(title, "no ratings published by the as-at date.")
    frame = trend.assign(month=[display.fmt_month(p) for p in trend["period"]])
    low = max(1.0, math.floor(float(frame["stars"].min()) * 2) / 2 - 0.5)
    base = alt.Chart(frame).encode(
        x=alt.X(
            "period:T",
            timeUnit="utcyearmonth",
            title=None,
            axis=alt.Axis(format="%b %Y", labelAngle=0),
        ),
        y=alt.Y(
            "stars:Q",
            title="Stars (1-5)",
            scale=alt.Scale(domain=[low, 5], nice=False),
            axis=alt.Axis(format=".1f"),
        ),
        color=alt.Color("site_name:N", title=None, legend=alt.Legend(labelLimit=LABEL_LIMIT)),
        tooltip=[
            alt.Tooltip("site_name:N", title="Site"),
            alt.Tooltip("month:N", title="Month"),
            alt.Tooltip("stars:Q", title="Stars", format=".1f"),
            alt.Tooltip("ratings:Q", title="Ratings", format=",d"),
        ],
    )
    return alt.layer(base.mark_line(), base.mark_point(size=45)).properties(
        title=_title(title, "Average stars left by the public each month the data holds"),
        description="Line chart of NHS website star ratings over time, one line per site.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT - 60,
    )


def chart_cqc_services(
    services: pd.DataFrame, *, title: str | None = None
) -> alt.LayerChart | Html:
    """CQC ratings of every location and service group by key question; hotspots outlined.

    Parameters
    ----------
    services
        One row per location, service group and key question: ``location_name``,
        ``service_group``, ``key_question``, ``rating``, ``publication_date``, ``age_months``
        and ``hotspots`` (the hotspot specialties the service group rates; empty if none), as
        :attr:`qvlib.reviews.TrustReview.cqc_services` gives.  Rows are drawn in frame order.
    title
        Chart title; "CQC ratings by location and service" by default.
    """
    columns = [
        "location_name",
        "service_group",
        "key_question",
        "rating",
        "publication_date",
        "age_months",
        "hotspots",
    ]
    _require(services, columns, "chart_cqc_services")
    title = title or "CQC ratings by location and service"
    rated = services[services["rating"].notna()]
    if rated.empty:
        return _no_data(title, "no rating published by the as-at date.")
    hot = rated["hotspots"].fillna("").astype(str) != ""
    frame = display.labelled(rated, ["key_question", "rating"]).assign(
        row=(rated["service_group"] + " · " + rated["location_name"]).to_numpy(),
        published=[display.fmt_date(d) for d in rated["publication_date"]],
        age=[display.fmt_age(a) for a in rated["age_months"]],
        hotspot=hot.to_numpy(),
        hotspot_text=[h if h else "–" for h in rated["hotspots"].fillna("")],
    )
    order = list(dict.fromkeys(frame["row"]))
    questions = display.labels_for("key_question", CQC_KEY_QUESTIONS)
    base = alt.Chart(frame).encode(
        x=alt.X(
            "key_question:N",
            title=None,
            sort=questions,
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        y=alt.Y(
            "row:N",
            title=None,
            sort=order,
            axis=alt.Axis(labelLimit=LABEL_LIMIT, labelExpr=_TWO_LINES, labelLineHeight=11),
        ),
        tooltip=[
            alt.Tooltip("location_name:N", title="Location"),
            alt.Tooltip("service_group:N", title="Service"),
            alt.Tooltip("key_question:N", title="Key question"),
            alt.Tooltip("rating:N", title="Rating"),
            alt.Tooltip("published:N", title="Published"),
            alt.Tooltip("age:N", title="Age at the as-at date"),
            alt.Tooltip("hotspot_text:N", title="Hotspot specialties"),
        ],
    )
    dark = display.labels_for("code", ["outstanding", "good", "inadequate", "not rated"])
    cells = base.mark_rect().encode(
        color=alt.Color(
            "rating:N",
            scale=_scale("cqc_rating", order=CQC_RATINGS, vocabulary="code"),
            legend=alt.Legend(title=None),
        ),
        stroke=alt.condition("datum.hotspot", alt.value(_nhs("Black")), alt.value("#FFFFFF")),
        strokeWidth=alt.condition("datum.hotspot", alt.value(3), alt.value(2)),
    )
    labels = base.mark_text(fontSize=9, fontWeight="bold", lineBreak=" ").encode(
        text=alt.Text("rating:N"),
        color=alt.condition(
            alt.FieldOneOfPredicate(field="rating", oneOf=dark),
            alt.value("#FFFFFF"),
            alt.value(_nhs("Black")),
        ),
    )
    subtitle = "Black outline: a service rating the care of a hotspot specialty at that location"
    return alt.layer(cells, labels).properties(
        title=_title(title, subtitle if bool(hot.any()) else None),
        description=(
            "Grid of CQC ratings by location and service group (rows) and key question "
            "(columns); services rating a hotspot specialty's care are outlined."
        ),
        width={"step": 74},
        height={"step": 34},
    )


def chart_staff_survey_trend(
    trend: pd.DataFrame, *, title: str | None = None
) -> alt.FacetChart | Html:
    """NHS Staff Survey scores over the years: one panel per element, its sub-scores beside it.

    Parameters
    ----------
    trend
        ``year``, ``element``, ``sub_score`` (empty on the element's own row), ``score`` and
        ``benchmark_average`` (0-10; a suppressed score is missing and leaves a gap), as
        :attr:`qvlib.reviews.TrustReview.staff_survey_trend` gives.
    title
        Chart title; "NHS Staff Survey over the years" by default.
    """
    _require(
        trend,
        ["year", "element", "sub_score", "score", "benchmark_average"],
        "chart_staff_survey_trend",
    )
    title = title or "NHS Staff Survey over the years"
    if trend["score"].notna().sum() == 0:
        return _no_data(title, "no results published by the as-at date.")
    own = trend["sub_score"].isna() | (trend["sub_score"].astype(str) == "")
    line = pd.Series("Sub-score", index=trend.index).where(~own, "Element score")
    frame = trend.assign(
        series=line,
        name=trend["sub_score"].where(~own, trend["element"]),
        year=[display.fmt_year(y) for y in trend["year"]],
    )
    averages = frame[own].assign(
        series="Benchmark group average", score=frame.loc[own, "benchmark_average"]
    )
    frame = pd.concat([frame, averages], ignore_index=True)[
        ["element", "year", "series", "name", "score"]
    ]
    series = ["Element score", "Sub-score", "Benchmark group average"]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(
            domain=series, range=[_nhs("NHS Blue"), _nhs("Light Blue"), _nhs("Dark Grey")]
        ),
        legend=alt.Legend(title=None),
    )
    values = frame["score"].dropna()
    low = math.floor(float(values.min()) * 2) / 2
    high = math.ceil(float(values.max()) * 2) / 2
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "score:Q",
            title="Score (0-10)",
            scale=alt.Scale(domain=[low, high], nice=False),
            axis=alt.Axis(format=".1f", tickCount=4),
        ),
        color=colour,
        detail="name:N",
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=series, range=[[1, 0], [1, 0], [4, 3]]),
            legend=None,
        ),
        strokeWidth=alt.StrokeWidth(
            "series:N", scale=alt.Scale(domain=series, range=[2.5, 1, 1.5]), legend=None
        ),
        tooltip=[
            alt.Tooltip("name:N", title="Element or sub-score"),
            alt.Tooltip("series:N", title="Line"),
            alt.Tooltip("year:N", title="Year"),
            alt.Tooltip("score:Q", title="Score", format=".2f"),
        ],
    )
    layers = alt.layer(
        base.mark_line(invalid="break-paths-show-domains"),
        base.transform_filter("datum.series == 'Element score'").mark_point(size=30, filled=True),
        data=frame,
    ).properties(width=165, height=110)
    return layers.facet(
        facet=alt.Facet(
            "element:N", title=None, header=alt.Header(labelLimit=0, labelFontSize=10.5)
        ),
        columns=3,
    ).properties(
        title=_title(
            title,
            "Thick blue: the element; thin: its sub-scores (the table below names them); "
            "dashed: benchmark group average",
        ),
        description=(
            "Small multiple line charts of NHS Staff Survey scores by year, one panel per "
            "People Promise element, with its sub-scores and the benchmark group average."
        ),
    )


def chart_against_region(
    comparison: pd.DataFrame, *, title: str, x_title: str
) -> alt.LayerChart | Html:
    """A trust's figures against the region's range and median (and England where given).

    Parameters
    ----------
    comparison
        One row per figure, all in one unit: ``measure`` (or a shorter ``item``, drawn when
        present), ``value`` (this trust),
        ``region_min``, ``region_median``, ``region_max``, ``region_trusts`` and optional
        ``england``, as :meth:`qvlib.reviews.TrustReview.against_region` gives.  A figure with
        no region range is drawn without one; one with no value (suppressed) has no dot.
    title, x_title
        Chart title and the x-axis title (the unit).
    """
    _require(
        comparison,
        ["measure", "value", "region_min", "region_median", "region_max", "region_trusts"],
        "chart_against_region",
    )
    frame = comparison.copy()
    for column in ("value", "region_min", "region_median", "region_max", "england"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if frame["value"].notna().sum() == 0 and frame["region_median"].notna().sum() == 0:
        return _no_data(title, "no figures to compare.")
    has_england = "england" in frame.columns and frame["england"].notna().any()
    tooltip = [
        alt.Tooltip("measure:N", title="Measure"),
        alt.Tooltip("value:Q", title="This trust", format=",.2~f"),
        alt.Tooltip("region_median:Q", title="Region median", format=",.2~f"),
        alt.Tooltip("region_min:Q", title="Region lowest", format=",.2~f"),
        alt.Tooltip("region_max:Q", title="Region highest", format=",.2~f"),
        alt.Tooltip("region_trusts:Q", title="Trusts", format="d"),
    ]
    if has_england:
        tooltip.append(alt.Tooltip("england:Q", title="England", format=",.2~f"))
    label = "item" if "item" in frame.columns else "measure"
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", title=None, sort=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        tooltip=tooltip,
    )
    x_scale = alt.Scale(zero=False, nice=True)
    band = base.mark_bar(color=_nhs("Light Blue"), opacity=0.35, height={"band": 0.55}).encode(
        x=alt.X("region_min:Q", title=x_title, scale=x_scale),
        x2="region_max:Q",
    )
    median = base.mark_tick(color=_nhs("Dark Grey"), thickness=2, size=16).encode(
        x="region_median:Q"
    )
    trust = base.mark_point(filled=True, size=90, color=_nhs("NHS Blue"), opacity=1).encode(
        x="value:Q"
    )
    layers = [band, median, trust]
    key = "Bar: the region's trusts, lowest to highest; tick: region median; dot: this trust"
    if has_england:
        layers.append(
            base.mark_point(
                shape="diamond", filled=False, size=80, color=_nhs("Black"), strokeWidth=1.5
            ).encode(x="england:Q")
        )
        key += "; diamond: England"
    return alt.layer(*layers).properties(
        title=_title(title, key),
        description="Range chart of this trust's figures against the region's trusts.",
        width=CHART_WIDTH - 120,
        height={"step": 24},
    )
