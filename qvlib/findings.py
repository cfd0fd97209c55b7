"""A review's figures and headline findings: picked and phrased from one :class:`TrustReview`.

:func:`review_values` names the figures of a review (``open_risks.extreme``, ``nts.red``,
``funding.utilisation``, ...) with their display format; they are what the headline findings
say, what the region overview sets side by side and what the team's commentary may quote, so a
figure reads the same wherever it appears.  :func:`calc_findings` phrases the headlines from
those figures and the review's frames; it computes no rule of its own.  Severities that are
policy (CQC ratings, funding utilisation, the smallest staff survey gap, the smallest count worth
a headline) come from ``headlines`` in region.yaml.

The order of findings is deterministic: concerns, then items to watch, then positives; within a
severity, the order of the sections (risks, interventions, hotspots, NTS, actions, funding, LDA,
guardian of safe working, staff survey, CQC, good practice).  No item appears twice: NTS results
red in consecutive years are a reason for a hotspot, and the annual review meeting is not a
finding about the trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

from qvlib import display
from qvlib.display import plural
from qvlib.metrics.interventions import DESKTOP, LEARNER_EDUCATOR, TRIGGERED
from qvlib.schemas import NTS_OUTCOMES

if TYPE_CHECKING:
    from qvlib.config import RegionConfig
    from qvlib.reviews import TrustReview, Value

Severity = Literal["concern", "watch", "positive"]
SEVERITIES: tuple[str, ...] = ("concern", "watch", "positive")


@dataclass(frozen=True)
class Finding:
    """One headline about a trust.

    Attributes
    ----------
    key
        Stable identifier, e.g. ``"actions.immediate_overdue"`` (for links and tests).
    severity
        ``"concern"``, ``"watch"`` or ``"positive"``.
    text
        The sentence shown to readers (plain text; escaping is the display's job).
    rows
        The rows behind the finding.
    """

    key: str
    severity: Severity
    text: str
    rows: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {list(SEVERITIES)}, not {self.severity!r}")


def value_key(name: str) -> str:
    """The part of a value name standing for a band or outcome.

    >>> value_key("light green")
    'light_green'
    """
    return name.replace(" ", "_").replace("-", "_")


#: Every value name with its description; band names come from the region settings, so
#: ``open_risks.<band>`` stands for each band.  ``qv list`` prints this.
VALUE_DOCS: dict[str, str] = {
    "trust.code": "ODS code of the trust",
    "trust.name": "name of the trust",
    "review_year": "the financial year reviewed",
    "as_at": "the date the review is as at",
    "open_risks.total": "open education and training risks",
    "open_risks.<band>": "open risks in one band (low, moderate, high, extreme)",
    "open_risks.review_overdue": "open risks past their review date",
    "interventions.triggered": "open risks that call for a triggered visit",
    "interventions.triggered_held": "... of which a triggered visit has been held",
    "interventions.learner_educator": "open risks that call for a learner and educator visit",
    "interventions.learner_educator_held": "... of which such a visit has been held",
    "interventions.desktop": "open risks monitored by desktop review",
    "hotspots.count": "hotspots (clinical learning environments needing attention)",
    "nts.year": "the latest GMC NTS year published by the as-at date",
    "nts.<outcome>": "NTS results of one outcome that year (red, pink, white, light_green, "
    "green, not_reported, no_result)",
    "nts.total": "NTS results that year",
    "actions.open": "open requirements and recommendations",
    "actions.overdue": "open actions past their due date",
    "actions.immediate_overdue": "immediate mandatory requirements overdue",
    "actions.mandatory_overdue": "mandatory requirements overdue",
    "actions.recommendation_overdue": "recommendations overdue",
    "actions.immediate_closed_late": "immediate mandatory requirements closed after their deadline",
    "funding.year": "the latest financial year of funding reported",
    "funding.allocated": "education funding allocated that year",
    "funding.spent": "education funding spent that year",
    "funding.utilisation": "funding spent as a % of allocated that year",
    "lda.year": "the latest year of LDA compliance reported",
    "lda.items": "LDA schedule items that year",
    "lda.compliant": "LDA schedule items compliant",
    "lda.compliant_pct": "LDA schedule items compliant, %",
    "staff_survey.year": "the latest NHS Staff Survey year published",
    "staff_survey.elements": "People Promise elements and themes reported",
    "staff_survey.below_average": "elements below the benchmark group's average (by at least "
    "headlines.staff_survey_min_gap)",
    "staff_survey.at_worst": "elements at or below the benchmark group's worst",
    "staff_survey.above_average": "elements above the benchmark group's average",
    "guardian.quarters": "guardian of safe working quarters of the review year known",
    "guardian.hours_reports": "exception reports about hours in those quarters",
    "guardian.education_reports": "exception reports about education in those quarters",
    "guardian.safety_reports": "exception reports about safety in those quarters",
    "cqc.overall": "the CQC overall rating published by the as-at date",
    "cqc.published": "when that rating was published",
    "good_practice.count": "examples of good practice in the review year to the as-at date",
    "commitments.last_year": "commitments agreed at last year's annual review",
    "commitments.last_year_done": "... of which done by the as-at date",
    "commitments.last_year_overdue": "... of which past their due date and not done",
}


#: The region overview's figures, for commentary on it (``qv list`` prints them too).
REGION_VALUE_DOCS: dict[str, str] = {
    "region.name": "name of the region",
    "review_year": "the financial year reviewed",
    "as_at": "the date the overview is as at",
    "trusts": "trusts in the overview",
    "open_risks.total": "open education and training risks, all trusts",
    "open_risks.<band>": "open risks in one band, all trusts (low, moderate, high, extreme)",
    "hotspots.count": "hotspots, all trusts",
    "actions.overdue": "open visit actions past their due date, all trusts",
    "nts.red": "red NTS outcomes in the latest published year, all trusts",
    "nts.green": "green NTS outcomes in the latest published year, all trusts",
}


def value_names(region: RegionConfig, *, overview: bool = False) -> list[str]:
    """Every figure name commentary may quote: of a trust's review, or of the region overview.

    ``<band>`` and ``<outcome>`` in :data:`VALUE_DOCS` stand for each risk band of the region
    settings and each NTS outcome.

    >>> from qvlib.config import load_region
    >>> names = value_names(load_region())
    >>> "open_risks.extreme" in names, "nts.light_green" in names, "open_risks.<band>" in names
    (True, True, False)
    >>> value_names(load_region(), overview=True)[:3]
    ['region.name', 'review_year', 'as_at']
    """
    names: list[str] = []
    for name in REGION_VALUE_DOCS if overview else VALUE_DOCS:
        if name.endswith(".<band>"):
            names += [f"{name[:-7]}.{value_key(b)}" for b in region.risk.band_names()]
        elif name.endswith(".<outcome>"):
            names += [f"{name[:-10]}.{value_key(o)}" for o in NTS_OUTCOMES]
        else:
            names.append(name)
    return names


def review_values(review: TrustReview) -> dict[str, Value]:
    """The documented figures of ``review`` by dotted name (see :data:`VALUE_DOCS`).

    >>> from qvlib.reviews import open_review
    >>> values = review_values(open_review("RHM", "2025/26", "data/sample"))
    >>> values["open_risks.extreme"].value, values["nts.year"].value
    (1, 2025)
    >>> str(values["funding.utilisation"])
    '95.5%'
    """
    from qvlib.reviews import Value

    out: dict[str, Value] = {}

    def put(name: str, value, kind: str, doc_name: str | None = None) -> None:
        out[name] = Value(value, kind, VALUE_DOCS[doc_name or name])

    put("trust.code", review.code, "text")
    put("trust.name", review.name, "text")
    put("review_year", review.review_year, "year")
    put("as_at", review.as_at, "date")

    open_risks = review.open_risks
    put("open_risks.total", len(open_risks), "count")
    bands = open_risks["band"].astype(str).value_counts()
    for band in review.region.risk.band_names():
        put(f"open_risks.{value_key(band)}", int(bands.get(band, 0)), "count", "open_risks.<band>")
    put("open_risks.review_overdue", int(open_risks["review_overdue"].sum()), "count")

    interventions = review.interventions
    held = interventions["covering_visit_id"].notna()
    for name, kind in (("triggered", TRIGGERED), ("learner_educator", LEARNER_EDUCATOR)):
        chosen = interventions["intervention"] == kind
        put(f"interventions.{name}", int(chosen.sum()), "count")
        put(f"interventions.{name}_held", int((chosen & held).sum()), "count")
    put("interventions.desktop", int((interventions["intervention"] == DESKTOP).sum()), "count")
    put("hotspots.count", len(review.hotspots), "count")

    put("nts.year", review.survey_year, "year")
    latest = review.nts_latest
    counts = latest["outcome_final"].value_counts()
    for outcome in NTS_OUTCOMES:
        put(f"nts.{value_key(outcome)}", int(counts.get(outcome, 0)), "count", "nts.<outcome>")
    put("nts.total", len(latest), "count")

    actions = review.actions
    overdue = actions[actions["overdue"]]
    put("actions.open", int(actions["is_open"].sum()), "count")
    put("actions.overdue", len(overdue), "count")
    for name, kind in (
        ("immediate", "immediate mandatory requirement"),
        ("mandatory", "mandatory requirement"),
        ("recommendation", "recommendation"),
    ):
        put(f"actions.{name}_overdue", int((overdue["kind"] == kind).sum()), "count")
    late = actions["is_immediate"] & actions["closed_late"]
    put("actions.immediate_closed_late", int(late.sum()), "count")

    totals = review.funding_totals
    year = totals[totals["year"] == review.funding_year]
    row = year.iloc[0] if len(year) else None
    put("funding.year", review.funding_year, "year")
    put("funding.allocated", None if row is None else row["allocated"], "money")
    put("funding.spent", None if row is None else row["spent"], "money")
    put("funding.utilisation", None if row is None else row["utilisation_pct"], "pct")

    lda = review.lda.set_index("status")["count"] if len(review.lda) else pd.Series(dtype=int)
    items = int(lda.sum())
    put("lda.year", review.lda_year, "year")
    put("lda.items", items, "count")
    put("lda.compliant", int(lda.get("compliant", 0)), "count")
    put("lda.compliant_pct", lda.get("compliant", 0) / items * 100 if items else None, "pct")

    staff = review.staff_survey_latest
    reported = staff[~staff["suppressed"]]
    gap = review.region.headlines.staff_survey_min_gap
    put("staff_survey.year", review.staff_survey_year, "year")
    put("staff_survey.elements", len(reported), "count")
    put("staff_survey.below_average", int((reported["gap_to_average"] <= -gap).sum()), "count")
    put("staff_survey.at_worst", int((reported["position"] == "worst").sum()), "count")
    put("staff_survey.above_average", int((reported["gap_to_average"] >= gap).sum()), "count")

    guardian = _guardian_rows(review)
    put("guardian.quarters", guardian["quarter"].nunique(), "count")
    for column in ("hours_reports", "education_reports", "safety_reports"):
        put(f"guardian.{column}", int(guardian[column].sum()), "count")

    overall = review.cqc.set_index("key_question").loc["overall"]
    put("cqc.overall", overall["rating"] if pd.notna(overall["rating"]) else None, "rating")
    put("cqc.published", overall["publication_date"], "date")
    put("good_practice.count", len(review.good_practice), "count")
    last = review.commitments_last_year
    put("commitments.last_year", len(last), "count")
    put("commitments.last_year_done", int((last["status"] == "closed").sum()), "count")
    put("commitments.last_year_overdue", int((last["rag"] == "overdue").sum()), "count")
    return out


def _guardian_rows(review: TrustReview) -> pd.DataFrame:
    reports = review.exception_reports
    return reports[reports["quarter"].str.startswith(review.review_year)]


def calc_findings(review: TrustReview) -> list[Finding]:
    """The headline findings of ``review``: concerns, then watch, then positives.

    A finding about fewer items than ``headlines.min_count`` is left out.

    >>> from qvlib.reviews import open_review
    >>> findings = calc_findings(open_review("RHM", "2025/26", "data/sample"))
    >>> findings[0].severity, findings[0].text
    ('concern', '4 open risks: 1 extreme, 1 high, 1 moderate, 1 low')
    """
    v = {name: value.value for name, value in review.values.items()}
    findings: list[Finding] = []
    findings += _risk_findings(review, v)
    findings += _intervention_findings(review)
    findings += _hotspot_findings(review)
    findings += _nts_findings(review, v)
    findings += _action_findings(review, v)
    findings += _funding_findings(review, v)
    findings += _lda_findings(review, v)
    findings += _guardian_findings(review, v)
    findings += _staff_survey_findings(review)
    findings += _cqc_findings(review)
    findings += _good_practice_findings(review, v)
    least = review.region.headlines.min_count
    findings = [f for f in findings if f.rows.empty or len(f.rows) >= least]
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def _risk_findings(review: TrustReview, v: dict) -> list[Finding]:
    open_risks = review.open_risks
    if open_risks.empty:
        return [Finding("risks.open", "positive", "No open education risks", open_risks)]
    bands = list(reversed(review.region.risk.band_names()))
    counts = {b: v[f"open_risks.{value_key(b)}"] for b in bands}
    serious = open_risks["band"].astype(str).isin(review.region.hotspots.risk_bands).any()
    found = [
        Finding(
            "risks.open",
            "concern" if serious else "watch",
            f"{plural(v['open_risks.total'], 'open risk')}: "
            f"{display.describe_counts(counts, bands)}",
            open_risks,
        )
    ]
    overdue = open_risks[open_risks["review_overdue"]]
    if not overdue.empty:
        found.append(
            Finding(
                "risks.review_overdue",
                "watch",
                f"{plural(len(overdue), 'open risk')} past"
                f" {'its' if len(overdue) == 1 else 'their'} review date",
                overdue,
            )
        )
    return found


def _held_text(rows: pd.DataFrame) -> str:
    held = rows[rows["covering_visit_id"].notna()]
    parts = []
    if len(held):
        visits = held.drop_duplicates("covering_visit_id").sort_values("covering_visit_date")
        when = display.join_words(
            f"{v.covering_visit_id} on {display.fmt_date(v.covering_visit_date)}"
            for v in visits.itertuples()
        )
        parts.append(f"held for {len(held)} ({when})" if len(held) < len(rows) else f"held: {when}")
    missing = len(rows) - len(held)
    if missing:
        parts.append(f"not yet held for {missing}")
    return "; ".join(parts)


def _intervention_findings(review: TrustReview) -> list[Finding]:
    interventions = review.interventions
    found = []
    for kind, key, label in (
        (TRIGGERED, "interventions.triggered", "a triggered visit"),
        (LEARNER_EDUCATOR, "interventions.learner_educator", "a learner and educator visit"),
    ):
        rows = interventions[interventions["intervention"] == kind]
        if rows.empty:
            continue
        # A significant concern with no triggered visit yet held is itself a concern.
        missing = int(rows["covering_visit_id"].isna().sum())
        severity = "concern" if kind == TRIGGERED and missing else "watch"
        call = "calls" if len(rows) == 1 else "call"
        found.append(
            Finding(
                key,
                severity,
                f"{plural(len(rows), 'risk')} {call} for {label}: {_held_text(rows)}",
                rows,
            )
        )
    desktop = interventions[interventions["intervention"] == DESKTOP]
    if not desktop.empty:
        found.append(
            Finding(
                "interventions.desktop",
                "watch",
                f"{plural(len(desktop), 'risk')} monitored by desktop review",
                desktop,
            )
        )
    return found


def _hotspot_findings(review: TrustReview) -> list[Finding]:
    hotspots = review.hotspots
    if hotspots.empty:
        return []
    places = "; ".join(f"{row.specialty} at {row.site}" for row in hotspots.itertuples())
    return [
        Finding("hotspots", "concern", f"{plural(len(hotspots), 'hotspot')}: {places}", hotspots)
    ]


def _nts_findings(review: TrustReview, v: dict) -> list[Finding]:
    if review.survey_year is None or not v["nts.total"]:
        return []
    year = review.survey_year
    text = (
        f"NTS {year}: {v['nts.red']} red, {v['nts.pink']} pink, {v['nts.light_green']} light"
        f" green and {v['nts.green']} green of {plural(v['nts.total'], 'result')}"
    )
    severity = "watch" if v["nts.red"] or v["nts.pink"] else "positive"
    return [Finding("nts.latest", severity, text, review.nts_latest)]


def _action_findings(review: TrustReview, v: dict) -> list[Finding]:
    actions = review.actions
    found = []
    overdue = actions[actions["overdue"]]
    for kind, key, severity in (
        ("immediate mandatory requirement", "actions.immediate_overdue", "concern"),
        ("mandatory requirement", "actions.mandatory_overdue", "concern"),
        ("recommendation", "actions.recommendation_overdue", "watch"),
    ):
        rows = overdue[overdue["kind"] == kind]
        if not rows.empty:
            found.append(Finding(key, severity, f"{plural(len(rows), kind)} overdue", rows))
    late = actions[actions["is_immediate"] & actions["closed_late"]]
    if not late.empty:
        days = review.region.immediate_requirement_working_days
        found.append(
            Finding(
                "actions.immediate_closed_late",
                "watch",
                f"{plural(len(late), 'immediate mandatory requirement')} closed after the "
                f"{days} working days allowed",
                late,
            )
        )
    open_actions = actions[actions["is_open"]]
    if overdue.empty and not open_actions.empty:
        found.append(
            Finding(
                "actions.on_track",
                "positive",
                f"{plural(len(open_actions), 'open action')}, none overdue",
                open_actions,
            )
        )
    return found


def _funding_findings(review: TrustReview, v: dict) -> list[Finding]:
    pct = v["funding.utilisation"]
    if pct is None or pd.isna(pct):
        return []
    totals = review.funding_totals
    rows = totals[totals["year"] == review.funding_year].reset_index(drop=True)
    severity = review.region.headlines.utilisation_severity(display.as_shown(pct, "pct"))
    text = (
        f"Funding utilisation {display.fmt_pct(pct)} in {review.funding_year}"
        f" ({display.fmt_money(v['funding.spent'])} spent of"
        f" {display.fmt_money(v['funding.allocated'])} allocated)"
    )
    return [Finding("funding.utilisation", severity, text, rows)]


def _lda_findings(review: TrustReview, v: dict) -> list[Finding]:
    if not v["lda.items"]:
        return []
    counts = review.lda.set_index("status")["count"]
    if counts.get("not compliant", 0):
        severity = "concern"
    elif counts.get("partial", 0):
        severity = "watch"
    else:
        severity = "positive"
    rows = review.lda_non_compliant
    text = (
        f"LDA {review.lda_year}: {v['lda.compliant']} of {plural(v['lda.items'], 'item')} compliant"
    )
    return [Finding("lda", severity, text, rows if not rows.empty else review.lda)]


def _guardian_findings(review: TrustReview, v: dict) -> list[Finding]:
    rows = _guardian_rows(review)
    if rows.empty:
        return []
    hours, education, safety = (
        v["guardian.hours_reports"],
        v["guardian.education_reports"],
        v["guardian.safety_reports"],
    )
    quarters = v["guardian.quarters"]
    scope = (
        review.review_year if quarters == 4 else f"{review.review_year} ({quarters} of 4 quarters)"
    )
    text = (
        f"Guardian of safe working {scope}: {plural(hours, 'hours report')},"
        f" {plural(education, 'education report')}, {plural(safety, 'safety report')}"
    )
    # Exception reports are how resident doctors raise problems; their number is for the panel
    # to weigh against the trust's size, so any report is something to watch, not a verdict.
    severity = "watch" if safety or education or hours else "positive"
    return [Finding("guardian", severity, text, rows.reset_index(drop=True))]


def _staff_survey_findings(review: TrustReview) -> list[Finding]:
    latest = review.staff_survey_latest
    latest = latest[~latest["suppressed"]]
    if latest.empty:
        return []
    gap = review.region.headlines.staff_survey_min_gap
    found = []
    below = latest[latest["gap_to_average"] <= -gap].sort_values(["gap_to_average", "element"])
    for _, row in below.iterrows():
        worst = row["position"] == "worst"
        text = (
            f"Staff survey {int(row['year'])}: '{row['element']}'"
            f" {display.fmt(abs(row['gap_to_average']), 'score10')} below the benchmark average"
        )
        if worst:
            text += " (the lowest in its benchmark group)"
        found.append(
            Finding(
                f"staff_survey.{row['element']}",
                "concern" if worst else "watch",
                text,
                row.to_frame().T,
            )
        )
    above = latest[latest["gap_to_average"] >= gap]
    if not above.empty:
        text = (
            f"Staff survey {int(latest['year'].iloc[0])}: {len(above)} of"
            f" {plural(len(latest), 'element')} above the benchmark average"
        )
        found.append(Finding("staff_survey.above", "positive", text, above.reset_index(drop=True)))
    return found


def _cqc_findings(review: TrustReview) -> list[Finding]:
    found = []
    severities = review.region.headlines.cqc_severity
    latest = review.cqc
    for _, row in latest[latest["rating"].notna()].iterrows():
        question, rating = row["key_question"], row["rating"]
        severity = severities[rating]
        if question != "overall" and severity == "positive":
            continue
        label = (
            "overall rating"
            if question == "overall"
            else f"'{display.label('key_question', question)}' rated"
        )
        shown = display.fmt(rating, "rating")
        text = f"CQC {label}: {shown} (published {display.fmt_date(row['publication_date'])})"
        if row["level"] == "location":
            text += f", from location {row['location_name']}"
        found.append(Finding(f"cqc.{question}", severity, text, row.to_frame().T))
    return found


def _good_practice_findings(review: TrustReview, v: dict) -> list[Finding]:
    rows = review.good_practice
    if rows.empty:
        return []
    text = f"{plural(len(rows), 'example')} of good practice noted in {review.review_year}"
    if review.as_at < review.period[1]:
        text += f" to {display.fmt_date(review.as_at)}"
    return [Finding("good_practice", "positive", text, rows)]
