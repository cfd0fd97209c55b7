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
