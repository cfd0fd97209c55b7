"""What was known at a date: each dataset's cut, worked by hand on small frames."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qvlib.config import default_as_at, load_region
from qvlib.metrics import asat
from qvlib.schemas import DATASETS

REGION = load_region()
AS_AT = dt.date(2025, 10, 14)


def test_every_dataset_of_the_contract_has_an_as_at_rule():
    linked = {"risks", "risk_history", "visit_actions", "commitments", "meeting_attendees"}
    assert set(DATASETS) == set(asat.CUTS) | linked


def _risk(risk_id: str, opened: str, status: str, closed: str | None, **extra) -> dict:
    return {
        "risk_id": risk_id,
        "trust_code": "RHM",
        "opened": pd.Timestamp(opened),
        "status": status,
        "closed": pd.Timestamp(closed) if closed else pd.NaT,
        "likelihood": 4,
        "consequence": 5,
        "isf_level": "Level 2: supported improvement",
        "escalated": "significant concerns register",
        **extra,
    }


def test_risks_opened_later_are_left_out_and_risks_closed_later_were_open():
    risks = pd.DataFrame(
        [
            _risk("A", "2025-01-01", "open", None),
            _risk("B", "2025-11-01", "open", None),  # opened after the date
            _risk("C", "2025-01-01", "closed", "2025-12-01"),  # closed after the date
            _risk("D", "2025-01-01", "closed", "2025-06-01"),  # closed before it
        ]
    )
    out, notes = asat.risks_at(risks, None, AS_AT)
    assert list(out["risk_id"]) == ["A", "C", "D"]
    state = out.set_index("risk_id")
    assert state.loc["C", "status"] == "open" and pd.isna(state.loc["C", "closed"])
    assert state.loc["D", "status"] == "closed"
    assert (out["rating_source"] == "current").all()
    assert "current score, band and Intensive Support Framework level" in notes[0]


def test_ratings_come_from_the_latest_history_entry_on_or_before_the_date():
    risks = pd.DataFrame([_risk("A", "2025-01-01", "open", None)])
    history = pd.DataFrame(
        {
            "risk_id": ["A", "A", "A"],
            "date": pd.to_datetime(["2025-01-01", "2025-08-01", "2025-12-01"]),
            "likelihood": [2, 3, 4],
            "consequence": [3, 5, 5],
            "isf_level": [
                "Level 0: business as usual",
                "Level 1: self-led improvement",
                "Level 2: supported improvement",
            ],
            "escalated": [None, None, "significant concerns register"],
        }
    )
    out, notes = asat.risks_at(risks, history, AS_AT)
    row = out.iloc[0]
    assert (row["likelihood"], row["consequence"]) == (3, 5)
    assert row["isf_level"] == "Level 1: self-led improvement"
    assert pd.isna(row["escalated"])  # escalated only after the date
    assert row["rating_source"] == "history" and notes == []


def test_actions_closed_later_were_open_then_and_their_evidence_unknown():
    visits = pd.DataFrame(
        {"visit_id": ["V1", "V2"], "date": pd.to_datetime(["2025-08-08", "2025-11-01"])}
    )
    actions = pd.DataFrame(
        {
            "visit_id": ["V1", "V1", "V2"],
            "ref": ["IMR1", "MR1", "MR1"],
            "status": ["closed", "closed", "open"],
            "closed": pd.to_datetime(["2025-08-14", "2025-12-01", None]),
            "evidence": ["Rota fixed", "Audit", None],
        }
    )
    out = asat.actions_at(actions, visits, AS_AT)
    assert list(zip(out["visit_id"], out["ref"], strict=True)) == [("V1", "IMR1"), ("V1", "MR1")]
    later = out.set_index("ref").loc["MR1"]
    assert later["status"] == "open" and pd.isna(later["closed"]) and pd.isna(later["evidence"])
    assert out.set_index("ref").loc["IMR1", "status"] == "closed"


def test_surveys_are_known_by_publication_not_by_survey_year():
    # GMC NTS results are published in July of the survey year; NETS and the NHS Staff Survey
    # the spring after.  On 14 Oct 2025: NTS 2025 is out, NETS and staff survey 2025 are not.
    surveys = pd.DataFrame(
        {"survey": ["NTS", "NTS", "NETS", "NETS"], "year": [2024, 2025, 2024, 2025]}
    )
    known = asat.CUTS["survey_results"](surveys, AS_AT, REGION)
    assert list(zip(known["survey"], known["year"], strict=True)) == [
        ("NTS", 2024),
        ("NTS", 2025),
        ("NETS", 2024),
    ]
    staff = pd.DataFrame({"year": [2023, 2024, 2025]})
    assert list(asat.CUTS["staff_survey"](staff, AS_AT, REGION)["year"]) == [2023, 2024]
    assert asat.latest_published_year("NTS", dt.date(2025, 6, 30), REGION) == 2024
    assert asat.latest_published_year("NTS", dt.date(2025, 7, 1), REGION) == 2025


def test_monthly_quarterly_and_annual_returns_wait_for_their_period_and_lag():
    fft = pd.DataFrame({"period": ["2025-07", "2025-08", "2025-09"]})
    # FFT for August (ends 31 Aug) is published about six weeks later: by 12 Oct.
    assert list(asat.CUTS["fft"](fft, AS_AT, REGION)["period"]) == ["2025-07", "2025-08"]
    quarters = pd.DataFrame({"quarter": ["2025/26 Q1", "2025/26 Q2", "2025/26 Q3"]})
    known = asat.CUTS["exception_reports"](quarters, AS_AT, REGION)
    assert list(known["quarter"]) == ["2025/26 Q1", "2025/26 Q2"]  # Q2 ended 30 Sep
    years = pd.DataFrame({"year": ["2023/24", "2024/25", "2025/26"]})
    assert list(asat.CUTS["funding"](years, AS_AT, REGION)["year"]) == ["2023/24", "2024/25"]


def test_publication_lags_are_settings():
    later = REGION.publication.model_copy(
        update={"nts": REGION.publication.nts.model_copy(update={"month": 11})}
    )
    region = REGION.model_copy(update={"publication": later})
    surveys = pd.DataFrame({"survey": ["NTS"], "year": [2025]})
    assert asat.CUTS["survey_results"](surveys, AS_AT, region).empty
    assert asat.latest_known_year("NTS", [2024, 2025], AS_AT, region) == 2024


def test_latest_annual_year_is_never_after_the_review_year():
    years = ["2023/24", "2024/25", "2025/26"]
    assert asat.latest_known_year("funding", years, dt.date(2026, 5, 1), REGION) == "2025/26"
    assert (
        asat.latest_known_year("funding", years, dt.date(2026, 5, 1), REGION, "2024/25")
        == "2024/25"
    )
    assert asat.latest_known_year("funding", years, dt.date(2023, 1, 1), REGION) is None


@pytest.mark.parametrize(
    "today, expected",
    [
        (dt.date(2026, 11, 30), dt.date(2026, 3, 31)),  # the year has ended: its last day
        (dt.date(2025, 10, 14), dt.date(2025, 10, 14)),  # the year is running: today
    ],
)
def test_default_as_at(today, expected):
    assert default_as_at("2025/26", today) == expected
