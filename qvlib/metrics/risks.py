"""Risk register metrics: score, band, open/overdue flags, counts and year-end trend.

Score is likelihood x consequence on the NPSA 5x5 matrix (1-25); bands, the statuses that count
as open and when a review is overdue all come from ``parameters/region.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import fy_bounds, timestamp
from qvlib.schemas import RiskSchema as R

SCORE_MIN, SCORE_MAX = 1, 25  # the NPSA 5x5 matrix


def risk_band_dtype(region: RegionConfig) -> pd.CategoricalDtype:
    """The dtype of a ``band`` column.

    Parameters
    ----------
    region
        Parsed region settings.

    Returns
    -------
    pandas.CategoricalDtype
        Ordered categorical of the configured band names, lowest band first.
    """
    return pd.CategoricalDtype(region.risk.band_names(), ordered=True)


def calc_risk_score(likelihood: int | pd.Series, consequence: int | pd.Series) -> int | pd.Series:
    """Risk score: likelihood x consequence.

    Parameters
    ----------
    likelihood, consequence
        Each 1-5 (NPSA 5x5 matrix); scalars or aligned Series.

    Returns
    -------
    int or pandas.Series
        The score, 1-25.

    Raises
    ------
    ValueError
        If any likelihood or consequence is outside 1-5.
    """
    for name, value in (("likelihood", likelihood), ("consequence", consequence)):
        values = np.asarray(value)
        if values.size and ((values < 1) | (values > 5)).any():
            raise ValueError(f"{name} must be between 1 and 5, got {value!r}")
    return likelihood * consequence


def calc_risk_band(score: int | pd.Series, region: RegionConfig) -> str | pd.Series:
    """Band of a risk score, from the bands in ``region.risk.bands``.

    A score belongs to the band whose range holds it.  Scores no likelihood x consequence can
    give (7, 11, 13, 14, ...) may fall between configured ranges; they take the band below, so
    every integer 1-25 has exactly one band whatever the configuration.

    Parameters
    ----------
    score
        A score 1-25, or a Series of them.
    region
        Parsed region settings.

    Returns
    -------
    str or pandas.Series
        The band name; for a Series, an ordered categorical (lowest band first).

    Raises
    ------
    ValueError
        If a score is outside 1-25.
    """
    bands = sorted(region.risk.bands, key=lambda b: b.min)
    values = np.atleast_1d(np.asarray(score))
    if ((values < SCORE_MIN) | (values > SCORE_MAX)).any():
        raise ValueError(f"risk score must be between {SCORE_MIN} and {SCORE_MAX}, got {score!r}")
    mins = np.array([b.min for b in bands])
    # The lowest band starts the scale even if configured from above 1.
    mins[0] = SCORE_MIN
    index = np.searchsorted(mins, values, side="right") - 1
    names = np.array([b.name for b in bands], dtype=object)[index]
    if isinstance(score, pd.Series):
        return pd.Series(
            pd.Categorical(names, dtype=risk_band_dtype(region)), index=score.index, name="band"
        )
    return str(names[0])


def calc_risks(risks: pd.DataFrame, region: RegionConfig, as_at: dt.date) -> pd.DataFrame:
    """Score and flag every risk in the register.

    Parameters
    ----------
    risks
        Risk register (``RiskSchema`` columns).
    region
        Parsed region settings (bands, open statuses, review grace days).
    as_at
        The date the review is as at; "today" for overdue and days open.

    Returns
    -------
    pandas.DataFrame
        The input plus ``score``; ``band`` (ordered categorical); ``is_open`` (status is one of
        ``interventions.open_statuses``); ``review_overdue`` (open, with a review due date, and
        ``review_due + risk.review_overdue_after_days`` before ``as_at``); ``days_open`` (days
        from opening to closing, or to ``as_at`` while not closed or when the closing date is
        unknown).
    """
    today = timestamp(as_at)
    out = risks.copy()
    out["score"] = calc_risk_score(out[R.likelihood].astype(int), out[R.consequence].astype(int))
    out["band"] = calc_risk_band(out["score"], region)
    out["is_open"] = out[R.status].isin(region.interventions.open_statuses)
    grace = pd.Timedelta(days=region.risk.review_overdue_after_days)
    review_due = pd.to_datetime(out[R.review_due])
    out["review_overdue"] = out["is_open"] & review_due.notna() & (review_due + grace < today)
    closed = pd.to_datetime(out[R.closed])
    end = closed.where(~out["is_open"] & closed.notna(), today)
    out["days_open"] = (end - pd.to_datetime(out[R.opened])).dt.days.astype("Int64")
    return out


def calc_risk_counts(
    risks_scored: pd.DataFrame,
    by: Sequence[str] = ("band",),
    region: RegionConfig | None = None,
    trust_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Open and closed risk counts per trust and band (or domain, or any column).

    Parameters
    ----------
    risks_scored
        Output of :func:`calc_risks`.
    by
        Columns to count by, e.g. ``("band",)`` or ``("domain",)``.
    region
        When given, every configured quality framework domain is listed when counting by
        ``domain`` (bands are always all listed: ``band`` is categorical).
    trust_codes
        Trusts to list even when they have no risks; default the trusts in the frame.

    Returns
    -------
    pandas.DataFrame
        ``trust_code``, the ``by`` columns, ``open``, ``closed``, ``total``: one row per trust
        and every combination of the ``by`` values, zeros filled.  ``closed`` counts the risks
        that are not open (see :func:`calc_risks`).
    """
    by = list(by)
    trusts = list(trust_codes) if trust_codes is not None else []
    trusts += [c for c in sorted(risks_scored[R.trust_code].unique()) if c not in trusts]
    levels: list[list] = [trusts]
    for col in by:
        values = risks_scored[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            levels.append(list(values.cat.categories))
        elif col == R.domain and region is not None:
            extra = sorted(set(values.dropna()) - set(region.domains))
            levels.append([*region.domains, *extra])
        else:
            levels.append(sorted(values.dropna().unique()))
    keys = [R.trust_code, *by]
    frame = risks_scored.assign(
        open=risks_scored["is_open"].astype(int), closed=(~risks_scored["is_open"]).astype(int)
    )
    counts = frame.groupby(keys, observed=True)[["open", "closed"]].sum()
    full = pd.MultiIndex.from_product(levels, names=keys)
    out = counts.reindex(full, fill_value=0).reset_index()
    out[["open", "closed"]] = out[["open", "closed"]].astype(int)
    out["total"] = out["open"] + out["closed"]
    for col in by:
        if isinstance(risks_scored[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(risks_scored[col].dtype)
    return out


def calc_risk_trend(risks_scored: pd.DataFrame, years: Sequence[str]) -> pd.DataFrame:
    """Risks open at the end of each financial year, per trust and band.

    A risk counts as open at a year end (31 March) if it opened on or before that day and had
    not closed by then.  A risk that is not open now (see :func:`calc_risks`) but has no
    closing date is not counted in any year, since when it closed is unknown.

    Parameters
    ----------
    risks_scored
        Output of :func:`calc_risks`.
    years
        Financial years written ``YYYY/YY``, e.g. ``["2023/24", "2024/25"]``.

    Returns
    -------
    pandas.DataFrame
        ``trust_code``, ``year``, ``band``, ``open_at_year_end``: every trust x year x band,
        zeros filled, years in the order given.
    """
    opened = pd.to_datetime(risks_scored[R.opened])
    closed = pd.to_datetime(risks_scored[R.closed])
    unknown_close = ~risks_scored["is_open"] & closed.isna()
    band_dtype = risks_scored["band"].dtype
    trusts = sorted(risks_scored[R.trust_code].unique())
    rows = []
    for year in years:
        _, end = fy_bounds(year)
        open_then = (opened <= end) & (closed.isna() | (closed > end)) & ~unknown_close
        counts = risks_scored[open_then].groupby([R.trust_code, "band"], observed=False).size()
        for trust in trusts:
            for band in band_dtype.categories:
                rows.append((trust, year, band, int(counts.get((trust, band), 0))))
    out = pd.DataFrame(rows, columns=[R.trust_code, "year", "band", "open_at_year_end"])
    out["band"] = out["band"].astype(band_dtype)
    out["open_at_year_end"] = out["open_at_year_end"].astype(int)
    return out
