"""Friends and Family Test workbooks as NHS England publishes them load into ``fft``."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from published import FFT_HEADER as HEADER
from published import R0D, RHM, SMALL, data_dir, problems, record, trusts_sheet, where, write_book

from qvlib import datasets


def test_trusts_sheet_below_a_title_loads_as_canonical_counts(tmp_path):
    root = data_dir(tmp_path, "fft")
    path = root / "national" / "FFT-Inpatient-September-2025.xlsx"
    sites = [
        ["Trust Code", "Site Code", "Site Name", "Total Responses"],
        ["RHM", "RHM01", "SGH", 1000],
    ]
    write_book(
        path, {"Notes": [["Notes"]], "Trusts": trusts_sheet(RHM, R0D, SMALL), "Sites": sites}
    )

    ds = datasets.load(root)

    fft = ds.fft.set_index("org_code")
    assert list(fft.index) == ["R0D", "RHM", "RW1"]  # England (no trust code) left out
    assert (fft["period"] == "2025-09").all() and (fft["setting"] == "inpatient").all()
    assert fft.loc["RHM", ["very_good", "good", "dont_know"]].tolist() == [900.0, 60.0, 10.0]
    assert fft.loc["RHM", "total_responses"] == 1000 and fft.loc["RHM", "eligible"] == 5000
    assert pd.isna(fft.loc["R0D", "eligible"])  # '*' is suppressed
    entry = record(ds, path.name)
    assert (entry["publication"], entry["sheets"], entry["period"], entry["rows"]) == (
        "FFT inpatient",
        ["Trusts"],
        "2025-09",
        3,
    )


def test_ods_with_a_period_column_and_setting_in_the_title(tmp_path):
    root = data_dir(tmp_path, "fft")
    header = ["Period", *HEADER]
    rows = [["SEP-25", *RHM], ["OCT-25", *R0D]]
    sheet = [["Friends and Family Test: A&E"], [], header, *rows]
    write_book(root / "national" / "fft_download.ods", {"Trusts": sheet})

    ds = datasets.load(root)

    assert ds.fft[["org_code", "period", "setting"]].values.tolist() == [
        ["R0D", "2025-10", "a&e"],
        ["RHM", "2025-09", "a&e"],
    ]


def test_percentages_out_of_range_or_not_matching_the_counts_are_reported(tmp_path):
    root = data_dir(tmp_path, "fft")
    wrong = list(RHM)
    wrong[HEADER.index("Percentage Positive")] = 0.5  # the counts give 0.96
    as_percent = list(R0D)
    as_percent[HEADER.index("Percentage Negative")] = 2.5  # 2.5% written as 2.5, not 0.025
    write_book(
        root / "national" / "FFT-Inpatient-September-2025.xlsx",
        {"Trusts": trusts_sheet(wrong, as_percent)},
    )

    found = problems(root)

    assert where(found) == {
        ("FFT-Inpatient-September-2025.xlsx", "Trusts", 6, "Percentage Positive"),
        ("FFT-Inpatient-September-2025.xlsx", "Trusts", 7, "Percentage Negative"),
    }
    by_row = {p.row: p for p in found}
    assert by_row[6].expected.startswith("0.9600, what the counts give: (Very Good + Good)")
    assert "between 0 and 1" in by_row[7].expected


def test_a_period_that_cannot_be_found_is_reported_with_the_fix(tmp_path):
    root = data_dir(tmp_path, "fft")
    write_book(
        root / "national" / "FFT-Inpatient.xlsx",
        {"Trusts": trusts_sheet(RHM, title="Friends and Family Test - Inpatient")},
    )

    (problem,) = problems(root)

    assert (problem.sheet, problem.row) == ("Trusts", None)
    assert problem.expected.startswith("the month of the data in a title")
    assert "dataset.yaml" in problem.expected


def test_dataset_yaml_names_a_file_and_gives_its_period_and_setting(tmp_path):
    root = data_dir(tmp_path, "fft")
    write_book(root / "downloads" / "export (3).xlsx", {"Trusts": trusts_sheet(RHM, title="")})
    meta = yaml.safe_load((root / "dataset.yaml").read_text())
    meta["sources"] = {
        "fft": [{"file": "downloads/*.xlsx", "period": "2025-06", "setting": "maternity"}]
    }
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta))

    ds = datasets.load(root)

    assert ds.fft[["org_code", "period", "setting"]].values.tolist() == [
        ["RHM", "2025-06", "maternity"]
    ]
    assert record(ds, "export (3).xlsx")["file"] == "downloads/export (3).xlsx"


def test_the_same_trust_and_month_in_two_files_is_reported(tmp_path):
    root = data_dir(tmp_path, "fft")
    for name in ("FFT-Inpatient-September-2025.xlsx", "FFT-IP-SEP-25 (copy).xlsx"):
        write_book(root / "national" / name, {"Trusts": trusts_sheet(RHM)})

    found = problems(root)

    assert len(found) == 1
    assert found[0].row == 6 and found[0].value == "RHM, inpatient, 2025-09"
    assert "one row per trust, setting and month" in found[0].expected


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Very Good", "lots", "a number (a suppressed cell is written * or -)"),
        ("Total Responses", "*", "a number; this column cannot be empty or suppressed"),
    ],
)
def test_a_bad_cell_names_file_sheet_row_column_and_value(tmp_path, column, value, expected):
    root = data_dir(tmp_path, "fft")
    bad = list(RHM)
    bad[HEADER.index(column)] = value
    write_book(
        root / "national" / "FFT-Inpatient-September-2025.xlsx", {"Trusts": trusts_sheet(bad)}
    )

    (problem,) = problems(root)

    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "Trusts",
        6,
        column,
        value,
    )
    assert problem.expected == expected
