"""Education funding: allocated and spent per year and stream or profession, per learner FTE."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from qvlib.metrics._util import next_year
from qvlib.schemas import FundingSchema as FU
from qvlib.schemas import LearnerSchema as L

_BY_ALLOWED = (FU.stream, FU.profession_group)


def calc_funding(
    funding: pd.DataFrame, learners: pd.DataFrame, by: Sequence[str] = (FU.stream,)
) -> pd.DataFrame:
    """Funding allocated and spent, utilisation, learners and funding per FTE, by year.

    Parameters
    ----------
    funding
        Funding rows (``FundingSchema`` columns).
    learners
        Learner rows (``LearnerSchema`` columns).
    by
        Breakdown within a trust and year: ``("stream",)`` (default),
        ``("profession_group",)``, both, or ``()`` for the trust's totals.

    Returns
    -------
    pandas.DataFrame
        ``trust_code, year``, the ``by`` columns, ``allocated, spent`` (GBP),
        ``utilisation_pct`` (spent / allocated x 100; NaN when nothing was allocated),
        ``headcount, fte`` (learners of that profession when broken down by profession, else
        all the trust's learners that year), ``funding_per_fte`` (allocated / FTE; NaN when no
        FTE), ``change_gbp`` and ``change_pct`` (allocated against the previous financial year
        of the same breakdown; NaN when there is none).  Sorted by trust, year, breakdown.
    """
    by = list(by)
    unknown = [c for c in by if c not in _BY_ALLOWED]
    if unknown:
        raise ValueError(f"by must name columns among {list(_BY_ALLOWED)}, not {unknown}")
    keys = [FU.trust_code, FU.year, *by]
    money = (
        funding.groupby(keys, as_index=False)[[FU.allocated_gbp, FU.spent_gbp]]
        .sum()
        .rename(columns={FU.allocated_gbp: "allocated", FU.spent_gbp: "spent"})
    )
    allocated = money["allocated"]
    money["utilisation_pct"] = money["spent"] / allocated.where(allocated > 0) * 100
    learner_keys = [L.trust_code, L.year] + (
        [L.profession_group] if FU.profession_group in by else []
    )
    heads = learners.groupby(learner_keys, as_index=False)[[L.headcount, L.fte]].sum()
    out = money.merge(heads, on=learner_keys, how="left")
    out[[L.headcount, L.fte]] = out[[L.headcount, L.fte]].fillna(0)
    out[L.headcount] = out[L.headcount].astype(int)
    out["funding_per_fte"] = out["allocated"] / out[L.fte].where(out[L.fte] > 0)
    previous = out[[*keys, "allocated"]].rename(columns={"allocated": "_previous"})
    previous[FU.year] = previous[FU.year].map(next_year)
    out = out.merge(previous, on=keys, how="left")
    out["change_gbp"] = out["allocated"] - out["_previous"]
    out["change_pct"] = out["change_gbp"] / out["_previous"].where(out["_previous"] > 0) * 100
    return out.drop(columns="_previous").sort_values(keys).reset_index(drop=True)
