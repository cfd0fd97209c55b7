"""One trust's review: the metrics every pack notebook shows, computed once and named.

A pack notebook opens a :class:`TrustReview` and displays its attributes; the same object is what
an analyst gets interactively (``qv.open_review("RHM")``).  This module composes
:mod:`qvlib.metrics` for one trust and one review year; it computes no rule of its own, reads only
through :func:`qvlib.datasets.load`, and draws nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from qvlib import metrics
from qvlib.config import RegionConfig, check_review_year, load_region_cached
from qvlib.datasets import Dataset, TrustData, load
from qvlib.metrics._util import fy_bounds, latest_year_by, previous_year

#: The regional team's name for each recommended intervention's brief (pack names).
BRIEF_PACKS = {
    "triggered visit": "triggered-visit-brief",
    "learner/educator visit": "learner-educator-visit-brief",
}


@dataclass
class TrustReview:
    """Everything the packs say about one trust in one review year.

    Attributes are computed on first use.  ``as_of`` (the date overdue risks and actions are
    judged at) is the last day of the review year, so a pack built twice says the same.
    """

    data: TrustData
    region: RegionConfig
    review_year: str

    def __repr__(self) -> str:
        return f"TrustReview({self.data.code!r}, {self.data.name!r}, {self.review_year!r})"

    @property
    def code(self) -> str:
        return self.data.code

    @property
    def name(self) -> str:
        return self.data.name

    @cached_property
    def as_of(self) -> dt.date:
        return fy_bounds(self.review_year)[1].date()

    @cached_property
    def period(self) -> tuple[dt.date, dt.date]:
        """First and last day of the review year."""
        start, end = fy_bounds(self.review_year)
        return start.date(), end.date()

    @cached_property
    def survey_year(self) -> int:
        """The latest NTS/NETS year on or before the end of the review year."""
        latest = latest_year_by(self.data.survey_results["year"], self.as_of)
        return self.as_of.year if latest is None else latest

    # Headlines -----------------------------------------------------------------------------
    @cached_property
    def findings(self) -> list[metrics.Finding]:
        return metrics.calc_trust_summary(self.data, self.region, self.as_of, self.review_year)

    @cached_property
    def strengths(self) -> list[metrics.Finding]:
        return [f for f in self.findings if f.severity == "positive"]

    @cached_property
    def challenges(self) -> list[metrics.Finding]:
        return [f for f in self.findings if f.severity != "positive"]

    @cached_property
    def attendees(self) -> pd.DataFrame:
        """Who the annual review invites, by side, from ``attendees`` in region.yaml."""
        people = self.region.attendees
        rows = [("Region", role) for role in people.regional]
        rows += [(self.name, role) for role in people.trust]
        return pd.DataFrame(rows, columns=["organisation", "role"])

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """The evidence the review draws on: each dataset with its rows and years for the trust."""
        sources = [
            (
                "GMC National Training Survey",
                self.data.survey_results.query("survey == 'NTS'"),
                "year",
            ),
            (
                "NHS Education and Training Survey",
                self.data.survey_results.query("survey == 'NETS'"),
                "year",
            ),
            ("Guardian of safe working hours returns", self.data.exception_reports, "quarter"),
            ("Trust self-assessment", self.data.self_assessment, "year"),
            ("Funding summary", self.data.funding, "year"),
            ("Learning and Development Agreement", self.data.lda_compliance, "year"),
            ("Risk register", self.data.risks, None),
            ("Earlier reviews and visits", self.data.visits, None),
        ]
        rows = []
        for label, frame, year_col in sources:
            years = sorted(frame[year_col].astype(str).unique()) if year_col else []
            covered = f"{years[0]} to {years[-1]}" if len(years) > 1 else "".join(years)
            rows.append({"evidence": label, "records": len(frame), "covering": covered})
        return pd.DataFrame(rows)

    @cached_property
    def priorities(self) -> pd.DataFrame:
        """Priorities for next year: visits to hold, overdue requirements, hotspots to watch."""
        rows = []
        for item in self.interventions.itertuples():
            if item.intervention != "desktop review" and not item.covering_visit_id:
                rows.append(
                    (
                        f"Hold a {item.intervention} for {item.specialty} at {item.site}",
                        f"{item.risk_id}: {item.reason}",
                    )
                )
        overdue = self.open_actions[
            self.open_actions["overdue"] & (self.open_actions["kind"] != "recommendation")
        ]
        for item in overdue.itertuples():
            rows.append(
                (
                    f"Close {item.kind} {item.visit_id}/{item.ref}",
                    f"Due {item.due:%d %b %Y}, owner {item.owner}",
                )
            )
        for item in self.hotspots.itertuples():
            rows.append(
                (
                    f"Improve the learning environment in {item.specialty} at {item.site}",
                    item.reason,
                )
            )
        return pd.DataFrame(rows, columns=["priority", "why"])

    # Risks and interventions ---------------------------------------------------------------
    @cached_property
    def risks(self) -> pd.DataFrame:
        return metrics.calc_risks(self.data.risks, self.region, self.as_of)

    @cached_property
    def open_risks(self) -> pd.DataFrame:
        return self.risks[self.risks["is_open"]].sort_values(
            ["score", "risk_id"], ascending=[False, True]
        )

    @cached_property
    def risk_counts(self) -> pd.DataFrame:
        return metrics.calc_risk_counts(
            self.risks, by=("band",), region=self.region, trust_codes=[self.code]
        )

    @cached_property
    def interventions(self) -> pd.DataFrame:
        return metrics.calc_interventions(self.risks, self.data.visits, self.region)

    @cached_property
    def annual_review(self) -> pd.DataFrame:
        return metrics.calc_annual_review(self.code, self.data.visits, self.review_year)

    def brief_risk_ids(self, pack: str) -> list[str]:
        """Open risks whose recommended intervention calls for the brief ``pack``."""
        wanted = [kind for kind, name in BRIEF_PACKS.items() if name == pack]
        chosen = self.interventions[self.interventions["intervention"].isin(wanted)]
        return sorted(chosen["risk_id"])

    # Visits and actions --------------------------------------------------------------------
    @cached_property
    def actions(self) -> pd.DataFrame:
        return metrics.calc_action_tracker(
            self.data.visit_actions, self.data.visits, self.as_of, self.region
        )

    @cached_property
    def open_actions(self) -> pd.DataFrame:
        open_ = self.actions[self.actions["status"] != "closed"]
        return open_.sort_values(["is_immediate", "overdue", "due"], ascending=[False, False, True])

    @cached_property
    def visits(self) -> pd.DataFrame:
        return self.data.visits.sort_values("date", ascending=False)

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts(self) -> pd.DataFrame:
        return metrics.calc_nts_outcome(self.data.survey_results, self.region)

    @cached_property
    def nts_to_date(self) -> pd.DataFrame:
        """NTS results up to the review year's survey (a later survey is not yet known)."""
        return self.nts[self.nts["year"] <= self.survey_year]

    @cached_property
    def nts_latest(self) -> pd.DataFrame:
        return self.nts[self.nts["year"] == self.survey_year]

    @cached_property
    def outcome_counts(self) -> pd.DataFrame:
        return metrics.calc_outcome_counts(self.nts_to_date)

    @cached_property
    def persistent_reds(self) -> pd.DataFrame:
        reds = metrics.calc_persistent_reds(self.nts_to_date, self.region)
        return reds[reds["current"]] if "current" in reds else reds

    @cached_property
    def nets(self) -> pd.DataFrame:
        return metrics.calc_nets_positive(self.data.survey_results, self.region)

    @cached_property
    def hotspots(self) -> pd.DataFrame:
        return metrics.calc_hotspots(self.nts_to_date, self.risks, self.region, self.data.hotspots)

    # Learners, funding, programmes, LDA ----------------------------------------------------
    @cached_property
    def funding(self) -> pd.DataFrame:
        return metrics.calc_funding(self.data.funding, self.data.learners)

    @cached_property
    def funding_by_profession(self) -> pd.DataFrame:
        frame = metrics.calc_funding(
            self.data.funding, self.data.learners, by=("profession_group",)
        )
        return frame[frame["year"] == self.review_year]

    @cached_property
    def funding_totals(self) -> pd.DataFrame:
        return metrics.calc_funding(self.data.funding, self.data.learners, by=())

    @cached_property
    def learners(self) -> pd.DataFrame:
        return self.data.learners.groupby(["year", "profession_group"], as_index=False)[
            ["headcount", "fte"]
        ].sum()

    @cached_property
    def programmes(self) -> pd.DataFrame:
        frame = self.data.programmes.copy()
        frame["fill_pct"] = frame["learners_in_post"] / frame["posts"].where(frame["posts"] > 0)
        frame["fill_pct"] *= 100
        return frame.sort_values(["site", "profession_group", "specialty"])

    @cached_property
    def lda(self) -> pd.DataFrame:
        return metrics.calc_lda_compliance(self.data.lda_compliance, self.review_year)

    @cached_property
    def lda_non_compliant(self) -> pd.DataFrame:
        return metrics.calc_lda_non_compliant(self.data.lda_compliance, self.review_year)

    @cached_property
    def self_assessment(self) -> pd.DataFrame:
        frame = self.data.self_assessment
        return frame[frame["year"] == self.review_year]

    @cached_property
    def exception_reports(self) -> pd.DataFrame:
        frame = self.data.exception_reports
        counts = ["hours_reports", "education_reports", "safety_reports", "fines_gbp"]
        return frame.groupby("quarter", as_index=False)[counts].sum()

    @cached_property
    def good_practice(self) -> pd.DataFrame:
        start, end = self.period
        dates = self.data.good_practice["date"].dt.date
        return self.data.good_practice[(dates >= start) & (dates <= end)].sort_values("date")

    # National ------------------------------------------------------------------------------
    @cached_property
    def fft(self) -> pd.DataFrame:
        return metrics.calc_fft(self.data.fft, self.region)

    @cached_property
    def fft_spc(self) -> dict[str, pd.DataFrame]:
        """XmR of monthly % positive for each FFT setting (higher is better)."""
        result = {}
        for setting, series in self.fft.groupby("setting", sort=True):
            points = pd.DataFrame(
                {"x": pd.to_datetime(series["period"] + "-01"), "y": series["pct_positive"]}
            )
            result[setting] = metrics.calc_spc(
                points, improvement="increase", settings=self.region.spc
            )
        return result

    @cached_property
    def fft_spc_summary(self) -> pd.DataFrame:
        """Making Data Count variation icon of each FFT setting's chart, in words."""
        rows = []
        for setting, spc in self.fft_spc.items():
            icons = metrics.spc_icons(spc, "increase")
            rows.append(
                {
                    "setting": setting,
                    "months": len(spc),
                    "latest_pct_positive": spc["y"].iloc[-1] if len(spc) else None,
                    "variation": icons.variation_text,
                    "limits": icons.trial_limits_text or "Limits from all months",
                }
            )
        return pd.DataFrame(rows)

    @cached_property
    def cqc(self) -> pd.DataFrame:
        return metrics.calc_cqc_latest(self.data.cqc_ratings, self.code)

    @cached_property
    def staff_survey(self) -> pd.DataFrame:
        return metrics.calc_staff_survey(self.data.staff_survey, self.region)

    @cached_property
    def staff_survey_latest(self) -> pd.DataFrame:
        frame = self.staff_survey
        return frame[frame["year"] == latest_year_by(frame["year"], self.as_of)]

    @cached_property
    def website_ratings(self) -> pd.DataFrame:
        return metrics.calc_website_ratings(self.data.nhs_website_ratings)

    # Year on year --------------------------------------------------------------------------
    @cached_property
    def changes(self) -> pd.DataFrame:
        """Headline measures this review year against the previous one."""
        last = previous_year(self.review_year)
        trend = metrics.calc_risk_trend(self.risks, [last, self.review_year])
        open_risks = trend.groupby("year")["open_at_year_end"].sum()
        counts = self.outcome_counts.set_index("year")
        totals = self.funding_totals.set_index("year")
        lda = self.data.lda_compliance
        compliant = lda.assign(ok=lda["status"] == "compliant").groupby("year")["ok"].mean() * 100
        sy = self.survey_year
        rows = [
            ("Open risks at year end", open_risks.get(last), open_risks.get(self.review_year)),
            (
                f"NTS red outcomes ({sy - 1} to {sy})",
                _get(counts, sy - 1, "red"),
                _get(counts, sy, "red"),
            ),
            (
                f"NTS green outcomes ({sy - 1} to {sy})",
                _get(counts, sy - 1, "green"),
                _get(counts, sy, "green"),
            ),
            (
                "Funding allocated (£)",
                _get(totals, last, "allocated"),
                _get(totals, self.review_year, "allocated"),
            ),
            (
                "Funding utilisation (%)",
                _get(totals, last, "utilisation_pct"),
                _get(totals, self.review_year, "utilisation_pct"),
            ),
            ("LDA items compliant (%)", compliant.get(last), compliant.get(self.review_year)),
        ]
        frame = pd.DataFrame(rows, columns=["measure", "previous", "current"])
        frame["change"] = frame["current"] - frame["previous"]
        return frame


