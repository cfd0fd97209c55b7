"""Tests for qvlib.metrics.national: FFT, CQC latest ratings, staff survey, NHS website ratings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import cqc_frame, staff_frame
from hypothesis import given
from hypothesis import strategies as st

from qvlib.config import SuppressionRule, load_region
from qvlib.metrics import national as nat
from qvlib.schemas import FFT_SETTINGS

REGION = load_region()
ANSWERS = ["very_good", "good", "neither", "poor", "very_poor", "dont_know"]
NAN = np.nan


def _fft(rows):
    return pd.DataFrame(
        [
            (org, period, setting, *answers, total, NAN)
            for org, period, setting, answers, total in rows
        ],
        columns=["org_code", "period", "setting", *ANSWERS, "total_responses", "eligible"],
    )


def test_fft_percentages_count_dont_know_in_the_total():
    out = nat.calc_fft(_fft([("RHM", "2025-04", "inpatient", (50, 30, 5, 5, 5, 5), 100)]), REGION)
    row = out.iloc[0]
    assert row["pct_positive"] == 80.0  # (50 + 30) / 100
    assert row["pct_negative"] == 10.0  # (5 + 5) / 100
    assert not row["suppressed"]


def test_fft_suppresses_small_totals_and_the_next_smallest_setting_of_the_month():
    out = nat.calc_fft(
        _fft(
            [
                ("RHM", "2025-04", "inpatient", (50, 30, 5, 5, 5, 5), 100),
                ("RHM", "2025-04", "a&e", (2, 1, 0, 0, 0, 0), 3),
                ("RHM", "2025-04", "maternity", (5, 5, 0, 0, 0, 0), 10),
                ("RHM", "2025-04", "outpatient", (150, 50, 0, 0, 0, 0), 200),
                ("RHM", "2025-05", "inpatient", (4, 4, 0, 0, 0, 0), 8),
            ]
        ),
        REGION,
    ).set_index(["period", "setting"])
    suppressed = out["suppressed"]
    assert suppressed[("2025-04", "a&e")]  # 3 responses
    assert suppressed[("2025-04", "maternity")]  # next smallest (10) in the same month
    assert not suppressed[("2025-04", "inpatient")] and not suppressed[("2025-04", "outpatient")]
    assert not suppressed[("2025-05", "inpatient")]
    hidden = out.loc[("2025-04", "a&e")]
    assert hidden[["pct_positive", "pct_negative", "very_good", "total_responses"]].isna().all()


def test_fft_adds_up_repeated_rows_and_never_divides_by_less_than_the_answers():
    out = nat.calc_fft(
        _fft(
            [
                ("RHM", "2025-04", "inpatient", (10, 0, 0, 0, 0, 0), 10),
                ("RHM", "2025-04", "inpatient", (0, 0, 0, 10, 0, 0), 10),
                ("R1F", "2025-04", "inpatient", (20, 0, 0, 0, 0, 0), 10),  # total too small
            ]
        ),
        REGION,
    ).set_index("org_code")
    assert out.loc["RHM", "total_responses"] == 20
    assert out.loc["RHM", "pct_positive"] == 50.0
    assert out.loc["R1F", "pct_positive"] == 100.0


@given(
    st.lists(
        st.tuples(st.lists(st.integers(0, 50), min_size=6, max_size=6), st.integers(0, 400)),
        min_size=1,
        max_size=8,
    )
)
def test_fft_percentages_stay_within_0_100(rows):
    frame = _fft(
        [
            ("RHM", "2025-04", setting, answers, total)
            for setting, (answers, total) in zip(
                FFT_SETTINGS,
                rows,
                strict=False,
            )
        ]
    )
    out = nat.calc_fft(frame, REGION)
    shown = out.dropna(subset=["pct_positive"])
    assert shown["pct_positive"].between(0, 100).all()
    assert shown["pct_negative"].between(0, 100).all()
    assert (shown["pct_positive"] + shown["pct_negative"] <= 100 + 1e-9).all()
    assert (out.loc[out["total_responses"].notna(), "total_responses"] >= 5).all()


CQC = cqc_frame(
    [
        ("RHM", None, "Trust", "Overall", "safe", "requires improvement", "2023-01-01"),
        ("RHM", None, "Trust", "Overall", "safe", "good", "2024-05-01"),
        ("RHM", "RHM-1", "Queen Alexandra", "Overall", "effective", "outstanding", "2022-01-01"),
        ("RHM", "RHM-2", "St Mary's", "Overall", "effective", "requires improvement", "2023-06-01"),
        ("RHM", "RHM", "Trust", "Overall", "caring", "outstanding", "2024-05-01"),
        ("RHM", None, "Trust", "Surgery", "responsive", "good", "2024-06-01"),
        ("RHM", None, "Trust", "Overall", "responsive", "requires improvement", "2023-01-01"),
        ("RHM", None, "Trust", "Overall", "overall", "good", "2024-05-01"),
        ("R1F", None, "Other", "Overall", "well-led", "inadequate", "2025-01-01"),
    ]
)


def test_cqc_latest_gives_all_six_key_questions_in_order():
    out = nat.calc_cqc_latest(CQC, "RHM")
    assert out["key_question"].tolist() == [
        "safe",
        "effective",
        "caring",
        "responsive",
        "well-led",
        "overall",
    ]


def test_cqc_latest_prefers_the_latest_provider_level_overall_rating():
    out = nat.calc_cqc_latest(CQC, "RHM").set_index("key_question")
    assert out.loc["safe", "rating"] == "good"  # 2024 beats 2023
    assert out.loc["caring", "level"] == "provider"  # location id equal to the provider
    assert out.loc["responsive", "rating"] == "requires improvement"  # Overall beats Surgery
    assert out.loc["overall", "publication_date"] == pd.Timestamp("2024-05-01")


def test_cqc_falls_back_to_the_latest_location_and_says_so():
    out = nat.calc_cqc_latest(CQC, "RHM").set_index("key_question")
    assert out.loc["effective", "rating"] == "requires improvement"
    assert out.loc["effective", "level"] == "location"
    assert out.loc["effective", "location_name"] == "St Mary's"
    assert out.loc["well-led", "level"] == "none"  # another provider's rating does not count
    assert pd.isna(out.loc["well-led", "rating"])


STAFF = staff_frame(
    [
        ("We are always learning", None, 5.2, 6.0, 5.6, 5.0, 500),
        ("We work flexibly", None, 6.5, 6.5, 6.0, 5.5, 500),
        ("Staff engagement", None, 6.9, 7.2, 6.8, 6.5, 500),
        ("Morale", None, 5.0, 6.2, 5.8, 5.0, 500),
        ("We are safe and healthy", None, 6.0, 6.4, 6.0, 5.7, 500),
        ("We are a team", None, 7.0, 7.2, 6.8, 6.5, 8),
        ("We are always learning", "Appraisals", 4.0, 6.0, 5.0, 3.0, 500),
    ]
)


def test_staff_survey_position_against_the_benchmark_group():
    out = nat.calc_staff_survey(STAFF, REGION).set_index("element")
    assert len(out) == 6  # the sub-score row is left out
    assert out.loc["We are always learning", "gap_to_average"] == pytest.approx(-0.4)
    assert out["position"].drop("We are a team").to_dict() == {
        "Morale": "worst",
        "Staff engagement": "above average",
        "We are always learning": "below average",
        "We are safe and healthy": "average",
        "We work flexibly": "best",
    }


def test_staff_survey_suppresses_elements_with_few_responses_per_settings():
    out = nat.calc_staff_survey(STAFF, REGION).set_index("element")
    team = out.loc["We are a team"]
    assert team["suppressed"]
    assert pd.isna(team["score"]) and pd.isna(team["position"]) and pd.isna(team["gap_to_average"])
    lenient = REGION.model_copy(
        update={
            "suppression": REGION.suppression.model_copy(
                update={"staff_survey": SuppressionRule(threshold=5)}
            )
        }
    )
    team = nat.calc_staff_survey(STAFF, lenient).set_index("element").loc["We are a team"]
    assert not team["suppressed"] and team["position"] == "above average"


def test_website_ratings_latest_month_per_site():
    ratings = pd.DataFrame(
        [
            ("RHM", "S1", 4.0, 10, "2025-01"),
            ("RHM", "S1", 3.5, 12, "2025-03"),
            ("RHM", None, 4.2, 40, "2025-02"),
            ("RHM", "S2", 5.0, 2, "2024-12"),
        ],
        columns=["org_code", "site_code", "stars", "ratings", "period"],
    )
    out = nat.calc_website_ratings(ratings)
    assert out["site_code"].tolist()[1:] == ["S1", "S2"]
    assert pd.isna(out["site_code"].iloc[0])
    assert out["stars"].tolist() == [4.2, 3.5, 5.0]
    assert out["period"].tolist() == ["2025-02", "2025-03", "2024-12"]


# --------------------------------------------------------------------------- depth


def test_website_trend_keeps_every_month_and_the_change_on_the_rating_before():
    ratings = pd.DataFrame(
        {
            "org_code": ["RHM"] * 4,
            "site_code": ["RHM01", "RHM01", "RHM01", "RHM02"],
            "stars": [4.3, 3.9, 4.0, 3.5],
            "ratings": [150, 144, 133, 10],
            "period": ["2023-03", "2024-03", "2025-03", "2025-03"],
        }
    )
    out = nat.calc_website_trend(ratings.sample(frac=1, random_state=1))
    site = out[out["site_code"] == "RHM01"]
    assert list(site["period"]) == ["2023-03", "2024-03", "2025-03"]
    assert site["change"].isna().iloc[0]
    assert list(site["change"].iloc[1:]) == [pytest.approx(-0.4), pytest.approx(0.1)]
    assert out.loc[out["site_code"] == "RHM02", "change"].isna().all()


def test_website_trend_weights_two_rows_of_one_month_by_their_ratings():
    ratings = pd.DataFrame(
        {
            "org_code": ["RHM", "RHM"],
            "site_code": ["RHM01", "RHM01"],
            "stars": [4.0, 5.0],
            "ratings": [30, 10],
            "period": ["2025-03", "2025-03"],
        }
    )
    row = nat.calc_website_trend(ratings).iloc[0]
    assert row["stars"] == pytest.approx(4.25)  # (4 x 30 + 5 x 10) / 40
    assert row["ratings"] == 40


@pytest.mark.parametrize(
    "start, end, months",
    [
        ("2020-01-07", "2025-10-06", 68),
        ("2020-01-07", "2025-10-07", 69),
        ("2025-10-14", "2025-10-14", 0),
        ("2017-02-21", "2025-10-14", 103),  # 8 years 7 months
    ],
)
def test_months_between_counts_whole_months(start, end, months):
    assert nat.months_between(pd.Series([start]), pd.Timestamp(end)).iloc[0] == months


def test_cqc_services_keep_the_latest_rating_of_each_location_service_and_question():
    cqc = cqc_frame(
        [
            ("RHM", "", "The trust", "Overall", "overall", "good", "2024-01-01"),
            ("RHM", "L1", "General", "Surgery", "safe", "inadequate", "2017-02-21"),
            ("RHM", "L1", "General", "Surgery", "safe", "good", "2021-02-21"),
            ("RHM", "L1", "General", "Surgery", "overall", "good", "2021-02-21"),
            ("RHM", "L1", "General", "Overall", "overall", "good", "2021-02-21"),
            ("RHM", "L1", "General", "Maternity", "overall", "good", "2019-05-01"),
            ("RHM", "L1", "General", "Maternity", "overall", "inadequate", "2019-05-01"),
            ("RHU", "L9", "Elsewhere", "Surgery", "safe", "good", "2021-02-21"),
        ]
    )
    out = nat.calc_cqc_services(cqc, "RHM", pd.Timestamp("2025-10-14").date())
    assert list(out["level"]) == ["provider", "location", "location", "location", "location"]

    def cell(service, question, column="rating"):
        hit = out[(out["service_group"] == service) & (out["key_question"] == question)]
        assert len(hit) == 1
        return hit[column].iloc[0]

    assert cell("Surgery", "safe") == "good"  # the later one
    assert cell("Maternity", "overall") == "inadequate"  # same day: the worse
    # Within a location: "Overall" first, then services by name, questions in CQC order.
    assert list(out["service_group"].iloc[1:]) == ["Overall", "Maternity", "Surgery", "Surgery"]
    assert list(out["key_question"].iloc[3:]) == ["safe", "overall"]
    assert cell("Surgery", "safe", "age_months") == 55  # 21 Feb 2021 to 14 Oct 2025


def test_cqc_overall_timeline_counts_each_trusts_rating_from_each_date():
    cqc = cqc_frame(
        [
            ("AAA", "L1", "A site", "Overall", "overall", "requires improvement", "2018-01-01"),
            ("AAA", "", "A trust", "Overall", "overall", "good", "2020-06-01"),
            ("AAA", "L1", "A site", "Overall", "overall", "inadequate", "2021-01-01"),
            ("BBB", "", "B trust", "Overall", "overall", "outstanding", "2019-03-01"),
            ("BBB", "", "B trust", "Overall", "safe", "inadequate", "2019-04-01"),
        ]
    )
    out = nat.calc_cqc_overall_timeline(cqc, ["AAA", "BBB", "CCC"]).set_index("date")
    # By hand: AAA's location rating stands until its trust rating (which then outranks any
    # later location rating); BBB's safe rating is not an overall one; CCC is never rated.
    assert list(out.index) == pd.to_datetime(["2018-01-01", "2019-03-01", "2020-06-01"]).tolist()
    assert out.loc["2018-01-01", ["requires improvement", "none"]].tolist() == [1, 2]
    assert out.loc["2019-03-01", ["outstanding", "requires improvement", "none"]].tolist() == [
        1,
        1,
        1,
    ]
    assert out.loc["2020-06-01", ["outstanding", "good", "requires improvement"]].tolist() == [
        1,
        1,
        0,
    ]
    assert (out[[*nat.CQC_RATINGS, "none"]].sum(axis=1) == 3).all()


def test_cqc_overall_timeline_agrees_with_each_trusts_latest_rating():
    from qvlib.datasets import load

    ds = load("data/sample")
    timeline = nat.calc_cqc_overall_timeline(ds.cqc_ratings, ds.trust_codes)
    for day in ("2019-06-30", "2022-12-31", "2025-10-14"):
        known = ds.cqc_ratings[ds.cqc_ratings["publication_date"] <= pd.Timestamp(day)]
        ratings = [
            nat.calc_cqc_latest(known, code).set_index("key_question").at["overall", "rating"]
            for code in ds.trust_codes
        ]
        expected = pd.Series([r if isinstance(r, str) else "none" for r in ratings]).value_counts()
        row = timeline[timeline["date"] <= pd.Timestamp(day)].iloc[-1]
        for rating in [*nat.CQC_RATINGS, "none"]:
            assert row[rating] == expected.get(rating, 0), (day, rating)


@pytest.mark.parametrize(
    "counts, median, best, worst",
    [
        ({"good": 3}, "good", "good", "good"),
        ({"outstanding": 1, "good": 1}, "good", "outstanding", "good"),  # the worse middle one
        (
            {"outstanding": 1, "good": 8, "inadequate": 1, "none": 4},
            "good",
            "outstanding",
            "inadequate",
        ),
        ({"not rated": 2, "none": 1}, None, None, None),
    ],
)
def test_rating_summary_takes_the_lower_median_of_rated_trusts(counts, median, best, worst):
    summary = nat.rating_summary(pd.Series(counts))
    assert (summary["median"], summary["best"], summary["worst"]) == (median, best, worst)
    rated = sum(v for k, v in counts.items() if k in nat.RATING_ORDER)
    assert summary["rated"] == rated


def test_staff_survey_with_sub_scores_keeps_them_after_their_element():
    rows = staff_frame(
        [
            ("Morale", "Work pressure", 6.0, 6.5, 5.9, 5.0, 500),
            ("Morale", None, 6.1, 6.6, 5.9, 5.2, 500),
            ("Morale", "Stressors", 6.5, 6.8, 6.3, 5.8, 500),
            ("We are a team", None, 7.2, 7.5, 7.0, 6.4, 5),
        ]
    )
    out = nat.calc_staff_survey(rows, REGION, sub_scores=True)
    assert pd.isna(out["sub_score"].iloc[0])  # the element's own row first
    assert out["sub_score"].tolist()[1:3] == ["Stressors", "Work pressure"]
    assert out.loc[out["sub_score"] == "Stressors", "gap_to_average"].iloc[0] == pytest.approx(0.2)
    team = out[out["element"] == "We are a team"].iloc[0]
    assert team["suppressed"] and pd.isna(team["score"])  # 5 responses < 11
    assert "sub_score" not in nat.calc_staff_survey(rows, REGION).columns
