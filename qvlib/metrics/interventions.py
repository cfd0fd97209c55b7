"""Risk-based intervention: which quality intervention each open risk calls for, and why.

The point of the quality framework: a significant concern (a band in
``interventions.triggered_visit_bands``, or a band in
``interventions.triggered_visit_bands_with_patient_safety`` with a patient-safety impact) calls
for a triggered visit; a concern best clarified by learners and educators (its theme is one of
``interventions.learner_educator_themes``) for a learner/educator visit; anything else for a
desktop review (dashboard monitoring).  Every trust also has its annual education quality review.
"""

from __future__ import annotations

import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import fy_bounds
from qvlib.schemas import RiskSchema as R
from qvlib.schemas import VisitSchema as V
from qvlib.schemas import split_list

TRIGGERED = "triggered visit"
LEARNER_EDUCATOR = "learner/educator visit"
DESKTOP = "desktop review"
INTERVENTIONS = (TRIGGERED, LEARNER_EDUCATOR, DESKTOP)
#: The canonical visit type that carries out each intervention.
VISIT_TYPE = {TRIGGERED: "triggered", LEARNER_EDUCATOR: "learner_educator", DESKTOP: "desktop"}
ANNUAL_REVIEW = "annual education quality review"

_COLUMNS = [
    R.risk_id,
    R.trust_code,
    R.site,
    R.specialty,
    R.summary,
    R.theme,
    R.patient_safety,
    R.isf_level,
    "band",
    "score",
    "intervention",
    "reason",
    "covering_visit_id",
    "covering_visit_date",
]


def recommend_intervention(
    band: str, score: int, patient_safety: bool, theme: str | None, region: RegionConfig
) -> tuple[str, str]:
    """The intervention one risk calls for and a human-readable reason.

    Rules are checked in order: a significant concern first, then a learner/educator theme
    (compared case-insensitively, ignoring surrounding spaces), else a desktop review.

    Parameters
    ----------
    band, score
        The risk's band and score (see :func:`qvlib.metrics.risks.calc_risks`).
    patient_safety
        Whether the risk has a patient-safety impact.
    theme
        The risk's theme, e.g. ``"bullying"``.
    region
        Parsed region settings.

    Returns
    -------
    tuple of str
        ``(intervention, reason)``, the intervention being one of :data:`INTERVENTIONS`.
    """
    settings = region.interventions
    label = f"{str(band).capitalize()} risk (score {int(score)})"
    if band in settings.triggered_visit_bands:
        return TRIGGERED, f"{label}: significant concern"
    if band in settings.triggered_visit_bands_with_patient_safety and bool(patient_safety):
        return TRIGGERED, f"{label} with patient-safety impact: significant concern"
    themes = {t.strip().casefold() for t in settings.learner_educator_themes}
    if isinstance(theme, str) and theme.strip().casefold() in themes:
        return (
            LEARNER_EDUCATOR,
            f"{label}, theme '{theme.strip()}': best clarified with learners and educators",
        )
    return DESKTOP, f"{label}: monitor through the desktop review"


def _covering_visit(
    risk: pd.Series, visit_type: str, visits: pd.DataFrame
) -> tuple[str | None, pd.Timestamp]:
    candidates = visits[
        (visits[V.visit_type] == visit_type) & (visits[V.trust_code] == risk[R.trust_code])
    ]
    if candidates.empty:
        return None, pd.NaT
    linked = candidates[
        candidates[V.linked_risk_ids].map(lambda v: risk[R.risk_id] in split_list(v))
    ]
    if linked.empty:
        same_place = (
            (candidates[V.site] == risk[R.site])
            & (candidates[V.specialty] == risk[R.specialty])
            & (pd.to_datetime(candidates[V.date]) >= pd.Timestamp(risk[R.opened]))
        )
        linked = candidates[same_place]
    if linked.empty:
        return None, pd.NaT
    latest = linked.sort_values([V.date, V.visit_id]).iloc[-1]
    return str(latest[V.visit_id]), pd.Timestamp(latest[V.date])


def calc_interventions(
    risks_scored: pd.DataFrame, visits: pd.DataFrame, region: RegionConfig
) -> pd.DataFrame:
    """One row per open risk with the intervention it calls for and any visit that covers it.

    Parameters
    ----------
    risks_scored
        Output of :func:`qvlib.metrics.risks.calc_risks`.
    visits
        Visits (``VisitSchema`` columns).
    region
        Parsed region settings.

    Returns
    -------
    pandas.DataFrame
        ``risk_id, trust_code, site, specialty, summary, theme, patient_safety, isf_level,
        band, score, intervention, reason, covering_visit_id, covering_visit_date``, highest
        score first (then risk id).  ``covering_visit_id`` is a visit of the type the
        intervention needs, of the same trust, that either lists the risk in
        ``linked_risk_ids`` (at any date) or is at the same site and specialty on or after the
        day the risk opened; the latest such visit, linked
        visits first; ``None`` when there is none (``covering_visit_date`` is its date, NaT
        when none).  Give the visits held by the review's as-at date: a visit listed is one
        that has taken place.
    """
    open_risks = risks_scored[risks_scored["is_open"]]
    rows = []
    for _, risk in open_risks.iterrows():
        intervention, reason = recommend_intervention(
            risk["band"], risk["score"], risk[R.patient_safety], risk[R.theme], region
        )
        row = {col: risk[col] for col in _COLUMNS[:10]}
        visit_id, visit_date = _covering_visit(risk, VISIT_TYPE[intervention], visits)
        row.update(
            intervention=intervention,
            reason=reason,
            covering_visit_id=visit_id,
            covering_visit_date=visit_date,
        )
        rows.append(row)
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["band"] = out["band"].astype(risks_scored["band"].dtype)
    out["covering_visit_id"] = out["covering_visit_id"].astype(object)
    out["covering_visit_date"] = pd.to_datetime(out["covering_visit_date"])
    out = out.sort_values(["score", R.risk_id], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def calc_annual_review(trust_code: str, visits: pd.DataFrame, review_year: str) -> pd.DataFrame:
    """The trust's annual education quality review (AEQR) in a financial year.

    Every trust has one, whatever its risks.  The AEQR is the latest visit of type ``aeqr`` for
    the trust dated within the review year (1 April to 31 March), held or planned.

    Parameters
    ----------
    trust_code
        ODS code of the trust.
    visits
        Visits (``VisitSchema`` columns).
    review_year
        Financial year ``YYYY/YY``.

    Returns
    -------
    pandas.DataFrame
        One row: ``trust_code, review_year, intervention`` (always
        ``"annual education quality review"``), ``visit_id`` and ``date`` of the AEQR visit
        (``None``/``NaT`` when none is recorded in the year).
    """
    start, end = fy_bounds(review_year)
    dates = pd.to_datetime(visits[V.date])
    found = visits[
        (visits[V.trust_code] == trust_code)
        & (visits[V.visit_type] == "aeqr")
        & (dates >= start)
        & (dates <= end)
    ].sort_values([V.date, V.visit_id])
    visit_id, date = (None, pd.NaT)
    if not found.empty:
        visit_id, date = str(found.iloc[-1][V.visit_id]), pd.Timestamp(found.iloc[-1][V.date])
    return pd.DataFrame(
        {
            "trust_code": [trust_code],
            "review_year": [review_year],
            "intervention": [ANNUAL_REVIEW],
            "visit_id": pd.Series([visit_id], dtype=object),
            "date": pd.Series([date], dtype="datetime64[ns]"),
        }
    )
