"""Tests for qvlib.metrics.interventions: which intervention each open risk calls for, and why."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from frames import risk_row
from hypothesis import given
from hypothesis import strategies as st

from qvlib.config import load_region
from qvlib.metrics import interventions as iv
from qvlib.metrics.risks import calc_risks

REGION = load_region()
AS_OF = dt.date(2025, 6, 1)
SITE, SPECIALTY = "Queen Alexandra Hospital", "Surgery"


def _risk(
    risk_id,
    likelihood,
    consequence,
    *,
    ps=False,
    specialty=SPECIALTY,
    opened="2025-02-01",
    **fields,
):
    return risk_row(
        risk_id,
        SITE,
        specialty,
        likelihood,
        consequence,
        summary=f"summary {risk_id}",
        opened=pd.Timestamp(opened),
        patient_safety=ps,
        isf_level="Level 1: self-led improvement",
        **fields,
    )


def _visit(visit_id, visit_type, date, *, trust="RHM", specialty=SPECIALTY, linked=None):
    return {
        "visit_id": visit_id,
        "trust_code": trust,
        "visit_type": visit_type,
        "date": pd.Timestamp(date),
        "site": SITE,
        "specialty": specialty,
        "linked_risk_ids": linked,
        "panel_roles": None,
        "outcome_summary": "",
    }


RISKS = pd.DataFrame(
    [
        _risk("R1", 5, 4, theme="bullying"),  # extreme: significant concern whatever the theme
        _risk("R2", 3, 4, ps=True, specialty="Medicine"),  # high + patient safety
        _risk("R3", 3, 4, theme=" Bullying ", specialty="Paediatrics"),  # high, learner theme
        _risk("R4", 2, 3, specialty="Radiology"),  # moderate, workload
        _risk("R5", 5, 5, status="closed"),  # closed: no intervention
    ]
)
VISITS = pd.DataFrame(
    [
        _visit("V1", "triggered", "2024-11-01", specialty="Other", linked="R9; R1"),
        _visit("V0", "triggered", "2025-01-15", specialty="Medicine"),
        _visit("V2", "triggered", "2025-03-01", specialty="Medicine"),
        _visit("V3", "learner_educator", "2025-03-01", specialty="Surgery"),
        _visit("V4", "desktop", "2025-03-01", trust="R1F", specialty="Radiology"),
    ]
)


def _calc(region=REGION, risks=RISKS, visits=VISITS):
    return iv.calc_interventions(calc_risks(risks, region, AS_OF), visits, region).set_index(
        "risk_id"
    )


def test_each_open_risk_gets_the_intervention_the_rules_give():
    out = _calc()
    assert out["intervention"].to_dict() == {
        "R1": "triggered visit",
        "R2": "triggered visit",
        "R3": "learner/educator visit",
        "R4": "desktop review",
    }


def test_reasons_say_why_in_words():
    reasons = _calc()["reason"]
    assert reasons["R1"] == "Extreme risk (score 20): significant concern"
    assert reasons["R2"] == "High risk (score 12) with patient-safety impact: significant concern"
    assert reasons["R3"] == (
        "High risk (score 12), theme 'Bullying': best clarified with learners and educators"
    )
    assert reasons["R4"] == "Moderate risk (score 6): monitor through the desktop review"


def test_rows_are_highest_score_first():
    assert list(_calc().index) == ["R1", "R2", "R3", "R4"]


def test_covering_visit_is_a_linked_visit_or_a_later_one_at_the_same_place():
    cover = _calc()["covering_visit_id"]
    assert cover["R1"] == "V1"  # lists R1, even though held before R1 opened
    assert cover["R2"] == "V2"  # same place and type, after opening (V0 was before it)
    assert cover["R3"] is None  # the learner/educator visit was in another specialty
    assert cover["R4"] is None  # a desktop review of another trust does not count


def test_learner_educator_themes_come_from_settings():
    settings = REGION.interventions.model_copy(update={"learner_educator_themes": ["Workload"]})
    out = _calc(REGION.model_copy(update={"interventions": settings}))
    assert out.loc["R3", "intervention"] == "desktop review"
    assert out.loc["R4", "intervention"] == "learner/educator visit"


def test_patient_safety_bands_come_from_settings():
    settings = REGION.interventions.model_copy(
        update={"triggered_visit_bands_with_patient_safety": []}
    )
    out = _calc(REGION.model_copy(update={"interventions": settings}))
    assert out.loc["R2", "intervention"] == "desktop review"
    settings = REGION.interventions.model_copy(
        update={"triggered_visit_bands": ["high", "extreme"]}
    )
    out = _calc(REGION.model_copy(update={"interventions": settings}))
    assert out.loc["R3", "intervention"] == "triggered visit"


def test_no_open_risks_gives_an_empty_frame_with_the_columns():
    out = iv.calc_interventions(calc_risks(RISKS.iloc[[4]], REGION, AS_OF), VISITS, REGION)
    assert out.empty
    assert {"intervention", "reason", "covering_visit_id"} <= set(out.columns)


@given(
    band=st.sampled_from(REGION.risk.band_names()),
    score=st.integers(1, 25),
    patient_safety=st.booleans(),
    theme=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["bullying", "Undermining"])),
)
def test_intervention_is_always_one_of_the_three(band, score, patient_safety, theme):
    intervention, reason = iv.recommend_intervention(band, score, patient_safety, theme, REGION)
    assert intervention in iv.INTERVENTIONS
    assert f"score {score}" in reason


def test_annual_review_is_the_aeqr_visit_in_the_financial_year():
    visits = pd.DataFrame(
        [
            _visit("A24", "aeqr", "2024-10-01"),
            _visit("A25", "aeqr", "2026-03-31"),  # last day of 2025/26
            _visit("A26", "aeqr", "2026-04-01"),  # first day of 2026/27
            _visit("T1", "triggered", "2025-10-01"),
        ]
    )
    review = iv.calc_annual_review("RHM", visits, "2025/26")
    assert len(review) == 1
    assert review.iloc[0]["visit_id"] == "A25"
    assert review.iloc[0]["intervention"] == "annual education quality review"
    none = iv.calc_annual_review("RHM", visits, "2023/24").iloc[0]
    assert none["visit_id"] is None and pd.isna(none["date"])
    assert iv.calc_annual_review("R1F", visits, "2025/26").iloc[0]["visit_id"] is None
