"""Tests for qvlib.metrics.risks: NPSA 5x5 score, configured bands, open/overdue flags, counts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from frames import risk_frame
from hypothesis import given
from hypothesis import strategies as st

from qvlib.config import RiskBand, RiskSettings, load_region
from qvlib.metrics import risks as rk

REGION = load_region()
AS_OF = dt.date(2025, 6, 1)
ACHIEVABLE = sorted({lik * con for lik in range(1, 6) for con in range(1, 6)})


def _with_bands(bands: list[tuple[str, int, int]]):
    settings = REGION.risk.model_copy(
        update={"bands": [RiskBand(name=n, min=lo, max=hi) for n, lo, hi in bands]}
    )
    return REGION.model_copy(update={"risk": settings})


def test_score_is_likelihood_times_consequence():
    assert rk.calc_risk_score(3, 4) == 12
    assert rk.calc_risk_score(pd.Series([1, 5]), pd.Series([1, 5])).tolist() == [1, 25]


@pytest.mark.parametrize("likelihood, consequence", [(0, 3), (6, 1), (3, 0)])
def test_score_rejects_values_off_the_5x5_matrix(likelihood, consequence):
    with pytest.raises(ValueError, match="between 1 and 5"):
        rk.calc_risk_score(likelihood, consequence)


@pytest.mark.parametrize(
    "score, band",
    [
        (1, "low"),
        (3, "low"),
        (4, "moderate"),
        (6, "moderate"),
        (8, "high"),
        (12, "high"),
        (15, "extreme"),
        (25, "extreme"),
    ],
)
def test_default_bands_are_1_3_low_4_6_moderate_8_12_high_15_25_extreme(score, band):
    assert rk.calc_risk_band(score, REGION) == band


def test_scores_between_configured_ranges_take_the_band_below():
    # 7 is not a product of two numbers 1-5, so the default bands leave it out; it sits above 6.
    assert rk.calc_risk_band(7, REGION) == "moderate"
    assert rk.calc_risk_band(14, REGION) == "high"


def test_band_of_a_series_is_ordered_low_to_extreme():
    bands = rk.calc_risk_band(pd.Series([20, 2, 9]), REGION)
    assert bands.tolist() == ["extreme", "low", "high"]
    assert bands.cat.ordered
    assert list(bands.cat.categories) == ["low", "moderate", "high", "extreme"]
    assert (bands > "moderate").tolist() == [True, False, True]


def test_band_rejects_scores_outside_1_to_25():
    with pytest.raises(ValueError, match="between 1 and 25"):
        rk.calc_risk_band(26, REGION)


def test_changing_the_band_settings_changes_the_band():
    region = _with_bands([("low", 1, 4), ("moderate", 5, 9), ("high", 10, 16), ("extreme", 17, 25)])
    assert rk.calc_risk_band(4, REGION) == "moderate"
    assert rk.calc_risk_band(4, region) == "low"
    assert rk.calc_risk_band(16, region) == "high"


@st.composite
def _band_configs(draw):
    """Valid band settings: contiguous ranges over 1-25, some ending before unachievable scores."""
    k = draw(st.integers(1, 6))
    cuts = sorted(draw(st.sets(st.integers(2, 25), min_size=k - 1, max_size=k - 1)))
    starts = [1, *cuts]
    ends = [s - 1 for s in cuts] + [25]
    bands = []
    for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        # A band may stop short of scores no likelihood x consequence gives (the default 4-6).
        while hi > lo and hi not in ACHIEVABLE and draw(st.booleans()):
            hi -= 1
        bands.append(RiskBand(name=f"b{i}", min=lo, max=hi))
    return RiskSettings(bands=bands, isf_levels=[])


@given(_band_configs())
def test_every_score_1_to_25_gets_exactly_its_band_for_any_valid_config(settings):
    region = REGION.model_copy(
        update={
            "risk": settings,
            "interventions": REGION.interventions.model_copy(
                update={
                    "triggered_visit_bands": [],
                    "triggered_visit_bands_with_patient_safety": [],
                }
            ),
        }
    )
    names = [b.name for b in sorted(settings.bands, key=lambda b: b.min)]
    got = rk.calc_risk_band(pd.Series(range(1, 26)), region).tolist()
    assert all(name in names for name in got)  # no gaps: every integer has a band
    assert [names.index(n) for n in got] == sorted(names.index(n) for n in got)  # monotone
    for score in ACHIEVABLE:
        (expected,) = [b.name for b in settings.bands if b.min <= score <= b.max]
        assert got[score - 1] == expected


def test_calc_risks_adds_score_band_and_open_flag():
    frame = risk_frame(
        {"risk_id": "A", "likelihood": 5, "consequence": 4, "status": "open"},
        {"risk_id": "B", "likelihood": 2, "consequence": 2, "status": "monitoring"},
        {
            "risk_id": "C",
            "likelihood": 1,
            "consequence": 2,
            "status": "closed",
            "closed": pd.Timestamp("2025-03-01"),
        },
    )
    out = rk.calc_risks(frame, REGION, AS_OF)
    assert out["score"].tolist() == [20, 4, 2]
    assert out["band"].tolist() == ["extreme", "moderate", "low"]
    assert out["is_open"].tolist() == [True, True, False]


def test_open_statuses_come_from_settings():
    region = REGION.model_copy(
        update={
            "interventions": REGION.interventions.model_copy(update={"open_statuses": ["open"]})
        }
    )
    out = rk.calc_risks(risk_frame({"status": "monitoring"}), region, AS_OF)
    assert not out["is_open"].iloc[0]


def test_review_is_overdue_only_when_open_and_due_before_as_of_plus_grace():
    frame = risk_frame(
        {"risk_id": "late", "review_due": pd.Timestamp("2025-05-31")},
        {"risk_id": "due today", "review_due": pd.Timestamp("2025-06-01")},
        {
            "risk_id": "closed",
            "status": "closed",
            "review_due": pd.Timestamp("2025-01-01"),
            "closed": pd.Timestamp("2025-02-01"),
        },
        {"risk_id": "no date", "review_due": pd.NaT},
    )
    out = rk.calc_risks(frame, REGION, AS_OF)
    assert out["review_overdue"].tolist() == [True, False, False, False]
    grace = REGION.model_copy(
        update={"risk": REGION.risk.model_copy(update={"review_overdue_after_days": 7})}
    )
    assert not rk.calc_risks(frame, grace, AS_OF)["review_overdue"].any()


def test_days_open_runs_to_as_of_or_to_the_closing_date():
    frame = risk_frame(
        {"risk_id": "open", "opened": pd.Timestamp("2025-05-01")},
        {
            "risk_id": "closed",
            "opened": pd.Timestamp("2025-01-01"),
            "status": "closed",
            "closed": pd.Timestamp("2025-01-31"),
        },
    )
    assert rk.calc_risks(frame, REGION, AS_OF)["days_open"].tolist() == [31, 30]


def test_counts_list_every_band_with_zeros():
    frame = risk_frame(
        {"risk_id": "A", "likelihood": 5, "consequence": 5},
        {
            "risk_id": "B",
            "likelihood": 5,
            "consequence": 5,
            "status": "closed",
            "closed": pd.Timestamp("2025-02-01"),
        },
        {"risk_id": "C", "likelihood": 1, "consequence": 1},
    )
    counts = rk.calc_risk_counts(rk.calc_risks(frame, REGION, AS_OF))
    assert counts["band"].tolist() == ["low", "moderate", "high", "extreme"]
    assert counts["open"].tolist() == [1, 0, 0, 1]
    assert counts["closed"].tolist() == [0, 0, 0, 1]
    assert counts["total"].tolist() == [1, 0, 0, 2]


def test_counts_by_domain_list_every_configured_domain_and_trust():
    scored = rk.calc_risks(risk_frame({"domain": REGION.domains[2]}), REGION, AS_OF)
    counts = rk.calc_risk_counts(scored, by=("domain",), region=REGION, trust_codes=["R1F"])
    assert len(counts) == 2 * 6
    rhm = counts[counts["trust_code"] == "RHM"].set_index("domain")["open"]
    assert rhm.to_dict() == {d: int(i == 2) for i, d in enumerate(REGION.domains)}
    assert counts[counts["trust_code"] == "R1F"]["total"].sum() == 0


def test_trend_counts_risks_open_on_31_march_of_each_year():
    frame = risk_frame(
        {
            "risk_id": "A",
            "opened": pd.Timestamp("2023-06-01"),
            "status": "closed",
            "closed": pd.Timestamp("2024-05-01"),
        },
        {"risk_id": "B", "opened": pd.Timestamp("2024-04-01")},
        {
            "risk_id": "C",
            "opened": pd.Timestamp("2023-04-01"),
            "status": "closed",
            "closed": pd.Timestamp("2024-03-31"),
        },
        {"risk_id": "D", "opened": pd.Timestamp("2023-04-01"), "status": "closed"},
    )
    trend = rk.calc_risk_trend(rk.calc_risks(frame, REGION, AS_OF), ["2023/24", "2024/25"])
    totals = trend.groupby("year")["open_at_year_end"].sum()
    # 2023/24: only A (C closed on the day, D's closing date unknown); 2024/25: only B.
    assert totals.to_dict() == {"2023/24": 1, "2024/25": 1}
    assert len(trend) == 2 * 4
    high = trend[trend["band"] == "high"].set_index("year")["open_at_year_end"]
    assert high.to_dict() == {"2023/24": 1, "2024/25": 1}
