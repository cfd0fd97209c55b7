"""Visit briefs: one clinical learning environment's concern, history, panel and questions."""

import pytest

from qvlib.briefs import open_brief
from qvlib.config import RegionConfig, load_region
from qvlib.errors import QvError
from qvlib.reviews import open_review

YEAR = "2025/26"
DATA = "data/sample"
# Sample risks planted for each brief (see the notebooks' defaults).
TRIGGERED_RISK = ("RHM", "RHM-R007", "Southampton General Hospital", "General Surgery")
LEARNER_RISK = ("RN5", "RN5-R005", "Basingstoke and North Hampshire Hospital")


def _region(**changes) -> RegionConfig:
    """The committed region settings with top-level keys replaced, validated again."""
    return RegionConfig.model_validate({**load_region().model_dump(), **changes})


def _with_threshold(threshold: int) -> RegionConfig:
    settings = load_region().model_dump()
    settings["suppression"]["nts"]["threshold"] = threshold
    settings["suppression"]["nets"]["threshold"] = threshold
    return RegionConfig.model_validate(settings)


@pytest.fixture(scope="module")
def rhm():
    return open_review("RHM", YEAR, DATA)


@pytest.fixture(scope="module")
def triggered(rhm):
    return open_brief(rhm, "RHM-R007")


@pytest.fixture(scope="module")
def learner():
    return open_brief(open_review("RN5", YEAR, DATA), "RN5-R005")


# The environment ---------------------------------------------------------------------------
def test_a_risk_brief_is_for_the_risks_environment(triggered):
    _, risk_id, site, specialty = TRIGGERED_RISK
    assert (triggered.site, triggered.specialty) == (site, specialty)
    assert triggered.concern["risk_id"].iloc[0] == risk_id
    concern = triggered.concern.iloc[0]
    assert concern["band"] == "extreme" and concern["score"] == 20  # likelihood 4 x 5
    assert concern["intervention"] == "triggered visit"
    assert concern["escalated"] == "significant concerns register"


def test_brief_holds_only_its_environment(triggered, rhm):
    site, specialty = triggered.site, triggered.specialty
    raw = rhm.data.survey_results
    expected = raw[
        (raw["survey"] == "NTS") & (raw["site"] == site) & (raw["specialty"] == specialty)
    ]
    history = triggered.nts_history
    assert len(history) == len(expected) > 0
    assert set(history["site"]) == {site} and set(history["specialty"]) == {specialty}
    assert set(history["year"]) == set(expected["year"])  # every year, not just the latest
    for frame in (triggered.concern, triggered.posts):
        assert len(frame) > 0
    risk_ids = set(rhm.risks.loc[(rhm.risks["site"] == site), "risk_id"])
    assert set(triggered.concern["risk_id"]) <= risk_ids
    assert (
        triggered.good_practice["site"].eq(site)
        | triggered.good_practice["specialty"].eq(specialty)
    ).all()
    for visit in triggered.visits.itertuples():
        here = (visit.site, visit.specialty) == (site, specialty)
        assert here or "RHM-R007" in str(visit.linked_risk_ids)
    assert set(triggered.actions["visit_id"]) <= set(triggered.visits["visit_id"])


def test_visits_at_the_environment_and_linked_to_its_risks_are_listed(triggered):
    # RHM-V005: the triggered visit to General Surgery; RHM-V007: the annual review linking R007.
    # RHM-V006 (obstetrics) and RHM-V008 (desktop review of other risks) are not listed.
    assert list(triggered.visits["visit_id"]) == ["RHM-V007", "RHM-V005"]
    assert list(triggered.visits["why_listed"]) == ["linked to RHM-R007", "at this environment"]
    assert set(triggered.actions["visit_id"]) == {"RHM-V005", "RHM-V007"}
    assert triggered.actions["status"].iloc[0] != "closed"  # open actions first
    closed = triggered.actions[triggered.actions["status"] == "closed"]
    assert not closed["needs_attention"].any()  # a closed immediate requirement is done
    assert closed["is_immediate"].any()


