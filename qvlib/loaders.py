"""Strict loaders: one CSV file in, one validated DataFrame out (docs: data dictionary).

Every ``load_<dataset>`` reads its file as people really export it (see :mod:`qvlib.csvfiles`
for encodings, separators and quotes; headers in any case and spacing; day-first dates;
``1,234``, ``£``, ``85%``; suppressed cells shown as ``*`` or ``-``; historic trust codes),
parses each column to the type its pandera model in :mod:`qvlib.schemas` declares, validates
with ``lazy=True``, checks that no row repeats another's key (:data:`qvlib.schemas.KEY_COLUMNS`)
and reports every failure as a :class:`~qvlib.errors.Problem` naming the file, the
spreadsheet row (the header is row 1), the column, the value and what was expected.  Every
record of the file is either a row of the frame or named in a problem.  One engine serves
every dataset; the per-dataset functions only name the dataset.

Rules that come from configuration (quality framework domains, Intensive Support Framework
levels, visit type names, former trust codes) are read from :mod:`qvlib.config`.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from qvlib.config import Parameters, default_parameters
from qvlib.csvfiles import cell_fault, printable, read_cells
from qvlib.errors import DataValidationError, Problem
from qvlib.schemas import DATASETS, FY, KEY_COLUMNS, MONTH, QUARTER, RISK_ID_PATTERN

logger = logging.getLogger(__name__)

#: Cell values that mean "no value" (blank, or suppressed in a published table).
MISSING_MARKERS = frozenset({"", "*", "-"})
#: Columns holding an organisation code: upper-cased and mapped from former codes.
CODE_COLUMNS = frozenset({"trust_code", "org_code", "provider_id"})
#: Earliest date accepted; the latest is FUTURE_YEARS after the end of the data's stated period
#: (``dataset.yaml``), or LATEST_DATE when it states none.  Never the day qv runs: validation
#: must give the same answer whenever it runs.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
FUTURE_YEARS = 5
#: Numbers are stored exactly below 2^53; a larger one is an export error, not a count.
MAX_NUMBER = 2.0**53
#: How a date cell must be written (see parse_date).
DATE_TEXT = (
    "a date that exists, written dd/mm/yyyy (day first; also dd-mm-yyyy, dd.mm.yyyy, "
    "1 April 2025, 01-Apr-2025 or yyyy-mm-dd)"
)

_PATTERN_TEXT = {
    FY: "a financial year written YYYY/YY, e.g. 2024/25",
    QUARTER: "a financial quarter written YYYY/YY Qn, e.g. 2024/25 Q3",
    MONTH: "a month written YYYY-MM, e.g. 2025-04",
    r"^[A-Z0-9]{3,5}$": "an ODS code of 3-5 capital letters or digits, e.g. RHM",
    RISK_ID_PATTERN: "a risk id that can name a file: letters, digits, '.', '_' and '-', "
    "starting with a letter or digit, e.g. RHM-R001",
}
# Columns whose allowed values come from parameters/region.yaml rather than the schema.
_CONFIG_ENUMS: dict[str, dict[str, str]] = {
    "risks": {"domain": "domains", "isf_level": "isf_levels"},
    "risk_history": {"isf_level": "isf_levels"},
    "self_assessment": {"domain": "domains"},
    "visit_actions": {"domain": "domains"},
    "visits": {"visit_type": "visit_types"},
}
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})
_NUMBER = re.compile(r"[-+]?£?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?%?", re.ASCII)
_SCIENTIFIC = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+", re.ASCII)
_SCIENTIFIC_HINT = (
    "scientific notation such as 1.2E+15 drops digits (format the column as Number before "
    "saving as CSV)"
)
_TIME = r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
_DMY = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}){_TIME}", re.ASCII)
_D_MONTH_Y = re.compile(rf"(\d{{1,2}})[ -]([a-z]{{3,9}})\.?[ -](\d{{4}}){_TIME}", re.ASCII | re.I)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?", re.ASCII)
_MONTHS = {
    name: number
    for number, month in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (month, month[:3])
} | {"sept": 9}


# --------------------------------------------------------------------------- public helpers


def normalise_header(header: str) -> str:
    """Map an exported column header to its canonical snake_case form.

    Case, surrounding whitespace, apostrophes and any run of spaces or punctuation are ignored,
    so ``"Trust Code"``, ``"trust_code"`` and ``" TRUST  CODE "`` all give ``"trust_code"``.

    >>> normalise_header(" Trust  Code ")
    'trust_code'
    >>> normalise_header("Learners' FTE (%)")
    'learners_fte'
    """
    text = header.strip().lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def parse_number(text: str, *, percent: bool = True, pounds: bool = True) -> float:
    """Parse a number as spreadsheets format it: ``1,234``, ``£1,234.50``, ``85%``, `` 7.1 ``.

    Thousands separators must sit every three digits (``1,2`` is not a number: it may be a
    decimal comma).  ``%`` is only dropped, not divided: ``85%`` is 85.0.

    Parameters
    ----------
    text
        One cell.
    percent, pounds
        Whether a trailing ``%`` or a leading ``£`` is accepted.

    Raises
    ------
    ValueError
        If ``text`` is not a number written in an accepted form.

    Examples
    --------
    >>> parse_number("£1,234.50"), parse_number("85%")
    (1234.5, 85.0)
    >>> parse_number("1,2")
    Traceback (most recent call last):
    ...
    ValueError: 1,2
    """
    compact = re.sub(r"\s+", "", text)
    if (
        not _NUMBER.fullmatch(compact)
        or not any(ch.isdigit() for ch in compact)
        or (not percent and "%" in compact)
        or (not pounds and "£" in compact)
    ):
        raise ValueError(text)
    return float(re.sub(r"[,£%]", "", compact))


def parse_date(text: str) -> date:
    """Parse a date as UK spreadsheets export it: day first, or ISO yyyy-mm-dd.

    Accepted: ``1/4/2025``, ``01/04/2025``, ``01-04-2025``, ``01.04.2025``, ``1 April 2025``,
    ``01-Apr-2025`` and ``2025-04-01``; a time of day after the date is ignored.  Two-digit
    years, month-first dates (``04/13/2025``), year-first dates other than ISO
    (``2025/04/01``) and dates that do not exist, such as 31/02/2024, raise ``ValueError``:
    they are never guessed.

    >>> parse_date("05/04/2025"), parse_date("2025-04-05 09:30")
    (datetime.date(2025, 4, 5), datetime.date(2025, 4, 5))
    >>> parse_date("31/02/2024")
    Traceback (most recent call last):
    ...
    ValueError: day is out of range for month
    """
    match = _DMY.fullmatch(text)
    if match:
        day, _, month, year = match.groups()
    elif match := _D_MONTH_Y.fullmatch(text):
        day, name, year = match.groups()
        month = _MONTHS.get(name.lower())
        if month is None:
            raise ValueError(text)
    elif match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with dataset ``name``'s canonical columns and dtypes.

    >>> frame = empty_frame("nhs_website_ratings")
    >>> len(frame), str(frame["stars"].dtype)
    (0, 'float64')
    """
    schema = DATASETS[name].schema.to_schema()
    return pd.DataFrame(
        {col: pd.Series(dtype=_pandas_dtype(spec)) for col, spec in schema.columns.items()}
    )


