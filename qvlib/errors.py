"""Exceptions raised by qv, and the problem report that bad data and bad parameters produce.

Every error a user can cause derives from :class:`QvError` and carries a message that names the
file, the place in it and what was expected, so the CLI can print it without a traceback.
Data problems are collected as :class:`Problem` rows and raised together as one
:class:`DataValidationError`, so a user fixes every file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class QvError(Exception):
    """Base class of every error that qv reports to a user without a traceback.

    Catch it to handle any of qv's errors; the message says what to do:

    >>> import qvlib as qv
    >>> try:
    ...     qv.load("data/sample").trust("XYZ")
    ... except QvError as exc:
    ...     print(exc)
    trust 'XYZ' is not in local/trusts.csv of .../data/sample; known trust codes are R0D, ...
    """


class ConfigError(QvError):
    """A parameters file is missing, malformed, or has an unknown key or a bad value.

    >>> from qvlib.config import load_region
    >>> load_region("no/such/region.yaml")
    Traceback (most recent call last):
    ...
    qvlib.errors.ConfigError: .../no/such/region.yaml: file not found
    """


class NotebookParameterError(QvError):
    """A notebook was given a parameter that its parameters cell does not declare, or a value
    of another type than the one declared.

    >>> from qvlib.notebooks import check_parameters
    >>> after_papermill = {"__annotations__": {"trust_code": str}, "trust_code": "RHM", "trust": 1}
    >>> check_parameters(after_papermill)
    Traceback (most recent call last):
    ...
    qvlib.errors.NotebookParameterError: unknown parameter 'trust'. This notebook's ...
    """


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one input file.

    ``row`` is the row number a user sees in a spreadsheet (the header is row 1, so the first
    data row is row 2); ``None`` when the problem is about the whole file or a whole column.
    ``sheet`` names the worksheet of a workbook (``None`` for a CSV file).

    >>> print(Problem("local/risks.csv", 7, "likelihood", "9", "a whole number from 1 to 5"))
    local/risks.csv, row 7, column 'likelihood': got '9'; expected a whole number from 1 to 5
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f", sheet '{self.sheet}'"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}{_got(self.value)}; expected {self.expected}"


class DataValidationError(QvError):
    """One or more input files failed validation; ``problems`` lists every one of them.

    >>> error = DataValidationError([Problem("local/risks.csv", 7, "likelihood", "9", "1 to 5")])
    >>> error.problems[0].row
    7
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_problem_sort_key)
        super().__init__(format_problems(self.problems))


def _got(value: str | None, limit: int = 80) -> str:
    """``: got '<value>'``, a long value cut short so that a report stays readable."""
    if value is None:
        return ""
    return f": got {value if len(value) <= limit else value[:limit] + '…'!r}"


def _problem_sort_key(p: Problem) -> tuple:
    row = p.row if p.row is not None else -1
    return (p.file, p.sheet or "", row, p.column or "", p.value or "", p.expected)


def format_problems(problems: list[Problem], limit_per_file: int = 50) -> str:
    """Render problems as a report grouped by file, at most ``limit_per_file`` lines a file.

    >>> print(format_problems([
    ...     Problem("local/risks.csv", 7, "likelihood", "9", "a whole number from 1 to 5"),
    ...     Problem("local/funding.csv", None, None, None, "this file; it is missing"),
    ... ]))
    2 problems in 2 files:
    <BLANKLINE>
    local/risks.csv
      row 7, column 'likelihood': got '9'; expected a whole number from 1 to 5
    <BLANKLINE>
    local/funding.csv
      file; expected this file; it is missing
    """
    lines: list[str] = []
    by_file: dict[str, list[Problem]] = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    total = len(problems)
    lines.append(
        f"{total} problem{'s' if total != 1 else ''} in {len(by_file)} file"
        f"{'s' if len(by_file) != 1 else ''}:"
    )
    for file, items in by_file.items():
        lines.append(f"\n{file}")
        for p in items[:limit_per_file]:
            place = [f"sheet '{p.sheet}'"] if p.sheet else []
            if p.row is not None or not place:
                place.append("file" if p.row is None else f"row {p.row}")
            col = f", column '{p.column}'" if p.column else ""
            lines.append(f"  {', '.join(place)}{col}{_got(p.value)}; expected {p.expected}")
        if len(items) > limit_per_file:
            lines.append(f"  ... and {len(items) - limit_per_file} more problems in this file")
    return "\n".join(lines)
