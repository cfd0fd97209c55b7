"""Region benchmarks: each public headline figure's median and range across the region's trusts.

A trust's pack may set its own figures against the region's, but only for data the NHS
publishes by trust (GMC NTS red and green outcomes, Friends and Family Test % positive, NHS
Staff Survey scores, CQC overall ratings): no trust's local data (risks, funding, visits) ever
reaches another trust's pack.  :func:`calc_region_benchmarks` works once per dataset, for every
period the data holds; a review then picks the period it shows (the latest published by its
as-at date), so the region's figure is of the same period as the trust's.  What a trust's data
slice carries is this :class:`RegionBenchmarks` (aggregates only: median, range and number of
trusts, and counts of trusts per CQC rating), and its fingerprint is part of the trust's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics.national import (
    calc_cqc_overall_timeline,
    calc_fft,
    calc_staff_survey,
)
from qvlib.metrics.surveys import calc_nts_reported, calc_outcome_counts

#: The measures of :func:`calc_region_figures`: measure -> (what it is, display format).
MEASURES: dict[str, tuple[str, str]] = {
    "nts.red": ("NTS red outcomes", "count"),
    "nts.green": ("NTS green outcomes", "count"),
    "fft.pct_positive": ("Friends and Family Test % positive", "pct"),
    "staff_survey.score": ("NHS Staff Survey score", "score10"),
}
FIGURE_COLUMNS = ["trust_code", "measure", "group", "period", "value"]
BENCHMARK_COLUMNS = ["measure", "group", "period", "median", "min", "max", "trusts"]


def calc_region_figures(tables: Mapping[str, pd.DataFrame], region: RegionConfig) -> pd.DataFrame:
    """Every trust's public headline figures, for every period the data holds.

    Parameters
    ----------
    tables
        Dataset name -> frame for the whole region (``trusts``, ``survey_results``, ``fft``,
        ``staff_survey``); other datasets are not read.
    region
        Parsed region settings (suppression rules: a suppressed figure is left out).

    Returns
    -------
    pandas.DataFrame
        ``trust_code, measure, group, period, value``: NTS red and green outcome counts per
        survey year (trusts with NTS results that year; ``group`` empty), FFT % positive per
        setting and month, NHS Staff Survey score per element and year.  ``period`` is text
        (``"2025"``, ``"2025-06"``).
    """
    codes = set(tables["trusts"]["trust_code"])
    parts = []
    surveys = tables["survey_results"]
    nts = calc_nts_reported(surveys[surveys["trust_code"].isin(codes)], region)
    if len(nts):
        counts = calc_outcome_counts(nts)
        for outcome in ("red", "green"):
            parts.append(
                pd.DataFrame(
                    {
                        "trust_code": counts["trust_code"],
                        "measure": f"nts.{outcome}",
                        "group": "",
                        "period": counts["year"].astype(int).astype(str),
                        "value": counts[outcome].astype(float),
                    }
                )
            )
    fft = tables["fft"]
    fft = calc_fft(fft[fft["org_code"].isin(codes)], region)
    fft = fft[fft["pct_positive"].notna()]
    parts.append(
        pd.DataFrame(
            {
                "trust_code": fft["org_code"],
                "measure": "fft.pct_positive",
                "group": fft["setting"],
                "period": fft["period"].astype(str),
                "value": fft["pct_positive"].astype(float),
            }
        )
    )
    staff = tables["staff_survey"]
    staff = calc_staff_survey(staff[staff["org_code"].isin(codes)], region)
    staff = staff[staff["score"].notna()]
    parts.append(
        pd.DataFrame(
            {
                "trust_code": staff["org_code"],
                "measure": "staff_survey.score",
                "group": staff["element"],
                "period": staff["year"].astype(int).astype(str),
                "value": staff["score"].astype(float),
            }
        )
    )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["measure", "group", "period", "trust_code"]).reset_index(drop=True)


def calc_benchmarks(figures: pd.DataFrame) -> pd.DataFrame:
    """Median, lowest, highest and number of trusts of each measure, group and period.

    Parameters
    ----------
    figures
        Output of :func:`calc_region_figures`.

    Returns
    -------
    pandas.DataFrame
        ``measure, group, period, median, min, max, trusts``.
    """
    if figures.empty:
        return pd.DataFrame(columns=BENCHMARK_COLUMNS)
    grouped = figures.groupby(["measure", "group", "period"], sort=True)["value"]
    out = grouped.agg(median="median", min="min", max="max", trusts="count").reset_index()
    out["trusts"] = out["trusts"].astype(int)
    return out[BENCHMARK_COLUMNS]


@dataclass(frozen=True)
class RegionBenchmarks:
    """The region's aggregates that a trust's review may show: no trust's own rows.

    Attributes
    ----------
    figures
        :func:`calc_benchmarks` of every public measure.
    cqc_overall
        :func:`qvlib.metrics.national.calc_cqc_overall_timeline`: trusts per CQC overall
        rating from each publication date.
    trusts
        Number of trusts in the region.
    """

    figures: pd.DataFrame
    cqc_overall: pd.DataFrame
    trusts: int

    def fingerprint(self) -> str:
        """SHA-256 of the aggregates: changes whenever any figure a pack may show changes."""
        sha = hashlib.sha256(str(self.trusts).encode())
        for frame in (self.figures, self.cqc_overall):
            sha.update(",".join(map(str, frame.columns)).encode())
            sha.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return sha.hexdigest()

    def lookup(self, measure: str, group: str, period: str) -> pd.Series | None:
        """The benchmark row of one measure, group and period (``None`` when absent)."""
        rows = self.figures
        hit = rows[
            (rows["measure"] == measure) & (rows["group"] == group) & (rows["period"] == period)
        ]
        return hit.iloc[0] if len(hit) else None

    def cqc_counts_at(self, day) -> pd.Series:
        """Trusts per CQC overall rating on ``day`` (every trust "none" before any rating)."""
        timeline = self.cqc_overall
        known = timeline[timeline["date"] <= pd.Timestamp(day)]
        if known.empty:
            counts = pd.Series(0, index=timeline.columns[1:], dtype=int)
            counts["none"] = self.trusts
            return counts
        return known.iloc[-1].drop("date").astype(int)


def calc_region_benchmarks(
    tables: Mapping[str, pd.DataFrame], region: RegionConfig
) -> RegionBenchmarks:
    """The region's aggregates of public figures, from the whole dataset.

    Parameters
    ----------
    tables
        Dataset name -> frame for every trust of the region.
    region
        Parsed region settings (suppression rules).

    Returns
    -------
    RegionBenchmarks
        Median, range and number of trusts of every public measure and period, and the
        number of trusts per CQC overall rating from each publication date.
    """
    codes = sorted(tables["trusts"]["trust_code"])
    return RegionBenchmarks(
        figures=calc_benchmarks(calc_region_figures(tables, region)),
        cqc_overall=calc_cqc_overall_timeline(tables["cqc_ratings"], codes),
        trusts=len(codes),
    )


__all__ = [
    "MEASURES",
    "RegionBenchmarks",
    "calc_benchmarks",
    "calc_region_benchmarks",
    "calc_region_figures",
]
