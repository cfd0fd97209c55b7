"""Typed parameters: ``parameters/region.yaml`` and ``parameters/trusts/<ODS>.yaml``.

Parameters are parsed into pydantic models before anything runs.  An unknown key, a missing
field or a bad value raises :class:`~qvlib.errors.ConfigError` naming the file, the key, the bad
value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qvlib.errors import ConfigError, QvError
from qvlib.project import current_project

_M = TypeVar("_M", bound=BaseModel)

TRUST_TYPES = ("acute", "mental health", "community", "ambulance")
REVIEW_YEAR_RE = re.compile(r"([0-9]{4})/([0-9]{2})")
ODS_RE = re.compile(r"^[A-Z0-9]{3,5}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: The base of every settings model: unknown keys are errors, values are frozen.
StrictModel = _Strict


class RiskBand(_Strict):
    name: str
    min: Annotated[int, Field(ge=1, le=25)]
    max: Annotated[int, Field(ge=1, le=25)]


class RiskSettings(_Strict):
    bands: list[RiskBand]
    review_overdue_after_days: Annotated[int, Field(ge=0)] = 0
    isf_levels: list[str]

    @field_validator("bands")
    @classmethod
    def _bands_cover_scores(cls, bands: list[RiskBand]) -> list[RiskBand]:
        """Bands must cover every achievable score 1-25 once (7, 11, 13, ... are not products)."""
        achievable = sorted({lik * con for lik in range(1, 6) for con in range(1, 6)})
        for score in achievable:
            hits = [b.name for b in bands if b.min <= score <= b.max]
            if len(hits) != 1:
                raise ValueError(
                    f"score {score} falls in {len(hits)} bands {hits}; every score 1-25 that "
                    "likelihood x consequence can give must fall in exactly one band"
                )
        return bands

    def band_names(self) -> list[str]:
        """Band names from the lowest scores to the highest.

        >>> load_region_cached().risk.band_names()
        ['low', 'moderate', 'high', 'extreme']
        """
        return [b.name for b in sorted(self.bands, key=lambda b: b.min)]


class InterventionSettings(_Strict):
    triggered_visit_bands: list[str]
    triggered_visit_bands_with_patient_safety: list[str]
    learner_educator_themes: list[str]
    open_statuses: list[str]


class SuppressionRule(_Strict):
    threshold: Annotated[int, Field(ge=1)]
    secondary: bool = False


class SuppressionSettings(_Strict):
    nts: SuppressionRule
    nets: SuppressionRule
    staff_survey: SuppressionRule
    fft: SuppressionRule
    marker: str = "*"


Severity = Literal["concern", "watch", "positive"]


class SurveyPublication(_Strict):
    """When a survey's results of year Y are published: ``day``/``month`` of Y + ``years_after``."""

    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=28)] = 1
    years_after: Annotated[int, Field(ge=0, le=2)] = 0

    def date(self, year: int) -> dt.date:
        """The day results of survey year ``year`` were (or will be) published.

        >>> SurveyPublication(month=7).date(2025)
        datetime.date(2025, 7, 1)
        """
        return dt.date(int(year) + self.years_after, self.month, self.day)


class PublicationSettings(_Strict):
    """When each source's figures become known (a review as at a date shows nothing later)."""

    nts: SurveyPublication
    nets: SurveyPublication
    staff_survey: SurveyPublication
    fft_days_after_month: Annotated[int, Field(ge=0)] = 42
    website_days_after_month: Annotated[int, Field(ge=0)] = 0
    guardian_days_after_quarter: Annotated[int, Field(ge=0)] = 0
    annual_days_after_year: Annotated[int, Field(ge=0)] = 0

    def survey(self, name: str) -> SurveyPublication:
        """The publication rule of ``"NTS"``, ``"NETS"`` or ``"staff_survey"``.

        >>> load_region().publication.survey("staff_survey").date(2024)
        datetime.date(2025, 3, 1)
        """
        return {"NTS": self.nts, "NETS": self.nets, "staff_survey": self.staff_survey}[name]


class HolidaySource(_Strict):
    """Public holidays from the maintained ``holidays`` library (country and subdivision)."""

    country: str = "GB"
    subdivision: str | None = "ENG"

    @model_validator(mode="after")
    def _known(self) -> HolidaySource:
        import holidays

        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision, years=2025)
        except NotImplementedError as exc:
            raise ValueError(f"the holidays library does not know this calendar: {exc}") from None
        return self


