"""Suppression in the review whatever the input says, and policy that lives in settings.

The sample data arrives pre-suppressed; real extracts do not.  These tests feed the review
results built from 1-2 respondents with real scores, Friends and Family Test months of 1-4
responses and staff survey results from fewer than 11 people, and check that no figure built
from them reaches a table, chart, headline or value.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from qvlib import charts
from qvlib.config import UtilisationBand, load_region
from qvlib.datasets import Dataset
from qvlib.reviews import TrustReview, load_cached

AS_AT = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return load_cached("data/sample")


def _review(sample: Dataset, region=None, **tables: pd.DataFrame) -> TrustReview:
    data = Dataset(sample.root, dict(sample.meta), {**sample.tables, **tables})
    return TrustReview(data.trust("RHM"), region or load_region(), "2025/26", AS_AT)


def test_nts_results_from_one_or_two_respondents_are_never_shown(sample):
    surveys = sample.survey_results.copy()
    raw = surveys[(surveys["trust_code"] == "RHM") & (surveys["survey"] == "NTS")]
    raw = raw[raw["year"] == 2025].head(4).copy()
    raw["n"] = [1, 2, 1, 2]
    raw["score"] = [41.5, 38.0, 44.2, 39.9]  # real scores, as an unsuppressed extract has
    raw["outcome"] = "red"  # and a published outcome
    raw["indicator"] = raw["indicator"] + " (raw)"
    review = _review(sample, survey_results=pd.concat([surveys, raw], ignore_index=True))
    shown = review.nts_latest[review.nts_latest["indicator"].str.endswith("(raw)")]
    assert len(shown) == 4
    assert shown["score"].isna().all() and shown["n"].isna().all()
    assert shown[["ci_lower", "ci_upper"]].isna().all().all()
    assert (shown["outcome_final"] == "not reported").all() and shown["suppressed"].all()
    assert review.values["nts.red"].value == (review.nts_latest["outcome_final"] == "red").sum()
    spec = charts.chart_nts_heatmap(review.nts_latest).to_dict()
    rows = [r for r in next(iter(spec["datasets"].values())) if r["indicator"].endswith("(raw)")]
    assert rows and all(r["score"] is None and r["n"] is None for r in rows)


def test_fft_months_of_one_to_four_responses_are_suppressed(sample):
    fft = sample.fft.copy()
    month = (fft["org_code"] == "RHM") & (fft["period"] == "2025-10") & (fft["setting"] == "a&e")
    fft.loc[month, ["very_good", "good", "neither", "poor", "very_poor", "dont_know"]] = [
        2,
        1,
        0,
        0,
        0,
        0,
    ]
    fft.loc[month, "total_responses"] = 3
    review = _review(sample, fft=fft)
    row = review.fft.query("period == '2025-10' and setting == 'a&e'").iloc[0]
    assert row["suppressed"] and np.isnan(row["pct_positive"])
    assert np.isnan(row["total_responses"])
    spc = review.fft_spc["a&e"]
    assert spc.loc[spc["x"] == pd.Timestamp("2025-10-01"), "y"].isna().all()


def test_staff_survey_results_from_fewer_than_eleven_are_suppressed(sample):
    staff = sample.staff_survey.copy()
    own = (staff["org_code"] == "RHM") & (staff["year"] == 2025) & staff["sub_score"].isna()
    first = staff[own].index[0]
    staff.loc[first, "responses"] = 9
    staff.loc[first, "score"] = 1.0  # far below the benchmark: it would be a headline
    review = _review(sample, staff_survey=staff)
    element = staff.loc[first, "element"]
    row = review.staff_survey_latest.set_index("element").loc[element]
    assert row["suppressed"] and np.isnan(row["score"]) and pd.isna(row["position"])
    assert not any(element in f.text for f in review.findings)
    assert (
        review.values["staff_survey.elements"].value
        == (~review.staff_survey_latest["suppressed"]).sum()
    )


def _region_with(sample, **headlines):
    region = load_region()
    return region.model_copy(update={"headlines": region.headlines.model_copy(update=headlines)})


def test_cqc_severity_is_a_setting(sample):
    region = _region_with(
        sample, cqc_severity={**_region_with(sample).headlines.cqc_severity, "good": "watch"}
    )
    review = _review(sample, region)
    overall = next(f for f in review.findings if f.key == "cqc.overall")
    assert overall.severity == "watch" and "CQC overall rating: Good" in overall.text


def test_funding_utilisation_severity_follows_the_configured_bands(sample):
    review = _review(sample)
    pct = review.values["funding.utilisation"].value  # 95.5% in the sample
    assert next(f for f in review.findings if f.key == "funding.utilisation").severity == (
        "positive"
    )
    bands = [
        {"min": 99, "max": 101, "severity": "positive"},
        {"min": 90, "max": 110, "severity": "watch"},
        {"min": 0, "max": 1000, "severity": "concern"},
    ]
    tight = _region_with(sample, funding_utilisation=[UtilisationBand(**b) for b in bands])
    assert 90 <= pct <= 99
    again = _review(sample, tight)
    assert next(f for f in again.findings if f.key == "funding.utilisation").severity == "watch"


def test_smallest_staff_survey_gap_and_headline_size_are_settings(sample):
    review = _review(sample)
    wide = _region_with(sample, staff_survey_min_gap=5.0, min_count=2)
    again = _review(sample, wide)
    assert not any(
        f.key.startswith("staff_survey.") and f.key != "staff_survey.above" for f in again.findings
    )
    single = [f for f in review.findings if len(f.rows) == 1]
    assert single  # e.g. one open risk past its review date
    kept = {f.key for f in again.findings}
    assert not any(f.key in kept for f in single if not f.rows.empty)
