"""Tests for qvlib.metrics.spc: XmR limits and Making Data Count rules, worked by hand.

Most rule tests append a few points to ``BASE``, twelve points alternating 12 and 10, and fix
the limits on those twelve (``baseline_points=12``) so that the appended points do not move
them. By hand: mean = 11; the eleven moving ranges are all 2, so the mean moving range is 2 and
nothing is screened; limits = 11 +/- 2.66 x 2 = 5.68 and 16.32; the "close" lines sit 2/3 of the
way out: 11 +/- 3.5467 = 7.4533 and 14.5467. Appended points start at index 12; index 11 is 10
(below the mean), so nothing appended continues a run or trend from the baseline by accident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qvlib.config import SpcSettings
from qvlib.metrics import spc

BASE = [12.0, 10.0] * 6
LPL, UPL = 5.68, 16.32
NEAR_LPL, NEAR_UPL = 11 - 2.66 * 2 * 2 / 3, 11 + 2.66 * 2 * 2 / 3
RULE_COLUMNS = ["outside_limits", "trend", "two_in_three", "run", "special_cause", "rule"]


def spc_of(ys: list[float], **kwargs) -> pd.DataFrame:
    return spc.calc_spc(pd.DataFrame({"x": range(len(ys)), "y": ys}), **kwargs)


def with_base(tail: list[float], **kwargs) -> pd.DataFrame:
    return spc_of(BASE + tail, baseline_points=12, **kwargs)


def flagged(result: pd.DataFrame, column: str) -> list[int]:
    return result.index[result[column]].tolist()


# --- limits ---------------------------------------------------------------------------------


def test_limits_from_mean_and_mean_moving_range():
    r = spc_of([12.0, 10.0] * 7)
    assert r["mean"].tolist() == pytest.approx([11.0] * 14)
    assert r["moving_range_mean"].iloc[0] == pytest.approx(2.0)
    assert r["lpl"].iloc[0] == pytest.approx(LPL)
    assert r["upl"].iloc[0] == pytest.approx(UPL)
    assert r["near_lpl"].iloc[0] == pytest.approx(7.453333, abs=1e-6)
    assert r["near_upl"].iloc[0] == pytest.approx(14.546667, abs=1e-6)
    assert np.isnan(r["moving_range"].iloc[0])
    assert r["moving_range"].iloc[1:].tolist() == [2.0] * 13
    assert not r["special_cause"].any()
    assert set(r["point_type"]) == {"common_cause"}


def test_screening_drops_a_huge_moving_range_and_recomputes_the_mean():
    # 10,12 x 6 then 37: mean 169/13 = 13; moving ranges eleven 2s and one 25, mean 47/12.
    ys = [10.0, 12.0] * 6 + [37.0]
    screened = spc_of(ys)
    # 25 >= 3.267 x 47/12 = 12.795, so it is dropped: mean moving range 22/11 = 2
    assert screened["moving_range_mean"].iloc[0] == pytest.approx(2.0)
    assert screened["lpl"].iloc[0] == pytest.approx(13 - 5.32)
    assert screened["upl"].iloc[0] == pytest.approx(13 + 5.32)
    unscreened = spc_of(ys, screen_outliers=False)
    assert unscreened["moving_range_mean"].iloc[0] == pytest.approx(47 / 12)
    assert unscreened["lpl"].iloc[0] == pytest.approx(13 - 2.66 * 47 / 12)
    assert unscreened["upl"].iloc[0] == pytest.approx(13 + 2.66 * 47 / 12)
    # the raw moving range is still reported
    assert screened["moving_range"].iloc[-1] == 25.0


def test_screening_setting_comes_from_the_settings_object():
    ys = [10.0, 12.0] * 6 + [37.0]
    r = spc_of(ys, settings=SpcSettings(screen_outliers=False))
    assert r["moving_range_mean"].iloc[0] == pytest.approx(47 / 12)


def test_baseline_of_first_n_points_fixes_the_limits():
    ys = [12.0, 10.0] * 6 + [20.0] * 12
    fixed = spc_of(ys, baseline_points=12)
    assert fixed["mean"].tolist() == pytest.approx([11.0] * 24)
    assert fixed["upl"].iloc[-1] == pytest.approx(UPL)
    assert flagged(fixed, "outside_limits") == list(range(12, 24))
    # all 24 points: mean 372/24 = 15.5; moving ranges eleven 2s, one 10, eleven 0s (mean
    # 32/23); 10 >= 3.267 x 32/23 = 4.545 is screened, leaving 22/22 = 1
    whole = spc_of(ys)
    assert whole["mean"].iloc[0] == pytest.approx(15.5)
    assert whole["lpl"].iloc[0] == pytest.approx(15.5 - 2.66)
    assert whole["upl"].iloc[0] == pytest.approx(15.5 + 2.66)


def test_trial_limits_below_min_points():
    assert spc_of([12.0, 10.0] * 6)["trial_limits"].all()
    assert not spc_of([12.0, 10.0] * 6 + [12.0])["trial_limits"].any()
    assert not spc_of([12.0, 10.0] * 6, min_points=12)["trial_limits"].any()


def test_overrides_are_validated_like_region_yaml():
    with pytest.raises(ValidationError):
        spc_of(BASE, baseline_points=5)
    with pytest.raises(ValidationError):
        spc_of(BASE, run_length=1)


# --- outside the limits ---------------------------------------------------------------------


def test_points_outside_the_limits():
    r = with_base([17.0, 5.0, 11.0])
    assert flagged(r, "outside_limits") == [12, 13]
    assert r["rule"].iloc[12:].tolist() == ["outside_limits", "outside_limits", None]
    assert r["point_type"].iloc[12:].tolist() == [
        "special_cause_improvement",
        "special_cause_concern",
        "common_cause",
    ]


def test_point_types_follow_the_improvement_direction():
    tail = [17.0, 5.0]
    assert with_base(tail, improvement="decrease")["point_type"].iloc[12:].tolist() == [
        "special_cause_concern",
        "special_cause_improvement",
    ]
    assert with_base(tail, improvement="neutral")["point_type"].iloc[12:].tolist() == [
        "special_cause_neutral",
        "special_cause_neutral",
    ]


def test_a_point_exactly_on_a_limit_is_close_not_outside():
    # 16.32 is on the upper limit: not outside, but beyond 14.5467, so close; with the next
    # 16.32 and a 12 after it, three points above the mean hold two close ones
    r = with_base([UPL, UPL, 12.0])
    assert not r["outside_limits"].any()
    assert flagged(r, "two_in_three") == [12, 13]
    assert r["rule"].iloc[12:].tolist() == ["two_in_three", "two_in_three", None]
    low = with_base([LPL, LPL, 10.0])
    assert not low["outside_limits"].any()
    assert flagged(low, "two_in_three") == [12, 13]
    assert low["point_type"].iloc[12] == "special_cause_concern"


# --- trend ----------------------------------------------------------------------------------


def test_trend_of_seven_rising_points_flags_every_point():
    # 9 < 9.5 < 10 < 10.5 < 11.5 < 12 < 12.5, then 11 falls; index 11 (10) -> 9 falls too
    r = with_base([9.0, 9.5, 10.0, 10.5, 11.5, 12.0, 12.5, 11.0])
    assert flagged(r, "trend") == list(range(12, 19))
    assert flagged(r, "special_cause") == list(range(12, 19))
    assert set(r["rule"].iloc[12:19]) == {"trend"}
    assert set(r["point_type"].iloc[12:19]) == {"special_cause_improvement"}


def test_a_tie_breaks_a_trend():
    # 9, 9.5, 10, 10 ... : the repeated 10 splits the rise into 3 and 6 points (10 ... 12.5)
    r = with_base([9.0, 9.5, 10.0, 10.0, 10.5, 11.5, 12.0, 12.5, 11.0])
    assert not r["trend"].any()


def test_trend_point_type_follows_the_trend_not_the_side_of_the_mean():
    # seven falling points above the mean (below 14.5467, so not close), then a rise to 12.5:
    # a trend of seven inside a run of eight. Trend has priority, and a falling trend is a
    # concern when higher is better; the eighth point is only in the run, above the mean.
    r = with_base([14.4, 14.0, 13.6, 13.2, 12.8, 12.4, 12.0, 12.5])
    assert flagged(r, "trend") == list(range(12, 19))
    assert flagged(r, "run") == list(range(12, 20))
    assert set(r["rule"].iloc[12:19]) == {"trend"}
    assert set(r["point_type"].iloc[12:19]) == {"special_cause_concern"}
    assert set(r["signal_direction"].iloc[12:19]) == {-1}
    assert r["rule"].iloc[19] == "run"
    assert r["point_type"].iloc[19] == "special_cause_improvement"


def test_run_length_six_or_seven_changes_the_trend():
    tail = [9.5, 10.0, 10.5, 11.5, 12.0, 12.5, 11.0]  # six rising points
    assert not with_base(tail)["trend"].any()
    assert flagged(with_base(tail, run_length=6), "trend") == list(range(12, 18))


# --- two in three ---------------------------------------------------------------------------


def test_two_in_three_flags_only_the_close_points():
    # window 15, 12, 15: all above the mean, two beyond 14.5467
    r = with_base([12.0, 15.0, 12.0, 15.0, 10.0])
    assert flagged(r, "two_in_three") == [13, 15]
    assert r["point_type"].iloc[13] == "special_cause_improvement"


def test_two_in_three_needs_all_three_on_one_side():
    # 15, 10.5, 15: two close points but the middle one is below the mean
    assert not with_base([15.0, 10.5, 15.0, 10.0])["two_in_three"].any()
    # two close points in a row, but the neighbours on both sides are below the mean
    assert not with_base([15.0, 15.0, 10.5])["two_in_three"].any()


def test_two_in_three_with_the_third_point_outside():
    # 15, 17, 15: two close points and one outside, all above the mean
    r = with_base([15.0, 17.0, 15.0, 10.0])
    assert flagged(r, "two_in_three") == [12, 14]
    assert flagged(r, "outside_limits") == [13]


def test_outside_points_are_not_close():
    # 12, 15, 17, 17, 12: every window has at most one close point (15)
    r = with_base([12.0, 15.0, 17.0, 17.0, 12.0, 10.0])
    assert not r["two_in_three"].any()
    assert flagged(r, "outside_limits") == [14, 15]


# --- run ------------------------------------------------------------------------------------


def test_run_of_seven_on_one_side_of_the_mean():
    r = with_base([11.5, 12.0, 11.5, 12.0, 11.5, 12.0, 11.5, 10.0])
    assert flagged(r, "run") == list(range(12, 19))
    assert set(r["rule"].iloc[12:19]) == {"run"}
    assert set(r["point_type"].iloc[12:19]) == {"special_cause_improvement"}
    concern = with_base([11.5, 12.0, 11.5, 12.0, 11.5, 12.0, 11.5, 10.0], improvement="decrease")
    assert set(concern["point_type"].iloc[12:19]) == {"special_cause_concern"}


def test_a_point_on_the_mean_breaks_a_run():
    r = with_base([11.5, 12.0, 11.5, 11.0, 12.0, 11.5, 12.0, 11.5, 10.0])
    assert r["relative_to_mean"].iloc[15] == 0
    assert not r["run"].any()


def test_run_length_six_or_seven_changes_the_run():
    tail = [11.5, 12.0, 11.5, 12.0, 11.5, 12.0, 10.0]  # six above the mean
    assert not with_base(tail)["run"].any()
    assert flagged(with_base(tail, run_length=6), "run") == list(range(12, 18))
    six = with_base(tail, settings=SpcSettings(run_length=6))
    assert flagged(six, "run") == list(range(12, 18))


def test_rule_priority_outside_beats_run():
    r = with_base([11.5, 12.0, 17.0, 12.0, 11.5, 12.0, 11.5, 10.0])
    assert flagged(r, "run") == list(range(12, 19))
    assert r["outside_limits"].iloc[14]
    assert r["rule"].iloc[14] == "outside_limits"
    assert r["rule"].iloc[13] == "run"


# --- rebasing -------------------------------------------------------------------------------


def test_rebase_starts_new_limits_and_no_run_crosses_it():
    # segment 0: 0,0,0,0,2,2,2,2 (mean 1); segment 1: 5,5,5,5,3,3,3,3 (mean 4). The last four of
    # segment 0 and the first four of segment 1 are above their means: eight in a row, but
    # no rule crosses the boundary.
    ys = [0.0] * 4 + [2.0] * 4 + [5.0] * 4 + [3.0] * 4
    r = spc_of(ys, rebase=[8])
    assert r["segment"].tolist() == [0] * 8 + [1] * 8
    assert r["mean"].tolist() == [1.0] * 8 + [4.0] * 8
    assert np.isnan(r["moving_range"].iloc[8])
    assert not r["run"].any()
    # without the rebase the mean is 2.5: eight points below it, then eight above
    assert flagged(spc_of(ys), "run") == list(range(16))


def test_no_trend_crosses_a_rebase():
    # 1, 2, ..., 8 at indexes 4-11: a trend of eight, split 4 + 4 by a rebase at x = 8
    ys = [5.0, 3.0, 5.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 5.0, 3.0]
    assert flagged(spc_of(ys), "trend") == list(range(4, 12))
    assert not spc_of(ys, rebase=[8])["trend"].any()


def test_trial_limits_are_per_segment():
    r = spc_of([12.0, 10.0] * 9, rebase=[13])
    assert not r["trial_limits"].iloc[:13].any()
    assert r["trial_limits"].iloc[13:].all()


def test_rebase_with_dates():
    df = pd.DataFrame(
        {"month": pd.date_range("2024-01-01", periods=6, freq="MS"), "rate": [1.0, 2.0] * 3}
    )
    r = spc.calc_spc(df, value="rate", x="month", rebase=["2024-04-01"])
    assert r["segment"].tolist() == [0, 0, 0, 1, 1, 1]
    assert r["x"].iloc[0] == pd.Timestamp("2024-01-01")


# --- degenerate input -----------------------------------------------------------------------


def test_empty_frame():
    r = spc.calc_spc(pd.DataFrame({"x": [], "y": []}))
    assert list(r.columns) == list(spc.COLUMNS)
    assert r.empty
    icons = spc.spc_icons(r, "increase", target=5)
    assert icons.variation is None
    assert icons.assurance is None


def test_all_nan_gives_an_empty_result():
    assert spc_of([np.nan, np.nan, np.nan]).empty


def test_one_point_has_no_limits_and_no_signal():
    r = spc_of([5.0])
    assert r["mean"].iloc[0] == 5.0
    assert np.isnan(r["upl"].iloc[0])
    assert r["point_type"].tolist() == ["common_cause"]
    assert r["trial_limits"].iloc[0]
    icons = spc.spc_icons(r, "increase", target=3)
    assert icons.variation == "common_cause"
    assert icons.assurance is None


def test_constant_series_has_limits_on_the_mean_and_no_special_cause():
    r = spc_of([0.1] * 20)
    assert r["lpl"].tolist() == pytest.approx([0.1] * 20)
    assert r["upl"].tolist() == pytest.approx([0.1] * 20)
    assert not r["special_cause"].any()
    assert (r["relative_to_mean"] == 0).all()


def test_missing_values_are_dropped_and_neighbours_become_consecutive():
    r = spc.calc_spc(pd.DataFrame({"x": [0, 1, 2, 3], "y": [1.0, np.nan, 4.0, 2.0]}))
    assert r["x"].tolist() == [0, 2, 3]
    assert r["moving_range"].tolist()[1:] == [3.0, 2.0]


def test_rows_are_sorted_by_x():
    r = spc.calc_spc(pd.DataFrame({"t": [3, 1, 2], "v": [30.0, 10.0, 20.0]}), "v", "t")
    assert r["x"].tolist() == [1, 2, 3]
    assert r["y"].tolist() == [10.0, 20.0, 30.0]


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="improvement must be one of"):
        spc_of(BASE, improvement="up")
    with pytest.raises(KeyError, match="rate"):
        spc.calc_spc(pd.DataFrame({"x": [1], "y": [1.0]}), value="rate")


# --- icons ----------------------------------------------------------------------------------

FLAT = [12.0, 10.0] * 7  # mean 11, limits 5.68 and 16.32, last point common cause


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 20.0, "consistent_fail"),  # target above the upper limit
        ("increase", 3.0, "consistent_pass"),  # target below the lower limit
        ("increase", 12.0, "inconsistent"),
        ("decrease", 20.0, "consistent_pass"),
        ("decrease", 3.0, "consistent_fail"),
        ("decrease", 12.0, "inconsistent"),
        ("neutral", 20.0, None),
        ("increase", None, None),
    ],
)
def test_assurance_icon(improvement, target, expected):
    icons = spc.spc_icons(spc_of(FLAT, improvement=improvement), improvement, target)
    assert icons.assurance == expected
    assert icons.variation == "common_cause"


def test_assurance_text_and_target_from_the_result():
    r = spc_of(FLAT, target=20.0)
    assert r["target"].tolist() == [20.0] * 14
    icons = spc.spc_icons(r, "increase")
    assert icons.assurance == "consistent_fail"
    assert icons.assurance_text == "The system is expected to consistently fail the target"
    assert spc.spc_icons(r, "decrease").assurance_text == (
        "The system is expected to consistently pass the target"
    )


@pytest.mark.parametrize(
    ("last", "improvement", "expected"),
    [
        (17.0, "increase", "improvement_high"),
        (17.0, "decrease", "concern_high"),
        (17.0, "neutral", "neutral_high"),
        (5.0, "increase", "concern_low"),
        (5.0, "decrease", "improvement_low"),
        (5.0, "neutral", "neutral_low"),
    ],
)
def test_variation_icon_from_the_last_point(last, improvement, expected):
    icons = spc.spc_icons(with_base([last], improvement=improvement), improvement)
    assert icons.variation == expected


def test_variation_text_and_trial_limits_note():
    icons = spc.spc_icons(with_base([17.0]), "increase")
    assert icons.variation_text == (
        "Special cause variation of an improving nature where the measure is higher"
    )
    assert icons.trial_limits is False
    assert icons.trial_limits_text == ""
    short = spc.spc_icons(spc_of([12.0, 10.0] * 5), "increase")
    assert short.trial_limits is True
    assert "10 points" in short.trial_limits_text


def test_icons_use_the_last_segments_limits():
    # segment 1 (from x = 14) alternates 32 and 30: limits 31 +/- 5.32; a target of 20 is
    # above segment 0's upper limit (16.32) but below segment 1's lower limit (25.68)
    r = spc_of([12.0, 10.0] * 7 + [32.0, 30.0] * 7, rebase=[14])
    assert spc.spc_icons(r, "increase", 20.0).assurance == "consistent_pass"


# --- properties -----------------------------------------------------------------------------

values = st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=60)
FLAGS = ["outside_limits", "trend", "two_in_three", "run", "rule", "point_type"]


def _frame(ys: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"x": range(len(ys)), "y": ys})


@settings(max_examples=50)
@given(values)
def test_limits_are_symmetric_about_the_mean(ys):
    r = spc_of(ys)
    np.testing.assert_allclose(r["upl"] - r["mean"], r["mean"] - r["lpl"], atol=1e-9)
    np.testing.assert_allclose(r["near_upl"] - r["mean"], r["mean"] - r["near_lpl"], atol=1e-9)


@settings(max_examples=50)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 40))
def test_constant_series_has_no_special_cause(level, n):
    r = spc_of([level] * n)
    assert not r["special_cause"].any()
    np.testing.assert_allclose(r["upl"].dropna(), level, rtol=1e-12, atol=1e-12)


@settings(max_examples=50)
@given(values, st.integers(-1000, 1000))
def test_shifting_shifts_the_limits_and_keeps_the_flags(ys, c):
    r = spc_of(ys)
    s = spc_of([y + c for y in ys])
    for col in ["mean", "lpl", "upl"]:
        np.testing.assert_allclose(s[col], r[col] + c, atol=1e-9)
    pd.testing.assert_frame_equal(s[FLAGS], r[FLAGS])


@settings(max_examples=50)
@given(values, st.sampled_from([0.5, 2.0, 3.0, 10.0]))
def test_scaling_scales_the_limits_and_keeps_the_flags(ys, k):
    r = spc_of(ys)
    s = spc_of([y * k for y in ys])
    for col in ["mean", "lpl", "upl"]:
        np.testing.assert_allclose(s[col], r[col] * k, atol=1e-9)
    pd.testing.assert_frame_equal(s[FLAGS], r[FLAGS])


@settings(max_examples=50)
@given(values, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(ys, rnd):
    df = _frame(ys)
    order = list(range(len(ys)))
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(spc.calc_spc(df.iloc[order]), spc.calc_spc(df))


def test_a_peak_between_two_trends_keeps_the_direction_of_the_first():
    # 9 ... 12 rises for seven points (indexes 12-18), then 12 ... 9 falls for seven (18-24):
    # the peak at index 18 is in both trends and counts as the end of the rise
    rise = [9.0, 9.5, 10.0, 10.5, 11.5, 12.0, 12.5]
    r = with_base(rise + rise[-2::-1] + [11.0])
    assert flagged(r, "trend") == list(range(12, 25))
    assert r["signal_direction"].iloc[18] == 1
    assert r["signal_direction"].iloc[19] == -1