class DocumentSettings(_Strict):
    """Who issues the packs and how they are marked (header, footer, every printed page)."""

    contact: Annotated[str, Field(min_length=3)]
    marking: Annotated[str, Field(min_length=1)]


class CalendarSettings(_Strict):
    """Working days: Monday to Friday, less public holidays and extra closed days."""

    holidays: HolidaySource = HolidaySource()
    extra_closed_days: list[dt.date] = []

    def closed_days(self, first_year: int, last_year: int) -> list[dt.date]:
        """Every non-working weekday from ``first_year`` to ``last_year`` inclusive, sorted.

        >>> CalendarSettings().closed_days(2025, 2025)[-2:]  # Christmas and Boxing Day
        [datetime.date(2025, 12, 25), datetime.date(2025, 12, 26)]
        """
        import holidays

        public = holidays.country_holidays(
            self.holidays.country,
            subdiv=self.holidays.subdivision,
            years=range(first_year, last_year + 1),
        )
        return sorted(set(public) | set(self.extra_closed_days))


class UtilisationBand(_Strict):
    """A range of funding utilisation (% of allocated spent) and the headline severity it has."""

    min: Annotated[float, Field(ge=0)]
    max: Annotated[float, Field(ge=0)]
    severity: Severity


#: CQC ratings as qv writes them (lower case), best first; the schemas check data against them.
CQC_RATINGS = ["outstanding", "good", "requires improvement", "inadequate", "not rated"]


