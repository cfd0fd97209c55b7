"""Survey metrics: GMC NTS outcomes, NETS % positive, year-on-year change, persistent reds.

NTS outcome (GMC reporting tool): red = below the benchmark's lower quartile with the result's
confidence interval clear below the benchmark's; pink = below the lower quartile otherwise;
white = between the quartiles (inclusive); light green = above the upper quartile, intervals
overlapping; green = above the upper quartile, interval clear above.  Fewer than
``suppression.nts.threshold`` respondents: not reported; none: no result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import latest_run, next_year
from qvlib.metrics.suppression import suppress, suppress_survey
from qvlib.schemas import NTS_OUTCOMES
from qvlib.schemas import SurveyResultSchema as S

RED, PINK, WHITE, LIGHT_GREEN, GREEN, NOT_REPORTED, NO_RESULT = NTS_OUTCOMES
OUTCOME_DTYPE = pd.CategoricalDtype(NTS_OUTCOMES, ordered=True)


def calc_nts_outcome(survey_results: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """Compute the NTS outcome of each result and compare it with the published one.

    Parameters
    ----------
    survey_results
        Survey results (``SurveyResultSchema`` columns); only NTS rows are used.
    region
        Parsed region settings (``suppression.nts.threshold``).

    Returns
    -------
    pandas.DataFrame
        The NTS rows plus ``outcome_computed``, ``outcome_final`` (the published ``outcome``
        where present, else the computed one) and ``outcome_mismatch`` (a published outcome
        that differs from the computed one).  Boundaries: a score equal to Q1 or Q3 is white;
        intervals that touch overlap.  A missing confidence interval counts as overlapping; a
        result with no score or no quartiles (and enough respondents) is "no result".
    """
    nts = survey_results[survey_results[S.survey] == "NTS"].copy()
    n = nts[S.n]
    score = nts[S.score]
    q1, q3 = nts[S.benchmark_q1], nts[S.benchmark_q3]
    clear_below = nts[S.ci_upper] < nts[S.benchmark_ci_lower]
    clear_above = nts[S.ci_lower] > nts[S.benchmark_ci_upper]
    conditions = [
        n == 0,
        n < region.suppression.nts.threshold,
        score.isna() | q1.isna() | q3.isna(),
        (score < q1) & clear_below,
        score < q1,
        score > q3,
    ]
    choices = [NO_RESULT, NOT_REPORTED, NO_RESULT, RED, PINK, LIGHT_GREEN]
    computed = np.select(conditions, choices, default=WHITE).astype(object)
    computed = np.where((computed == LIGHT_GREEN) & clear_above, GREEN, computed)
    nts["outcome_computed"] = pd.Series(computed, index=nts.index, dtype=object)
    published = nts[S.outcome]
    nts["outcome_final"] = published.where(published.notna(), nts["outcome_computed"])
    nts["outcome_mismatch"] = published.notna() & (published != nts["outcome_computed"])
    return nts


def calc_nts_reported(survey_results: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """NTS results as a pack may show them: outcomes computed, small numbers suppressed.

    Parameters
    ----------
    survey_results
        Survey results (``SurveyResultSchema`` columns); only NTS rows are used.
    region
        Parsed region settings (``suppression.nts``).

    Returns
    -------
    pandas.DataFrame
        :func:`calc_nts_outcome`'s rows, suppressed below ``suppression.nts.threshold``: a
        suppressed result keeps no ``n``, score or confidence interval, has ``suppressed``
        true and the outcome "not reported" (or "no result" with none), whatever the input
        says.
    """
    outcomes = calc_nts_outcome(survey_results, region)
    shown = suppress_survey(outcomes, region, "NTS")
    reported = shown["outcome_final"] != NO_RESULT
    shown.loc[shown["suppressed"] & reported, "outcome_final"] = NOT_REPORTED
    return shown


def calc_nets_positive(survey_results: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """NETS % positive per trust, indicator (theme) and year, suppressed below the threshold.

    The trust figure is the respondent-weighted mean of its rows' % positive (rows with no
    score, already suppressed, are left out of both numerator and respondents).

    Parameters
    ----------
    survey_results
        Survey results; only NETS rows are used.
    region
        Parsed region settings (``suppression.nets``).

    Returns
    -------
    pandas.DataFrame
        ``trust_code, year, indicator, n, pct_positive, suppressed``; ``n`` and
        ``pct_positive`` are NaN where ``n`` is below the NETS suppression threshold.
    """
    nets = survey_results[
        (survey_results[S.survey] == "NETS") & survey_results[S.score].notna()
    ].assign(weighted=lambda f: f[S.score] * f[S.n])
    keys = [S.trust_code, S.year, S.indicator]
    grouped = nets.groupby(keys, as_index=False)[[S.n, "weighted"]].sum()
    grouped["pct_positive"] = grouped["weighted"] / grouped[S.n].where(grouped[S.n] > 0)
    grouped = grouped.drop(columns="weighted").sort_values(keys).reset_index(drop=True)
    return suppress(grouped, S.n, ["pct_positive"], region.suppression.nets)


def calc_year_on_year(
    frame: pd.DataFrame, keys: Sequence[str], value: str, year_col: str = "year"
) -> pd.DataFrame:
    """Change of ``value`` on the previous year for each combination of ``keys``.

    The previous year is exactly the year before (``2024`` for ``2025``, ``2024/25`` for
    ``2025/26``); if it is missing the change is NaN.

    Parameters
    ----------
    frame
        One row per ``keys`` x year.
    keys
        Columns identifying a series, not including the year.
    value
        The numeric column to compare.
    year_col
        The year column: integer years or financial years ``YYYY/YY``.

    Returns
    -------
    pandas.DataFrame
        ``frame`` sorted by keys and year, plus ``previous``, ``change`` (value - previous) and
        ``change_pct`` (change as % of previous; NaN when previous is 0 or missing).
    """
    keys = list(keys)
    out = frame.sort_values([*keys, year_col], kind="stable").reset_index(drop=True)
    # Each year's value is joined onto the year after it, as that year's "previous".
    lookup = out[[*keys, year_col, value]].rename(columns={value: "previous"})
    lookup[year_col] = lookup[year_col].map(next_year)
    out = out.merge(lookup, on=[*keys, year_col], how="left")
    out["change"] = out[value] - out["previous"]
    out["change_pct"] = out["change"] / out["previous"].where(out["previous"] != 0) * 100
    return out


def calc_red_runs(nts_outcomes: pd.DataFrame, keys: Sequence[str], min_years: int) -> pd.DataFrame:
    """The latest run of consecutive survey years with a red outcome, per group of ``keys``.

    Parameters
    ----------
    nts_outcomes
        Output of :func:`calc_nts_outcome` (``outcome_final`` is used).
    keys
        Columns of a group, e.g. trust, site, specialty (any indicator red counts for the
        group) or with ``indicator`` too.
    min_years
        Shortest run reported.

    Returns
    -------
    pandas.DataFrame
        The ``keys`` then ``first_year, last_year, years_red``, ``current`` (the run reaches the
        latest survey year in the data) and ``indicators`` (red in the run, joined with "; ").
        Consecutive means adjacent among the survey years present in ``nts_outcomes``, so a
        year the survey did not run (NTS 2020) does not break a run.
    """
    keys = list(keys)
    survey_years = sorted(nts_outcomes[S.year].unique())
    latest_year = survey_years[-1] if survey_years else None
    red = nts_outcomes[nts_outcomes["outcome_final"] == RED]
    rows = []
    for key, group in red.groupby(keys, sort=True):
        red_years = set(group[S.year])
        length, end = latest_run(year in red_years for year in survey_years)
        if length >= min_years:
            first, last = survey_years[end - length + 1], survey_years[end]
            indicators = sorted(group[group[S.year].between(first, last)][S.indicator].unique())
            rows.append(
                (*key, int(first), int(last), length, last == latest_year, "; ".join(indicators))
            )
    columns = [*keys, "first_year", "last_year", "years_red", "current", "indicators"]
    # Typed even when empty, so that boolean masks on ``current`` stay masks.
    types = {"first_year": int, "last_year": int, "years_red": int, "current": bool}
    return pd.DataFrame(rows, columns=columns).astype(types)


def calc_persistent_reds(nts_outcomes: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """Site x specialty x indicator results red in ``hotspots.consecutive_red_years`` running years.

    Parameters
    ----------
    nts_outcomes
        Output of :func:`calc_nts_outcome` (``outcome_final`` is used).
    region
        Parsed region settings.

    Returns
    -------
    pandas.DataFrame
        ``trust_code, site, specialty, indicator, first_year, last_year, years_red, current``
        for the latest run of consecutive red years of each result, when that run is at least
        ``hotspots.consecutive_red_years`` long.  Consecutive means adjacent among the survey years
        present in the data (a year the survey did not run does not break a run); ``current``
        says the run reaches the latest survey year.
    """
    keys = [S.trust_code, S.site, S.specialty, S.indicator]
    runs = calc_red_runs(nts_outcomes, keys, region.hotspots.consecutive_red_years)
    return runs.drop(columns="indicators")


def calc_outcome_counts(
    nts_outcomes: pd.DataFrame, by: Sequence[str] = ("trust_code", "year")
) -> pd.DataFrame:
    """Number of results of each NTS outcome (red, pink, ..., no result) per group.

    Parameters
    ----------
    nts_outcomes
        Output of :func:`calc_nts_outcome` (``outcome_final`` is used).
    by
        Columns to count by; default per trust and year.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns then one integer column per outcome in the order red, pink, white,
        light green, green, not reported, no result (zeros filled), and ``total``.
    """
    by = list(by)
    counts = (
        nts_outcomes.assign(_outcome=nts_outcomes["outcome_final"].astype(OUTCOME_DTYPE))
        .groupby([*by, "_outcome"], observed=False)
        .size()
        .unstack("_outcome", fill_value=0)
        .reindex(columns=NTS_OUTCOMES, fill_value=0)
        .astype(int)
    )
    counts.columns = list(NTS_OUTCOMES)
    counts["total"] = counts.sum(axis=1)
    out = counts.reset_index()
    if by:
        present = nts_outcomes[by].drop_duplicates()
        out = out.merge(present, on=by).sort_values(by).reset_index(drop=True)
    return out
