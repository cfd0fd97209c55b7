"""What was known at a date: every dataset cut to a review's as-at date.

A review is one trust, one review year and one as-at date; it shows nothing published or
happening after that date.  :func:`known_at` is the one place that decides what that means for
each dataset (:data:`CUTS` holds a rule for every dataset of :mod:`qvlib.schemas`):

- events by their date: visits, good practice, CQC ratings (by publication date);
- risks by their opened and closed dates: a risk closed after the date was still open then, and
  its score, band and Intensive Support Framework level come from the dated risk history where
  the data has one (else the register's current values, which the review says);
- visit actions by their visit's date, with the status they had at the date (closed only if
  closed by then; the evidence of a later closure is not yet known);
- surveys by **publication**, not survey year (``publication`` in region.yaml: GMC NTS results
  in July of the survey year, the NHS Staff Survey in March of the next year, ...);
- monthly national data (FFT, NHS website ratings) once the month has ended and the publication
  lag has passed; guardian of safe working returns after their quarter; annual returns
  (learners, funding, LDA, self-assessment) after their financial year;
- data without dates (trusts, sites, training programmes, hand-listed hotspots) as recorded.

Nothing here reads a file or the clock: the date is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import fy_bounds, timestamp
from qvlib.schemas import RiskHistorySchema as RH
from qvlib.schemas import RiskSchema as R
from qvlib.schemas import VisitActionSchema as A

CLOSED = "closed"
#: The status a risk or action closed after the as-at date had at that date.
REOPENED_STATUS = "open"


@dataclass
class Known:
    """Every dataset as known at ``as_at``, and what the cut means for a reader.

    Attributes
    ----------
    as_at
        The date.
    tables
        Dataset name -> frame holding only what was known at ``as_at`` (same columns as the
        input, plus ``rating_source`` on ``risks``: ``"history"`` or ``"current"``).
    notes
        Plain sentences a pack shows about the cut (e.g. that current risk ratings were used).
    """

    as_at: dt.date
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


def _each_distinct(values: pd.Series, day: Callable[[Any], pd.Timestamp]) -> pd.Series:
    """``day(value)`` for each of ``values``, computed once per distinct value: a table repeats
    a few years, quarters or months over many rows, and a trust's tables are cut in every pack.
    """
    days = {value: day(value) for value in values.unique()}
    return pd.to_datetime(values.map(days)).astype("datetime64[ns]")


def month_end(period: pd.Series) -> pd.Series:
    """The last day of each month.

    Returns
    -------
    pandas.Series
        The last day of each ``YYYY-MM`` month of ``period``.

    Examples
    --------
    >>> month_end(pd.Series(["2025-02", "2024-02"])).dt.date.tolist()
    [datetime.date(2025, 2, 28), datetime.date(2024, 2, 29)]
    """
    return _each_distinct(
        period, lambda month: pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)
    )


def quarter_end(quarter: pd.Series) -> pd.Series:
    """The last day of each financial quarter.

    Returns
    -------
    pandas.Series
        The last day of each ``YYYY/YY Qn`` quarter of ``quarter`` (Q1 ends 30 June).

    Examples
    --------
    >>> quarter_end(pd.Series(["2025/26 Q1", "2025/26 Q4"])).dt.date.tolist()
    [datetime.date(2025, 6, 30), datetime.date(2026, 3, 31)]
    """

    def last_day(text: str) -> pd.Timestamp:
        start, month = int(text[:4]), 3 + 3 * int(text[-1])  # Q1 -> June, ..., Q4 -> March
        first = (
            pd.Timestamp(start + 1, month - 12, 1) if month > 12 else pd.Timestamp(start, month, 1)
        )
        return first + pd.offsets.MonthEnd(0)

    return _each_distinct(quarter, last_day)


def year_end(financial_year: pd.Series) -> pd.Series:
    """The last day of each financial year.

    Returns
    -------
    pandas.Series
        31 March at the end of each ``YYYY/YY`` of ``financial_year``.

    Examples
    --------
    >>> year_end(pd.Series(["2024/25"])).dt.date.tolist()
    [datetime.date(2025, 3, 31)]
    """
    return _each_distinct(financial_year, lambda year: pd.Timestamp(int(year[:4]) + 1, 3, 31))


def published(years: pd.Series, survey: str, region: RegionConfig) -> pd.Series:
    """The day each survey year's results were published (``publication`` in region.yaml).

    Parameters
    ----------
    years
        Survey years.
    survey
        ``"NTS"``, ``"NETS"`` or ``"staff_survey"``.
    region
        Parsed region settings.

    Returns
    -------
    pandas.Series
        The publication day of each year.

    Examples
    --------
    >>> from qvlib.config import load_region
    >>> region = load_region("parameters/region.yaml")
    >>> published(pd.Series([2024, 2025]), "NTS", region).dt.date.tolist()
    [datetime.date(2024, 7, 1), datetime.date(2025, 7, 1)]
    >>> published(pd.Series([2024]), "staff_survey", region).dt.date.tolist()
    [datetime.date(2025, 3, 1)]
    """
    rule = region.publication.survey(survey)
    return _each_distinct(years, lambda year: pd.Timestamp(rule.date(int(year))))


def latest_published_year(survey: str, as_at: dt.date, region: RegionConfig) -> int:
    """The latest survey year whose results were published on or before ``as_at``.

    Returns
    -------
    int
        ``as_at``'s year, or the year before if its results were not yet out.

    Examples
    --------
    >>> from qvlib.config import load_region
    >>> region = load_region("parameters/region.yaml")
    >>> latest_published_year("NTS", dt.date(2025, 6, 30), region)
    2024
    >>> latest_published_year("NTS", dt.date(2025, 7, 1), region)
    2025
    """
    rule = region.publication.survey(survey)
    year = as_at.year - rule.years_after
    return year if rule.date(year) <= as_at else year - 1


def latest_known_year(
    key: str,
    years: Sequence[Any],
    as_at: dt.date,
    region: RegionConfig,
    review_year: str | None = None,
) -> Any:
    """The latest of ``years`` known at ``as_at``.

    Parameters
    ----------
    key
        ``"NTS"``, ``"NETS"`` or ``"staff_survey"`` (survey years, known once published), or an
        annual return (financial years ``YYYY/YY``, known once the year has ended plus
        ``publication.annual_days_after_year``).
    years
        The years the data holds (e.g. :attr:`qvlib.datasets.Coverage.years`).
    as_at
        The date.
    region
        Parsed region settings.
    review_year
        For annual returns: no year after the review year.

    Returns
    -------
    int or str or None
        The latest year known; ``None`` if none is.

    Examples
    --------
    >>> from qvlib.config import load_region
    >>> region = load_region("parameters/region.yaml")
    >>> latest_known_year("staff_survey", [2023, 2024, 2025], dt.date(2025, 10, 14), region)
    2024
    >>> latest_known_year("funding", ["2024/25", "2025/26"], dt.date(2025, 10, 14), region)
    '2024/25'
    >>> latest_known_year("funding", ["2025/26"], dt.date(2025, 10, 14), region) is None
    True
    """
    when = timestamp(as_at)
    if key in ("NTS", "NETS", "staff_survey"):
        rule = region.publication.survey(key)
        known = [y for y in years if timestamp(rule.date(int(y))) <= when]
    else:
        lag = pd.Timedelta(days=region.publication.annual_days_after_year)
        known = [
            y
            for y in years
            if fy_bounds(y)[1] + lag <= when and (review_year is None or y <= review_year)
        ]
    return max(known) if known else None


def _by_date(column: str) -> Callable[[pd.DataFrame, dt.date, RegionConfig], pd.DataFrame]:
    def cut(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
        return frame[pd.to_datetime(frame[column]) <= timestamp(as_at)]

    cut.__doc__ = f"Rows whose ``{column}`` is on or before the date."
    return cut


def _after_year(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
    """Annual returns: a financial year's rows once it has ended (plus the reporting lag)."""
    lag = pd.Timedelta(days=region.publication.annual_days_after_year)
    return frame[year_end(frame["year"]) + lag <= timestamp(as_at)]


