"""The data contract: one pandera model per dataset (the docs' data dictionary is built from it).

Column names here are the canonical ones; loaders map exported headers onto them, parse the
quirks people's exports have, and then validate with these models.  Metrics refer to columns
through these models (``RiskSchema.likelihood``) rather than scattered strings.

:data:`DATASETS` gives each dataset's model, its path under the data directory, whether it is
required, and whether it is a trust's local data (one trust per row, never shown to another
trust) or national public data.

:data:`KEY_COLUMNS` gives each dataset's key: the columns that say what a row is about (a
survey result is one survey, year, trust, site, programme group, specialty and indicator).  A
key appears on one row only; loaders report a row that repeats the key of an earlier row, with
both row numbers.  Rows are never combined: no export that qv reads is known to repeat a key
legitimately, and summing or dropping repeats would hide a file appended to itself, which
doubles headcounts, funding and red outcomes.  Data that does need combining (for example
site-level rows of a trust-level dataset) is combined before it is loaded, so that the file
says what the packs show.  A missing value in a nullable key column (a trust-level FFT or
CQC row has no site) is a value like any other: two such rows with the rest of the key equal
are repeats.

Risk ids name files (visit briefs are ``<pack>-<risk id>.html``), so they are limited to
:data:`RISK_ID_PATTERN` and :data:`RISK_ID_MAX_LENGTH`, and loaders refuse two that differ
only in letter case (one file on Windows and macOS).
"""

from __future__ import annotations

from typing import NamedTuple

import pandera.pandas as pa
from pandera.typing.pandas import Series

from qvlib.config import CQC_RATINGS

TRUST_TYPES = ["acute", "mental health", "community", "ambulance"]
PROFESSION_GROUPS = [
    "medical",
    "dental",
    "nursing",
    "midwifery",
    "allied health",
    "pharmacy",
    "healthcare science",
    "paramedic",
    "psychology",
    "other",
]
FUNDING_STREAMS = ["placement tariff", "salary support", "education infrastructure", "other"]
RISK_STATUSES = ["open", "monitoring", "closed"]
LDA_STATUSES = ["compliant", "partial", "not compliant"]
SELF_RATINGS = ["meets", "partially meets", "does not meet"]
SURVEYS = ["NTS", "NETS"]
NTS_OUTCOMES = ["red", "pink", "white", "light green", "green", "not reported", "no result"]
ACTION_KINDS = [
    "immediate mandatory requirement",
    "mandatory requirement",
    "recommendation",
    "notable practice",
]
ACTION_STATUSES = ["open", "in progress", "closed"]
ATTENDANCE = ["attended", "apologies", "invited"]
FFT_SETTINGS = [
    "inpatient",
    "a&e",
    "maternity",
    "outpatient",
    "community",
    "mental health",
    "ambulance",
]
FFT_ANSWERS = ["very_good", "good", "neither", "poor", "very_poor", "dont_know"]
CQC_KEY_QUESTIONS = ["safe", "effective", "caring", "responsive", "well-led", "overall"]

#: A risk id that can name a file: letters, digits, ".", "_" and "-", from a letter or digit.
RISK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RISK_ID_MAX_LENGTH = 64

FY = r"^\d{4}/\d{2}$"  # financial year, e.g. 2024/25
QUARTER = r"^\d{4}/\d{2} Q[1-4]$"  # financial quarter, e.g. 2024/25 Q3
MONTH = r"^\d{4}-\d{2}$"  # calendar month, e.g. 2025-04


def split_list(value: object) -> set[str]:
    """The items of a ';'-separated list cell (``linked_risk_ids``, ``panel_roles``)."""
    if not isinstance(value, str):
        return set()
    return {part.strip() for part in value.split(";") if part.strip()}


class _Base(pa.DataFrameModel):
    class Config:
        strict = True  # no columns beyond the contract (loaders drop known extras first)
        coerce = False  # loaders parse; the schema checks


