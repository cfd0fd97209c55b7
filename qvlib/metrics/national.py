"""National public data: Friends and Family Test, CQC ratings, NHS Staff Survey, NHS website.

Every figure a table or chart shows from a small count goes through
:mod:`qvlib.metrics.suppression` here, before any display code sees it.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics.suppression import suppress, suppress_fft
from qvlib.schemas import CQC_KEY_QUESTIONS, CQC_RATINGS, FFT_ANSWERS
from qvlib.schemas import CqcRatingSchema as C
from qvlib.schemas import FftSchema as F
from qvlib.schemas import NhsWebsiteRatingSchema as W
from qvlib.schemas import StaffSurveySchema as SS

log = logging.getLogger(__name__)

#: Worst first: used to break ties between ratings published on the same day.
_RATING_SEVERITY = {r: i for i, r in enumerate(reversed(CQC_RATINGS[:4]))}
_TOLERANCE = 1e-9  # staff survey scores are published to a few decimals


def calc_fft(fft: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """Monthly Friends and Family Test results by organisation and setting, suppressed.

    % positive = (very good + good) / total responses x 100 and % negative = (poor + very poor)
    / total x 100; "don't know" counts in the total.  The total is ``total_responses``, or the
    sum of the answer counts where that is larger (bad data), so percentages stay within 0-100.

    Parameters
    ----------
    fft
        FFT rows (``FftSchema`` columns); several rows of one organisation, month and setting
        are added together.
    region
        Parsed region settings (``suppression.fft``: a total below the threshold is suppressed,
        and with ``secondary`` the next-smallest setting of the same organisation and month).

    Returns
    -------
    pandas.DataFrame
        ``org_code, period, setting``, the answer counts, ``total_responses, pct_positive,
        pct_negative, suppressed``, sorted by organisation, month and setting.
    """
    keys = [F.org_code, F.period, F.setting]
    sums = fft.groupby(keys, as_index=False)[[*FFT_ANSWERS, F.total_responses]].sum(min_count=1)
    answered = sums[FFT_ANSWERS].sum(axis=1, min_count=1)
    total = np.fmax(sums[F.total_responses].astype(float), answered)
    if (answered > sums[F.total_responses]).any():
        log.warning("FFT: some rows have more answers than total responses; using the answers")
    sums[F.total_responses] = total
    denominator = total.where(total > 0)
    sums["pct_positive"] = (sums[F.very_good] + sums[F.good]) / denominator * 100
    sums["pct_negative"] = (sums[F.poor] + sums[F.very_poor]) / denominator * 100
    out = suppress_fft(sums.sort_values(keys).reset_index(drop=True), region)
    return out


def calc_cqc_latest(cqc: pd.DataFrame, provider_id: str) -> pd.DataFrame:
    """The provider's latest CQC rating per key question.

    A provider-level rating is a row of the provider whose ``location_id`` is empty or equal
    to ``provider_id`` (the Providers sheet); among those, rows whose ``service_group`` is
    "Overall" are preferred.  The latest by ``publication_date`` is taken per key question.
    Where the provider has no provider-level rating for a key question, the latest
    location-level rating is used instead (again "Overall" service group first; on the same
    day the worse rating), and ``level`` says so.

    Parameters
    ----------
    cqc
        CQC ratings in the published long shape (``CqcRatingSchema`` columns).
    provider_id
        The trust's ODS code (CQC Provider ID).

    Returns
    -------
    pandas.DataFrame
        Six rows, one per key question in the order safe, effective, caring, responsive,
        well-led, overall: ``key_question, rating, publication_date, level`` ("provider",
        "location" or "none"), ``location_name`` (the rated location for a location-level
        rating).
    """
    rows = cqc[cqc[C.provider_id] == provider_id].copy()
    location = rows[C.location_id].fillna("").astype(str).str.strip()
    rows["level"] = np.where(location.isin(["", provider_id]), "provider", "location")
    rows["_not_overall"] = rows[C.service_group].str.strip().str.casefold() != "overall"
    rows["_level_rank"] = (rows["level"] == "location").astype(int)
    rows["_date"] = pd.to_datetime(rows[C.publication_date])
    rows["_severity"] = rows[C.rating].map(_RATING_SEVERITY).fillna(len(_RATING_SEVERITY))
    ranked = rows.sort_values(
        ["_level_rank", "_not_overall", "_date", "_severity", C.location_name],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    best = ranked.drop_duplicates(C.key_question).set_index(C.key_question)
    out = pd.DataFrame({C.key_question: CQC_KEY_QUESTIONS})
    out[C.rating] = out[C.key_question].map(best[C.rating]).astype(object)
    out[C.publication_date] = pd.to_datetime(out[C.key_question].map(best["_date"]))
    out["level"] = out[C.key_question].map(best["level"]).fillna("none")
    names = best[C.location_name].where(best["level"] == "location")
    out[C.location_name] = out[C.key_question].map(names).astype(object)
    return out


def calc_staff_survey(staff_survey: pd.DataFrame, region: RegionConfig) -> pd.DataFrame:
    """NHS Staff Survey element scores against the benchmark group, suppressed.

    Parameters
    ----------
    staff_survey
        Staff survey rows (``StaffSurveySchema`` columns); only element-level rows (no
        ``sub_score``) are used.
    region
        Parsed region settings (``suppression.staff_survey``).

    Returns
    -------
    pandas.DataFrame
        ``org_code, year, element, score, benchmark_group, benchmark_best, benchmark_average,
        benchmark_worst, responses, gap_to_average`` (score - benchmark average), ``position``
        ("best" at or above the group's best, "worst" at or below its worst, else "above
        average", "average" or "below average"; higher scores are better) and ``suppressed``
        (fewer responses than the threshold: score, gap and position blank).  Sorted by
        organisation, year and element.
    """
    rows = staff_survey[staff_survey[SS.sub_score].isna()].drop(columns=SS.sub_score)
    rows = rows.sort_values([SS.org_code, SS.year, SS.element]).reset_index(drop=True)
    gap = rows[SS.score] - rows[SS.benchmark_average]
    rows["gap_to_average"] = gap
    conditions = [
        rows[SS.score].isna(),
        rows[SS.score] >= rows[SS.benchmark_best] - _TOLERANCE,
        rows[SS.score] <= rows[SS.benchmark_worst] + _TOLERANCE,
        gap > _TOLERANCE,
        gap < -_TOLERANCE,
    ]
    choices = [None, "best", "worst", "above average", "below average"]
    rows["position"] = pd.Series(
        np.select(conditions, choices, default="average"), index=rows.index, dtype=object
    )
    rows.loc[rows[SS.score].isna(), "position"] = None
    return suppress(
        rows,
        SS.responses,
        [SS.score, "gap_to_average", "position"],
        region.suppression.staff_survey,
    )


def calc_website_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Latest NHS website star rating and number of ratings per organisation and site.

    Parameters
    ----------
    ratings
        NHS website ratings (``NhsWebsiteRatingSchema`` columns).

    Returns
    -------
    pandas.DataFrame
        ``org_code, site_code, stars, ratings, period``: the latest month of each organisation
        and site (``site_code`` empty for the organisation as a whole).
    """
    keys = [W.org_code, W.site_code]
    latest = (
        ratings.sort_values([*keys, W.period], kind="stable")
        .groupby(keys, dropna=False, sort=True)
        .tail(1)
    )
    columns = [W.org_code, W.site_code, W.stars, W.ratings, W.period]
    return latest[columns].sort_values(keys, na_position="first").reset_index(drop=True)
