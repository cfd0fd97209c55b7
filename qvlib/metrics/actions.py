"""Visit action tracker: requirements and recommendations, overdue ones, and due-date checks.

An immediate mandatory requirement must be due within ``immediate_requirement_working_days``
working days (Monday to Friday, minus any holidays given) of the visit that set it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import timestamp
from qvlib.schemas import VisitActionSchema as A
from qvlib.schemas import VisitSchema as V

IMMEDIATE = "immediate mandatory requirement"
CLOSED = "closed"


def working_days_between(
    start: pd.Series | dt.date,
    end: pd.Series | dt.date,
    holidays: Sequence[dt.date] = (),
) -> pd.Series | int:
    """Working days after ``start`` up to and including ``end``.

    A visit on a Monday with an action due the next Monday gives 5 (Tuesday to Monday).
    Negative when ``end`` is before ``start``.

    Parameters
    ----------
    start, end
        Dates, or aligned Series of dates (missing dates give missing results).
    holidays
        Dates that are not working days (e.g. bank holidays).

    Returns
    -------
    int or pandas.Series
        The count (nullable integer Series for Series input).
    """
    holidays_ = np.array([pd.Timestamp(h).date() for h in holidays], dtype="datetime64[D]")
    if not isinstance(start, pd.Series) and not isinstance(end, pd.Series):
        begin = np.datetime64(pd.Timestamp(start).date(), "D") + 1
        finish = np.datetime64(pd.Timestamp(end).date(), "D") + 1
        return int(np.busday_count(begin, finish, holidays=holidays_))
    index = start.index if isinstance(start, pd.Series) else end.index
    starts = pd.to_datetime(pd.Series(start, index=index))
    ends = pd.to_datetime(pd.Series(end, index=index))
    known = starts.notna() & ends.notna()
    result = pd.Series(pd.NA, index=index, dtype="Int64")
    if known.any():
        begin = starts[known].to_numpy().astype("datetime64[D]") + 1
        finish = ends[known].to_numpy().astype("datetime64[D]") + 1
        result[known] = np.busday_count(begin, finish, holidays=holidays_)
    return result


def calc_action_tracker(
    visit_actions: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: dt.date,
    region: RegionConfig,
    holidays: Sequence[dt.date] = (),
) -> pd.DataFrame:
    """Every requirement and recommendation with its visit, status and whether it is overdue.

    Parameters
    ----------
    visit_actions
        Actions (``VisitActionSchema`` columns).
    visits
        Visits (``VisitSchema`` columns), for each action's date, type and place.
    as_of
        The date the pack is as at.
    region
        Parsed region settings (``immediate_requirement_working_days``).
    holidays
        Non-working days for the working-day check.

    Returns
    -------
    pandas.DataFrame
        The action columns plus ``trust_code, visit_date, visit_type, site, specialty``;
        ``is_immediate`` (an immediate mandatory requirement); ``overdue`` (not closed and
        due before ``as_of``); ``days_overdue`` (days past due when overdue, else 0);
        ``working_days_to_due`` (from the visit to the due date); ``due_too_late`` (an
        immediate mandatory requirement due more than ``immediate_requirement_working_days``
        working days after its visit).  Sorted by due date, visit id and ref.
    """
    today = timestamp(as_of)
    visit_cols = visits[[V.visit_id, V.trust_code, V.date, V.visit_type, V.site, V.specialty]]
    out = visit_actions.merge(
        visit_cols.rename(columns={V.date: "visit_date"}), on=A.visit_id, how="left"
    )
    due = pd.to_datetime(out[A.due])
    out["is_immediate"] = out[A.kind] == IMMEDIATE
    out["overdue"] = (out[A.status] != CLOSED) & (due < today)
    out["days_overdue"] = np.where(out["overdue"], (today - due).dt.days, 0).astype(int)
    out["working_days_to_due"] = working_days_between(out["visit_date"], due, holidays)
    limit = region.immediate_requirement_working_days
    out["due_too_late"] = out["is_immediate"] & (
        out["working_days_to_due"].fillna(0).astype(int) > limit
    )
    return out.sort_values([A.due, A.visit_id, A.ref], kind="stable").reset_index(drop=True)


def calc_immediate_due_check(action_tracker: pd.DataFrame) -> pd.DataFrame:
    """Immediate mandatory requirements due later than the working-day limit after the visit.

    Parameters
    ----------
    action_tracker
        Output of :func:`calc_action_tracker`.

    Returns
    -------
    pandas.DataFrame
        The flagged rows (``due_too_late``).
    """
    return action_tracker[action_tracker["due_too_late"]].reset_index(drop=True)
