"""Loaders read files as people export them and report every bad cell clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csvedit import set_cell, write
from hypothesis import given
from hypothesis import strategies as st

from qvlib import loaders
from qvlib.errors import DataValidationError, Problem
from qvlib.schemas import DATASETS, KEY_COLUMNS

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "valid"

NHS_WEBSITE_RATINGS = (
    "org_code,site_code,stars,ratings,period\nR0D,R0D02,4.5,120,2025-04\nRHM,,3.9,1024,2025-04\n"
)


def fixture_text(name: str) -> str:
    """The valid fixture file of dataset ``name``."""
    if name == "nhs_website_ratings":
        return NHS_WEBSITE_RATINGS
    return (VALID / loaders.dataset_file(name)).read_text(encoding="utf-8")


def problems_of(name: str, path: Path) -> list[Problem]:
    with pytest.raises(DataValidationError) as caught:
        loaders.load_dataset(name, path)
    return caught.value.problems


# --------------------------------------------------------------------------- every dataset


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_loader_reads_its_valid_fixture(tmp_path, name):
    path = write(tmp_path, fixture_text(name))
    frame = getattr(loaders, f"load_{name}")(path)
    expected_rows = len(fixture_text(name).strip().splitlines()) - 1
    assert list(frame.columns) == list(DATASETS[name].schema.to_schema().columns)
    assert len(frame) == expected_rows


# (dataset, spreadsheet row, column, exported text, column to read back, expected value)
QUIRKS = [
    ("trusts", 2, "trust_code", "r0d", "trust_code", "R0D"),
    ("trusts", 4, "trust_type", "Mental Health", "trust_type", "mental health"),
    ("learners", 3, "headcount", "1,234", "headcount", 1234),
    ("funding", 2, "allocated_gbp", "£1,250,000.50", "allocated_gbp", 1250000.5),
    ("programmes", 2, "posts", "  10  ", "posts", 10),
    ("risks", 2, "opened", "01/05/2024", "opened", pd.Timestamp(2024, 5, 1)),
    ("risks", 2, "trust_code", "RD3", "trust_code", "R0D"),
    ("risks", 2, "patient_safety", "Yes", "patient_safety", True),
    ("risks", 3, "status", "Closed", "status", "closed"),
    (
        "risks",
        2,
        "domain",
        "LEARNING ENVIRONMENT  AND CULTURE",
        "domain",
        "Learning environment and culture",
    ),
    (
        "risks",
        2,
        "isf_level",
        "level 2: Supported Improvement",
        "isf_level",
        "Level 2: supported improvement",
    ),
    ("exception_reports", 2, "fines_gbp", "£350", "fines_gbp", 350.0),
    ("self_assessment", 2, "self_rating", "Partially Meets", "self_rating", "partially meets"),
    ("lda_compliance", 4, "status", "Not Compliant", "status", "not compliant"),
    ("lda_compliance", 2, "note", "-", "note", np.nan),
    ("survey_results", 4, "score", "85%", "score", 85.0),
    ("survey_results", 2, "score", "*", "score", np.nan),
    ("survey_results", 2, "outcome", "Light Green", "outcome", "light green"),
    ("good_practice", 2, "date", "12/06/2024", "date", pd.Timestamp(2024, 6, 12)),
    ("visits", 2, "visit_type", "Urgent Risk Review", "visit_type", "triggered"),
    ("visits", 4, "visit_type", "senior leader engagement", "visit_type", "aeqr"),
    (
        "visit_actions",
        2,
        "kind",
        "Immediate Mandatory Requirement",
        "kind",
        "immediate mandatory requirement",
    ),
    ("visit_actions", 3, "due", "31/01/2025", "due", pd.Timestamp(2025, 1, 31)),
    ("hotspots", 3, "trust_code", " rhm ", "trust_code", "RHM"),
    ("fft", 2, "total_responses", "1,000", "total_responses", 1000),
    ("fft", 2, "very_good", "-", "very_good", np.nan),
    ("nhs_website_ratings", 3, "ratings", "1,024", "ratings", 1024),
    ("nhs_website_ratings", 2, "site_code", "*", "site_code", np.nan),
    ("cqc_ratings", 2, "rating", "Requires Improvement", "rating", "requires improvement"),
    ("cqc_ratings", 2, "provider_id", "rdz", "provider_id", "R0D"),
    (
        "cqc_ratings",
        2,
        "publication_date",
        "12/05/2023",
        "publication_date",
        pd.Timestamp(2023, 5, 12),
    ),
    ("staff_survey", 2, "sub_score", "-", "sub_score", np.nan),
    ("staff_survey", 2, "score", " 7.1 ", "score", 7.1),
]


@pytest.mark.parametrize(("name", "row", "column", "text", "read", "expected"), QUIRKS)
def test_export_quirk_loads_as_the_canonical_value(
    tmp_path, name, row, column, text, read, expected
):
    path = write(tmp_path, set_cell(fixture_text(name), row, column, text))
    frame = loaders.load_dataset(name, path)
    got = frame.at[row - 2, read]
    if isinstance(expected, float) and np.isnan(expected):
        assert pd.isna(got)
    else:
        assert got == expected


# (dataset, spreadsheet row, column, bad text, words the expectation must contain)
BAD_VALUES = [
    ("trusts", 3, "trust_type", "hospital", "one of: acute, mental health"),
    ("learners", 2, "headcount", "12.5", "a whole number"),
    ("funding", 2, "allocated_gbp", "-5", "at least 0"),
    ("programmes", 3, "posts", "*", "cannot be empty or suppressed"),
    ("risks", 2, "opened", "31/02/2024", "a date that exists, written dd/mm/yyyy"),
    ("risks", 3, "likelihood", "6", "at most 5"),
    ("exception_reports", 2, "quarter", "Q1 2024", "a financial quarter written YYYY/YY Qn"),
    ("self_assessment", 3, "domain", "Leadership", "one of: Learning environment and culture"),
    ("lda_compliance", 2, "status", "done", "one of: compliant, partial, not compliant"),
    ("survey_results", 2, "score", "105%", "at most 100"),
    ("survey_results", 2, "n", "twelve", "a whole number"),
    ("good_practice", 2, "date", "2024/06/12", "a date that exists"),
    ("visits", 2, "visit_type", "phone call", "one of: triggered, learner_educator"),
    ("visit_actions", 2, "kind", "suggestion", "one of: immediate mandatory requirement"),
    ("hotspots", 2, "reason", "", "a value; this column cannot be empty"),
    ("fft", 2, "period", "April 2025", "a month written YYYY-MM"),
    ("nhs_website_ratings", 2, "stars", "6", "at most 5"),
    ("cqc_ratings", 2, "rating", "excellent", "one of: outstanding, good"),
    ("staff_survey", 2, "score", "11", "at most 10"),
    ("staff_survey", 3, "responses", "£20", "a whole number"),
    ("risks", 3, "risk_id", "../../evil", "a risk id that can name a file"),
    ("risks", 3, "risk_id", "R" * 65, "text of at most 64 characters"),
]


@pytest.mark.parametrize(("name", "row", "column", "text", "words"), BAD_VALUES)
def test_bad_value_is_reported_with_file_row_column_value(tmp_path, name, row, column, text, words):
    path = write(tmp_path, set_cell(fixture_text(name), row, column, text))
    problems = problems_of(name, path)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        (str(path), row, column, text)
    ]
    assert words in problems[0].expected


def test_every_dataset_declares_a_key_of_its_own_columns():
    assert set(KEY_COLUMNS) == set(DATASETS)
    for name, key in KEY_COLUMNS.items():
        assert key and set(key) <= set(DATASETS[name].schema.to_schema().columns), name


@pytest.mark.parametrize("name", list(DATASETS))
def test_a_row_repeating_the_key_of_another_is_a_problem_naming_both_rows(tmp_path, name):
    lines = fixture_text(name).splitlines(keepends=True)
    problems = problems_of(name, write(tmp_path, "".join(lines) + lines[1]))
    assert [(p.row, p.column) for p in problems] == [(len(lines) + 1, ", ".join(KEY_COLUMNS[name]))]
    assert f"row {len(lines) + 1} repeats the key ({', '.join(KEY_COLUMNS[name])}) of row 2" in (
        problems[0].expected
    )


# --------------------------------------------------------------------------- the file itself


def test_headers_match_whatever_their_case_and_spacing(tmp_path):
    text = fixture_text("trusts").replace(
        "trust_code,trust_name,trust_type", " TRUST CODE ,Trust Name,trust-type"
    )
    frame = loaders.load_trusts(write(tmp_path, text))
    assert list(frame["trust_code"]) == ["R0D", "RHM", "RW1"]


def test_normalise_header_examples():
    assert loaders.normalise_header("Trust Code") == "trust_code"
    assert loaders.normalise_header(" TRUST  CODE ") == "trust_code"
    assert loaders.normalise_header("Don't know") == "dont_know"
    assert loaders.normalise_header("Allocated (GBP)") == "allocated_gbp"


def test_missing_column_is_one_problem_listing_the_headers_found(tmp_path):
    text = "\n".join(
        ",".join(cells[:1] + cells[2:])
        for cells in (line.split(",") for line in fixture_text("trusts").splitlines())
    )
    problems = problems_of("trusts", write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].column == "trust_name"
    assert problems[0].row is None
    assert "'trust_code', 'trust_type', 'icb', 'sites'" in problems[0].expected


def test_unknown_column_names_the_expected_ones(tmp_path):
    text = "\n".join(line + ",x" for line in fixture_text("hotspots").splitlines())
    text = text.replace("reason,x", "reason,Comments", 1)
    problems = problems_of("hotspots", write(tmp_path, text))
    assert [(p.column, p.row) for p in problems] == [("Comments", None)]
    assert "trust_code, site, specialty, reason" in problems[0].expected


def test_trailing_commas_and_blank_rows_are_ignored_and_rows_keep_their_numbers(tmp_path):
    lines = [line + "," for line in fixture_text("learners").splitlines()]
    lines.insert(2, ",,,,,,")  # a blank row as spreadsheet row 3
    lines.insert(3, "")
    text = "\n".join(lines) + "\n"
    text = set_cell(text, 6, "headcount", "many")  # data row 4 of the original is now row 6
    problems = problems_of("learners", write(tmp_path, text))
    assert [(p.row, p.column, p.value) for p in problems] == [(6, "headcount", "many")]


def test_optional_nullable_column_may_be_left_out(tmp_path):
    text = "\n".join(line.rsplit(",", 1)[0] for line in fixture_text("survey_results").splitlines())
    frame = loaders.load_survey_results(write(tmp_path, text))
    assert "outcome" in frame.columns
    assert frame["outcome"].isna().all()


def test_utf8_bom_and_windows_1252_files_load(tmp_path):
    text = set_cell(fixture_text("funding"), 2, "allocated_gbp", "£1,000")
    text = set_cell(text, 3, "stream", "Salary Support")
    bom = loaders.load_funding(write(tmp_path, "\ufeff" + text, "bom.csv"))
    cp1252 = loaders.load_funding(write(tmp_path, text, "cp1252.csv", encoding="cp1252"))
    pd.testing.assert_frame_equal(bom, cp1252)
    assert bom.at[0, "allocated_gbp"] == 1000.0
    assert bom.at[1, "stream"] == "salary support"


def test_quoted_cell_with_a_line_break_counts_as_one_row(tmp_path):
    text = set_cell(fixture_text("good_practice"), 2, "summary", "Line one\nline two")
    text = set_cell(text, 3, "date", "soon")
    problems = problems_of("good_practice", write(tmp_path, text))
    assert [(p.row, p.column) for p in problems] == [(3, "date")]


def test_row_with_more_cells_than_headers_is_a_problem(tmp_path):
    text = fixture_text("hotspots").replace("Open extreme risk marker-R0D", "Open, extreme risk")
    problems = problems_of("hotspots", write(tmp_path, text))
    assert [(p.row, p.value) for p in problems] == [(2, "5 cells")]
    assert "at most 4 cells" in problems[0].expected


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: None, "missing"),
        (lambda p: p.write_text(""), "empty"),
        (lambda p: p.write_text("\n  \n"), "empty"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256))), "binary"),
        (lambda p: p.write_bytes(b"a,b\x00\x01\x02"), "binary"),
        (lambda p: p.mkdir(), "directory"),
    ],
    ids=["missing", "empty", "blank", "xlsx", "binary", "directory"],
)
def test_unreadable_file_is_one_problem_for_that_file(tmp_path, make, words):
    path = tmp_path / "risks.csv"
    make(path)
    problems = problems_of("risks", path)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].row, problems[0].column) == (str(path), None, None)
    assert words in problems[0].expected


def test_header_only_file_is_an_empty_dataset(tmp_path):
    header = fixture_text("good_practice").splitlines()[0]
    frame = loaders.load_good_practice(write(tmp_path, header + "\n"))
    assert len(frame) == 0
    assert frame["date"].dtype == "datetime64[ns]"


def test_every_bad_cell_of_a_file_is_reported_together(tmp_path):
    text = set_cell(fixture_text("risks"), 2, "opened", "31/02/2024")
    text = set_cell(text, 2, "consequence", "9")  # same row: still reported
    text = set_cell(text, 3, "risk_id", "R-001")  # a duplicate id: the repeat names row 2
    text = set_cell(text, 4, "patient_safety", "maybe")
    problems = problems_of("risks", write(tmp_path, text))
    found = {(p.row, p.column) for p in problems}
    assert found == {(2, "opened"), (2, "consequence"), (3, "risk_id"), (4, "patient_safety")}
    assert "row 3 repeats the key (risk_id) of row 2" in str(problems[-2])


def test_loaded_frames_have_the_schema_dtypes(tmp_path):
    frame = loaders.load_risks(write(tmp_path, fixture_text("risks")))
    assert frame["opened"].dtype == "datetime64[ns]"
    assert frame["likelihood"].dtype == "int64"
    assert frame["patient_safety"].dtype == "bool"
    assert frame["closed"].isna().tolist() == [True, False, True]
    assert list(frame.index) == [0, 1, 2]


# --------------------------------------------------------------------------- row rules


@pytest.mark.parametrize(
    ("name", "row", "cells", "column", "words"),
    [
        ("risks", 3, {"closed": ""}, "closed", "because the status is closed"),
        ("risks", 2, {"closed": "01/06/2024"}, "closed", "while the status is open"),
        ("risks", 3, {"closed": "01/01/2024"}, "closed", "on or after the opened date 10/02/2024"),
        ("visit_actions", 4, {"status": "closed"}, "closed", "because the status is closed"),
        ("visit_actions", 3, {"ref": "IMR1"}, "visit_id, ref", "repeats the key (visit_id, ref)"),
        ("risks", 3, {"risk_id": "r-001"}, "risk_id", "'R-001' on row 2 by more than letter case"),
    ],
)
def test_rules_across_a_row(tmp_path, name, row, cells, column, words):
    text = fixture_text(name)
    for cell_column, value in cells.items():
        text = set_cell(text, row, cell_column, value)
    problems = problems_of(name, write(tmp_path, text))
    mine = [p for p in problems if p.row == row and p.column == column]
    assert mine and words in mine[0].expected


def test_dates_before_2000_or_far_after_the_datas_period_are_problems(tmp_path):
    # The bound comes from the data's stated period, never from the day qv runs.
    period_end = date(2026, 3, 31)
    text = set_cell(fixture_text("good_practice"), 2, "date", "01/01/1999")
    text = set_cell(text, 3, "date", "01/04/2031")
    text = set_cell(text, 4, "date", "31/03/2031")
    _, problems = loaders.read_dataset(
        "good_practice", write(tmp_path, text), latest=loaders.latest_date(period_end)
    )
    assert [p.row for p in problems] == [2, 3]
    assert all("a date between 01/01/2000 and 31/03/2031" in p.expected for p in problems)


def test_validation_does_not_depend_on_the_day_it_runs():
    source = Path(loaders.__file__).read_text(encoding="utf-8")
    assert "today(" not in source and "now(" not in source


# --------------------------------------------------------------------------- parsing rules


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_whole_numbers_parse_back(n):
    for text in (f"{n:,}", f"£{n:,}", str(n), f" {n:,} ", f"£ {n:,}"):
        assert loaders.parse_number(text) == n


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_formatted_money_and_percentages_parse_back(amount):
    assert loaders.parse_number(f"£{amount:,.2f}") == pytest.approx(float(amount))
    assert loaders.parse_number(f"{amount:.2f}%") == pytest.approx(float(amount))


@pytest.mark.parametrize("text", ["1,2", "12,34,567", "1.2.3", "£", "%", "abc", "1e3", "--1"])
def test_malformed_numbers_are_rejected(text):
    with pytest.raises(ValueError):
        loaders.parse_number(text)


@pytest.mark.parametrize("text", ["85%", "£5"])
def test_percent_and_pound_signs_only_where_allowed(text):
    with pytest.raises(ValueError):
        loaders.parse_number(text, percent=False, pounds=False)


MONTHS = "January February March April May June July August September October November December"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_any_real_date_parses_to_itself_in_every_day_first_spelling(day):
    month = MONTHS.split()[day.month - 1]
    for text in (
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day:%d-%m-%Y}",
        f"{day:%d.%m.%Y}",
        f"{day.day} {month} {day.year}",
        f"{day:%d}-{month[:3]}-{day.year}",
        f"{day.day} {month[:3].upper()} {day.year}",
        day.isoformat(),
        f"{day:%d/%m/%Y} 00:00",
    ):
        assert loaders.parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2024",
        "29/02/2023",
        "12/31/2024",
        "01/02/24",
        "2024/01/02",
        "2024-13-01",
        "yesterday",
        "1/1/2024x",
        "01/04-2024",
        "1 Apirl 2024",
        "１/１/２０２４",
    ],
)
def test_impossible_or_ambiguous_dates_are_rejected(text):
    with pytest.raises(ValueError):
        loaders.parse_date(text)


def test_a_national_scale_file_loads(tmp_path):
    """220 trusts' worth of survey rows (about 60,000) load; `make bench` measures the speed."""
    header, *rows = fixture_text("survey_results").splitlines()
    copies = [row.replace("marker-", f"marker{n}-") for n in range(20_000) for row in rows]
    path = write(tmp_path, "\n".join([header, *copies]) + "\n")
    frame = loaders.load_survey_results(path)
    assert len(frame) == 60_000


def test_cells_read_another_way_are_parsed_and_checked_as_a_csv_file_is(tmp_path):
    text = set_cell(fixture_text("fft"), 3, "good", "lots")
    path = write(tmp_path, text)
    cells = pd.read_csv(path, dtype=str, keep_default_na=False)
    cells.index = cells.index + 2  # spreadsheet rows: the header is row 1

    from_csv, csv_problems = loaders.read_dataset("fft", path)
    frame, problems = loaders.parse_cells("fft", cells, shown=str(path))

    pd.testing.assert_frame_equal(frame, from_csv)
    assert problems == csv_problems
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "good", "lots")]
