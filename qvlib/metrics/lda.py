"""Learning and Development Agreement (NHS Education Contract) schedule compliance."""

from __future__ import annotations

import pandas as pd

from qvlib.schemas import LDA_STATUSES
from qvlib.schemas import LdaComplianceSchema as LD

_NOT_COMPLIANT_ORDER = ["not compliant", "partial"]


def calc_lda_compliance(lda: pd.DataFrame, year: str) -> pd.DataFrame:
    """Number and share of schedule items in each status, per trust, in one year.

    Parameters
    ----------
    lda
        LDA compliance rows (``LdaComplianceSchema`` columns).
    year
        Financial year ``YYYY/YY``.

    Returns
    -------
    pandas.DataFrame
        ``trust_code, status, count, pct``: every status (compliant, partial, not compliant,
        in that order) for every trust with items that year, zeros filled; ``pct`` is the share
        of the trust's items, 0-100.  Empty when no trust has items that year.
    """
    rows = lda[lda[LD.year] == year]
    trusts = sorted(rows[LD.trust_code].unique())
    counts = rows.groupby([LD.trust_code, LD.status]).size()
    index = pd.MultiIndex.from_product([trusts, LDA_STATUSES], names=[LD.trust_code, LD.status])
    out = counts.reindex(index, fill_value=0).rename("count").reset_index()
    out["count"] = out["count"].astype(int)
    totals = out.groupby(LD.trust_code)["count"].transform("sum")
    out["pct"] = out["count"] / totals.where(totals > 0) * 100
    return out


def calc_lda_non_compliant(lda: pd.DataFrame, year: str) -> pd.DataFrame:
    """Schedule items not (fully) compliant in one year: not compliant first, then partial.

    Parameters
    ----------
    lda
        LDA compliance rows.
    year
        Financial year ``YYYY/YY``.

    Returns
    -------
    pandas.DataFrame
        The matching rows (all columns), ordered by trust, status (not compliant, partial) and
        schedule item.
    """
    rows = lda[(lda[LD.year] == year) & lda[LD.status].isin(_NOT_COMPLIANT_ORDER)]
    order = rows[LD.status].map({s: i for i, s in enumerate(_NOT_COMPLIANT_ORDER)})
    return (
        rows.assign(_order=order)
        .sort_values([LD.trust_code, "_order", LD.schedule_item], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
