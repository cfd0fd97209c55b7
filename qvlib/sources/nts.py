"""GMC National Training Survey reporting-tool extracts into NTS rows of the canonical
``survey_results`` frame.

The reporting tool's downloads name their columns differently from one download to the next;
each column is found under any of its known names (case, spacing and punctuation ignored):
Trust / Board (a name) or a trust code, Site, Programme Group, Post Specialty, Indicator, N,
Mean, Lower CI, Upper CI, National Mean, National Q1, National Q3, National Lower CI, National
Upper CI, and Outcome when the download has it.  SD, Response rate and other columns are not
read.  A trust given by name is matched to its code through ``local/trusts.csv`` and the ODS
trusts list (see :mod:`qvlib.sources.ods`).  Rows of organisations that are not in
``local/trusts.csv`` are left out: an extract may cover the whole country.

Outcomes: when the download has no Outcome column, each row's outcome is computed by the GMC
rule (:func:`qvlib.metrics.surveys.calc_nts_outcome`).  When it has one, the published outcome
is kept (a blank cell is computed later, as for the canonical CSV), and the rows where it
differs from the rule are counted in the file's provenance record and logged as a warning;
:func:`~qvlib.metrics.surveys.calc_nts_outcome` also flags them (``outcome_mismatch``).

The survey year comes from a Year column, a title or the file name, else from
``dataset.yaml``.  Merging (:func:`merge`): the extracts are authoritative for the years they
cover, so the NTS rows of ``local/survey_results.csv`` for those years are replaced (and
counted in provenance); its NETS rows, and NTS rows of other years, are kept.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from qvlib.errors import Problem
from qvlib.schemas import SURVEYS
from qvlib.sources._tables import (
    ODS_CODE,
    Column,
    Context,
    Origins,
    Part,
    Read,
    SourceFile,
    Table,
    Workbook,
    duplicate_problems,
    find_table,
    find_year,
    name_key,
    opened,
    record,
    sort_stable,
    span,
    to_canonical,
    words,
)

logger = logging.getLogger(__name__)

PUBLICATION = "GMC NTS"
DATASET = "survey_results"
#: File names (as words) that say "GMC National Training Survey".
NAME = re.compile(r"\bnts\b|\bnational training survey\b|\bgmc\b")
CODE = Column(
    "trust_code",
    ("Trust Code", "Trust / Board Code", "LEP Code", "Organisation Code", "ODS Code"),
    required=False,
)
NAME_COLUMN = Column(
    "trust_name", ("Trust / Board", "Trust", "Local Education Provider", "LEP"), required=False
)
COLUMNS = [
    CODE,
    NAME_COLUMN,
    Column("year", ("Year", "Survey Year"), required=False),
    Column("site", ("Site", "Site Name")),
    Column("programme_group", ("Programme Group",)),
    Column("specialty", ("Post Specialty", "Specialty", "Programme Specialty")),
    Column("indicator", ("Indicator",)),
    Column("n", ("N", "Number of Responses", "Responses")),
    Column("score", ("Mean", "Indicator Mean", "Score")),
    Column("ci_lower", ("Lower CI", "Lower Confidence Interval", "CI Lower")),
    Column("ci_upper", ("Upper CI", "Upper Confidence Interval", "CI Upper")),
    Column("benchmark_mean", ("National Mean", "Benchmark Mean", "Comparator Mean")),
    Column("benchmark_q1", ("National Q1", "Benchmark Q1", "National Lower Quartile")),
    Column("benchmark_q3", ("National Q3", "Benchmark Q3", "National Upper Quartile")),
    Column("benchmark_ci_lower", ("National Lower CI", "Benchmark Lower CI", "National CI Lower")),
    Column("benchmark_ci_upper", ("National Upper CI", "Benchmark Upper CI", "National CI Upper")),
    Column("outcome", ("Outcome", "Outcome Colour", "RAG"), required=False),
]
_VALUES = [c.name for c in COLUMNS if c.name not in ("trust_code", "trust_name", "year")]
_OUTCOMES = {"red outlier": "red", "green outlier": "green", "grey": "not reported"}
_NOTED = 5  # names or rows quoted in a provenance note


def looks_like(file: SourceFile, book: Workbook) -> bool:
    """Whether a file with another name is an NTS reporting-tool extract."""
    return _table(file, book)[0] is not None


def read(files: list[SourceFile], context: Context) -> Read:
    """NTS rows in the canonical ``survey_results`` columns from every NTS extract found."""
    problems: list[Problem] = []
    parts: list[Part] = []
    notes: list[list[str]] = []
    for file, book in opened(files, problems):
        table, found = _table(file, book)
        if table is None:
            problems += found
            continue
        codes, file_notes = _trusts(table, context)
        table = table.take(codes != "")
        years = _years(file, table, problems)
        if years is None:
            continue
        cells = {"survey": np.full(len(years), "NTS", dtype=object), "year": years}
        cells |= {"trust_code": codes[codes != ""]}
        cells |= {c: _outcomes(table.text(c)) if c == "outcome" else table.text(c) for c in _VALUES}
        if not table.has("outcome"):
            del cells["outcome"]
        parts.append(Part(table, cells))
        notes.append(file_notes)
    if not parts:
        return Read(None, problems)
    frame, found, origins = to_canonical(DATASET, parts, context.params)
    keys = ["year", "trust_code", "site", "programme_group", "specialty", "indicator"]
    problems += found + duplicate_problems(frame, keys, origins, "year, post and indicator")
    frame = _with_outcomes(frame, origins, context, notes)
    records = [
        record(
            part.table.file,
            PUBLICATION,
            DATASET,
            [part.table.sheet],
            span(part.cells["year"]),
            len(part.table.grid),
            file_notes,
        )
        for part, file_notes in zip(parts, notes, strict=True)
    ]
    return Read(sort_stable(frame, ["trust_code", "year"]), problems, records)


def merge(local: pd.DataFrame, nts: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, int]]:
    """``local/survey_results.csv`` rows with the NTS rows of the extracts' years replaced.

    Returns
    -------
    (frame, replaced)
        Rows by trust, survey (NTS, then NETS), year and file order; and per year covered, the
        number of local NTS rows replaced.
    """
    years = set(nts["year"])
    replaced = local["survey"].eq("NTS") & local["year"].isin(years)
    counts = local.loc[replaced, "year"].value_counts()
    merged = pd.concat([local[~replaced], nts])
    merged = merged.assign(_survey=merged["survey"].map(SURVEYS.index))
    merged = sort_stable(merged, ["trust_code", "_survey", "year"]).drop(columns="_survey")
    return merged, {int(year): int(counts.get(year, 0)) for year in sorted(years)}


def _table(file: SourceFile, book: Workbook) -> tuple[Table | None, list[Problem]]:
    """The first sheet holding the columns (with a trust code or name), or its problems."""
    first: list[Problem] = []
    for sheet in book.sheets:
        table = find_table(book, file, sheet, COLUMNS)
        if isinstance(table, list):
            first = first or table
        elif table.has("trust_code") or table.has("trust_name"):
            return table, []
        else:
            expected = (
                f"a column {NAME_COLUMN.describe()} naming the trust, or {CODE.describe()}, "
                f"in the header row; the headers found are {list(table.headers.values())}"
            )
            first = first or [table.problem(table.header_row, None, None, expected)]
    return None, first


def _trusts(table: Table, context: Context) -> tuple[np.ndarray, list[str]]:
    """Each row's trust code (``""`` for rows left out) and notes on the rows left out."""
    codes = context.recode(table.text("trust_code"))
    names = table.text("trust_name")
    blank = codes == ""
    found = {name: _trust_code(name, context) for name in set(names[blank])}
    codes[blank] = [found[name] for name in names[blank]]
    notes = []
    unmatched = sorted({n for n, c in zip(names, codes, strict=True) if n and not c})
    if unmatched:
        notes.append(
            f"{np.sum(codes == '')} rows of {len(unmatched)} organisations whose name is in "
            f"neither local/trusts.csv nor the ODS list were left out: "
            + "; ".join(unmatched[:_NOTED])
            + (" ..." if len(unmatched) > _NOTED else "")
        )
    if context.known is not None:
        outside = (codes != "") & ~np.isin(codes, sorted(context.known))
        if outside.any():
            notes.append(f"{int(outside.sum())} rows of trusts not in local/trusts.csv left out")
        codes[outside] = ""
    return codes, notes


