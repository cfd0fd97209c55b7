"""Region overview: one row per trust, figures that agree with each trust's own review."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

import qvlib as qv
from qvlib.datasets import Dataset
from qvlib.overview import RegionOverview, open_overview
from qvlib.tables import show_table

YEAR = "2025/26"


@pytest.fixture(scope="module")
def overview() -> RegionOverview:
    return open_overview("data/sample", YEAR)


def _with(overview: RegionOverview, **tables: pd.DataFrame) -> RegionOverview:
    """The sample overview with some datasets replaced by hand-made ones."""
    data = overview.dataset
    changed = Dataset(data.root, dict(data.meta), {**data.tables, **tables})
    return RegionOverview(
        dataset=changed, region=overview.region, review_year=YEAR, as_at=overview.as_at
    )


def _risk(template: pd.Series, risk_id: str, likelihood: int, consequence: int, status: str):
    return {
        **template.to_dict(),
        "risk_id": risk_id,
        "likelihood": likelihood,
        "consequence": consequence,
        "status": status,
        "theme": "induction",
        "patient_safety": False,
        "closed": pd.NaT,
        "opened": pd.Timestamp("2025-05-01"),
    }


def test_one_row_per_trust_of_the_data_in_code_order(overview):
    table = overview.table
    assert list(table["trust_code"]) == sorted(overview.dataset.trusts["trust_code"])
    assert table["trust_code"].is_unique
    assert overview.as_at.isoformat() == "2026-03-31"
    for column in ("trust_name", "trust_type", "open_extreme", "recommended_triggered"):
        assert table[column].notna().all()


def test_short_name_drops_the_nhs_trust_suffix(overview):
    names = overview.trusts.set_index("trust_code")["short_name"]
    assert names["RN5"] == "Hampshire Hospitals"  # Hampshire Hospitals NHS Foundation Trust
    assert names["R1C"] == "Solent"  # Solent NHS Trust


@pytest.mark.parametrize("code", ["RHM", "R0D"])
def test_row_agrees_with_the_trusts_own_review(overview, code):
    review = qv.open_review(code, YEAR, "data/sample")
    row = overview.table.set_index("trust_code").loc[code]

    bands = review.risk_counts.set_index("band")["open"]
    for band in overview.bands:
        assert row[f"open_{band}"] == bands[band]
    assert row["open_risks"] == len(review.open_risks)

    kinds = review.interventions["intervention"].value_counts()
    assert row["recommended_triggered"] == kinds.get("triggered visit", 0)
    assert row["recommended_learner_educator"] == kinds.get("learner/educator visit", 0)
    assert row["recommended_desktop"] == kinds.get("desktop review", 0)
    assert row["interventions_done"] == review.interventions["covering_visit_id"].notna().sum()

    assert overview.survey_year == review.survey_year
    counts = review.outcome_counts.set_index("year").loc[review.survey_year]
    assert (row["nts_red"], row["nts_green"]) == (counts["red"], counts["green"])

    totals = review.funding_totals.set_index("year").loc[YEAR]
    assert row["funding_utilisation_pct"] == pytest.approx(totals["utilisation_pct"])
    lda = review.lda.set_index("status")
    assert row["lda_compliant_pct"] == pytest.approx(lda.loc["compliant", "pct"])

    cqc = review.cqc.set_index("key_question")
    assert row["cqc_overall"] == cqc.loc["overall", "rating"]

    staff = review.staff_survey_latest
    gap = review.region.headlines.staff_survey_min_gap
    assert row["staff_below_average"] == (staff["gap_to_average"] <= -gap).sum()
    assert row["staff_mean_gap"] == pytest.approx(staff["gap_to_average"].mean())

    assert row["hotspots"] == len(review.hotspots)
    assert sorted(overview.hotspots.query("trust_code == @code")["reason"]) == sorted(
        review.hotspots["reason"]
    )


def test_risk_bands_and_interventions_counted_by_hand(overview):
    # RHM: one extreme (5x5) and one moderate (2x3) open risk, one closed high (4x3); no other
    # trust has risks and there are no visits, so nothing is done.
    template = overview.dataset.risks.query("trust_code == 'RHM'").iloc[0]
    risks = pd.DataFrame(
        [
            _risk(template, "RHM-X1", 5, 5, "open"),
            _risk(template, "RHM-X2", 2, 3, "monitoring"),
            _risk(template, "RHM-X3", 4, 3, "closed"),
        ]
    ).astype(overview.dataset.risks.dtypes.to_dict())
    visits = overview.dataset.visits.iloc[0:0]
    view = _with(
        overview, risks=risks, visits=visits, visit_actions=overview.dataset.visit_actions.iloc[0:0]
    )
    table = view.table.set_index("trust_code")
    rhm = table.loc["RHM"]
    assert (rhm["open_low"], rhm["open_moderate"], rhm["open_high"], rhm["open_extreme"]) == (
        0,
        1,
        0,
        1,
    )
    assert rhm["open_risks"] == 2
    assert (rhm["recommended_triggered"], rhm["recommended_desktop"]) == (1, 1)
    assert rhm["interventions_done"] == 0
    others = table.drop(index="RHM")
    assert (others[["open_risks", "recommended_triggered", "interventions_done"]] == 0).all().all()
    assert view.headlines[0].text == "1 open extreme risk at 1 trust (RHM)."
    outstanding = view.visits_outstanding
    assert list(outstanding["risk_id"]) == ["RHM-X1"]


def test_staff_survey_summary_worked_by_hand(overview):
    # Three RHM elements in 2025 (and one in 2027, not published by the as-at date, ignored):
    #   A: 6.0 against average 6.5 (worst 5.0)  -> below average, gap -0.5
    #   B: 7.2 against average 6.8 (best 7.0)   -> best, gap +0.4
    #   C: 4.9 against average 6.0 (worst 5.0)  -> worst, gap -1.1
    base = overview.dataset.staff_survey.query("org_code == 'RHM' and sub_score.isna()").iloc[0]
    rows = []
    for year, element, score, best, average, worst in [
        (2025, "A", 6.0, 7.0, 6.5, 5.0),
        (2025, "B", 7.2, 7.0, 6.8, 5.0),
        (2025, "C", 4.9, 7.0, 6.0, 5.0),
        (2027, "A", 1.0, 7.0, 6.5, 5.0),
    ]:
        rows.append(
            {
                **base.to_dict(),
                "year": year,
                "element": element,
                "score": score,
                "benchmark_best": best,
                "benchmark_average": average,
                "benchmark_worst": worst,
                "responses": 500,
            }
        )
    staff = pd.DataFrame(rows).astype(overview.dataset.staff_survey.dtypes.to_dict())
    view = _with(overview, staff_survey=staff)
    assert view.staff_survey_year == 2025
    summary = view.staff_survey_summary.set_index("trust_code")
    rhm = summary.loc["RHM"]
    assert (rhm["elements"], rhm["below_average"], rhm["at_worst"]) == (3, 2, 1)
    assert rhm["mean_gap"] == pytest.approx(-0.4)
    assert (rhm["lowest_element"], rhm["lowest_gap"]) == ("C", pytest.approx(-1.1))
    # Other trusts have no staff survey rows now: blank, not "none below average".
    row = view.table.set_index("trust_code").loc["RNZ"]
    assert math.isnan(row["staff_below_average"]) and math.isnan(row["staff_mean_gap"])


def test_trust_without_nts_results_is_blank_not_zero(overview):
    # The sample ambulance trust (RYE) has no doctors in training: no NTS results.
    assert overview.nts_counts.set_index("trust_code").loc["RYE", "total"] == 0
    row = overview.table.set_index("trust_code").loc["RYE"]
    assert math.isnan(row["nts_red"]) and math.isnan(row["nts_green"])
    assert "RYE" not in set(overview.nts_reds_greens["trust_code"])


def test_reds_and_greens_chart_frame_puts_most_reds_first(overview):
    frame = overview.nts_reds_greens
    assert set(frame["outcome"]) == {"red", "green"}
    reds = frame[frame["outcome"] == "red"]["results"].tolist()
    assert reds == sorted(reds, reverse=True)
    per_trust = frame.groupby("trust_code")["outcome"].apply(list)
    assert all(outcomes == ["red", "green"] for outcomes in per_trust)


def test_risks_by_band_lists_every_trust_and_band(overview):
    frame = overview.risks_by_band
    assert len(frame) == len(overview.trust_codes) * len(overview.bands)
    totals = frame.groupby("trust_code")["open"].sum()
    assert totals.to_dict() == overview.table.set_index("trust_code")["open_risks"].to_dict()


def test_cqc_ratings_sort_best_first(overview):
    ordered = overview.cqc.sort_values("overall")["overall"].dropna().astype(str).tolist()
    rank = {"outstanding": 0, "good": 1, "requires improvement": 2, "inadequate": 3}
    assert [rank[r] for r in ordered] == sorted(rank[r] for r in ordered)


def test_sortable_overview_table_has_hooks_and_is_deterministic(overview):
    def html() -> str:
        return show_table(
            overview.table,
            caption="Trusts side by side",
            columns={
                "trust_code": "Trust",
                "short_name": "Name",
                "nts_red": "NTS red",
                "cqc_overall": "CQC overall",
            },
            sortable=True,
        ).html

    page = html()
    assert page == html()
    assert '<table class="qv-sortable">' in page
    # NTS red sorts by its number, blank (no results) last; CQC by rating rank, best first.
    rye = re.search(r"<tr><td>RYE</td>.*?</tr>", page).group(0)
    assert '<td class="num" data-sort="">–</td>' in rye
    rbd = re.search(r"<tr><td>RBD</td>.*?</tr>", page).group(0)
    assert '<td data-sort="0">outstanding</td>' in rbd


def test_open_overview_uses_region_review_year_by_default():
    view = open_overview("data/sample")
    assert view.review_year == qv.region().review_year
    with pytest.raises(ValueError, match="financial year"):
        open_overview("data/sample", "2025")


def test_trusts_with_no_local_data_still_get_a_row_with_blanks_not_zeros(overview):
    empty = {
        name: frame.iloc[0:0] for name, frame in overview.dataset.tables.items() if name != "trusts"
    }
    view = _with(overview, **empty)
    table = view.table
    assert len(table) == len(overview.trust_codes)
    assert (table["open_risks"] == 0).all() and (table["hotspots"] == 0).all()
    for column in ("nts_red", "funding_utilisation_pct", "lda_compliant_pct", "cqc_overall"):
        assert table[column].isna().all(), column
    # Nothing to say about the NTS when there are no results at all.
    assert view.headlines == []
