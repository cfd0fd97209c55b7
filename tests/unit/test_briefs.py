"""Visit briefs: one per clinical learning environment, knowing its history, as a panel uses it."""

from __future__ import annotations

import pandas as pd
import pytest

from qvlib import charts
from qvlib.briefs import (
    BRIEF_PACKS,
    Environment,
    brief_environments,
    environments,
    open_brief,
)
from qvlib.config import RegionConfig, load_region
from qvlib.errors import QvError
from qvlib.reviews import open_review

YEAR = "2025/26"
DATA = "data/sample"
TRIGGERED = "triggered visit"
LEARNER = "learner/educator visit"


def _region(**changes) -> RegionConfig:
    """The committed region settings with top-level keys replaced, validated again."""
    return RegionConfig.model_validate({**load_region().model_dump(), **changes})


@pytest.fixture(scope="module")
def rhm():
    return open_review("RHM", YEAR, DATA)


@pytest.fixture(scope="module")
def surgery(rhm):
    return open_brief(rhm, TRIGGERED, "Southampton General Hospital", "General Surgery")


@pytest.fixture(scope="module")
def maternity():
    review = open_review("R0D", YEAR, DATA)
    return open_brief(review, LEARNER, "Royal Bournemouth Hospital", "Maternity")


# One brief per environment ------------------------------------------------------------------
def test_two_risks_at_one_department_give_one_brief():
    # RHU-R003 and RHU-R006: Emergency Medicine at Queen Alexandra Hospital.
    review = open_review("RHU", YEAR, DATA)
    briefs = brief_environments(review, BRIEF_PACKS[TRIGGERED])
    here = [b for b in briefs if b["specialty"] == "Emergency Medicine"]
    assert len(here) == 1
    assert here[0]["slug"] == "queen-alexandra-hospital-emergency-medicine"
    brief = open_brief(review, TRIGGERED, here[0]["site"], here[0]["specialty"])
    assert set(brief.risks["risk_id"]) == {"RHU-R003", "RHU-R006"}
    assert (
        "RHU-R003, RHU-R006"
        in brief.overview.set_index("item").loc["Risks the visit is about", "detail"]
    )


def test_every_open_risk_calling_for_a_visit_is_in_exactly_one_brief():
    for code in ("RHM", "RHU", "R0D", "RBD"):
        review = open_review(code, YEAR, DATA)
        for intervention in (TRIGGERED, LEARNER):
            wanted = review.interventions[review.interventions["intervention"] == intervention]
            covered = []
            for env in environments(review, intervention):
                covered += list(
                    open_brief(review, intervention, env.site, env.specialty).risks["risk_id"]
                )
            assert sorted(covered) == sorted(wanted["risk_id"]), (code, intervention)


def test_slugs_are_readable_file_safe_and_bounded():
    env = Environment("RHM", "St Mary's Hospital (A&E)", "Trauma & Orthopaedics")
    assert env.slug == "st-mary-s-hospital-a-e-trauma-orthopaedics"
    long = Environment("RHM", "A" * 120, "Surgery")
    assert len(long.slug) <= 80 and long.slug != Environment("RHM", "A" * 121, "Surgery").slug


# History --------------------------------------------------------------------------------------
def test_a_brief_after_a_visit_is_a_follow_up_naming_what_was_required(surgery):
    # RHM-V005 (8 Aug 2025) confirmed the concern and issued an immediate mandatory requirement.
    assert surgery.is_follow_up and surgery.previous["visit_id"] == "RHM-V005"
    follow = surgery.follow_up.set_index("ref")
    assert follow.loc["IMR1", "kind"] == "immediate mandatory requirement"
    assert follow.loc["IMR1", "rag"] == "closed"  # closed the next day, within 5 working days
    assert "Follow-up of RHM-V005 (8 Aug 2025)" in surgery.follow_up_summary
    steps = surgery.timeline["step"].tolist()
    assert steps[0] == "Previous triggered visit (RHM-V005)"
    assert "IMR1 (immediate mandatory requirement) due" in steps
    assert surgery.overview.set_index("item").loc["Visit", "detail"] == "Follow-up visit"


