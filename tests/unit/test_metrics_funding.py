"""Tests for qvlib.metrics.funding: utilisation, learners, funding per FTE, change on last year."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from frames import funding_frame, learner_frame

from qvlib.metrics.funding import calc_funding

FUNDING = funding_frame(
    [
        ("RHM", "2024/25", "placement tariff", "medical", 1000.0, 900.0),
        ("RHM", "2024/25", "placement tariff", "nursing", 500.0, 500.0),
        ("RHM", "2024/25", "salary support", "medical", 400.0, 100.0),
        ("RHM", "2025/26", "placement tariff", "medical", 1200.0, 1200.0),
        ("RHM", "2025/26", "placement tariff", "nursing", 600.0, 300.0),
        ("RHM", "2025/26", "salary support", "medical", 0.0, 0.0),
    ]
)
LEARNERS = learner_frame(
    [
        ("RHM", "2024/25", "medical", "Foundation", 10, 8.0),
        ("RHM", "2024/25", "nursing", "Adult nursing", 20, 10.0),
        ("RHM", "2025/26", "medical", "Foundation", 12, 10.0),
        ("RHM", "2025/26", "nursing", "Adult nursing", 20, 20.0),
    ]
)


def _row(frame, **match):
    mask = pd.Series(True, index=frame.index)
    for col, value in match.items():
        mask &= frame[col] == value
    (index,) = frame.index[mask]
    return frame.loc[index]


def test_by_stream_totals_money_and_uses_all_learners_of_the_year():
    out = calc_funding(FUNDING, LEARNERS)
    row = _row(out, year="2025/26", stream="placement tariff")
    assert (row["allocated"], row["spent"]) == (1800.0, 1500.0)
    assert row["utilisation_pct"] == pytest.approx(1500 / 1800 * 100)  # 83.3%
    assert (row["headcount"], row["fte"]) == (32, 30.0)
    assert row["funding_per_fte"] == 60.0
    assert row["change_gbp"] == 300.0  # 1800 against 1500 in 2024/25
    assert row["change_pct"] == 20.0


def test_nothing_allocated_gives_no_utilisation_and_a_full_drop():
    row = _row(calc_funding(FUNDING, LEARNERS), year="2025/26", stream="salary support")
    assert math.isnan(row["utilisation_pct"])
    assert (row["change_gbp"], row["change_pct"]) == (-400.0, -100.0)


def test_first_year_has_no_change():
    row = _row(calc_funding(FUNDING, LEARNERS), year="2024/25", stream="placement tariff")
    assert math.isnan(row["change_gbp"]) and math.isnan(row["change_pct"])


def test_by_profession_uses_that_professions_learners():
    out = calc_funding(FUNDING, LEARNERS, by=("profession_group",))
    row = _row(out, year="2025/26", profession_group="medical")
    assert row["allocated"] == 1200.0
    assert row["fte"] == 10.0
    assert row["funding_per_fte"] == 120.0
    assert row["change_gbp"] == -200.0  # 1200 against 1000 + 400
    assert row["change_pct"] == pytest.approx(-200 / 1400 * 100)


def test_trust_totals():
    out = calc_funding(FUNDING, LEARNERS, by=())
    assert out["year"].tolist() == ["2024/25", "2025/26"]
    assert out["allocated"].tolist() == [1900.0, 1800.0]
    assert out["utilisation_pct"].tolist()[0] == pytest.approx(1500 / 1900 * 100)
    assert out["change_gbp"].tolist()[1] == -100.0


def test_unknown_breakdown_is_refused():
    with pytest.raises(ValueError, match="by must name"):
        calc_funding(FUNDING, LEARNERS, by=("programme",))
