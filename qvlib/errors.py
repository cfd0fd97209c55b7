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
    """Base class of every error that qv reports to a user without a traceback."""


class ConfigError(QvError):
    """A parameters file is missing, malformed, or has an unknown key or a bad value."""


class NotebookParameterError(QvError):
    """A notebook was given a parameter that its parameters cell does not declare."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one input file.

    ``row`` is the row number a user sees in a spreadsheet (the header is row 1, so the first
    data row is row 2); ``None`` when the problem is about the whole file or a whole column.
    ``sheet`` names the worksheet of a workbook (``None`` for a CSV file).
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
    """One or more input files failed validation; ``problems`` lists every one of them."""

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
    """Render problems as a report grouped by file, at most ``limit_per_file`` lines a file."""
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
