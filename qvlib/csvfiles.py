"""CSV files as people export them, read into cells: every record, or the problem that stops it.

:func:`read_cells` turns one file into a table of cell texts (the header is its first row) for
:mod:`qvlib.loaders` to parse.  It reads what spreadsheets and databases write: UTF-8 with or
without a byte order mark, Windows-1252, UTF-16 with a byte order mark (Excel's "Unicode
Text"), cells separated by commas or tabs, Windows, Unix and old Mac line ends, quoted cells
holding separators, quotes and line breaks.  It never guesses, and never loses a row without
saying so:

- a workbook or other binary file, a file in no known encoding, and a file whose cells are
  separated by semicolons (Excel's "CSV" where the decimal mark is a comma, so ``1,5`` would be
  misread) are refused, named as what they are;
- a quote that is never closed, or closed with text after it, stops the file with the row,
  column and line where the quoted cell opens; a quoted cell that holds what looks like whole
  rows (a line with a separator for every column) is a problem of its row: in either case a
  missing quote would otherwise fold the rows after it into one cell;
- a file that is UTF-8 but for a few bytes is read, and :func:`cell_fault` names each cell
  holding such a byte, as it names cells holding NUL characters, spreadsheet error values such
  as ``#N/A``, or more text than a spreadsheet cell can hold.

Files with no quotes, NUL characters or undecodable bytes (most exports) are read by pandas' C
parser; the others by the csv module in strict mode, which knows where each record starts.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from qvlib.errors import Problem

#: The most characters a spreadsheet cell holds (Excel's limit); a longer cell is not data.
MAX_CELL_CHARS = 32_767
#: What a spreadsheet shows for a formula that failed: never data.
SPREADSHEET_ERRORS = frozenset(
    {
        "#N/A",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#REF!",
        "#VALUE!",
        "#DIV/0!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#GETTING_DATA",
    }
)
#: Cell separators recognised, by their name in messages; commas win a tie.
SEPARATORS = {",": "commas", "\t": "tabs", ";": "semicolons"}

_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # xlsx/ods, xls
# Bytes that are not UTF-8 are kept as lone surrogates U+DC80-U+DCFF ("surrogateescape").
_UNDECODED_RE = re.compile("[\udc80-\udcff]")
_DECODED_NON_ASCII_RE = re.compile("[^\x00-\x7f\udc80-\udcff]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# A well-formed quoted cell: quotes inside doubled, the closing one where a cell ends.
_QUOTED_CELL_RE = {
    separator: re.compile(rf'"[^"]*(?:""[^"]*)*"(?=[{separator}\r\n]|\Z)')
    for separator in SEPARATORS
}
_SHOWN_CHARS = 60


def read_cells(
    path: Path, shown: str, known: Callable[[str], bool]
) -> tuple[pd.DataFrame, list[Problem]] | Problem:
    """Every record of a CSV file as text cells, or the one problem that stops it being read.

    Parameters
    ----------
    path
        The file.
    shown
        How problems name the file.
    known
        Whether a header cell names an expected column; the separator is the one that splits
        the header row into most such cells.

    Returns
    -------
    (table, problems) or Problem
        ``table`` has one row per record, the header first, and as many columns as the
        header; shorter records are padded with empty cells.  ``problems`` name rows with
        more non-empty cells than the header, or a quoted cell that swallowed rows.
    """
    if path.is_dir():
        return Problem(shown, None, None, None, "a CSV file, but this is a directory")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Problem(shown, None, None, None, "this file; it is missing (a required dataset)")
    except OSError as exc:
        return Problem(shown, None, None, None, f"a readable file ({exc.strerror})")
    decoded = _decode(data, shown)
    if isinstance(decoded, Problem):
        return decoded
    text, undecoded = decoded
    if not text or text.isspace():
        return Problem(shown, None, None, None, "a header row and data rows; the file is empty")
    separator = _separator(text, known)
    if separator == ";":
        return Problem(
            shown,
            1,
            None,
            None,
            "cells separated by commas (or tabs), but this file separates them with semicolons, "
            "as Excel does where the decimal mark is a comma, so numbers such as 1,5 would be "
            "misread: save it as 'CSV UTF-8 (Comma delimited)' with UK number settings",
        )
    read = _read_table(text, separator, shown, exact=undecoded or "\x00" in text)
    if isinstance(read, Problem):
        return read
    table, problems = read
    if '"' in text and len(table) < _lines(text):  # some quoted cell holds a line break
        problems += _swallowed(table, separator, shown)
    return table, problems


def cell_fault(text: str) -> str | None:
    """What a cell's text should have been if it cannot be data in any column, else None.

    Parameters
    ----------
    text
        One cell as :func:`read_cells` gives it.

    Returns
    -------
    str or None
        The expectation for a :class:`~qvlib.errors.Problem`: a cell longer than a
        spreadsheet cell can be, holding a NUL character or a byte that is not UTF-8 in an
        otherwise UTF-8 file, or a spreadsheet error value such as ``#N/A``.
    """
    if text.isascii() and "\x00" not in text and text[:1] != "#" and len(text) <= MAX_CELL_CHARS:
        return None  # the common case, decided at once: every cell of a file passes here
    if len(text) > MAX_CELL_CHARS:
        return (
            f"at most {MAX_CELL_CHARS:,} characters, the most a spreadsheet cell holds; this "
            f"cell has {len(text):,} (a damaged export?)"
        )
    if "\x00" in text:
        return (
            "text without NUL characters (byte 0), which cut a cell short in most programs: "
            "the file is damaged or was not saved as text; export it again as CSV UTF-8"
        )
    undecoded = _UNDECODED_RE.search(text)
    if undecoded:
        byte = bytes([ord(undecoded.group()) - 0xDC00])
        return (
            f"UTF-8 text like the rest of the file, but this cell holds the byte "
            f"0x{byte.hex().upper()}, which is not UTF-8 (in Windows-1252 it would be "
            f"{byte.decode('cp1252', 'replace')!r}): save the whole file as CSV UTF-8"
        )
    if text.upper() in SPREADSHEET_ERRORS:
        return f"a value, not the spreadsheet error {text}: fix the formula that gave it"
    return None


def printable(value: str) -> str:
    """``value`` with bytes that were not UTF-8 shown as the replacement character."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# --------------------------------------------------------------------------- bytes to text


