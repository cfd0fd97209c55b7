"""Tests for qvlib.metrics.actions: the action tracker, overdue actions, working-day checks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from frames import action_row, visit_frame

from qvlib.config import load_region
from qvlib.metrics.actions import (
    calc_action_tracker,
    calc_immediate_due_check,
    working_days_between,
)

REGION = load_region()
AS_OF = dt.date(2025, 6, 12)  # a Thursday
VISITS = visit_frame(
    [("V1", "RHM", "triggered", pd.Timestamp("2025-06-02"), "QAH", "Surgery", None, None, "")]
)
ACTIONS = pd.DataFrame(
    [
        action_row("IMR1", "immediate mandatory requirement", "2025-06-09"),  # Mon + 5 working days
        action_row("IMR2", "immediate mandatory requirement", "2025-06-10", status="closed"),  # 6
        action_row("MR1", "mandatory requirement", "2025-06-12"),  # due today
        action_row("REC1", "recommendation", "2025-01-01", status="in progress"),
    ]
)


def test_working_days_count_the_days_after_the_start_up_to_the_end():
    assert working_days_between(dt.date(2025, 6, 2), dt.date(2025, 6, 9)) == 5  # Mon to Mon
    assert working_days_between(dt.date(2025, 6, 6), dt.date(2025, 6, 13)) == 5  # Fri to Fri
    assert working_days_between(dt.date(2025, 6, 2), dt.date(2025, 6, 7)) == 4  # Mon to Sat
    assert working_days_between(dt.date(2025, 6, 2), dt.date(2025, 6, 2)) == 0
    bank_holiday = [dt.date(2025, 8, 25)]
    assert working_days_between(dt.date(2025, 8, 22), dt.date(2025, 8, 29), bank_holiday) == 4


def test_working_days_of_series_keep_missing_dates_missing():
    start = pd.Series(pd.to_datetime(["2025-06-02", None]))
    end = pd.Series(pd.to_datetime(["2025-06-09", "2025-06-09"]))
    out = working_days_between(start, end)
    assert out.iloc[0] == 5 and pd.isna(out.iloc[1])


def test_tracker_joins_the_visit_and_flags_overdue_actions():
    out = calc_action_tracker(ACTIONS, VISITS, AS_OF, REGION).set_index("ref")
    assert out.index.tolist() == ["REC1", "IMR1", "IMR2", "MR1"]  # by due date
    assert out["overdue"].to_dict() == {"REC1": True, "IMR1": True, "IMR2": False, "MR1": False}
    assert out.loc["IMR1", "days_overdue"] == 3
    assert out["is_immediate"].tolist() == [False, True, True, False]
    assert (out["visit_date"] == pd.Timestamp("2025-06-02")).all()
    assert (out["visit_type"] == "triggered").all()


def test_immediate_requirement_due_more_than_5_working_days_after_the_visit_is_flagged():
    tracker = calc_action_tracker(ACTIONS, VISITS, AS_OF, REGION)
    assert tracker.set_index("ref")["working_days_to_due"]["IMR2"] == 6
    assert calc_immediate_due_check(tracker)["ref"].tolist() == ["IMR2"]


def test_working_day_limit_comes_from_settings():
    region = REGION.model_copy(update={"immediate_requirement_working_days": 6})
    assert calc_immediate_due_check(calc_action_tracker(ACTIONS, VISITS, AS_OF, region)).empty