def test_the_follow_up_position_moves_with_the_as_at_date():
    october = open_review("RHM", YEAR, DATA, "2025-10-14")
    brief = open_brief(october, TRIGGERED, "Southampton General Hospital", "General Surgery")
    rags = brief.follow_up.set_index("ref")["rag"]
    assert rags["IMR1"] == "closed" and rags["MR1"] in {"green", "amber"}


def test_a_learner_educator_brief_lists_earlier_visits_to_the_unit(maternity):
    # R0D-R003's brief used to miss R0D-V007, a learner/educator visit to the same unit.
    history = maternity.history.set_index("visit_id")
    assert "R0D-V007" in history.index
    assert history.loc["R0D-V007", "visit_label"] == "Learner and educator visit"
    assert maternity.is_follow_up


def test_a_first_visit_has_a_target_date_from_its_trigger():
    # As at 1 Aug 2025, RHM-R007 (opened 16 Jul 2025) had not yet had its visit (8 Aug 2025).
    review = open_review("RHM", YEAR, DATA, "2025-08-01")
    brief = open_brief(review, TRIGGERED, "Southampton General Hospital", "General Surgery")
    assert not brief.is_follow_up
    assert brief.trigger_date == pd.Timestamp("2025-07-16")
    timeline = brief.timeline.set_index("step")
    hold = timeline.loc["Hold the visit by (20 working days)"]
    # 20 working days after Wednesday 16 Jul 2025 (no bank holiday in between): 13 Aug 2025.
    assert hold["date"] == pd.Timestamp("2025-08-13") and hold["status"] == "due"
    assert "first visit" in brief.follow_up_summary


# A panel's use --------------------------------------------------------------------------------
def test_rota_and_undermining_concerns_get_different_questions(surgery, maternity):
    rota = set(surgery.questions["question"])
    undermining = set(maternity.questions["question"])
    assert surgery.themes == ["rota gaps"] and maternity.themes == ["undermining"]
    assert any("rota" in q.lower() for q in rota - undermining)
    assert any("belittled" in q.lower() for q in undermining - rota)
    assert set(surgery.questions["audience"]) >= {"Learners", "Senior leaders"}


def test_changing_the_question_bank_changes_the_questions(rhm):
    bank = load_region().question_bank.model_dump()
    bank["themes"]["rota gaps"]["learners"] = ["Is the rota published six weeks ahead?"]
    region = _region(question_bank=bank)
    review = open_review("RHM", YEAR, DATA, region=region)
    brief = open_brief(review, TRIGGERED, "Southampton General Hospital", "General Surgery")
    assert "Is the rota published six weeks ahead?" in set(brief.questions["question"])


def test_escalation_and_session_plan(surgery):
    escalation = surgery.escalation.set_index("item")["position"]
    assert escalation["Significant concerns register"] == "on the register"
    assert escalation["Intensive Support Framework level"].startswith("Level")
    assert "trust board" in escalation["Trust board"]
    plan = surgery.session_plan
    assert plan["session"].tolist()[0] == "Learners"
    assert plan["session"].tolist()[-1] == "Feedback to the executive"
    assert "Core training" in plan.set_index("session").loc["Learners", "who"]


def test_panel_has_lay_external_and_learner_members(surgery):
    roles = " ".join(surgery.panel["role"]).lower()
    assert "lay" in roles and "external" in roles and "learner" in roles
    assert all(surgery.panel["why"].str.len() > 20)


def test_panel_missing_lay_or_external_gets_them_added(rhm):
    briefs = load_region().briefs.model_dump()
    briefs["triggered_visit"]["panel"] = ["Senior regional lead (chair)"]
    review = open_review("RHM", YEAR, DATA, region=_region(briefs=briefs))
    brief = open_brief(review, TRIGGERED, "Southampton General Hospital", "General Surgery")
    added = brief.panel.set_index("role")
    assert "Added" in added.loc["Lay representative", "why"]
    assert "External specialty expert" in added.index