def decode_text(data: bytes) -> str | None:
    """A text file's bytes decoded as the loaders decode them; ``None`` when that fails or leaves
    bytes that are not text (for readers that take the text whole, e.g. published CSV files)."""
    decoded = _decode(data, "")
    if isinstance(decoded, Problem) or decoded[1]:
        return None
    return decoded[0]


def _decode(data: bytes, shown: str) -> tuple[str, bool] | Problem:
    """The text of a file, and whether it holds bytes that are not UTF-8 (see below).

    A byte order mark settles the encoding.  Otherwise UTF-8 if the file decodes (a Windows-1252
    file with accents rarely does), else Windows-1252, which Excel on Windows writes for "CSV".
    A file that is UTF-8 but for a few bytes (one pasted from elsewhere) keeps those bytes as
    lone surrogates for :func:`cell_fault` to name: decoding the whole file as Windows-1252
    would garble every other accent ("CafÃ©").
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError as exc:
            return Problem(
                shown,
                None,
                None,
                None,
                f"UTF-16 text, as the file's byte order mark says, but byte {exc.start} is not "
                "UTF-16: export the file again as CSV UTF-8",
            )
    head = data[:8192]
    if data.startswith(_WORKBOOK_SIGNATURES) or head.count(0) > len(head) // 10:
        return Problem(
            shown,
            None,
            None,
            None,
            "a CSV text file, but this is a binary file (an Excel workbook, or UTF-16 text "
            "without a byte order mark? save it as CSV UTF-8)",
        )
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "surrogateescape")
    if bom or _DECODED_NON_ASCII_RE.search(text):
        return text, True
    try:
        return body.decode("cp1252"), False
    except UnicodeDecodeError:
        return Problem(shown, None, None, None, "text encoded as UTF-8 or Windows-1252")


def _separator(text: str, known: Callable[[str], bool]) -> str:
    """The separator that splits the header row into most known columns (commas on a tie)."""
    first = _LINE_BREAK_RE.split(text[:65536], maxsplit=1)[0]

    def columns(separator: str) -> int:
        return sum(map(known, _cells(first, separator)))

    return max(SEPARATORS, key=columns)


# --------------------------------------------------------------------------- text to records


def _read_table(
    text: str, separator: str, shown: str, exact: bool
) -> tuple[pd.DataFrame, list[Problem]] | Problem:
    """Every record, by pandas' C parser where it reads the text as the strict reader would.

    That is text without NUL characters or undecodable bytes (``exact`` False) whose quotes
    all belong to well-formed quoted cells; other text, or rows with more cells than the
    header, are read by :func:`_read_records`.
    """
    if not exact and _well_quoted(text, separator):
        try:
            table = pd.read_csv(
                io.StringIO(text),
                sep=separator,
                header=None,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
            )
            return table, []
        except pd.errors.ParserError:
            pass  # a row with more cells than the header: read below, exactly
    return _read_records(text, separator, shown)


def _well_quoted(text: str, separator: str) -> bool:
    """Whether every quote of ``text`` belongs to a well-formed quoted cell.

    Each such cell becomes one NUL (text holding NUL never gets here), and each NUL must then
    follow a separator or a line end, as a cell's start does.  Text of such cells is read by
    pandas' lenient parser as the strict reader reads it.
    """
    if '"' not in text:
        return True
    marked = _QUOTED_CELL_RE[separator].sub("\x00", text)
    starts = sum(marked.count(before + "\x00") for before in (separator, "\r", "\n"))
    return '"' not in marked and marked.count("\x00") == starts + marked.startswith("\x00")


def _read_records(
    text: str, separator: str, shown: str
) -> tuple[pd.DataFrame, list[Problem]] | Problem:
    """Every record, by the csv module in strict mode; rows with more cells are problems."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[list[str]] = []
    line = 0  # the last line read
    try:
        for record in reader:
            records.append(record)
            line = reader.line_num
    except csv.Error as exc:
        headers = records[0] if records else []
        lines = (line + 1, reader.line_num)
        return _broken_quote(text, separator, shown, headers, len(records) + 1, lines, exc)
    width = len(records[0])
    problems = []
    for row, record in enumerate(records, start=1):
        if len(record) == width:
            continue
        if any(cell.strip() for cell in record[width:]):
            problems.append(
                Problem(
                    shown,
                    row,
                    None,
                    f"{len(record)} cells",
                    f"at most {width} cells, one per header (is a comma missing quotes?)",
                )
            )
        records[row - 1] = record[:width] + [""] * (width - len(record))
    return pd.DataFrame(records, dtype=object), problems


