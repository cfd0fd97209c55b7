"""Builders for the published-format tests: a data directory, and small files in the layouts
NHS bodies publish, written inside each test (no committed workbooks)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qvlib import datasets
from qvlib.errors import DataValidationError, Problem

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "valid"


def data_dir(tmp_path: Path, *without: str) -> Path:
    """A copy of the valid canonical fixture without the named ``national/`` CSV files."""
    root = Path(shutil.copytree(VALID, tmp_path / "data"))
    for name in without:
        (root / "national" / f"{name}.csv").unlink()
    return root


def write_book(path: Path, sheets: dict[str | None, list[list[object]]]) -> Path:
    """Write rows of cells as a workbook (``.xlsx``, ``.ods``) or, for one sheet, a CSV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        (rows,) = sheets.values()
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in r] for r in rows])
        return path
    engine = "odf" if path.suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in sheets.items():
            frame = pd.DataFrame(rows, dtype=object)
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def problems(root: Path) -> list[Problem]:
    """Every problem :func:`qvlib.datasets.load` reports for ``root``."""
    with pytest.raises(DataValidationError) as caught:
        datasets.load(root)
    return caught.value.problems


def where(found: list[Problem]) -> set[tuple[str, str | None, int | None, str | None]]:
    """(file name, sheet, row, column) of each problem."""
    return {(Path(p.file).name, p.sheet, p.row, p.column) for p in found}


def record(ds: datasets.Dataset, file: str) -> dict:
    """The provenance record of the published file ``file`` (a name under national/)."""
    (entry,) = [e for e in ds.sources if e["file"].endswith(file)]
    return entry


#: An FFT "Trusts" sheet: its header, an England row without a trust code, three trusts.
FFT_HEADER = [
    "ICB Code",
    "Trust Code",
    "Trust Name",
    "Total Responses",
    "Total Eligible",
    "Percentage Positive",
    "Percentage Negative",
    "Very Good",
    "Good",
    "Neither Good nor Poor",
    "Poor",
    "Very Poor",
    "Don't Know",
    "Mode - SMS",
    "Mode - Paper",
]
ENGLAND = [None, None, "ENGLAND", 2003, 9000, 0.93, 0.03, 1700, 160, 30, 20, 40, 53, 1800, 203]
RHM = ["QRL", "RHM", "UHS", 1000, 5000, 0.96, 0.02, 900, 60, 10, 10, 10, 10, 900, 100]
R0D = ["QVV", "R0D", "UHD", 1000, "*", 0.95, 0.025, 800, 150, 20, 10, 15, 5, 900, 100]
SMALL = ["QRL", "RW1", "SHFT", 3, "*", "*", "*", 1, 1, 0, 0, 0, 1, 3, 0]


def trusts_sheet(*rows, title="Friends and Family Test - Inpatient - September 2025"):
    """A Trusts sheet: a title and a source line above the header, England, then ``rows``."""
    return [[title], ["Source: NHS England"], [], FFT_HEADER, ENGLAND, *rows]


#: A CQC latest ratings workbook: Locations and Providers sheets below a notice.
NOTICE = ["This file lists the latest ratings of every location; data as at 3 November 2025."]
LOCATION_HEADER = [
    "Location ID",
    "Location ODS Code",
    "Location Name",
    "Care Home?",
    "Location Type",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "Report Type",
    "Inherited Rating (Y/N)",
    "URL",
    "Provider ID",
    "Provider Name",
    "Brand ID",
    "Brand Name",
]
PROVIDER_HEADER = [
    "Provider ID",
    "Provider ODS Code",
    "Provider Name",
    "Provider Type",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "URL",
    "Brand ID",
    "Brand Name",
]
DAY = pd.Timestamp("2024-05-03")


def location(provider, location_id, name, domain, rating, day=DAY):
    """One row of the Locations sheet."""
    return [
        location_id,
        f"{provider}01",
        name,
        "N",
        "NHS Healthcare Organisation",
        "Surgery",
        domain,
        rating,
        day,
        "Location",
        "N",
        "https://www.cqc.org.uk/location/" + location_id,
        provider,
        "Some Trust",
        "-",
        "-",
    ]


def provider(code, name, domain, rating, day=DAY):
    """One row of the Providers sheet."""
    return [
        code,
        code,
        name,
        "NHS Healthcare Organisation",
        "Overall",
        domain,
        rating,
        day,
        "",
        "-",
        "-",
    ]


LOCATIONS = [
    NOTICE,
    [],
    LOCATION_HEADER,
    location("RHM", "1-111", "Southampton General Hospital", "Safe", "Requires improvement"),
    location("RHM", "1-111", "Southampton General Hospital", "Well Led", "Good"),
    location("1-999", "1-222", "Meadow View Care Home", "Safe", "Good"),
    location("R0D", "1-333", "Poole Hospital", "Overall", "Inadequate"),
]
PROVIDERS = [
    NOTICE,
    [],
    PROVIDER_HEADER,
    provider("RHM", "University Hospital Southampton", "Well-led", "Outstanding"),
    provider("RHM", "University Hospital Southampton", "Caring", "Not Rated"),
]
