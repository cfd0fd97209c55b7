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


def _closed_on(day: str, visit_day: str) -> pd.DataFrame:
    visits = visit_frame(
        [("V1", "RHM", "triggered", pd.Timestamp(visit_day), "QAH", "Surgery", None, None, "")]
    )
    action = action_row("IMR1", "immediate mandatory requirement", day, status="closed")
    return calc_action_tracker(pd.DataFrame([action]), visits, dt.date(2025, 10, 1), REGION)


def test_immediate_requirements_closed_after_their_working_day_deadline_are_late():
    # Visit Friday 22 Aug 2025; Monday 25 Aug is a bank holiday in England and Wales, so the
    # five working days end on Monday 1 Sep (bank holidays from the holidays library).
    on_time = _closed_on("2025-09-01", "2025-08-22").iloc[0]
    assert on_time["deadline"] == pd.Timestamp("2025-09-01") and not on_time["closed_late"]
    late = _closed_on("2025-09-02", "2025-08-22").iloc[0]
    assert late["closed_late"]


def test_extra_closed_days_are_a_setting():
    calendar = REGION.calendar.model_copy(update={"extra_closed_days": [dt.date(2025, 9, 1)]})
    region = REGION.model_copy(update={"calendar": calendar})
    visits = visit_frame(
        [("V1", "RHM", "triggered", pd.Timestamp("2025-08-22"), "QAH", "Surgery", None, None, "")]
    )
    action = action_row("IMR1", "immediate mandatory requirement", "2025-09-02", status="closed")
    out = calc_action_tracker(pd.DataFrame([action]), visits, dt.date(2025, 10, 1), region)
    assert out.iloc[0]["deadline"] == pd.Timestamp("2025-09-02") and not out.iloc[0]["closed_late"]


def test_notable_practice_is_never_open_overdue_or_late():
    praise = action_row("NP1", "notable practice", "2024-11-04")  # recorded "open", long ago
    out = calc_action_tracker(pd.DataFrame([praise]), VISITS, AS_OF, REGION).iloc[0]
    assert not out["is_action"] and not out["is_open"] and not out["overdue"]
    assert out["days_overdue"] == 0 and not out["closed_late"] and not out["late_open"]
