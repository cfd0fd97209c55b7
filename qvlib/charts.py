"""Charts: aggregated frames in, :class:`altair.Chart` specs out, in one NHS house style.

Every chart function takes the frame a :mod:`qvlib.metrics` function returns (the column names in
each docstring are the contract) and returns a chart spec; nothing here computes a metric or
writes a file.  Colours come from one data file, ``qvlib/data/nhs_colours.json``: the NHS
identity palette through one registered altair theme (``"nhs"``), and the semantic colours
(Making Data Count SPC point types, GMC NTS outcomes, CQC ratings, risk bands) through the
:func:`colours` accessor, so no chart carries its own colour list.

Importing this module enables the theme and the ``"qv"`` renderer (:func:`enable_pack_rendering`):
a displayed chart becomes a Vega-Lite JSON output that JupyterLab draws natively and that
:class:`qvlib.packs.PackExporter` turns into an offline, interactive chart in a pack.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from qvlib.schemas import CQC_KEY_QUESTIONS, CQC_RATINGS, NTS_OUTCOMES

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
    """Altair renderer: the Vega-Lite spec as JSON plus a one-line text fallback.

    No HTML and no script: JupyterLab draws the JSON itself, and the pack exporter embeds it
    offline.  ``$schema`` is dropped because it is a URL and the version is implied by the
    bundled Vega-Lite.
    """
    body = {k: v for k, v in spec.items() if k != "$schema"}
    return {VEGALITE_MIMETYPE: body, "text/plain": _chart_text(body)}


def enable_pack_rendering() -> None:
    """Enable the NHS theme and the ``"qv"`` renderer (done on import; safe to call again)."""
    alt.theme.enable(THEME_NAME)
    alt.renderers.enable(RENDERER_NAME)


alt.theme.register(THEME_NAME, enable=False)(nhs_theme)
alt.renderers.register(RENDERER_NAME, pack_renderer)
enable_pack_rendering()


def _scale(
    group: str, present: Sequence[str] | None = None, order: Sequence[str] = ()
) -> alt.Scale:
    """A colour scale mapping the values of one semantic group to the colours in the data file.

    ``order`` lists the values in legend order; with ``present`` only those values appear.
    """
    mapping = colours(group)
    domain = [v for v in (order or mapping) if v in mapping]
    if present is not None:
        wanted = set(present)
        domain = [v for v in domain if v in wanted] or domain
    return alt.Scale(domain=domain, range=[mapping[v] for v in domain])


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


_CAPITALISE = "upper(slice(datum.label, 0, 1)) + slice(datum.label, 1)"


def chart_spc(
    spc: pd.DataFrame,
    title: str,
    y_title: str,
    *,
    x_title: str | None = None,
) -> alt.LayerChart:
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
    alt.LayerChart
        Grey value line, black mean, dashed grey limits, dashed red target when present and
        points in the MDC colours; the subtitle says when the limits are trial limits.
    """
    _require(spc, ["x", "y", "mean", "lpl", "upl", "point_type", "trial_limits"], "chart_spc")
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
        alt.Tooltip("x", type=_x_type(spc["x"]), title="Period"),
        alt.Tooltip("y:Q", title=y_title, format=",.4~r"),
        alt.Tooltip("mean:Q", title="Mean", format=",.4~r"),
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


