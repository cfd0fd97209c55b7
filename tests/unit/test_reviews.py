"""TrustReview: one trust's review year, composed from the metrics, on the committed sample."""

import datetime as dt

import pytest

import qvlib as qv
from qvlib.metrics._util import previous_year
from qvlib.reviews import BRIEF_PACKS, open_review


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


def test_brief_risk_ids_follow_the_recommended_intervention(review):
    for intervention, pack in BRIEF_PACKS.items():
        expected = review.interventions.loc[
            review.interventions["intervention"] == intervention, "risk_id"
        ]
        assert review.brief_risk_ids(pack) == sorted(expected)
    assert review.brief_risk_ids("triggered-visit-brief")  # the sample plants some


def test_attendees_come_from_region_settings(review):
    attendees = review.attendees
    regional = attendees.loc[attendees["organisation"] == "Region", "role"].tolist()
    assert regional == review.region.attendees.regional
    assert "Director of Medical Education" in attendees["role"].tolist()


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
