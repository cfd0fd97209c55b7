"""Region benchmarks: each public figure's median and range across the region, aggregates only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import cqc_frame, nts_row, staff_frame

from qvlib.config import load_region
from qvlib.metrics import benchmarks as bm

REGION = load_region()
ANSWERS = ["very_good", "good", "neither", "poor", "very_poor", "dont_know"]


def _tables() -> dict[str, pd.DataFrame]:
    """Three region trusts and one outside it (RTH), with figures worked out by hand below."""
    trusts = pd.DataFrame({"trust_code": ["AAA", "BBB", "CCC"]})
    # NTS 2025: AAA 2 reds (score 60 clear below), BBB 1 red and 1 with 2 respondents (not
    # reported), CCC none; 2024: AAA only.
    surveys = pd.DataFrame(
        [
            nts_row(trust_code="AAA", indicator="Workload"),
            nts_row(trust_code="AAA", indicator="Handover"),
            nts_row(trust_code="BBB", indicator="Workload"),
            nts_row(trust_code="BBB", indicator="Handover", n=2),
            nts_row(trust_code="AAA", indicator="Workload", year=2024),
            nts_row(trust_code="RTH", indicator="Workload"),
        ]
    )
    fft = pd.DataFrame(
        [
            (org, "2025-06", "inpatient", *answers, total, np.nan)
            for org, answers, total in (
                ("AAA", (80, 10, 5, 3, 1, 1), 100),  # 90%
                ("BBB", (60, 10, 20, 5, 3, 2), 100),  # 70%
                ("CCC", (1, 1, 0, 0, 0, 0), 2),  # suppressed: fewer than 5 responses
                ("RTH", (10, 0, 0, 0, 0, 0), 10),  # outside the region
            )
        ],
        columns=["org_code", "period", "setting", *ANSWERS, "total_responses", "eligible"],
    )
    staff = pd.concat(
        [
            staff_frame([("Morale", None, score, 7.0, 6.0, 5.0, 500)], org_code=org)
            for org, score in (("AAA", 5.5), ("BBB", 6.5), ("CCC", 7.5))
        ],
        ignore_index=True,
    )
    cqc = cqc_frame(
        [
            ("AAA", "", "A", "Overall", "overall", "good", "2020-01-01"),
            ("BBB", "", "B", "Overall", "overall", "inadequate", "2022-01-01"),
        ]
    )
    return {
        "trusts": trusts,
        "survey_results": surveys,
        "fft": fft,
        "staff_survey": staff,
        "cqc_ratings": cqc,
    }


@pytest.fixture(scope="module")
def benchmarks():
    return bm.calc_region_benchmarks(_tables(), REGION)


def test_nts_counts_per_trust_with_results_that_year(benchmarks):
    red = benchmarks.lookup("nts.red", "", "2025")
    assert (red["median"], red["min"], red["max"], red["trusts"]) == (1.5, 1, 2, 2)
    assert benchmarks.lookup("nts.red", "", "2024")["trusts"] == 1
    assert benchmarks.lookup("nts.green", "", "2025")["max"] == 0


def test_fft_leaves_out_suppressed_figures_and_organisations_outside_the_region(benchmarks):
    row = benchmarks.lookup("fft.pct_positive", "inpatient", "2025-06")
    assert row["trusts"] == 2
    assert (row["median"], row["min"], row["max"]) == (80.0, 70.0, 90.0)


def test_staff_survey_scores_per_element_and_year(benchmarks):
    row = benchmarks.lookup("staff_survey.score", "Morale", "2024")
    assert (row["median"], row["min"], row["max"], row["trusts"]) == (6.5, 5.5, 7.5, 3)
    assert benchmarks.lookup("staff_survey.score", "Morale", "2023") is None


def test_cqc_counts_follow_publication_dates(benchmarks):
    before = benchmarks.cqc_counts_at("2019-12-31")
    assert before["none"] == 3 and before.sum() == 3
    then = benchmarks.cqc_counts_at("2021-06-30")
    assert (then["good"], then["inadequate"], then["none"]) == (1, 0, 2)
    now = benchmarks.cqc_counts_at("2025-10-14")
    assert (now["good"], now["inadequate"], now["none"]) == (1, 1, 1)


def test_benchmarks_hold_no_trust_code(benchmarks):
    assert "trust_code" not in benchmarks.figures.columns
    assert list(benchmarks.cqc_overall.columns)[0] == "date"
    assert benchmarks.trusts == 3


def test_the_fingerprint_changes_with_any_figure():
    first = bm.calc_region_benchmarks(_tables(), REGION)
    assert bm.calc_region_benchmarks(_tables(), REGION).fingerprint() == first.fingerprint()
    tables = _tables()
    tables["staff_survey"].loc[0, "score"] = 5.6
    assert bm.calc_region_benchmarks(tables, REGION).fingerprint() != first.fingerprint()
    tables = _tables()
    tables["cqc_ratings"].loc[1, "rating"] = "good"
    assert bm.calc_region_benchmarks(tables, REGION).fingerprint() != first.fingerprint()


def test_no_figures_gives_empty_frames():
    tables = {name: frame.iloc[0:0] for name, frame in _tables().items()}
    tables["trusts"] = _tables()["trusts"]
    empty = bm.calc_region_benchmarks(tables, REGION)
    assert empty.figures.empty and list(empty.figures.columns) == bm.BENCHMARK_COLUMNS
    assert empty.lookup("nts.red", "", "2025") is None
    assert empty.cqc_counts_at("2025-01-01")["none"] == 3
