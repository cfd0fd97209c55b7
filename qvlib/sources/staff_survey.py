"""NHS Staff Survey benchmark data in long form into the canonical ``staff_survey`` frame.

One row per organisation x People Promise element (or, before 2021, theme) x sub-score, with
the organisation's score (0-10), its benchmark group, the group's best, average and worst
scores and the number of responses.  The pre-2021 ten themes (equality, diversity and
inclusion; health and wellbeing; immediate managers; morale; quality of appraisals; quality of
care; bullying and harassment; violence; safety culture; staff engagement) are read the same
way: a "Theme" column takes the place of "People Promise element", and files of those years
have no sub-scores.  ``*`` marks a suppressed score.

The survey year comes from a Year column, a title ("NHS Staff Survey 2024") or the file name,
else from ``dataset.yaml``.  The data sheet is the first sheet holding the columns.  Rows come
out by organisation, then year, then file order.
"""

from __future__ import annotations

import re

import numpy as np

from qvlib.errors import Problem
from qvlib.sources._tables import (
    Column,
    Context,
    Part,
    Read,
    SourceFile,
    Table,
    Workbook,
    duplicate_problems,
    find_table,
    find_year,
    opened,
    record,
    sort_stable,
    span,
    to_canonical,
)

PUBLICATION = "NHS Staff Survey"
DATASET = "staff_survey"
#: File names (as words) that say "NHS Staff Survey".
NAME = re.compile(r"\bstaff survey\b|\bnss\d*\b")
COLUMNS = [
    Column(
        "org_code",
        ("Organisation Code", "Org Code", "Organisation ODS Code", "Trust Code", "ODS Code"),
    ),
    Column("year", ("Year", "Survey Year"), required=False),
    Column("element", ("People Promise Element", "Element", "Theme", "People Promise Theme")),
    Column("sub_score", ("Sub-score", "Sub Score", "Subscore", "Sub-theme"), required=False),
    Column("score", ("Score", "Organisation Score", "Trust Score")),
    Column("benchmark_group", ("Benchmark Group", "Benchmarking Group", "Comparator Group")),
    Column("benchmark_best", ("Best", "Benchmark Best", "Best Score")),
    Column("benchmark_average", ("Average", "Benchmark Average", "Average Score")),
    Column("benchmark_worst", ("Worst", "Benchmark Worst", "Worst Score")),
    Column("responses", ("Responses", "Number of Responses", "Respondents", "Base")),
]
_VALUES = [c.name for c in COLUMNS if c.name not in ("org_code", "year")]


def looks_like(file: SourceFile, book: Workbook) -> bool:
    """Whether a file with another name holds Staff Survey benchmark data."""
    return _table(file, book)[0] is not None


def read(files: list[SourceFile], context: Context) -> Read:
    """The canonical ``staff_survey`` frame from every Staff Survey file found."""
    problems: list[Problem] = []
    parts: list[Part] = []
    records = []
    for file, book in opened(files, problems):
        table, found = _table(file, book)
        if table is None:
            problems += found
            continue
        years = _years(file, table, problems)
        if years is None:
            continue
        cells = {"org_code": context.recode(table.text("org_code")), "year": years}
        parts.append(Part(table, cells | {c: table.text(c) for c in _VALUES}))
        period = span(years)
        records.append(record(file, PUBLICATION, DATASET, [table.sheet], period, len(years)))
    if not parts:
        return Read(None, problems)
    frame, found, origins = to_canonical(DATASET, parts, context.params)
    keys = ["org_code", "year", "element", "sub_score"]
    problems += found + duplicate_problems(frame, keys, origins, "organisation, year and score")
    return Read(sort_stable(frame, ["org_code", "year"]), problems, records)


def _table(file: SourceFile, book: Workbook) -> tuple[Table | None, list[Problem]]:
    """The first sheet holding the columns, or the problems of the first sheet."""
    first: list[Problem] = []
    for sheet in book.sheets:
        table = find_table(book, file, sheet, COLUMNS)
        if not isinstance(table, list):
            return table, []
        first = first or table
    return None, first


def _years(file: SourceFile, table: Table, problems: list[Problem]) -> np.ndarray | None:
    """The survey year of each row, as text: a Year column, a title, the file name."""
    given = file.options.get("period")
    if table.has("year") and not given:
        return table.text("year")
    year = given or find_year(table.above) or find_year([file.name_text])
    if year is None:
        expected = (
            "the survey year in a Year column, a title or the file name (e.g. "
            "NHS_Staff_Survey_2024_benchmarks.xlsx), or give it in dataset.yaml "
            "(sources: staff_survey: [{file: ..., period: 2024}])"
        )
        problems.append(Problem(file.shown, None, None, None, expected, sheet=table.sheet))
        return None
    return np.full(len(table.grid), str(year), dtype=object)