class HeadlineSettings(_Strict):
    """What makes a headline finding, and how serious it is."""

    cqc_severity: dict[str, Severity]
    funding_utilisation: Annotated[list[UtilisationBand], Field(min_length=1)]
    staff_survey_min_gap: Annotated[float, Field(ge=0)] = 0.1
    min_count: Annotated[int, Field(ge=1)] = 1

    @field_validator("cqc_severity")
    @classmethod
    def _every_rating(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        missing = [r for r in CQC_RATINGS if r not in value]
        unknown = [r for r in value if r not in CQC_RATINGS]
        if missing or unknown:
            raise ValueError(
                f"give a severity for each CQC rating {CQC_RATINGS}; missing {missing}, "
                f"unknown {unknown}"
            )
        return value

    def utilisation_severity(self, pct: float) -> Severity:
        """The severity of a funding utilisation (the first band holding it; else concern).

        >>> bands = load_region().headlines
        >>> bands.utilisation_severity(97.0), bands.utilisation_severity(60.0)
        ('positive', 'concern')
        """
        for band in self.funding_utilisation:
            if band.min <= pct <= band.max:
                return band.severity
        return "concern"


class HotspotSettings(_Strict):
    consecutive_red_years: Annotated[int, Field(ge=2)] = 2
    reds_in_latest_year: Annotated[int, Field(ge=1)] = 3
    risk_bands: list[str]


class SpcSettings(_Strict):
    run_length: Annotated[int, Field(ge=2)] = 7
    screen_outliers: bool = True
    min_points: Annotated[int, Field(ge=2)] = 13
    baseline_points: Annotated[int, Field(ge=12)] | None = None


class AgendaItem(_Strict):
    item: str
    lead: str


class AnnualReviewSettings(_Strict):
    """The annual education quality review meeting: its agenda."""

    agenda: Annotated[list[AgendaItem], Field(min_length=1)]


class Attendees(_Strict):
    regional: list[str]
    trust: list[str]


class ActionSettings(_Strict):
    """How a visit action's RAG status is set at the as-at date."""

    #: An open action due within this many days is amber.
    amber_within_days: Annotated[int, Field(ge=0)] = 14


class VisitSession(_Strict):
    """One session of a visit: who the panel meets, for how long and why."""

    session: str
    minutes: Annotated[int, Field(ge=5)]
    purpose: str


class TriggeredVisitSettings(_Strict):
    """The timeline, panel and sessions of a triggered visit."""

    target_working_days: Annotated[int, Field(ge=1)] = 20
    report_working_days: Annotated[int, Field(ge=1)] = 15
    panel: Annotated[list[str], Field(min_length=1)]
    sessions: Annotated[list[VisitSession], Field(min_length=1)]


class LearnerEducatorVisitSettings(_Strict):
    """The timeline, panel, invitation and disclosure rule of a learner and educator visit."""

    target_working_days: Annotated[int, Field(ge=1)] = 30
    report_working_days: Annotated[int, Field(ge=1)] = 15
    panel: Annotated[list[str], Field(min_length=1)]
    invitation: str
    disclosure: str


class BriefSettings(_Strict):
    """Settings of the visit briefs."""

    triggered_visit: TriggeredVisitSettings
    learner_educator_visit: LearnerEducatorVisitSettings


Audience = Literal["learners", "educators", "leaders"]


class QuestionBank(_Strict):
    """``parameters/question_bank.yaml``: what a panel asks, by theme and by domain."""

    #: Risk theme -> audience -> questions.
    themes: dict[str, dict[Audience, list[str]]] = {}
    #: Quality framework domain -> questions.
    domains: dict[str, list[str]] = {}


class LearnerEducatorFormats(_Strict):
    """How a learner/educator visit brief recommends meeting learners.

    Learners are heard one at a time (a drop-in clinic) on the themes of
    ``interventions.learner_educator_themes``, or when fewer than ``small_group_below`` are in
    post.
    """

    #: Fewer learners in post than this at the environment: a drop-in clinic, not a group.
    small_group_below: Annotated[int, Field(ge=1)] = 10
    #: The recommended way of holding the sessions; the other is offered alongside.
    mode: Literal["face-to-face", "virtual"] = "face-to-face"


class NationalSettings(_Strict):
    """How the packs read national (public) data: ``national`` in region.yaml."""

    #: GMC NTS specialty -> the CQC service groups (core services) that rate the same care, so
    #: that a hotspot's CQC ratings can be found.  Names as the data spells them.
    cqc_service_groups: dict[str, Annotated[list[str], Field(min_length=1)]] = {}
    #: Which way a change in guardian of safe working exception reports is an improvement for
    #: the control chart: ``neutral`` (more reports may mean more problems or a better reporting
    #: culture), ``decrease`` or ``increase``.
    guardian_improvement: Literal["increase", "decrease", "neutral"] = "neutral"

    @field_validator("cqc_service_groups")
    @classmethod
    def _named(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        blank = [
            k for k, groups in value.items() if not k.strip() or not all(g.strip() for g in groups)
        ]
        if blank:
            raise ValueError(f"specialty and service group names must not be blank: {blank}")
        return value

    def specialties_of(self, service_group: str) -> list[str]:
        """The NTS specialties mapped to a CQC service group (case and spacing ignored).

        >>> load_region().national.specialties_of("critical  CARE")
        ['Anaesthetics', 'Intensive Care Medicine']
        """
        wanted = " ".join(service_group.split()).casefold()
        return [
            specialty
            for specialty, groups in self.cqc_service_groups.items()
            if wanted in {" ".join(g.split()).casefold() for g in groups}
        ]


class RegionConfig(_Strict):
    """Everything in ``parameters/region.yaml``.

    Its repr names the region, review year and data folder only; every setting is an attribute.

    >>> from qvlib.config import load_region
    >>> region = load_region()
    >>> region
    RegionConfig(region='Wessex', review_year='2025/26', data_dir='data/sample')
    >>> region.risk.band_names()
    ['low', 'moderate', 'high', 'extreme']
    """

    region: str
    organisation: str
    review_year: str
    data_dir: str
    document: DocumentSettings
    risk: RiskSettings
    interventions: InterventionSettings
    suppression: SuppressionSettings
    publication: PublicationSettings
    hotspots: HotspotSettings
    spc: SpcSettings
    domains: Annotated[list[str], Field(min_length=6, max_length=6)]
    visit_types: dict[Literal["triggered", "learner_educator", "aeqr", "desktop"], list[str]]
    immediate_requirement_working_days: Annotated[int, Field(ge=1)] = 5
    calendar: CalendarSettings = CalendarSettings()
    headlines: HeadlineSettings
    annual_review: AnnualReviewSettings
    attendees: Attendees
    actions: ActionSettings = ActionSettings()
    briefs: BriefSettings
    learner_educator_formats: LearnerEducatorFormats = LearnerEducatorFormats()
    national: NationalSettings = NationalSettings()
    #: Read from ``question_bank.yaml`` beside region.yaml, not from region.yaml itself.
    question_bank: QuestionBank = QuestionBank()

    @field_validator("review_year")
    @classmethod
    def _review_year(cls, value: str) -> str:
        return check_review_year(value)

    def __repr_args__(self):
        # The whole configuration is several thousand characters: name the file's headline.
        return [(key, getattr(self, key)) for key in ("region", "review_year", "data_dir")]

    @model_validator(mode="after")
    def _bands_known(self) -> RegionConfig:
        names = set(self.risk.band_names())
        for key, listed in (
            ("interventions.triggered_visit_bands", self.interventions.triggered_visit_bands),
            (
                "interventions.triggered_visit_bands_with_patient_safety",
                self.interventions.triggered_visit_bands_with_patient_safety,
            ),
            ("hotspots.risk_bands", self.hotspots.risk_bands),
        ):
            unknown = sorted(set(listed) - names)
            if unknown:
                raise ValueError(
                    f"{key} names unknown band(s) {unknown}; bands are {sorted(names)}"
                )
        return self

    @cached_property
    def visit_type_aliases(self) -> dict[str, str]:
        """Lower-cased name a visit type may be recorded under -> canonical type.

        >>> load_region_cached().visit_type_aliases["urgent risk review"]
        'triggered'
        """
        return {
            alias.lower(): canonical
            for canonical, aliases in self.visit_types.items()
            for alias in [canonical, *aliases]
        }


class TrustConfig(_Strict):
    """One ``parameters/trusts/<ODS>.yaml``."""

    code: str
    name: str
    type: Literal["acute", "mental health", "community", "ambulance"]
    icb: str
    sites: Annotated[list[str], Field(min_length=1)]
    former_codes: list[str] = []

    @field_validator("code", "former_codes")
    @classmethod
    def _ods(cls, value):
        for code in [value] if isinstance(value, str) else value:
            if not ODS_RE.match(code):
                raise ValueError(f"{code!r} is not an ODS code (3-5 upper-case letters/digits)")
        return value


class Parameters(_Strict):
    """Region settings plus every trust, keyed by ODS code in file-name order."""

    region: RegionConfig
    trusts: dict[str, TrustConfig]

    @cached_property
    def code_map(self) -> dict[str, str]:
        """Every code a trust is known by (current and former) -> its current code.

        >>> default_parameters().code_map["RDZ"]
        'R0D'
        """
        mapping = {code: code for code in self.trusts}
        for code, trust in self.trusts.items():
            for old in trust.former_codes:
                mapping[old] = code
        return mapping


def check_review_year(value: str) -> str:
    """Return ``value`` if it is a financial year like ``2025/26``; raise ``ValueError`` if not.

    The whole text must match: ``"2025/26\\n"`` or ``" 2025/26"`` would name an output folder.

    >>> check_review_year("2025/26")
    '2025/26'
    >>> check_review_year("2025/27")
    Traceback (most recent call last):
    ...
    ValueError: '2025/27' is not a financial year written YYYY/YY, e.g. '2025/26'
    """
    match = REVIEW_YEAR_RE.fullmatch(str(value))
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"{value!r} is not a financial year written YYYY/YY, e.g. '2025/26'")
    return str(value)


def review_year_bounds(year: str) -> tuple[dt.date, dt.date]:
    """First and last day of a financial year written ``YYYY/YY`` (1 April to 31 March).

    >>> review_year_bounds("2025/26")
    (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    """
    start = int(check_review_year(year)[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def default_as_at(review_year: str, today: dt.date) -> dt.date:
    """The as-at date when none is given.

    Returns
    -------
    datetime.date
        The review year's last day once it has ended, else ``today``.

    Examples
    --------
    >>> default_as_at("2025/26", dt.date(2026, 11, 30))
    datetime.date(2026, 3, 31)
    >>> default_as_at("2026/27", dt.date(2026, 11, 30))
    datetime.date(2026, 11, 30)
    """
    end = review_year_bounds(review_year)[1]
    return end if today > end else today


def parse_as_at(value: str | dt.date | None, review_year: str, today: dt.date) -> dt.date:
    """The as-at date of a review: ``value`` (``YYYY-MM-DD``) or the default.

    The default is ``today``, or the review year's last day once that year has ended.

    Raises
    ------
    QvError
        If ``value`` is not a date written ``YYYY-MM-DD``.

    Examples
    --------
    >>> today = dt.date(2026, 11, 30)
    >>> parse_as_at("", "2025/26", today), parse_as_at("2025-10-14", "2025/26", today)
    (datetime.date(2026, 3, 31), datetime.date(2025, 10, 14))
    """
    if value in (None, ""):
        return default_as_at(review_year, today)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise QvError(f"as-at date {value!r} is not a date written YYYY-MM-DD") from None


def check_coverage(
    start: dt.date | None, end: dt.date | None, review_year: str, as_at: dt.date
) -> list[str]:
    """Check a review year and as-at date against the data's period.

    Parameters
    ----------
    start, end
        The data's period (:class:`qvlib.datasets.Coverage`); ``None`` when unknown.
    review_year, as_at
        The review asked for.

    Returns
    -------
    list of str
        Warnings when the data covers the review only partly (a pack shows them too).

    Raises
    ------
    QvError
        When the data has nothing for the review: the review year lies outside the data's
        period, or the as-at date is before the data begins.  The message names the period.

    Examples
    --------
    >>> start, end = dt.date(2022, 4, 1), dt.date(2026, 3, 31)
    >>> warnings = check_coverage(start, end, "2025/26", dt.date(2026, 10, 14))
    >>> print(warnings[0])
    The data ends on 31 Mar 2026, before the as-at date 14 Oct 2026: ...
    >>> check_coverage(start, end, "2099/00", dt.date(2026, 10, 14))
    Traceback (most recent call last):
    ...
    qvlib.errors.QvError: review year 2099/00 is outside the data's period ...
    """
    from qvlib import display

    if start is None or end is None:
        return []
    year_start, year_end = review_year_bounds(review_year)
    period = f"{display.fmt_date(start)} to {display.fmt_date(end)}"
    if year_end < start or year_start > end:
        raise QvError(
            f"review year {review_year} is outside the data's period ({period}); choose a "
            "review year the data covers"
        )
    if as_at < start:
        raise QvError(f"as-at date {display.fmt_date(as_at)} is before the data begins ({period})")
    warnings = []
    if year_start < start or year_end > end:
        warnings.append(
            f"The data covers review year {review_year} only partly: it runs from {period}."
        )
    if as_at > end:
        warnings.append(
            f"The data ends on {display.fmt_date(end)}, before the as-at date "
            f"{display.fmt_date(as_at)}: anything after the data's end is not shown."
        )
    return warnings


#: libyaml's safe loader where PyYAML was built with it (a tenth of the pure-Python time: every
#: run reads a file per trust), else PyYAML's own; both read the same safe subset of YAML.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as a UTF-8 YAML file ({exc})") from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys to values, got {type(data).__name__}"
        )
    return data


def _explain(path: Path, model: type[BaseModel], exc: ValidationError) -> ConfigError:
    lines = [f"{path}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, err["loc"][:-1])
            lines.append(f"  key '{key}': unknown key; allowed keys are {allowed}")
        elif kind == "missing":
            lines.append(f"  key '{key}': missing; this field is required")
        else:
            value = err.get("input")
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  key '{key}': bad value {value!r}: {msg}")
    return ConfigError("\n".join(lines))


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return sorted(current.model_fields) if current else []


def load_yaml_model(path: Path, model: type[_M]) -> _M:
    """Parse one YAML file into ``model`` (a :data:`StrictModel`).

    Raises
    ------
    ConfigError
        Naming the file and every bad key: an unknown key (with the allowed ones), a missing
        one, or a bad value (with what was wrong).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "formats.yaml"
    >>> _ = path.write_text("mode: virtual\\n")
    >>> load_yaml_model(path, LearnerEducatorFormats).mode
    'virtual'
    """
    path = Path(path)
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, model, exc) from None


QUESTION_BANK = "question_bank.yaml"


def load_region(path: Path | None = None) -> RegionConfig:
    """Parse the project's ``parameters/region.yaml`` (or ``path``) into a :class:`RegionConfig`.

    A relative ``path`` is taken from the project folder (:mod:`qvlib.project`).  The question
    bank is read from ``question_bank.yaml`` in the same folder (optional).

    >>> load_region("parameters/region.yaml").suppression.nts.threshold
    3
    """
    project = current_project()
    path = project.path(path) if path else project.parameters_dir / "region.yaml"
    data = _read_yaml(path)
    if "question_bank" in data:
        raise ConfigError(
            f"{path}: key 'question_bank': the question bank lives in its own file, "
            f"{path.parent / QUESTION_BANK}"
        )
    bank = path.parent / QUESTION_BANK
    if bank.is_file():
        try:
            data["question_bank"] = QuestionBank.model_validate(_read_yaml(bank))
        except ValidationError as exc:
            raise _explain(bank, QuestionBank, exc) from None
    try:
        region = RegionConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, RegionConfig, exc) from None
    unknown = [d for d in region.question_bank.domains if d not in region.domains]
    if unknown:
        raise ConfigError(
            f"{bank}: key 'domains': unknown domain(s) {unknown}; each must be one of the "
            f"domains in {path.name}: {region.domains}"
        )
    return region


def load_trust(path: Path) -> TrustConfig:
    """Parse one trust file; its ``code`` must match the file name.

    >>> load_trust("parameters/trusts/R0D.yaml").former_codes
    ['RD3', 'RDZ']
    """
    path = current_project().path(path)
    try:
        trust = TrustConfig.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, TrustConfig, exc) from None
    if trust.code != path.stem:
        raise ConfigError(
            f"{path}: key 'code': bad value {trust.code!r}; expected {path.stem!r}, "
            "the file name without .yaml"
        )
    return trust


