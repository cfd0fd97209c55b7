"""A corpus of broken and oddly exported inputs: each loads correctly or is refused clearly.

Every case starts from a file of the committed synthetic sample (``data/sample``), changes it
the way exports and people change files, and reads it with the loader.  A case either loads
every record with the right values, or gives problems that name the file, the row and the
column (problems with the whole file name the file).  No case raises, and no refused file
gives a frame to build packs from.  One run of ``qv validate`` on a copy of the sample with
several broken files shows the same through the command line: exit code 2, every file named.
"""

from __future__ import annotations

import codecs
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csvedit import set_cell, write

from qvlib import datasets, loaders
from qvlib.errors import DataValidationError

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = ROOT / "data" / "sample"
LDA_NOTE = "Partly in place; completion expected by the end of the next quarter."


def sample(name: str) -> str:
    """The text of dataset ``name`` in the committed sample."""
    return (SAMPLE / loaders.dataset_file(name)).read_text(encoding="utf-8")


def records(name: str) -> int:
    """Data rows of dataset ``name`` in the sample (none of its cells holds a line break)."""
    return sample(name).count("\n") - 1


@dataclass(frozen=True)
class Case:
    """One input: how to make it from the sample file, and what reading it must give.

    ``check`` is given the loaded frame (indexed by spreadsheet row) of a file that loads;
    otherwise a problem must name ``row`` and ``column`` and contain ``words``.
    """

    dataset: str
    make: Callable[[str], str | bytes]
    check: Callable[[pd.DataFrame], None] | None = None
    row: int | None = None
    column: str | None = None
    words: str = ""


def unchanged(name: str) -> Callable[[pd.DataFrame], None]:
    """A check that the frame equals the one read from the untouched sample file."""

    def check(frame: pd.DataFrame) -> None:
        expected = loaders.load_dataset(name, SAMPLE / loaders.dataset_file(name))
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), expected)

    return check


def value(row: int, column: str, expected: object, rows: int | None = None):
    """A check that one cell loaded as ``expected`` (and, given ``rows``, that no row was lost)."""

    def check(frame: pd.DataFrame) -> None:
        got = frame.at[row, column]
        assert pd.isna(got) if expected is None else got == expected
        if rows is not None:
            assert len(frame) == rows

    return check


def no_rows(frame: pd.DataFrame) -> None:
    assert len(frame) == 0


def cell(name: str, row: int, column: str, text: str) -> Callable[[str], str]:
    return lambda base: set_cell(base, row, column, text)


def replace_line(line: int, old: str, new: str) -> Callable[[str], str]:
    """Replace ``old`` by ``new`` once in one line of the file (1 = header)."""

    def make(text: str) -> str:
        lines = text.splitlines(keepends=True)
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return "".join(lines)

    return make


def appended_to_itself(text: str) -> str:
    return text + text.split("\n", 1)[1]


def one_row_twice(row: int) -> Callable[[str], str]:
    return lambda text: text + text.splitlines(keepends=True)[row - 1]


def with_byte(old: str, new: bytes) -> Callable[[str], bytes]:
    """The UTF-8 file with the first ``old`` replaced by raw bytes."""
    return lambda text: text.encode("utf-8").replace(old.encode("utf-8"), new, 1)


def date_case(text: str, expected: str | None, words: str = "a date that exists") -> Case:
    """good_practice row 2 dated ``text``: it loads as ``expected`` (ISO) or is refused."""
    if expected is None:
        return Case("good_practice", cell("good_practice", 2, "date", text), None, 2, "date", words)
    check = value(2, "date", pd.Timestamp(expected), records("good_practice"))
    return Case("good_practice", cell("good_practice", 2, "date", text), check)