def _lines(text: str) -> int:
    """The number of lines of ``text``, ended by "\\r\\n", "\\n" or "\\r"."""
    breaks = text.count("\n")
    if "\r" in text:
        breaks += text.count("\r") - text.count("\r\n")
    return breaks + (not text.endswith(("\n", "\r")))


def _swallowed(table: pd.DataFrame, separator: str, shown: str) -> list[Problem]:
    """A problem for each quoted cell holding a line that looks like a row of the file.

    A line inside a cell with a separator for every column is a row that a missing closing
    quote folded into the cell.  Other line breaks in a cell are text.
    """
    headers = [str(h) for h in table.iloc[0]]
    enough = max(len(headers) - 1, 1)
    breaks = np.zeros(len(table), dtype=np.int64)  # line breaks inside each record's cells
    found: list[tuple[int, int]] = []  # (record, cell position) of each suspect cell
    for position in range(table.shape[1]):
        codes, uniques = pd.factorize(table[position].to_numpy())
        counts = np.zeros(len(uniques), dtype=np.int64)
        for unique, cell in enumerate(uniques):
            if "\n" in cell or "\r" in cell:
                lines = _LINE_BREAK_RE.split(cell)
                counts[unique] = len(lines) - 1
                if any(line.count(separator) >= enough for line in lines[1:]):
                    found += [(int(i), position) for i in np.flatnonzero(codes == unique)]
        breaks += counts[codes]
    starts = np.arange(1, len(table) + 1) + np.concatenate(([0], np.cumsum(breaks)[:-1]))
    problems = []
    for record, position in sorted(found):
        before = table.iloc[record, :position]
        line = int(starts[record]) + sum(len(_LINE_BREAK_RE.findall(c)) for c in before)
        lines = _LINE_BREAK_RE.split(table.iat[record, position])
        inner = next(i for i, part in enumerate(lines) if i and part.count(separator) >= enough)
        problems.append(
            Problem(
                shown,
                record + 1,
                _header(headers, position),
                _clip(lines[0]),
                f"a cell that ends where it should: its quote opens on line {line} and closes "
                f"on line {line + len(lines) - 1}, and its line {line + inner} holds a whole row "
                f"({lines[inner].count(separator)} {SEPARATORS[separator]}); is a closing quote "
                f"missing on line {line}?",
            )
        )
    return problems


