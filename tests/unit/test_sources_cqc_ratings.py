"""CQC latest ratings as CQC publishes them load into the canonical ``cqc_ratings`` frame."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from published import (
    DAY,
    LOCATION_HEADER,
    LOCATIONS,
    PROVIDERS,
    data_dir,
    problems,
    record,
    where,
    write_book,
)

from qvlib import datasets

EXPECTED = pd.DataFrame(
    {
        "provider_id": ["R0D", "RHM", "RHM", "RHM", "RHM"],
        "location_id": ["1-333", None, None, "1-111", "1-111"],
        "location_name": [
            "Poole Hospital",
            "University Hospital Southampton",
            "University Hospital Southampton",
            "Southampton General Hospital",
            "Southampton General Hospital",
        ],
        "service_group": ["Surgery", "Overall", "Overall", "Surgery", "Surgery"],
        "key_question": ["overall", "well-led", "caring", "safe", "well-led"],
        "rating": ["inadequate", "outstanding", "not rated", "requires improvement", "good"],
        "publication_date": [DAY] * 5,
    }
).astype({"location_id": object, "publication_date": "datetime64[ns]"})


@pytest.mark.parametrize("suffix", [".ods", ".xlsx", ".xlsm"])
def test_workbook_below_a_notice_loads_as_the_canonical_long_rows(tmp_path, suffix):
    root = data_dir(tmp_path, "cqc_ratings")
    path = root / "national" / f"03_November_2025_Latest_ratings{suffix}"
    write_book(path, {"Locations": LOCATIONS, "Providers": PROVIDERS})

    ds = datasets.load(root)

    # Provider rows first within each provider; the care home's CQC provider id is left out.
    frame = ds.cqc_ratings.astype({"location_id": object})
    pd.testing.assert_frame_equal(frame, EXPECTED.where(EXPECTED.notna(), float("nan")))
    entry = record(ds, path.name)
    assert entry["sheets"] == ["Providers", "Locations"]
    assert entry["period"] == "2025-11-03"
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["rows"] == 5
    assert "1 rows of sheet Locations are about providers that are not NHS" in entry["notes"][0]


def test_csv_export_of_the_locations_sheet_dates_the_file_from_its_notice(tmp_path):
    root = data_dir(tmp_path, "cqc_ratings")
    rows = [[v.strftime("%d/%m/%Y") if v is DAY else v for v in r] for r in LOCATIONS]
    write_book(root / "national" / "cqc_locations_export.csv", {None: rows})

    ds = datasets.load(root)

    assert ds.cqc_ratings["location_id"].tolist() == ["1-333", "1-111", "1-111"]
    assert ds.cqc_ratings["key_question"].tolist() == ["overall", "safe", "well-led"]
    assert (ds.cqc_ratings["publication_date"] == DAY).all()
    assert record(ds, "cqc_locations_export.csv")["period"] == "2025-11-03"


def test_a_renamed_column_names_file_sheet_header_row_and_column(tmp_path):
    root = data_dir(tmp_path, "cqc_ratings")
    renamed = [list(r) for r in LOCATIONS]
    renamed[2][LOCATION_HEADER.index("Domain")] = "Key Q"
    write_book(
        root / "national" / "Latest_ratings.ods", {"Locations": renamed, "Providers": PROVIDERS}
    )

    found = problems(root)

    assert where(found) == {("Latest_ratings.ods", "Locations", 3, "Domain")}
    assert "Key Q" in found[0].expected  # the headers found are listed


def test_a_missing_sheet_is_named(tmp_path):
    root = data_dir(tmp_path, "cqc_ratings")
    write_book(root / "national" / "Latest_ratings.xlsx", {"Locations": LOCATIONS})

    (problem,) = problems(root)

    assert problem.file.endswith("Latest_ratings.xlsx")
    assert "a sheet named 'Providers'; the sheets are ['Locations']" in problem.expected


def test_a_bad_rating_names_the_row_and_published_column(tmp_path):
    root = data_dir(tmp_path, "cqc_ratings")
    bad = [list(r) for r in LOCATIONS]
    bad[4][LOCATION_HEADER.index("Latest Rating")] = "Brilliant"
    write_book(root / "national" / "Latest_ratings.ods", {"Locations": bad, "Providers": PROVIDERS})

    (problem,) = problems(root)

    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "Locations",
        5,
        "Latest Rating",
        "Brilliant",
    )
    assert "requires improvement" in problem.expected