def test_good_practice_closest_first(triggered):
    assert list(triggered.good_practice["match"]) == ["this environment", "same site"]


# Suppression -------------------------------------------------------------------------------
def _small_environment(review, threshold):
    nts = review.data.survey_results.query("survey == 'NTS'")
    small = nts[nts["n"] < threshold]
    site, specialty = small[["site", "specialty"]].iloc[0]
    return site, specialty, nts[(nts["site"] == site) & (nts["specialty"] == specialty)]


def test_no_count_below_the_threshold_is_shown():
    review = open_review("R0D", YEAR, DATA)
    site, specialty, raw = _small_environment(review, 3)
    history = open_brief(review, site=site, specialty=specialty).nts_history
    shown = history["n"].dropna()
    assert (shown >= 3).all()
    assert history["suppressed"].sum() == (raw["n"] < 3).sum() > 0
    hidden = history[history["suppressed"]]
    assert hidden[["n", "score", "ci_lower", "ci_upper"]].isna().all().all()
    assert set(hidden["outcome_final"]) == {"not reported"}


def test_a_higher_threshold_suppresses_more_and_hides_the_colour(rhm):
    review = open_review("RHM", YEAR, DATA, region=_with_threshold(8))
    history = open_brief(review, "RHM-R007").nts_history
    raw = open_brief(rhm, "RHM-R007").nts_history
    assert (history["n"].dropna() >= 8).all()
    # 2022 and 2023 General Surgery core training rows had 5 to 7 respondents.
    assert history["suppressed"].sum() == (raw["n"] < 8).sum() > 0
    assert set(history.loc[history["suppressed"], "outcome_final"]) == {"not reported"}
    assert set(history.loc[history["suppressed"], "outcome_final"]) & {"red", "pink"} == set()


# Errors and the "any environment" brief ----------------------------------------------------
def test_unknown_risk_lists_the_trusts_risks(rhm):
    with pytest.raises(QvError) as err:
        open_brief(rhm, "RHM-R999")
    message = str(err.value)
    assert "RHM-R999" in message and "RHM-R007" in message and "RHM-R001" in message


def test_brief_on_request_for_any_environment(rhm):
    brief = open_brief(rhm, "", site="princess anne hospital", specialty="  Adult Nursing ")
    assert (brief.site, brief.specialty) == ("Princess Anne Hospital", "Adult nursing")
    assert brief.risk_id == ""
    # Its only risk (RHM-R006) is closed: no concern, but the brief still has history.
    assert brief.concern.empty and brief.lead_risk is None
    assert "on request" in " ".join(brief.overview["detail"].astype(str))
    assert list(brief.good_practice["match"])[0] == "this environment"
    assert list(brief.checklist["focus"]) == [False] * len(brief.checklist)


def test_unknown_environment_lists_known_ones(rhm):
    with pytest.raises(QvError) as err:
        open_brief(rhm, "", site="Southampton General Hospital", specialty="Astrology")
    message = str(err.value)
    assert "Astrology" in message and "General Surgery at Southampton General Hospital" in message


def test_on_request_needs_site_and_specialty(rhm):
    with pytest.raises(QvError, match="site and specialty"):
        open_brief(rhm, "", site="Southampton General Hospital")


def test_site_that_contradicts_the_risk_is_an_error(rhm):
    with pytest.raises(QvError, match="RHM-R007"):
        open_brief(rhm, "RHM-R007", site="Princess Anne Hospital")
    same = open_brief(rhm, "RHM-R007", site="southampton general hospital")
    assert same.site == "Southampton General Hospital"


# Panel and checklist -----------------------------------------------------------------------
def test_panel_has_lay_and_external_members(triggered):
    roles = list(triggered.panel["role"])
    assert "Lay representative" in roles and "External specialty expert" in roles
    expert = triggered.panel.set_index("role").loc["External specialty expert", "why"]
    assert "General Surgery" in expert
    assert triggered.panel["why"].str.len().gt(0).all()