class TrustSchema(_Base):
    """``local/trusts.csv``: the trusts of the region."""

    trust_code: Series[str] = pa.Field(str_matches=r"^[A-Z0-9]{3,5}$")
    trust_name: Series[str]
    trust_type: Series[str] = pa.Field(isin=TRUST_TYPES)
    icb: Series[str]
    sites: Series[str] = pa.Field(description="site names separated by ';'")


class LearnerSchema(_Base):
    """``local/learners.csv``: learners by trust, year, profession and programme."""

    trust_code: Series[str]
    year: Series[str] = pa.Field(str_matches=FY)
    profession_group: Series[str] = pa.Field(isin=PROFESSION_GROUPS)
    programme: Series[str]
    headcount: Series[int] = pa.Field(ge=0)
    fte: Series[float] = pa.Field(ge=0)


class FundingSchema(_Base):
    """``local/funding.csv``: education funding allocated and spent, GBP."""

    trust_code: Series[str]
    year: Series[str] = pa.Field(str_matches=FY)
    stream: Series[str] = pa.Field(isin=FUNDING_STREAMS)
    profession_group: Series[str] = pa.Field(isin=PROFESSION_GROUPS)
    allocated_gbp: Series[float] = pa.Field(ge=0)
    spent_gbp: Series[float] = pa.Field(ge=0)


class ProgrammeSchema(_Base):
    """``local/programmes.csv``: training posts and learners in post by site and specialty."""

    trust_code: Series[str]
    site: Series[str]
    profession_group: Series[str] = pa.Field(isin=PROFESSION_GROUPS)
    programme: Series[str]
    specialty: Series[str]
    posts: Series[int] = pa.Field(ge=0)
    learners_in_post: Series[int] = pa.Field(ge=0)


class RiskSchema(_Base):
    """``local/risks.csv``: the education and training risk/concern register."""

    risk_id: Series[str] = pa.Field(
        str_matches=RISK_ID_PATTERN, str_length={"max_value": RISK_ID_MAX_LENGTH}
    )
    trust_code: Series[str]
    site: Series[str]
    specialty: Series[str]
    learner_group: Series[str]
    domain: Series[str]
    theme: Series[str]
    summary: Series[str]
    source: Series[str]
    opened: Series[pa.DateTime]
    likelihood: Series[int] = pa.Field(ge=1, le=5)
    consequence: Series[int] = pa.Field(ge=1, le=5)
    patient_safety: Series[bool]
    status: Series[str] = pa.Field(isin=RISK_STATUSES)
    closed: Series[pa.DateTime] = pa.Field(nullable=True)
    owner: Series[str]
    review_due: Series[pa.DateTime] = pa.Field(nullable=True)
    isf_level: Series[str] = pa.Field(nullable=True)
    escalated: Series[str] = pa.Field(nullable=True)


class RiskHistorySchema(_Base):
    """``local/risk_history.csv`` (optional): a risk's rating from each date it was set.

    One row per risk and date: the likelihood, consequence, Intensive Support Framework level and
    escalation the risk had from that date until the next row.  The first row of a risk is its
    rating when opened.  A review as at a date takes each risk's latest row on or before it;
    without rows the register's current values are used (and the pack says so).
    """

    risk_id: Series[str]
    date: Series[pa.DateTime]
    likelihood: Series[int] = pa.Field(ge=1, le=5)
    consequence: Series[int] = pa.Field(ge=1, le=5)
    isf_level: Series[str] = pa.Field(nullable=True)
    escalated: Series[str] = pa.Field(nullable=True)


class SiteSchema(_Base):
    """``local/sites.csv`` (optional): the code and name of each site of a trust (ODS)."""

    trust_code: Series[str]
    site_code: Series[str]
    site_name: Series[str]


class ExceptionReportSchema(_Base):
    """``local/exception_reports.csv``: Guardian of Safe Working Hours quarterly returns."""

    trust_code: Series[str]
    quarter: Series[str] = pa.Field(str_matches=QUARTER)
    grade: Series[str]
    specialty: Series[str]
    hours_reports: Series[int] = pa.Field(ge=0)
    education_reports: Series[int] = pa.Field(ge=0)
    safety_reports: Series[int] = pa.Field(ge=0)
    fines_gbp: Series[float] = pa.Field(ge=0)


