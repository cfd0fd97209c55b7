"""Visit action tracker: requirements and recommendations, overdue ones, and due-date checks.

An immediate mandatory requirement must be done within ``immediate_requirement_working_days``
working days of the visit that set it (Monday to Friday, less the bank holidays of the
``calendar`` in region.yaml).  Notable practice is what a visit praised: it is listed with the
visit's findings but never counted as an action to close.
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
NOTABLE = "notable practice"
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
    as_at: dt.date,
    region: RegionConfig,
) -> pd.DataFrame:
    """Every requirement and recommendation with its visit, status and whether it is overdue.

    Notable practice is listed (it is what a visit praised) but is never an action to close:
    it is never overdue, late or counted as open.

    Parameters
    ----------
    visit_actions
        Actions (``VisitActionSchema`` columns), with their status at ``as_at``.
    visits
        Visits (``VisitSchema`` columns), for each action's date, type and place.
    as_at
        The date the review is as at.
    region
        Parsed region settings: ``immediate_requirement_working_days`` and the ``calendar`` of
        working days (bank holidays of England and Wales by default).

    Returns
    -------
    pandas.DataFrame
        The action columns plus ``trust_code, visit_date, visit_type, site, specialty``;
        ``is_action`` (anything but notable practice); ``is_immediate`` (an immediate mandatory
        requirement); ``is_open`` (an action not closed); ``overdue`` (open and due before
        ``as_at``); ``days_overdue`` (days past due when overdue, else 0);
        ``working_days_to_due`` (from the visit to the due date); ``due_too_late`` (an
        immediate mandatory requirement due more than ``immediate_requirement_working_days``
        working days after its visit); ``deadline`` (for an immediate mandatory requirement,
        the last working day it may take; else the due date); ``closed_late`` (closed after
        its deadline); ``late_open`` (open and past its deadline); ``rag`` at ``as_at``:
        "red" (overdue, or past its deadline), "amber" (due within
        ``actions.amber_within_days``), "green", "closed", "closed late", or "notable practice".
        Sorted by due date, visit id and ref.
    """
    today = timestamp(as_at)
    visit_cols = visits[[V.visit_id, V.trust_code, V.date, V.visit_type, V.site, V.specialty]]
    out = visit_actions.merge(
        visit_cols.rename(columns={V.date: "visit_date"}), on=A.visit_id, how="left"
    )
    due = pd.to_datetime(out[A.due])
    closed = pd.to_datetime(out[A.closed])
    out["is_action"] = out[A.kind] != NOTABLE
    out["is_immediate"] = out[A.kind] == IMMEDIATE
    out["is_open"] = out["is_action"] & (out[A.status] != CLOSED)
    out["overdue"] = out["is_open"] & (due < today)
    out["days_overdue"] = np.where(out["overdue"], (today - due).dt.days, 0).astype(int)
    holidays = _closed_days(region, out["visit_date"], due)
    out["working_days_to_due"] = working_days_between(out["visit_date"], due, holidays)
    limit = region.immediate_requirement_working_days
    out["due_too_late"] = out["is_immediate"] & (
        out["working_days_to_due"].fillna(0).astype(int) > limit
    )
    deadline = _add_working_days(out["visit_date"], limit, holidays)
    out["deadline"] = deadline.where(out["is_immediate"], due)
    out["closed_late"] = out["is_action"] & closed.notna() & (closed > out["deadline"])
    out["late_open"] = out["is_open"] & (out["deadline"] < today)
    amber = today + pd.Timedelta(days=region.actions.amber_within_days)
    out["rag"] = np.select(
        [
            ~out["is_action"],
            out["closed_late"],
            out[A.status] == CLOSED,
            out["overdue"] | out["late_open"],
            due <= amber,
        ],
        [NOTABLE, "closed late", "closed", "red", "amber"],
        default="green",
    )
    return out.sort_values([A.due, A.visit_id, A.ref], kind="stable").reset_index(drop=True)


def _closed_days(region: RegionConfig, *dates: pd.Series) -> list[dt.date]:
    """The calendar's non-working weekdays over the years ``dates`` span (a year either side)."""
    years = [d.dt.year for d in (pd.to_datetime(s) for s in dates) if d.notna().any()]
    if not years:
        return []
    first = int(min(y.min() for y in years)) - 1
    last = int(max(y.max() for y in years)) + 1
    return region.calendar.closed_days(first, last)


def _add_working_days(start: pd.Series, days: int, holidays: Sequence[dt.date]) -> pd.Series:
    """``days`` working days after each date of ``start`` (missing stays missing)."""
    dates = pd.to_datetime(start)
    result = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    known = dates.notna()
    if known.any():
        closed = np.array([pd.Timestamp(h).date() for h in holidays], dtype="datetime64[D]")
        begin = dates[known].to_numpy().astype("datetime64[D]")
        # A visit on a weekend or holiday counts from the working day before it, so that the
        # count is of working days after the visit (as working_days_between counts them).
        moved = np.busday_offset(begin, days, roll="backward", holidays=closed)
        result[known] = pd.to_datetime(moved)
    return result


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