CASES = {
    # ---------------------------------------------------------------- encodings
    "cp1252-whole-file": Case(
        "trusts",
        lambda t: set_cell(t, 2, "trust_name", "Café Trust £").encode("cp1252"),
        value(2, "trust_name", "Café Trust £", records("trusts")),
    ),
    "utf8-bom": Case("trusts", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), unchanged("trusts")),
    "utf16-le-bom": Case("trusts", lambda t: t.encode("utf-16"), unchanged("trusts")),
    "utf16-be-bom": Case(
        "trusts", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), unchanged("trusts")
    ),
    "utf16-tab-excel-unicode-text": Case(
        "lda_compliance",
        lambda t: t.replace(",", "\t").encode("utf-16"),
        unchanged("lda_compliance"),
    ),
    "utf16-without-bom": Case(
        "trusts", lambda t: t.encode("utf-16-le"), None, None, None, "UTF-16 text without"
    ),
    "mixed-utf8-and-cp1252-byte": Case(
        "trusts",
        lambda t: (
            set_cell(t, 2, "trust_name", "Café NHS Trust").encode("utf-8")
            + b"X0001,Caf\xe9 Trust,acute,NHS Dorset ICB,Main site\n"
        ),
        None,
        13,
        "trust_name",
        "the byte 0xE9, which is not UTF-8",
    ),
    "nul-byte-in-text-cell": Case(
        "lda_compliance",
        replace_line(308, "Partly in place", "Partly\x00in place"),
        None,
        308,
        "note",
        "NUL",
    ),
    "neither-utf8-nor-cp1252": Case(
        "trusts",
        lambda t: t.encode("utf-8") + b"X0001,\x81,acute,ICB,site\n",
        None,
        None,
        None,
        "UTF-8 or Windows-1252",
    ),
    "excel-workbook": Case(
        "trusts", lambda t: b"PK\x03\x04" + bytes(range(256)) * 8, None, None, None, "binary"
    ),
    # ---------------------------------------------------------------- separators
    "tab-separated": Case("funding", lambda t: t.replace(",", "\t"), unchanged("funding")),
    "semicolon-separated": Case(
        "funding", lambda t: t.replace(",", ";"), None, 1, None, "separates them with semicolons"
    ),
    "comma-in-unquoted-cell": Case(
        "lda_compliance",
        replace_line(3, "Partly in place;", "Partly, in place;"),
        None,
        3,
        None,
        "at most 5 cells",
    ),
    # ---------------------------------------------------------------- quotes
    "unterminated-quote-swallows-the-rest": Case(
        "lda_compliance",
        replace_line(3, ",Partly in place", ',"Partly in place'),
        None,
        3,
        "note",
        "a closing quote for the cell that opens on line 3",
    ),
    "unterminated-quote-on-the-last-line": Case(
        "lda_compliance",
        replace_line(573, "compliant,", 'partial,"Partly in place'),
        None,
        573,
        "note",
        "opens on line 573, the last line",
    ),
    "unterminated-quote-in-risk-summary": Case(
        "risks",
        replace_line(2, 'first day.",', "first day.,"),
        None,
        2,
        "summary",
        "a closing quote for the cell that opens on line 2",
    ),
    "text-after-closing-quote": Case(
        "lda_compliance",
        replace_line(3, ",Partly in place", ',"Partly" in place'),
        None,
        3,
        "note",
        "text follows the closing quote",
    ),
    "balanced-stray-quotes-swallow-rows": Case(
        "lda_compliance",
        lambda t: replace_line(9, f",{LDA_NOTE}", f',{LDA_NOTE}"')(
            replace_line(3, f",{LDA_NOTE}", f',"{LDA_NOTE}')(t)
        ),
        None,
        3,
        "note",
        "holds a whole row",
    ),
    "quoted-cell-with-line-breaks": Case(
        "lda_compliance",
        cell("lda_compliance", 3, "note", "Partly in place.\nLeads named, job plans due."),
        value(
            3, "note", "Partly in place.\nLeads named, job plans due.", records("lda_compliance")
        ),
    ),
    "doubled-quotes-in-quoted-cell": Case(
        "lda_compliance",
        replace_line(3, f",{LDA_NOTE}", ',"Leads ""named"", job plans due"'),
        value(3, "note", 'Leads "named", job plans due', records("lda_compliance")),
    ),
    "literal-quote-in-unquoted-cell": Case(
        "lda_compliance",
        replace_line(3, f",{LDA_NOTE}", ',Leads named on the 5" board'),
        value(3, "note", 'Leads named on the 5" board', records("lda_compliance")),
    ),
    # ---------------------------------------------------------------- duplicates
    "survey-results-appended-to-itself": Case(
        "survey_results",
        appended_to_itself,
        None,
        records("survey_results") + 2,
        "survey, year, trust_code, site, programme_group, specialty, indicator",
        f"row {records('survey_results') + 2} repeats the key",
    ),
    "funding-appended-to-itself": Case(
        "funding",
        appended_to_itself,
        None,
        records("funding") + 2,
        "trust_code, year, stream, profession_group",
        "of row 2;",
    ),
    "learners-appended-to-itself": Case(
        "learners",
        appended_to_itself,
        None,
        records("learners") + 3,
        "trust_code, year, profession_group, programme",
        "of row 3;",
    ),
    "one-fft-row-twice": Case(
        "fft",
        one_row_twice(7),
        None,
        records("fft") + 2,
        "org_code, period, setting",
        f"row {records('fft') + 2} repeats the key (org_code, period, setting) of row 7",
    ),
    "same-key-under-a-former-trust-code": Case(
        "learners",
        lambda t: t + t.splitlines(keepends=True)[1].replace("R0D,", "rd3,", 1),
        None,
        records("learners") + 2,
        "trust_code, year, profession_group, programme",
        "of row 2;",
    ),
    # ---------------------------------------------------------------- risk ids
    "risk-id-with-a-path": Case(
        "risks", cell("risks", 3, "risk_id", "../../evil"), None, 3, "risk_id", "can name a file"
    ),
    "risk-id-of-240-characters": Case(
        "risks", cell("risks", 3, "risk_id", "R" * 240), None, 3, "risk_id", "at most 64"
    ),
    "risk-ids-differing-only-in-case": Case(
        "risks",
        cell("risks", 3, "risk_id", "r0d-r001"),
        None,
        3,
        "risk_id",
        "differs from 'R0D-R001' on row 2 by more than letter case",
    ),
    # ---------------------------------------------------------------- huge values
    "1e308": Case(
        "funding",
        cell("funding", 2, "allocated_gbp", "1e308"),
        None,
        2,
        "allocated_gbp",
        "a number written out in full: scientific notation",
    ),
    "number-of-400-digits": Case(
        "funding",
        cell("funding", 2, "allocated_gbp", "9" * 400),
        None,
        2,
        "allocated_gbp",
        "below 2^53",
    ),
    "1-mb-cell": Case(
        "lda_compliance",
        cell("lda_compliance", 3, "note", "x" * 2**20),
        None,
        3,
        "note",
        "at most 32,767 characters",
    ),
    "1-mb-quoted-cell": Case(
        "lda_compliance",
        cell("lda_compliance", 3, "note", "x, y " * 2**18),
        None,
        3,
        "note",
        "at most 32,767 characters",
    ),
    # ---------------------------------------------------------------- empty files
    "empty-file": Case("good_practice", lambda t: "", None, None, None, "the file is empty"),
    "blank-lines-only": Case("good_practice", lambda t: "\r\n \n", None, None, None, "empty"),
    "header-only": Case("good_practice", lambda t: t.split("\n", 1)[0] + "\n", no_rows),
    # ---------------------------------------------------------------- dates
    "date-iso": date_case("2025-04-01", "2025-04-01"),
    "date-dd/mm/yyyy": date_case("01/04/2025", "2025-04-01"),
    "date-d/m/yyyy": date_case("1/4/2025", "2025-04-01"),
    "date-dd-mm-yyyy": date_case("01-04-2025", "2025-04-01"),
    "date-dd.mm.yyyy": date_case("01.04.2025", "2025-04-01"),
    "date-d-month-yyyy": date_case("1 April 2025", "2025-04-01"),
    "date-dd-mon-yyyy": date_case("01-Apr-2025", "2025-04-01"),
    "date-with-time": date_case("01/04/2025 09:30", "2025-04-01"),
    "date-yyyy/mm/dd-refused": date_case("2025/04/01", None),
    "date-us-mm/dd/yyyy-refused": date_case("04/13/2025", None),
    "date-two-digit-year-refused": date_case("01/04/25", None),
    "date-that-does-not-exist": date_case("31/04/2025", None),
    # ---------------------------------------------------------------- suppression markers
    "suppressed-star": Case(
        "survey_results", cell("survey_results", 2, "score", "*"), value(2, "score", None)
    ),
    "suppressed-dash": Case(
        "survey_results", cell("survey_results", 2, "score", "-"), value(2, "score", None)
    ),
    "suppressed-c-refused": Case(
        "fft", cell("fft", 2, "very_good", "c"), None, 2, "very_good", "written * or -"
    ),
    "suppressed-dots-refused": Case(
        "fft", cell("fft", 2, "very_good", ".."), None, 2, "very_good", "written * or -"
    ),
    "excel-n/a-in-a-number": Case(
        "fft", cell("fft", 2, "total_responses", "#N/A"), None, 2, "total_responses", "error #N/A"
    ),
    "excel-n/a-in-text": Case(
        "lda_compliance",
        cell("lda_compliance", 4, "schedule_item", "#N/A"),
        None,
        4,
        "schedule_item",
        "spreadsheet error #N/A",
    ),
    "excel-div/0-in-text": Case(
        "trusts", cell("trusts", 3, "icb", "#DIV/0!"), None, 3, "icb", "spreadsheet error"
    ),
    # ---------------------------------------------------------------- line ends and commas
    "trailing-comma-on-every-line": Case(
        "funding", lambda t: t.replace("\n", ",\n"), unchanged("funding")
    ),
    "trailing-comma-on-data-rows": Case(
        "funding",
        lambda t: t.split("\n", 1)[0] + "\n" + t.split("\n", 1)[1].replace("\n", ",\n"),
        unchanged("funding"),
    ),
    "crlf": Case("risks", lambda t: t.replace("\n", "\r\n"), unchanged("risks")),
    "cr-only": Case("funding", lambda t: t.replace("\n", "\r"), unchanged("funding")),
    "bom-and-crlf": Case(
        "risks", lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode(), unchanged("risks")
    ),
    "blank-lines-between-rows": Case(
        "funding",
        lambda t: t.replace("\n", "\n\n", 3),
        value(5, "allocated_gbp", 830532.0, records("funding")),
    ),
    "no-newline-at-the-end": Case("funding", lambda t: t.rstrip("\n"), unchanged("funding")),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_input_loads_correctly_or_is_refused_naming_file_row_and_column(tmp_path, case):
    name = Path(loaders.dataset_file(case.dataset)).name
    path = write(tmp_path, case.make(sample(case.dataset)), name)

    frame, problems = loaders.read_dataset(case.dataset, path)

    if case.check is not None:
        assert problems == []
        case.check(frame)
        return
    named = [p for p in problems if (p.row, p.column) == (case.row, case.column)]
    assert any(case.words in p.expected for p in named), problems[:5]
    assert all(p.file == str(path) for p in problems)