def load_parameters(directory: Path | None = None) -> Parameters:
    """Parse ``region.yaml`` and every ``trusts/*.yaml`` under ``directory`` (default: the
    project's ``parameters/``; a relative ``directory`` is taken from the project folder).

    All files are checked; problems in several files are reported together.

    >>> params = load_parameters()
    >>> list(params.trusts)[:3], params.code_map["RD3"]
    (['R0D', 'R1C', 'R1F'], 'R0D')
    """
    directory = current_project().path(directory) if directory else current_project().parameters_dir
    errors: list[str] = []
    region = None
    try:
        region = load_region(directory / "region.yaml")
    except ConfigError as exc:
        errors.append(str(exc))
    trusts: dict[str, TrustConfig] = {}
    files = sorted((directory / "trusts").glob("*.yaml"))
    if not files:
        errors.append(f"{directory / 'trusts'}: no trust parameter files (<ODS>.yaml) found")
    for file in files:
        try:
            trust = load_trust(file)
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        trusts[trust.code] = trust
    if errors:
        raise ConfigError("\n".join(errors))
    return Parameters(region=region, trusts=trusts)


def default_parameters() -> Parameters:
    """The current project's parameters (region and trusts), parsed once per process.

    >>> default_parameters().trusts["RHM"].type
    'acute'
    """
    return _parameters_of(current_project().parameters_dir)


#: The environment variable naming the data directory (over ``data_dir`` in region.yaml).
ENV_DATA = "QV_DATA"


def default_data_dir() -> tuple[Path, str]:
    """The data directory used when none is given, and where that choice comes from.

    ``QV_DATA`` when set (a relative path is taken from the current folder, as in a shell),
    else ``data_dir`` in the project's ``parameters/region.yaml`` (relative to the project
    folder).  ``qv validate``, ``qv reviews`` and :func:`load` all use this.

    Examples
    --------
    >>> path, source = default_data_dir()
    >>> path.relative_to(current_project().root).as_posix(), source
    ('data/sample', 'data_dir in parameters/region.yaml')
    """
    project = current_project()
    from_env = os.environ.get(ENV_DATA)
    if from_env:
        return Path(from_env).expanduser().resolve(), ENV_DATA
    where = project.display(project.parameters_dir / "region.yaml")
    return project.path(default_parameters().region.data_dir), f"data_dir in {where}"


@lru_cache(maxsize=4)
def _parameters_of(directory: Path) -> Parameters:
    return load_parameters(directory)


def load_region_cached() -> RegionConfig:
    """The current project's region settings, parsed once per process.

    >>> load_region_cached() is load_region_cached()
    True
    """
    return default_parameters().region
