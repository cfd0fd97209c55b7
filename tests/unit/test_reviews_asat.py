"""One review, as at a date: every output tells the same truth, and nothing from after the date.

The consistency test checks, for several trusts and as-at dates (one in a past year), that each
headline figure shown by more than one output (dashboard and annual pack headlines, the region
overview, the CQC bundle's extracts, the review's tables) is the same everywhere.  The property
test draws as-at dates across the sample data's period and checks that no date, survey year or
publication a review shows is later than the date (due dates of open actions and commitments
excepted).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qvlib import display
from qvlib.cqc import cqc_extracts, cqc_request
from qvlib.errors import QvError
from qvlib.findings import value_key
from qvlib.metrics import asat
from qvlib.metrics._util import fy_bounds, fy_of
from qvlib.overview import open_overview
from qvlib.reviews import open_review

DATA = "data/sample"
CASES = [
    ("RHM", "2025/26", "2025-10-14"),  # mid-year, a meeting in October
    ("RHM", "2023/24", None),  # a past year, as at its end
    ("R0D", "2024/25", "2024-12-31"),
    ("RHU", "2025/26", None),
    ("RYE", "2025/26", "2026-01-15"),  # an ambulance trust: no NTS, no doctors in training
]


@cache
def _overview(year: str, as_at: str | None):
    return open_overview(DATA, year, as_at)


def _finding(review, key: str):
    return next((f for f in review.findings if f.key == key), None)


@pytest.mark.parametrize("code, year, as_at", CASES)
def test_each_headline_figure_is_the_same_in_every_output(code, year, as_at):
    review = open_review(code, year, DATA, as_at)
    overview = _overview(year, as_at)
    assert overview.as_at == review.as_at
    v = {name: value.value for name, value in review.values.items()}
    row = overview.table.set_index("trust_code").loc[code]
    extracts = cqc_extracts(review, cqc_request(review))

    # Open risks by band: review table, values, findings, overview, CQC extract.
    bands = review.risk_counts.set_index("band")["open"]
    for band in review.region.risk.band_names():
        shown = v[f"open_risks.{value_key(band)}"]
        assert shown == bands[band] == row[f"open_{band}"]
    assert v["open_risks.total"] == len(review.open_risks) == row["open_risks"]
    assert len(extracts["open_risks"]) == v["open_risks.total"]
    found = _finding(review, "risks.open")
    if v["open_risks.total"]:
        assert found.text.startswith(display.plural(v["open_risks.total"], "open risk"))
        for band in review.region.risk.band_names():
            if bands[band]:
                assert f"{bands[band]} {band}" in found.text

    # Hotspots.
    assert v["hotspots.count"] == len(review.hotspots) == row["hotspots"]
    assert len(overview.hotspots.query("trust_code == @code")) == v["hotspots.count"]
    if v["hotspots.count"]:
        assert _finding(review, "hotspots").text.startswith(
            display.plural(v["hotspots.count"], "hotspot")
        )

    # NTS outcome counts of the latest survey published.
    assert overview.survey_year == review.survey_year == v["nts.year"]
    counts = overview.nts_counts.set_index("trust_code").loc[code]
    for outcome in ("red", "pink", "white", "light green", "green", "not reported", "no result"):
        assert counts[outcome] == v[f"nts.{value_key(outcome)}"]
    assert counts["total"] == v["nts.total"] == len(review.nts_latest)
    if v["nts.total"]:
        yearly = review.outcome_counts.set_index("year").loc[review.survey_year]
        assert yearly["red"] == v["nts.red"] and yearly["total"] == v["nts.total"]
        assert (
            f"NTS {review.survey_year}: {v['nts.red']} red" in _finding(review, "nts.latest").text
        )
        assert row["nts_red"] == v["nts.red"]
    else:
        assert pd.isna(row["nts_red"])

    # Overdue actions.
    overdue = review.open_actions["overdue"].sum()
    assert v["actions.overdue"] == overdue == row["overdue_actions"]
    # The CQC bundle without a request covers the review year to the as-at date: the overdue
    # actions of visits held in it; asked for open actions from earlier visits too, all of them.
    start = pd.Timestamp(review.period[0])
    held_in_period = pd.to_datetime(review.open_actions["visit_date"]) >= start
    assert (
        extracts["visit_actions"]["overdue"].sum()
        == (review.open_actions["overdue"] & held_in_period).sum()
    )
    everything = cqc_extracts(review, cqc_request(review, open_actions=True))
    assert everything["visit_actions"]["overdue"].sum() == overdue
    by_kind = sum(
        int(re.match(r"\d+", f.text).group(0))
        for f in review.findings
        if f.key.startswith("actions.") and f.key.endswith("_overdue")
    )
    assert by_kind == overdue

    # Funding utilisation of the latest year reported.
    assert review.funding_year == overview.funding_year
    if v["funding.utilisation"] is not None:
        assert row["funding_utilisation_pct"] == pytest.approx(v["funding.utilisation"])
        text = _finding(review, "funding.utilisation").text
        assert display.fmt_pct(v["funding.utilisation"]) in text
        assert review.funding_year in text

    # Staff survey elements below the benchmark average.
    below = sum(
        1
        for f in review.findings
        if f.key.startswith("staff_survey.") and f.key != "staff_survey.above"
    )
    assert below == v["staff_survey.below_average"] == row["staff_below_average"] or (
        v["staff_survey.elements"] == 0 and pd.isna(row["staff_below_average"])
    )


def test_the_same_review_gives_the_same_headlines_in_the_dashboard_and_annual_pack():
    # Both packs show review.findings; two openings of the same review agree to the letter.
    first = open_review("RHM", "2025/26", DATA, "2025-10-14")
    again = open_review("RHM", "2025/26", DATA, "2025-10-14")
    assert [f.text for f in first.findings] == [f.text for f in again.findings]


# --------------------------------------------------------------------------- nothing later

_MONTH_NAMES = "|".join(display.MONTHS)
_DATE_RE = re.compile(rf"\b(\d{{1,2}}) ({_MONTH_NAMES}) (\d{{4}})\b")


def _dates_in(text: str) -> list[dt.date]:
    return [
        dt.date(int(y), display.MONTHS.index(m) + 1, int(d)) for d, m, y in _DATE_RE.findall(text)
    ]


def _check_nothing_later(review) -> None:
    when = pd.Timestamp(review.as_at)
    region = review.region
    for name, column in (
        ("visits", "date"),
        ("good_practice", "date"),
        ("risks", "opened"),
        ("risks", "closed"),
        ("cqc_ratings", "publication_date"),
        ("risk_history", "date"),
    ):
        dates = pd.to_datetime(review.known_table(name)[column]).dropna()
        assert (dates <= when).all(), (name, column)
    tracker = review.tracker
    assert (pd.to_datetime(tracker["visit_date"]) <= when).all()
    assert (pd.to_datetime(tracker["closed"]).dropna() <= when).all()
    assert (pd.to_datetime(review.interventions["covering_visit_date"]).dropna() <= when).all()
    surveys = review.known_table("survey_results")
    for survey in ("NTS", "NETS"):
        years = surveys.loc[surveys["survey"] == survey, "year"]
        assert (asat.published(years, survey, region) <= when).all(), survey
    staff = review.known_table("staff_survey")["year"]
    assert (asat.published(staff, "staff_survey", region) <= when).all()
    lag = pd.Timedelta(days=region.publication.fft_days_after_month)
    assert (asat.month_end(review.known_table("fft")["period"]) + lag <= when).all()
    assert (asat.quarter_end(review.known_table("exception_reports")["quarter"]) <= when).all()
    for name in ("funding", "learners", "lda_compliance", "self_assessment"):
        assert (asat.year_end(review.known_table(name)["year"]) <= when).all(), name
    # The national items with depth, and the region they are set against.
    assert (review.cqc_services["publication_date"] <= when).all()
    web_lag = pd.Timedelta(days=region.publication.website_days_after_month)
    trend = review.website_ratings_trend["period"]
    assert (asat.month_end(trend) + web_lag <= when).all()
    assert (asat.published(review.staff_survey_trend["year"], "staff_survey", region) <= when).all()
    assert (asat.quarter_end(review.guardian_spc["x"]) <= when).all()
    fft = review.against_region("fft")
    months = pd.to_datetime(fft["period"], format="%b %Y").dt.strftime("%Y-%m")
    assert (asat.month_end(months) + lag <= when).all()
    # Words: every date a headline or a period note mentions, bar the review year's bounds.
    texts = [f.text for f in review.findings] + list(review.notes) + list(review.cqc_notes)
    texts += list(review.periods["period"].iloc[1:])  # row 0 names the review year itself
    for text in texts:
        for day in _dates_in(text):
            assert day <= review.as_at, text


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    code=st.sampled_from(["RHM", "R0D", "RN5", "RDY", "RYE"]),
    days=st.integers(min_value=0, max_value=(dt.date(2026, 9, 30) - dt.date(2022, 7, 1)).days),
    years_back=st.integers(min_value=0, max_value=1),
)
def test_nothing_after_the_as_at_date_is_shown(code, days, years_back):
    as_at = dt.date(2022, 7, 1) + dt.timedelta(days=days)
    year = fy_of(pd.Timestamp(as_at))
    for _ in range(years_back):  # a meeting after the year reviewed has ended
        year = fy_of(fy_bounds(year)[0] - pd.Timedelta(days=1))
    if fy_bounds(year)[1].date() < dt.date(2022, 4, 1):
        return
    review = open_review(code, year, DATA, as_at.isoformat())
    _check_nothing_later(review)


# --------------------------------------------------------------------------- data coverage


@pytest.mark.parametrize("year", ["1900/01", "2099/00"])
def test_a_review_year_outside_the_data_is_an_error_naming_the_period(year):
    with pytest.raises(QvError, match="1 Apr 2022 to 31 Mar 2026"):
        open_review("RHM", year, DATA)


def test_an_as_at_date_after_the_data_ends_is_a_warning_in_the_pack():
    review = open_review("RHM", "2025/26", DATA, "2026-10-14")
    assert any("The data ends on 31 Mar 2026" in note for note in review.notes)
    assert review.coverage_warnings
