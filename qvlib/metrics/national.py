"""National public data: Friends and Family Test, CQC ratings, NHS Staff Survey, NHS website.

Every figure a table or chart shows from a small count goes through
:mod:`qvlib.metrics.suppression` here, before any display code sees it.
"""

from __future__ import annotations

import datetime as dt
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


def calc_staff_survey(
    staff_survey: pd.DataFrame, region: RegionConfig, *, sub_scores: bool = False
) -> pd.DataFrame:
    """NHS Staff Survey element scores against the benchmark group, suppressed.

    Parameters
    ----------
    staff_survey
        Staff survey rows (``StaffSurveySchema`` columns).
    region
        Parsed region settings (``suppression.staff_survey``).
    sub_scores
        False: element-level rows only (no ``sub_score``), without a ``sub_score`` column.
        True: sub-score rows too, with ``sub_score`` (empty on an element's own row), each
        element's own row first and its sub-scores after it in name order.

    Returns
    -------
    pandas.DataFrame
        ``org_code, year, element, score, benchmark_group, benchmark_best, benchmark_average,
        benchmark_worst, responses, gap_to_average`` (score - benchmark average), ``position``
        ("best" at or above the group's best, "worst" at or below its worst, else "above
        average", "average" or "below average"; higher scores are better) and ``suppressed``
        (fewer responses than the threshold: score, gap and position blank).  Sorted by
        organisation, year and element (then sub-score).
    """
    if sub_scores:
        rows = staff_survey.sort_values(
            [SS.org_code, SS.year, SS.element, SS.sub_score], na_position="first"
        ).reset_index(drop=True)
    else:
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


def calc_website_trend(ratings: pd.DataFrame) -> pd.DataFrame:
    """Every month of NHS website ratings per organisation and site, oldest first.

    Parameters
    ----------
    ratings
        NHS website ratings (``NhsWebsiteRatingSchema`` columns).

    Returns
    -------
    pandas.DataFrame
        ``org_code, site_code, stars, ratings, period`` and ``change`` (stars minus the site's
        previous month in the data; empty for its first), sorted by organisation, site and
        month.  Several rows of one site and month are averaged, weighted by their ratings.
    """
    keys = [W.org_code, W.site_code, W.period]
    frame = ratings.assign(_weighted=ratings[W.stars] * ratings[W.ratings])
    sums = frame.groupby(keys, dropna=False, sort=True)[["_weighted", W.ratings]].sum()
    out = sums.reset_index()
    out[W.stars] = (out["_weighted"] / out[W.ratings].where(out[W.ratings] > 0)).round(2)
    out = out.sort_values(keys, na_position="first", kind="stable").reset_index(drop=True)
    site = out[W.site_code].fillna("")
    previous = out.groupby([out[W.org_code], site])[W.stars].shift()
    out["change"] = (out[W.stars] - previous).round(2)
    return out[[W.org_code, W.site_code, W.stars, W.ratings, W.period, "change"]]


def months_between(start: pd.Series, end: pd.Timestamp | dt.date) -> pd.Series:
    """Whole months from each of ``start`` to ``end`` (a rating's age at an as-at date).

    Parameters
    ----------
    start
        Dates (anything :func:`pandas.to_datetime` reads).
    end
        The date ages are measured to.

    Returns
    -------
    pandas.Series
        Whole months (``Int64``): a month is counted once its day is reached, so 7 Jan 2020
        to 6 Oct 2025 is 68 months and to 7 Oct 2025 69.  Missing dates give missing ages.
    """
    start = pd.to_datetime(pd.Series(start))
    end = pd.Timestamp(end)
    months = (end.year - start.dt.year) * 12 + (end.month - start.dt.month)
    months = months - (start.dt.day > end.day).astype(int)
    return months.where(start.notna()).astype("Int64")


