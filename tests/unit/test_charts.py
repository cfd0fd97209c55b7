"""Charts are tested on their Vega-Lite spec (mark, encodings, title, colours), not on pixels."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from qvlib import charts, static_charts
from qvlib.schemas import CQC_RATINGS, NTS_OUTCOMES

# Making Data Count colours as NHSRplotthedots' ptd_spc_colours() gives them (issue 196).
MDC = {
    "common_cause": "#A6A6A6",
    "special_cause_improvement": "#00B0F0",
    "special_cause_concern": "#E46C0A",
    "special_cause_neutral": "#490092",
}


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer") or spec["spec"].get("layer") or [spec["spec"]]


def _mark(layer: dict) -> dict:
    mark = layer["mark"]
    return mark if isinstance(mark, dict) else {"type": mark}


def _colour_scale(layer: dict) -> dict[str, str]:
    scale = layer["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"], strict=True))


def _spc_frame(**extra) -> pd.DataFrame:
    n = 15
    frame = pd.DataFrame(
        {
            "x": pd.date_range("2024-04-01", periods=n, freq="MS"),
            "y": np.arange(n, dtype=float),
            "mean": 7.0,
            "lpl": 1.0,
            "upl": 13.0,
            "point_type": ["common_cause"] * (n - 2)
            + ["special_cause_improvement", "special_cause_concern"],
            "trial_limits": False,
        }
    )
    return frame.assign(**extra)


def test_nhs_theme_is_registered_enabled_and_uses_the_identity_palette():
    assert alt.theme.active == "nhs"
    config = alt.Chart(pd.DataFrame({"a": [1]})).mark_bar().encode(x="a").to_dict()["config"]
    assert config["range"]["category"][0] == "#005EB8"  # NHS Blue first
    assert config["mark"]["color"] == "#005EB8"
    assert "Arial" in config["font"]
    assert config["view"]["continuousWidth"] <= 640  # fits A4 portrait


def test_colour_file_covers_every_canonical_outcome_and_rating():
    assert set(NTS_OUTCOMES) <= set(charts.colours("nts_outcome"))
    assert set(CQC_RATINGS) <= set(charts.colours("cqc_rating"))
    assert charts.colours("nhs")["NHS Blue"] == "#005EB8"
    with pytest.raises(KeyError, match="must be one of"):
        charts.colours("rainbow")


def test_spc_chart_draws_values_mean_dashed_limits_and_mdc_coloured_points():
    spec = charts.chart_spc(_spc_frame(), "Exception reports", "Reports").to_dict()
    layers = _layers(spec)
    fields = [layer["encoding"]["y"]["field"] for layer in layers]
    assert fields == ["y", "mean", "upl", "lpl", "y"]
    assert "strokeDash" not in _mark(layers[1])  # mean solid
    assert _mark(layers[2])["strokeDash"] and _mark(layers[3])["strokeDash"]  # limits dashed
    points = layers[-1]
    assert _mark(points)["type"] == "point"
    assert _colour_scale(points) == {k: MDC[k] for k in _colour_scale(points)}
    assert set(_colour_scale(points)) == {
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
    }
    assert spec["title"] == {"text": "Exception reports"} or spec["title"] == "Exception reports"
    assert "description" in spec


def test_spc_chart_adds_target_line_only_when_a_target_is_given():
    without = _layers(charts.chart_spc(_spc_frame(), "T", "Y").to_dict())
    with_nan_target = _layers(charts.chart_spc(_spc_frame(target=np.nan), "T", "Y").to_dict())
    with_target = _layers(charts.chart_spc(_spc_frame(target=10.0), "T", "Y").to_dict())
    assert len(without) == len(with_nan_target) == 5
    target = [layer for layer in with_target if layer["encoding"]["y"]["field"] == "target"]
    assert len(target) == 1
    assert _mark(target[0])["color"] == "#DE1B1B"


def test_spc_chart_says_trial_limits_in_subtitle():
    trial = charts.chart_spc(_spc_frame(trial_limits=True), "T", "Y").to_dict()
    settled = charts.chart_spc(_spc_frame(), "T", "Y").to_dict()
    assert "Trial limits" in trial["title"]["subtitle"]
    assert "subtitle" not in (settled["title"] if isinstance(settled["title"], dict) else {})


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="missing point_type"):
        charts.chart_spc(_spc_frame().drop(columns="point_type"), "T", "Y")


def _nts(**columns) -> pd.DataFrame:
    base = {
        "indicator": ["Handover", "Induction"],
        "specialty": ["Surgery", "Surgery"],
        "year": [2024, 2024],
        "outcome_final": ["red", "white"],
        "score": [55.2, 70.1],
        "n": [12, 12],
    }
    return pd.DataFrame({**base, **columns})


def _y_values(spec: dict) -> list[str]:
    values = next(iter(spec["datasets"].values()))
    return [row["environment"] for row in values]


def test_nts_heatmap_colours_outcomes_and_shows_score_and_n_in_tooltip():
    spec = charts.chart_nts_heatmap(_nts()).to_dict()
    assert _mark(spec)["type"] == "rect"
    scale = _colour_scale(spec)
    assert list(scale) == [
        "Red",
        "Pink",
        "White",
        "Light green",
        "Green",
        "Not reported",
        "No result",
    ]
    assert scale["Red"] == "#DA291C" and scale["White"] == "#FFFFFF"
    assert scale["Green"] == "#009639"
    tooltip_fields = {t["field"] for t in spec["encoding"]["tooltip"]}
    assert {"score", "n", "outcome_final", "environment", "indicator"} <= tooltip_fields
    assert "facet" not in spec  # one year: one grid


def test_nts_heatmap_has_one_row_per_learning_environment_not_per_specialty():
    # Paediatrics at two sites and in two programmes: four rows, none drawn over another.
    sites = ["Princess Anne", "Princess Anne", "Southampton General", "Southampton General"]
    outcomes = pd.DataFrame(
        {
            "indicator": ["Handover"] * 5,
            "site": [*sites, "Princess Anne"],
            "programme_group": ["Specialty training", "GP specialty training"] * 2 + ["Core"],
            "specialty": ["Paediatrics"] * 4 + ["Anaesthetics"],
            "year": [2025] * 5,
            "outcome_final": ["pink", "white", "pink", "white", "red"],
        }
    )
    spec = charts.chart_nts_heatmap(outcomes).to_dict()
    rows = _y_values(spec)
    assert len(set(rows)) == 5
    assert rows[0] == "Paediatrics · Specialty training · Princess Anne"
    # sorted so a reader finds a specialty: specialty first, the rows in alphabetical order
    assert spec["encoding"]["y"]["sort"][0] == "Anaesthetics · Core · Princess Anne"
    assert spec["encoding"]["y"]["sort"] == sorted(set(rows), key=str.casefold)
    assert spec["encoding"]["y"]["axis"]["labelLimit"] >= 300


def test_nts_heatmap_leaves_out_what_every_row_shares_and_facets_years():
    outcomes = pd.DataFrame(
        {
            "indicator": ["Handover", "Handover"],
            "site": ["General", "General"],
            "programme_group": ["Core", "Core"],
            "specialty": ["Surgery", "Surgery"],
            "year": [2024, 2025],
            "outcome_final": ["pink", "red"],
        }
    )
    spec = charts.chart_nts_heatmap(outcomes).to_dict()
    assert set(_y_values(spec)) == {"Surgery"}
    assert spec["facet"]["row"]["field"] == "year"


def test_charts_with_nothing_to_draw_say_so_in_a_sentence():
    empty = _nts().iloc[0:0]
    note = charts.chart_nts_heatmap(empty, title="NTS outcomes 2025")
    assert "NTS outcomes 2025: no NTS results" in note._repr_html_()
    fft = pd.DataFrame(columns=["period", "setting", "pct_positive"])
    assert "no months" in charts.chart_fft_trend(fft)._repr_html_()


def test_fft_trend_leaves_gaps_for_suppressed_months_not_zeros():
    fft = pd.DataFrame(
        {
            "period": ["2024-01", "2024-02", "2024-03"],
            "setting": "inpatient",
            "pct_positive": [94.0, np.nan, 95.0],
        }
    )
    spec = charts.chart_fft_trend(fft).to_dict()
    line = _layers(spec)[0]
    assert _mark(line)["type"] == "line"
    assert _mark(line)["invalid"] == "break-paths-show-domains"
    values = next(iter(spec["datasets"].values()))
    assert values[1]["pct_positive"] is None


def test_cqc_grid_orders_key_questions_and_uses_rating_colours():
    cqc = pd.DataFrame(
        {
            "key_question": ["well-led", "safe"],
            "rating": ["inadequate", "requires improvement"],
            "publication_date": pd.to_datetime(["2024-03-05", "2024-03-05"]),
        }
    )
    spec = charts.chart_cqc_grid(cqc).to_dict()
    cells, labels = _layers(spec)
    assert _mark(cells)["type"] == "rect" and _mark(labels)["type"] == "text"
    assert cells["encoding"]["x"]["sort"][:2] == ["Safe", "Effective"]
    scale = _colour_scale(cells)
    assert list(scale)[:4] == ["Outstanding", "Good", "Requires improvement", "Inadequate"]
    assert scale["Inadequate"] == "#DA291C"
    # dates read as everywhere else in a pack
    values = next(iter(spec["datasets"].values()))
    assert {row["published"] for row in values} == {"5 Mar 2024"}
    assert {row["key_question"] for row in values} == {"Well-led", "Safe"}


def test_staff_survey_draws_benchmark_range_average_tick_and_trust_dot():
    staff = pd.DataFrame(
        {
            "element": ["Staff engagement"],
            "score": [6.8],
            "benchmark_best": [7.2],
            "benchmark_average": [6.9],
            "benchmark_worst": [6.3],
        }
    )
    band, average, trust = _layers(charts.chart_staff_survey(staff).to_dict())
    assert _mark(band)["type"] == "bar"
    # ticks every half point with one decimal: labels cannot run into each other ("4.85.0")
    axis = band["encoding"]["x"]["axis"]
    assert axis["values"] == [6.0, 6.5, 7.0, 7.5] and axis["format"] == ".1f"
    assert band["encoding"]["x"]["field"] == "benchmark_worst"
    assert band["encoding"]["x2"]["field"] == "benchmark_best"
    assert _mark(average)["type"] == "tick"
    assert average["encoding"]["x"]["field"] == "benchmark_average"
    assert _mark(trust)["type"] == "point" and trust["encoding"]["x"]["field"] == "score"


def test_risk_bands_colour_extreme_red_and_low_green():
    counts = pd.DataFrame({"band": ["low", "extreme"], "open": [2, 1]})
    spec = charts.chart_risk_bands(counts).to_dict()
    scale = _colour_scale(spec)
    assert scale["Extreme"] == "#DA291C" and scale["Low"] == "#009639"
    assert spec["encoding"]["x"]["field"] == "open"


def test_count_axes_have_whole_number_ticks_only():
    # One open risk used to give the axis "0 1 1" (ticks at 0, 0.5, 1 shown as integers).
    counts = pd.DataFrame({"band": ["low", "extreme"], "open": [0, 1]})
    axis = charts.chart_risk_bands(counts).to_dict()["encoding"]["x"]["axis"]
    assert axis["values"] == [0, 1] and axis["format"] == "d"


def test_other_charts_encode_their_contract_columns():
    funding = pd.DataFrame(
        {
            "year": ["2024/25"],
            "stream": ["placement tariff"],
            "allocated": [1e6],
            "spent": [8e5],
            "utilisation_pct": [80.0],
        }
    )
    nets = pd.DataFrame({"year": ["2024"], "indicator": ["Overall"], "pct_positive": [87.0]})
    learners = pd.DataFrame(
        {"year": ["2024/25"], "profession_group": ["medical"], "headcount": [300], "fte": [280.5]}
    )
    fund = charts.chart_funding_utilisation(funding).to_dict()
    assert fund["facet"]["field"] == "stream"
    # streams differ by orders of magnitude: each panel has its own scale
    assert fund["resolve"]["scale"]["y"] == "independent"
    assert [layer["encoding"]["y"]["field"] for layer in fund["spec"]["layer"]][:2] == [
        "allocated",
        "spent",
    ]
    assert _layers(charts.chart_nets_trend(nets).to_dict())[0]["encoding"]["color"]["field"] == (
        "indicator"
    )
    fte = charts.chart_learners(learners, measure="fte").to_dict()
    assert fte["encoding"]["y"]["field"] == "fte"


def test_pack_renderer_gives_vegalite_json_its_static_svg_and_text():
    chart = charts.chart_spc(_spc_frame(), "Exception reports", "Reports")
    bundle = chart._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"}
    spec = bundle["application/vnd.vegalite.v5+json"]
    assert "$schema" not in spec
    assert bundle["text/plain"] == "Chart: Exception reports"
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<svg") and ">Exception reports</text>" in svg
    assert svg == static_charts.static_svg(spec)
    again = chart._repr_mimebundle_()
    again = again[0] if isinstance(again, tuple) else again
    text = json.dumps(spec, sort_keys=True)
    assert text == json.dumps(again["application/vnd.vegalite.v5+json"], sort_keys=True)
    assert again["image/svg+xml"] == svg
    assert "altair-viz" not in text and "http" not in text


def test_enable_pack_rendering_restores_theme_and_renderer():
    alt.theme.enable("default")
    alt.renderers.enable("default")
    charts.enable_pack_rendering()
    assert alt.theme.active == "nhs"
    assert alt.renderers.active == "qv"


def test_region_risks_stack_bands_per_trust_most_risks_first():
    frame = pd.DataFrame(
        {
            "trust_code": ["RHM", "RHM", "RN5", "RN5"],
            "short_name": ["University Hospital Southampton"] * 2 + ["Hampshire Hospitals"] * 2,
            "band": ["low", "extreme", "low", "extreme"],
            "open": [1, 2, 0, 1],
        }
    )
    spec = charts.chart_region_risks(frame, bands=["low", "moderate", "high", "extreme"]).to_dict()
    assert _mark(spec)["type"] == "bar"
    assert spec["encoding"]["y"]["field"] == "short_name"
    assert spec["encoding"]["y"]["sort"] == "-x"
    assert spec["encoding"]["x"]["field"] == "open" and spec["encoding"]["x"]["aggregate"] == "sum"
    scale = _colour_scale(spec)
    assert list(scale) == ["Low", "Moderate", "High", "Extreme"]
    assert scale["Extreme"] == "#DA291C" and scale["Low"] == "#009639"
    assert spec["encoding"]["order"]["field"] == "band_rank"
    assert spec["title"]["text"] == "Open risks by trust and band"


def test_region_nts_draws_red_and_green_side_by_side_in_frame_order():
    frame = pd.DataFrame(
        {
            "trust_code": ["RN5", "RN5", "RHM", "RHM"],
            "outcome": ["red", "green", "red", "green"],
            "results": [4, 1, 2, 0],
        }
    )
    spec = charts.chart_region_nts(frame).to_dict()
    assert spec["encoding"]["y"]["field"] == "trust_code"
    assert spec["encoding"]["y"]["sort"] is None
    assert spec["encoding"]["yOffset"]["field"] == "outcome"
    assert _colour_scale(spec) == {"Red": "#DA291C", "Green": "#009639"}
    with pytest.raises(KeyError, match="results"):
        charts.chart_region_nts(frame.drop(columns="results"))


# --------------------------------------------------------------------------- national items


def _values(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def test_nts_outcome_counts_stack_outcomes_red_first_in_gmc_colours():
    counts = pd.DataFrame({"year": [2024, 2025], **{o: [0, 0] for o in NTS_OUTCOMES}}).assign(
        red=[3, 14], white=[200, 119], green=[11, 10], total=[214, 143]
    )
    spec = charts.chart_nts_outcome_counts(counts, title="NTS outcomes by year").to_dict()
    assert _mark(spec)["type"] == "bar"
    assert spec["encoding"]["order"]["field"] == "rank"
    scale = _colour_scale(spec)
    assert list(scale) == ["Red", "White", "Green"]  # outcomes with no result left out
    assert scale["Red"] == "#DA291C" and scale["Green"] == "#009639"
    rows = _values(spec)
    assert {(r["year"], r["outcome"], r["results"]) for r in rows} >= {("2025", "Red", 14)}
    assert all(r["results"] > 0 for r in rows)
    empty = counts.iloc[0:0]
    assert "no NTS results" in str(charts.chart_nts_outcome_counts(empty))


def test_website_ratings_draw_one_line_per_site_over_months():
    trend = pd.DataFrame(
        {
            "site_name": ["General", "General", "Annexe"],
            "period": ["2024-03", "2025-03", "2025-03"],
            "stars": [3.9, 4.0, 4.2],
            "ratings": [144, 133, 40],
        }
    )
    spec = charts.chart_website_ratings(trend).to_dict()
    line, points = _layers(spec)
    assert _mark(line)["type"] == "line" and _mark(points)["type"] == "point"
    assert line["encoding"]["color"]["field"] == "site_name"
    assert line["encoding"]["y"]["scale"]["domain"][1] == 5
    assert {r["month"] for r in _values(spec)} == {"Mar 2024", "Mar 2025"}
    none = trend.assign(stars=np.nan)
    assert "no ratings" in str(charts.chart_website_ratings(none))


def test_cqc_services_grid_outlines_hotspot_services():
    services = pd.DataFrame(
        {
            "location_name": ["General", "General"],
            "service_group": ["Surgery", "Maternity"],
            "key_question": ["overall", "overall"],
            "rating": ["good", "requires improvement"],
            "publication_date": pd.to_datetime(["2017-02-21", "2021-02-25"]),
            "age_months": [103, 55],
            "hotspots": ["General Surgery", ""],
        }
    )
    spec = charts.chart_cqc_services(services).to_dict()
    cells, labels = _layers(spec)
    assert _mark(cells)["type"] == "rect" and _mark(labels)["type"] == "text"
    assert cells["encoding"]["stroke"]["condition"]["test"] == "datum.hotspot"
    assert cells["encoding"]["y"]["sort"] == ["Surgery · General", "Maternity · General"]
    rows = {r["row"]: r for r in _values(spec)}
    assert rows["Surgery · General"]["hotspot"] is True
    assert rows["Surgery · General"]["age"] == "8 years 7 months"
    assert "hotspot" in spec["title"]["subtitle"]
    quiet = charts.chart_cqc_services(services.assign(hotspots="")).to_dict()
    assert "subtitle" not in quiet["title"]


def test_staff_survey_trend_has_a_panel_per_element_and_its_sub_scores():
    trend = pd.DataFrame(
        {
            "year": [2023, 2024, 2023, 2024],
            "element": ["Morale"] * 4,
            "sub_score": [None, None, "Stressors", "Stressors"],
            "score": [5.9, 6.1, 6.2, np.nan],
            "benchmark_average": [5.8, 5.95, 6.0, 6.3],
        }
    )
    spec = charts.chart_staff_survey_trend(trend).to_dict()
    assert spec["facet"]["field"] == "element"
    rows = _values(spec)
    assert {r["series"] for r in rows} == {"Element score", "Sub-score", "Benchmark group average"}
    averages = [r["score"] for r in rows if r["series"] == "Benchmark group average"]
    assert averages == [5.8, 5.95]  # the element's benchmark, once per year
    assert any(r["score"] is None for r in rows)  # a suppressed score is a gap, not a zero
    line = spec["spec"]["layer"][0]
    assert line["encoding"]["detail"]["field"] == "name"


def test_against_region_draws_range_median_trust_and_england():
    rows = pd.DataFrame(
        {
            "measure": ["Staff survey: Morale"],
            "item": ["Morale"],
            "value": [6.1],
            "region_min": [5.4],
            "region_median": [6.0],
            "region_max": [6.5],
            "region_trusts": [11],
            "england": [5.95],
        }
    )
    spec = charts.chart_against_region(rows, title="Against the region", x_title="Score").to_dict()
    band, median, trust, england = _layers(spec)
    assert band["encoding"]["x"]["field"] == "region_min"
    assert band["encoding"]["x2"]["field"] == "region_max"
    assert median["encoding"]["x"]["field"] == "region_median"
    assert trust["encoding"]["x"]["field"] == "value"
    assert england["encoding"]["x"]["field"] == "england" and _mark(england)["shape"] == "diamond"
    assert trust["encoding"]["y"]["field"] == "item"
    no_england = charts.chart_against_region(
        rows.drop(columns="england"), title="t", x_title="x"
    ).to_dict()
    assert len(_layers(no_england)) == 3
    blank = rows.assign(value=np.nan, region_median=np.nan)
    assert "no figures" in str(charts.chart_against_region(blank, title="t", x_title="x"))