def _trust_code(name: str, context: Context) -> str:
    """The code of the trust ``name`` names (or is, when it is a code); ``""`` if none."""
    code = context.trust_codes.get(name_key(name))
    if code is None and ODS_CODE.match(name.upper()):
        code = context.recode(np.array([name]))[0]
    return code or ""


def _years(file: SourceFile, table: Table, problems: list[Problem]) -> np.ndarray | None:
    """The survey year of each row, as text: a Year column, a title, the file name."""
    given = file.options.get("period")
    if table.has("year") and not given:
        return table.text("year")
    year = given or find_year(table.above) or find_year([file.name_text])
    if year is None:
        expected = (
            "the survey year in a Year column, a title or the file name (e.g. "
            "GMC_NTS_2025.xlsx), or give it in dataset.yaml (sources: nts: [{file: ..., "
            "period: 2025}])"
        )
        problems.append(Problem(file.shown, None, None, None, expected, sheet=table.sheet))
        return None
    return np.full(len(table.grid), str(year), dtype=object)


def _outcomes(texts: np.ndarray) -> np.ndarray:
    """Outcome cells with the reporting tool's other names for an outcome made canonical."""
    return np.array([_OUTCOMES.get(words(t), t) for t in texts], dtype=object)


def _with_outcomes(
    frame: pd.DataFrame, origins: Origins, context: Context, notes: list[list[str]]
) -> pd.DataFrame:
    """Outcomes computed for rows of files without them; published ones checked by the rule."""
    from qvlib.metrics.surveys import calc_nts_outcome

    computed = calc_nts_outcome(frame, context.params.region)["outcome_computed"]
    has = np.array([part.table.has("outcome") for part in origins.parts], dtype=bool)
    part_of = origins.part[frame.index]
    published = has[part_of]
    frame = frame.assign(outcome=frame["outcome"].where(published, computed))
    differ = (published & frame["outcome"].notna() & (frame["outcome"] != computed)).to_numpy()
    for number, part in enumerate(origins.parts):
        if not has[number]:
            notes[number].append("no Outcome column: outcomes computed by the GMC rule")
        mine = differ & (part_of == number)
        if not mine.any():
            continue
        examples = [
            f"row {origins.row[p]}: published {frame.at[p, 'outcome']}, rule {computed[p]}"
            for p in frame.index[mine][:_NOTED]
        ]
        note = (
            f"{int(mine.sum())} published outcomes differ from the GMC rule (the published one "
            f"is kept): {'; '.join(examples)}"
        )
        notes[number].append(note)
        logger.warning("%s: %s", part.table.file.rel, note)
    return frame
