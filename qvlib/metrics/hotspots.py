"""Hotspots: clinical learning environments (trust x site x specialty) that need attention.

A clinical learning environment is a hotspot when any of these hold (thresholds from
``region.hotspots``): a red NTS outcome (any indicator) in each of the latest
``consecutive_red_years`` survey years; at least ``reds_in_latest_year`` red outcomes in the
latest survey year; an open risk in one of ``risk_bands``; or the quality team lists it by hand.
"""

from __future__ import annotations

import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics.surveys import RED, calc_red_runs
from qvlib.schemas import HotspotSchema as H
from qvlib.schemas import RiskSchema as R
from qvlib.schemas import SurveyResultSchema as S

KEYS = [H.trust_code, H.site, H.specialty]


def calc_hotspots(
    nts_outcomes: pd.DataFrame,
    risks_scored: pd.DataFrame,
    region: RegionConfig,
    manual: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every clinical learning environment meeting the hotspot rule, with its reasons.

    "Latest survey year" is the latest year in ``nts_outcomes``; consecutive years are
    adjacent survey years present in the data (a year the survey did not run does not break
    them).  Only red runs reaching the latest survey year count: an old run that has since
    improved is history, not a hotspot.

    Parameters
    ----------
    nts_outcomes
        Output of :func:`qvlib.metrics.surveys.calc_nts_outcome`.
    risks_scored
        Output of :func:`qvlib.metrics.risks.calc_risks`.
    region
        Parsed region settings.
    manual
        Hotspots listed by hand (``HotspotSchema`` columns), if any.

    Returns
    -------
    pandas.DataFrame
        ``trust_code, site, specialty, reasons`` (list of human-readable strings, in the order
        NTS runs, NTS reds in the latest year, risks by score, manual), ``reason`` (the reasons
        joined with "; "); sorted by trust, site and specialty.
    """
    settings = region.hotspots
    reasons: dict[tuple, list[tuple[int, str]]] = {}

    def add(key: tuple, rank: int, text: str) -> None:
        reasons.setdefault(tuple(key), []).append((rank, text))

    runs = calc_red_runs(nts_outcomes, KEYS, settings.consecutive_red_years)
    for _, run in runs[runs["current"]].iterrows():
        add(
            run[KEYS],
            0,
            f"Red NTS outcomes in {run['years_red']} consecutive years "
            f"({run['first_year']}-{run['last_year']}): {run['indicators']}",
        )

    if not nts_outcomes.empty:
        latest = nts_outcomes[S.year].max()
        reds = nts_outcomes[
            (nts_outcomes[S.year] == latest) & (nts_outcomes["outcome_final"] == RED)
        ]
        for key, group in reds.groupby(KEYS, sort=True):
            if len(group) >= settings.reds_in_latest_year:
                add(key, 1, f"{len(group)} red NTS outcomes in {latest}")

    at_risk = risks_scored[
        risks_scored["is_open"] & risks_scored["band"].astype(str).isin(settings.risk_bands)
    ].sort_values(["score", R.risk_id], ascending=[False, True])
    for _, risk in at_risk.iterrows():
        add(risk[KEYS], 2, f"Open {risk['band']} risk {risk[R.risk_id]} (score {risk['score']})")

    if manual is not None:
        for _, row in manual.iterrows():
            add(row[KEYS], 3, f"Listed by the quality team: {row[H.reason]}")

    rows = []
    for key in sorted(reasons):
        texts = [text for _, text in sorted(reasons[key], key=lambda item: item[0])]
        rows.append((*key, texts, "; ".join(texts)))
    return pd.DataFrame(rows, columns=[*KEYS, "reasons", "reason"])
