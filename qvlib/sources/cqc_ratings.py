"""CQC latest ratings: the workbook CQC publishes monthly (``.ods``; ``.xlsx`` and ``.csv``
exports read the same) into the canonical ``cqc_ratings`` frame.

The workbook has a "Locations" and a "Providers" sheet, each long: one row per location (or
provider) x service or population group x domain (key question), sometimes below a notice.
Locations give ``location_id`` and ``location_name``; provider rows have no location and take
the provider's name.  For an NHS trust the Provider ID is its ODS code; rows of other providers
(CQC ids such as ``1-101639383``) are left out, as qv reviews NHS organisations.  Domains are
matched ignoring case and punctuation ("Well-led" = "Well Led"); "Insufficient evidence to
rate" counts as not rated.  A CSV export holds one sheet: it is a Locations sheet when it has a
"Location ID" column.

The publication date is read from the file name (``03_November_2025_Latest_ratings.ods``,
``CQC_ratings_Nov2025.ods``) or a notice above the header, else from ``dataset.yaml``; without
one the ratings still load, and the provenance says the file is undated.  Rows come out grouped
by provider, provider rows first, then in file order.
"""

from __future__ import annotations

import re

import numpy as np

from qvlib.errors import Problem
from qvlib.schemas import KEY_COLUMNS
from qvlib.sources._tables import (
    ODS_CODE,
    Column,
    Context,
    Part,
    Read,
    SourceFile,
    Table,
    Workbook,
    duplicate_problems,
    find_date,
    find_month,
    find_table,
    opened,
    record,
    sort_stable,
    to_canonical,
    words,
)

PUBLICATION = "CQC ratings"
DATASET = "cqc_ratings"
#: File names (as words) that say "CQC latest ratings".
NAME = re.compile(r"\blatest ratings\b|\bcqc\b")

_SHARED = [
    Column("service_group", ("Service / Population Group",)),
    Column("key_question", ("Domain", "Key Question")),
    Column("rating", ("Latest Rating", "Rating")),
    Column("publication_date", ("Publication Date", "Latest Rating Publication Date")),
]
LOCATIONS = [
    Column("provider_id", ("Provider ID",)),
    Column("location_id", ("Location ID",)),
    Column("location_name", ("Location Name",)),
    *_SHARED,
]
PROVIDERS = [
    Column("provider_id", ("Provider ID",)),
    Column("location_name", ("Provider Name",)),
    *_SHARED,
]
_KEY_QUESTIONS = {"well led": "well-led"}
_RATINGS = {"insufficient evidence to rate": "not rated"}


def looks_like(file: SourceFile, book: Workbook) -> bool:
    """Whether a file with another name is a CQC ratings workbook or CSV export."""
    if book.sheets != [None]:
        return bool(book.find_sheet(["Locations"]) and book.find_sheet(["Providers"]))
    return bool(_tables(file, book)[0])


def read(files: list[SourceFile], context: Context) -> Read:
    """The canonical ``cqc_ratings`` frame from the CQC ratings file (one file at a time)."""
    problems: list[Problem] = []
    parts: list[Part] = []
    records = []
    for number, (file, book) in enumerate(opened(files, problems)):
        if number:
            expected = f"one CQC latest ratings file; {files[0].rel} is one too (keep the latest)"
            problems.append(Problem(file.shown, None, None, None, expected))
            continue
        tables, found = _tables(file, book)
        problems += found
        notes = []
        for table in tables:
            part, left_out = _part(table, context)
            parts.append(part)
            if left_out:
                notes.append(
                    f"{left_out} rows of sheet {table.sheet or '(CSV)'} are about providers "
                    "that are not NHS organisations: left out"
                )
        if tables:
            rows = sum(len(p.table.grid) for p in parts)
            sheets = [t.sheet for t in tables]
            period = _period(file, tables)
            records.append(record(file, PUBLICATION, DATASET, sheets, period, rows, notes))
    if not parts:
        return Read(None, problems)
    frame, found, origins = to_canonical(DATASET, parts, context.params)
    keys = list(KEY_COLUMNS[DATASET])
    found += duplicate_problems(frame, keys, origins, "location, service, key question and date")
    return Read(sort_stable(frame, ["provider_id"]), problems + found, records)


def _tables(file: SourceFile, book: Workbook) -> tuple[list[Table], list[Problem]]:
    """The Providers then the Locations table of a workbook, or the one table of a CSV file."""
    if book.sheets == [None]:
        tried = [find_table(book, file, None, columns) for columns in (LOCATIONS, PROVIDERS)]
        tables = [t for t in tried if not isinstance(t, list)]
        return (tables[:1], []) if tables else ([], min(tried, key=len))
    tables: list[Table] = []
    problems: list[Problem] = []
    for name, columns in (("Providers", PROVIDERS), ("Locations", LOCATIONS)):
        sheet = book.find_sheet([name])
        if sheet is None:
            expected = f"a sheet named '{name}'; the sheets are {book.sheets}"
            problems.append(Problem(file.shown, None, None, None, expected))
            continue
        table = find_table(book, file, sheet, columns)
        if isinstance(table, list):
            problems += table
        else:
            tables.append(table)
    return ([], problems) if problems else (tables, [])


def _part(table: Table, context: Context) -> tuple[Part, int]:
    """The table's rows of NHS organisations as canonical text, and how many were left out."""
    provider = context.recode(table.text("provider_id"))
    nhs = np.array([bool(ODS_CODE.match(code)) for code in provider], dtype=bool)
    table = table.take(nhs)
    cells = {
        "provider_id": provider[nhs],
        "location_id": table.text("location_id"),
        "location_name": table.text("location_name"),
        "service_group": table.text("service_group"),
        "key_question": _renamed(table.text("key_question"), _KEY_QUESTIONS),
        "rating": _renamed(table.text("rating"), _RATINGS),
        "publication_date": table.text("publication_date"),
    }
    if not table.has("location_id"):
        del cells["location_id"]
    return Part(table, cells), int((~nhs).sum())


def _renamed(texts: np.ndarray, names: dict[str, str]) -> np.ndarray:
    """Each text, or its canonical spelling when ``names`` knows it (as words)."""
    return np.array([names.get(words(t), t) for t in texts], dtype=object)


def _period(file: SourceFile, tables: list[Table]) -> str | None:
    """The publication date (``YYYY-MM-DD``) or month (``YYYY-MM``) the file states."""
    given = file.options.get("period")
    if given:
        return given
    for texts in ([file.name_text], [t for table in tables for t in table.above]):
        day = find_date(texts)
        if day:
            return f"{day:%Y-%m-%d}"
        month = find_month(texts)
        if month:
            return month
    return None
