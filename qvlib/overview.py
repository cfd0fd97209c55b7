"""The region overview: every trust of the region side by side, for the regional quality team.

:func:`open_overview` gives a :class:`RegionOverview`, whose attributes the region overview
notebook displays: one row per trust (open risks by band, recommended and completed
interventions, NTS reds and greens, funding utilisation, LDA compliance, CQC rating, staff survey
against benchmark, hotspots), plus the long frames behind its charts.  Like
:mod:`qvlib.reviews` it composes :mod:`qvlib.metrics` (on the whole dataset, which every metric
here accepts) and computes no rule of its own; the region overview is never part of a trust's
pack because it holds every trust's figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from qvlib import metrics
from qvlib.config import RegionConfig, check_review_year, load_region_cached
from qvlib.datasets import Dataset
from qvlib.metrics._util import fy_bounds, latest_year_by
from qvlib.metrics.interventions import DESKTOP, INTERVENTIONS, VISIT_TYPE
from qvlib.reviews import load_cached
from qvlib.schemas import CQC_KEY_QUESTIONS, CQC_RATINGS, LDA_STATUSES

#: CQC ratings best first, so that sorting a rating column orders it by merit, not alphabet.
CQC_RATING_DTYPE = pd.CategoricalDtype(CQC_RATINGS, ordered=True)
#: Staff survey positions that are below the benchmark group's average.
BELOW_AVERAGE = ("below average", "worst")
#: NTS outcomes shown side by side (the extremes of the GMC scale).
NTS_SHOWN = ("red", "green")
_NHS_SUFFIX = r"(?i)\s*\bNHS\s+(Foundation\s+)?Trust\s*$"


def intervention_column(intervention: str) -> str:
    """Column of :attr:`RegionOverview.table` counting one recommended intervention.

    ``"recommended_triggered"`` for ``"triggered visit"`` (named after the visit type that
    carries the intervention out).
    """
    return f"recommended_{VISIT_TYPE[intervention]}"


def band_column(band: str) -> str:
    """Column of :attr:`RegionOverview.table` counting the open risks of one band."""
    return f"open_{band}"


@dataclass
class RegionOverview:
    """Every trust of the region in one review year, side by side.

    Attributes are computed on first use.  ``as_of`` is the last day of the review year, as in
    :class:`qvlib.reviews.TrustReview`, so the figures agree with each trust's own packs.
    """

    dataset: Dataset
    region: RegionConfig
    review_year: str

    @property
    def name(self) -> str:
        """The region's name (``region`` in region.yaml)."""
        return self.region.region

    @property
    def trust_codes(self) -> list[str]:
        return self.dataset.trust_codes

    @cached_property
    def as_of(self) -> dt.date:
        return fy_bounds(self.review_year)[1].date()

    @cached_property
    def bands(self) -> list[str]:
        """Risk band names, lowest first."""
        return self.region.risk.band_names()

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

    # Risks and interventions ---------------------------------------------------------------
    @cached_property
    def risks(self) -> pd.DataFrame:
        return metrics.calc_risks(self.dataset.risks, self.region, self.as_of)

    @cached_property
    def risks_by_band(self) -> pd.DataFrame:
        """``trust_code, trust_name, band, open``: open risks of every trust and band."""
        counts = metrics.calc_risk_counts(
            self.risks, by=("band",), region=self.region, trust_codes=self.trust_codes
        )
        counts = counts[counts["trust_code"].isin(self.trust_codes)]
        return self._named(counts[["trust_code", "band", "open"]])

    @cached_property
    def interventions(self) -> pd.DataFrame:
        """Every open risk of the region with its recommended intervention and covering visit."""
        return self._named(metrics.calc_interventions(self.risks, self.dataset.visits, self.region))

    @cached_property
    def intervention_counts(self) -> pd.DataFrame:
        """``trust_code, trust_name, intervention, recommended, done``, every trust x kind.

        ``done`` counts recommended interventions that a visit of the right type covers.
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
        """Recommended triggered and learner/educator visits that no visit covers yet."""
        frame = self.interventions
        wanted = (frame["intervention"] != DESKTOP) & frame["covering_visit_id"].isna()
        return frame[wanted].sort_values(
            ["trust_code", "score", "risk_id"], ascending=[True, False, True]
        )

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts(self) -> pd.DataFrame:
        return metrics.calc_nts_outcome(self.dataset.survey_results, self.region)

    @cached_property
    def survey_year(self) -> int:
        """The latest NTS year on or before the end of the review year, across the region."""
        latest = latest_year_by(self.nts["year"], self.as_of)
        return self.as_of.year if latest is None else latest

    @cached_property
    def nts_counts(self) -> pd.DataFrame:
        """NTS results of each outcome per trust in :attr:`survey_year` (zeros for none).

        ``trust_code, trust_name``, one column per outcome (red ... no result) and ``total``;
        a trust without results that year has a total of 0.
        """
        latest = self.nts[self.nts["year"] == self.survey_year]
        counts = metrics.calc_outcome_counts(latest, by=("trust_code",)).set_index("trust_code")
        counts = counts.reindex(self.trust_codes, fill_value=0).rename_axis("trust_code")
        return self._named(counts.reset_index())

    @cached_property
    def nts_reds_greens(self) -> pd.DataFrame:
        """Red and green NTS results per trust in :attr:`survey_year`, most reds first.

        ``trust_code, trust_name, short_name, outcome, results``; only trusts with NTS results
        that year.
        """
        # A trust with no results that year (no doctors in training) is left out, not zero.
        reported = self.nts_counts[self.nts_counts["total"] > 0]
        frame = reported.melt(
            id_vars=["trust_code", "trust_name", "short_name"],
            value_vars=list(NTS_SHOWN),
            var_name="outcome",
            value_name="results",
        )
        # Most reds first, so the chart leads with the trusts that most need attention.
        reds = frame["trust_code"].map(self.nts_counts.set_index("trust_code")["red"])
        frame = frame.assign(_reds=-reds, _outcome=frame["outcome"].map(NTS_SHOWN.index))
        frame = frame.sort_values(["_reds", "trust_code", "_outcome"])
        return frame.drop(columns=["_reds", "_outcome"]).reset_index(drop=True)

    @cached_property
    def staff_survey(self) -> pd.DataFrame:
        """Staff survey element scores of the region's trusts against their benchmark groups."""
        frame = metrics.calc_staff_survey(self.dataset.staff_survey, self.region)
        return frame[frame["org_code"].isin(self.trust_codes)].reset_index(drop=True)

    @cached_property
    def staff_survey_year(self) -> int | None:
        """The latest NHS Staff Survey year on or before the end of the review year."""
        return latest_year_by(self.staff_survey["year"], self.as_of)

    @cached_property
    def staff_survey_summary(self) -> pd.DataFrame:
        """Per trust in :attr:`staff_survey_year`: elements below average, at worst, mean gap.

        ``trust_code, trust_name, elements`` (reported, not suppressed), ``below_average``
        (position below average or worst), ``at_worst``, ``mean_gap`` (mean score minus
        benchmark average), ``lowest_element`` (largest gap below average) and its
        ``lowest_gap``.
        """
        latest = self.staff_survey[self.staff_survey["year"] == self.staff_survey_year]
        latest = latest[latest["gap_to_average"].notna()]
        rows = []
        for code in self.trust_codes:
            own = latest[latest["org_code"] == code]
            lowest = own.sort_values(["gap_to_average", "element"]).head(1)
            rows.append(
                {
                    "trust_code": code,
                    "elements": len(own),
                    "below_average": int(own["position"].isin(BELOW_AVERAGE).sum()),
                    "at_worst": int((own["position"] == "worst").sum()),
                    "mean_gap": own["gap_to_average"].mean() if len(own) else float("nan"),
                    "lowest_element": lowest["element"].iloc[0] if len(own) else None,
                    "lowest_gap": lowest["gap_to_average"].iloc[0] if len(own) else float("nan"),
                }
            )
        return self._named(pd.DataFrame(rows))

    # Funding and LDA -----------------------------------------------------------------------
    @cached_property
    def funding(self) -> pd.DataFrame:
        """``trust_code, trust_name, allocated, spent, utilisation_pct, fte`` in the review year."""
        totals = metrics.calc_funding(self.dataset.funding, self.dataset.learners, by=())
        totals = totals[totals["year"] == self.review_year].set_index("trust_code")
        columns = ["allocated", "spent", "utilisation_pct", "fte"]
        frame = totals[columns].reindex(self.trust_codes).rename_axis("trust_code")
        return self._named(frame.reset_index())

    @cached_property
    def lda(self) -> pd.DataFrame:
        """LDA schedule items per trust in the review year: count and % of each status.

        ``trust_code, trust_name, items``, then ``<status>`` (count) and ``<status>_pct`` for
        compliant, partial and not compliant; blank for a trust with no items that year.
        """
        status = metrics.calc_lda_compliance(self.dataset.lda_compliance, self.review_year)
        counts = status.pivot(index="trust_code", columns="status", values="count")
        shares = status.pivot(index="trust_code", columns="status", values="pct")
        frame = pd.DataFrame(index=pd.Index(self.trust_codes, name="trust_code"))
        frame["items"] = counts.sum(axis=1) if not counts.empty else pd.Series(dtype=float)
        for name in LDA_STATUSES:
            frame[name] = counts[name] if name in counts else float("nan")
            frame[f"{name}_pct"] = shares[name] if name in shares else float("nan")
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
        for code in self.trust_codes:
            latest = metrics.calc_cqc_latest(self.dataset.cqc_ratings, code).set_index(
                "key_question"
            )
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
        return self._named(
            metrics.calc_hotspots(self.nts, self.risks, self.region, self.dataset.hotspots)
        )

    # The side-by-side table ----------------------------------------------------------------
    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per trust, every headline measure side by side.

        Columns: ``trust_code, trust_name, short_name, trust_type``; ``open_<band>`` for each
        risk band (lowest first) and ``open_risks``; ``recommended_triggered``,
        ``recommended_learner_educator``, ``recommended_desktop`` and ``interventions_done``
        (covered by a visit); ``nts_red``, ``nts_green`` (in :attr:`survey_year`);
        ``funding_utilisation_pct`` and ``lda_compliant_pct`` (review year); ``cqc_overall``
        (ordered categorical, best first); ``staff_below_average`` and ``staff_mean_gap`` (in
        :attr:`staff_survey_year`); ``hotspots``.
        """
        table = self.trusts.set_index("trust_code")
        bands = self.risks_by_band.pivot(index="trust_code", columns="band", values="open")
        for band in self.bands:
            table[band_column(band)] = bands[band]
        table["open_risks"] = bands[self.bands].sum(axis=1)
        interventions = self.intervention_counts.set_index(["trust_code", "intervention"])
        for kind in INTERVENTIONS:
            table[intervention_column(kind)] = interventions.xs(kind, level="intervention")[
                "recommended"
            ]
        table["interventions_done"] = interventions.groupby("trust_code")["done"].sum()
        nts = self.nts_counts.set_index("trust_code")
        # No results that year is not the same as no red results: leave it blank.
        reported = nts["total"] > 0
        table["nts_red"] = nts["red"].where(reported)
        table["nts_green"] = nts["green"].where(reported)
        table["funding_utilisation_pct"] = self.funding.set_index("trust_code")["utilisation_pct"]
        table["lda_compliant_pct"] = self.lda.set_index("trust_code")["compliant_pct"]
        table["cqc_overall"] = self.cqc.set_index("trust_code")["overall"]
        staff = self.staff_survey_summary.set_index("trust_code")
        table["staff_below_average"] = staff["below_average"].where(staff["elements"] > 0)
        table["staff_mean_gap"] = staff["mean_gap"]
        table["hotspots"] = (
            self.hotspots.groupby("trust_code").size().reindex(table.index, fill_value=0)
        )
        return table.reset_index()

    @cached_property
    def headlines(self) -> list[metrics.Finding]:
        """What the regional team looks at first, worded from the frames above (no new rule)."""
        findings = []
        top = self.bands[-1]
        with_top = self.risks_by_band[
            (self.risks_by_band["band"] == top) & (self.risks_by_band["open"] > 0)
        ]
        if len(with_top):
            findings.append(
                metrics.Finding(
                    "region.top_band_risks",
                    "concern",
                    f"{_plural(int(with_top['open'].sum()), f'open {top} risk')} at "
                    f"{_trust_list(with_top)}.",
                    with_top,
                )
            )
        outstanding = self.visits_outstanding
        if len(outstanding):
            findings.append(
                metrics.Finding(
                    "region.visits_outstanding",
                    "concern",
                    f"{_plural(len(outstanding), 'recommended visit')} (triggered or "
                    f"learner/educator) not yet held, at {_trust_list(outstanding)}.",
                    outstanding,
                )
            )
        if len(self.hotspots):
            findings.append(
                metrics.Finding(
                    "region.hotspots",
                    "watch",
                    f"{_plural(len(self.hotspots), 'hotspot')} (clinical learning environments) "
                    f"at {_trust_list(self.hotspots)}.",
                    self.hotspots,
                )
            )
        counts = self.nts_counts
        if counts["total"].sum() > 0:
            reds, greens = int(counts["red"].sum()), int(counts["green"].sum())
            findings.append(
                metrics.Finding(
                    "region.nts",
                    "watch" if reds > greens else "positive",
                    f"NTS {self.survey_year}: {_plural(reds, 'red outcome')} and "
                    f"{_plural(greens, 'green outcome')} across the region's trusts.",
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def _trust_list(frame: pd.DataFrame) -> str:
    codes = sorted(set(frame["trust_code"]))
    return f"{_plural(len(codes), 'trust')} ({', '.join(codes)})"


def open_overview(
    data: str = "data/sample",
    review_year: str | None = None,
    region: RegionConfig | None = None,
) -> RegionOverview:
    """Open the region overview: ``qv.overview.open_overview("data/sample", "2025/26")``.

    Parameters
    ----------
    data
        A data directory or a snapshot written by ``qv reviews``; relative paths are resolved
        against the repository root.  Loaded once per process (shared with
        :func:`qvlib.reviews.open_review`).
    review_year
        Financial year ``YYYY/YY``; ``review_year`` of region.yaml by default.
    region
        Region settings; ``parameters/region.yaml`` by default.

    Returns
    -------
    RegionOverview
        Every trust in the data, side by side.
    """
    region = region or load_region_cached()
    review_year = check_review_year(review_year or region.review_year)
    return RegionOverview(dataset=load_cached(data), region=region, review_year=review_year)