class SelfAssessmentSchema(_Base):
    """``local/self_assessment.csv``: the trust's self-assessment against the framework."""

    trust_code: Series[str]
    year: Series[str] = pa.Field(str_matches=FY)
    domain: Series[str]
    self_rating: Series[str] = pa.Field(isin=SELF_RATINGS)
    summary: Series[str]


class LdaComplianceSchema(_Base):
    """``local/lda_compliance.csv``: Learning and Development Agreement schedule items."""

    trust_code: Series[str]
    year: Series[str] = pa.Field(str_matches=FY)
    schedule_item: Series[str]
    status: Series[str] = pa.Field(isin=LDA_STATUSES)
    note: Series[str] = pa.Field(nullable=True)


class SurveyResultSchema(_Base):
    """``local/survey_results.csv``: GMC NTS (mean 0-100) and NETS (% positive) results.

    ``score`` is the NTS mean or the NETS % positive; a suppressed cell is missing (NaN).
    """

    survey: Series[str] = pa.Field(isin=SURVEYS)
    year: Series[int] = pa.Field(ge=2000, le=2100)
    trust_code: Series[str]
    site: Series[str]
    programme_group: Series[str]
    specialty: Series[str]
    indicator: Series[str]
    n: Series[int] = pa.Field(ge=0)
    score: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    ci_lower: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    ci_upper: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    benchmark_mean: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    benchmark_q1: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    benchmark_q3: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    benchmark_ci_lower: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    benchmark_ci_upper: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    outcome: Series[str] = pa.Field(isin=NTS_OUTCOMES, nullable=True)


class GoodPracticeSchema(_Base):
    """``local/good_practice.csv``: good practice noted in the trust."""

    trust_code: Series[str]
    date: Series[pa.DateTime]
    site: Series[str]
    specialty: Series[str]
    summary: Series[str]
    source: Series[str]


class VisitSchema(_Base):
    """``local/visits.csv``: quality interventions carried out.

    ``visit_type`` is canonical (triggered, learner_educator, aeqr, desktop); loaders map the
    newer names configured in ``region.yaml`` onto it.  ``linked_risk_ids`` and ``panel_roles``
    are ';'-separated lists.
    """

    visit_id: Series[str]
    trust_code: Series[str]
    visit_type: Series[str] = pa.Field(isin=["triggered", "learner_educator", "aeqr", "desktop"])
    date: Series[pa.DateTime]
    site: Series[str] = pa.Field(nullable=True)
    specialty: Series[str] = pa.Field(nullable=True)
    linked_risk_ids: Series[str] = pa.Field(nullable=True)
    panel_roles: Series[str] = pa.Field(nullable=True)
    outcome_summary: Series[str]


class VisitActionSchema(_Base):
    """``local/visit_actions.csv``: requirements and recommendations from visits."""

    visit_id: Series[str]
    ref: Series[str]
    kind: Series[str] = pa.Field(isin=ACTION_KINDS)
    domain: Series[str]
    finding: Series[str]
    required_action: Series[str]
    evidence: Series[str] = pa.Field(nullable=True)
    owner: Series[str]
    due: Series[pa.DateTime]
    status: Series[str] = pa.Field(isin=ACTION_STATUSES)
    closed: Series[pa.DateTime] = pa.Field(nullable=True)


class CommitmentSchema(_Base):
    """``local/commitments.csv`` (optional): what was agreed at an annual review, and progress.

    ``visit_id`` is the annual education quality review (a visit) where it was agreed; the next
    year's pack reports where each stands.
    """

    trust_code: Series[str]
    visit_id: Series[str]
    ref: Series[str]
    commitment: Series[str]
    owner: Series[str]
    due: Series[pa.DateTime]
    status: Series[str] = pa.Field(isin=ACTION_STATUSES)
    closed: Series[pa.DateTime] = pa.Field(nullable=True)
    progress: Series[str] = pa.Field(nullable=True)