def test_the_corpus_covers_at_least_40_inputs():
    assert len(CASES) >= 40


def test_qv_validate_reports_every_broken_file_with_row_and_column(tmp_path, qv_cli):
    data = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    for key, file in [
        ("unterminated-quote-swallows-the-rest", "local/lda_compliance.csv"),
        ("funding-appended-to-itself", "local/funding.csv"),
        ("mixed-utf8-and-cp1252-byte", "local/trusts.csv"),
        ("semicolon-separated", "local/learners.csv"),
    ]:
        made = CASES[key].make((data / file).read_text(encoding="utf-8"))
        write(data, made, file)
    risks = sample("risks")
    risks = set_cell(set_cell(risks, 3, "risk_id", "../../evil"), 4, "risk_id", "R" * 240)
    write(data, set_cell(risks, 5, "risk_id", "r0d-r001"), "local/risks.csv")

    result = qv_cli("validate", str(data))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = result.stdout
    for text in [
        "local/lda_compliance.csv\n  row 3, column 'note': got 'Partly in place; completion",
        "expected a closing quote for the cell that opens on line 3",
        "local/funding.csv\n  row 426, column 'trust_code, year, stream, profession_group': got",
        "row 426 repeats the key (trust_code, year, stream, profession_group) of row 2",
        "row 13, column 'trust_name': got 'Caf\ufffd Trust'; expected UTF-8 text",
        "local/learners.csv\n  row 1; expected cells separated by commas (or tabs)",
        "row 3, column 'risk_id': got '../../evil'; expected a risk id that can name a file",
        "row 4, column 'risk_id': got 'RRRRRRRR",
        "expected text of at most 64 characters",
        "row 5, column 'risk_id': got 'r0d-r001'; expected a risk id that differs from",
    ]:
        assert text in report, text


def test_a_refused_file_stops_the_whole_load(tmp_path):
    data = Path(shutil.copytree(SAMPLE, tmp_path / "data"))
    write(data, appended_to_itself(sample("funding")), "local/funding.csv")
    with pytest.raises(DataValidationError) as caught:
        datasets.load(data)
    assert {Path(p.file).name for p in caught.value.problems} == {"funding.csv"}
    assert np.all([p.row > records("funding") + 1 for p in caught.value.problems])
