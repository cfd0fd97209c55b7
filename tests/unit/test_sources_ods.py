"""ODS trust and successor lists: names matched to codes, closed codes to their successors."""

from __future__ import annotations

from published import R0D, RHM, data_dir, problems, record, trusts_sheet, where, write_book

from qvlib import datasets


def etr_row(code, name, closed=""):
    address = ["1 HIGH STREET", "", "TOWN", "", "", "AB1 2CD"]
    return [code, name, "Y56", "Q85", *address, "20000401", closed, *[""] * 15]


ETR = [
    etr_row("RHM", "UNIVERSITY HOSPITAL SOUTHAMPTON NHS FOUNDATION TRUST"),
    etr_row("RTH", "OXFORD UNIVERSITY HOSPITALS NHS FOUNDATION TRUST"),
    etr_row("RA7", "SOUTH HAMPSHIRE TEACHING TRUST", "20190331"),
]
SUCC = [["RA7", "RHM", "R", "20190401", ""], ["RD3", "RHM", "R", "20201001", ""]]


def test_closed_codes_in_published_files_count_for_their_successor(tmp_path):
    root = data_dir(tmp_path, "fft")
    write_book(root / "national" / "etr.csv", {None: ETR})
    write_book(root / "national" / "succ.csv", {None: SUCC})
    closed = ["QRL", "RA7", *RHM[2:]]
    merged = ["QVV", "RD3", *R0D[2:]]  # parameters say RD3 became R0D: they win over ODS
    write_book(
        root / "national" / "FFT-Inpatient-September-2025.xlsx",
        {"Trusts": trusts_sheet(closed, merged)},
    )

    ds = datasets.load(root)

    assert ds.fft["org_code"].tolist() == ["R0D", "RHM"]
    assert record(ds, "etr.csv")["publication"] == "ODS trusts"
    assert record(ds, "succ.csv")["rows"] == 2


def test_trusts_named_in_an_nts_extract_are_found_through_ods_names(tmp_path):
    root = data_dir(tmp_path)
    write_book(root / "national" / "etr.csv", {None: ETR})
    write_book(root / "national" / "succ.csv", {None: SUCC})
    header = [
        "Trust / Board",
        "Site",
        "Programme Group",
        "Post Specialty",
        "Indicator",
        "N",
        "Mean",
        "Lower CI",
        "Upper CI",
        "National Mean",
        "National Q1",
        "National Q3",
        "National Lower CI",
        "National Upper CI",
    ]
    post = [
        "Site A",
        "Foundation F1",
        "Surgery",
        "Workload",
        20,
        70.0,
        66.0,
        74.0,
        80.0,
        75.0,
        85.0,
        79.0,
        81.0,
    ]
    rows = [
        ["South Hampshire Teaching Trust", *post],  # closed: its successor RHM
        ["Oxford University Hospitals NHS Foundation Trust", *post],  # outside the region
    ]
    path = root / "national" / "NTS_2024.csv"
    write_book(path, {None: [header, *rows]})

    ds = datasets.load(root)

    nts = ds.survey_results[ds.survey_results["survey"] == "NTS"]
    assert nts["trust_code"].tolist() == ["RHM"]
    assert "1 rows of trusts not in local/trusts.csv left out" in record(ds, path.name)["notes"]


def test_a_bad_code_in_an_ods_list_names_row_and_column(tmp_path):
    root = data_dir(tmp_path)
    write_book(root / "national" / "etr.csv", {None: [*ETR, etr_row("not a code", "X")]})

    found = problems(root)

    assert where(found) == {("etr.csv", None, 4, "1 (organisation code)")}
    assert found[0].value == "NOT A CODE"
