"""Shared pieces of the published-format readers: opening a file, finding its header row,
matching columns by name, finding a period in text, and turning rows into a canonical frame.

A published file is opened once as a :class:`Workbook` (``.ods``, ``.xlsx`` and ``.xlsm`` through
pandas with python-calamine; a CSV file is a workbook of one unnamed sheet).  A reader lists the
columns it needs as :class:`Column` (a name and the headers it is published under);
:func:`find_table` finds the header row below any notice rows, matching headers case-, space-
and punctuation-insensitively, and reports each missing column by its published name.
:func:`to_canonical` hands the rows' text to :func:`qvlib.loaders.parse_cells`, so published and
canonical files are parsed and checked by the same rules, and tells every problem in the
published file's terms: file, sheet, spreadsheet row and header.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import python_calamine

from qvlib.config import Parameters
from qvlib.csvfiles import decode_text
from qvlib.errors import Problem
from qvlib.loaders import normalise_header, parse_cells

#: File types read as published files.
WORKBOOK_SUFFIXES = frozenset({".ods", ".xlsx", ".xlsm"})
SUFFIXES = WORKBOOK_SUFFIXES | {".csv"}
#: Sheets that hold a workbook's title and notes (searched for a period or a setting).
TITLE_SHEETS = ("Notes", "Title", "Contents", "Cover", "Information", "About")
#: Rows searched for the header below notices and titles.
HEADER_SCAN_ROWS = 30
#: Pattern of an ODS code (NHS organisations); other providers have CQC ids like 1-101639383.
ODS_CODE = re.compile(r"^[A-Z0-9]{3,5}$")

#: Month names in English whatever the locale (dates are written this way in the files).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTHS.update({name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)})
_MONTHS["sept"] = 9
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![0-9])([0-3]?[0-9])(?:st|nd|rd|th)?[ ]+({_MONTH_WORD})[ ]+((?:19|20)[0-9]{{2}})(?![0-9])"
)
_MONTH_YEAR = re.compile(rf"(?<![a-z])({_MONTH_WORD})[ ]*((?:19|20)?[0-9]{{2}})(?![0-9])")
_ISO_DAY = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})-([01][0-9])-([0-3][0-9])(?![0-9])")
_DMY_DAY = re.compile(r"(?<![0-9])([0-3]?[0-9])/([01]?[0-9])/((?:19|20)[0-9]{2})(?![0-9])")
_ISO_MONTH = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})-([01][0-9])(?![0-9])")
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")


# --------------------------------------------------------------------------- files


@dataclass
class SourceFile:
    """One published file to read: where it is and what ``dataset.yaml`` says about it.

    ``options`` holds the ``period`` (and for FFT the ``setting``) given in ``dataset.yaml``
    for a file that does not state them itself.
    """

    path: Path
    rel: str  # the path under the data directory, as the manifest records it
    options: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        """The file as problems name it."""
        return str(self.path)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @cached_property
    def book(self) -> Workbook | Problem:
        """The file opened as a workbook, or the problem that stopped it opening."""
        return Workbook.open(self.path, self.shown)

    @property
    def name_text(self) -> str:
        """The file name as words (separators as spaces), for finding a period or a setting."""
        return words(self.path.stem)


class Workbook:
    """The sheets of one file, each a grid of raw cell values in the order of the workbook.

    A grid's row ``i`` is spreadsheet row ``i + 1``: leading empty rows are kept.  A CSV file
    has one sheet, named ``None``.
    """

    def __init__(self, grids: dict[str | None, pd.DataFrame]):
        self.grids = grids
        self.sheets: list[str | None] = list(grids)

    @classmethod
    def open(cls, path: Path, shown: str) -> Workbook | Problem:
        """Read every sheet of ``path``: a workbook through pandas with python-calamine, or a
        CSV file; a problem if it cannot be read."""
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            try:
                sheets = pd.read_excel(
                    path, sheet_name=None, header=None, dtype=object, engine="calamine"
                )
            except (OSError, ValueError, python_calamine.CalamineError) as exc:
                return Problem(shown, None, None, None, f"a workbook that opens ({exc})")
            return cls(dict(sheets))
        try:
            data = path.read_bytes()
        except OSError as exc:
            return Problem(shown, None, None, None, f"a readable file ({exc.strerror})")
        text = decode_text(data) if b"\x00" not in data[:8192] else None
        if text is None or data.startswith(b"PK\x03\x04"):
            return Problem(shown, None, None, None, "a CSV text file (UTF-8 or Windows-1252)")
        records = list(csv.reader(io.StringIO(text, newline="")))
        width = max((len(r) for r in records), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object)
        return cls({None: grid})

    def grid(self, sheet: str | None, nrows: int | None = None) -> pd.DataFrame:
        """The raw cells of ``sheet``; ``nrows`` gives only the top rows."""
        return self.grids[sheet] if nrows is None else self.grids[sheet].iloc[:nrows]

    def find_sheet(self, names: Iterable[str]) -> str | None:
        """The first sheet whose name matches one of ``names`` (case and spacing ignored)."""
        wanted = {normalise_header(name) for name in names}
        return next((s for s in self.sheets if s and normalise_header(s) in wanted), None)

    def title_texts(self, rows: int = 10) -> list[str]:
        """The non-empty cells in the top ``rows`` rows of the notes and title sheets."""
        wanted = {normalise_header(name) for name in TITLE_SHEETS}
        texts = []
        for sheet in self.sheets:
            if sheet is not None and normalise_header(sheet) in wanted:
                values = self.grid(sheet, nrows=rows).to_numpy().ravel()
                texts += [t for t in cell_text(values) if t]
        return texts


# --------------------------------------------------------------------------- columns


class Column(NamedTuple):
    """A column a reader needs: its name in the reader and the headers it is published under.

    The first header is the one named in messages; matching ignores case, spacing and
    punctuation (``"Service / Population Group"`` = ``"service/population group"``).
    """

    name: str
    headers: tuple[str, ...]
    required: bool = True

    @property
    def keys(self) -> list[str]:
        """The headers as matched."""
        return [normalise_header(h) for h in self.headers]

    def describe(self) -> str:
        """``'Domain'`` or ``'Trust Code' (or 'Org Code', ...)`` for messages."""
        others = [h for h in self.headers[1:] if normalise_header(h) != self.keys[0]]
        aka = f" (or {', '.join(repr(h) for h in others)})" if others else ""
        return f"'{self.headers[0]}'{aka}"


@dataclass
class Table:
    """The data rows under the header row of one sheet, with the columns a reader matched."""

    file: SourceFile
    sheet: str | None
    header_row: int  # spreadsheet row number of the header
    positions: dict[str, int]  # reader column name -> position in the sheet
    headers: dict[str, str]  # reader column name -> header text as published
    grid: pd.DataFrame  # the data rows (raw values), indexed by spreadsheet row number
    above: list[str]  # the texts above the header row: notices and titles

    @property
    def rows(self) -> np.ndarray:
        """Spreadsheet row number of each data row."""
        return self.grid.index.to_numpy()

    def has(self, name: str) -> bool:
        """Whether column ``name`` was found."""
        return name in self.positions

    def text(self, name: str) -> np.ndarray:
        """The cells of column ``name`` as stripped text (``""`` when empty or not found)."""
        if name not in self.positions:
            return np.full(len(self.grid), "", dtype=object)
        return cell_text(self.grid.iloc[:, self.positions[name]].to_numpy())

    def take(self, keep: np.ndarray) -> Table:
        """This table with only the data rows where ``keep`` is true."""
        return Table(
            self.file,
            self.sheet,
            self.header_row,
            self.positions,
            self.headers,
            self.grid[keep],
            self.above,
        )

    def problem(self, row: int | None, name: str | None, value: str | None, expected: str):
        """A :class:`Problem` at spreadsheet ``row`` of column ``name`` (its published header)."""
        column = self.headers.get(name, name) if name is not None else None
        return Problem(self.file.shown, row, column, value, expected, sheet=self.sheet)


def find_table(
    book: Workbook, file: SourceFile, sheet: str | None, columns: Sequence[Column]
) -> Table | list[Problem]:
    """Find the header row of ``sheet`` and the columns of ``columns`` in it.

    The header is the first of the top :data:`HEADER_SCAN_ROWS` rows holding every required
    column; rows above it (notices, titles) are kept as ``Table.above``.  Data rows blank in
    every matched column are left out.

    Returns
    -------
    Table or list of Problem
        The table, or one problem per required column missing from the row that holds most of
        them (naming file, sheet, that row and the column's published name).
    """
    grid = book.grid(sheet)
    required = [c for c in columns if c.required]
    best: tuple[int, int, dict[str, int], list[str]] | None = None
    for row in range(min(HEADER_SCAN_ROWS, len(grid))):
        texts = list(cell_text(grid.iloc[row].to_numpy()))
        keys = [normalise_header(t) for t in texts]
        found = _match(columns, keys)
        score = sum(c.name in found for c in required)
        if best is None or score > best[1]:
            best = (row, score, found, texts)
        if score == len(required):
            break
    if best is None or best[1] == 0:
        names = ", ".join(c.describe() for c in required)
        return [
            Problem(
                file.shown,
                None,
                None,
                None,
                f"a header row with the columns {names} in the top {HEADER_SCAN_ROWS} rows",
                sheet=sheet,
            )
        ]
    row, score, found, texts = best
    if score < len(required):
        present = [t for t in texts if t]
        return [
            Problem(
                file.shown,
                row + 1,
                c.headers[0],
                None,
                f"a column {c.describe()} in the header row; the headers found are {present}",
                sheet=sheet,
            )
            for c in required
            if c.name not in found
        ]
    data = grid.iloc[row + 1 :].set_axis(np.arange(row + 2, len(grid) + 1), axis=0)
    blank = np.logical_and.reduce(
        [cell_text(data.iloc[:, position].to_numpy()) == "" for position in found.values()]
    )
    above = [t for t in cell_text(grid.iloc[:row].to_numpy().ravel()) if t]
    headers = {name: texts[position] for name, position in found.items()}
    return Table(file, sheet, row + 1, found, headers, data[~blank], above)


def _match(columns: Sequence[Column], keys: list[str]) -> dict[str, int]:
    """Reader column name -> position of the first header matching one of its names."""
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        if key:
            first.setdefault(key, position)
    found = {}
    for column in columns:
        position = next((first[k] for k in column.keys if k in first), None)
        if position is not None:
            found[column.name] = position
    return found


# --------------------------------------------------------------------------- cells


def cell_text(values: np.ndarray) -> np.ndarray:
    """Raw cell values as the text a CSV export would show: ``803``, ``0.94``, ``2025-11-03``.

    Whole numbers lose their ``.0``; other numbers are written in full without an exponent, so
    that parsing the text gives back the same number; dates are ISO; empty cells are ``""``.
    """
    values = np.asarray(values, dtype=object)
    if not len(values):
        return np.empty(0, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([_text(v) for v in uniques], dtype=object)[codes]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return np.format_float_positional(float(value), trim="-")
    if isinstance(value, datetime | date):
        stamp = pd.Timestamp(value)
        return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M:%S}"
    return str(value).strip()


def words(text: str) -> str:
    """``text`` lower-cased with every run of punctuation or spacing as one space."""
    return " ".join(re.sub(r"[^0-9a-z&]+", " ", text.lower()).replace("&", " & ").split())


# --------------------------------------------------------------------------- periods


def find_date(texts: Iterable[str]) -> date | None:
    """The first day written in ``texts``: '3 November 2025', '2025-11-03' or '03/11/2025'."""
    for text in texts:
        searches = (
            (_DAY_MONTH_YEAR, words(text), "dmy"),
            (_ISO_DAY, text, "ymd"),
            (_DMY_DAY, text, "dmy"),
        )
        for pattern, searched, order in searches:
            for match in pattern.finditer(searched):
                day = _day(match.groups(), order)
                if day:
                    return day
    return None


def find_month(texts: Iterable[str]) -> str | None:
    """The first month written in ``texts`` as ``YYYY-MM``: 'September 2025', 'SEP-25', ...

    A full date gives its month.
    """
    for text in texts:
        day = find_date([text])
        if day:
            return f"{day:%Y-%m}"
        plain = words(text)
        match = _MONTH_YEAR.search(plain)
        if match:
            year = int(match.group(2))
            year += 2000 if year < 100 else 0
            return f"{year:04d}-{_MONTHS[match.group(1)]:02d}"
        match = _ISO_MONTH.search(text)
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def find_year(texts: Iterable[str]) -> int | None:
    """The first four-digit year (1900-2099) written in ``texts``."""
    for text in texts:
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


def _day(parts: tuple[str, ...], order: str) -> date | None:
    if order == "dmy":
        day, month, year = parts
        month_number = _MONTHS.get(month.lower()) if not month.isdigit() else int(month)
    else:
        year, month, day = parts
        month_number = int(month)
    try:
        return date(int(year), month_number or 0, int(day))
    except ValueError:
        return None


# --------------------------------------------------------------------------- canonical frames


@dataclass
class Part:
    """Rows of one table bound for a canonical dataset: text per canonical column."""

    table: Table
    cells: dict[str, np.ndarray]


class Origins:
    """Where each row of a canonical frame built from several tables came from."""

    def __init__(self, parts: Sequence[Part]):
        self.parts = list(parts)
        sizes = [len(p.table.grid) for p in self.parts]
        self.part = np.repeat(np.arange(len(self.parts)), sizes)
        self.row = np.concatenate([p.table.rows for p in self.parts] or [np.empty(0, int)])

    def table(self, position: int) -> Table:
        """The table row ``position`` came from."""
        return self.parts[self.part[position]].table

    def where(self, position: int) -> str:
        """'<file>, sheet 'Trusts', row 5' for messages that point at another row."""
        table = self.table(position)
        sheet = f", sheet '{table.sheet}'" if table.sheet else ""
        return f"{table.file.rel}{sheet}, row {self.row[position]}"

    def problem(self, position: int, name: str | None, value: str | None, expected: str):
        """A problem at row ``position`` of the frame, told in its file's terms."""
        return self.table(position).problem(int(self.row[position]), name, value, expected)

    def remap(self, problem: Problem) -> list[Problem]:
        """A problem found by :func:`qvlib.loaders.parse_cells`, told in the file's terms."""
        if problem.row is not None:
            return [self.problem(problem.row, problem.column, problem.value, problem.expected)]
        return [
            p.table.problem(None, problem.column, problem.value, problem.expected)
            for p in {id(p.table.file): p for p in self.parts}.values()
        ]


def to_canonical(
    dataset: str, parts: Sequence[Part], params: Parameters
) -> tuple[pd.DataFrame, list[Problem], Origins]:
    """Parse and validate the rows of ``parts`` as dataset ``dataset``.

    Returns
    -------
    (frame, problems, origins)
        The rows that passed every check, indexed by position (``origins`` tells where each
        came from), and every problem in the published files' terms.
    """
    origins = Origins(parts)
    names = list(dict.fromkeys(name for part in parts for name in part.cells))
    cells = {
        name: np.concatenate(
            [p.cells.get(name, np.full(len(p.table.grid), "", dtype=object)) for p in parts]
        )
        for name in names
    }
    frame, found = parse_cells(dataset, pd.DataFrame(cells, dtype=object), params=params)
    problems = [q for p in found for q in origins.remap(p)]
    return frame, problems, origins


def duplicate_problems(
    frame: pd.DataFrame, keys: list[str], origins: Origins, what: str
) -> list[Problem]:
    """A problem at every row repeating the ``keys`` of an earlier row (another file too)."""
    repeated = frame.duplicated(keys, keep="first")
    first = frame[frame.duplicated(keys, keep=False) & ~repeated]
    first_at = {tuple(k): pos for k, pos in zip(first[keys].to_numpy(), first.index, strict=True)}
    problems = []
    for position, key in zip(
        frame.index[repeated], frame.loc[repeated, keys].to_numpy(), strict=True
    ):
        earlier = origins.where(first_at[tuple(key)])
        shown = ", ".join("" if pd.isna(k) else str(k) for k in key)
        problems.append(
            origins.problem(position, None, shown, f"one row per {what}; {earlier} has the same")
        )
    return problems


def span(values: Iterable[str]) -> str | None:
    """'2024', or '2022 to 2025' for several values (sorted); ``None`` for none."""
    known = sorted({v for v in values if v})
    if not known:
        return None
    return known[0] if len(known) == 1 else f"{known[0]} to {known[-1]}"


def sort_stable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``keys``, rows with equal keys kept in the order they were read."""
    return frame.sort_values(keys, kind="stable")


def record(
    file: SourceFile,
    publication: str,
    dataset: str | None,
    sheets: Sequence[str | None],
    period: str | None,
    rows: int,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The provenance of one published file read (see :attr:`qvlib.datasets.Dataset.sources`)."""
    entry: dict[str, Any] = {
        "publication": publication,
        "dataset": dataset,
        "file": file.rel,
        "sheets": [s for s in sheets if s],
        "sha256": file.sha256,
        "period": period,
        "rows": int(rows),
    }
    if notes:
        entry["notes"] = list(notes)
    return entry


# --------------------------------------------------------------------------- reading


@dataclass
class Context:
    """What the readers need beyond the files: parameters, ODS successors and trust names."""

    params: Parameters
    successors: dict[str, str] = field(default_factory=dict)  # closed ODS code -> successor
    trust_codes: dict[str, str] = field(default_factory=dict)  # name_key(name) -> trust code
    known: set[str] | None = None  # codes in local/trusts.csv; None when it did not load

    def recode(self, texts: np.ndarray) -> np.ndarray:
        """Organisation codes upper-cased, a closed code replaced by its ODS successor."""
        return np.array([self.successors.get(t.upper(), t.upper()) for t in texts], dtype=object)


@dataclass
class Read:
    """What a reader gives: the canonical frame (``None`` if none), problems, provenance."""

    frame: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


def name_key(name: str) -> str:
    """An organisation name as matched: case, punctuation and '&' / 'and' ignored."""
    return words(name).replace(" & ", " and ")


def opened(
    files: Sequence[SourceFile], problems: list[Problem]
) -> list[tuple[SourceFile, Workbook]]:
    """The files that open, each with its workbook; a problem for each that does not."""
    out = []
    for file in files:
        book = file.book
        if isinstance(book, Problem):
            problems.append(book)
        else:
            out.append((file, book))
    return out
