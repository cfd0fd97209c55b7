"""TrustReview: one trust's review year, composed from the metrics, on the committed sample."""

import datetime as dt

import pandas as pd
import pytest

import qvlib as qv
from qvlib.metrics._util import previous_year
from qvlib.reviews import open_review


@pytest.fixture(scope="module")
def review():
    return open_review("RHM", "2025/26", "data/sample")


def test_as_at_defaults_to_the_last_day_of_a_review_year_that_has_ended(review):
    assert review.as_at == dt.date(2026, 3, 31)
    assert review.period == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def test_previous_year():
    assert previous_year("2025/26") == "2024/25"
    assert previous_year("2000/01") == "1999/00"


def test_review_holds_only_its_trust(review):
    for name in ("risks", "interventions", "actions", "nts", "nets", "hotspots", "funding"):
        frame = getattr(review, name)
        assert set(frame["trust_code"]) <= {"RHM"}, name


def test_attendees_are_the_meetings_with_names_and_apologies(review):
    attendees = review.attendees
    assert review.meeting is not None  # RHM's 2025/26 review was held by 31 Mar 2026
    regional = attendees.loc[attendees["organisation"] == "Region", "role"].tolist()
    assert regional == review.region.attendees.regional
    assert attendees["name"].notna().all()
    assert set(attendees["attendance"]) <= {"attended", "apologies"}


def test_before_the_meeting_the_invited_roles_are_listed():
    before = open_review("RHM", "2025/26", "data/sample", "2025-10-14")
    assert before.meeting is None
    assert set(before.attendees["attendance"]) == {"invited"}
    assert before.commitments.empty  # agreed at the meeting


def test_last_years_commitments_and_where_they_stand(review):
    last = review.commitments_last_year
    assert review.previous_meeting.name == "RHM-V004"
    assert len(last) == review.values["commitments.last_year"].value > 0
    overdue = last[(last["status"] != "closed") & (last["due"] < pd.Timestamp(review.as_at))]
    assert set(overdue["ref"]) == set(last.loc[last["rag"] == "overdue", "ref"])


def test_no_headline_item_appears_twice_and_the_meeting_is_not_a_strength(review):
    texts = [f.text for f in review.findings]
    assert len(texts) == len(set(texts))
    assert [f.text for f in review.strengths + review.challenges] == [
        f.text for f in review.findings if f.severity == "positive"
    ] + [f.text for f in review.findings if f.severity != "positive"]
    assert not any("annual education quality review" in t.lower() for t in texts)


def test_priorities_name_uncovered_visits_and_hotspots(review):
    texts = " ".join(review.priorities["priority"])
    uncovered = review.interventions[
        (review.interventions["intervention"] != "desktop review")
        & review.interventions["covering_visit_id"].isna()
    ]
    for item in uncovered.itertuples():
        assert f"{item.specialty} at {item.site}" in texts
    for item in review.hotspots.itertuples():
        assert f"{item.specialty} at {item.site}" in texts


def test_changes_compare_with_the_previous_year_from_the_figures_shown(review):
    changes = review.changes.set_index("measure")
    totals = review.funding_totals.set_index("year")
    row = changes.loc["Funding allocated (2024/25 to 2025/26)"]
    assert row["previous"] == pytest.approx(totals.at["2024/25", "allocated"])
    assert row["current"] == pytest.approx(totals.at["2025/26", "allocated"])
    assert row["change"] == round(row["current"]) - round(row["previous"])
    # Utilisation: the change is the difference of the rounded percentages shown, in points,
    # so "91.4 | 95.6 | +4.2 pts" adds up ("91 | 96 | +4" did not).
    use = changes.loc["Funding utilisation (2024/25 to 2025/26)"]
    assert use["change"] == pytest.approx(round(use["current"], 1) - round(use["previous"], 1))


def test_fft_spc_per_setting_uses_region_run_length(review):
    assert set(review.fft_spc) == set(review.fft["setting"])
    shorter = review.region.model_copy(
        update={"spc": review.region.spc.model_copy(update={"run_length": 3})}
    )
    again = qv.reviews.TrustReview(review.data, shorter, review.review_year, review.as_at)
    flagged = sum(int(f["run"].sum()) for f in review.fft_spc.values())
    flagged_short = sum(int(f["run"].sum()) for f in again.fft_spc.values())
    assert flagged_short > flagged


def test_bad_review_year_is_rejected():
    with pytest.raises(ValueError, match="YYYY/YY"):
        open_review("RHM", "2025-26", "data/sample")


# --------------------------------------------------------------------------- figures a trust
# would catch: each of these failed on the review before it was judged as at a date.


def test_notable_practice_is_good_practice_never_an_action_to_close(review):
    # RHM-V004's notable practice was recorded "open", due Nov 2024: it was listed as
    # "512 days overdue" and as the annual pack's first priority.
    assert "notable practice" not in set(review.actions["kind"])
    assert "notable practice" not in set(review.open_actions["kind"])
    assert not review.priorities["priority"].str.contains("notable practice").any()
    assert review.values["actions.overdue"].value == int(review.open_actions["overdue"].sum())
    r1f = open_review("R1F", "2025/26", "data/sample")
    praised = r1f.good_practice[r1f.good_practice["source"].str.startswith("notable practice")]
    assert "notable practice, visit R1F-V005" in set(praised["source"])


def test_an_intervention_whose_visit_took_place_says_held_with_the_date(review):
    # "2 risks need a triggered visit (all arranged)" although both visits had taken place.
    rows = review.interventions.set_index("risk_id")
    assert rows.loc["RHM-R007", "visit_status"].startswith("held 8 Aug 2025 (RHM-V005)")
    text = next(f.text for f in review.findings if f.key == "interventions.triggered")
    assert "held: RHM-V005 on 8 Aug 2025 and RHM-V006 on 4 Sep 2025" in text
    assert "arranged" not in text


def test_the_two_learner_counts_are_side_by_side_and_never_contradict(review):
    # Learners by profession (the annual return) and learners in post (training posts) used
    # to disagree with no explanation; now one table shows both and what each counts.
    table = review.learner_reconciliation.set_index("profession_group")
    medical = table.loc["medical"]
    assert medical["headcount"] == 1042 and medical["in_post"] == 183
    known = table.dropna(subset=["headcount", "in_post"])
    assert (known["in_post"] <= known["headcount"]).all()
    assert review.learner_reconciliation.columns.tolist() == [
        "profession_group",
        "headcount",
        "posts",
        "in_post",
        "in_post_pct",
    ]


def test_website_ratings_name_sites_not_codes(review):
    names = set(review.website_ratings["site_name"])
    assert names == {"Southampton General Hospital", "Princess Anne Hospital"}


def test_region_outcome_counts_include_no_result_and_add_up():
    overview = qv.overview.open_overview("data/sample", "2025/26")
    counts = overview.nts_counts
    outcomes = ["red", "pink", "white", "light green", "green", "not reported", "no result"]
    assert (counts[outcomes].sum(axis=1) == counts["total"]).all()
    assert counts["no result"].sum() > 0  # the sample has some


def test_review_notes_and_periods_say_what_the_as_at_date_means():
    review = open_review("RHM", "2025/26", "data/sample", "2025-10-14")
    periods = review.periods.set_index("source")["period"]
    assert periods["As at"].startswith("14 Oct 2025")
    assert periods["GMC National Training Survey"] == "2025 results, published 1 Jul 2025"
    assert periods["NHS Staff Survey"] == "2024 results, published 1 Mar 2025"
    assert review.funding_year == "2024/25"
    assert any("latest known at the as-at date are for 2024/25" in n for n in review.notes)
