"""The region overview: every trust of the region side by side, for the regional quality team.

A :class:`RegionOverview` is a set of :class:`qvlib.reviews.TrustReview` (one per trust, all
as at the same date) plus region aggregates.  Every figure of a trust comes from that trust's
review (its :attr:`~qvlib.reviews.TrustReview.values` and frames), so the overview and the
trust's own packs cannot disagree; nothing here applies a rule of its own.  The region overview
is never part of a trust's pack because it holds every trust's figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from qvlib import display
from qvlib.config import RegionConfig, check_review_year, load_region_cached
from qvlib.datasets import Dataset
from qvlib.findings import REGION_VALUE_DOCS, Finding, value_key
from qvlib.metrics.interventions import DESKTOP, INTERVENTIONS, VISIT_TYPE
from qvlib.reviews import TrustReview, Value, check_coverage, load_cached, parse_as_at
from qvlib.schemas import CQC_KEY_QUESTIONS, CQC_RATINGS, LDA_STATUSES, NTS_OUTCOMES

#: CQC ratings best first, so that sorting a rating column orders it by merit, not alphabet.
CQC_RATING_DTYPE = pd.CategoricalDtype(CQC_RATINGS, ordered=True)
#: Staff survey positions that are below the benchmark group's average.
BELOW_AVERAGE = ("below average", "worst")
#: NTS outcomes shown side by side in the chart (the extremes of the GMC scale).
NTS_SHOWN = ("red", "green")
_NHS_SUFFIX = r"(?i)\s*\bNHS\s+(Foundation\s+)?Trust\s*$"


def intervention_column(intervention: str) -> str:
    """Column of :attr:`RegionOverview.table` counting one recommended intervention.

    ``"recommended_triggered"`` for ``"triggered visit"`` (named after the visit type that
    carries the intervention out).

    >>> intervention_column("learner/educator visit")
    'recommended_learner_educator'
    """
    return f"recommended_{VISIT_TYPE[intervention]}"


def band_column(band: str) -> str:
    """Column of :attr:`RegionOverview.table` counting the open risks of one band.

    >>> band_column("extreme")
    'open_extreme'
    """
    return f"open_{band}"


@dataclass
class RegionOverview:
    """Every trust of the region in one review year, as at one date, side by side.

    Examples
    --------
    >>> overview = open_overview("data/sample", "2025/26")
    >>> overview
    RegionOverview('Wessex', '2025/26', as_at='2026-03-31', trusts=11)
    >>> row = overview.table.set_index("trust_code").loc["RHM"]
    >>> int(row["open_risks"]) == overview.reviews["RHM"].values["open_risks.total"].value
    True
    >>> counts = overview.nts_counts
    >>> bool((counts[["red", "pink", "white", "light green", "green", "not reported",
    ...              "no result"]].sum(axis=1) == counts["total"]).all())
    True
    """

    dataset: Dataset
    region: RegionConfig
    review_year: str
    as_at: dt.date

    def __repr__(self) -> str:
        return (
            f"RegionOverview({self.name!r}, {self.review_year!r}, "
            f"as_at={self.as_at.isoformat()!r}, trusts={len(self.trust_codes)})"
        )

    @property
    def name(self) -> str:
        """The region's name (``region`` in region.yaml)."""
        return self.region.region

    @property
    def trust_codes(self) -> list[str]:
        """ODS codes of every trust in the data, sorted."""
        return self.dataset.trust_codes

    @cached_property
    def reviews(self) -> dict[str, TrustReview]:
        """Each trust's review, by code, all as at :attr:`as_at`."""
        return {
            code: TrustReview(self.dataset.trust(code), self.region, self.review_year, self.as_at)
            for code in self.trust_codes
        }

    @cached_property
    def bands(self) -> list[str]:
        """Risk band names, lowest first."""
        return self.region.risk.band_names()

    @cached_property
    def survey_year(self) -> int | None:
        """The latest GMC NTS year published by the as-at date (the same for every trust)."""
        return self._first_review.survey_year

    @cached_property
    def staff_survey_year(self) -> int | None:
        """The latest NHS Staff Survey year published by the as-at date."""
        return self._first_review.staff_survey_year

    @cached_property
    def funding_year(self) -> str | None:
        """The latest financial year of funding reported by the as-at date."""
        return self._first_review.funding_year

    @cached_property
    def lda_year(self) -> str | None:
        """The latest financial year of LDA compliance reported by the as-at date."""
        return self._first_review.lda_year

    @property
    def _first_review(self) -> TrustReview:
        # Years come from the dataset's coverage and the date, so every trust shares them.
        return next(iter(self.reviews.values()))

    @cached_property
    def periods(self) -> pd.DataFrame:
        """What each period means (as in every trust's review)."""
        return self._first_review.periods

    @cached_property
    def trusts(self) -> pd.DataFrame:
        """``trust_code, trust_name, short_name, trust_type`` of every trust, by code.

        ``short_name`` is the name without "NHS Trust" or "NHS Foundation Trust", as people
        say it ("Hampshire Hospitals"), so that a row of every measure fits a page.
        """
        frame = self.dataset.trusts[["trust_code", "trust_name", "trust_type"]].copy()
        short = frame["trust_name"].str.replace(_NHS_SUFFIX, "", regex=True).str.strip()
        frame.insert(2, "short_name", short.where(short != "", frame["trust_name"]))
        return frame.sort_values("trust_code").reset_index(drop=True)

    @cached_property
    def values(self) -> dict[str, Value]:
        """The region's figures by dotted name (:data:`qvlib.findings.REGION_VALUE_DOCS`):
        what commentary on the overview may quote.  Counts add up every trust's review.

        >>> overview = open_overview("data/sample", "2025/26", as_at="2025-10-14")
        >>> str(overview.values["trusts"]), str(overview.values["as_at"])
        ('11', '14 Oct 2025')
        """
        out: dict[str, Value] = {}

        def put(name: str, value, kind: str, doc: str | None = None) -> None:
            out[name] = Value(value, kind, REGION_VALUE_DOCS[doc or name])

        put("region.name", self.name, "text")
        put("review_year", self.review_year, "year")
        put("as_at", self.as_at, "date")
        put("trusts", len(self.reviews), "count")
        for name in ("open_risks.total", "hotspots.count", "actions.overdue", "nts.red"):
            put(name, int(self._value(name).sum()), "count")
        put("nts.green", int(self._value("nts.green").sum()), "count")
        for band in self.bands:
            name = f"open_risks.{value_key(band)}"
            put(name, int(self._value(name).sum()), "count", "open_risks.<band>")
        return out

    def _value(self, name: str) -> pd.Series:
        """One value of every trust's review, by trust code."""
        return pd.Series(
            {code: review.values[name].value for code, review in self.reviews.items()},
            name=name,
        )

    def _concat(self, attribute: str) -> pd.DataFrame:
        frames = [getattr(review, attribute) for review in self.reviews.values()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return getattr(self._first_review, attribute).iloc[0:0]
        return pd.concat(frames, ignore_index=True)

    # Risks and interventions ---------------------------------------------------------------
    @cached_property
    def risks_by_band(self) -> pd.DataFrame:
        """``trust_code, trust_name, short_name, band, open``: open risks of every trust and
        band."""
        return self._named(self._concat("risk_counts")[["trust_code", "band", "open"]])

    @cached_property
    def interventions(self) -> pd.DataFrame:
        """Every open risk of the region with its recommended intervention and visit held."""
        return self._named(self._concat("interventions"))

    @cached_property
    def intervention_counts(self) -> pd.DataFrame:
        """``trust_code, trust_name, intervention, recommended, done``, every trust x kind.

        ``done`` counts recommended interventions for which a visit of the right type has been
        held by the as-at date.
        """
        frame = self.interventions.assign(done=self.interventions["covering_visit_id"].notna())
        counts = frame.groupby(["trust_code", "intervention"]).agg(
            recommended=("risk_id", "size"), done=("done", "sum")
        )
        full = pd.MultiIndex.from_product(
            [self.trust_codes, list(INTERVENTIONS)], names=["trust_code", "intervention"]
        )
        counts = counts.reindex(full, fill_value=0).astype(int).reset_index()
        return self._named(counts)

    @cached_property
    def intervention_table(self) -> pd.DataFrame:
        """Per trust, each intervention recommended and done, side by side.

        ``trust_code, trust_name``, then for each intervention (triggered, learner/educator,
        desktop) ``<visit type>`` (recommended) and ``<visit type>_done``.
        """
        counts = self.intervention_counts.set_index(["trust_code", "intervention"])
        frame = pd.DataFrame(index=pd.Index(self.trust_codes, name="trust_code"))
        for kind in INTERVENTIONS:
            own = counts.xs(kind, level="intervention")
            frame[VISIT_TYPE[kind]] = own["recommended"]
            frame[f"{VISIT_TYPE[kind]}_done"] = own["done"]
        return self._named(frame.reset_index())

    @cached_property
    def visits_outstanding(self) -> pd.DataFrame:
        """Recommended triggered and learner/educator visits not yet held."""
        frame = self.interventions
        wanted = (frame["intervention"] != DESKTOP) & frame["covering_visit_id"].isna()
        return frame[wanted].sort_values(
            ["trust_code", "score", "risk_id"], ascending=[True, False, True]
        )

    @cached_property
    def overdue_actions(self) -> pd.DataFrame:
        """Every trust's open actions past their due date at the as-at date."""
        frame = self._concat("open_actions")
        return self._named(frame[frame["overdue"]]) if len(frame) else self._named(frame)

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts_counts(self) -> pd.DataFrame:
        """NTS results of each outcome per trust in :attr:`survey_year`.

        ``trust_code, trust_name, short_name``, one column per outcome (red ... no result) and
        ``total``; the outcome columns add up to the total.  A trust without results that year
        has a total of 0.
        """
        frame = pd.DataFrame({"trust_code": self.trust_codes})
        for outcome in NTS_OUTCOMES:
            frame[outcome] = frame["trust_code"].map(self._value(f"nts.{value_key(outcome)}"))
        frame["total"] = frame["trust_code"].map(self._value("nts.total"))
        return self._named(frame)

    @cached_property
    def nts_reds_greens(self) -> pd.DataFrame:
        """Red and green NTS results per trust in :attr:`survey_year`, most reds first.

        ``trust_code, trust_name, short_name, outcome, results``; only trusts with NTS results
        that year.
        """
        reported = self.nts_counts[self.nts_counts["total"] > 0]
        frame = reported.melt(
            id_vars=["trust_code", "trust_name", "short_name"],
            value_vars=list(NTS_SHOWN),
            var_name="outcome",
            value_name="results",
        )
        reds = frame["trust_code"].map(self.nts_counts.set_index("trust_code")["red"])
        frame = frame.assign(_reds=-reds, _outcome=frame["outcome"].map(NTS_SHOWN.index))
        frame = frame.sort_values(["_reds", "trust_code", "_outcome"])
        return frame.drop(columns=["_reds", "_outcome"]).reset_index(drop=True)

    @cached_property
    def staff_survey(self) -> pd.DataFrame:
        """Staff survey element scores of :attr:`staff_survey_year` for every trust."""
        return self._concat("staff_survey_latest")

    @cached_property
    def staff_survey_summary(self) -> pd.DataFrame:
        """Per trust in :attr:`staff_survey_year`: elements below average, at worst, mean gap.

        ``trust_code, trust_name, elements`` (reported, not suppressed), ``below_average``
        (at least ``headlines.staff_survey_min_gap`` below the average), ``at_worst``,
        ``mean_gap`` (mean score minus benchmark average), ``lowest_element`` (largest gap
        below average) and its ``lowest_gap``.
        """
        rows = []
        for code, review in self.reviews.items():
            own = review.staff_survey_latest
            own = own[own["gap_to_average"].notna()]
            lowest = own.sort_values(["gap_to_average", "element"]).head(1)
            rows.append(
                {
                    "trust_code": code,
                    "elements": review.values["staff_survey.elements"].value,
                    "below_average": review.values["staff_survey.below_average"].value,
                    "at_worst": review.values["staff_survey.at_worst"].value,
                    "mean_gap": own["gap_to_average"].mean() if len(own) else float("nan"),
                    "lowest_element": lowest["element"].iloc[0] if len(own) else None,
                    "lowest_gap": lowest["gap_to_average"].iloc[0] if len(own) else float("nan"),
                }
            )
        return self._named(pd.DataFrame(rows))

    # Funding and LDA -----------------------------------------------------------------------
    @cached_property
    def funding(self) -> pd.DataFrame:
        """``trust_code, trust_name, allocated, spent, utilisation_pct, fte`` in
        :attr:`funding_year`."""
        totals = self._concat("funding_totals")
        totals = totals[totals["year"] == self.funding_year].set_index("trust_code")
        columns = ["allocated", "spent", "utilisation_pct", "fte"]
        frame = totals[columns].reindex(self.trust_codes).rename_axis("trust_code")
        return self._named(frame.reset_index())

    @cached_property
    def lda(self) -> pd.DataFrame:
        """LDA schedule items per trust in :attr:`lda_year`: count and % of each status.

        ``trust_code, trust_name, items``, then ``<status>`` (count) and ``<status>_pct`` for
        compliant, partial and not compliant; blank for a trust with no items that year.
        """
        status = self._concat("lda")
        index = pd.Index(self.trust_codes, name="trust_code")
        counts = status.pivot_table(
            index="trust_code", columns="status", values="count", aggfunc="sum"
        ).reindex(index=index, columns=LDA_STATUSES)
        shares = status.pivot_table(
            index="trust_code", columns="status", values="pct", aggfunc="sum"
        ).reindex(index=index, columns=LDA_STATUSES)
        frame = pd.DataFrame({"items": counts.sum(axis=1, min_count=1)}, index=index)
        for name in LDA_STATUSES:
            frame[name] = counts[name]
            frame[f"{name}_pct"] = shares[name]
        return self._named(frame.reset_index())

    @cached_property
    def funding_lda(self) -> pd.DataFrame:
        """:attr:`funding` and :attr:`lda` side by side, one row per trust."""
        lda = self.lda.drop(columns=["trust_name", "short_name"])
        return self.funding.merge(lda, on="trust_code", how="left")

    # CQC -----------------------------------------------------------------------------------
    @cached_property
    def cqc(self) -> pd.DataFrame:
        """Latest CQC rating per trust and key question (wide), rating columns ordered best first.

        ``trust_code, trust_name``, one column per key question, ``published`` (date of the
        overall rating) and ``level`` ("provider" or "location" for the overall rating).
        """
        rows = []
        for code, review in self.reviews.items():
            latest = review.cqc.set_index("key_question")
            row: dict[str, object] = {"trust_code": code}
            for question in CQC_KEY_QUESTIONS:
                row[question] = latest["rating"].get(question)
            row["published"] = latest["publication_date"].get("overall")
            row["level"] = latest["level"].get("overall")
            rows.append(row)
        frame = pd.DataFrame(rows)
        for question in CQC_KEY_QUESTIONS:
            frame[question] = frame[question].astype(CQC_RATING_DTYPE)
        return self._named(frame)

    # Hotspots ------------------------------------------------------------------------------
    @cached_property
    def hotspots(self) -> pd.DataFrame:
        """``trust_code, trust_name, site, specialty, reasons, reason`` of every hotspot."""
        return self._named(self._concat("hotspots"))

    # The side-by-side table ----------------------------------------------------------------
    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per trust, every headline measure side by side (from each trust's review).

        Columns: ``trust_code, trust_name, short_name, trust_type``; ``open_<band>`` for each
        risk band (lowest first) and ``open_risks``; ``recommended_triggered``,
        ``recommended_learner_educator``, ``recommended_desktop`` and ``interventions_done``
        (a visit held); ``overdue_actions``; ``nts_red``, ``nts_green`` (in
        :attr:`survey_year`; blank without results); ``funding_utilisation_pct`` and
        ``lda_compliant_pct``; ``cqc_overall`` (ordered categorical, best first);
        ``staff_below_average`` and ``staff_mean_gap`` (in :attr:`staff_survey_year`);
        ``hotspots``.
        """
        table = self.trusts.set_index("trust_code")
        for band in self.bands:
            table[band_column(band)] = self._value(f"open_risks.{value_key(band)}")
        table["open_risks"] = self._value("open_risks.total")
        interventions = self.intervention_counts.set_index(["trust_code", "intervention"])
        for kind in INTERVENTIONS:
            table[intervention_column(kind)] = interventions.xs(kind, level="intervention")[
                "recommended"
            ]
        table["interventions_done"] = interventions.groupby("trust_code")["done"].sum()
        table["overdue_actions"] = self._value("actions.overdue")
        reported = self._value("nts.total") > 0
        table["nts_red"] = self._value("nts.red").where(reported)
        table["nts_green"] = self._value("nts.green").where(reported)
        table["funding_utilisation_pct"] = self._value("funding.utilisation").astype(float)
        table["lda_compliant_pct"] = self._value("lda.compliant_pct").astype(float)
        table["cqc_overall"] = self.cqc.set_index("trust_code")["overall"]
        staff = self.staff_survey_summary.set_index("trust_code")
        table["staff_below_average"] = staff["below_average"].where(staff["elements"] > 0)
        table["staff_mean_gap"] = staff["mean_gap"]
        table["hotspots"] = self._value("hotspots.count")
        return table.reset_index()

    @cached_property
    def headlines(self) -> list[Finding]:
        """What the regional team looks at first, worded from the trusts' figures."""
        findings = []
        top = self.bands[-1]
        with_top = self.risks_by_band[
            (self.risks_by_band["band"] == top) & (self.risks_by_band["open"] > 0)
        ]
        if len(with_top):
            findings.append(
                Finding(
                    "region.top_band_risks",
                    "concern",
                    f"{display.plural(int(with_top['open'].sum()), f'open {top} risk')} at "
                    f"{_trust_list(with_top)}.",
                    with_top,
                )
            )
        outstanding = self.visits_outstanding
        if len(outstanding):
            findings.append(
                Finding(
                    "region.visits_outstanding",
                    "concern",
                    f"{display.plural(len(outstanding), 'recommended visit')} (triggered or "
                    f"learner and educator) not yet held, at {_trust_list(outstanding)}.",
                    outstanding,
                )
            )
        overdue = self.overdue_actions
        if len(overdue):
            findings.append(
                Finding(
                    "region.overdue_actions",
                    "concern",
                    f"{display.plural(len(overdue), 'visit action')} overdue, at "
                    f"{_trust_list(overdue)}.",
                    overdue,
                )
            )
        if len(self.hotspots):
            findings.append(
                Finding(
                    "region.hotspots",
                    "watch",
                    f"{display.plural(len(self.hotspots), 'hotspot')} (clinical learning "
                    f"environments) at {_trust_list(self.hotspots)}.",
                    self.hotspots,
                )
            )
        counts = self.nts_counts
        if counts["total"].sum() > 0:
            reds, greens = int(counts["red"].sum()), int(counts["green"].sum())
            findings.append(
                Finding(
                    "region.nts",
                    "watch" if reds > greens else "positive",
                    f"NTS {self.survey_year}: {display.plural(reds, 'red outcome')} and "
                    f"{display.plural(greens, 'green outcome')} across the region's trusts.",
                    counts,
                )
            )
        return findings

    def _named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with ``trust_name`` and ``short_name`` added after ``trust_code``."""
        names = self.trusts.set_index("trust_code")
        frame = frame.reset_index(drop=True)
        position = list(frame.columns).index("trust_code") + 1
        for offset, column in enumerate(("trust_name", "short_name")):
            if column not in frame:
                frame.insert(position + offset, column, frame["trust_code"].map(names[column]))
        return frame


def _trust_list(frame: pd.DataFrame) -> str:
    codes = sorted(set(frame["trust_code"]))
    return f"{display.plural(len(codes), 'trust')} ({', '.join(codes)})"


def open_overview(
    data: str | None = None,
    review_year: str | None = None,
    as_at: str | dt.date | None = None,
    region: RegionConfig | None = None,
) -> RegionOverview:
    """Open the region overview: ``qv.overview.open_overview(review_year="2025/26")``.

    Parameters
    ----------
    data
        A data directory or a snapshot written by ``qv reviews``; ``data_dir`` of region.yaml
        by default.  Loaded once per process (shared with :func:`qvlib.reviews.open_review`).
    review_year
        Financial year ``YYYY/YY``; ``review_year`` of region.yaml by default.
    as_at
        ``YYYY-MM-DD``; by default today, or the review year's last day once it has ended.
    region
        Region settings; ``parameters/region.yaml`` by default.

    Returns
    -------
    RegionOverview
        Every trust in the data, side by side.

    Examples
    --------
    >>> overview = open_overview("data/sample", "2025/26", as_at="2025-10-14")
    >>> overview.as_at, len(overview.reviews) == len(overview.trust_codes)
    (datetime.date(2025, 10, 14), True)
    """
    region = region or load_region_cached()
    review_year = check_review_year(review_year or region.review_year)
    when = parse_as_at(as_at, review_year, dt.date.today())
    dataset = load_cached(data or None)
    check_coverage(dataset.coverage.start, dataset.coverage.end, review_year, when)
    return RegionOverview(dataset=dataset, region=region, review_year=review_year, as_at=when)
