"""The CQC response bundle: a deterministic, self-verifying zip of a trust's extracts.

:func:`write_bundle` writes ``cqc-response-bundle.zip`` holding, in this order, ``README.txt``,
``summary.html``, one ``extracts/<name>.csv`` per extract, ``extracts.xlsx`` (the same extracts,
one sheet each) and ``SHA256SUMS``.  The same inputs always give the same bytes: every zip entry
(including those inside the workbook, itself a zip) carries a fixed date, fixed permissions and
fixed compression, and the workbook's document properties carry a fixed date, so the run time
belongs to the runner's manifest alone.  Extracts arrive already suppressed (a missing value and a
boolean flag column, ``suppressed`` unless named otherwise); the writer shows those cells as the
suppression marker and adds nothing.  Dates read as everywhere else in qv (``14 Oct 2025``: text
in the CSV files, date cells shown that way in the workbook) and true/false as Yes and No.  Text
that a spreadsheet could run as a formula is neutralised in both formats.
The zip is written atomically: a failure leaves any earlier bundle untouched and no temp file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import math
import os
import re
import secrets
import stat
import textwrap
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from qvlib import display

if TYPE_CHECKING:
    from qvlib.config import SuppressionSettings

logger = logging.getLogger(__name__)

#: File name of the bundle in a trust's output folder (docs/packs.md, "CQC response bundle").
BUNDLE_FILENAME = "cqc-response-bundle.zip"
#: The boolean column that marks a row whose small counts were suppressed upstream.
SUPPRESSED_COLUMN = "suppressed"
#: Every file date in the zip and the workbook: the earliest date a zip can hold, so the bytes
#: never depend on when the bundle was made.
FIXED_DATE = dt.datetime(1980, 1, 1)
#: NHS Blue, the header fill of every sheet.
NHS_BLUE = "005EB8"

_README = "README.txt"
_SUMMARY = "summary.html"
_WORKBOOK = "extracts.xlsx"
_SUMS = "SHA256SUMS"
_CORE_PROPERTIES = "docProps/core.xml"
_TRUST_COLUMN = "trust_code"  # the trust column of every local dataset in qvlib.schemas

# A spreadsheet may run a cell starting with one of these as a formula (OWASP CSV injection;
# OWASP also lists carriage return, which _clean_text has already turned into a line feed).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t")
_EXTRACT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHEET_FORBIDDEN_RE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_SHEET_MAX_UNITS = 31  # Excel counts a sheet name's length in UTF-16 code units
_COLUMN_MAX_WIDTH = 60
_COLUMN_MIN_WIDTH = 8
_README_WIDTH = 78
_SUM_LINE_RE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
#: How the workbook shows a date: as qv writes dates everywhere (``14 Oct 2025``).
_DATE_FORMAT = "d mmm yyyy"


@dataclass(frozen=True, kw_only=True)
class BundleReadme:
    """What ``README.txt`` says about the bundle.

    Attributes
    ----------
    trust_code, trust_name
        The trust the bundle is about (ODS code and name).
    review_year
        The review year, ``YYYY/YY``.
    period_start, period_end
        First and last day of the period the extracts cover.
    sources
        Dataset name -> SHA-256 of its file, or the id of the data snapshot it came from.
    extract_descriptions
        Extract name -> one line saying what it holds; one for every extract, no more.
    suppression_rule
        The suppression rule applied upstream, in words (see :func:`describe_suppression`).
    synthetic
        True when the data is synthetic: the README then says so before anything else.
    sites, specialties
        The sites and specialties the request covers; empty means all of them.
    request
        The request's details as (item, value) pairs, in the order shown; empty for none.
    marking
        The protective marking (e.g. ``OFFICIAL-SENSITIVE``): the README's first and last line.
    notes
        Sentences about what the extracts hold and leave out (judged at which date, ...).

    Examples
    --------
    >>> import datetime as dt
    >>> readme = BundleReadme(
    ...     trust_code="RHM", trust_name="University Hospital Southampton NHS Foundation Trust",
    ...     review_year="2025/26", period_start=dt.date(2025, 4, 1),
    ...     period_end=dt.date(2026, 3, 31), sources={"risks": "snapshot 3f2a9c"},
    ...     extract_descriptions={"risks": "Open risks at the trust"},
    ...     suppression_rule="No small numbers in these extracts.", synthetic=True,
    ... )
    >>> readme.sites  # empty: the whole trust
    ()
    """

    trust_code: str
    trust_name: str
    review_year: str
    period_start: dt.date
    period_end: dt.date
    sources: Mapping[str, str]
    extract_descriptions: Mapping[str, str]
    suppression_rule: str
    synthetic: bool
    sites: Sequence[str] = ()
    specialties: Sequence[str] = ()
    request: Sequence[tuple[str, str]] = ()
    marking: str | None = None
    notes: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError(
                f"period_end {self.period_end} is before period_start {self.period_start}"
            )
        one_line = {
            "trust_code": self.trust_code,
            "trust_name": self.trust_name,
            "review_year": self.review_year,
            **{f"sources[{k!r}]": v for k, v in self.sources.items()},
            **{f"extract_descriptions[{k!r}]": v for k, v in self.extract_descriptions.items()},
            **({"marking": self.marking} if self.marking is not None else {}),
        }
        for key, text in one_line.items():
            if not str(text).strip() or "\n" in str(text) or "\r" in str(text):
                raise ValueError(f"BundleReadme.{key} must be one non-empty line, not {text!r}")


def describe_suppression(settings: SuppressionSettings) -> str:
    """Say in words which suppression rules the region applies, for ``README.txt``.

    Parameters
    ----------
    settings
        The ``suppression`` section of ``parameters/region.yaml``.

    Returns
    -------
    str
        One paragraph naming each source's threshold and any secondary suppression.

    Examples
    --------
    >>> from qvlib.config import load_region_cached
    >>> text = describe_suppression(load_region_cached().suppression)
    >>> text.split("; ")[0]
    'Results built ... GMC National Training Survey (NTS): fewer than 3 respondents'
    """
    labels = (
        ("nts", "GMC National Training Survey (NTS)", "respondents"),
        ("nets", "National Education and Training Survey (NETS)", "respondents"),
        ("staff_survey", "NHS Staff Survey", "respondents"),
        ("fft", "Friends and Family Test (FFT)", "responses"),
    )
    parts = []
    for key, label, unit in labels:
        rule = getattr(settings, key)
        text = f"{label}: fewer than {rule.threshold} {unit}"
        if rule.secondary:
            text += (
                ", and the next-smallest row in the same group, so that a suppressed value "
                "cannot be worked out by subtraction"
            )
        parts.append(text)
    return "Results built from too few people are suppressed before any table is made. " + (
        "; ".join(parts) + "."
    )


def make_sheet_names(names: Iterable[str]) -> list[str]:
    """Turn names into distinct sheet names that Excel accepts, in the same order.

    Excel forbids ``[ ] : * ? / \\`` (and control characters), a leading or trailing
    apostrophe, an empty name, the reserved name ``History`` and names over 31 characters, and
    compares names without regard to case.  Forbidden characters become ``_``; a name that
    clashes with an earlier one gets `` (2)``, `` (3)``, ... within the 31 characters.

    Parameters
    ----------
    names
        The wanted names, e.g. extract names.

    Returns
    -------
    list[str]
        One valid sheet name per input, distinct without regard to case.

    Examples
    --------
    >>> make_sheet_names(["risks", "Risks", "a/b", "History"])
    ['risks', 'Risks (2)', 'a_b', 'History_']
    """
    result: list[str] = []
    taken: set[str] = set()
    for name in names:
        base = _SHEET_FORBIDDEN_RE.sub("_", str(name)).strip("'")
        if not base.strip():
            base = "Sheet"
        if base.casefold() == "history":
            base += "_"
        candidate = _truncate_utf16(base, _SHEET_MAX_UNITS).rstrip("'")
        number = 2
        while candidate.casefold() in taken:
            suffix = f" ({number})"
            candidate = _truncate_utf16(base, _SHEET_MAX_UNITS - len(suffix)).rstrip("'") + suffix
            number += 1
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def write_bundle(
    path: Path,
    *,
    summary_html: str,
    extracts: Mapping[str, pd.DataFrame],
    readme: BundleReadme,
    marker: str = "*",
    suppressed_column: str = SUPPRESSED_COLUMN,
) -> str:
    """Write the CQC response bundle zip atomically and return its SHA-256.

    Parameters
    ----------
    path
        The zip file to write, normally ``<out>/<YYYY-YY>/<ODS>/cqc-response-bundle.zip``; its
        folder is created when missing.  An existing file is replaced only once the new one is
        complete.
    summary_html
        The summary page, a self-contained HTML document.
    extracts
        Extract name -> frame, in the order the files and sheets should appear.  Names are file
        names without ``.csv`` (letters, digits, ``.``, ``_``, ``-``).  Frames arrive already
        suppressed: a suppressed cell is missing and its row has ``suppressed`` True.  A named
        index is written as leading columns; an unnamed one is dropped.  A ``trust_code``
        column must hold only ``readme.trust_code``.
    readme
        What the README says: trust, period, scope, sources, rule, synthetic flag, descriptions.
    marker
        How a suppressed cell is shown (``suppression.marker`` in ``region.yaml``).
    suppressed_column
        The boolean column of an extract that flags a suppressed row (a heading in words, say
        ``"Suppressed"``, for extracts presented to readers).

    Returns
    -------
    str
        The SHA-256 of the zip, as lowercase hex.

    Raises
    ------
    ValueError
        A bad extract name, a missing or unknown description, another trust's rows, an
        infinite number, or a ``suppressed`` column that is not boolean.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> readme = BundleReadme(
    ...     trust_code="RHM", trust_name="University Hospital Southampton", review_year="2025/26",
    ...     period_start=dt.date(2025, 4, 1), period_end=dt.date(2026, 3, 31),
    ...     sources={"risks": "snapshot 3f2a9c"}, extract_descriptions={"risks": "Open risks"},
    ...     suppression_rule="No small numbers.", synthetic=True,
    ... )
    >>> risks = pd.DataFrame({"trust_code": ["RHM"], "risk_id": ["RHM-R001"]})
    >>> folder = tempfile.TemporaryDirectory()
    >>> zip_path = Path(folder.name) / BUNDLE_FILENAME
    >>> digest = write_bundle(zip_path, summary_html="<!DOCTYPE html><title>Summary</title>",
    ...                       extracts={"risks": risks}, readme=readme)
    >>> list(read_bundle(zip_path))
    ['README.txt', 'summary.html', 'extracts/risks.csv', 'extracts.xlsx', 'SHA256SUMS']
    >>> verify_bundle(zip_path)
    []
    >>> folder.cleanup()
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the zip file, e.g. {path / BUNDLE_FILENAME}")
    _check_extracts(extracts, readme)

    tables = {
        name: _to_table(name, frame, readme.trust_code, suppressed_column)
        for name, frame in extracts.items()
    }
    sheets = dict(zip(tables, make_sheet_names(tables), strict=True))
    members: list[tuple[str, bytes]] = [
        (
            _README,
            _readme_text(readme, tables, sheets, marker, suppressed_column).encode("utf-8"),
        ),
        (_SUMMARY, summary_html.encode("utf-8")),
    ]
    members += [(f"extracts/{name}.csv", _csv_bytes(t, marker)) for name, t in tables.items()]
    members.append((_WORKBOOK, _workbook_bytes(tables, sheets, marker)))
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in members)
    members.append((_SUMS, sums.encode("ascii")))

    data = _zip_bytes(members)
    _write_atomically(path, data)
    digest = hashlib.sha256(data).hexdigest()
    logger.info("wrote %s (%d extracts, sha256 %s)", path, len(tables), digest)
    return digest