def _after_quarter(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
    """Quarterly returns: a quarter's rows once it has ended (plus the reporting lag)."""
    lag = pd.Timedelta(days=region.publication.guardian_days_after_quarter)
    return frame[quarter_end(frame["quarter"]) + lag <= timestamp(as_at)]


def _after_month(lag_setting: str):
    def cut(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
        lag = pd.Timedelta(days=getattr(region.publication, lag_setting))
        return frame[month_end(frame["period"]) + lag <= timestamp(as_at)]

    cut.__doc__ = f"Monthly data once the month has ended and ``{lag_setting}`` have passed."
    return cut


def _surveys(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
    """NTS and NETS results once their survey year's results were published."""
    keep = pd.Series(False, index=frame.index)
    for survey, rows in frame.groupby("survey", sort=False):
        keep[rows.index] = published(rows["year"], survey, region) <= timestamp(as_at)
    return frame[keep]


def _staff_survey(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
    """NHS Staff Survey results once published."""
    return frame[published(frame["year"], "staff_survey", region) <= timestamp(as_at)]


def _as_recorded(frame: pd.DataFrame, as_at: dt.date, region: RegionConfig) -> pd.DataFrame:
    """Data without dates: as recorded."""
    return frame


def risks_at(
    risks: pd.DataFrame, history: pd.DataFrame | None, as_at: dt.date
) -> tuple[pd.DataFrame, list[str]]:
    """The risk register as it stood at ``as_at``.

    Parameters
    ----------
    risks
        The register (``RiskSchema`` columns), as it stands now.
    history
        Dated ratings (``RiskHistorySchema`` columns); ``None`` or empty when the data has none.
    as_at
        The date.

    Returns
    -------
    (frame, notes)
        Risks opened on or before ``as_at``; a risk closed after it has the status "open" and no
        closed date; ``likelihood``, ``consequence``, ``isf_level`` and ``escalated`` from the
        latest history entry on or before ``as_at`` (``rating_source`` "history"), else as the
        register has them now (``rating_source`` "current"), which a note then says.

    Examples
    --------
    A risk rated extreme now, closed in 2026, was open and rated lower in October 2025:

    >>> risks = pd.DataFrame({
    ...     "risk_id": ["R1"], "opened": ["2025-01-10"], "closed": ["2026-02-01"],
    ...     "status": ["closed"], "likelihood": [5], "consequence": [5],
    ...     "isf_level": [3], "escalated": [True]})
    >>> history = pd.DataFrame({
    ...     "risk_id": ["R1", "R1"], "date": ["2025-01-10", "2025-11-01"],
    ...     "likelihood": [3, 5], "consequence": [3, 5],
    ...     "isf_level": [1, 3], "escalated": [False, True]})
    >>> then, notes = risks_at(risks, history, dt.date(2025, 10, 14))
    >>> then[["status", "closed", "likelihood", "isf_level", "rating_source"]]
      status closed  likelihood  isf_level rating_source
    0   open    NaT           3          1       history
    >>> notes
    []
    """
    when = timestamp(as_at)
    out = risks[pd.to_datetime(risks[R.opened]) <= when].copy()
    closed = pd.to_datetime(out[R.closed])
    # Closed after the date: open then.  (A closed risk without a date stays closed: when it
    # closed is unknown, and the register says it is.)
    reopened = closed.notna() & (closed > when) & (out[R.status] == CLOSED)
    out.loc[reopened, R.status] = REOPENED_STATUS
    out[R.closed] = closed.where(~reopened)
    out["rating_source"] = "current"
    entries = None if history is None else history[pd.to_datetime(history[RH.date]) <= when]
    if entries is not None and not entries.empty:
        latest = (
            entries.sort_values([RH.risk_id, RH.date], kind="stable")
            .drop_duplicates(RH.risk_id, keep="last")
            .set_index(RH.risk_id)
        )
        rated = out[R.risk_id].isin(latest.index)
        ids = out.loc[rated, R.risk_id]
        for column in (R.likelihood, R.consequence, R.isf_level, R.escalated):
            out.loc[rated, column] = ids.map(latest[column]).to_numpy()
        out.loc[rated, "rating_source"] = "history"
    out[[R.likelihood, R.consequence]] = out[[R.likelihood, R.consequence]].astype(int)
    notes = []
    current = out[out["rating_source"] == "current"]
    if len(current) and len(out):
        which = "every risk" if len(current) == len(out) else f"{len(current)} of {len(out)} risks"
        notes.append(
            f"Risk ratings: the risk history has no entry on or before the as-at date for "
            f"{which}, so their current score, band and Intensive Support Framework level are "
            "shown."
        )
    return out, notes


def actions_at(
    actions: pd.DataFrame, visits: pd.DataFrame, as_at: dt.date, note: str = A.evidence
) -> pd.DataFrame:
    """Actions (or commitments) of the visits held by ``as_at``, with the status they had then.

    Parameters
    ----------
    actions
        Rows with ``visit_id``, ``status`` and ``closed`` (visit actions, commitments).
    visits
        Visits (``visit_id``, ``date``).
    as_at
        The date.
    note
        The column written at closure (the evidence accepted, a commitment's progress), which
        was not yet known for a row closed after ``as_at``.

    Returns
    -------
    pandas.DataFrame
        The rows of visits dated on or before ``as_at``.  A row closed after ``as_at`` was
        still open at it: status "open", no closed date and no ``note``.

    Examples
    --------
    >>> visits = pd.DataFrame({"visit_id": ["V1", "V2"], "date": ["2025-05-01", "2026-01-20"]})
    >>> actions = pd.DataFrame({
    ...     "visit_id": ["V1", "V2"], "status": ["closed", "open"],
    ...     "closed": ["2025-12-01", None], "evidence": ["Rota published", None]})
    >>> actions_at(actions, visits, dt.date(2025, 10, 14))
      visit_id status closed evidence
    0       V1   open    NaT      NaN
    """
    when = timestamp(as_at)
    held = visits.loc[pd.to_datetime(visits["date"]) <= when, "visit_id"]
    out = actions[actions[A.visit_id].isin(held)].copy()
    closed = pd.to_datetime(out[A.closed])
    reopened = closed.notna() & (closed > when) & (out[A.status] == CLOSED)
    out.loc[reopened, A.status] = REOPENED_STATUS
    out.loc[reopened, note] = np.nan
    out[A.closed] = closed.where(~reopened)
    return out


#: The rule for every dataset (a test checks that each dataset of the contract has one).
CUTS: dict[str, Callable[[pd.DataFrame, dt.date, RegionConfig], pd.DataFrame]] = {
    "trusts": _as_recorded,
    "sites": _as_recorded,
    "programmes": _as_recorded,
    "hotspots": _as_recorded,
    "learners": _after_year,
    "funding": _after_year,
    "self_assessment": _after_year,
    "lda_compliance": _after_year,
    "exception_reports": _after_quarter,
    "survey_results": _surveys,
    "good_practice": _by_date("date"),
    "visits": _by_date("date"),
    "fft": _after_month("fft_days_after_month"),
    "nhs_website_ratings": _after_month("website_days_after_month"),
    "cqc_ratings": _by_date("publication_date"),
    "staff_survey": _staff_survey,
    # risks, risk_history and the datasets of visits need each other: see known_at
}
_LINKED = ("risks", "risk_history", "visit_actions", "commitments", "meeting_attendees")


def known_at(tables: Mapping[str, pd.DataFrame], as_at: dt.date, region: RegionConfig) -> Known:
    """Every dataset of ``tables`` cut to what was known at ``as_at``.

    Parameters
    ----------
    tables
        Dataset name -> frame (a trust's data or a whole dataset).
    as_at
        The date.
    region
        Parsed region settings (``publication`` lags).

    Returns
    -------
    Known
        The cut tables and the notes a pack shows about them.

    Raises
    ------
    KeyError
        For a dataset with no rule in :data:`CUTS` (every dataset must say how it is cut).

    Examples
    --------
    >>> from qvlib.config import load_region
    >>> from qvlib.datasets import load
    >>> region = load_region("parameters/region.yaml")
    >>> trust = load("data/sample").trust("RHM")
    >>> known = known_at(trust.tables, dt.date(2025, 10, 14), region)
    >>> known.tables["visits"]["date"].max() <= pd.Timestamp("2025-10-14")
    True
    >>> int(known.tables["staff_survey"]["year"].max())
    2024
    """
    cut: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for name, frame in tables.items():
        if name in _LINKED:
            continue
        if name not in CUTS:
            raise KeyError(f"no as-at rule for dataset {name!r}; add one to qvlib.metrics.asat")
        cut[name] = CUTS[name](frame, as_at, region).reset_index(drop=True)
    if "risks" in tables:
        cut["risks"], found = risks_at(tables["risks"], tables.get("risk_history"), as_at)
        cut["risks"] = cut["risks"].reset_index(drop=True)
        notes += found
    if "risk_history" in tables:
        history = tables["risk_history"]
        cut["risk_history"] = history[pd.to_datetime(history[RH.date]) <= timestamp(as_at)]
    if "visit_actions" in tables:
        cut["visit_actions"] = actions_at(
            tables["visit_actions"], tables["visits"], as_at
        ).reset_index(drop=True)
    if "commitments" in tables:
        cut["commitments"] = actions_at(
            tables["commitments"], tables["visits"], as_at, note="progress"
        ).reset_index(drop=True)
    if "meeting_attendees" in tables:
        held = cut["visits"]["visit_id"]
        attendees = tables["meeting_attendees"]
        cut["meeting_attendees"] = attendees[attendees["visit_id"].isin(held)].reset_index(
            drop=True
        )
    return Known(as_at=as_at, tables=cut, notes=notes)
