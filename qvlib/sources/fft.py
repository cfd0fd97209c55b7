"""Friends and Family Test monthly workbooks, as NHS England publishes them, into the canonical
``fft`` frame.

One workbook per setting and month (inpatient, A&E, maternity, outpatient, community, mental
health, ambulance).  Its "Trusts" sheet has, below a title, one row per trust: ICB Code, Trust
Code, Trust Name, Total Responses, Total Eligible, Percentage Positive and Percentage Negative
(stored 0-1), the answer counts Very Good, Good, Neither Good nor Poor, Poor, Very Poor, Don't
Know, and counts by mode of collection.  ``*`` marks a suppressed cell.  The "Sites" and "Wards"
sheets break the same counts down and are not read: the canonical dataset is per trust.  Rows
without a trust code (England and ICB totals, notes) are left out.

The setting comes from a title in the workbook or the file name ("Inpatient", "A&E"/"AE",
...); the month from a Period column, a title ("September 2025", "SEP-25") or the file name
(``FFT-Inpatient-September-2025.xlsx``); either may be given in ``dataset.yaml`` for a file that
states neither.  Percentages are checked against the counts: each must lie in 0-1 and agree
with (Very Good + Good) / Total Responses, or (Poor + Very Poor) / Total Responses, within
rounding to two places.  Rows come out by trust, setting (in the schema's order) and month.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from qvlib.errors import Problem
from qvlib.loaders import MISSING_MARKERS, parse_number
from qvlib.schemas import FFT_SETTINGS
from qvlib.sources._tables import (
    Column,
    Context,
    Origins,
    Part,
    Read,
    SourceFile,
    Table,
    Workbook,
    duplicate_problems,
    find_month,
    find_table,
    opened,
    record,
    sort_stable,
    span,
    to_canonical,
    words,
)

PUBLICATION = "FFT"
DATASET = "fft"
#: File names (as words) that say "Friends and Family Test".
NAME = re.compile(r"\bfft\b|\bfriends (?:and|&) family\b")
TRUSTS_SHEET = ("Trusts", "Trust", "Trust Level")
COLUMNS = [
    Column("org_code", ("Trust Code", "Org Code", "Organisation Code", "Provider Code")),
    Column("total_responses", ("Total Responses",)),
    Column("eligible", ("Total Eligible", "Eligible"), required=False),
    Column("pct_positive", ("Percentage Positive", "% Positive"), required=False),
    Column("pct_negative", ("Percentage Negative", "% Negative"), required=False),
    Column("very_good", ("Very Good",)),
    Column("good", ("Good",)),
    Column("neither", ("Neither Good nor Poor", "Neither Good Nor Poor", "Neither")),
    Column("poor", ("Poor",)),
    Column("very_poor", ("Very Poor",)),
    Column("dont_know", ("Don't Know", "Dont Know")),
    Column("period", ("Period", "Month"), required=False),
]
#: Words in a title or file name that name a setting.
SETTING_WORDS = {
    "inpatient": r"inpatients?|ip",
    "a&e": r"a & e|a and e|ae|accident and emergency|emergency department",
    "maternity": r"maternity",
    "outpatient": r"outpatients?|op",
    "community": r"community",
    "mental health": r"mental health|mh",
    "ambulance": r"ambulance",
}
_SETTING_RE = {
    s: re.compile(rf"(?<![a-z0-9])(?:{w})(?![a-z0-9])") for s, w in SETTING_WORDS.items()
}
#: How far a published percentage may lie from the one the counts give (rounding to 0.01).
TOLERANCE = 0.005 + 1e-9
_CHECKS = (("pct_positive", ("very_good", "good")), ("pct_negative", ("poor", "very_poor")))
_COUNTS = [
    "very_good",
    "good",
    "neither",
    "poor",
    "very_poor",
    "dont_know",
    "total_responses",
    "eligible",
]
_GIVE_IT = "or give it in dataset.yaml (sources: fft: [{file: ..., %s: ...}])"


def looks_like(file: SourceFile, book: Workbook) -> bool:
    """Whether a file with another name is an FFT workbook (a Trusts sheet of answer counts)."""
    sheet = book.find_sheet(TRUSTS_SHEET) if book.sheets != [None] else None
    if sheet is None and book.sheets != [None]:
        return False
    return not isinstance(find_table(book, file, sheet, COLUMNS), list)


def setting_label(setting: str) -> str:
    """How a setting is written for readers: 'A&E', else as it is."""
    return "A&E" if setting == "a&e" else setting


def read(files: list[SourceFile], context: Context) -> Read:
    """The canonical ``fft`` frame from every FFT workbook found."""
    problems: list[Problem] = []
    parts: list[Part] = []
    percents: list[dict[str, np.ndarray]] = []
    records = []
    for file, book in opened(files, problems):
        table = _trusts_table(file, book, problems)
        if table is None:
            continue
        table = table.take(table.text("org_code") != "")
        setting = _setting(file, book, table, problems)
        periods = _periods(file, book, table, problems)
        if setting is None or periods is None:
            continue
        parts.append(
            Part(
                table,
                {
                    "org_code": context.recode(table.text("org_code")),
                    "period": periods,
                    "setting": np.full(len(periods), setting, dtype=object),
                    **{c: table.text(c) for c in _COUNTS},
                },
            )
        )
        percents.append({name: table.text(name) for name, _ in _CHECKS})
        period = span(periods)
        label = f"{PUBLICATION} {setting_label(setting)}"
        records.append(record(file, label, DATASET, [table.sheet], period, len(table.grid)))
    if not parts:
        return Read(None, problems)
    frame, found, origins = to_canonical(DATASET, parts, context.params)
    problems += found
    problems += _percent_problems(frame, percents, origins)
    problems += duplicate_problems(
        frame, ["org_code", "setting", "period"], origins, "trust, setting and month"
    )
    order = frame.assign(_setting=frame["setting"].map(FFT_SETTINGS.index))
    frame = sort_stable(order, ["org_code", "_setting", "period"]).drop(columns="_setting")
    return Read(frame, problems, records)


def _trusts_table(file: SourceFile, book: Workbook, problems: list[Problem]) -> Table | None:
    sheet = None
    if book.sheets != [None]:
        sheet = book.find_sheet(TRUSTS_SHEET)
        if sheet is None:
            expected = f"a sheet named 'Trusts' (counts per trust); the sheets are {book.sheets}"
            problems.append(Problem(file.shown, None, None, None, expected))
            return None
    table = find_table(book, file, sheet, COLUMNS)
    if isinstance(table, list):
        problems += table
        return None
    return table


def _titles(book: Workbook, table: Table) -> list[str]:
    """Titles and notes: the text above the header, then the top of the notes sheets."""
    return table.above + book.title_texts()


def _setting(file: SourceFile, book: Workbook, table: Table, problems: list[Problem]) -> str | None:
    given = file.options.get("setting")
    if given:
        return given
    for texts in (_titles(book, table), [file.name_text]):
        found = sorted(
            {s for t in texts for s, pattern in _SETTING_RE.items() if pattern.search(words(t))}
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            expected = f"one FFT setting in the titles or the file name, not {found}; " + (
                _GIVE_IT % "setting"
            )
            problems.append(Problem(file.shown, None, None, None, expected, sheet=table.sheet))
            return None
    expected = (
        f"an FFT setting ({', '.join(setting_label(s) for s in FFT_SETTINGS)}) in a title or "
        "the file name, " + _GIVE_IT % "setting"
    )
    problems.append(Problem(file.shown, None, None, None, expected, sheet=table.sheet))
    return None


def _periods(
    file: SourceFile, book: Workbook, table: Table, problems: list[Problem]
) -> np.ndarray | None:
    """The month of each row (``YYYY-MM``): from a Period column, a title or the file name."""
    given = file.options.get("period")
    if table.has("period") and not given:
        texts = table.text("period")
        months = np.array([find_month([t]) or "" for t in texts], dtype=object)
        bad = months == ""
        problems += [
            table.problem(int(row), "period", text, "a month such as 'September 2025' or 'SEP-25'")
            for row, text in zip(table.rows[bad], texts[bad], strict=True)
        ]
        return months
    month = given or find_month(_titles(book, table)) or find_month([file.name_text])
    if month is None:
        expected = (
            "the month of the data in a title (e.g. 'September 2025') or the file name "
            "(e.g. FFT-Inpatient-September-2025.xlsx), " + _GIVE_IT % "period"
        )
        problems.append(Problem(file.shown, None, None, None, expected, sheet=table.sheet))
        return None
    return np.full(len(table.grid), month, dtype=object)


def _percent_problems(
    frame: pd.DataFrame, percents: list[dict[str, np.ndarray]], origins: Origins
) -> list[Problem]:
    """Published percentages outside 0-1, or not what the row's counts give."""
    problems = []
    positions = frame.index.to_numpy()
    for name, (first, second) in _CHECKS:
        texts = np.concatenate([p[name] for p in percents])[positions]
        parsed = {text: _fraction(text) for text in set(texts)}
        values = np.array([parsed[t] if isinstance(parsed[t], float) else np.nan for t in texts])
        for position, text in zip(positions, texts, strict=True):
            if isinstance(parsed[text], str):
                problems.append(origins.problem(position, name, text, parsed[text]))
        total = frame["total_responses"].where(frame["total_responses"] > 0)
        share = ((frame[first] + frame[second]) / total).to_numpy()
        wrong = np.abs(values - share) > TOLERANCE  # False where either is missing
        for position, text, expected in zip(
            positions[wrong], texts[wrong], share[wrong], strict=True
        ):
            headers = origins.table(position).headers
            what = (
                f"{expected:.4f}, what the counts give: ({headers[first]} + {headers[second]})"
                f" / {headers['total_responses']}"
            )
            problems.append(origins.problem(position, name, text, what))
    return problems


def _fraction(text: str) -> float | str | None:
    """A published percentage as a fraction; ``None`` when blank or suppressed, else why not."""
    if text in MISSING_MARKERS:
        return None
    try:
        value = parse_number(text, pounds=False)
    except ValueError:
        return "a fraction such as 0.94"
    value = value / 100 if text.endswith("%") else value
    if not 0 <= value <= 1:
        return "a fraction between 0 and 1 (FFT files store 94% as 0.94)"
    return value
