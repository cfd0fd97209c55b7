"""CQC information requests: the request file, what it covers, the extracts, and the bundle.

When the CQC asks the regional team about education and training at a trust (ahead of an
inspection, say), the team answers with ``cqc-response-bundle.zip``: a summary page (the
rendered ``cqc_response_bundle`` notebook), the extracts behind it as CSV files and one
workbook, a README and checksums.

A request is a YAML file (:class:`RequestFile`, read by :func:`load_request`): its reference,
who asked and when, what they asked, the trust, the scope (sites and specialties; none named
means the whole trust), the period, the regional team's contact, the basis for sharing and the
protective marking.  ``qv reviews --pack cqc-response-bundle --request FILE`` passes its path to
the notebook as the ``request`` parameter.  Without one, the bundle says so plainly and covers
the whole trust over the review year to the as-at date.

What "in the period and scope" means, extract by extract (the README says the same):

- the position is judged at the end of the period (or the as-at date, if earlier): risks open
  then, hotspots then, the status of requirements then;
- visits, their findings and their requirements: visits held in the period at a site and
  specialty in scope; requirements still open at the end of the period from visits before it
  only when the request asks for them (``scope.open_actions: true``), marked as such;
- surveys: results published in the period (GMC NTS red and green outcomes in scope; NETS,
  which is reported for the trust as a whole, only when the scope is the whole trust);
- guardian of safe working returns: quarters wholly inside the period, for the specialties in
  scope (returns have no site, so a request naming sites gets none);
- LDA compliance: financial years wholly inside the period, whole-trust scope only;
- good practice: noted in the period, in scope.

Extracts are built from the :class:`~qvlib.reviews.TrustReview` (suppression already applied,
only that trust's rows) and presented as a reader sees them: headings in words, codes as labels
(:mod:`qvlib.display`), numbers rounded as shown, dates as dates.  :func:`finalize_cqc_bundle` is
the runner's hook that writes the zip with :func:`qvlib.bundles.write_bundle`.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import Field, field_validator, model_validator

from qvlib import display
from qvlib.bundles import BundleReadme, describe_suppression, write_bundle
from qvlib.config import ODS_RE, StrictModel, load_yaml_model
from qvlib.errors import QvError
from qvlib.metrics.asat import quarter_end, year_end
from qvlib.reviews import TrustReview, open_review
from qvlib.tables import Html, show_table

#: The flag column of a presented extract whose row had small numbers suppressed.
SUPPRESSED = "Suppressed"

# --------------------------------------------------------------------------- the request file

_Text = Annotated[str, Field(min_length=1)]


class Person(StrictModel):
    """Someone named in a request: who asked, or who answers for the regional team."""

    name: _Text
    organisation: _Text | None = None
    role: _Text | None = None
    email: _Text | None = None
    phone: _Text | None = None

    def describe(self) -> str:
        """``Name, role, organisation (email, phone)``."""
        text = ", ".join(p for p in (self.name, self.role, self.organisation) if p)
        reach = ", ".join(p for p in (self.email, self.phone) if p)
        return f"{text} ({reach})" if reach else text


class RequestScope(StrictModel):
    """Where the request looks: sites and specialties (none named: the whole trust)."""

    sites: list[_Text] = []
    specialties: list[_Text] = []
    #: Also list requirements and recommendations still open at the end of the period from
    #: visits held before it (marked as such).
    open_actions: bool = False


class RequestPeriod(StrictModel):
    """The first and last day the request covers (both included)."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> RequestPeriod:
        if self.end < self.start:
            raise ValueError(
                f"end {self.end.isoformat()} is before start {self.start.isoformat()}; give "
                "the period's first day as start and its last day as end"
            )
        return self