def calc_cqc_services(cqc: pd.DataFrame, provider_id: str, as_at: dt.date) -> pd.DataFrame:
    """The provider's latest CQC rating of every location, service group and key question.

    Parameters
    ----------
    cqc
        CQC ratings in the published long shape (``CqcRatingSchema`` columns), as known at
        ``as_at``.
    provider_id
        The trust's ODS code (CQC Provider ID).
    as_at
        The date each rating's age is measured to.

    Returns
    -------
    pandas.DataFrame
        One row per location, service group and key question: ``level`` ("provider" for the
        trust's own rating, "location" otherwise), ``location_id, location_name,
        service_group, key_question, rating, publication_date`` and ``age_months`` (whole
        months from publication to ``as_at``).  The latest publication wins (on the same day,
        the worse rating).  Sorted: the trust first, then locations by name, "Overall" first
        within a location, then service groups by name and key questions in CQC order.
    """
    rows = cqc[cqc[C.provider_id] == provider_id].copy()
    location = rows[C.location_id].fillna("").astype(str).str.strip()
    rows["level"] = np.where(location.isin(["", provider_id]), "provider", "location")
    rows[C.location_id] = location.where(rows["level"] == "location", "")
    rows[C.publication_date] = pd.to_datetime(rows[C.publication_date])
    rows["_severity"] = rows[C.rating].map(_RATING_SEVERITY).fillna(len(_RATING_SEVERITY))
    keys = ["level", C.location_id, C.service_group, C.key_question]
    latest = rows.sort_values(
        [*keys, C.publication_date, "_severity"],
        ascending=[True, True, True, True, False, True],
        kind="stable",
    ).drop_duplicates(keys)
    latest["age_months"] = months_between(latest[C.publication_date], as_at).to_numpy()
    latest["_level"] = (latest["level"] == "location").astype(int)
    latest["_not_overall"] = latest[C.service_group].str.strip().str.casefold() != "overall"
    latest["_question"] = latest[C.key_question].map(CQC_KEY_QUESTIONS.index)
    latest = latest.sort_values(
        ["_level", C.location_name, C.location_id, "_not_overall", C.service_group, "_question"],
        kind="stable",
    )
    columns = [
        "level",
        C.location_id,
        C.location_name,
        C.service_group,
        C.key_question,
        C.rating,
        C.publication_date,
        "age_months",
    ]
    return latest[columns].reset_index(drop=True)


#: CQC ratings best first, for an ordinal median and range (not rated and no rating left out).
RATING_ORDER: tuple[str, ...] = tuple(CQC_RATINGS[:4])


def calc_cqc_overall_timeline(cqc: pd.DataFrame, provider_ids: list[str]) -> pd.DataFrame:
    """How many trusts held each CQC overall rating, from each publication date on.

    Each trust's overall rating at a date is the one :func:`calc_cqc_latest` would give from
    the ratings published by then (the provider-level rating first, "Overall" service group
    first, the latest, the worse on the same day), so that the region's counts agree with
    every trust's own review.

    Parameters
    ----------
    cqc
        CQC ratings in the published long shape, any providers.
    provider_ids
        The region's trusts (ODS codes).

    Returns
    -------
    pandas.DataFrame
        ``date`` then one count per rating (outstanding ... not rated) and ``none`` (no
        overall rating published yet): one row per date on which any count changed, oldest
        first; before the first row every trust had none.  Counts add up to the number of
        trusts.
    """
    overall = cqc[(cqc[C.key_question] == "overall") & cqc[C.provider_id].isin(provider_ids)]
    location = overall[C.location_id].fillna("").astype(str).str.strip()
    level = ((location != "") & (location != overall[C.provider_id])).astype(int)
    frame = pd.DataFrame(
        {
            "provider": overall[C.provider_id].to_numpy(),
            "rank_level": level.to_numpy(),
            "rank_overall": (
                overall[C.service_group].str.strip().str.casefold() != "overall"
            ).to_numpy(),
            "date": pd.to_datetime(overall[C.publication_date]).to_numpy(),
            "severity": overall[C.rating].map(_RATING_SEVERITY).fillna(len(_RATING_SEVERITY)),
            "name": overall[C.location_name].fillna("").to_numpy(),
            "rating": overall[C.rating].to_numpy(),
        }
    )
    events: dict[pd.Timestamp, dict[str, str]] = {}
    for provider, rows in frame.groupby("provider", sort=True):
        records = list(rows.itertuples(index=False))
        for day in sorted({r.date for r in records}):
            known = [r for r in records if r.date <= day]
            best = min(
                known,
                key=lambda r: (r.rank_level, r.rank_overall, -r.date.value, r.severity, r.name),
            )
            events.setdefault(pd.Timestamp(day), {})[provider] = best.rating
    columns = [*CQC_RATINGS, "none"]
    state = dict.fromkeys(provider_ids, "none")
    out = []
    for day in sorted(events):
        state.update(events[day])
        counts = pd.Series(list(state.values())).value_counts()
        out.append({"date": day, **{c: int(counts.get(c, 0)) for c in columns}})
    result = pd.DataFrame(out, columns=["date", *columns])
    changed = result[columns].diff().abs().sum(axis=1) != 0
    changed.iloc[:1] = True
    return result[changed].reset_index(drop=True)


def rating_summary(counts: pd.Series) -> dict[str, object]:
    """Median and range of CQC ratings from counts per rating (best first, lower median).

    Parameters
    ----------
    counts
        Rating -> number of trusts (a row of :func:`calc_cqc_overall_timeline`).

    Returns
    -------
    dict
        ``median``, ``best``, ``worst`` (rating codes; ``None`` when no trust is rated) and
        ``rated`` (trusts with a rating from outstanding to inadequate).  With an even number
        of trusts the median is the worse of the middle two.
    """
    ranks = [r for r in RATING_ORDER for _ in range(int(counts.get(r, 0)))]
    if not ranks:
        return {"median": None, "best": None, "worst": None, "rated": 0}
    return {
        "median": ranks[len(ranks) // 2],
        "best": ranks[0],
        "worst": ranks[-1],
        "rated": len(ranks),
    }
