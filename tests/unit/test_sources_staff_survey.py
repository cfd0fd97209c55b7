"""NHS Staff Survey benchmark data in long form loads into ``staff_survey``, old themes too."""

from __future__ import annotations

import pandas as pd
from published import data_dir, problems, record, where, write_book

from qvlib import datasets

HEADER = [
    "Organisation code",
    "Organisation name",
    "Benchmarking group",
    "People Promise element",
    "Sub-score",
    "Score",
    "Best",
    "Average",
    "Worst",
    "Responses",
]
GROUP = "Acute and acute & community trusts"
ROWS = [
    ["RHM", "UHS", GROUP, "We are a team", None, 7.05, 7.5, 6.9, 6.3, 5200],
    ["RHM", "UHS", GROUP, "We are a team", "Line management", "*", 7.6, 7.0, 6.4, 5200],
    ["r0d", "UHD", GROUP, "Staff engagement", None, 6.8, 7.3, 6.8, 6.2, 4100],
]


def test_long_form_with_the_year_in_the_title_loads_as_canonical_rows(tmp_path):
    root = data_dir(tmp_path, "staff_survey")
    title = ["NHS Staff Survey 2024: benchmark data by organisation"]
    path = root / "national" / "nss_benchmarks.xlsx"
    write_book(path, {"Notes": [title], "Data": [title, [], HEADER, *ROWS]})

    ds = datasets.load(root)

    staff = ds.staff_survey
    assert staff["org_code"].tolist() == ["R0D", "RHM", "RHM"]  # by organisation
    assert (staff["year"] == 2024).all()
    rhm = staff[staff["org_code"] == "RHM"]
    assert rhm["sub_score"].tolist()[1] == "Line management"
    assert pd.isna(rhm["sub_score"].tolist()[0]) and pd.isna(rhm["score"].tolist()[1])
    assert rhm[["benchmark_best", "benchmark_average", "benchmark_worst"]].values.tolist()[0] == [
        7.5,
        6.9,
        6.3,
    ]
    assert record(ds, path.name)["sheets"] == ["Data"]
    assert record(ds, path.name)["period"] == "2024"


def test_pre_2021_themes_with_the_year_in_the_file_name(tmp_path):
    root = data_dir(tmp_path, "staff_survey")
    header = [
        "Org Code",
        "Theme",
        "Trust Score",
        "Comparator Group",
        "Best score",
        "Average score",
        "Worst score",
        "Number of responses",
    ]
    rows = [
        ["RHM", "Equality, diversity and inclusion", 9.1, GROUP, 9.5, 9.1, 8.5, 4800],
        ["RHM", "Safe environment - bullying and harassment", 8.0, GROUP, 8.4, 7.9, 7.3, 4800],
    ]
    write_book(root / "national" / "NHS Staff Survey 2019 themes.csv", {None: [header, *rows]})

    ds = datasets.load(root)

    assert ds.staff_survey["element"].tolist() == [r[1] for r in rows]
    assert (ds.staff_survey["year"] == 2019).all()
    assert ds.staff_survey["sub_score"].isna().all()


def test_a_missing_column_names_the_sheet_row_and_column(tmp_path):
    root = data_dir(tmp_path, "staff_survey")
    header = [h for h in HEADER if h != "Worst"]
    rows = [r[:8] + r[9:] for r in ROWS]
    write_book(root / "national" / "NHS_Staff_Survey_2024.xlsx", {"Data": [header, *rows]})

    found = problems(root)

    assert where(found) == {("NHS_Staff_Survey_2024.xlsx", "Data", 1, "Worst")}


def test_a_score_outside_0_to_10_is_reported(tmp_path):
    root = data_dir(tmp_path, "staff_survey")
    bad = [list(r) for r in ROWS]
    bad[0][HEADER.index("Score")] = 70.5
    write_book(root / "national" / "NHS_Staff_Survey_2024.xlsx", {"Data": [HEADER, *bad]})

    (problem,) = problems(root)

    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "Data",
        2,
        "Score",
        "70.5",
    )
    assert problem.expected == "a number of at most 10"