class RequestFile(StrictModel):
    """A CQC information request, as written in its YAML file (see ``data/sample/requests``)."""

    reference: _Text
    trust: _Text
    requester: Person
    asked_on: dt.date
    asked: _Text
    scope: RequestScope = RequestScope()
    period: RequestPeriod
    contact: Person
    basis_for_sharing: _Text
    marking: _Text

    @field_validator("trust")
    @classmethod
    def _ods(cls, value: str) -> str:
        if not ODS_RE.match(value):
            raise ValueError(f"{value!r} is not an ODS code (3-5 upper-case letters/digits)")
        return value


def load_request(path: str | Path) -> RequestFile:
    """Read and check a request file.

    Raises
    ------
    ConfigError
        Naming the file and each bad key (an unknown key lists the allowed ones; a bad date
        says what it got), before any pack is built.
    """
    return load_yaml_model(Path(path), RequestFile)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (the request file's, for the fingerprint and the README)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the resolved request


@dataclass(frozen=True)
class CqcRequest:
    """What a response covers: a period, sites and specialties, and the request behind it.

    Attributes
    ----------
    start, end
        First and last day of the period.
    sites, specialties
        The scope; empty means all.
    open_actions
        Whether requirements still open from visits before the period are wanted.
    details
        The request file's content; ``None`` for a bundle built without a request.
    source
        The request file (path and SHA-256), for the README; empty without one.
    """

    start: dt.date
    end: dt.date
    sites: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    open_actions: bool = False
    details: RequestFile | None = None
    source: dict[str, str] = field(default_factory=dict)

    @property
    def whole_trust(self) -> bool:
        """True when no site or specialty is named."""
        return not self.sites and not self.specialties

    @property
    def scope(self) -> str:
        """The scope in words, e.g. ``'Whole trust'``."""
        parts = []
        if self.sites:
            parts.append("sites: " + ", ".join(self.sites))
        if self.specialties:
            parts.append("specialties: " + ", ".join(self.specialties))
        return "; ".join(parts) if parts else "Whole trust"

    @property
    def period_text(self) -> str:
        """``1 Apr 2025 to 30 Sep 2025``."""
        return f"{display.fmt_date(self.start)} to {display.fmt_date(self.end)}"

    def in_scope(self, frame: pd.DataFrame) -> pd.Series:
        """Rows of ``frame`` (with ``site`` / ``specialty`` columns) inside the scope.

        A row without a site (a trust-wide visit, say) is outside a scope that names sites.
        """
        keep = pd.Series(True, index=frame.index)
        if self.sites:
            keep &= frame["site"].isin(self.sites)
        if self.specialties:
            keep &= frame["specialty"].isin(self.specialties)
        return keep

    def in_period(self, dates: pd.Series) -> pd.Series:
        """Which ``dates`` fall in the period (both ends included)."""
        days = pd.to_datetime(dates)
        return (days >= pd.Timestamp(self.start)) & (days <= pd.Timestamp(self.end))


def cqc_request(
    review: TrustReview,
    request: RequestFile | str | Path | None = None,
    *,
    period_start: str | dt.date | None = None,
    period_end: str | dt.date | None = None,
    sites: Sequence[str] = (),
    specialties: Sequence[str] = (),
    open_actions: bool = False,
) -> CqcRequest:
    """The request a response answers, checked against the trust's data.

    Parameters
    ----------
    review
        The trust's review.
    request
        A request file (path, or its parsed content); ``None`` or ``""`` for a bundle without
        a request: the whole trust, from the review year's first day to its last day or the
        as-at date, if earlier.
    period_start, period_end, sites, specialties, open_actions
        Without a request file, a period and scope given in code (tests, exploring); empty
        dates as without a request.

    Raises
    ------
    QvError
        If the request is about another trust, names a site or specialty the trust's data does
        not have (listing the ones it has), or a date is not ``YYYY-MM-DD``.
    """
    source: dict[str, str] = {}
    if isinstance(request, str | Path) and str(request):
        path = Path(request)
        request = load_request(path)
        source = {"path": path.name, "sha256": file_sha256(path)}
    if isinstance(request, RequestFile):
        wanted = request.trust
        if wanted != review.code:
            raise QvError(
                f"the request {request.reference!r} is about trust {wanted}, not "
                f"{review.code}; build it with --trust {wanted}"
            )
        start, end = request.period.start, request.period.end
        sites, specialties = request.scope.sites, request.scope.specialties
        open_actions = request.scope.open_actions
        details = request
    else:
        start = _date("period_start", period_start) or review.period[0]
        end = _date("period_end", period_end) or min(review.period[1], review.as_at)
        if end < start:
            raise QvError(f"period_end {end} is before period_start {start}")
        details = None
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
    return CqcRequest(
        start, end, tuple(sites), tuple(specialties), bool(open_actions), details, source
    )


def _date(name: str, value: str | dt.date | None) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise QvError(f"{name} {value!r} is not a date written YYYY-MM-DD") from None


def _values(review: TrustReview, column: str) -> set[str]:
    names = ("risks", "visits", "survey_results", "good_practice", "programmes")
    frames = [review.data.tables[name] for name in names]
    if column == "specialty":
        frames.append(review.data.tables["exception_reports"])
    return {v for f in frames if column in f for v in f[column].dropna().unique()}


# --------------------------------------------------------------------------- extracts


@dataclass(frozen=True)
class Col:
    """How one column of an extract is presented: its heading and its named format."""

    header: str
    format: str | None = None


#: Every extract in bundle order: the line README.txt gives it, and its columns.
EXTRACTS: dict[str, str] = {
    "open_risks": "Education and training risks in scope open at the end of the period, with "
    "the recommended intervention",
    "visits": "Quality visits held in the period in scope, with their outcome",
    "visit_findings": "What those visits found: requirements, recommendations and notable practice",
    "visit_actions": "Requirements and recommendations from those visits, with their status at "
    "the end of the period",
    "hotspots": "Clinical learning environments in scope that met the hotspot rule at the end "
    "of the period, and why",
    "survey_outcomes": "GMC National Training Survey red and green outcomes in scope, of the "
    "results published in the period",
    "nets": "NHS Education and Training Survey % positive by theme (trust level), of the "
    "results published in the period",
    "guardian": "Guardian of safe working hours exception reports for the quarters wholly in "
    "the period, by grade and specialty",
    "lda_compliance": "Learning and Development Agreement schedule items for the financial "
    "years wholly in the period",
    "good_practice": "Good practice noted in the period in scope, including notable practice "
    "found on visits",
}

_COLUMNS: dict[str, dict[str, Col]] = {
    "open_risks": {
        "risk_id": Col("Risk"),
        "site": Col("Site"),
        "specialty": Col("Specialty"),
        "learner_group": Col("Learner group"),
        "summary": Col("Concern"),
        "opened": Col("Opened", "date"),
        "band": Col("Band"),
        "score": Col("Score", "count"),
        "isf_level": Col("Intensive Support Framework level"),
        "intervention": Col("Recommended intervention"),
        "reason": Col("Why"),
        "visit_status": Col("Visit"),
    },
    "visits": {
        "visit_id": Col("Visit"),
        "visit_type": Col("Type"),
        "date": Col("Date", "date"),
        "site": Col("Site"),
        "specialty": Col("Specialty"),
        "linked_risk_ids": Col("Risks"),
        "outcome_summary": Col("Outcome"),
    },
    "visit_findings": {
        "visit_id": Col("Visit"),
        "visit_date": Col("Visit date", "date"),
        "ref": Col("Ref"),
        "kind": Col("Kind"),
        "domain": Col("Quality framework domain"),
        "finding": Col("Finding"),
    },
    "visit_actions": {
        "visit_id": Col("Visit"),
        "visit_date": Col("Visit date", "date"),
        "ref": Col("Ref"),
        "kind": Col("Kind"),
        "required_action": Col("Required action"),
        "owner": Col("Owner"),
        "due": Col("Due", "date"),
        "status": Col("Status"),
        "closed": Col("Closed", "date"),
        "evidence": Col("Evidence accepted"),
        "overdue": Col("Overdue"),
        "from_earlier_visit": Col("From a visit before the period"),
    },
    "hotspots": {
        "site": Col("Site"),
        "specialty": Col("Specialty"),
        "reason": Col("Why"),
    },
    "survey_outcomes": {
        "year": Col("Survey year", "year"),
        "site": Col("Site"),
        "programme_group": Col("Programme group"),
        "specialty": Col("Specialty"),
        "indicator": Col("Indicator"),
        "n": Col("Respondents", "count"),
        "score": Col("Score (0-100)", "score100"),
        "benchmark_mean": Col("National mean (0-100)", "score100"),
        "outcome_final": Col("Outcome"),
        "suppressed": Col(SUPPRESSED),
    },
    "nets": {
        "year": Col("Survey year", "year"),
        "indicator": Col("Theme"),
        "n": Col("Respondents", "count"),
        "pct_positive": Col("% positive", "pct"),
        "suppressed": Col(SUPPRESSED),
    },
    "guardian": {
        "quarter": Col("Quarter"),
        "grade": Col("Grade"),
        "specialty": Col("Specialty"),
        "hours_reports": Col("Hours reports", "count"),
        "education_reports": Col("Education reports", "count"),
        "safety_reports": Col("Safety reports", "count"),
        "fines_gbp": Col("Fines (£)", "money"),
    },
    "lda_compliance": {
        "year": Col("Financial year", "year"),
        "schedule_item": Col("Schedule item"),
        "status": Col("Status"),
        "note": Col("Note"),
    },
    "good_practice": {
        "date": Col("Date", "date"),
        "site": Col("Site"),
        "specialty": Col("Specialty"),
        "summary": Col("Good practice"),
        "source": Col("Source"),
    },
}

#: Named formats -> decimal places a presented number keeps (as :mod:`qvlib.display` shows it).
_DECIMALS = {"count": 0, "money": 0, "pct": 1, "score100": 1, "score10": 2, "number": 1}


def present(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """An extract as a reader sees it: headings in words, labels, numbers rounded as shown.

    Codes in known columns become their labels (:func:`qvlib.display.labelled`), numbers are
    rounded to the places their named format shows (whole counts and pounds, percentages and
    NTS scores to one place), years are text labels, dates stay dates and true/false stay
    booleans (the bundle writes them in the one date format, and as Yes and No).  The
    ``suppressed`` flag becomes the column :data:`SUPPRESSED`.
    """
    columns = {c: col for c, col in _COLUMNS[name].items() if c in frame.columns}
    out = display.labelled(frame[list(columns)].copy())
    for column, col in columns.items():
        values = out[column]
        if col.format in _DECIMALS:
            numbers = pd.to_numeric(values, errors="coerce")
            places = _DECIMALS[col.format]
            out[column] = numbers.round(places) if places else numbers.round(0).astype("Int64")
        elif col.format == "year":
            out[column] = [None if display.is_missing(v) else display.fmt_year(v) for v in values]
        elif col.format == "date":
            out[column] = pd.to_datetime(values).dt.normalize()
    out = out.rename(columns={c: col.header for c, col in columns.items()})
    return out.reset_index(drop=True)


@dataclass
class CqcResponse:
    """A trust's answer to one request: its extracts, and what the summary page says.

    Attributes
    ----------
    review
        The trust's review as at the bundle's as-at date.
    request
        The request it answers.
    """

    review: TrustReview
    request: CqcRequest

    @cached_property
    def judged_at(self) -> dt.date:
        """The date the position is judged at: the period's end, or the as-at date if earlier."""
        return min(self.request.end, self.review.as_at)

    @cached_property
    def at_end(self) -> TrustReview:
        """The trust's review as at :attr:`judged_at`."""
        if self.judged_at == self.review.as_at:
            return self.review
        review = self.review
        return TrustReview(review.data, review.region, review.review_year, self.judged_at)

    @cached_property
    def raw(self) -> dict[str, pd.DataFrame]:
        """Every extract with code columns, in :data:`EXTRACTS` order (for tests and checks)."""
        return calc_extracts(self.at_end, self.request)

    @cached_property
    def extracts(self) -> dict[str, pd.DataFrame]:
        """Every extract as the bundle holds it (:func:`present`), in :data:`EXTRACTS` order."""
        return {name: present(name, frame) for name, frame in self.raw.items()}

    # ---- what the summary says ----------------------------------------------------------
    @cached_property
    def request_table(self) -> pd.DataFrame:
        """The request's details, ``item, value``: what the summary and README show."""
        request, details = self.request, self.request.details
        rows: list[tuple[str, str]] = []
        if details is None:
            rows.append(
                (
                    "Request",
                    "None: this bundle was built without a CQC request, so it has no "
                    "reference and covers the whole trust over the review year to the as-at "
                    "date",
                )
            )
        else:
            rows += [
                ("Reference", details.reference),
                ("Requested by", details.requester.describe()),
                ("Asked on", display.fmt_date(details.asked_on)),
                ("What was asked", " ".join(details.asked.split())),
            ]
        rows += [
            ("Trust", f"{self.review.name} ({self.review.code})"),
            ("Scope", request.scope),
            ("Period", request.period_text),
            ("Position judged at", display.fmt_date(self.judged_at)),
        ]
        if details is not None:
            rows += [
                (
                    "Requirements open from earlier visits",
                    "included, marked as such" if request.open_actions else "not asked for",
                ),
                ("Contact for this response", details.contact.describe()),
                ("Basis for sharing", " ".join(details.basis_for_sharing.split())),
                ("Protective marking", details.marking),
            ]
        return pd.DataFrame(rows, columns=["item", "value"])

    @cached_property
    def contents(self) -> pd.DataFrame:
        """What the bundle holds: ``file, holds, rows`` for every extract."""
        rows = [
            (f"extracts/{name}.csv", EXTRACTS[name], len(frame))
            for name, frame in self.extracts.items()
        ]
        return pd.DataFrame(rows, columns=["file", "holds", "rows"])

    @cached_property
    def notes(self) -> list[str]:
        """What the bundle leaves out and why (scope, period, publication), in sentences."""
        request, review = self.request, self.at_end
        notes = []
        if request.end > self.review.as_at:
            notes.append(
                f"The period runs to {display.fmt_date(request.end)}, after the as-at date "
                f"{display.fmt_date(self.review.as_at)}: the bundle holds what was known then."
            )
        if not request.whole_trust:
            left = "NETS results and LDA compliance are reported for the trust as a whole"
            notes.append(f"{left}, so a request limited to {request.scope} does not get them.")
        if request.sites:
            notes.append(
                "Guardian of safe working returns are not recorded by site, so a request that "
                "names sites gets none."
            )
        for survey, name in (("NTS", "GMC National Training Survey"), ("NETS", "NETS")):
            if survey == "NETS" and not request.whole_trust:
                continue
            published = _published_in(review, survey, request)
            if not published:
                before = review.survey_year if survey == "NTS" else review.nets_year
                text = f"No {name} results were published in the period"
                if before is not None:
                    day = review.region.publication.survey(survey).date(before)
                    text += (
                        f"; the latest before it, {before}, were published {display.fmt_date(day)}"
                    )
                notes.append(text + ".")
        if request.whole_trust and self.raw["lda_compliance"].empty:
            notes.append(
                "Learning and Development Agreement returns cover a whole financial year and "
                "are reported after it ends: none for a year wholly within the period was known "
                f"by {display.fmt_date(self.judged_at)}."
            )
        if not request.open_actions:
            notes.append(
                "Requirements from visits held before the period are not included, whether or "
                "not they were still open; a request may ask for those still open "
                "(scope: open_actions: true)."
            )
        return notes

    @cached_property
    def evidence(self) -> list[str]:
        """The evidence in brief: a sentence per extract, from the extracts' own rows."""
        raw = self.raw
        out = []
        risks = raw["open_risks"]
        bands = display.describe_counts(
            risks["band"].astype(str).value_counts().to_dict(),
            list(reversed(self.review.region.risk.band_names())),
        )
        out.append(
            f"{display.plural(len(risks), 'open risk')} at the end of the period"
            + (f" ({bands})" if bands else "")
            + "."
        )
        visits = raw["visits"]
        kinds = visits["visit_type"].map(lambda v: display.label("visit_type", v).lower())
        listed = display.join_words(
            display.plural(n, kind) for kind, n in kinds.value_counts().sort_index().items()
        )
        out.append(
            f"{display.plural(len(visits), 'visit')} held in the period"
            + (f": {listed}" if listed else "")
            + "."
        )
        actions = raw["visit_actions"]
        if len(actions):
            open_ = actions[actions["status"] != "closed"]
            what = display.plural(
                len(actions), "requirement or recommendation", "requirements or recommendations"
            )
            overdue = int(actions["overdue"].sum())
            text = (
                f"{what}: {len(open_)} open at the end of the period ({overdue or 'none'} overdue)"
            )
            immediate = actions[actions["kind"] == "immediate mandatory requirement"]
            if len(immediate):
                text += f"; {display.plural(len(immediate), 'immediate mandatory requirement')}"
            out.append(text + ".")
        practice = raw["visit_findings"]
        notable = int((practice["kind"] == "notable practice").sum())
        if notable:
            out.append(f"{display.plural(notable, 'example')} of notable practice found on visits.")
        hotspots = raw["hotspots"]
        out.append(f"{display.plural(len(hotspots), 'hotspot')} at the end of the period.")
        nts = raw["survey_outcomes"]
        for year, rows in nts.groupby("year", sort=True):
            red = int((rows["outcome_final"] == "red").sum())
            green = int((rows["outcome_final"] == "green").sum())
            out.append(f"GMC NTS {int(year)}: {red} red and {green} green outcomes in scope.")
        guardian = raw["guardian"]
        if len(guardian):
            total = int(
                guardian[["hours_reports", "education_reports", "safety_reports"]].sum().sum()
            )
            quarters = guardian["quarter"].nunique()
            out.append(
                f"{display.plural(total, 'exception report')} in "
                f"{display.plural(quarters, 'quarter')} ({guardian['quarter'].min()} to "
                f"{guardian['quarter'].max()})."
            )
        return out

    def show(
        self,
        name: str,
        *,
        caption: str,
        empty_text: str,
        columns: Sequence[str] | None = None,
    ) -> Html:
        """One extract as a sortable table on the summary page: the bundle's rows and values.

        Parameters
        ----------
        name
            The extract (a key of :data:`EXTRACTS`).
        caption, empty_text
            The table's caption, and what it says when the extract has no rows.
        columns
            Headings to show, in order, so that a wide extract fits the page (the CSV file has
            every column); headings the extract does not have (an optional column) are left
            out.  All columns by default.
        """
        frame = self.extracts[name]
        shown = list(frame.columns) if columns is None else [c for c in columns if c in frame]
        frame = frame.rename(columns={SUPPRESSED: "suppressed"})
        shown = [c for c in shown if c != SUPPRESSED]
        return show_table(
            frame,
            caption=caption,
            columns={c: c for c in shown},
            empty_text=empty_text,
            sortable=True,
        )

    def show_marking(self) -> Html:
        """The request's protective marking as a line at the top or foot of the summary page
        (nothing without a request)."""
        details = self.request.details
        if details is None:
            return Html("")  # no request, no marking to repeat: the team marks it by policy
        return Html(f'<p class="qv-request-marking" role="note">{escape(details.marking)}</p>')

    @cached_property
    def readme(self) -> BundleReadme:
        """What README.txt says about this response."""
        review = self.review
        sources = {"review as at": review.as_at.isoformat()}
        if self.request.source:
            sources["request file"] = (
                f"{self.request.source['path']} (sha256 {self.request.source['sha256']})"
            )
        return BundleReadme(
            trust_code=review.code,
            trust_name=review.name,
            review_year=review.review_year,
            period_start=self.request.start,
            period_end=self.request.end,
            sources=sources,
            extract_descriptions=EXTRACTS,
            suppression_rule=describe_suppression(review.region.suppression),
            synthetic=bool(review.data.meta.get("synthetic", False)),
            sites=self.request.sites,
            specialties=self.request.specialties,
            request=tuple(self.request_table.itertuples(index=False, name=None)),
            marking=None if self.request.details is None else self.request.details.marking,
            notes=(
                f"Statuses (open, closed, overdue) are as at {display.fmt_date(self.judged_at)}.",
                *self.notes,
            ),
        )


def open_response(
    review: TrustReview, request: RequestFile | str | Path | None = None
) -> CqcResponse:
    """The response of ``review``'s trust to a request file (``None`` or ``""``: no request)."""
    return CqcResponse(review, cqc_request(review, request))


def cqc_extracts(review: TrustReview, request: CqcRequest) -> dict[str, pd.DataFrame]:
    """The extracts of a response with their code columns (see :attr:`CqcResponse.raw`)."""
    return CqcResponse(review, request).raw


def _published_in(review: TrustReview, survey: str, request: CqcRequest) -> list[int]:
    rule = review.region.publication.survey(survey)
    years = review.data.coverage.years.get(survey, ())
    return [
        int(y)
        for y in years
        if request.start <= rule.date(int(y)) <= min(request.end, review.as_at)
    ]


def calc_extracts(at_end: TrustReview, request: CqcRequest) -> dict[str, pd.DataFrame]:
    """Every extract of a response, cut to the period and scope (code columns).

    ``at_end`` is the trust's review as at the end of the period (or the as-at date, if
    earlier): the position at that date.  Every extract holds only that trust's rows; survey
    figures are suppressed (a suppressed row keeps no count or score).
    """
    review = at_end
    scoped = request.in_scope
    risks = review.interventions
    opened = review.open_risks.set_index("risk_id")
    risks = risks.assign(
        learner_group=risks["risk_id"].map(opened["learner_group"]),
        opened=risks["risk_id"].map(opened["opened"]),
    )
    risks = risks[scoped(risks)].sort_values(["score", "risk_id"], ascending=[False, True])

    visits = review.visits
    visits = visits[scoped(visits) & request.in_period(visits["date"])]
    visits = visits.sort_values(["date", "visit_id"])
    held = set(visits["visit_id"])

    tracker = review.tracker
    findings = tracker[tracker["visit_id"].isin(held)].sort_values(
        ["visit_date", "visit_id", "ref"]
    )
    actions = review.actions.assign(from_earlier_visit=False)
    in_period = actions["visit_id"].isin(held)
    if request.open_actions:
        earlier = (
            ~in_period
            & actions["is_open"]
            & (pd.to_datetime(actions["visit_date"]) < pd.Timestamp(request.start))
            & scoped(actions)
        )
        actions.loc[earlier, "from_earlier_visit"] = True
        in_period |= earlier
    actions = actions[in_period].sort_values(["visit_date", "visit_id", "ref"])
    if not request.open_actions:
        actions = actions.drop(columns="from_earlier_visit")

    hotspots = review.hotspots
    hotspots = hotspots[scoped(hotspots)].sort_values(["site", "specialty"])

    nts_years = _published_in(review, "NTS", request)
    nts = review.nts
    nts = nts[
        nts["year"].isin(nts_years) & nts["outcome_final"].isin(["red", "green"]) & scoped(nts)
    ].sort_values(["year", "site", "specialty", "programme_group", "indicator"])

    nets = review.nets
    nets_years = _published_in(review, "NETS", request) if request.whole_trust else []
    nets = nets[nets["year"].isin(nets_years)].sort_values(["year", "indicator"])

    guardian = review.known_table("exception_reports")
    if request.sites:
        guardian = guardian.iloc[0:0]
    ends = quarter_end(guardian["quarter"]) if len(guardian) else pd.Series(dtype="datetime64[ns]")
    starts = ends - pd.offsets.MonthBegin(3) if len(guardian) else ends
    inside = (starts >= pd.Timestamp(request.start)) & (ends <= pd.Timestamp(request.end))
    if request.specialties:
        inside &= guardian["specialty"].isin(request.specialties)
    guardian = guardian[inside].sort_values(["quarter", "grade", "specialty"])

    lda = review.known_table("lda_compliance")
    if request.whole_trust and len(lda):
        first = pd.to_datetime(lda["year"].str.slice(0, 4) + "-04-01")
        whole = (first >= pd.Timestamp(request.start)) & (
            year_end(lda["year"]) <= pd.Timestamp(request.end)
        )
        lda = lda[whole].sort_values(["year", "schedule_item"])
    else:
        lda = lda.iloc[0:0]

    recorded = review.known_table("good_practice")
    recorded = recorded[scoped(recorded) & request.in_period(recorded["date"])]
    notable = findings[findings["kind"] == "notable practice"]
    praised = pd.DataFrame(
        {
            "trust_code": notable["trust_code"],
            "date": notable["visit_date"],
            "site": notable["site"],
            "specialty": notable["specialty"],
            "summary": notable["finding"],
            "source": "notable practice, visit " + notable["visit_id"],
        }
    )
    columns = ["trust_code", "date", "site", "specialty", "summary", "source"]
    practice = pd.concat([recorded[columns], praised[columns]], ignore_index=True)
    practice["date"] = pd.to_datetime(practice["date"])
    practice = practice.sort_values(["date", "site", "summary"], kind="stable")

    extracts = {
        "open_risks": risks,
        "visits": visits,
        "visit_findings": findings,
        "visit_actions": actions,
        "hotspots": hotspots,
        "survey_outcomes": nts,
        "nets": nets,
        "guardian": guardian,
        "lda_compliance": lda,
        "good_practice": practice,
    }
    return {name: frame.reset_index(drop=True) for name, frame in extracts.items()}


# --------------------------------------------------------------------------- the bundle


def finalize_cqc_bundle(nb: Any, html: str, job: Any) -> list[Path]:
    """Runner hook: write ``cqc-response-bundle.zip`` from the rendered summary and the extracts.

    The response is rebuilt from the notebook's own parameters (its defaults, overridden by
    what the runner injected: trust, year, as-at date, data and the request file), so the zip's
    extracts are exactly the tables the summary shows.
    """
    params = _executed_parameters(nb)
    review = open_review(
        params["trust_code"], params["review_year"], params["data"], params.get("as_at")
    )
    response = open_response(review, params.get("request") or None)
    path = Path(job.output)
    readme = response.readme
    fingerprint = str(getattr(job, "provenance", {}).get("data_fingerprint", ""))
    readme = BundleReadme(
        **{
            **readme.__dict__,
            "sources": {
                "data snapshot": Path(params["data"]).name,
                "trust data fingerprint": fingerprint,
                **readme.sources,
            },
        }
    )
    write_bundle(
        path,
        summary_html=html,
        extracts=response.extracts,
        readme=readme,
        marker=review.region.suppression.marker,
        suppressed_column=SUPPRESSED,
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


__all__ = [
    "EXTRACTS",
    "SUPPRESSED",
    "CqcRequest",
    "CqcResponse",
    "RequestFile",
    "calc_extracts",
    "cqc_extracts",
    "cqc_request",
    "file_sha256",
    "finalize_cqc_bundle",
    "load_request",
    "open_response",
    "present",
]