def test_panel_missing_lay_or_external_gets_them_added(rhm):
    region = _region(triggered_visit_panel=["Senior regional lead (chair)", "Quality manager"])
    review = open_review("RHM", YEAR, DATA, region=region)
    panel = open_brief(review, "RHM-R007").panel
    assert list(panel["role"]) == [
        "Senior regional lead (chair)",
        "Quality manager",
        "Lay representative",
        "External specialty expert",
    ]
    assert panel["why"].iloc[2].endswith("it is not in region.yaml.)")


def test_checklist_covers_the_six_domains_in_configured_order(triggered, rhm):
    domains = list(dict.fromkeys(triggered.checklist["domain"]))
    assert domains == rhm.region.domains and len(domains) == 6
    assert triggered.checklist["ref"].iloc[0] == "1.1"
    # RHM-R007 is in "Delivering a sustainable workforce": those questions are the focus.
    focus = triggered.checklist[triggered.checklist["focus"]]
    assert set(focus["domain"]) == {"Delivering a sustainable workforce"}


def test_changing_visit_questions_changes_the_checklist():
    domains = load_region().domains
    region = _region(visit_questions={domains[2]: ["Q one?", "Q two?"], domains[0]: ["Q zero?"]})
    review = open_review("RHM", YEAR, DATA, region=region)
    checklist = open_brief(review, "RHM-R007").checklist
    assert list(checklist["question"]) == ["Q zero?", "Q one?", "Q two?"]
    assert list(checklist["ref"]) == ["1.1", "3.1", "3.2"]


# Learner/educator brief --------------------------------------------------------------------
def test_learner_groups_name_the_risks_group_and_the_posts_here(learner):
    groups = learner.learner_groups
    assert groups["group"].iloc[0] == "Higher specialty trainees"
    assert groups["source"].iloc[0] == "named in RN5-R005"
    # Basingstoke obstetrics: specialty training, 10 posts, 9 in post (programmes.csv).
    posts = groups[groups["source"] == "training programmes"]
    assert list(posts["group"]) == ["Specialty training (medical)"]
    assert int(posts["posts"].iloc[0]) == 10 and int(posts["learners_in_post"].iloc[0]) == 9
    assert learner.learners_in_post == 9


def test_drop_in_clinic_for_undermining(learner):
    formats = learner.formats
    assert len(formats) == 4 and formats["recommended"].sum() == 1
    chosen = formats[formats["recommended"]].iloc[0]
    assert (chosen["format"], chosen["mode"]) == ("drop-in clinic", "face-to-face")
    assert "undermining" in chosen["why"] and "9 learners in post" in chosen["why"]
    assert learner.recommended_format == "drop-in clinic, face-to-face"


def test_group_meeting_when_not_sensitive_and_not_small():
    settings = load_region()
    region = _region(
        interventions={**settings.interventions.model_dump(), "learner_educator_themes": []},
        learner_educator_formats={"small_group_below": 5, "mode": "virtual"},
    )
    brief = open_brief(open_review("RN5", YEAR, DATA, region=region), "RN5-R005")
    assert brief.recommended_format == "group meeting, virtual"
    advice = brief.formats.set_index(["format", "mode"])["advice"]
    assert advice["group meeting", "face-to-face"] == "offer alongside"
    assert advice["drop-in clinic", "virtual"] == "alternative"


def test_anonymity_rules_quote_the_configured_threshold(learner):
    rules = " ".join(learner.anonymity_rules["rule"])
    assert "No figure built from fewer than 3 respondents is reported." in rules
    assert "No free text that could identify a learner is quoted; findings are themed." in rules
    raised = open_brief(open_review("RN5", YEAR, DATA, region=_with_threshold(12)), "RN5-R005")
    text = " ".join(raised.anonymity_rules["rule"])
    assert "fewer than 12 respondents" in text and "fewer than 3 " not in text
    # 9 learners in post, fewer than 12: the environment is not reported on its own.
    assert "Only 9 learners are in post here" in text


def test_nets_is_for_the_professions_with_posts_here(learner):
    assert learner.nets_groups == ["Medical students"]
    assert set(learner.nets["trust_code"]) == {"RN5"}
    assert not learner.nets.empty