def test_learners_are_listed_once_with_every_profession_here(maternity, surgery):
    learners = maternity.learners
    assert learners["programme"].is_unique
    assert learners["programme"].notna().all()
    assert "Pre-registration midwifery students" in set(learners["programme"])
    assert set(surgery.learners["named_in"]) >= {"RHM-R007"}


def test_guardian_reports_are_the_departments_known_at_the_date(surgery, rhm):
    reports = rhm.known_table("exception_reports")
    own = reports[reports["specialty"] == "General Surgery"]
    last = own.groupby("quarter")["hours_reports"].sum().sort_index().tail(4)
    assert surgery.guardian["hours_reports"].tolist() == last.tolist()


# Learner and educator visits -----------------------------------------------------------------
def test_drop_in_clinic_for_undermining_and_anonymity_in_plain_words(maternity):
    chosen = maternity.formats[maternity.formats["recommended"]].iloc[0]
    assert (chosen["format"], chosen["mode"]) == ("drop-in clinic", "face-to-face")
    text = " ".join(maternity.anonymity["detail"])
    assert "region.yaml" not in text and "threshold" not in text
    assert "discloses something serious" in " ".join(maternity.anonymity["promise"])
    assert "quality team" in maternity.invitation


def test_no_empty_chart_for_learners_not_in_the_nts(maternity):
    # Midwifery students are not in the GMC NTS: the brief says so in a sentence.
    assert maternity.nts_history.empty
    note = charts.chart_nts_heatmap(maternity.nts_history, title="NTS outcomes")
    assert "no NTS results" in note._repr_html_()


def test_group_meeting_when_not_sensitive_and_not_small():
    settings = load_region()
    region = _region(
        interventions={**settings.interventions.model_dump(), "learner_educator_themes": []},
        learner_educator_formats={"small_group_below": 5, "mode": "virtual"},
    )
    review = open_review("R0D", YEAR, DATA, region=region)
    brief = open_brief(review, LEARNER, "Royal Bournemouth Hospital", "Maternity")
    assert brief.recommended_format == "group meeting, virtual"


# Suppression and errors ----------------------------------------------------------------------
def test_survey_history_is_suppressed_as_in_the_review(surgery):
    history = surgery.nts_history
    small = history[history["suppressed"]]
    assert small["n"].isna().all() and small["score"].isna().all()
    assert (history.loc[~history["suppressed"], "n"] >= 3).all()


def test_brief_on_request_for_an_environment_with_no_such_risk(rhm):
    brief = open_brief(rhm, LEARNER, "southampton general hospital", "general surgery")
    assert brief.risks.empty and brief.lead_risk is None
    assert "on request" in brief.overview.set_index("item").loc["Open risks", "detail"]


def test_unknown_environment_lists_known_ones(rhm):
    with pytest.raises(QvError, match="known environments.*General Surgery at"):
        open_brief(rhm, TRIGGERED, "Nowhere Hospital", "General Surgery")
    with pytest.raises(QvError, match="briefs are for"):
        open_brief(rhm, "desktop review", "Southampton General Hospital", "General Surgery")


def test_late_immediate_requirements_are_counted_as_the_data_says():
    # 6 of the sample's 14 immediate mandatory requirements were closed after 5 working days.
    from qvlib.overview import open_overview

    overview = open_overview(DATA, YEAR)
    actions = pd.concat([r.actions for r in overview.reviews.values()])
    immediate = actions[actions["is_immediate"]]
    assert len(immediate) == 14
    assert int(immediate["closed_late"].sum()) == 6
    assert (
        sum(r.values["actions.immediate_closed_late"].value for r in overview.reviews.values()) == 6
    )
