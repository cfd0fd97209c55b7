"""CQC information requests: the request's period and scope, its extracts, and the bundle.

When the CQC asks the regional team about education and training at a trust ahead of an
inspection, the team sends ``cqc-response-bundle.zip``: the summary page (the rendered
``cqc_response_bundle`` notebook) plus the extracts behind it.  This module decides what is in
scope and builds those extracts from a :class:`~qvlib.reviews.TrustReview` (suppression applied,
only that trust's rows); :func:`finalize_cqc_bundle` is the runner's hook that writes the zip with
:func:`qvlib.bundles.write_bundle`.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qvlib import display, metrics
from qvlib.bundles import BundleReadme, describe_suppression, write_bundle
from qvlib.errors import QvError
from qvlib.reviews import TrustReview, open_review

#: Every extract, in bundle order, with the line README.txt gives it.
EXTRACTS: dict[str, str] = {
    "open_risks": "Open education and training risks in scope, with the recommended intervention",
    "visits": "Quality visits in the period, with their outcome",
    "visit_actions": "Requirements and recommendations from those visits, and any still open",
    "survey_outcomes": "GMC NTS red and green outcomes in the survey years the period covers",
    "nets": "NHS Education and Training Survey % positive by theme (trust level)",
    "lda_compliance": "Learning and Development Agreement schedule items for the review year",
    "good_practice": "Good practice noted in the period",
}


@dataclass(frozen=True)
class CqcRequest:
    """What a CQC information request covers: a period and, optionally, sites and specialties."""

    start: dt.date
    end: dt.date
    sites: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()

    @property
    def scope(self) -> str:
        """The scope in words, e.g. ``'Whole trust'``."""
        parts = []
        if self.sites:
            parts.append("sites: " + ", ".join(self.sites))
        if self.specialties:
            parts.append("specialties: " + ", ".join(self.specialties))
        return "; ".join(parts) if parts else "Whole trust"

    def describe(self) -> pd.DataFrame:
        """The request as a two-column table for the summary page."""
        return pd.DataFrame(
            [
                (
                    "Period covered",
                    f"{display.fmt_date(self.start)} to {display.fmt_date(self.end)}",
                ),
                ("Scope", self.scope),
            ],
            columns=["item", "value"],
        )

    def in_scope(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of ``frame`` (with ``site`` / ``specialty`` columns) inside the scope."""
        keep = pd.Series(True, index=frame.index)
        if self.sites:
            keep &= frame["site"].isin(self.sites)
        if self.specialties:
            keep &= frame["specialty"].isin(self.specialties)
        return keep

    def in_period(self, dates: pd.Series) -> pd.Series:
        """Which ``dates`` fall in the period (both ends included)."""
        days = pd.to_datetime(dates).dt.date
        return (days >= self.start) & (days <= self.end)


def cqc_request(
    review: TrustReview,
    period_start: str = "",
    period_end: str = "",
    sites: Sequence[str] = (),
    specialties: Sequence[str] = (),
) -> CqcRequest:
    """Parse and check a request's parameters against the trust's data.

    Empty dates mean the review year's first day and its last day (or the review's as-at date,
    if earlier).  Unknown sites or specialties raise :class:`QvError` listing the ones the
    trust's data has.
    """
    start = _date("period_start", period_start) or review.period[0]
    end = _date("period_end", period_end) or min(review.period[1], review.as_at)
    if end < start:
        raise QvError(f"period_end {end} is before period_start {start}")
    known_sites = set(review.data.sites) | _values(review, "site")
    known_specialties = _values(review, "specialty")
    for label, asked, known in (
        ("site", sites, known_sites),
        ("specialty", specialties, known_specialties),
    ):
        unknown = sorted(set(asked) - known)
        if unknown:
            raise QvError(
                f"{label} {unknown} not found in {review.code}'s data; known: {sorted(known)}"
            )
    return CqcRequest(start, end, tuple(sites), tuple(specialties))