def chart_nts_heatmap(outcomes: pd.DataFrame, *, title: str | None = None) -> alt.FacetChart:
    """GMC NTS outcomes: indicator by specialty (or site), one grid per year.

    Parameters
    ----------
    outcomes
        ``indicator``, ``specialty`` (or ``site``), ``year``, ``outcome_final`` (red, pink,
        white, light green, green, not reported, no result); optional ``score`` (or ``mean``)
        and ``n`` are shown in the tooltip.
    title
        Chart title; "National Training Survey outcomes" by default.
    """
    group = "specialty" if "specialty" in outcomes.columns else "site"
    _require(outcomes, ["indicator", group, "year", "outcome_final"], "chart_nts_heatmap")
    tooltip = [
        alt.Tooltip(f"{group}:N", title=group.capitalize()),
        alt.Tooltip("indicator:N", title="Indicator"),
        alt.Tooltip("year:N", title="Year"),
        alt.Tooltip("outcome_final:N", title="Outcome"),
    ]
    score = next((c for c in ("score", "mean") if c in outcomes.columns), None)
    if score:
        tooltip.append(alt.Tooltip(f"{score}:Q", title="Score", format=".1f"))
    if "n" in outcomes.columns:
        tooltip.append(alt.Tooltip("n:Q", title="Respondents (n)"))
    heatmap = (
        alt.Chart(outcomes)
        .mark_rect(stroke=_nhs("Mid Grey"), strokeWidth=0.5)
        .encode(
            x=alt.X(
                "indicator:N", title=None, sort=None, axis=alt.Axis(labelAngle=-45, labelLimit=160)
            ),
            y=alt.Y(f"{group}:N", title=None, sort=None, axis=alt.Axis(labelLimit=160)),
            color=alt.Color(
                "outcome_final:N",
                title="Outcome",
                scale=_scale("nts_outcome", order=NTS_OUTCOMES),
                legend=alt.Legend(title=None, labelExpr=_CAPITALISE),
            ),
            tooltip=tooltip,
        )
        .properties(width={"step": 22}, height={"step": 20})
    )
    return heatmap.facet(
        row=alt.Row("year:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
    ).properties(
        title=_title(
            title or "National Training Survey outcomes",
            "GMC outcome against the national benchmark, by year",
        ),
        description=(
            f"Heatmap of NTS outcomes by indicator and {group}: red and pink are below the "
            "benchmark, light green and green above, white between, grey not reported."
        ),
    )


def chart_funding_utilisation(funding: pd.DataFrame, *, title: str | None = None) -> alt.FacetChart:
    """Education funding allocated and spent by year, one panel per stream.

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
    tooltip = [
        alt.Tooltip("year:N", title="Year"),
        alt.Tooltip("stream:N", title="Stream"),
        alt.Tooltip("allocated:Q", title="Allocated (£)", format=",.0f"),
        alt.Tooltip("spent:Q", title="Spent (£)", format=",.0f"),
        alt.Tooltip("utilisation_pct:Q", title="Utilisation (%)", format=".1f"),
    ]
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)), tooltip=tooltip
    )
    allocated = base.mark_bar(color=_nhs("Light Blue"), opacity=0.45).encode(
        y=alt.Y("allocated:Q", title="£", axis=alt.Axis(format="~s"))
    )
    spent = base.mark_bar(color=_nhs("NHS Blue"), width={"band": 0.5}).encode(y="spent:Q")
    label = (
        base.mark_text(dy=-6, fontSize=10, color=_nhs("Dark Grey"))
        .transform_calculate(used="format(datum.utilisation_pct, '.0f') + '%'")
        .encode(y="allocated:Q", text="used:N")
    )
    return (
        alt.layer(allocated, spent, label, data=funding)
        .properties(width=230, height=150)
        .facet(
            facet=alt.Facet("stream:N", title=None, header=alt.Header(labelExpr=_CAPITALISE)),
            columns=2,
        )
        .properties(
            title=_title(
                title or "Funding allocated and spent",
                "Pale bar: allocated; dark bar: spent; label: % used",
            ),
            description="Bar chart of education funding allocated and spent per year, by stream.",
        )
    )


def chart_staff_survey(staff: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
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
    tooltip = [
        alt.Tooltip("element:N", title="Element"),
        alt.Tooltip("score:Q", title="Trust score", format=".2f"),
        alt.Tooltip("benchmark_worst:Q", title="Benchmark worst", format=".2f"),
        alt.Tooltip("benchmark_average:Q", title="Benchmark average", format=".2f"),
        alt.Tooltip("benchmark_best:Q", title="Benchmark best", format=".2f"),
    ]
    base = alt.Chart().encode(
        y=alt.Y("element:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
        tooltip=tooltip,
    )
    x_scale = alt.Scale(zero=False, nice=True)
    band = base.mark_bar(color=_nhs("Light Blue"), opacity=0.35, height={"band": 0.55}).encode(
        x=alt.X("benchmark_worst:Q", title="Score (0-10)", scale=x_scale), x2="benchmark_best:Q"
    )
    average = base.mark_tick(color=_nhs("Dark Grey"), thickness=2, size=16).encode(
        x="benchmark_average:Q"
    )
    trust = base.mark_point(filled=True, size=90, color=_nhs("NHS Blue"), opacity=1).encode(
        x="score:Q"
    )
    return alt.layer(band, average, trust, data=staff).properties(
        title=_title(
            title or "NHS Staff Survey: People Promise",
            "Bar: benchmark group worst to best; tick: average; dot: this trust",
        ),
        description="Range chart of staff survey scores against the benchmark group.",
        width=CHART_WIDTH - 120,
        height={"step": 24},
    )


def chart_cqc_grid(cqc: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
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
    base = alt.Chart().encode(
        x=alt.X(
            "key_question:N",
            title=None,
            sort=CQC_KEY_QUESTIONS,
            axis=alt.Axis(orient="top", labelAngle=0, labelExpr=_CAPITALISE),
        ),
        y=alt.Y(
            "yearmonthdate(publication_date):O",
            title=None,
            axis=alt.Axis(format="%d %b %Y", formatType="time"),
        ),
        tooltip=[
            alt.Tooltip("key_question:N", title="Key question"),
            alt.Tooltip("rating:N", title="Rating"),
            alt.Tooltip("publication_date:T", title="Published", format="%d %b %Y"),
        ],
    )
    dark = ["outstanding", "good", "inadequate", "not rated"]
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        color=alt.Color(
            "rating:N",
            scale=_scale("cqc_rating", order=CQC_RATINGS),
            legend=alt.Legend(title=None, labelExpr=_CAPITALISE),
        ),
    )
    # Break "requires improvement" over two lines so it fits its cell.
    labels = base.mark_text(fontSize=10, fontWeight="bold", lineBreak=" ").encode(
        text=alt.Text("rating:N"),
        color=alt.condition(
            alt.FieldOneOfPredicate(field="rating", oneOf=dark),
            alt.value("#FFFFFF"),
            alt.value(_nhs("Black")),
        ),
    )
    return alt.layer(cells, labels, data=cqc).properties(
        title=_title(title or "CQC ratings"),
        description="Grid of CQC ratings by key question and publication date.",
        width={"step": 84},
        height={"step": 36},
    )


def chart_fft_trend(fft: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
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
    base = alt.Chart().encode(
        x=alt.X(
            "period:T",
            timeUnit="utcyearmonth",
            title=None,
            axis=alt.Axis(format="%b %Y", labelAngle=0),
        ),
        y=alt.Y("pct_positive:Q", title="% positive", scale=alt.Scale(zero=False)),
        color=alt.Color("setting:N", title=None, legend=alt.Legend(labelExpr=_CAPITALISE)),
        tooltip=[
            alt.Tooltip("period:T", timeUnit="utcyearmonth", title="Month", format="%b %Y"),
            alt.Tooltip("setting:N", title="Setting"),
            alt.Tooltip("pct_positive:Q", title="% positive", format=".1f"),
        ],
    )
    return alt.layer(
        base.mark_line(invalid="break-paths-show-domains"),
        base.mark_point(size=25),
        data=fft,
    ).properties(
        title=_title(
            title or "Friends and Family Test: % positive",
            "Gaps are months with too few responses to publish",
        ),
        description="Line chart of Friends and Family Test % positive by month and setting.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


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
    known = colours("risk_band")
    if all(b in known for b in order):
        scale = alt.Scale(domain=order, range=[known[b] for b in order])
    else:
        scale = alt.Scale(domain=order)
    colour = alt.Color(
        "band:N",
        title="Band",
        sort=order,
        scale=scale,
        legend=alt.Legend(title=None, labelExpr=_CAPITALISE),
    )
    tooltip = [alt.Tooltip("band:N", title="Band"), alt.Tooltip("open:Q", title="Open risks")]
    x = alt.X("open:Q", title="Open risks", axis=alt.Axis(tickMinStep=1, format="d"))
    chart = alt.Chart(counts)
    if "domain" in counts.columns:
        tooltip.insert(0, alt.Tooltip("domain:N", title="Domain"))
        chart = chart.mark_bar().encode(
            y=alt.Y("domain:N", title=None, axis=alt.Axis(labelLimit=240)),
            x=x,
            color=colour,
            tooltip=tooltip,
        )
    else:
        chart = chart.mark_bar().encode(
            y=alt.Y("band:N", title=None, sort=order, axis=alt.Axis(labelExpr=_CAPITALISE)),
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


def chart_nets_trend(nets: pd.DataFrame, *, title: str | None = None) -> alt.LayerChart:
    """NHS Education and Training Survey: % positive by year and indicator.

    Parameters
    ----------
    nets
        ``year``, ``indicator``, ``pct_positive`` (0-100; NaN where suppressed).
    title
        Chart title; "Education and Training Survey: % positive" by default.
    """
    _require(nets, ["year", "indicator", "pct_positive"], "chart_nets_trend")
    base = alt.Chart().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("pct_positive:Q", title="% positive", scale=alt.Scale(zero=False)),
        color=alt.Color("indicator:N", title=None),
        tooltip=[
            alt.Tooltip("year:N", title="Year"),
            alt.Tooltip("indicator:N", title="Indicator"),
            alt.Tooltip("pct_positive:Q", title="% positive", format=".1f"),
        ],
    )
    return alt.layer(
        base.mark_line(invalid="break-paths-show-domains"), base.mark_point(size=40), data=nets
    ).properties(
        title=_title(title or "Education and Training Survey: % positive"),
        description="Line chart of NETS % positive by year and indicator.",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )


def chart_learners(
    learners: pd.DataFrame,
    *,
    measure: Literal["headcount", "fte"] = "headcount",
    title: str | None = None,
) -> alt.Chart:
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
    label = "Headcount" if measure == "headcount" else "Full-time equivalent"
    return (
        alt.Chart(learners)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"sum({measure}):Q", title=label),
            color=alt.Color(
                "profession_group:N", title=None, legend=alt.Legend(labelExpr=_CAPITALISE)
            ),
            tooltip=[
                alt.Tooltip("year:N", title="Year"),
                alt.Tooltip("profession_group:N", title="Profession group"),
                alt.Tooltip(f"sum({measure}):Q", title=label, format=",.0f"),
            ],
        )
        .properties(
            title=_title(title or "Learners by profession group"),
            description=f"Stacked bar chart of learner {label.lower()} by year and profession.",
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
        )
    )


def _trust_axis(frame: pd.DataFrame, sort: Any) -> alt.Y:
    """The trust axis of a region chart: ``short_name``, else ``trust_name``, else the code."""
    field = next(c for c in ("short_name", "trust_name", "trust_code") if c in frame.columns)
    return alt.Y(f"{field}:N", title=None, sort=sort, axis=alt.Axis(labelLimit=320))


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
    known = colours("risk_band")
    scale = (
        alt.Scale(domain=order, range=[known[b] for b in order])
        if all(b in known for b in order)
        else alt.Scale(domain=order)
    )
    tooltip = [
        *_trust_tooltip(risks_by_band),
        alt.Tooltip("band:N", title="Band"),
        alt.Tooltip("open:Q", title="Open risks"),
    ]
    return (
        alt.Chart(risks_by_band)
        .mark_bar()
        .encode(
            y=_trust_axis(risks_by_band, "-x"),
            x=alt.X("sum(open):Q", title="Open risks", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "band:N",
                sort=order,
                scale=scale,
                legend=alt.Legend(title=None, labelExpr=_CAPITALISE),
            ),
            # Stack lowest band first, so the highest bands sit at the end of each bar.
            order=alt.Order("band_rank:Q"),
            tooltip=tooltip,
        )
        .transform_calculate(band_rank=f"indexof({json.dumps(order)}, datum.band)")
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


def chart_region_nts(reds_greens: pd.DataFrame, *, title: str | None = None) -> alt.Chart:
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
    shown = [o for o in NTS_OUTCOMES if o in set(reds_greens["outcome"])]
    tooltip = [
        *_trust_tooltip(reds_greens),
        alt.Tooltip("outcome:N", title="Outcome"),
        alt.Tooltip("results:Q", title="Results"),
    ]
    return (
        alt.Chart(reds_greens)
        .mark_bar(stroke=_nhs("Mid Grey"), strokeWidth=0.5)
        .encode(
            y=_trust_axis(reds_greens, None),
            yOffset=alt.YOffset("outcome:N", sort=shown),
            x=alt.X("results:Q", title="Results", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "outcome:N",
                scale=_scale("nts_outcome", present=shown, order=NTS_OUTCOMES),
                legend=alt.Legend(title=None, labelExpr=_CAPITALISE),
            ),
            tooltip=tooltip,
        )
        .properties(
            title=_title(
                title or "NTS red and green outcomes by trust",
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
