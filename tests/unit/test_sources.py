"""Finding published files under national/: by name, by shape, by dataset.yaml; one layout per
dataset; provenance in words."""

from __future__ import annotations

import pytest
import yaml
from published import (
    LOCATIONS,
    PROVIDERS,
    RHM,
    VALID,
    data_dir,
    problems,
    trusts_sheet,
    where,
    write_book,
)

from qvlib import datasets
from qvlib.sources import describe_sources


def set_sources(root, sources) -> None:
    meta = yaml.safe_load((root / "dataset.yaml").read_text())
    meta["sources"] = sources
    (root / "dataset.yaml").write_text(yaml.safe_dump(meta))


def test_the_canonical_layout_reads_no_published_file():
    ds = datasets.load(VALID)
    assert ds.sources == []


def test_a_file_whose_name_says_nothing_is_known_by_its_sheets_and_columns(tmp_path):
    root = data_dir(tmp_path, "cqc_ratings", "fft")
    write_book(
        root / "national" / "download (3).ods", {"Locations": LOCATIONS, "Providers": PROVIDERS}
    )
    write_book(root / "national" / "sub" / "data.xlsx", {"Trusts": trusts_sheet(RHM)})

    ds = datasets.load(root)

    published = {e["file"]: e["dataset"] for e in ds.sources}
    assert published == {
        "national/download (3).ods": "cqc_ratings",
        "national/sub/data.xlsx": "fft",
    }
    assert len(ds.cqc_ratings) == 5 and ds.fft["org_code"].tolist() == ["RHM"]


def test_both_layouts_of_one_dataset_is_a_problem_naming_both(tmp_path):
    root = data_dir(tmp_path)  # national/fft.csv is still there
    write_book(
        root / "national" / "FFT-Inpatient-September-2025.xlsx", {"Trusts": trusts_sheet(RHM)}
    )

    (problem,) = problems(root)

    assert problem.file.endswith("national/fft.csv")
    assert problem.expected == (
        "either this file or the published FFT files "
        "(national/FFT-Inpatient-September-2025.xlsx), not both: remove one"
    )


def test_an_unknown_file_is_a_problem_and_lock_and_other_files_are_not(tmp_path):
    root = data_dir(tmp_path)
    write_book(root / "national" / "notes.csv", {None: [["what", "why"], ["a", "b"]]})
    (root / "national" / "~$Latest_ratings.xlsx").write_bytes(b"lock")
    (root / "national" / "README.txt").write_text("where the files came from")

    (problem,) = problems(root)

    assert problem.file.endswith("national/notes.csv")
    assert problem.expected.startswith("a published file qv reads (CQC latest ratings, FFT")


def test_a_file_that_does_not_open_is_reported(tmp_path):
    root = data_dir(tmp_path, "fft")
    (root / "national" / "FFT-Inpatient-September-2025.xlsx").write_bytes(b"PK\x03\x04 broken")

    (problem,) = problems(root)

    assert problem.expected.startswith("a workbook that opens")


@pytest.mark.parametrize(
    ("sources", "column", "expected"),
    [
        (
            {"ratings": "national/x.ods"},
            "sources.ratings",
            "one of ['ods_trusts', 'ods_successors'",
        ),
        ({"fft": "national/nowhere.xlsx"}, "sources.fft", "a file under"),
        ({"fft": [{"file": "a.xlsx", "period": "Sept"}]}, "sources.fft", "a month written YYYY-MM"),
        ({"nts": {"file": "/etc/passwd"}}, "sources.nts", "a path under the data directory"),
        ({"cqc_ratings": {"file": "a.ods", "setting": "inpatient"}}, "sources.cqc_ratings", "FFT"),
    ],
)
def test_bad_sources_in_dataset_yaml_are_reported(tmp_path, sources, column, expected):
    root = data_dir(tmp_path)
    set_sources(root, sources)

    found = problems(root)

    assert where(found) == {("dataset.yaml", None, None, column)}
    assert expected in found[0].expected


def test_provenance_in_words_names_each_publication_and_its_period():
    def entry(publication, dataset, period):
        return {"publication": publication, "dataset": dataset, "period": period}

    records = [
        entry("ODS trusts", None, None),
        entry("CQC ratings", "cqc_ratings", "2025-11-03"),
        entry("FFT A&E", "fft", "2025-09"),
        entry("FFT inpatient", "fft", "2024-04 to 2025-08"),
        entry("NHS Staff Survey", "staff_survey", "2024"),
        entry("NHS Staff Survey", "staff_survey", "2021"),
        entry("GMC NTS", "survey_results", "2025"),
    ]

    assert describe_sources(records) == (
        "CQC ratings, published 3 Nov 2025; FFT (inpatient, A&E), Apr 2024 to Sep 2025; "
        "NHS Staff Survey 2021 to 2024; GMC NTS 2025; ODS trusts"
    )
    assert describe_sources([entry("CQC ratings", "cqc_ratings", "2025-11")]) == (
        "CQC ratings, published Nov 2025"
    )
    assert describe_sources([]) is None


def test_validate_summary_lists_the_publications_read(tmp_path):
    root = data_dir(tmp_path, "fft")
    write_book(
        root / "national" / "FFT-Inpatient-September-2025.xlsx", {"Trusts": trusts_sheet(RHM)}
    )

    report, ok = datasets.validate_dir(root)

    assert ok
    assert report.splitlines()[-2:] == [
        "published files read (1):",
        "  FFT inpatient: national/FFT-Inpatient-September-2025.xlsx, 2025-09, 1 rows",
    ]
