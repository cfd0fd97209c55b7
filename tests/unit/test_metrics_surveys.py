"""Tests for qvlib.metrics.surveys: NTS outcomes, NETS % positive, year-on-year, persistent reds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from frames import nts_row

from qvlib.config import load_region
from qvlib.metrics import surveys as sv

REGION = load_region()
NAN = np.nan


def _row(score, ci_lower, ci_upper, *, n=20, **fields):
    # Benchmark for every row: Q1 70, Q3 80, mean 75 with CI 74-76.
    return nts_row(
        score=score, ci_lower=ci_lower, ci_upper=ci_upper, n=n, programme_group="Surgery", **fields
    )


def test_nts_outcome_follows_the_gmc_rule():
    rows = pd.DataFrame(
        [
            _row(60, 55, 65),  # below Q1, CI clear below 74: red
            _row(68, 60, 74),  # below Q1, CI touches the benchmark CI: pink
            _row(70, 60, 80),  # exactly Q1: white
            _row(80, 70, 90),  # exactly Q3: white
            _row(82, 75, 89),  # above Q3, CI overlaps 74-76: light green
            _row(85, 80, 90),  # above Q3, CI clear above 76: green
            _row(85, 80, 90, n=2),  # fewer than 3 respondents
            _row(NAN, NAN, NAN, n=0),
            _row(85, 80, 90, n=3),  # 3 is enough
        ]
    )
    out = sv.calc_nts_outcome(rows, REGION)
    assert out["outcome_computed"].tolist() == [
        "red",
        "pink",
        "white",
        "white",
        "light green",
        "green",
        "not reported",
        "no result",
        "green",
    ]


def test_minimum_respondents_are_the_nts_suppression_threshold():
    nts_rule = REGION.suppression.nts.model_copy(update={"threshold": 5})
    region = REGION.model_copy(
        update={"suppression": REGION.suppression.model_copy(update={"nts": nts_rule})}
    )
    out = sv.calc_nts_outcome(pd.DataFrame([_row(85, 80, 90, n=3)]), region)
    assert out["outcome_computed"].tolist() == ["not reported"]


def test_published_outcome_wins_and_a_difference_is_flagged():
    rows = pd.DataFrame(
        [
            _row(60, 55, 65, outcome="pink"),
            _row(60, 55, 65, outcome="red"),
            _row(60, 55, 65),
            _row(60, 55, 65, survey="NETS"),
        ]
    )
    out = sv.calc_nts_outcome(rows, REGION)
    assert len(out) == 3  # NTS rows only
    assert out["outcome_final"].tolist() == ["pink", "red", "red"]
    assert out["outcome_mismatch"].tolist() == [True, False, False]


def test_nets_positive_is_respondent_weighted_and_suppressed_below_threshold():
    rows = pd.DataFrame(
        [
            _row(80, NAN, NAN, n=10, survey="NETS", indicator="Supervision", site="A"),
            _row(60, NAN, NAN, n=30, survey="NETS", indicator="Supervision", site="B"),
            _row(NAN, NAN, NAN, n=4, survey="NETS", indicator="Supervision", site="C"),
            _row(90, NAN, NAN, n=2, survey="NETS", indicator="Induction"),
            _row(50, NAN, NAN, n=50, survey="NTS", indicator="Supervision"),
        ]
    )
    out = sv.calc_nets_positive(rows, REGION).set_index("indicator")
    assert out.loc["Supervision", "pct_positive"] == (80 * 10 + 60 * 30) / 40  # 65
    assert out.loc["Supervision", "n"] == 40
    assert out.loc["Induction", "suppressed"]
    assert np.isnan(out.loc["Induction", "pct_positive"])
    strict = REGION.model_copy(
        update={
            "suppression": REGION.suppression.model_copy(
                update={"nets": REGION.suppression.nets.model_copy(update={"threshold": 41})}
            )
        }
    )
    assert sv.calc_nets_positive(rows, strict)["suppressed"].all()


def test_year_on_year_compares_with_exactly_the_year_before():
    frame = pd.DataFrame(
        {
            "indicator": ["A", "A", "A", "B"],
            "year": [2023, 2024, 2026, 2024],
            "score": [50.0, 60.0, 70.0, 10.0],
        }
    )
    out = sv.calc_year_on_year(frame, ["indicator"], "score")
    assert out["year"].tolist() == [2023, 2024, 2026, 2024]
    assert out["change"].tolist()[1] == 10.0
    assert out["change_pct"].tolist()[1] == 20.0
    assert out["previous"].isna().tolist() == [True, False, True, True]  # 2025 missing for 2026


def test_year_on_year_understands_financial_years():
    frame = pd.DataFrame({"k": ["x", "x"], "year": ["2024/25", "2025/26"], "v": [200.0, 150.0]})
    out = sv.calc_year_on_year(frame, ["k"], "v")
    assert out["change"].tolist()[1] == -50.0
    assert out["change_pct"].tolist()[1] == -25.0


def _outcomes(spec: dict[tuple[str, str], dict[int, str]]) -> pd.DataFrame:
    rows = []
    for (specialty, indicator), by_year in spec.items():
        for year, outcome in by_year.items():
            rows.append(
                _row(
                    60, 55, 65, outcome=outcome, year=year, specialty=specialty, indicator=indicator
                )
            )
    return sv.calc_nts_outcome(pd.DataFrame(rows), REGION)


def test_persistent_reds_are_red_in_consecutive_survey_years():
    nts = _outcomes(
        {
            ("Surgery", "Workload"): {2023: "red", 2024: "red", 2025: "red"},
            ("Medicine", "Workload"): {2023: "red", 2024: "pink", 2025: "red"},
            ("Paediatrics", "Induction"): {2022: "red", 2023: "red", 2024: "white"},
        }
    )
    out = sv.calc_persistent_reds(nts, REGION).set_index("specialty")
    assert sorted(out.index) == ["Paediatrics", "Surgery"]
    assert out.loc["Surgery", ["first_year", "last_year", "years_red"]].tolist() == [2023, 2025, 3]
    assert out.loc["Surgery", "current"]
    assert not out.loc["Paediatrics", "current"]  # 2022-23 run ended before the latest year
    region = REGION.model_copy(
        update={"hotspots": REGION.hotspots.model_copy(update={"consecutive_red_years": 3})}
    )
    assert sv.calc_persistent_reds(nts, region)["specialty"].tolist() == ["Surgery"]


def test_a_year_the_survey_did_not_run_does_not_break_a_run():
    nts = _outcomes({("Surgery", "Workload"): {2019: "red", 2021: "red"}})
    out = sv.calc_persistent_reds(nts, REGION)
    assert out["years_red"].tolist() == [2]


def test_outcome_counts_list_every_outcome_in_order_with_zeros():
    nts = _outcomes(
        {
            ("Surgery", "Workload"): {2024: "red", 2025: "red"},
            ("Surgery", "Induction"): {2025: "green"},
            ("Medicine", "Induction"): {2025: "red"},
        }
    )
    counts = sv.calc_outcome_counts(nts)
    assert list(counts.columns) == [
        "trust_code",
        "year",
        "red",
        "pink",
        "white",
        "light green",
        "green",
        "not reported",
        "no result",
        "total",
    ]
    latest = counts[counts["year"] == 2025].iloc[0]
    assert (latest["red"], latest["green"], latest["pink"], latest["total"]) == (2, 1, 0, 3)
    assert counts["year"].tolist() == [2024, 2025]


def test_no_reds_gives_an_empty_typed_frame():
    nts = _outcomes({("Surgery", "Workload"): {2024: "white", 2025: "green"}})
    out = sv.calc_persistent_reds(nts, REGION)
    assert out.empty
    assert out["current"].dtype == bool
    assert out[out["current"]].columns.tolist() == out.columns.tolist()
