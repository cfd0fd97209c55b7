"""National items of a review: their depth, their as-at cut, and the region they are set against.

The region's figures a trust's review shows are checked against the trusts' own reviews (the
region overview's trusts): the median of the region's NTS red counts is the median of each
trust's own count, and so on, so that every output tells the same truth.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd
import pytest

from qvlib import display, metrics
from qvlib.overview import open_overview
from qvlib.reviews import open_review

DATA = "data/sample"
AS_AT = "2025-10-14"


@pytest.fixture(scope="module")
def rhm():
    return open_review("RHM", "2025/26", DATA, AS_AT)


@cache
def _overview(year: str, as_at: str):
    return open_overview(DATA, year, as_at)


def test_website_ratings_by_site_name_with_every_month_known(rhm):
    trend = rhm.website_ratings_trend
    assert set(trend["site_name"]) == {"Southampton General Hospital", "Princess Anne Hospital"}
    # Ratings are published at the end of their month: March 2026 is not known in Oct 2025.
    assert trend["period"].max() == "2025-03"
    assert trend.groupby("site_name").size().min() == 3
    latest = rhm.website_ratings.set_index("site_name")
    for name, rows in trend.groupby("site_name"):
        assert latest.at[name, "period"] == rows["period"].max()
        assert latest.at[name, "previous_period"] == rows["period"].iloc[-2]
        shown = display.as_shown(rows["stars"].iloc[-1], "number")
        before = display.as_shown(rows["stars"].iloc[-2], "number")
        assert latest.at[name, "change"] == pytest.approx(shown - before)


def test_cqc_services_are_those_published_by_the_as_at_date_with_their_age(rhm):
    services = rhm.cqc_services
    assert (services["publication_date"] <= pd.Timestamp(AS_AT)).all()
    # RHM's trust-level rating is published in Jan 2026: not yet, so no provider row.
    assert (services["level"] == "location").all()
    assert rhm.cqc_notes and "no rating of the trust as a whole" in rhm.cqc_notes[0]
    ages = metrics.months_between(services["publication_date"], pd.Timestamp(AS_AT))
    assert (services["age_months"].to_numpy() == ages.to_numpy()).all()
    assert (services["age_months"] >= 0).all()
    later = open_review("RHM", "2025/26", DATA, "2026-02-01")
    assert (later.cqc_services["level"] == "provider").any() and later.cqc_notes == []


def test_hotspot_specialties_are_matched_to_cqc_services_through_the_settings(rhm):
    mapping = rhm.region.national.cqc_service_groups
    hot = rhm.cqc_services[rhm.cqc_services["hotspots"] != ""]
    assert len(hot)
    spots = set(zip(rhm.hotspots["site"], rhm.hotspots["specialty"], strict=True))
    for row in hot.itertuples():
        for specialty in row.hotspots.split("; "):
            assert (row.location_name, specialty) in spots
            assert row.service_group in mapping[specialty]
    # Every hotspot whose mapped service the CQC rated at its site is highlighted somewhere.
    table = rhm.hotspot_cqc
    assert len(table) == len(rhm.hotspots)
    for row in table[table["rating"].notna()].itertuples():
        marked = hot[hot["location_name"] == row.site]
        assert marked["hotspots"].str.contains(row.specialty, regex=False).any()
    unmapped = table[~table["specialty"].isin(mapping)]
    assert unmapped["service_group"].isna().all() and unmapped["rating"].isna().all()


def test_cqc_ratings_table_has_one_row_per_location_and_service(rhm):
    table = rhm.cqc_ratings_table
    long = rhm.cqc_services
    assert len(table) == len(long.drop_duplicates(["location_id", "service_group"]))
    overall = long[long["key_question"] == "overall"].set_index(["location_id", "service_group"])
    for row in table.itertuples():
        assert row.overall == overall.at[(row.location_id, row.service_group), "rating"]


def test_staff_survey_trend_has_every_year_published_and_the_sub_scores(rhm):
    trend = rhm.staff_survey_trend
    assert sorted(trend["year"].unique()) == [2022, 2023, 2024]  # 2025 results: March 2026
    assert trend["sub_score"].notna().any()
    raw = rhm.known_table("staff_survey")
    assert len(trend) == len(raw)
    changes = rhm.staff_survey_changes
    assert len(changes) == len(trend[trend["year"] == rhm.staff_survey_year])
    row = changes[changes["sub_score"] == "Burnout"].iloc[0]
    before = trend[(trend["year"] == 2023) & (trend["sub_score"] == "Burnout")]["score"].iloc[0]
    assert row["previous"] == before
    assert row["change"] == pytest.approx(round(row["score"] - before, 2))


def test_guardian_chart_counts_every_report_of_each_known_quarter(rhm):
    spc = rhm.guardian_spc
    known = rhm.known_table("exception_reports")
    totals = known.groupby("quarter")[["hours_reports", "education_reports", "safety_reports"]]
    expected = totals.sum().sum(axis=1)
    assert list(spc["x"]) == list(expected.index)
    assert (spc["y"].to_numpy() == expected.to_numpy()).all()
    assert spc["x"].iloc[-1] == "2025/26 Q2"  # Q3 ends in December: not known in October
    summary = rhm.guardian_spc_summary.iloc[0]
    assert summary["quarters"] == len(spc) == 14
    assert summary["latest_reports"] == spc["y"].iloc[-1]
    assert set(spc["point_type"]) <= {"common_cause", "special_cause_neutral"}  # neutral


@pytest.mark.parametrize(
    "code, year, as_at",
    [("RHM", "2025/26", AS_AT), ("R0D", "2024/25", "2024-12-31"), ("RW1", "2025/26", "2026-01-15")],
)
def test_the_region_a_trust_is_set_against_is_the_trusts_own_figures(code, year, as_at):
    review = open_review(code, year, DATA, as_at)
    overview = _overview(year, as_at)
    comparison = review.region_comparison.set_index("measure")

    # NTS: the median and range of every trust's own red and green counts that year.
    if review.survey_year is not None and len(review.nts_latest):
        counts = overview.nts_counts
        counts = counts[counts["total"] > 0]
        for outcome in ("red", "green"):
            row = comparison.loc[f"NTS {outcome} outcomes"]
            assert row["value"] == review.values[f"nts.{outcome}"].value
            assert row["region_median"] == counts[outcome].median()
            assert (row["region_min"], row["region_max"]) == (
                counts[outcome].min(),
                counts[outcome].max(),
            )
            assert row["region_trusts"] == len(counts)

    # FFT: each setting's latest month, against every trust's figure of the same month.
    for setting, series in review.fft.groupby("setting"):
        last = series.sort_values("period").iloc[-1]
        row = comparison.loc[f"FFT % positive: {display.label('fft_setting', setting)}"]
        figures = []
        for other in overview.reviews.values():
            fft = other.fft
            hit = fft[(fft["setting"] == setting) & (fft["period"] == last["period"])]
            figures += list(hit["pct_positive"].dropna())
        assert row["region_trusts"] == len(figures)
        assert row["region_median"] == pytest.approx(pd.Series(figures).median())

    # Staff survey: every trust's score of the same element and year; England is the trust's
    # benchmark group average.
    staff = overview.staff_survey
    for element in review.staff_survey_latest["element"]:
        row = comparison.loc[f"Staff survey: {element}"]
        scores = staff[(staff["element"] == element)]["score"].dropna()
        assert row["region_median"] == pytest.approx(scores.median())
        assert row["region_trusts"] == len(scores)
        own = review.staff_survey_latest.set_index("element").loc[element]
        assert row["england"] == own["benchmark_average"]

    # CQC: the trusts' own overall ratings at the as-at date.
    ratings = overview.cqc["overall"].astype(object)
    counts = ratings.fillna("none").value_counts()
    shown = review.cqc_region.set_index("rating")["trusts"]
    for rating in ("outstanding", "good", "requires improvement", "inadequate", "none"):
        assert shown[rating] == counts.get(rating, 0), rating
    row = comparison.loc["CQC overall rating"]
    own = review.cqc.set_index("key_question").at["overall", "rating"]
    assert row["value"] == (own if isinstance(own, str) else None)


def test_the_region_is_as_at_the_date_too():
    early = open_review("RHM", "2022/23", DATA, "2022-10-01")
    nts = early.against_region("nts")
    assert set(nts["period"]) == {"NTS 2022"}
    # The sample's first staff survey (2022) is published in March 2023.
    assert early.staff_survey_year is None and early.against_region("staff_survey").empty
    fft = early.against_region("fft")
    assert all(dt.datetime.strptime(p, "%b %Y") <= dt.datetime(2022, 10, 1) for p in fft["period"])


def test_no_local_figure_of_another_trust_is_compared(rhm):
    assert set(rhm.region_comparison["source"]) <= {"nts", "fft", "staff_survey", "cqc"}
    with pytest.raises(Exception, match="source must be one of"):
        rhm.against_region("risks")