class MeetingAttendeeSchema(_Base):
    """``local/meeting_attendees.csv`` (optional): who attended a meeting, or sent apologies.

    ``visit_id`` is the meeting (a visit, e.g. the annual education quality review);
    ``organisation`` is ``region`` or ``trust``.
    """

    visit_id: Series[str]
    organisation: Series[str] = pa.Field(isin=["region", "trust"])
    role: Series[str]
    name: Series[str]
    attendance: Series[str] = pa.Field(isin=ATTENDANCE)


class HotspotSchema(_Base):
    """``local/hotspots.csv`` (optional): hotspots the team lists by hand."""

    trust_code: Series[str]
    site: Series[str]
    specialty: Series[str]
    reason: Series[str]


class FftSchema(_Base):
    """``national/fft.csv``: Friends and Family Test monthly answer counts by setting."""

    org_code: Series[str]
    period: Series[str] = pa.Field(str_matches=MONTH)
    setting: Series[str] = pa.Field(isin=FFT_SETTINGS)
    very_good: Series[float] = pa.Field(ge=0, nullable=True)
    good: Series[float] = pa.Field(ge=0, nullable=True)
    neither: Series[float] = pa.Field(ge=0, nullable=True)
    poor: Series[float] = pa.Field(ge=0, nullable=True)
    very_poor: Series[float] = pa.Field(ge=0, nullable=True)
    dont_know: Series[float] = pa.Field(ge=0, nullable=True)
    total_responses: Series[int] = pa.Field(ge=0)
    eligible: Series[float] = pa.Field(ge=0, nullable=True)


class NhsWebsiteRatingSchema(_Base):
    """``national/nhs_website_ratings.csv`` (optional): NHS website star ratings."""

    org_code: Series[str]
    site_code: Series[str] = pa.Field(nullable=True)
    stars: Series[float] = pa.Field(ge=1, le=5)
    ratings: Series[int] = pa.Field(ge=0)
    period: Series[str] = pa.Field(str_matches=MONTH)


class CqcRatingSchema(_Base):
    """``national/cqc_ratings.csv``: CQC ratings in the published long shape."""

    provider_id: Series[str]
    location_id: Series[str] = pa.Field(nullable=True)
    location_name: Series[str]
    service_group: Series[str]
    key_question: Series[str] = pa.Field(isin=CQC_KEY_QUESTIONS)
    rating: Series[str] = pa.Field(isin=CQC_RATINGS)
    publication_date: Series[pa.DateTime]


class StaffSurveySchema(_Base):
    """``national/staff_survey.csv``: NHS Staff Survey People Promise scores vs benchmark."""

    org_code: Series[str]
    year: Series[int] = pa.Field(ge=2000, le=2100)
    element: Series[str]
    sub_score: Series[str] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(ge=0, le=10, nullable=True)
    benchmark_group: Series[str]
    benchmark_best: Series[float] = pa.Field(ge=0, le=10)
    benchmark_average: Series[float] = pa.Field(ge=0, le=10)
    benchmark_worst: Series[float] = pa.Field(ge=0, le=10)
    responses: Series[int] = pa.Field(ge=0)


class DatasetSpec(NamedTuple):
    """Where a dataset lives and how it is treated."""

    schema: type[_Base]
    required: bool
    file: str  # path under the data directory
    local: bool  # a trust's local data (True) or national public data (False)


