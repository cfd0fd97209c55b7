"""GMC NTS reporting-tool extracts become NTS rows of ``survey_results``."""

from __future__ import annotations

from published import data_dir, problems, record, where, write_book

from qvlib import datasets
from qvlib.config import load_region
from qvlib.metrics.surveys import calc_nts_outcome

HEADER = [
    "Trust/Board",
    "Site",
    "Programme Group",
    "Specialty",
    "Indicator",
    "N",
    "Mean",
    "SD",
    "Lower CI",
    "Upper CI",
    "National Mean",
    "National Q1",
    "National Q3",
    "National Lower CI",
    "National Upper CI",
    "Response rate",
]
BENCH = [80.0, 75.0, 85.0, 79.0, 81.0]
SGH = "Southampton General Hospital"
ROWS = [
    # Below Q1 with the CI clear of the benchmark's: red.
    [
        "UNIVERSITY HOSPITAL SOUTHAMPTON NHS FOUNDATION TRUST",
        SGH,
        "Core training",
        "General Surgery",
        "Workload",
        12,
        60.0,
        9.1,
        55.0,
        65.0,
        *BENCH,
        "90%",
    ],
    # Above Q3, CIs overlapping: light green.
    [
        "Southern Health NHS Foundation Trust",
        "Tatchbury Mount",
        "Foundation F1",
        "Psychiatry",
        "Overall Satisfaction",
        8,
        88.0,
        7.0,
        80.0,
        96.0,
        *BENCH,
        "85%",
    ],
    # Fewer than 3 respondents: not reported.
    [
        "Southern Health NHS Foundation Trust",
        "Tatchbury Mount",
        "Foundation F1",
        "Psychiatry",
        "Handover",
        2,
        None,
        None,
        None,
        None,
        *BENCH,
        "85%",
    ],
    [
        "Oxford University Hospitals NHS Foundation Trust",
        "John Radcliffe",
        "Foundation F1",
        "Surgery",
        "Workload",
        20,
        70.0,
        8.0,
        66.0,
        74.0,
        *BENCH,
        "95%",
    ],
    [
        "NHS Greater Glasgow and Clyde",
        "Queen Elizabeth",
        "Foundation F1",
        "Surgery",
        "Workload",
        20,
        70.0,
        8.0,
        66.0,
        74.0,
        *BENCH,
        "95%",
    ],
]


def extract(rows=ROWS, header=HEADER):
    return {None: [header, *rows]}


def test_extract_without_outcomes_is_matched_by_trust_name_and_outcomes_computed(tmp_path):
    root = data_dir(tmp_path)
    with (root / "local" / "survey_results.csv").open("a") as local:
        local.write(f"NTS,2023,RHM,{SGH},Core training,General Surgery,Workload,9,70,,,,,,,,\n")
    path = root / "national" / "GMC NTS 2024 programme specialty.csv"
    write_book(path, extract())

    ds = datasets.load(root)

    results = ds.survey_results
    assert results[["trust_code", "survey", "year"]].values.tolist() == [
        ["RHM", "NTS", 2023],  # another year of the local file is kept
        ["RHM", "NTS", 2024],  # the extract's year replaces the local NTS rows (R0D's too)
        ["RW1", "NTS", 2024],
        ["RW1", "NTS", 2024],
        ["RW1", "NETS", 2024],  # NETS rows stay
    ]
    nts = results[results["year"] == 2024].set_index("indicator")
    assert nts.loc["Workload", "outcome"] == "red"
    assert nts.loc["Overall Satisfaction", "outcome"] == "light green"
    assert nts.loc["Handover", "outcome"] == "not reported"
    assert nts.loc["Workload", ["n", "score", "ci_lower", "benchmark_q1"]].tolist() == [
        12,
        60.0,
        55.0,
        75.0,
    ]
    notes = " | ".join(record(ds, path.name)["notes"])
    assert "2 rows of 2 organisations whose name is in neither local/trusts.csv nor" in notes
    assert "NHS Greater Glasgow and Clyde; Oxford University Hospitals" in notes
    assert "outcomes computed by the GMC rule" in notes
    assert "replaces the NTS rows of local/survey_results.csv for its years: 2 in 2024" in notes


def test_a_published_outcome_that_breaks_the_rule_is_kept_and_flagged(tmp_path):
    root = data_dir(tmp_path)
    header = ["Trust Code", "Year", *HEADER[1:], "Outcome"]
    rows = [
        ["RHM", 2024, *ROWS[0][1:], "Green"],  # the rule gives red
        ["RW1", 2024, *ROWS[1][1:], "Light green"],
        ["RW1", 2024, *ROWS[2][1:], ""],  # not published: computed later, as for the CSV
    ]
    path = root / "national" / "nts_extract.xlsx"
    write_book(path, {"Results": [header, *rows]})

    ds = datasets.load(root)

    nts = ds.survey_results[ds.survey_results["survey"] == "NTS"]
    assert nts["outcome"].tolist()[:2] == ["green", "light green"]
    assert nts["outcome"].isna().tolist()[2]
    (note,) = [n for n in record(ds, path.name)["notes"] if "GMC rule" in n]
    assert note.startswith("1 published outcomes differ from the GMC rule")
    assert "row 2: published green, rule red" in note
    flagged = calc_nts_outcome(ds.survey_results, load_region())
    assert flagged["outcome_mismatch"].tolist() == [True, False, False]


def test_a_missing_column_names_the_file_and_column(tmp_path):
    root = data_dir(tmp_path)
    header = [h if h != "National Q1" else "Nat Q1" for h in HEADER]
    write_book(root / "national" / "nts_2024.csv", extract(header=header))

    found = problems(root)

    assert where(found) == {("nts_2024.csv", None, 1, "National Q1")}
    assert "'National Q1' (or 'Benchmark Q1', 'National Lower Quartile')" in found[0].expected


def test_a_year_that_cannot_be_found_is_reported(tmp_path):
    root = data_dir(tmp_path)
    write_book(root / "national" / "nts_extract.csv", extract())

    (problem,) = problems(root)

    assert problem.file.endswith("nts_extract.csv")
    assert problem.expected.startswith("the survey year in a Year column, a title or the file")