def read_bundle(path: Path) -> dict[str, bytes]:
    """Every file in a bundle (or any zip), name -> bytes, in the order they are stored.

    Parameters
    ----------
    path
        The zip file.

    Returns
    -------
    dict[str, bytes]
        The files' contents.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
    ...     with zipfile.ZipFile(handle, "w") as archive:
    ...         archive.writestr("README.txt", "hello")
    ...     read_bundle(Path(handle.name))
    {'README.txt': b'hello'}
    """
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def verify_bundle(path: Path) -> list[str]:
    """Check a bundle against its own ``SHA256SUMS``, as ``sha256sum -c`` would.

    Parameters
    ----------
    path
        The zip file.

    Returns
    -------
    list[str]
        One line per problem: an unreadable zip, a missing ``SHA256SUMS``, a malformed line, a
        listed file that is missing or whose checksum differs, a file that is not listed, or a
        name stored twice.  Empty when everything verifies.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
    ...     with zipfile.ZipFile(handle, "w") as archive:
    ...         archive.writestr("README.txt", "hello")
    ...     verify_bundle(Path(handle.name))
    ['SHA256SUMS: missing, so nothing can be verified']
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            files = {name: archive.read(name) for name in names}
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: cannot read the zip ({exc})"]

    problems = [
        f"{name}: stored more than once" for name in sorted(set(names)) if names.count(name) > 1
    ]
    if _SUMS not in files:
        return [*problems, f"{_SUMS}: missing, so nothing can be verified"]
    listed: set[str] = set()
    for number, line in enumerate(files[_SUMS].decode("utf-8", "replace").splitlines(), 1):
        match = _SUM_LINE_RE.match(line)
        if not match:
            problems.append(f"{_SUMS} line {number}: not '<sha256>  <file>': {line!r}")
            continue
        expected, name = match.group(1).lower(), match.group(2)
        listed.add(name)
        if name not in files:
            problems.append(f"{name}: listed in {_SUMS} but not in the zip")
        elif hashlib.sha256(files[name]).hexdigest() != expected:
            problems.append(f"{name}: SHA-256 differs from {_SUMS}")
    problems += [
        f"{name}: in the zip but not listed in {_SUMS}"
        for name in files
        if name != _SUMS and name not in listed
    ]
    return problems


@dataclass(frozen=True)
class _Table:
    """An extract converted once, for both the CSV and the sheet: plain Python cell values."""

    header: list[str]
    rows: list[list[object]]


class _Suppressed:
    """The value of a suppressed cell; shown as the marker."""


_SUPPRESSED = _Suppressed()


def _check_extracts(extracts: Mapping[str, pd.DataFrame], readme: BundleReadme) -> None:
    if not extracts:
        raise ValueError("a CQC response bundle needs at least one extract")
    bad = [n for n in extracts if not _EXTRACT_NAME_RE.match(n)]
    if bad:
        raise ValueError(
            f"extract names {bad} cannot be file names; use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    folded: dict[str, str] = {}
    for name in extracts:
        if name.casefold() in folded:
            raise ValueError(
                f"extract names {folded[name.casefold()]!r} and {name!r} differ only in case; "
                "they would overwrite each other when unzipped on Windows or macOS"
            )
        folded[name.casefold()] = name
    missing = [n for n in extracts if n not in readme.extract_descriptions]
    unknown = [n for n in readme.extract_descriptions if n not in extracts]
    if missing or unknown:
        raise ValueError(
            "BundleReadme.extract_descriptions must describe exactly the extracts given: "
            f"missing {missing}, not an extract {unknown}"
        )


def _to_table(
    name: str, frame: pd.DataFrame, trust_code: str, flag: str = SUPPRESSED_COLUMN
) -> _Table:
    if any(level is not None for level in frame.index.names):
        frame = frame.reset_index()
    if _TRUST_COLUMN in frame.columns:
        others = sorted({str(v) for v in frame[_TRUST_COLUMN].dropna()} - {trust_code})
        if others:
            raise ValueError(
                f"extract {name!r} holds rows of other trusts {others}; a CQC response bundle "
                f"holds only trust {trust_code}'s data"
            )
    suppressed = _suppressed_mask(name, frame, flag)
    columns = [
        _column_values(name, str(label), frame.iloc[:, i]) for i, label in enumerate(frame.columns)
    ]
    rows = [list(row) for row in zip(*columns, strict=True)]
    if not columns:
        rows = [[] for _ in range(len(frame))]
    for row, is_suppressed in zip(rows, suppressed, strict=True):
        if is_suppressed:
            row[:] = [_SUPPRESSED if value is None else value for value in row]
    return _Table(header=[_clean_text(str(c)) for c in frame.columns], rows=rows)


def _suppressed_mask(name: str, frame: pd.DataFrame, flag: str = SUPPRESSED_COLUMN) -> list[bool]:
    if flag not in frame.columns:
        return [False] * len(frame)
    flags = frame[flag]
    if isinstance(flags, pd.DataFrame):
        raise ValueError(f"extract {name!r} has more than one {flag!r} column")
    if not pd.api.types.is_bool_dtype(flags) and not all(
        isinstance(v, bool | np.bool_) for v in flags.dropna()
    ):
        raise ValueError(
            f"extract {name!r}: column {flag!r} must be True/False, "
            f"not {flags.dtype} values such as {flags.dropna().iloc[:1].tolist()}"
        )
    return [False if pd.isna(v) else bool(v) for v in flags]


def _column_values(name: str, column: str, series: pd.Series) -> list[object]:
    """A column as plain Python values: None, bool, int, float, str, date or datetime."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_datetime64_any_dtype(series):
        present = series.dropna()
        dates_only = bool((present == present.dt.normalize()).all())
        return [
            None if pd.isna(v) else (v.date() if dates_only else v.to_pydatetime()) for v in series
        ]
    if pd.api.types.is_bool_dtype(series):
        return [None if pd.isna(v) else bool(v) for v in series]
    if pd.api.types.is_integer_dtype(series):
        return [None if pd.isna(v) else int(v) for v in series]
    if pd.api.types.is_float_dtype(series):
        present = series.dropna().to_numpy(dtype=float)
        if np.isinf(present).any():
            raise ValueError(f"extract {name!r}, column {column!r} holds an infinite number")
        # Counts become floats when a missing (suppressed) value joins them; show them whole.
        whole = bool((present == np.floor(present)).all() and (np.abs(present) < 2**53).all())
        return [None if pd.isna(v) else (int(v) if whole else float(v)) for v in series]
    return [_plain_value(name, column, v) for v in series]