def _get(frame: pd.DataFrame, index, column: str):
    return frame.at[index, column] if index in frame.index else None


def triggered_visit_risks(
    trust_data: TrustData, region: RegionConfig, review_year: str
) -> list[str]:
    """Runner hook: the open risks of a trust that call for a triggered-visit brief."""
    review = TrustReview(data=trust_data, region=region, review_year=review_year)
    return review.brief_risk_ids("triggered-visit-brief")


def learner_educator_visit_risks(
    trust_data: TrustData, region: RegionConfig, review_year: str
) -> list[str]:
    """Runner hook: the open risks of a trust that call for a learner/educator visit brief."""
    review = TrustReview(data=trust_data, region=region, review_year=review_year)
    return review.brief_risk_ids("learner-educator-visit-brief")


def open_review(
    trust_code: str,
    review_year: str | None = None,
    data: str = "data/sample",
    region: RegionConfig | None = None,
) -> TrustReview:
    """Open one trust's review: ``qv.open_review("RHM", "2025/26", "data/sample")``.

    ``data`` is a data directory or a snapshot written by ``qv reviews``; relative paths are
    resolved against the repository root.  Loaded datasets are cached per process, so opening
    several trusts from the same data parses it once.
    """
    region = region or load_region_cached()
    review_year = check_review_year(review_year or region.review_year)
    return TrustReview(
        data=load_cached(data).trust(trust_code), region=region, review_year=review_year
    )


_CACHE: dict[str, object] = {}


def load_cached(data: str) -> Dataset:
    """``load(data)``, kept for the process: opening several trusts parses the data once."""
    if data not in _CACHE:
        _CACHE.clear()  # one dataset at a time: a run reads one snapshot
        _CACHE[data] = load(data)
    return _CACHE[data]