#: Every dataset by name; the name is the attribute on a loaded dataset.
DATASETS: dict[str, DatasetSpec] = {
    "trusts": DatasetSpec(TrustSchema, True, "local/trusts.csv", True),
    "learners": DatasetSpec(LearnerSchema, True, "local/learners.csv", True),
    "funding": DatasetSpec(FundingSchema, True, "local/funding.csv", True),
    "programmes": DatasetSpec(ProgrammeSchema, True, "local/programmes.csv", True),
    "risks": DatasetSpec(RiskSchema, True, "local/risks.csv", True),
    "risk_history": DatasetSpec(RiskHistorySchema, False, "local/risk_history.csv", True),
    "sites": DatasetSpec(SiteSchema, False, "local/sites.csv", True),
    "exception_reports": DatasetSpec(
        ExceptionReportSchema, True, "local/exception_reports.csv", True
    ),
    "self_assessment": DatasetSpec(SelfAssessmentSchema, True, "local/self_assessment.csv", True),
    "lda_compliance": DatasetSpec(LdaComplianceSchema, True, "local/lda_compliance.csv", True),
    "survey_results": DatasetSpec(SurveyResultSchema, True, "local/survey_results.csv", True),
    "good_practice": DatasetSpec(GoodPracticeSchema, True, "local/good_practice.csv", True),
    "visits": DatasetSpec(VisitSchema, True, "local/visits.csv", True),
    "visit_actions": DatasetSpec(VisitActionSchema, True, "local/visit_actions.csv", True),
    "commitments": DatasetSpec(CommitmentSchema, False, "local/commitments.csv", True),
    "meeting_attendees": DatasetSpec(
        MeetingAttendeeSchema, False, "local/meeting_attendees.csv", True
    ),
    "hotspots": DatasetSpec(HotspotSchema, False, "local/hotspots.csv", True),
    "fft": DatasetSpec(FftSchema, True, "national/fft.csv", False),
    "nhs_website_ratings": DatasetSpec(
        NhsWebsiteRatingSchema, False, "national/nhs_website_ratings.csv", False
    ),
    "cqc_ratings": DatasetSpec(CqcRatingSchema, True, "national/cqc_ratings.csv", False),
    "staff_survey": DatasetSpec(StaffSurveySchema, True, "national/staff_survey.csv", False),
}

#: The key of each dataset: the columns whose values one row alone may have (see above).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "trusts": ("trust_code",),
    "learners": ("trust_code", "year", "profession_group", "programme"),
    "funding": ("trust_code", "year", "stream", "profession_group"),
    "programmes": ("trust_code", "site", "profession_group", "programme", "specialty"),
    "risks": ("risk_id",),
    "exception_reports": ("trust_code", "quarter", "grade", "specialty"),
    "self_assessment": ("trust_code", "year", "domain"),
    "lda_compliance": ("trust_code", "year", "schedule_item"),
    "survey_results": (
        "survey",
        "year",
        "trust_code",
        "site",
        "programme_group",
        "specialty",
        "indicator",
    ),
    "good_practice": ("trust_code", "date", "site", "specialty", "summary"),
    "visits": ("visit_id",),
    "visit_actions": ("visit_id", "ref"),
    "risk_history": ("risk_id", "date"),
    "sites": ("site_code",),
    "commitments": ("visit_id", "ref"),
    "meeting_attendees": ("visit_id", "organisation", "role"),
    "hotspots": ("trust_code", "site", "specialty"),
    "fft": ("org_code", "period", "setting"),
    "nhs_website_ratings": ("org_code", "site_code", "period"),
    "cqc_ratings": (
        "provider_id",
        "location_id",
        "service_group",
        "key_question",
        "publication_date",
    ),
    "staff_survey": ("org_code", "year", "element", "sub_score"),
}

#: The column of each local dataset that says whose data a row is (visit_actions and
#: meeting_attendees via visits, risk_history via risks).
TRUST_COLUMN: dict[str, str] = {
    "trusts": "trust_code",
    "learners": "trust_code",
    "funding": "trust_code",
    "programmes": "trust_code",
    "risks": "trust_code",
    "sites": "trust_code",
    "exception_reports": "trust_code",
    "self_assessment": "trust_code",
    "lda_compliance": "trust_code",
    "survey_results": "trust_code",
    "good_practice": "trust_code",
    "visits": "trust_code",
    "hotspots": "trust_code",
    "commitments": "trust_code",
    "fft": "org_code",
    "nhs_website_ratings": "org_code",
    "cqc_ratings": "provider_id",
    "staff_survey": "org_code",
}
