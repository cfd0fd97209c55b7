"""The quality team's rules as pure functions: frames in, frames out.

No function here reads a file, draws, or asks for today's date: thresholds come from the parsed
``parameters/region.yaml`` (:class:`qvlib.config.RegionConfig`) and "today" is an ``as_at``
argument, so a pack built twice from the same inputs is the same.  :mod:`qvlib.metrics.asat`
cuts every dataset to what was known at a review's as-at date.
"""

from __future__ import annotations

from qvlib.metrics import asat, benchmarks, spc
from qvlib.metrics.actions import (
    calc_action_tracker,
    calc_immediate_due_check,
    working_days_between,
)
from qvlib.metrics.funding import calc_funding
from qvlib.metrics.hotspots import calc_hotspots
from qvlib.metrics.interventions import (
    INTERVENTIONS,
    calc_annual_review,
    calc_interventions,
    recommend_intervention,
)
from qvlib.metrics.lda import calc_lda_compliance, calc_lda_non_compliant
from qvlib.metrics.national import (
    calc_cqc_latest,
    calc_cqc_overall_timeline,
    calc_cqc_services,
    calc_fft,
    calc_staff_survey,
    calc_website_ratings,
    calc_website_trend,
    months_between,
    rating_summary,
)
from qvlib.metrics.risks import (
    calc_risk_band,
    calc_risk_counts,
    calc_risk_score,
    calc_risk_trend,
    calc_risks,
    risk_band_dtype,
)
from qvlib.metrics.spc import calc_spc, spc_icons
from qvlib.metrics.suppression import suppress, suppress_fft, suppress_survey
from qvlib.metrics.surveys import (
    calc_nets_positive,
    calc_nts_outcome,
    calc_nts_reported,
    calc_outcome_counts,
    calc_persistent_reds,
    calc_red_runs,
    calc_year_on_year,
)

__all__ = [
    "INTERVENTIONS",
    "asat",
    "benchmarks",
    "calc_action_tracker",
    "calc_annual_review",
    "calc_cqc_latest",
    "calc_cqc_overall_timeline",
    "calc_cqc_services",
    "calc_fft",
    "calc_funding",
    "calc_hotspots",
    "calc_immediate_due_check",
    "calc_interventions",
    "calc_lda_compliance",
    "calc_lda_non_compliant",
    "calc_nets_positive",
    "calc_nts_outcome",
    "calc_nts_reported",
    "calc_outcome_counts",
    "calc_persistent_reds",
    "calc_red_runs",
    "calc_risk_band",
    "calc_risk_counts",
    "calc_risk_score",
    "calc_risk_trend",
    "calc_risks",
    "calc_spc",
    "calc_staff_survey",
    "calc_website_ratings",
    "calc_website_trend",
    "calc_year_on_year",
    "recommend_intervention",
    "risk_band_dtype",
    "spc",
    "spc_icons",
    "months_between",
    "rating_summary",
    "suppress",
    "suppress_fft",
    "suppress_survey",
    "working_days_between",
]
