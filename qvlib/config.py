"""Typed parameters: ``parameters/region.yaml`` and ``parameters/trusts/<ODS>.yaml``.

Parameters are parsed into pydantic models before anything runs.  An unknown key, a missing
field or a bad value raises :class:`~qvlib.errors.ConfigError` naming the file, the key, the bad
value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from qvlib.errors import ConfigError

#: The repository root: parameters, sample data and notebooks are found relative to it.
ROOT = Path(__file__).resolve().parent.parent
PARAMETERS_DIR = ROOT / "parameters"

_M = TypeVar("_M", bound=BaseModel)

TRUST_TYPES = ("acute", "mental health", "community", "ambulance")
REVIEW_YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")
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
        """The day results of survey year ``year`` were (or will be) published."""
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
        """The publication rule of ``"NTS"``, ``"NETS"`` or ``"staff_survey"``."""
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


class CalendarSettings(_Strict):
    """Working days: Monday to Friday, less public holidays and extra closed days."""

    holidays: HolidaySource = HolidaySource()
    extra_closed_days: list[dt.date] = []

    def closed_days(self, first_year: int, last_year: int) -> list[dt.date]:
        """Every non-working weekday from ``first_year`` to ``last_year`` inclusive, sorted."""
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


class HeadlineSettings(_Strict):
    """What makes a headline finding, and how serious it is."""

    cqc_severity: dict[str, Severity]
    funding_utilisation: Annotated[list[UtilisationBand], Field(min_length=1)]
    staff_survey_min_gap: Annotated[float, Field(ge=0)] = 0.1
    min_count: Annotated[int, Field(ge=1)] = 1

    @field_validator("cqc_severity")
    @classmethod
    def _every_rating(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        from qvlib.schemas import CQC_RATINGS

        missing = [r for r in CQC_RATINGS if r not in value]
        unknown = [r for r in value if r not in CQC_RATINGS]
        if missing or unknown:
            raise ValueError(
                f"give a severity for each CQC rating {CQC_RATINGS}; missing {missing}, "
                f"unknown {unknown}"
            )
        return value

    def utilisation_severity(self, pct: float) -> Severity:
        """The severity of a funding utilisation (the first band holding it; else concern)."""
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


class Attendees(_Strict):
    regional: list[str]
    trust: list[str]


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
        """The NTS specialties mapped to a CQC service group (case and spacing ignored)."""
        wanted = " ".join(service_group.split()).casefold()
        return [
            specialty
            for specialty, groups in self.cqc_service_groups.items()
            if wanted in {" ".join(g.split()).casefold() for g in groups}
        ]


class RegionConfig(_Strict):
    """Everything in ``parameters/region.yaml``."""

    region: str
    organisation: str
    review_year: str
    data_dir: str
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
    attendees: Attendees
    triggered_visit_panel: list[str]
    #: Quality framework domain -> questions a visit panel asks (visit briefs' checklist).
    visit_questions: dict[str, list[str]] = {}
    learner_educator_formats: LearnerEducatorFormats = LearnerEducatorFormats()
    national: NationalSettings = NationalSettings()

    @field_validator("review_year")
    @classmethod
    def _review_year(cls, value: str) -> str:
        return check_review_year(value)

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

    @model_validator(mode="after")
    def _question_domains_known(self) -> RegionConfig:
        unknown = [domain for domain in self.visit_questions if domain not in self.domains]
        if unknown:
            raise ValueError(
                f"visit_questions names unknown domain(s) {unknown}; each key must be one of "
                f"the domains {self.domains}"
            )
        return self

    def data_path(self) -> Path:
        """The configured data directory, resolved against the repository root."""
        path = Path(self.data_dir)
        return path if path.is_absolute() else ROOT / path

    @cached_property
    def visit_type_aliases(self) -> dict[str, str]:
        """Lower-cased name a visit type may be recorded under -> canonical type."""
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
        """Every code a trust is known by (current and former) -> its current code."""
        mapping = {code: code for code in self.trusts}
        for code, trust in self.trusts.items():
            for old in trust.former_codes:
                mapping[old] = code
        return mapping


def check_review_year(value: str) -> str:
    """Return ``value`` if it is a financial year like ``2025/26``; raise ``ValueError`` if not."""
    match = REVIEW_YEAR_RE.fullmatch(str(value))
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"{value!r} is not a financial year written YYYY/YY, e.g. '2025/26'")
    return str(value)


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as a UTF-8 YAML file ({exc})") from None
    try:
        data = yaml.safe_load(text)
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
    """
    path = Path(path)
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, model, exc) from None


def load_region(path: Path | None = None) -> RegionConfig:
    """Parse ``parameters/region.yaml`` (or ``path``) into a :class:`RegionConfig`."""
    path = Path(path) if path else PARAMETERS_DIR / "region.yaml"
    try:
        return RegionConfig.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, RegionConfig, exc) from None


def load_trust(path: Path) -> TrustConfig:
    """Parse one trust file; its ``code`` must match the file name."""
    path = Path(path)
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
    """Parse ``region.yaml`` and every ``trusts/*.yaml`` under ``directory`` (default parameters/).

    All files are checked; problems in several files are reported together.
    """
    directory = Path(directory) if directory else PARAMETERS_DIR
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


@lru_cache(maxsize=1)
def default_parameters() -> Parameters:
    """The repository's parameters (region and trusts), parsed once per process."""
    return load_parameters()


def load_region_cached() -> RegionConfig:
    """The repository's region settings, parsed once per process."""
    return default_parameters().region
