"""ODS organisation data: the NHS trusts list (``etr.csv``) and successor organisations
(``succ.csv``), CSV files without a header row as NHS England's Organisation Data Service
publishes them.

``etr.csv`` columns: organisation code, name, national grouping, high-level health geography,
address lines 1-5, postcode, open date, close date (``YYYYMMDD``), then contact and amendment
fields.  ``succ.csv`` columns: organisation code, successor organisation code, succession
reason, effective date (``YYYYMMDD``), ...

qv uses them for two things.  The trust names let a published file that names a trust rather
than coding it (the "Trust / Board" column of a GMC NTS extract) be matched to its code: names
are compared ignoring case, punctuation and "&" / "and", together with the names in
``local/trusts.csv``.  The successions map a closed code in a published file to the trust that
took it over; chains (A became B, B became C) resolve to the last.  They complement the former
codes in ``parameters/trusts/*.yaml``: where the parameters speak of a code they win.  They
apply to the published national files; canonical CSV files keep using the parameters only.
"""

from __future__ import annotations

import re

import numpy as np

from qvlib.config import Parameters
from qvlib.errors import Problem
from qvlib.sources._tables import (
    ODS_CODE,
    Read,
    SourceFile,
    Workbook,
    cell_text,
    name_key,
    opened,
    record,
)

TRUSTS, SUCCESSORS = "ODS trusts", "ODS successors"
#: File names (as words) of the two extracts.
TRUSTS_NAME = re.compile(r"^(?:etr|ods trusts?)$")
SUCCESSORS_NAME = re.compile(r"^(?:succ|ods successors?)$")
_DATE = re.compile(r"^\d{8}$")
_CODE_COLUMN, _NAME_COLUMN, _SUCCESSOR_COLUMN = "1 (organisation code)", "2 (name)", "2 (successor)"


def looks_like_trusts(book: Workbook) -> bool:
    """Whether a file with another name is shaped like ``etr.csv``."""
    row = _first_row(book)
    return len(row) >= 12 and bool(ODS_CODE.match(row[0])) and bool(_DATE.match(row[10]))


def looks_like_successors(book: Workbook) -> bool:
    """Whether a file with another name is shaped like ``succ.csv``."""
    row = _first_row(book)
    return (
        4 <= len(row) < 12
        and all(ODS_CODE.match(code) for code in row[:2])
        and bool(_DATE.match(row[3]))
    )


def _first_row(book: Workbook) -> list[str]:
    if book.sheets != [None]:
        return []
    grid = book.grid(None, nrows=1)
    return list(cell_text(grid.iloc[0].to_numpy())) if len(grid) else []


def read_trusts(files: list[SourceFile]) -> tuple[dict[str, str], Read]:
    """Trust names by ODS code (closed trusts included), from ``etr.csv`` files."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    records = []
    for file, book in opened(files, problems):
        codes, texts, rows, bad = _columns(file, book, 2, problems)
        for code, name, row in zip(codes, texts[1], rows, strict=True):
            if not name:
                bad.append(Problem(file.shown, int(row), _NAME_COLUMN, "", "the trust's name"))
            else:
                names.setdefault(code, name)
        problems += bad
        records.append(record(file, TRUSTS, None, [None], None, len(rows)))
    return names, Read(None, problems, records)


def read_successors(files: list[SourceFile], params: Parameters) -> tuple[dict[str, str], Read]:
    """Closed ODS code -> its current successor, from ``succ.csv`` files.

    Codes the parameters know (current or former) are left to the parameters.
    """
    problems: list[Problem] = []
    direct: dict[str, str] = {}
    records = []
    for file, book in opened(files, problems):
        codes, texts, rows, bad = _columns(file, book, 2, problems)
        for code, successor, row in zip(codes, texts[1], rows, strict=True):
            successor = successor.upper()
            if not ODS_CODE.match(successor):
                bad.append(
                    Problem(file.shown, int(row), _SUCCESSOR_COLUMN, successor, "an ODS code")
                )
            elif code not in params.code_map:
                direct[code] = successor
        problems += bad
        records.append(record(file, SUCCESSORS, None, [None], None, len(rows)))
    return {code: _last(code, direct) for code in direct}, Read(None, problems, records)


def _last(code: str, direct: dict[str, str]) -> str:
    """Follow successions from ``code`` to the last (a loop stops where it closes)."""
    seen = {code}
    while code in direct and direct[code] not in seen:
        code = direct[code]
        seen.add(code)
    return code


def _columns(
    file: SourceFile, book: Workbook, width: int, problems: list[Problem]
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, list[Problem]]:
    """The first ``width`` columns of a headerless extract: valid codes, texts, row numbers.

    Rows with a bad code are left out, each with a problem; blank rows are skipped.
    """
    if book.sheets != [None]:
        problems.append(Problem(file.shown, None, None, None, "a CSV file as ODS publishes it"))
        return np.empty(0, object), [np.empty(0, object)] * width, np.empty(0, int), []
    grid = book.grid(None)
    if grid.shape[1] < width:
        grid = grid.reindex(columns=range(width), fill_value="")
    texts = [cell_text(grid[column].to_numpy()) for column in range(width)]
    rows = np.arange(1, len(grid) + 1)
    blank = np.logical_and.reduce([t == "" for t in texts])
    codes = np.array([t.upper() for t in texts[0]], dtype=object)
    valid = np.array([bool(ODS_CODE.match(c)) for c in codes], dtype=bool) | blank
    bad = [
        Problem(file.shown, int(row), _CODE_COLUMN, code, "an ODS code of 3-5 letters or digits")
        for row, code in zip(rows[~valid], codes[~valid], strict=True)
    ]
    keep = valid & ~blank
    return codes[keep], [t[keep] for t in texts], rows[keep], bad


def trust_names(names: dict[str, str], successors: dict[str, str]) -> dict[str, str]:
    """Matched name -> current trust code: each ODS name, its code mapped to any successor."""
    return {name_key(name): successors.get(code, code) for code, name in names.items()}