def _broken_quote(
    text: str,
    separator: str,
    shown: str,
    headers: list[str],
    row: int,
    lines: tuple[int, int],
    error: csv.Error,
) -> Problem:
    """The problem of a record the strict reader refused: where its quoted cell went wrong.

    ``lines`` are the line the record starts on and the line where the reader stopped.
    """
    start, stop = lines
    parts = _LINE_BREAK_RE.split(text)
    first = parts[start - 1] if start <= len(parts) else ""
    still_open, text_after = _quote_faults(first, separator)
    message = str(error)
    if "field larger than field limit" in message:
        expected = (
            f"at most {MAX_CELL_CHARS:,} characters in a cell; the cell that opens on line "
            f"{start} runs on for more than {csv.field_size_limit():,}: is its closing quote "
            "missing?"
        )
    elif "unexpected end of data" in message and stop == start:
        expected = f"a closing quote for the cell that opens on line {start}, the last line"
    elif "unexpected end of data" in message:
        expected = (
            f"a closing quote for the cell that opens on line {start}: it runs on to the end "
            f"of the file (line {stop}), which would fold every line after it into one cell"
        )
    elif stop == start and text_after is not None:
        still_open = text_after
        expected = (
            'quotes only around a whole cell, and a quote inside a cell written twice (""); '
            "here text follows the closing quote"
        )
    else:
        expected = (
            f"a closing quote for the cell that opens on line {start}: it runs on past the "
            f"end of the line until a quote on line {stop} ends it in the middle of a cell"
        )
    if still_open is None:
        return Problem(shown, row, None, None, expected)
    cells = _cells(first, separator)
    value = _clip(cells[still_open]) if still_open < len(cells) else None
    return Problem(shown, row, _header(headers, still_open), value, expected)


def _quote_faults(line: str, separator: str) -> tuple[int | None, int | None]:
    """Cells of one line with a quote fault, by position.

    Returns the cell still quoted at the end of the line and the first cell with text after
    its closing quote (None where there is none), reading quotes as the strict reader does.
    """
    position, quoted, at_start, closed = 0, False, True, False
    text_after = None
    index = 0
    while index < len(line):
        char = line[index]
        if quoted:
            if char == '"' and line[index + 1 : index + 2] == '"':
                index += 1
            elif char == '"':
                quoted, closed = False, True
        elif char == separator:
            position, at_start, closed = position + 1, True, False
            index += 1
            continue
        elif char == '"' and at_start:
            quoted = True
        elif closed and text_after is None:
            text_after = position
        at_start = False
        index += 1
    return (position if quoted else None), text_after


def _cells(line: str, separator: str) -> list[str]:
    """The cells of one line, read leniently (a quote left open ends with the line)."""
    return next(csv.reader([line], delimiter=separator), [])


def _header(headers: list[str], position: int) -> str | None:
    return headers[position].strip() if position < len(headers) else None


def _clip(text: str) -> str:
    first = _LINE_BREAK_RE.split(text, maxsplit=1)[0]
    return first if len(first) <= _SHOWN_CHARS and first == text else first[:_SHOWN_CHARS] + "…"