def _date(name: str, text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QvError(f"{name} {text!r} is not a date written YYYY-MM-DD") from None


def _values(review: TrustReview, column: str) -> set[str]:
    names = ("risks", "visits", "survey_results", "good_practice", "programmes")
    frames = [review.known_table(name) for name in names]
    return {v for f in frames for v in f[column].dropna().unique()}


def cqc_extracts(review: TrustReview, request: CqcRequest) -> dict[str, pd.DataFrame]:
    """The extracts a CQC response bundle holds, in :data:`EXTRACTS` order.

    Every extract holds only ``review``'s trust; survey figures are suppressed with the
    configured rule (a suppressed row keeps no count or score).
    """
    region = review.region
    risks = review.interventions[request.in_scope(review.interventions)]
    visits = review.visits
    visits = visits[request.in_scope(visits) & request.in_period(visits["date"])]
    actions = review.actions
    still_open = actions["status"] != "closed"
    actions = actions[actions["visit_id"].isin(visits["visit_id"]) | still_open]
    actions = actions[request.in_scope(actions)]
    years = range(request.start.year, request.end.year + 1)
    nts = review.nts[
        review.nts["year"].isin(years)
        & review.nts["outcome_final"].isin(["red", "green"])
        & request.in_scope(review.nts)
    ]
    nts = metrics.suppress_survey(nts, region, survey="NTS")
    nets = review.nets[review.nets["year"].isin(years)]
    lda = review.known_table("lda_compliance")
    lda = lda[lda["year"] == review.lda_year]
    practice = review.known_table("good_practice")
    practice = practice[request.in_scope(practice) & request.in_period(practice["date"])]
    extracts = {
        "open_risks": risks[
            [
                "risk_id",
                "trust_code",
                "site",
                "specialty",
                "summary",
                "band",
                "score",
                "isf_level",
                "intervention",
                "reason",
                "covering_visit_id",
            ]
        ],
        "visits": visits[
            ["visit_id", "trust_code", "visit_type", "date", "site", "specialty", "outcome_summary"]
        ].sort_values(["date", "visit_id"]),
        "visit_actions": actions[
            [
                "visit_id",
                "ref",
                "kind",
                "domain",
                "required_action",
                "owner",
                "due",
                "status",
                "closed",
                "overdue",
            ]
        ].sort_values(["visit_id", "ref"]),
        "survey_outcomes": nts[
            [
                "year",
                "trust_code",
                "site",
                "programme_group",
                "specialty",
                "indicator",
                "n",
                "score",
                "benchmark_mean",
                "outcome_final",
                "suppressed",
            ]
        ].sort_values(["year", "site", "specialty", "indicator"]),
        "nets": nets[["year", "trust_code", "indicator", "n", "pct_positive", "suppressed"]],
        "lda_compliance": lda[["trust_code", "year", "schedule_item", "status", "note"]],
        "good_practice": practice[
            ["trust_code", "date", "site", "specialty", "summary", "source"]
        ].sort_values("date"),
    }
    return {name: frame.reset_index(drop=True) for name, frame in extracts.items()}


def finalize_cqc_bundle(nb: Any, html: str, job: Any) -> list[Path]:
    """Runner hook: write ``cqc-response-bundle.zip`` from the rendered summary and the extracts.

    The request's parameters are the notebook's own (its defaults, overridden by what the runner
    injected), so the zip's extracts are exactly the tables the summary shows.
    """
    params = _executed_parameters(nb)
    review = open_review(
        params["trust_code"], params["review_year"], params["data"], params.get("as_at")
    )
    request = cqc_request(
        review,
        params.get("period_start", ""),
        params.get("period_end", ""),
        params.get("sites", ()),
        params.get("specialties", ()),
    )
    meta = review.data.meta
    readme = BundleReadme(
        trust_code=review.code,
        trust_name=review.name,
        review_year=review.review_year,
        period_start=request.start,
        period_end=request.end,
        sources={
            "data snapshot": Path(params["data"]).name,
            "trust data fingerprint": str(job.provenance.get("data_fingerprint", "")),
        },
        extract_descriptions=EXTRACTS,
        suppression_rule=describe_suppression(review.region.suppression),
        synthetic=bool(meta.get("synthetic", False)),
        sites=request.sites,
        specialties=request.specialties,
    )
    path = Path(job.output)
    write_bundle(
        path,
        summary_html=html,
        extracts=cqc_extracts(review, request),
        readme=readme,
        marker=review.region.suppression.marker,
    )
    return [path]


def _executed_parameters(nb: Any) -> dict[str, Any]:
    """Literal values assigned in the notebook's parameters and injected-parameters cells."""
    values: dict[str, Any] = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
                for node in ast.parse(cell.source).body:
                    target = (
                        node.target
                        if isinstance(node, ast.AnnAssign)
                        else (node.targets[0] if isinstance(node, ast.Assign) else None)
                    )
                    if isinstance(target, ast.Name) and node.value is not None:
                        values[target.id] = ast.literal_eval(node.value)
    return values