def _plain_value(name: str, column: str, value: object) -> object:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isinf(value):
            raise ValueError(f"extract {name!r}, column {column!r} holds an infinite number")
        return float(value)
    if isinstance(value, dt.datetime):
        plain = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        return plain.date() if plain.time() == dt.time(0) else plain
    if isinstance(value, dt.date):
        return value
    return _clean_text(str(value))


def _clean_text(text: str) -> str:
    # One line-ending convention and no control characters that an .xlsx cannot hold, so the
    # CSV and the sheet carry the same text.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _is_formula_like(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def _csv_text(value: object, marker: str) -> str:
    if value is None:
        return ""
    if value is _SUPPRESSED:
        return marker
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{display.fmt_date(value)} {value:%H:%M}"
    if isinstance(value, dt.date):
        return display.fmt_date(value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return "'" + text if isinstance(value, str) and _is_formula_like(text) else text


def _csv_bytes(table: _Table, marker: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    # A row of one whitespace-only cell would be a line of spaces, which pandas, R and others
    # skip as blank: quote that cell so that the row survives.
    quoted = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    for row in [table.header, *table.rows]:
        cells = [_csv_text(v, marker) for v in row]
        (quoted if len(cells) == 1 and cells[0].isspace() else writer).writerow(cells)
    # UTF-8 with a byte order mark: Excel then reads accents and symbols correctly.
    return buffer.getvalue().encode("utf-8-sig")


def _workbook_bytes(tables: Mapping[str, _Table], sheets: Mapping[str, str], marker: str) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        _add_sheet(workbook, sheets[name], table, marker)
    workbook.properties.creator = "qv"
    workbook.properties.created = FIXED_DATE
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and the current time onto every zip
    # entry; rewrite both so that the workbook's bytes depend on its content alone.
    workbook.properties.modified = FIXED_DATE
    core = tostring(workbook.properties.to_tree())
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as saved:
        members = [(n, core if n == _CORE_PROPERTIES else saved.read(n)) for n in saved.namelist()]
    return _zip_bytes(members)


def _add_sheet(workbook: openpyxl.Workbook, title: str, table: _Table, marker: str) -> None:
    sheet = workbook.create_sheet(title)
    header_font = Font(bold=True, color="FFFFFFFF")
    header_fill = PatternFill(fill_type="solid", fgColor="FF" + NHS_BLUE)
    for col, text in enumerate(table.header, 1):
        cell = sheet.cell(row=1, column=col)
        _set_value(cell, text, marker)
        cell.font = header_font
        cell.fill = header_fill
    for r, row in enumerate(table.rows, 2):
        for col, value in enumerate(row, 1):
            _set_value(sheet.cell(row=r, column=col), value, marker)

    widths = [len(h) for h in table.header]
    for row in table.rows:
        for i, value in enumerate(row):
            text = _csv_text(value, marker)
            widths[i] = max(widths[i], max((len(line) for line in text.split("\n")), default=0))
    for col, width in enumerate(widths, 1):
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = min(
            max(width + 2, _COLUMN_MIN_WIDTH), _COLUMN_MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    if table.header:
        last = f"{get_column_letter(len(table.header))}{len(table.rows) + 1}"
        sheet.auto_filter.ref = f"A1:{last}"


def _set_value(cell, value: object, marker: str) -> None:
    if value is _SUPPRESSED:
        value = marker
    cell.value = value
    if isinstance(value, str):
        # openpyxl makes any text starting with "=" a formula; force text, and mark text that
        # looks like a formula so Excel keeps it as text even when the cell is edited.
        cell.data_type = "s"
        if _is_formula_like(value):
            cell.quotePrefix = True
    elif isinstance(value, bool):
        # Yes and No, as in the CSV files (a spreadsheet's TRUE/FALSE reads as code).
        cell.value = "Yes" if value else "No"
        cell.data_type = "s"
    elif isinstance(value, dt.datetime):
        cell.number_format = f"{_DATE_FORMAT} hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = _DATE_FORMAT


def _zip_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on the members' names, order and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, wherever it is made, so the permissions below apply
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the user's umask decide the permissions, as for any new file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _truncate_utf16(text: str, units: int) -> str:
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > units:
            break
        out.append(char)
        used += size
    return "".join(out)


def _wrap(text: str, indent: str = "") -> list[str]:
    # Wrapped here because Notepad and many mail clients do not wrap long lines.
    return textwrap.wrap(text, width=_README_WIDTH, initial_indent=indent, subsequent_indent=indent)


def _readme_text(
    readme: BundleReadme,
    tables: Mapping[str, _Table],
    sheets: Mapping[str, str],
    marker: str,
    flag: str = SUPPRESSED_COLUMN,
) -> str:
    title = f"CQC response bundle: {readme.trust_name} ({readme.trust_code})"
    lines: list[str] = []
    if readme.marking:
        lines += [readme.marking, ""]
    if readme.synthetic:
        banner = "*" * _README_WIDTH
        lines += [banner, "SYNTHETIC DATA: NOT REAL."]
        lines += _wrap(
            "Every figure in this bundle was made up for testing and demonstration; none of it "
            "describes a real trust, learner, educator or patient."
        )
        lines += [banner, ""]
        title += " - SYNTHETIC DATA"
    if readme.sites or readme.specialties:
        sites = ", ".join(readme.sites) if readme.sites else "all sites"
        specialties = ", ".join(readme.specialties) if readme.specialties else "all specialties"
        scope = f"sites: {sites}; specialties: {specialties}"
    else:
        scope = "the whole trust (all sites and specialties)"
    period = f"{display.fmt_date(readme.period_start)} to {display.fmt_date(readme.period_end)}"
    lines += [
        title,
        "=" * len(title),
        "",
        f"Trust:          {readme.trust_name} (ODS code {readme.trust_code})",
        f"Review year:    {readme.review_year}",
        f"Period covered: {period}",
        f"Scope:          {scope}",
        "",
    ]
    if readme.request:
        lines += ["The request", "-----------"]
        for item, value in readme.request:
            lines += textwrap.wrap(
                f"{item}: {value}",
                width=_README_WIDTH,
                initial_indent="- ",
                subsequent_indent="  ",
            )
        lines.append("")
    if readme.notes:
        lines += ["What the extracts hold", "----------------------"]
        for note in readme.notes:
            lines += textwrap.wrap(
                note, width=_README_WIDTH, initial_indent="- ", subsequent_indent="  "
            )
        lines.append("")
    lines += [
        "Files",
        "-----",
        _README,
        "    This file.",
        _SUMMARY,
        "    A summary of the response: open it in a web browser (no internet access needed).",
    ]
    for name, table in tables.items():
        count = len(table.rows)
        lines.append(f"extracts/{name}.csv")
        lines += _wrap(
            f"{readme.extract_descriptions[name]} ({count} row{'s' if count != 1 else ''}).",
            "    ",
        )
    renamed = [f'sheet "{sheets[n]}" holds {n}' for n in tables if sheets[n] != n]
    lines.append(_WORKBOOK)
    lines += _wrap(
        "The same extracts as one Excel workbook, one sheet per extract in the order above"
        + (", named after the extract." if not renamed else f" ({'; '.join(renamed)})."),
        "    ",
    )
    lines += [
        _SUMS,
        "    The SHA-256 checksum of every other file (see 'Checking the files' below).",
        "",
        "Data sources",
        "------------",
    ]
    lines += _wrap(
        "Each dataset the extracts come from, with the SHA-256 of its file or the id of the "
        "data snapshot it was read from:"
    )
    lines += [f"    {source}: {digest}" for source, digest in readme.sources.items()] or [
        "    (none listed)"
    ]
    lines += ["", "Suppression", "-----------"]
    lines += _wrap(readme.suppression_rule)
    lines.append("")
    lines += _wrap(
        f'A suppressed cell is shown as "{marker}" in the CSV files and the workbook, and its '
        f'row has "{flag}" = Yes where the extract has that column. No number below a '
        "threshold appears anywhere in this bundle."
    )
    lines += ["", "File formats", "------------"]
    lines += _wrap(
        "CSV files are UTF-8 with a byte order mark (so that Excel shows accents and symbols "
        "correctly), comma separated, with Windows line endings (CRLF) and a header row. Dates "
        "are written as in the summary: the day, the month in three letters and the year (for "
        'example "1 Jan 2000"); the workbook holds them as dates shown the same way. '
        "Yes/no values are Yes and No; an empty cell "
        "means no value was recorded. Numbers are rounded as the summary shows them."
    )
    lines.append("")
    lines += _wrap(
        "Text that begins with = + - @ or a tab is written with a leading apostrophe (') in "
        "the CSV files and stored as text in the workbook, so that no spreadsheet runs it as a "
        "formula."
    )
    lines.append("")
    lines += _wrap(
        "The dates of the files inside the zip are set to 1 January 1980 on purpose: the same "
        "data always gives a byte-for-byte identical bundle."
    )
    lines += ["", "Checking the files", "------------------"]
    lines += _wrap(
        f"Each line of {_SUMS} is '<SHA-256>  <file name>'. Unzip the bundle, then in the "
        "unzipped folder run:"
    )
    lines += [
        f"    Linux:              sha256sum -c {_SUMS}",
        f"    macOS:              shasum -a 256 -c {_SUMS}",
        "    Windows PowerShell: Get-FileHash -Algorithm SHA256 <file name>",
        f"                        and compare the hash with the file's line in {_SUMS}",
    ]
    lines += _wrap(
        "Every file should be reported OK (or match); a difference means the file changed "
        "after the bundle was made."
    )
    lines.append("")
    if readme.marking:
        lines += [readme.marking, ""]
    return "\n".join(lines)
