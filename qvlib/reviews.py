"""One trust's review as at a date: the only place that decides what any pack shows.

A :class:`TrustReview` is one trust, one review year and one as-at date.  It cuts every dataset
to what was known at that date (:func:`qvlib.metrics.asat.known_at`), applies the region's rules
(:mod:`qvlib.metrics`) once, suppresses small numbers before anything else sees them, and names
the results.  Every output reads it: the desktop review dashboard, the annual review pack, the
CQC response bundle, the visit briefs (:mod:`qvlib.briefs`) and the region overview
(:mod:`qvlib.overview`, a set of trust reviews plus region aggregates).  Headline findings are
phrased from its figures (:mod:`qvlib.findings`), and :attr:`TrustReview.values` is the list of
figures that commentary may quote.

An analyst gets the same object interactively::

    import qvlib as qv
    review = qv.open_review("RHM", "2025/26", as_at="2025-10-14")
    review.open_risks
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from qvlib import display, metrics
from qvlib.config import (
    RegionConfig,
    check_coverage,
    check_review_year,
    load_region_cached,
    parse_as_at,
)
from qvlib.datasets import Dataset, TrustData, load
from qvlib.errors import QvError
from qvlib.metrics import asat
from qvlib.metrics._util import fy_bounds, previous_year
from qvlib.metrics.interventions import DESKTOP
from qvlib.schemas import PROFESSION_GROUPS

log = logging.getLogger(__name__)

_SURVEY_NAMES = {
    "NTS": "GMC National Training Survey",
    "NETS": "NHS Education and Training Survey",
    "staff_survey": "NHS Staff Survey",
}


@dataclass(frozen=True)
class Value:
    """One figure of a review that commentary may quote and findings phrase.

    Attributes
    ----------
    value
        The raw figure (a number, date or text; ``None`` when the data has none).
    kind
        Its format in :data:`qvlib.display.FORMATS` (``"count"``, ``"pct"``, ``"money"``, ...).
    description
        What it is, for ``qv list`` and the docs.
    """

    value: Any
    kind: str
    description: str

    def __str__(self) -> str:
        return display.fmt(self.value, self.kind)


@dataclass
class TrustReview:
    """Everything the packs say about one trust in one review year, as at one date.

    Attributes are computed on first use.  Frames hold codes (``a&e``, ``aeqr``); tables and
    charts show them as words (:mod:`qvlib.display`).

    Attributes
    ----------
    data : TrustData
        The trust's data, as loaded (everything, not yet cut to the date).
    region : RegionConfig
        Region settings.
    review_year : str
        The financial year reviewed, ``YYYY/YY``.
    as_at : datetime.date
        The date the review is as at: nothing published or happening after it is shown, and
        "overdue" is judged at it.

    Examples
    --------
    >>> review = open_review("RHM", "2025/26", "data/sample", as_at="2025-10-14")
    >>> review.as_at, review.period
    (datetime.date(2025, 10, 14), (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31)))
    >>> review.survey_year, review.staff_survey_year, review.funding_year
    (2025, 2024, '2024/25')
    >>> review.open_risks[["risk_id", "band", "score"]].head(2)
        risk_id     band  score
    ... RHM-R007  extreme     20
    ... RHM-R008     high     12
    >>> review.interventions.set_index("risk_id").loc["RHM-R007", "visit_status"]
    'held 8 Aug 2025 (RHM-V005); follow-up due 18 Nov 2025'
    >>> str(review.values["nts.red"]), str(review.values["funding.utilisation"])
    ('14', '91.2%')
    >>> review.periods.set_index("source").loc["NHS Staff Survey", "period"]
    '2024 results, published 1 Mar 2025'
    """

    data: TrustData
    region: RegionConfig
    review_year: str
    as_at: dt.date

    def __repr__(self) -> str:
        return (
            f"TrustReview({self.data.code!r}, {self.data.name!r}, {self.review_year!r}, "
            f"as_at={self.as_at.isoformat()!r})"
        )

    @property
    def code(self) -> str:
        """ODS code of the trust."""
        return self.data.code

    @property
    def name(self) -> str:
        """Name of the trust."""
        return self.data.name

    @cached_property
    def period(self) -> tuple[dt.date, dt.date]:
        """First and last day of the review year."""
        start, end = fy_bounds(self.review_year)
        return start.date(), end.date()

    @cached_property
    def known(self) -> asat.Known:
        """The trust's data cut to the as-at date (see :mod:`qvlib.metrics.asat`)."""
        return asat.known_at(self.data.tables, self.as_at, self.region)

    def known_table(self, name: str) -> pd.DataFrame:
        """The trust's dataset ``name`` as known at the as-at date (e.g. ``"visits"``)."""
        return self.known.tables[name]

    @cached_property
    def coverage_warnings(self) -> list[str]:
        """Warnings when the data covers this review only partly (empty when fully)."""
        cover = self.data.coverage
        return check_coverage(cover.start, cover.end, self.review_year, self.as_at)

    @cached_property
    def notes(self) -> list[str]:
        """Sentences a pack shows about what the as-at date and the data mean for it."""
        notes = list(self.coverage_warnings) + list(self.known.notes)
        for key, year in (("funding", self.funding_year), ("lda_compliance", self.lda_year)):
            if year is not None and year != self.review_year:
                notes.append(
                    f"{_ANNUAL_NAMES[key]} for {self.review_year} are reported after the year "
                    f"ends; the latest known at the as-at date are for {year}."
                )
        return notes

    # When each source dates from -----------------------------------------------------------
    def _latest_year(self, key: str, annual: bool = False):
        years = self.data.coverage.years.get(key, ())
        review_year = self.review_year if annual else None
        return asat.latest_known_year(key, years, self.as_at, self.region, review_year)

    @cached_property
    def survey_year(self) -> int | None:
        """The latest GMC NTS year published by the as-at date (``None`` if none)."""
        return self._latest_year("NTS")

    @cached_property
    def nets_year(self) -> int | None:
        """The latest NETS year published by the as-at date."""
        return self._latest_year("NETS")

    @cached_property
    def staff_survey_year(self) -> int | None:
        """The latest NHS Staff Survey year published by the as-at date."""
        return self._latest_year("staff_survey")

    @cached_property
    def funding_year(self) -> str | None:
        """The latest financial year of funding reported by the as-at date (at most the review
        year)."""
        return self._latest_year("funding", annual=True)

    @cached_property
    def learners_year(self) -> str | None:
        """The latest financial year of learner numbers reported by the as-at date."""
        return self._latest_year("learners", annual=True)

    @cached_property
    def lda_year(self) -> str | None:
        """The latest financial year of LDA compliance reported by the as-at date."""
        return self._latest_year("lda_compliance", annual=True)

    @cached_property
    def self_assessment_year(self) -> str | None:
        """The latest financial year of the trust's self-assessment known at the as-at date."""
        return self._latest_year("self_assessment", annual=True)

    @cached_property
    def periods(self) -> pd.DataFrame:
        """What each period in the review means: ``source, period``, one row per source."""
        start, end = self.period
        rows = [
            (
                "Review year",
                f"{self.review_year}: {display.fmt_date(start)} to {display.fmt_date(end)}",
            ),
            (
                "As at",
                f"{display.fmt_date(self.as_at)}: nothing published or happening after "
                "this date is shown; overdue items are judged at it",
            ),
        ]
        for key, year in (
            ("NTS", self.survey_year),
            ("NETS", self.nets_year),
            ("staff_survey", self.staff_survey_year),
        ):
            if year is None:
                text = "no results published by the as-at date"
            else:
                day = self.region.publication.survey(key).date(year)
                text = f"{year} results, published {display.fmt_date(day)}"
            rows.append((_SURVEY_NAMES[key], text))
        for key, year in (("funding", self.funding_year), ("lda_compliance", self.lda_year)):
            text = (
                f"{year}, the latest year reported by the as-at date"
                if year
                else "no year reported by the as-at date"
            )
            rows.append((_ANNUAL_NAMES[key], text))
        quarters = self.known_table("exception_reports")["quarter"]
        rows.append(
            (
                "Guardian of safe working returns",
                f"quarters to {quarters.max()}" if len(quarters) else "no returns known",
            )
        )
        months = self.known_table("fft")["period"]
        rows.append(
            (
                "Friends and Family Test",
                f"months to {display.fmt_month(months.max())}" if len(months) else "no months",
            )
        )
        rows.append(("CQC ratings", f"as published by {display.fmt_date(self.as_at)}"))
        rows.append(
            (
                "Risk register",
                f"risks opened by {display.fmt_date(self.as_at)}, with the status and rating "
                "they had then",
            )
        )
        rows.append(("Training programmes", "posts and learners in post as currently recorded"))
        return pd.DataFrame(rows, columns=["source", "period"])

    # Risks and interventions ---------------------------------------------------------------
    @cached_property
    def risks(self) -> pd.DataFrame:
        """Every risk opened by the as-at date, scored (``score``, ``band``, ``is_open``,
        ``review_overdue``, ``days_open``) with the status and rating it had then
        (``rating_source``: "history" or "current")."""
        return metrics.calc_risks(self.known_table("risks"), self.region, self.as_at)

    @cached_property
    def open_risks(self) -> pd.DataFrame:
        """:attr:`risks` open at the as-at date, highest score first."""
        return self.risks[self.risks["is_open"]].sort_values(
            ["score", "risk_id"], ascending=[False, True]
        )

    @cached_property
    def risk_counts(self) -> pd.DataFrame:
        """``trust_code, band, open, closed, total``: risks by band (every band listed)."""
        return metrics.calc_risk_counts(
            self.risks, by=("band",), region=self.region, trust_codes=[self.code]
        )

    @cached_property
    def interventions(self) -> pd.DataFrame:
        """One row per open risk with its recommended intervention and any visit held for it.

        Columns: ``risk_id, trust_code, site, specialty, summary, theme, patient_safety,
        isf_level, band, score, intervention, reason, covering_visit_id, covering_visit_date``
        (a visit of the right type held by the as-at date), ``follow_up_due`` (the earliest
        due date of that visit's open requirements) and ``visit_status`` in words ("held 8 Aug
        2025 (RHM-V005); follow-up due 15 Aug 2025", "not yet held", or "none needed" for a
        desktop review).
        """
        frame = metrics.calc_interventions(self.risks, self.known_table("visits"), self.region)
        open_requirements = self.actions[self.actions["is_open"]]
        follow_up = open_requirements.groupby("visit_id")["due"].min()
        frame["follow_up_due"] = pd.to_datetime(frame["covering_visit_id"].map(follow_up))
        frame["visit_status"] = [
            _visit_status(kind, visit, date, due)
            for kind, visit, date, due in zip(
                frame["intervention"],
                frame["covering_visit_id"],
                frame["covering_visit_date"],
                frame["follow_up_due"],
                strict=True,
            )
        ]
        return frame

    @cached_property
    def annual_review(self) -> pd.DataFrame:
        """The annual education quality review held in the review year by the as-at date."""
        return metrics.calc_annual_review(self.code, self.known_table("visits"), self.review_year)

    # Visits and actions --------------------------------------------------------------------
    @cached_property
    def visits(self) -> pd.DataFrame:
        """Visits held by the as-at date, newest first (``VisitSchema`` columns)."""
        return self.known_table("visits").sort_values(["date", "visit_id"], ascending=False)

    @cached_property
    def tracker(self) -> pd.DataFrame:
        """Every finding of the visits held by the as-at date, notable practice included, with
        the status it had then (see :func:`qvlib.metrics.calc_action_tracker`)."""
        return metrics.calc_action_tracker(
            self.known_table("visit_actions"), self.known_table("visits"), self.as_at, self.region
        )

    @cached_property
    def actions(self) -> pd.DataFrame:
        """Requirements and recommendations (not notable practice) of :attr:`tracker`."""
        return self.tracker[self.tracker["is_action"]].reset_index(drop=True)

    @cached_property
    def open_actions(self) -> pd.DataFrame:
        """Actions open at the as-at date: immediate first, then overdue, then by due date."""
        open_ = self.actions[self.actions["is_open"]]
        return open_.sort_values(
            ["is_immediate", "overdue", "due"], ascending=[False, False, True], kind="stable"
        )

    @cached_property
    def closed_actions(self) -> pd.DataFrame:
        """Actions closed by the as-at date, newest first, with the evidence accepted and
        ``closed_late`` (after their deadline)."""
        closed = self.actions[~self.actions["is_open"]]
        return closed.sort_values(["closed", "visit_id", "ref"], ascending=[False, True, True])

    @cached_property
    def late_immediate(self) -> pd.DataFrame:
        """Immediate mandatory requirements not met within their working-day deadline: closed
        late, or still open past it."""
        actions = self.actions
        late = actions["is_immediate"] & (actions["closed_late"] | actions["late_open"])
        return actions[late].reset_index(drop=True)

    @cached_property
    def notable_practice(self) -> pd.DataFrame:
        """What visits praised (notable practice), from :attr:`tracker`."""
        return self.tracker[~self.tracker["is_action"]].reset_index(drop=True)

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts(self) -> pd.DataFrame:
        """GMC NTS results published by the as-at date, suppressed, with their outcomes.

        A result built from fewer than ``suppression.nts.threshold`` respondents has its ``n``,
        score and confidence interval blanked, ``suppressed`` true and the outcome "not
        reported" (or "no result" with none), whatever the input data says.
        """
        return metrics.calc_nts_reported(self.known_table("survey_results"), self.region)

    @cached_property
    def nts_latest(self) -> pd.DataFrame:
        """:attr:`nts` of :attr:`survey_year`."""
        return self.nts[self.nts["year"] == self.survey_year]

    @cached_property
    def outcome_counts(self) -> pd.DataFrame:
        """NTS results of each outcome per year: ``trust_code, year``, red ... no result,
        ``total`` (the outcome columns add up to the total)."""
        return metrics.calc_outcome_counts(self.nts)

    @cached_property
    def persistent_reds(self) -> pd.DataFrame:
        """NTS results red in consecutive years up to :attr:`survey_year`."""
        reds = metrics.calc_persistent_reds(self.nts, self.region)
        return reds[reds["current"]]

    @cached_property
    def nets(self) -> pd.DataFrame:
        """NETS % positive by year and theme, suppressed below the NETS threshold."""
        return metrics.calc_nets_positive(self.known_table("survey_results"), self.region)

    @cached_property
    def hotspots(self) -> pd.DataFrame:
        """Clinical learning environments meeting the hotspot rule at the as-at date."""
        return metrics.calc_hotspots(
            self.nts, self.risks, self.region, self.known_table("hotspots")
        )

    # Learners, funding, programmes, LDA ----------------------------------------------------
    @cached_property
    def funding(self) -> pd.DataFrame:
        """Funding by year and stream, to :attr:`funding_year`."""
        return metrics.calc_funding(self.known_table("funding"), self.known_table("learners"))

    @cached_property
    def funding_by_profession(self) -> pd.DataFrame:
        """Funding by profession group in :attr:`funding_year`."""
        frame = metrics.calc_funding(
            self.known_table("funding"), self.known_table("learners"), by=("profession_group",)
        )
        return frame[frame["year"] == self.funding_year]

    @cached_property
    def funding_totals(self) -> pd.DataFrame:
        """The trust's funding totals by year (``allocated, spent, utilisation_pct, fte``)."""
        return metrics.calc_funding(
            self.known_table("funding"), self.known_table("learners"), by=()
        )

    @cached_property
    def learners(self) -> pd.DataFrame:
        """``year, profession_group, headcount, fte``: learners by year and profession."""
        return (
            self.known_table("learners")
            .groupby(["year", "profession_group"], as_index=False)[["headcount", "fte"]]
            .sum()
        )

    @cached_property
    def learner_reconciliation(self) -> pd.DataFrame:
        """The two learner counts side by side, per profession group.

        ``profession_group``, ``headcount`` (everyone in the annual learner return for
        :attr:`learners_year`: students on placement and every trainee, wherever placed),
        ``posts`` and ``in_post`` (the training posts at the clinical learning environments the
        team monitors, as currently recorded) and ``in_post_pct`` (in post as % of headcount).
        The two differ by design: the return counts people, the programme list counts the
        posts of the environments the quality team reviews.
        """
        heads = self.learners[self.learners["year"] == self.learners_year]
        heads = heads.set_index("profession_group")["headcount"]
        posts = self.programmes.groupby("profession_group")[["posts", "learners_in_post"]].sum()
        groups = [g for g in PROFESSION_GROUPS if g in heads.index or g in posts.index]
        frame = pd.DataFrame({"profession_group": groups})
        frame["headcount"] = frame["profession_group"].map(heads).astype("Int64")
        frame["posts"] = frame["profession_group"].map(posts["posts"]).astype("Int64")
        frame["in_post"] = frame["profession_group"].map(posts["learners_in_post"]).astype("Int64")
        frame["in_post_pct"] = (
            frame["in_post"].astype(float)
            / frame["headcount"].astype(float).where(frame["headcount"].astype(float) > 0)
            * 100
        )
        return frame

    @cached_property
    def programmes(self) -> pd.DataFrame:
        """Training posts and learners in post by site, profession and specialty, with
        ``fill_pct`` (in post as % of posts)."""
        frame = self.known_table("programmes").copy()
        frame["fill_pct"] = frame["learners_in_post"] / frame["posts"].where(frame["posts"] > 0)
        frame["fill_pct"] *= 100
        return frame.sort_values(["site", "profession_group", "specialty"])

    @cached_property
    def lda(self) -> pd.DataFrame:
        """LDA schedule items by status in :attr:`lda_year` (``status, count, pct``)."""
        return metrics.calc_lda_compliance(self.known_table("lda_compliance"), self.lda_year or "")

    @cached_property
    def lda_non_compliant(self) -> pd.DataFrame:
        """LDA schedule items not fully compliant in :attr:`lda_year`."""
        return metrics.calc_lda_non_compliant(
            self.known_table("lda_compliance"), self.lda_year or ""
        )

    @cached_property
    def self_assessment(self) -> pd.DataFrame:
        """The trust's self-assessment of :attr:`self_assessment_year`."""
        frame = self.known_table("self_assessment")
        return frame[frame["year"] == self.self_assessment_year]

    @cached_property
    def exception_reports(self) -> pd.DataFrame:
        """Guardian of safe working exception reports per quarter known at the as-at date."""
        counts = ["hours_reports", "education_reports", "safety_reports", "fines_gbp"]
        return (
            self.known_table("exception_reports").groupby("quarter", as_index=False)[counts].sum()
        )

    @cached_property
    def good_practice(self) -> pd.DataFrame:
        """Good practice in the review year to the as-at date: recorded good practice and the
        notable practice visits found (``source`` names the visit).  Oldest first."""
        start, end = self.period
        recorded = self.known_table("good_practice")
        praised = self.notable_practice.assign(
            date=self.notable_practice["visit_date"],
            summary=self.notable_practice["finding"],
            source="notable practice, visit " + self.notable_practice["visit_id"],
        )
        columns = ["trust_code", "date", "site", "specialty", "summary", "source"]
        frame = pd.concat([recorded[columns], praised[columns]], ignore_index=True)
        dates = pd.to_datetime(frame["date"]).dt.date
        frame = frame[(dates >= start) & (dates <= end)]
        return frame.sort_values(["date", "site", "summary"], kind="stable").reset_index(drop=True)

    # National ------------------------------------------------------------------------------
    @cached_property
    def fft(self) -> pd.DataFrame:
        """Friends and Family Test by month and setting published by the as-at date,
        suppressed."""
        return metrics.calc_fft(self.known_table("fft"), self.region)

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
        """Making Data Count variation of each FFT setting's chart, in words:
        ``setting, months, latest_pct_positive, variation, limits``."""
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
        columns = ["setting", "months", "latest_pct_positive", "variation", "limits"]
        return pd.DataFrame(rows, columns=columns)

    @cached_property
    def cqc(self) -> pd.DataFrame:
        """The trust's latest CQC rating per key question published by the as-at date."""
        return metrics.calc_cqc_latest(self.known_table("cqc_ratings"), self.code)

    @cached_property
    def staff_survey(self) -> pd.DataFrame:
        """NHS Staff Survey element scores published by the as-at date, suppressed."""
        return metrics.calc_staff_survey(self.known_table("staff_survey"), self.region)

    @cached_property
    def staff_survey_latest(self) -> pd.DataFrame:
        """:attr:`staff_survey` of :attr:`staff_survey_year`."""
        frame = self.staff_survey
        return frame[frame["year"] == self.staff_survey_year]

    @cached_property
    def website_ratings(self) -> pd.DataFrame:
        """Latest NHS website rating per site known at the as-at date: ``org_code, site_code,
        site_name, stars, ratings, period``, ``change`` (stars against the site's rating before
        in the data) and ``previous_period`` (the month of that rating)."""
        trend = self.website_ratings_trend
        keys = [trend["org_code"], trend["site_code"].fillna("")]
        return trend.groupby(keys, sort=False).tail(1).reset_index(drop=True)

    @cached_property
    def website_ratings_trend(self) -> pd.DataFrame:
        """Every month of NHS website ratings known at the as-at date, by site name:
        ``org_code, site_code, site_name`` (from ``local/sites.csv``; the code when the site is
        not listed, "Whole trust" for the trust's own rating), ``stars, ratings, period,
        change`` (against the site's rating before) and ``previous_period``, oldest first within
        a site."""
        frame = metrics.calc_website_trend(self.known_table("nhs_website_ratings"))
        names = self.known_table("sites").set_index("site_code")["site_name"]
        site_name = frame["site_code"].map(names).fillna(frame["site_code"]).fillna("Whole trust")
        frame.insert(2, "site_name", site_name)
        site = [frame["org_code"], frame["site_code"].fillna("")]
        frame["previous_period"] = frame.groupby(site)["period"].shift()
        return frame

    @cached_property
    def cqc_services(self) -> pd.DataFrame:
        """The latest CQC rating of every location, service group and key question published by
        the as-at date (the trust's own rating first), with its age at the as-at date.

        Columns of :func:`qvlib.metrics.national.calc_cqc_services` (``level, location_id,
        location_name, service_group, key_question, rating, publication_date, age_months``) and
        ``hotspots``: the hotspot specialties at that location whose care the service group
        rates (``national.cqc_service_groups`` in region.yaml), "; "-joined, empty if none.
        """
        frame = metrics.calc_cqc_services(self.known_table("cqc_ratings"), self.code, self.as_at)
        frame["hotspots"] = [
            "; ".join(self._hotspots_rated_by(location, group))
            for location, group in zip(frame["location_name"], frame["service_group"], strict=True)
        ]
        return frame

    def _hotspots_rated_by(self, location: str, service_group: str) -> list[str]:
        specialties = self.region.national.specialties_of(str(service_group))
        if not specialties:
            return []
        where = _same_name(location)
        return sorted(
            {
                spot.specialty
                for spot in self.hotspots.itertuples()
                if spot.specialty in specialties
                and (display.is_missing(spot.site) or _same_name(spot.site) == where)
            }
        )

    @cached_property
    def cqc_notes(self) -> list[str]:
        """What a reader needs to know about :attr:`cqc`: where the trust has no trust-level
        rating published by the as-at date, whose ratings stand in for it."""
        latest = self.cqc[self.cqc["rating"].notna()]
        if latest.empty:
            return [
                f"The CQC had published no rating of the trust by {display.fmt_date(self.as_at)}."
            ]
        borrowed = latest[latest["level"] == "location"]
        if borrowed.empty:
            return []
        places = display.join_words(sorted(set(borrowed["location_name"].dropna())))
        return [
            f"The CQC had published no rating of the trust as a whole by "
            f"{display.fmt_date(self.as_at)}; the trust's ratings shown are the most recent of "
            f"its locations ({places})."
        ]

    @cached_property
    def cqc_ratings_table(self) -> pd.DataFrame:
        """:attr:`cqc_services` one row per location and service group, as a reader scans it.

        ``level, location_name, service_group``, one column per key question (safe ...
        well-led, overall: rating codes), ``publication_date`` and ``age_months`` of the
        overall rating (else of the latest key question), and ``hotspots``.
        """
        from qvlib.schemas import CQC_KEY_QUESTIONS

        long = self.cqc_services
        keys = ["level", "location_id", "location_name", "service_group"]
        columns = [*keys, *CQC_KEY_QUESTIONS, "publication_date", "age_months", "hotspots"]
        if long.empty:
            return pd.DataFrame(columns=columns)
        wide = long.pivot(index=keys, columns="key_question", values="rating")
        wide = wide.reindex(columns=CQC_KEY_QUESTIONS).reset_index()
        dated = long.assign(_overall=long["key_question"] != "overall").sort_values(
            [*keys, "_overall", "publication_date"], ascending=[True] * 5 + [False]
        )
        first = dated.drop_duplicates(keys).set_index(keys)
        index = pd.MultiIndex.from_frame(wide[keys])
        for column in ("publication_date", "age_months", "hotspots"):
            wide[column] = first[column].reindex(index).to_numpy()
        order = long[keys].drop_duplicates().reset_index(drop=True)
        wide = order.merge(wide, on=keys, how="left")
        wide.columns.name = None
        return wide[columns]

    @cached_property
    def hotspot_cqc(self) -> pd.DataFrame:
        """Each hotspot with the CQC's latest overall rating of the same care at its site.

        ``site, specialty, reason`` (from :attr:`hotspots`), ``service_group`` (the CQC service
        groups mapped to the specialty, "; "-joined; empty when none is mapped), ``location_name,
        rating, publication_date, age_months`` of the most recent overall rating of one of those
        service groups at the site (empty when the CQC has none), one row per hotspot.
        """
        services = self.cqc_services
        overall = services[services["key_question"] == "overall"]
        rows = []
        for spot in self.hotspots.itertuples():
            groups = self.region.national.cqc_service_groups.get(spot.specialty, [])
            wanted = {_same_name(g) for g in groups}
            here = overall[
                overall["service_group"].map(_same_name).isin(wanted)
                & (
                    display.is_missing(spot.site)
                    | (overall["location_name"].map(_same_name) == _same_name(spot.site))
                )
            ].sort_values(["publication_date", "service_group"], ascending=[False, True])
            latest = here.iloc[0] if len(here) else None
            rows.append(
                {
                    "site": spot.site,
                    "specialty": spot.specialty,
                    "reason": spot.reason,
                    "service_group": "; ".join(groups) or None,
                    "location_name": None if latest is None else latest["location_name"],
                    "rating": None if latest is None else latest["rating"],
                    "publication_date": pd.NaT if latest is None else latest["publication_date"],
                    "age_months": pd.NA if latest is None else latest["age_months"],
                }
            )
        columns = [
            "site",
            "specialty",
            "reason",
            "service_group",
            "location_name",
            "rating",
            "publication_date",
            "age_months",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["publication_date"] = pd.to_datetime(frame["publication_date"])
        frame["age_months"] = frame["age_months"].astype("Int64")
        return frame

    @cached_property
    def staff_survey_trend(self) -> pd.DataFrame:
        """NHS Staff Survey scores of every year published by the as-at date, each element
        with its sub-scores (``sub_score`` empty on the element's own row), suppressed (see
        :func:`qvlib.metrics.calc_staff_survey`)."""
        return metrics.calc_staff_survey(
            self.known_table("staff_survey"), self.region, sub_scores=True
        )

    @cached_property
    def staff_survey_changes(self) -> pd.DataFrame:
        """Each element and sub-score of :attr:`staff_survey_year` against the year before.

        ``element, sub_score, previous, score, change`` (worked out from the scores as shown,
        two decimals), ``benchmark_average, gap_to_average, position, suppressed``: the element's
        own row first, then its sub-scores.  ``previous`` is empty when the year before has no
        (unsuppressed) score.
        """
        trend = self.staff_survey_trend
        year = self.staff_survey_year
        latest = trend[trend["year"] == year]
        before = trend[trend["year"] == (year - 1 if year is not None else None)]
        keys = ["element", "sub_score"]
        previous = before.assign(sub_score=before["sub_score"].fillna("")).set_index(keys)
        out = latest.assign(sub_score=latest["sub_score"].fillna(""))
        index = pd.MultiIndex.from_frame(out[keys])
        out = out.assign(previous=previous["score"].reindex(index).to_numpy())
        out["change"] = [
            display.change_as_shown(p, c, "score10")
            for p, c in zip(out["previous"], out["score"], strict=True)
        ]
        out["sub_score"] = out["sub_score"].replace("", None)
        columns = [
            "element",
            "sub_score",
            "previous",
            "score",
            "change",
            "benchmark_average",
            "gap_to_average",
            "position",
            "suppressed",
        ]
        return out[columns].reset_index(drop=True)

    @cached_property
    def guardian_spc(self) -> pd.DataFrame:
        """XmR chart of guardian of safe working exception reports per quarter known at the
        as-at date: hours, education and safety reports together.  The improvement direction
        is ``national.guardian_improvement`` in region.yaml (neutral by default)."""
        reports = self.exception_reports
        points = pd.DataFrame(
            {
                "x": reports["quarter"],
                "y": reports[["hours_reports", "education_reports", "safety_reports"]].sum(axis=1),
            }
        )
        return metrics.calc_spc(
            points, improvement=self.region.national.guardian_improvement, settings=self.region.spc
        )

    @cached_property
    def guardian_quarters(self) -> pd.DataFrame:
        """Exception reports per quarter known at the as-at date by kind, with their total:
        ``quarter, hours_reports, education_reports, safety_reports, total_reports, fines_gbp``,
        oldest first."""
        frame = self.exception_reports.copy()
        kinds = ["hours_reports", "education_reports", "safety_reports"]
        frame.insert(4, "total_reports", frame[kinds].sum(axis=1))
        return frame.sort_values("quarter").reset_index(drop=True)

    @cached_property
    def guardian_spc_summary(self) -> pd.DataFrame:
        """What the guardian control chart says, in words: ``quarters, first_quarter,
        last_quarter, latest_reports, mean_reports, variation, limits`` (one row; none when
        no quarter is known)."""
        spc = self.guardian_spc
        columns = [
            "quarters",
            "first_quarter",
            "last_quarter",
            "latest_reports",
            "mean_reports",
            "variation",
            "limits",
        ]
        if spc.empty:
            return pd.DataFrame(columns=columns)
        icons = metrics.spc_icons(spc, self.region.national.guardian_improvement)
        row = {
            "quarters": len(spc),
            "first_quarter": spc["x"].iloc[0],
            "last_quarter": spc["x"].iloc[-1],
            "latest_reports": spc["y"].iloc[-1],
            "mean_reports": spc["mean"].iloc[-1],
            "variation": icons.variation_text,
            "limits": icons.trial_limits_text or "Limits from all quarters",
        }
        return pd.DataFrame([row], columns=columns)

    @cached_property
    def region_comparison(self) -> pd.DataFrame:
        """This trust's public headline figures against the region's trusts, and England where
        the data has it.

        Only figures the NHS publishes by trust are compared (GMC NTS red and green outcomes,
        Friends and Family Test % positive, NHS Staff Survey scores, the CQC overall rating),
        from the region's aggregates (:attr:`qvlib.datasets.TrustData.benchmarks`): no other
        trust's local data reaches this review.  Each figure is of the period this review shows
        (the latest published by the as-at date), and the region's is of the same period.

        Returns
        -------
        pandas.DataFrame
            ``source`` ("nts", "fft", "staff_survey", "cqc"), ``measure`` (words), ``item``
            (the same, short, for a chart of one source), ``period``
            (words), ``kind`` (the display format of the figures), ``value`` (this trust),
            ``region_median, region_min, region_max, region_trusts`` (trusts with a figure;
            for the CQC, ratings from outstanding to inadequate, median the worse of the middle
            two with an even number), ``england`` (the national average of the trust's
            benchmark group: staff survey only) and ``suppressed`` (this trust's figure is
            suppressed).  Empty without region aggregates.
        """
        columns = [
            "source",
            "measure",
            "item",
            "period",
            "kind",
            "value",
            "region_median",
            "region_min",
            "region_max",
            "region_trusts",
            "england",
            "suppressed",
        ]
        region = self.data.benchmarks
        if region is None:
            return pd.DataFrame(columns=columns)
        rows: list[dict[str, Any]] = []

        def add(source, measure, item, period, kind, value, key, group, period_key, **extra):
            found = region.lookup(key, group, period_key)
            rows.append(
                {
                    "source": source,
                    "measure": measure,
                    "item": item,
                    "period": period,
                    "kind": kind,
                    "value": value,
                    "region_median": None if found is None else found["median"],
                    "region_min": None if found is None else found["min"],
                    "region_max": None if found is None else found["max"],
                    "region_trusts": 0 if found is None else int(found["trusts"]),
                    "england": extra.get("england"),
                    "suppressed": bool(extra.get("suppressed", False)),
                }
            )

        year = self.survey_year
        counts = self.outcome_counts.set_index("year")
        if year is not None and year in counts.index:
            for outcome in ("red", "green"):
                add(
                    "nts",
                    f"NTS {outcome} outcomes",
                    f"{outcome.capitalize()} outcomes",
                    f"NTS {year}",
                    "count",
                    int(counts.at[year, outcome]),
                    f"nts.{outcome}",
                    "",
                    str(year),
                )
        for setting, series in self.fft.groupby("setting", sort=True):
            last = series.sort_values("period").iloc[-1]
            add(
                "fft",
                f"FFT % positive: {display.label('fft_setting', setting)}",
                display.label("fft_setting", setting),
                display.fmt_month(last["period"]),
                "pct",
                last["pct_positive"],
                "fft.pct_positive",
                setting,
                str(last["period"]),
                suppressed=bool(last["suppressed"]),
            )
        for row in self.staff_survey_latest.itertuples():
            add(
                "staff_survey",
                f"Staff survey: {row.element}",
                row.element,
                f"Staff survey {int(row.year)}",
                "score10",
                row.score,
                "staff_survey.score",
                row.element,
                str(int(row.year)),
                england=row.benchmark_average,
                suppressed=bool(row.suppressed),
            )
        overall = self.cqc.set_index("key_question").loc["overall"]
        counts_at = region.cqc_counts_at(self.as_at)
        summary = metrics.rating_summary(counts_at)
        rows.append(
            {
                "source": "cqc",
                "measure": "CQC overall rating",
                "item": "Overall rating",
                "period": f"as published by {display.fmt_date(self.as_at)}",
                "kind": "rating",
                "value": overall["rating"] if pd.notna(overall["rating"]) else None,
                "region_median": summary["median"],
                "region_min": summary["worst"],
                "region_max": summary["best"],
                "region_trusts": summary["rated"],
                "england": None,
                "suppressed": False,
            }
        )
        return pd.DataFrame(rows, columns=columns)

    def against_region(self, source: str) -> pd.DataFrame:
        """The rows of :attr:`region_comparison` of one ``source`` ("nts", "fft",
        "staff_survey" or "cqc")."""
        sources = ("nts", "fft", "staff_survey", "cqc")
        if source not in sources:
            raise QvError(f"source must be one of {', '.join(sources)}, not {source!r}")
        frame = self.region_comparison
        return frame[frame["source"] == source].reset_index(drop=True)

    @cached_property
    def cqc_region(self) -> pd.DataFrame:
        """How many of the region's trusts held each CQC overall rating at the as-at date:
        ``rating`` (outstanding ... not rated, then "none" for no rating published yet) and
        ``trusts``; empty without region aggregates."""
        region = self.data.benchmarks
        if region is None:
            return pd.DataFrame(columns=["rating", "trusts"])
        counts = region.cqc_counts_at(self.as_at)
        return pd.DataFrame({"rating": counts.index, "trusts": counts.to_numpy()})

    # Year on year --------------------------------------------------------------------------
    @cached_property
    def changes(self) -> pd.DataFrame:
        """Headline measures in the latest year known against the year before.

        ``measure, kind, previous, current, change``: ``kind`` is the display format of the
        figures, and ``change`` is worked out from the figures as shown (rounded), so that the
        row adds up for a reader.
        """
        year = self.funding_year or self.review_year
        last = previous_year(year)
        trend = metrics.calc_risk_trend(self.risks, [last, year])
        open_risks = trend.groupby("year")["open_at_year_end"].sum()
        counts = self.outcome_counts.set_index("year")
        totals = self.funding_totals.set_index("year")
        lda = self.known_table("lda_compliance")
        compliant = lda.assign(ok=lda["status"] == "compliant").groupby("year")["ok"].mean() * 100
        sy = self.survey_year
        rows = [
            (
                f"Open risks at year end ({last} to {year})",
                "count",
                open_risks.get(last),
                open_risks.get(year),
            ),
        ]
        if sy is not None:
            rows += [
                (
                    f"NTS red outcomes ({sy - 1} to {sy})",
                    "count",
                    _get(counts, sy - 1, "red"),
                    _get(counts, sy, "red"),
                ),
                (
                    f"NTS green outcomes ({sy - 1} to {sy})",
                    "count",
                    _get(counts, sy - 1, "green"),
                    _get(counts, sy, "green"),
                ),
            ]
        rows += [
            (
                f"Funding allocated ({last} to {year})",
                "money",
                _get(totals, last, "allocated"),
                _get(totals, year, "allocated"),
            ),
            (
                f"Funding utilisation ({last} to {year})",
                "pct",
                _get(totals, last, "utilisation_pct"),
                _get(totals, year, "utilisation_pct"),
            ),
            (
                f"LDA items compliant ({last} to {year})",
                "pct",
                compliant.get(last),
                compliant.get(year),
            ),
        ]
        frame = pd.DataFrame(rows, columns=["measure", "kind", "previous", "current"])
        frame["change"] = [
            display.change_as_shown(p, c, k)
            for p, c, k in zip(frame["previous"], frame["current"], frame["kind"], strict=True)
        ]
        return frame

    # Headlines -----------------------------------------------------------------------------
    @cached_property
    def values(self) -> dict[str, Value]:
        """The review's documented figures by dotted name (``open_risks.extreme``,
        ``nts.red``, ``funding.utilisation``, ...): what findings phrase and commentary may
        quote.  The names are listed by ``qv list``."""
        from qvlib.findings import review_values

        return review_values(self)

    @cached_property
    def findings(self) -> list:
        """The headline findings: concerns first, then items to watch, then positives."""
        from qvlib.findings import calc_findings

        return calc_findings(self)

    @cached_property
    def strengths(self) -> list:
        """The positive findings."""
        return [f for f in self.findings if f.severity == "positive"]

    @cached_property
    def challenges(self) -> list:
        """The findings that are concerns or to watch."""
        return [f for f in self.findings if f.severity != "positive"]

    # The annual review meeting ------------------------------------------------------------
    @cached_property
    def meeting(self) -> pd.Series | None:
        """The annual education quality review of the review year held by the as-at date (its
        visit row), or ``None``."""
        row = self.annual_review.iloc[0]
        if display.is_missing(row["visit_id"]):
            return None
        visits = self.known_table("visits").set_index("visit_id")
        return visits.loc[row["visit_id"]]

    @cached_property
    def previous_meeting(self) -> pd.Series | None:
        """The previous year's annual education quality review (its visit row), or ``None``."""
        last = metrics.calc_annual_review(
            self.code, self.known_table("visits"), previous_year(self.review_year)
        ).iloc[0]
        if display.is_missing(last["visit_id"]):
            return None
        return self.known_table("visits").set_index("visit_id").loc[last["visit_id"]]

    @cached_property
    def agenda(self) -> pd.DataFrame:
        """The meeting's agenda: ``number, item, lead`` (``annual_review.agenda`` in
        region.yaml)."""
        rows = [(i, a.item, a.lead) for i, a in enumerate(self.region.annual_review.agenda, 1)]
        return pd.DataFrame(rows, columns=["number", "item", "lead"])

    @cached_property
    def attendees(self) -> pd.DataFrame:
        """Who attended the annual review or sent apologies: ``organisation, name, role,
        attendance`` (region first).  Before the meeting is held (or without an attendance
        record), the roles ``attendees`` in region.yaml invites, marked "invited"."""
        people = self.region.attendees
        names = {"region": "Region", "trust": self.name}
        record = self.known_table("meeting_attendees")
        if self.meeting is not None:
            record = record[record["visit_id"] == self.meeting.name]
        else:
            record = record.iloc[0:0]
        if len(record):
            frame = record.assign(organisation=record["organisation"].map(names))
            order = {"Region": 0, self.name: 1}
            frame = frame.sort_values("organisation", key=lambda s: s.map(order), kind="stable")
            return frame[["organisation", "name", "role", "attendance"]].reset_index(drop=True)
        rows = [("Region", None, role, "invited") for role in people.regional]
        rows += [(self.name, None, role, "invited") for role in people.trust]
        return pd.DataFrame(rows, columns=["organisation", "name", "role", "attendance"])

    def _commitments(self, meeting: pd.Series | None) -> pd.DataFrame:
        frame = self.known_table("commitments")
        frame = frame.iloc[0:0] if meeting is None else frame[frame["visit_id"] == meeting.name]
        today = pd.Timestamp(self.as_at)
        closed = frame["status"] == "closed"
        overdue = ~closed & (pd.to_datetime(frame["due"]) < today)
        late = closed & (pd.to_datetime(frame["closed"]) > pd.to_datetime(frame["due"]))
        frame = frame.assign(
            rag=np.select(
                [late, closed, overdue], ["done late", "done", "overdue"], default="on track"
            )
        )
        return frame.sort_values(["due", "ref"]).reset_index(drop=True)

    @cached_property
    def commitments_last_year(self) -> pd.DataFrame:
        """What last year's annual review agreed, and where each stands at the as-at date:
        ``ref, commitment, owner, due, status, closed, progress, rag`` ("overdue", "on track",
        "done", "done late")."""
        return self._commitments(self.previous_meeting)

    @cached_property
    def commitments(self) -> pd.DataFrame:
        """This year's commitments log (agreed at this year's annual review, held by the as-at
        date), with ``rag``; the next year's pack carries it forward."""
        return self._commitments(self.meeting)

    @cached_property
    def investment(self) -> pd.DataFrame:
        """Outcomes of investment from the data that exist: ``measure, previous, current,
        kind`` for training posts filled, learners by year, NTS and NETS movement, and visit
        actions closed in the year."""
        programmes = self.programmes
        posts, in_post = programmes["posts"].sum(), programmes["learners_in_post"].sum()
        year, last = self.learners_year, previous_year(self.learners_year or self.review_year)
        heads = self.learners.groupby("year")["headcount"].sum()
        counts = self.outcome_counts.set_index("year")
        sy = self.survey_year
        nets = self.nets
        overall = nets.groupby("year")["pct_positive"].mean()
        ny = self.nets_year
        start, end = self.period
        closed = self.closed_actions
        closed_dates = pd.to_datetime(closed["closed"]).dt.date
        in_year = closed[(closed_dates >= start) & (closed_dates <= end)]
        rows = [
            (
                "Training posts filled (as currently recorded)",
                None,
                in_post / posts * 100 if posts else None,
                "pct",
            ),
            (
                f"Learners on the annual return ({last} to {year})",
                heads.get(last),
                heads.get(year),
                "count",
            ),
        ]
        if sy is not None:
            rows += [
                (
                    f"NTS red outcomes ({sy - 1} to {sy})",
                    _get(counts, sy - 1, "red"),
                    _get(counts, sy, "red"),
                    "count",
                ),
                (
                    f"NTS green outcomes ({sy - 1} to {sy})",
                    _get(counts, sy - 1, "green"),
                    _get(counts, sy, "green"),
                    "count",
                ),
            ]
        if ny is not None:
            rows.append(
                (
                    f"NETS % positive, mean of themes ({ny - 1} to {ny})",
                    overall.get(ny - 1),
                    overall.get(ny),
                    "pct",
                )
            )
        rows.append((f"Visit actions closed in {self.review_year}", None, len(in_year), "count"))
        frame = pd.DataFrame(rows, columns=["measure", "previous", "current", "kind"])
        frame["change"] = [
            display.change_as_shown(p, c, k)
            for p, c, k in zip(frame["previous"], frame["current"], frame["kind"], strict=True)
        ]
        return frame[["measure", "kind", "previous", "current", "change"]]

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """The evidence the review draws on: ``evidence, records, covering`` (what is known at
        the as-at date)."""
        surveys = self.known_table("survey_results")
        sources = [
            ("GMC National Training Survey", surveys[surveys["survey"] == "NTS"], "year"),
            ("NHS Education and Training Survey", surveys[surveys["survey"] == "NETS"], "year"),
            (
                "Guardian of safe working hours returns",
                self.known_table("exception_reports"),
                "quarter",
            ),
            ("Trust self-assessment", self.known_table("self_assessment"), "year"),
            ("Funding summary", self.known_table("funding"), "year"),
            ("Learning and Development Agreement", self.known_table("lda_compliance"), "year"),
            ("Risk register", self.known_table("risks"), None),
            ("Earlier reviews and visits", self.known_table("visits"), None),
        ]
        rows = []
        for label, frame, year_col in sources:
            years = sorted(frame[year_col].astype(str).unique()) if year_col else []
            covered = f"{years[0]} to {years[-1]}" if len(years) > 1 else "".join(years)
            rows.append({"evidence": label, "records": len(frame), "covering": covered})
        return pd.DataFrame(rows)

    @cached_property
    def priorities(self) -> pd.DataFrame:
        """Priorities for next year: visits not yet held, overdue requirements, hotspots."""
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
                    f"Due {display.fmt_date(item.due)}, owner {item.owner}",
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


_ANNUAL_NAMES = {
    "funding": "Funding returns",
    "lda_compliance": "Learning and Development Agreement returns",
}


def _visit_status(intervention: str, visit: Any, date: Any, follow_up: Any) -> str:
    if display.is_missing(visit):
        return "none needed" if intervention == DESKTOP else "not yet held"
    text = f"held {display.fmt_date(date)} ({visit})"
    if not display.is_missing(follow_up):
        text += f"; follow-up due {display.fmt_date(follow_up)}"
    return text


def _same_name(name: Any) -> str:
    """A place or service name compared without regard to case and spacing."""
    return "" if display.is_missing(name) else " ".join(str(name).split()).casefold()


def _get(frame: pd.DataFrame, index, column: str):
    return frame.at[index, column] if index in frame.index else None


def open_review(
    trust_code: str,
    review_year: str | None = None,
    data: str | None = None,
    as_at: str | dt.date | None = None,
    region: RegionConfig | None = None,
) -> TrustReview:
    """Open one trust's review: ``qv.open_review("RHM", "2025/26", as_at="2025-10-14")``.

    Parameters
    ----------
    trust_code
        ODS code of the trust (a former code gives its successor).
    review_year
        Financial year ``YYYY/YY``; ``review_year`` of region.yaml by default.
    data
        A data directory or a snapshot written by ``qv reviews``; by default ``data_dir`` of
        region.yaml.  Loaded once per process, so opening several trusts parses it once.
    as_at
        ``YYYY-MM-DD``: the date the review is as at; by default today, or the review year's
        last day once that year has ended.
    region
        Region settings; ``parameters/region.yaml`` by default.

    Raises
    ------
    QvError
        If the data has nothing for the review year or the as-at date (the message names the
        data's period), or the trust is not in the data.

    Examples
    --------
    >>> review = open_review("RHM", "2025/26", "data/sample", as_at="2025-10-14")
    >>> review.code, review.review_year, review.as_at
    ('RHM', '2025/26', datetime.date(2025, 10, 14))
    """
    region = region or load_region_cached()
    review_year = check_review_year(review_year or region.review_year)
    when = parse_as_at(as_at, review_year, dt.date.today())
    dataset = load_cached(data or None)
    review = TrustReview(dataset.trust(trust_code), region, review_year, when)
    for warning in review.coverage_warnings:
        log.warning("%s", warning)
    return review


_CACHE: dict[str, Dataset] = {}


def load_cached(data: str | None) -> Dataset:
    """``load(data)``, kept for the process: opening several trusts parses the data once.

    ``None`` loads the configured data (``QV_DATA`` or ``data_dir`` in region.yaml) and says
    which.

    Examples
    --------
    >>> load_cached("data/sample") is load_cached("data/sample")
    True
    """
    key = str(data or "")
    if key not in _CACHE:
        _CACHE.clear()  # one dataset at a time: a run reads one snapshot
        _CACHE[key] = load(data or None)
        log.info("loaded %s", _CACHE[key].root)
    return _CACHE[key]


__all__ = [
    "TrustReview",
    "Value",
    "check_coverage",
    "open_review",
    "parse_as_at",
]