def dataset_file(name: str) -> str:
    """The path of dataset ``name`` under a data directory, e.g. ``local/risks.csv``.

    >>> dataset_file("risks"), dataset_file("fft")
    ('local/risks.csv', 'national/fft.csv')
    """
    return DATASETS[name].file


def read_dataset(
    name: str,
    path: str | Path,
    *,
    params: Parameters | None = None,
    required: bool = True,
    latest: date = LATEST_DATE,
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and validate one dataset file without raising on bad data.

    Parameters
    ----------
    name
        A key of :data:`qvlib.schemas.DATASETS`.
    path
        The CSV file.
    params
        Parameters supplying former trust codes, domains, ISF levels and visit type names;
        default: the repository's ``parameters/``.
    required
        If False, a missing file is not a problem and gives an empty frame.
    latest
        The latest date a date cell may hold (see :func:`latest_date`).

    Returns
    -------
    (frame, problems)
        ``frame`` holds the rows that passed every check, indexed by spreadsheet row number
        (header = row 1); ``None`` when the file could not be read at all.

    Examples
    --------
    >>> frame, problems = read_dataset("risks", "data/sample/local/risks.csv")
    >>> problems, frame.index[:2].tolist()  # spreadsheet rows: the header is row 1
    ([], [2, 3])
    >>> read_dataset("hotspots", "data/sample/local/hotspots.csv", required=False)[1]
    []
    """
    path = Path(path)
    shown = str(path)
    if not required and not path.exists():
        return empty_frame(name), []
    params = params or default_parameters()
    schema = DATASETS[name].schema.to_schema()
    table = _read_table(path, shown, schema)
    if isinstance(table, Problem):
        return None, [table]
    headers, rows, cells, problems = table
    return _parse_table(
        name, headers, rows, cells, problems, params=params, shown=shown, latest=latest
    )


def parse_cells(
    name: str, cells: pd.DataFrame, *, params: Parameters | None = None, shown: str = ""
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and validate text cells already laid out in dataset ``name``'s canonical columns.

    For readers of other layouts (:mod:`qvlib.sources`): the parsing, checks and messages of
    :func:`read_dataset`, on cells that were read from a file some other way.  Keys are not
    checked here: the rows may come from several files, which only the caller can name (see
    :func:`qvlib.sources._tables.duplicate_problems`).

    Parameters
    ----------
    name
        A key of :data:`qvlib.schemas.DATASETS`.
    cells
        One column per canonical column (a nullable one may be left out) holding one string per
        cell, ``""`` when empty; its index (increasing integers) numbers the rows in problems.
    params
        As for :func:`read_dataset`.
    shown
        The file named in problems.

    Returns
    -------
    (frame, problems)
        As for :func:`read_dataset`: the rows that passed every check, by index, and problems.

    >>> cells = pd.DataFrame({"trust_code": ["RHM"], "site_code": ["RHM01"],
    ...                       "site_name": ["Southampton General Hospital"]})
    >>> frame, problems = parse_cells("sites", cells, shown="sites.xlsx")
    >>> frame["site_code"].tolist(), problems
    (['RHM01'], [])
    """
    columns = [_Cells.of(cells[c].to_numpy(dtype=object)) for c in cells.columns]
    return _parse_table(
        name,
        [str(c) for c in cells.columns],
        cells.index.to_numpy(),
        columns,
        [],
        params=params or default_parameters(),
        shown=shown,
        check_key=False,
    )


def _parse_table(
    name: str,
    headers: list[str],
    rows: np.ndarray,
    cells: list[_Cells],
    problems: list[Problem],
    *,
    params: Parameters,
    shown: str,
    latest: date = LATEST_DATE,
    check_key: bool = True,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Map, parse and validate one table: its valid rows by row number, and every problem
    (with ``check_key``, a row repeating the dataset's key is one)."""
    schema = DATASETS[name].schema.to_schema()
    columns, names, column_problems = _map_columns(cells, headers, schema, shown)
    problems += column_problems
    parsed, bad, codes, cell_problems = _parse_columns(
        name, columns, rows, names, schema, params, shown, latest
    )
    problems += cell_problems
    if check_key:
        problems += _check_key(KEY_COLUMNS[name], codes, bad, rows, columns, names, shown)
    index = pd.Index(rows)
    # Each column typed without its unparseable cells, so a bad cell hides no other problem.
    typed = {
        c: _cast(pd.Series(parsed[c][~bad[c]], index=index[~bad[c]]), schema.columns[c])
        for c in parsed
    }
    checked = _validate(typed, bad, schema, shown)
    for needs, rule in _ROW_RULES.get(name, ()):
        if set(needs) <= set(parsed):
            ok = index[~np.logical_or.reduce([bad[c] for c in needs])]
            checked += rule(pd.DataFrame({c: typed[c].loc[ok] for c in needs}, index=ok), shown)
    problems += [_as_in_file(p, columns, names, rows) for p in checked]
    failed = [p.row for p in problems if p.row is not None]
    keep = index[~index.isin(failed)]
    logger.debug("read %s: %d rows, %d problems", shown, len(index), len(problems))
    return pd.DataFrame({c: typed[c].loc[keep] for c in parsed}, index=keep), problems


def _as_in_file(
    problem: Problem, columns: dict[str, _Cells], names: dict[str, str], rows: np.ndarray
) -> Problem:
    """A problem found on parsed values, told with the header and cell text of the file."""
    column = problem.column
    if column not in columns:
        return problem
    value = problem.value
    if problem.row is not None:
        cells = columns[column]
        value = cells.texts[cells.codes[np.searchsorted(rows, problem.row)]]
    return dataclasses.replace(problem, column=names[column], value=value)


def load_dataset(name: str, path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load one dataset file into a validated frame.

    Parameters
    ----------
    name
        A key of :data:`qvlib.schemas.DATASETS`, e.g. ``"risks"``.
    path
        The CSV file.
    params
        Parameters (former trust codes, domains, ...); default: the repository's.

    Returns
    -------
    pandas.DataFrame
        Canonical columns and dtypes, one row per data row of the file, in file order.

    Raises
    ------
    DataValidationError
        Listing every problem in the file (file, row, column, value, expected).

    Examples
    --------
    >>> risks = load_dataset("risks", "data/sample/local/risks.csv")
    >>> risks[["likelihood", "consequence"]].dtypes.astype(str).tolist()
    ['int64', 'int64']
    """
    frame, problems = read_dataset(name, path, params=params, required=True)
    if problems:
        raise DataValidationError(problems)
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- one per dataset


def load_trusts(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/trusts.csv``; see :func:`load_dataset`.

    >>> load_trusts("data/sample/local/trusts.csv").columns[:4].tolist()
    ['trust_code', 'trust_name', 'trust_type', 'icb']
    """
    return load_dataset("trusts", path, params=params)


def load_learners(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/learners.csv``; see :func:`load_dataset`.

    >>> load_learners("data/sample/local/learners.csv").columns[:4].tolist()
    ['trust_code', 'year', 'profession_group', 'programme']
    """
    return load_dataset("learners", path, params=params)


def load_funding(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/funding.csv``; see :func:`load_dataset`.

    >>> load_funding("data/sample/local/funding.csv").columns[:4].tolist()
    ['trust_code', 'year', 'stream', 'profession_group']
    """
    return load_dataset("funding", path, params=params)


def load_programmes(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/programmes.csv``; see :func:`load_dataset`.

    >>> load_programmes("data/sample/local/programmes.csv").columns[:4].tolist()
    ['trust_code', 'site', 'profession_group', 'programme']
    """
    return load_dataset("programmes", path, params=params)


def load_risks(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/risks.csv``; see :func:`load_dataset`.

    >>> load_risks("data/sample/local/risks.csv").columns[:4].tolist()
    ['risk_id', 'trust_code', 'site', 'specialty']
    """
    return load_dataset("risks", path, params=params)


def load_exception_reports(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/exception_reports.csv``; see :func:`load_dataset`.

    >>> load_exception_reports("data/sample/local/exception_reports.csv").columns[:4].tolist()
    ['trust_code', 'quarter', 'grade', 'specialty']
    """
    return load_dataset("exception_reports", path, params=params)


def load_self_assessment(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/self_assessment.csv``; see :func:`load_dataset`.

    >>> load_self_assessment("data/sample/local/self_assessment.csv").columns[:4].tolist()
    ['trust_code', 'year', 'domain', 'self_rating']
    """
    return load_dataset("self_assessment", path, params=params)


def load_lda_compliance(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/lda_compliance.csv``; see :func:`load_dataset`.

    >>> load_lda_compliance("data/sample/local/lda_compliance.csv").columns[:4].tolist()
    ['trust_code', 'year', 'schedule_item', 'status']
    """
    return load_dataset("lda_compliance", path, params=params)


def load_survey_results(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/survey_results.csv``; see :func:`load_dataset`.

    >>> load_survey_results("data/sample/local/survey_results.csv").columns[:4].tolist()
    ['survey', 'year', 'trust_code', 'site']
    """
    return load_dataset("survey_results", path, params=params)


def load_good_practice(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/good_practice.csv``; see :func:`load_dataset`.

    >>> load_good_practice("data/sample/local/good_practice.csv").columns[:4].tolist()
    ['trust_code', 'date', 'site', 'specialty']
    """
    return load_dataset("good_practice", path, params=params)


def load_visits(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/visits.csv``; visit types recorded under newer names become canonical.

    >>> load_visits("data/sample/local/visits.csv").columns[:4].tolist()
    ['visit_id', 'trust_code', 'visit_type', 'date']
    """
    return load_dataset("visits", path, params=params)


def load_visit_actions(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/visit_actions.csv``; see :func:`load_dataset`.

    >>> load_visit_actions("data/sample/local/visit_actions.csv").columns[:4].tolist()
    ['visit_id', 'ref', 'kind', 'domain']
    """
    return load_dataset("visit_actions", path, params=params)


def load_risk_history(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/risk_history.csv`` (an optional dataset); see :func:`load_dataset`.

    >>> load_risk_history("data/sample/local/risk_history.csv").columns[:4].tolist()
    ['risk_id', 'date', 'likelihood', 'consequence']
    """
    return load_dataset("risk_history", path, params=params)


def load_sites(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/sites.csv`` (an optional dataset); see :func:`load_dataset`.

    >>> load_sites("data/sample/local/sites.csv").columns.tolist()
    ['trust_code', 'site_code', 'site_name']
    """
    return load_dataset("sites", path, params=params)


def load_commitments(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/commitments.csv`` (an optional dataset); see :func:`load_dataset`.

    >>> load_commitments("data/sample/local/commitments.csv").columns[:4].tolist()
    ['trust_code', 'visit_id', 'ref', 'commitment']
    """
    return load_dataset("commitments", path, params=params)


def load_meeting_attendees(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/meeting_attendees.csv`` (an optional dataset); see :func:`load_dataset`.

    >>> attendees = load_meeting_attendees("data/sample/local/meeting_attendees.csv")
    >>> sorted(attendees["attendance"].unique())
    ['apologies', 'attended']
    """
    return load_dataset("meeting_attendees", path, params=params)


def load_hotspots(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``local/hotspots.csv`` (an optional dataset); see :func:`load_dataset`.

    Optional: the sample data has no hotspot list (hotspots are also derived from the data).

    >>> load_hotspots("data/sample/local/hotspots.csv")
    Traceback (most recent call last):
    ...
    qvlib.errors.DataValidationError: 1 problem in 1 file:
    ...
    """
    return load_dataset("hotspots", path, params=params)


def load_fft(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``national/fft.csv``; see :func:`load_dataset`.

    >>> load_fft("data/sample/national/fft.csv").columns[:4].tolist()
    ['org_code', 'period', 'setting', 'very_good']
    """
    return load_dataset("fft", path, params=params)


def load_nhs_website_ratings(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``national/nhs_website_ratings.csv`` (optional); see :func:`load_dataset`.

    >>> frame = load_nhs_website_ratings("data/sample/national/nhs_website_ratings.csv")
    >>> frame.columns[:4].tolist()
    ['org_code', 'site_code', 'stars', 'ratings']
    """
    return load_dataset("nhs_website_ratings", path, params=params)


def load_cqc_ratings(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``national/cqc_ratings.csv``; see :func:`load_dataset`.

    >>> load_cqc_ratings("data/sample/national/cqc_ratings.csv").columns[:4].tolist()
    ['provider_id', 'location_id', 'location_name', 'service_group']
    """
    return load_dataset("cqc_ratings", path, params=params)


def load_staff_survey(path: str | Path, *, params: Parameters | None = None) -> pd.DataFrame:
    """Load ``national/staff_survey.csv``; see :func:`load_dataset`.

    >>> load_staff_survey("data/sample/national/staff_survey.csv").columns[:4].tolist()
    ['org_code', 'year', 'element', 'sub_score']
    """
    return load_dataset("staff_survey", path, params=params)


# --------------------------------------------------------------------------- reading the file


@dataclasses.dataclass
class _Cells:
    """One column of a file: its distinct stripped texts, and which one each row holds."""

    codes: np.ndarray
    texts: np.ndarray

    @classmethod
    def of(cls, raw: np.ndarray) -> _Cells:
        # Strip each distinct text once: exports repeat codes, years and categories a lot.
        codes, uniques = pd.factorize(raw)
        return cls(codes, np.array([text.strip() for text in uniques], dtype=object))

    def take(self, rows: np.ndarray) -> _Cells:
        return _Cells(self.codes[rows], self.texts)


def _read_table(
    path: Path, shown: str, schema: pa.DataFrameSchema
) -> tuple[list[str], np.ndarray, list[_Cells], list[Problem]] | Problem:
    """The headers, the spreadsheet row number of each non-blank row, its cells, row problems."""
    table = read_cells(path, shown, lambda header: normalise_header(header) in schema.columns)
    if isinstance(table, Problem):
        return table
    table, problems = table
    headers = [str(h) for h in table.iloc[0]]
    cells = [_Cells.of(table[position].to_numpy()[1:]) for position in table.columns]
    # Blank rows (Excel leaves them behind deleted rows) are dropped; the others keep their
    # spreadsheet row numbers.
    blank = np.logical_and.reduce([(c.texts == "")[c.codes] for c in cells])
    rows = np.arange(2, len(table) + 1)[~blank]
    return headers, rows, [c.take(~blank) for c in cells], problems


def _map_columns(
    cells: list[_Cells], headers: list[str], schema: pa.DataFrameSchema, shown: str
) -> tuple[dict[str, _Cells], dict[str, str], list[Problem]]:
    """Columns by canonical name, the header each had in the file, and header problems.

    Unknown, duplicate and missing columns are problems; a nullable column may be left out.
    """
    expected = list(schema.columns)
    problems: list[Problem] = []
    columns: dict[str, _Cells] = {}
    names: dict[str, str] = {}
    for header, column in zip(headers, cells, strict=True):
        canonical = normalise_header(header)
        if canonical in schema.columns:
            if canonical in names:
                problems.append(
                    Problem(
                        shown,
                        None,
                        header.strip(),
                        None,
                        f"each column once; '{names[canonical]}' is the same column",
                    )
                )
                continue
            columns[canonical] = column
            names[canonical] = header.strip()
        elif not canonical and (column.texts == "").all():
            continue  # an unnamed, empty column: a trailing comma on every line
        else:
            problems.append(
                Problem(
                    shown,
                    None,
                    header.strip(),
                    None,
                    f"only the columns {', '.join(expected)}; remove or rename this one",
                )
            )
    found = [h.strip() for h in headers]
    for column, spec in schema.columns.items():
        if column not in names and not spec.nullable:
            problems.append(
                Problem(
                    shown, None, column, None, f"a column '{column}'; the headers found are {found}"
                )
            )
    return columns, names, problems


# --------------------------------------------------------------------------- parsing cells


def _parse_columns(
    name: str,
    columns: dict[str, _Cells],
    rows: np.ndarray,
    names: dict[str, str],
    schema: pa.DataFrameSchema,
    params: Parameters,
    shown: str,
    latest: date,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], list[Problem]]:
    """Parse every column to its schema type, once per distinct text.

    Returns the parsed values (all rows), a mask of the cells that could not be parsed (each
    one reported as a problem), for the key columns a code per row that is equal where the
    values are, and the problems.
    """
    enums = _config_enums(name, params)
    parsed: dict[str, np.ndarray] = {}
    bad_cells: dict[str, np.ndarray] = {}
    codes: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for column, spec in schema.columns.items():
        if column not in columns:
            if spec.nullable:  # an optional column left out of the export: all missing
                parsed[column] = np.full(len(rows), np.nan, dtype=object)
                bad_cells[column] = np.zeros(len(rows), dtype=bool)
                codes[column] = np.zeros(len(rows), dtype=np.intp)
            continue
        cells = columns[column]
        parse = _cell_parser(column, spec, enums, params.code_map, latest)
        values, errors = _parse_distinct(cells.texts, parse, spec)
        cell_errors = errors[cells.codes]
        bad = pd.notna(cell_errors)
        problems.extend(
            Problem(shown, int(row), names[column], printable(value), expected)
            for row, value, expected in zip(
                rows[bad], cells.texts[cells.codes[bad]], cell_errors[bad], strict=True
            )
        )
        parsed[column] = values[cells.codes]
        bad_cells[column] = bad
        if column in KEY_COLUMNS[name]:  # distinct texts may parse to one value: "rd3", "R0D"
            codes[column] = pd.factorize(values, use_na_sentinel=False)[0][cells.codes]
    return parsed, bad_cells, codes, problems


def _parse_distinct(
    uniques: np.ndarray, parse: Callable[[str], object], spec: pa.Column
) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct text: the values (NaN/NaT where missing or bad) and the errors.

    A text that cannot be data in any column (see :func:`qvlib.csvfiles.cell_fault`) is an
    error saying so.  Only text columns look for one in every text: in other columns such a
    text fails to parse, and only then is the fault looked for, to say what is wrong.
    """
    kind = _kind(spec)
    empty = "a number" if kind in ("int", "float") else "a value"
    values: list[object] = []
    errors: list[str | None] = []
    for text in uniques:
        error = None
        value: object = None
        if text in MISSING_MARKERS:
            if not spec.nullable:
                error = f"{empty}; this column cannot be empty or suppressed"
        elif kind == "str" and (error := cell_fault(text)):
            pass
        else:
            try:
                value = parse(text)
            except ValueError as exc:
                error = cell_fault(text) or str(exc)
        values.append(value)
        errors.append(error)
    if kind == "date":
        array = pd.to_datetime(pd.Series(values, dtype=object)).to_numpy("datetime64[ns]")
    elif kind in ("int", "float"):
        array = np.array([np.nan if v is None else v for v in values], dtype="float64")
    else:
        array = np.array([np.nan if v is None else v for v in values], dtype=object)
    return array, np.array(errors, dtype=object)


def _cell_parser(
    column: str,
    spec: pa.Column,
    enums: dict[str, dict[str, str]],
    code_map: dict[str, str],
    latest: date,
) -> Callable[[str], object]:
    """A function from one (stripped, present) cell text to its value; ValueError says why not.

    The error's message is what the cell was expected to hold.
    """
    kind = _kind(spec)
    if kind in ("int", "float"):
        percent, pounds = _bounds(spec)[1] == 100, column.endswith("_gbp")
        what = "a whole number" if kind == "int" else "a number"
        if spec.nullable:
            what += " (a suppressed cell is written * or -)"

        def number(text: str) -> float:
            try:
                value = parse_number(text, percent=percent, pounds=pounds)
            except ValueError:
                if _SCIENTIFIC.fullmatch(text):
                    raise ValueError(f"{what} written out in full: {_SCIENTIFIC_HINT}") from None
                raise ValueError(what) from None
            if not abs(value) < MAX_NUMBER:
                raise ValueError(f"{what} below 2^53 (9,007,199,254,740,992)")
            if kind == "int" and not value.is_integer():
                raise ValueError(what)
            return value

        return number
    if kind == "date":

        def day(text: str) -> date:
            try:
                value = parse_date(text)
            except ValueError:
                raise ValueError(DATE_TEXT) from None
            if not EARLIEST_DATE <= value <= latest:
                raise ValueError(f"a date between {EARLIEST_DATE:%d/%m/%Y} and {latest:%d/%m/%Y}")
            return value

        return day
    if kind == "bool":

        def yes_no(text: str) -> bool:
            lowered = text.lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError("yes or no (or y/n, true/false, 1/0)")
            return lowered in _TRUE

        return yes_no
    if column in CODE_COLUMNS:
        return lambda text: code_map.get(text.upper(), text.upper())
    allowed = enums.get(column)
    isin = next((c for c in spec.checks if c.name == "isin"), None)
    if allowed is None and isin is not None:
        allowed = {_enum_key(v): v for v in isin.statistics["allowed_values"]}
    if allowed is None:
        return str
    choices = "one of: " + ", ".join(dict.fromkeys(allowed.values()))

    def member(text: str) -> str:
        try:
            return allowed[_enum_key(text)]
        except KeyError:
            raise ValueError(choices) from None

    return member


def latest_date(period_end: date | None) -> date:
    """The latest date a data file may hold: FUTURE_YEARS after the data's period ends.

    Due dates and review dates lie ahead of the data; anything later is a typing mistake.
    Without a stated period, :data:`LATEST_DATE`.

    >>> latest_date(date(2026, 3, 31)), latest_date(None)
    (datetime.date(2031, 3, 31), datetime.date(2100, 12, 31))
    """
    if period_end is None:
        return LATEST_DATE
    try:
        return period_end.replace(year=period_end.year + FUTURE_YEARS)
    except ValueError:  # 29 February
        return period_end.replace(year=period_end.year + FUTURE_YEARS, day=28)


def _enum_key(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())


def _config_enums(name: str, params: Parameters) -> dict[str, dict[str, str]]:
    region = params.region
    sources = {
        "domains": {_enum_key(d): d for d in region.domains},
        "isf_levels": {_enum_key(level): level for level in region.risk.isf_levels},
        "visit_types": {_enum_key(k): v for k, v in region.visit_type_aliases.items()},
    }
    return {column: sources[key] for column, key in _CONFIG_ENUMS.get(name, {}).items()}


def _kind(spec: pa.Column) -> str:
    dtype = str(spec.dtype)
    if dtype.startswith("int"):
        return "int"
    if dtype.startswith("float"):
        return "float"
    if dtype.startswith("datetime"):
        return "date"
    if dtype == "bool":
        return "bool"
    return "str"


def _pandas_dtype(spec: pa.Column) -> str:
    return {"int": "int64", "float": "float64", "date": "datetime64[ns]", "bool": "bool"}.get(
        _kind(spec), "object"
    )


def _bounds(spec: pa.Column) -> tuple[float | None, float | None]:
    low = high = None
    for check in spec.checks:
        if check.name == "greater_than_or_equal_to":
            low = check.statistics["min_value"]
        elif check.name == "less_than_or_equal_to":
            high = check.statistics["max_value"]
    return low, high


def _cast(series: pd.Series, spec: pa.Column) -> pd.Series:
    """Give a parsed column (without its unparseable cells) its schema dtype."""
    dtype = _pandas_dtype(spec)
    return series.astype(dtype)


# --------------------------------------------------------------------------- validation


def _validate(
    typed: dict[str, pd.Series], bad: dict[str, np.ndarray], schema: pa.DataFrameSchema, shown: str
) -> list[Problem]:
    """Run the pandera model (lazy) and turn each failure case into a Problem.

    Columns whose every cell parsed are validated together, each other column on its parsed
    cells.  Text columns skip pandera's per-cell type check: the parser only produces text
    there, and the check would dominate the time to load a national-scale file.
    """
    whole = [c for c in typed if not bad[c].any()]
    batches = [whole] + [[c] for c in typed if c not in whole]
    problems = []
    for columns in batches:
        part = pa.DataFrameSchema({c: _without_text_dtype(schema.columns[c]) for c in columns})
        data = pd.DataFrame({c: typed[c] for c in columns})
        try:
            part.validate(data, lazy=True)
        except SchemaErrors as exc:
            problems += _failure_problems(exc.failure_cases, part, shown)
    return problems


def _without_text_dtype(spec: pa.Column) -> pa.Column:
    if _kind(spec) != "str":
        return spec
    column = copy.copy(spec)
    column.dtype = None
    return column


def _failure_problems(cases: pd.DataFrame, schema: pa.DataFrameSchema, shown: str) -> list[Problem]:
    problems = []
    for case in cases.itertuples(index=False):
        column = case.column if isinstance(case.column, str) else None
        row = None if pd.isna(case.index) else int(case.index)
        value = None if row is None else _show(case.failure_case)
        expected = _expected(schema, column, case.check, case.check_number)
        problems.append(Problem(shown, row, column, value, expected))
    return problems


def _expected(schema: pa.DataFrameSchema, column: str | None, check: str, number: object) -> str:
    spec = schema.columns.get(column) if column else None
    if check == "not_nullable":
        return "a value; this column cannot be empty or suppressed"
    if spec is None or number is None or pd.isna(number):
        return f"data that passes the check {check}"
    rule = spec.checks[int(number)]
    stats = rule.statistics
    if rule.name == "greater_than_or_equal_to":
        return f"a number of at least {stats['min_value']}"
    if rule.name == "less_than_or_equal_to":
        return f"a number of at most {stats['max_value']}"
    if rule.name == "str_length":
        return f"text of at most {stats['max_value']} characters"
    if rule.name == "isin":
        return "one of: " + ", ".join(stats["allowed_values"])
    if rule.name == "str_matches":
        pattern = stats["pattern"]
        pattern = getattr(pattern, "pattern", pattern)
        return _PATTERN_TEXT.get(pattern, f"text matching {pattern}")
    return f"data that passes the check {check}"


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- row rules


def _check_closed(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """A closed status has a closed date; any other status has none."""
    closed = frame["status"].eq("closed")
    problems = [
        Problem(shown, int(row), "closed", "", "a closed date, because the status is closed")
        for row in frame.index[closed & frame["closed"].isna()]
    ]
    problems += [
        Problem(
            shown,
            int(row),
            "closed",
            _show(value),
            f"no closed date while the status is {frame.at[row, 'status']} "
            "(set the status to closed or clear the date)",
        )
        for row, value in frame.loc[~closed & frame["closed"].notna(), "closed"].items()
    ]
    return problems


def _check_closed_after_opened(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """Nothing is closed before it was opened."""
    early = frame["closed"] < frame["opened"]
    return [
        Problem(
            shown,
            int(row),
            "closed",
            _show(value),
            f"a date on or after the opened date {_show(frame.at[row, 'opened'])}",
        )
        for row, value in frame.loc[early, "closed"].items()
    ]


def _check_key(
    key: tuple[str, ...],
    codes: dict[str, np.ndarray],
    bad: dict[str, np.ndarray],
    rows: np.ndarray,
    columns: dict[str, _Cells],
    names: dict[str, str],
    shown: str,
) -> list[Problem]:
    """A key is on one row only: each row repeating the key of an earlier row is a problem.

    ``codes`` holds a code per row of each key column, equal where the parsed values are
    (:func:`_parse_columns`).  Rows with an unparseable key cell are left out: that cell is
    reported already.  A missing key column is reported already too.
    """
    if not set(key) <= set(codes):
        return []
    ok = ~np.logical_or.reduce([bad[c] for c in key])
    frame = pd.DataFrame({c: codes[c][ok] for c in key})
    repeated = frame.duplicated().to_numpy()
    if not repeated.any():
        return []
    positions = np.flatnonzero(ok)
    group = frame.groupby(list(key), sort=False).ngroup().to_numpy()
    first = pd.Series(positions).groupby(group).transform("first").to_numpy()
    in_file = [c for c in key if c in columns]
    header = ", ".join(names[c] for c in in_file)
    problems = []
    for position, earlier in zip(positions[repeated], first[repeated], strict=True):
        value = ", ".join(columns[c].texts[columns[c].codes[position]] for c in in_file)
        problems.append(
            Problem(
                shown,
                int(rows[position]),
                header,
                value,
                f"a row of its own: row {rows[position]} repeats the key ({header}) of row "
                f"{rows[earlier]}; keep one of them, or merge them into one by hand (qv never "
                "adds rows up)",
            )
        )
    return problems


def _check_risk_id_case(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """Risk ids that differ only in letter case: their briefs would be one file on Windows/macOS."""
    ids = frame["risk_id"]
    first = frame.index.to_series().groupby(ids.str.lower().to_numpy()).transform("first")
    earlier = ids.loc[first.to_numpy()].to_numpy()
    clash = ids.to_numpy() != earlier
    return [
        Problem(
            shown,
            int(row),
            "risk_id",
            risk_id,
            f"a risk id that differs from {other!r} on row {first[row]} by more than letter "
            "case: visit briefs are named after risk ids, and Windows and macOS would give "
            "both the same file",
        )
        for row, risk_id, other in zip(ids.index[clash], ids[clash], earlier[clash], strict=True)
    ]


_RowRule = Callable[[pd.DataFrame, str], list[Problem]]
#: Checks across cells: dataset -> (columns the check needs, check).  Rows with an
#: unparseable cell in the columns a check needs are left out of it (that cell is reported
#: already).
_ROW_RULES: dict[str, tuple[tuple[tuple[str, ...], _RowRule], ...]] = {
    "risks": (
        (("status", "closed"), _check_closed),
        (("opened", "closed"), _check_closed_after_opened),
        (("risk_id",), _check_risk_id_case),
    ),
    "visit_actions": ((("status", "closed"), _check_closed),),
    "commitments": ((("status", "closed"), _check_closed),),
}
