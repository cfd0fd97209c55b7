"""A trust's headline findings: the short list a review pack opens with.

Each :class:`Finding` carries a severity (concern, watch, positive), a sentence and the rows
behind it, so a pack can show the sentence and link the evidence.  Findings come from the other
metrics modules; this module only picks and phrases them.  The order is deterministic: concerns,
then things to watch, then positives; within a severity, the order of the sections (risks,
interventions, hotspots, NTS, actions, annual review, funding, LDA, guardian of safe working,
staff survey, CQC, good practice) and, within a section, the order each function states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from qvlib.config import RegionConfig
from qvlib.metrics._util import fy_bounds
from qvlib.metrics.actions import IMMEDIATE, calc_action_tracker
from qvlib.metrics.funding import calc_funding
from qvlib.metrics.hotspots import calc_hotspots
from qvlib.metrics.interventions import (
    DESKTOP,
    LEARNER_EDUCATOR,
    TRIGGERED,
    calc_annual_review,
    calc_interventions,
)
from qvlib.metrics.lda import calc_lda_compliance, calc_lda_non_compliant
from qvlib.metrics.national import calc_cqc_latest, calc_staff_survey
from qvlib.metrics.risks import calc_risks
from qvlib.metrics.surveys import calc_nts_outcome, calc_outcome_counts, calc_persistent_reds
from qvlib.schemas import ExceptionReportSchema as E
from qvlib.schemas import GoodPracticeSchema as G
from qvlib.schemas import StaffSurveySchema as SS
from qvlib.schemas import VisitActionSchema as A

Severity = Literal["concern", "watch", "positive"]
SEVERITIES: tuple[str, ...] = ("concern", "watch", "positive")
_CQC_SEVERITY = {
    "outstanding": "positive",
    "good": "positive",
    "requires improvement": "watch",
    "inadequate": "concern",
    "not rated": "watch",
}


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


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _arranged(uncovered: int, total: int) -> str:
    if uncovered == 0:
        return "arranged" if total == 1 else "all arranged"
    return f"{uncovered} not yet arranged"


def _frame(t: Any, name: str) -> pd.DataFrame | None:
    value = getattr(t, name, None)
    return value if isinstance(value, pd.DataFrame) else None


def _gbp(value: float) -> str:
    return f"£{value:,.0f}"


def calc_trust_summary(
    t: Any, region: RegionConfig, as_of: dt.date, review_year: str
) -> list[Finding]:
    """The headline findings about one trust.

    Parameters
    ----------
    t
        The trust's data: any object with ``code``, ``name`` and the dataset attributes of
        ``TrustData`` (``risks``, ``visits``, ``visit_actions``, ``survey_results``,
        ``funding``, ``learners``, ``lda_compliance``, ``staff_survey``, ``cqc_ratings``,
        ``good_practice``, ``exception_reports``, ``hotspots``); a missing or ``None``
        dataset leaves its section out.
    region
        Parsed region settings.
    as_of
        The date the pack is as at (overdue risks and actions).
    review_year
        Financial year ``YYYY/YY`` reviewed (funding, LDA, annual review, good practice,
        guardian of safe working).

    Returns
    -------
    list of Finding
        Concerns first, then watch, then positive (see the module docstring for the order).
    """
    findings: list[Finding] = []
    risks = _frame(t, "risks")
    scored = calc_risks(risks, region, as_of) if risks is not None else None
    if scored is not None:
        findings += _risk_findings(scored, region)
        visits = _frame(t, "visits")
        if visits is not None:
            findings += _intervention_findings(calc_interventions(scored, visits, region))
    surveys = _frame(t, "survey_results")
    nts = calc_nts_outcome(surveys, region) if surveys is not None else None
    if nts is not None and scored is not None:
        hotspots = calc_hotspots(nts, scored, region, _frame(t, "hotspots"))
        findings += _hotspot_findings(hotspots)
    if nts is not None and not nts.empty:
        findings += _nts_findings(nts, region)
    actions, visits = _frame(t, "visit_actions"), _frame(t, "visits")
    if actions is not None and visits is not None:
        findings += _action_findings(calc_action_tracker(actions, visits, as_of, region), region)
    if visits is not None:
        findings.append(_annual_review_finding(t.code, visits, review_year))
    funding, learners = _frame(t, "funding"), _frame(t, "learners")
    if funding is not None and learners is not None:
        findings += _funding_findings(funding, learners, review_year)
    lda = _frame(t, "lda_compliance")
    if lda is not None:
        findings += _lda_findings(lda, review_year)
    guardian = _frame(t, "exception_reports")
    if guardian is not None:
        findings += _guardian_findings(guardian, review_year)
    staff = _frame(t, "staff_survey")
    if staff is not None:
        findings += _staff_survey_findings(staff[staff[SS.org_code] == t.code], region)
    cqc = _frame(t, "cqc_ratings")
    if cqc is not None:
        findings += _cqc_findings(calc_cqc_latest(cqc, t.code))
    good = _frame(t, "good_practice")
    if good is not None:
        findings += _good_practice_findings(good, review_year)
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def _risk_findings(scored: pd.DataFrame, region: RegionConfig) -> list[Finding]:
    open_risks = scored[scored["is_open"]].sort_values(
        ["score", "risk_id"], ascending=[False, True]
    )
    if open_risks.empty:
        return [Finding("risks.open", "positive", "No open education risks", open_risks)]
    bands = list(reversed(region.risk.band_names()))
    counts = open_risks["band"].astype(str).value_counts()
    parts = [f"{counts[b]} {b}" for b in bands if counts.get(b, 0)]
    serious = open_risks["band"].astype(str).isin(region.hotspots.risk_bands).any()
    found = [
        Finding(
            "risks.open",
            "concern" if serious else "watch",
            f"{_plural(len(open_risks), 'open risk')}: {', '.join(parts)}",
            open_risks,
        )
    ]
    overdue = open_risks[open_risks["review_overdue"]]
    if not overdue.empty:
        found.append(
            Finding(
                "risks.review_overdue",
                "watch",
                f"{_plural(len(overdue), 'open risk')} past"
                f" {'its' if len(overdue) == 1 else 'their'} review date",
                overdue,
            )
        )
    return found


def _intervention_findings(interventions: pd.DataFrame) -> list[Finding]:
    found = []
    triggered = interventions[interventions["intervention"] == TRIGGERED]
    if not triggered.empty:
        uncovered = int(triggered["covering_visit_id"].isna().sum())
        need = "needs" if len(triggered) == 1 else "need"
        found.append(
            Finding(
                "interventions.triggered",
                "concern" if uncovered else "watch",
                f"{_plural(len(triggered), 'risk')} {need} a triggered visit"
                f" ({_arranged(uncovered, len(triggered))})",
                triggered,
            )
        )
    learner = interventions[interventions["intervention"] == LEARNER_EDUCATOR]
    if not learner.empty:
        need = "needs" if len(learner) == 1 else "need"
        uncovered = int(learner["covering_visit_id"].isna().sum())
        found.append(
            Finding(
                "interventions.learner_educator",
                "watch",
                f"{_plural(len(learner), 'risk')} {need} a learner/educator visit"
                f" ({_arranged(uncovered, len(learner))})",
                learner,
            )
        )
    desktop = interventions[interventions["intervention"] == DESKTOP]
    if not desktop.empty:
        found.append(
            Finding(
                "interventions.desktop",
                "watch",
                f"{_plural(len(desktop), 'risk')} monitored by desktop review",
                desktop,
            )
        )
    return found


def _hotspot_findings(hotspots: pd.DataFrame) -> list[Finding]:
    if hotspots.empty:
        return []
    places = "; ".join(f"{row.specialty} at {row.site}" for row in hotspots.itertuples())
    return [
        Finding("hotspots", "concern", f"{_plural(len(hotspots), 'hotspot')}: {places}", hotspots)
    ]


def _nts_findings(nts: pd.DataFrame, region: RegionConfig) -> list[Finding]:
    found = []
    persistent = calc_persistent_reds(nts, region)
    current = persistent[persistent["current"]]
    for (site, specialty), group in current.groupby(["site", "specialty"], sort=True):
        years = int(group["years_red"].max())
        indicators = ", ".join(sorted(group["indicator"]))
        found.append(
            Finding(
                f"nts.persistent_red.{site}.{specialty}",
                "concern",
                f"Red NTS outcomes in {specialty} at {site} for {years} years ({indicators})",
                group.reset_index(drop=True),
            )
        )
    latest = nts["year"].max()
    counts = calc_outcome_counts(nts[nts["year"] == latest], by=("year",)).iloc[0]
    text = (
        f"NTS {latest}: {counts['red']} red, {counts['pink']} pink, {counts['light green']} light"
        f" green and {counts['green']} green outcomes"
    )
    severity = "watch" if counts["red"] or counts["pink"] else "positive"
    found.append(Finding("nts.latest", severity, text, nts[nts["year"] == latest]))
    return found


def _action_findings(tracker: pd.DataFrame, region: RegionConfig) -> list[Finding]:
    found = []
    overdue = tracker[tracker["overdue"]]
    for kind, key, severity in (
        (IMMEDIATE, "actions.immediate_overdue", "concern"),
        ("mandatory requirement", "actions.mandatory_overdue", "concern"),
        ("recommendation", "actions.recommendation_overdue", "watch"),
    ):
        rows = overdue[overdue[A.kind] == kind]
        if not rows.empty:
            found.append(Finding(key, severity, f"{_plural(len(rows), kind)} overdue", rows))
    late = tracker[tracker["due_too_late"]]
    if not late.empty:
        days = region.immediate_requirement_working_days
        found.append(
            Finding(
                "actions.immediate_due_too_late",
                "watch",
                f"{_plural(len(late), IMMEDIATE)} due more than {days} working days"
                " after the visit",
                late,
            )
        )
    open_actions = tracker[
        (tracker[A.status] != "closed") & (tracker[A.kind] != "notable practice")
    ]
    if overdue.empty and not open_actions.empty:
        found.append(
            Finding(
                "actions.on_track",
                "positive",
                f"{_plural(len(open_actions), 'open action')}, none overdue",
                open_actions,
            )
        )
    return found


def _annual_review_finding(code: str, visits: pd.DataFrame, review_year: str) -> Finding:
    review = calc_annual_review(code, visits, review_year)
    row = review.iloc[0]
    if row["visit_id"] is None:
        text = f"No annual education quality review recorded for {review_year}"
        return Finding("annual_review", "watch", text, review)
    date = pd.Timestamp(row["date"]).strftime("%d %B %Y").lstrip("0")
    text = f"Annual education quality review {review_year}: {date} ({row['visit_id']})"
    return Finding("annual_review", "positive", text, review)


def _funding_findings(
    funding: pd.DataFrame, learners: pd.DataFrame, review_year: str
) -> list[Finding]:
    totals = calc_funding(funding, learners, by=())
    year = totals[totals["year"] == review_year]
    if year.empty or pd.isna(year.iloc[0]["utilisation_pct"]):
        return []
    row = year.iloc[0]
    text = (
        f"Funding utilisation {row['utilisation_pct']:.0f}% in {review_year}"
        f" ({_gbp(row['spent'])} spent of {_gbp(row['allocated'])} allocated)"
    )
    # No configured target exists for utilisation, so it is reported for the panel to judge.
    return [Finding("funding.utilisation", "watch", text, year.reset_index(drop=True))]


def _lda_findings(lda: pd.DataFrame, review_year: str) -> list[Finding]:
    compliance = calc_lda_compliance(lda, review_year)
    if compliance.empty:
        return []
    count = compliance.set_index("status")["count"]
    total = int(count.sum())
    compliant = int(count["compliant"])
    if count["not compliant"]:
        severity = "concern"
    elif count["partial"]:
        severity = "watch"
    else:
        severity = "positive"
    rows = calc_lda_non_compliant(lda, review_year)
    text = f"LDA: {compliant} of {_plural(total, 'item')} compliant"
    return [Finding("lda", severity, text, rows if not rows.empty else compliance)]


def _guardian_findings(reports: pd.DataFrame, review_year: str) -> list[Finding]:
    rows = reports[reports[E.quarter].str.startswith(review_year)]
    if rows.empty:
        return []
    education = int(rows[E.education_reports].sum())
    safety = int(rows[E.safety_reports].sum())
    hours = int(rows[E.hours_reports].sum())
    text = (
        f"Guardian of safe working {review_year}: {_plural(hours, 'hours report')},"
        f" {_plural(education, 'education report')}, {_plural(safety, 'safety report')}"
    )
    # Exception reports are how resident doctors raise problems; their number is for the panel
    # to weigh against the trust's size, so any report is something to watch, not a verdict.
    severity = "watch" if safety or education or hours else "positive"
    return [Finding("guardian", severity, text, rows.reset_index(drop=True))]


def _staff_survey_findings(staff: pd.DataFrame, region: RegionConfig) -> list[Finding]:
    scores = calc_staff_survey(staff, region)
    scores = scores[~scores["suppressed"]]
    if scores.empty:
        return []
    latest = scores[scores["year"] == scores["year"].max()]
    found = []
    below = latest[latest["gap_to_average"] < 0].sort_values(["gap_to_average", "element"])
    for _, row in below.iterrows():
        gap = abs(row["gap_to_average"])
        shown = f"{gap:.1f}" if round(gap, 1) else f"{gap:.2f}"
        severity = "concern" if row["position"] == "worst" else "watch"
        where = "the lowest in its benchmark group" if severity == "concern" else ""
        text = f"Staff survey: '{row['element']}' {shown} below the benchmark average"
        text += f" ({where})" if where else ""
        found.append(Finding(f"staff_survey.{row['element']}", severity, text, row.to_frame().T))
    above = latest[latest["gap_to_average"] > 0]
    if not above.empty:
        text = (
            f"Staff survey {int(latest['year'].iloc[0])}: {len(above)} of"
            f" {_plural(len(latest), 'element')} above the benchmark average"
        )
        found.append(Finding("staff_survey.above", "positive", text, above.reset_index(drop=True)))
    return found


def _cqc_findings(latest: pd.DataFrame) -> list[Finding]:
    found = []
    for _, row in latest[latest["rating"].notna()].iterrows():
        question, rating = row["key_question"], row["rating"]
        severity = _CQC_SEVERITY[rating]
        if question != "overall" and severity == "positive":
            continue
        date = pd.Timestamp(row["publication_date"]).strftime("%B %Y")
        label = "overall rating" if question == "overall" else f"'{question}' rated"
        text = f"CQC {label}: {rating} (published {date})"
        if row["level"] == "location":
            text += f", from location {row['location_name']}"
        found.append(Finding(f"cqc.{question}", severity, text, row.to_frame().T))
    return found


def _good_practice_findings(good: pd.DataFrame, review_year: str) -> list[Finding]:
    start, end = fy_bounds(review_year)
    dates = pd.to_datetime(good[G.date])
    rows = good[(dates >= start) & (dates <= end)].sort_values([G.date, G.site, G.specialty])
    if rows.empty:
        return []
    text = f"{_plural(len(rows), 'example')} of good practice noted in {review_year}"
    return [Finding("good_practice", "positive", text, rows.reset_index(drop=True))]
