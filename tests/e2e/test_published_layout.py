"""National data as published: `qv validate` reports bad files, and `qv reviews` builds the same
pack from the published layout as from the canonical one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

VALID = ROOT / "tests" / "fixtures" / "loaders" / "valid"
PACK = "desktop-review-dashboard"
# The one entry of the provenance box that differs: the publications read.
PUBLICATIONS = re.compile(rb"\n<div><dt>National publications</dt><dd>[^<]*</dd></div>")


def test_validate_exits_2_naming_file_sheet_row_and_column_of_bad_published_files(tmp_path, qv_cli):
    data = Path(shutil.copytree(VALID, tmp_path / "data"))
    for name in ("fft", "cqc_ratings", "staff_survey"):
        (data / "national" / f"{name}.csv").unlink()
    header = [
        "Trust Code",
        "Total Responses",
        "Percentage Positive",
        "Very Good",
        "Good",
        "Neither Good nor Poor",
        "Poor",
        "Very Poor",
        "Dont Know",
    ]
    rows = [["RHM", 10, 1.4, 8, 1, 1, 0, 0, 0]]
    with pd.ExcelWriter(data / "national" / "FFT-Inpatient-May-2025.xlsx") as writer:
        pd.DataFrame([header, *rows]).to_excel(
            writer, sheet_name="Trusts", header=False, index=False
        )
    with pd.ExcelWriter(data / "national" / "Latest_ratings.ods", engine="odf") as writer:
        pd.DataFrame([["Provider ID"]]).to_excel(writer, sheet_name="Locations", header=False)
    nts = [
        "Trust Code",
        "Site",
        "Programme Group",
        "Post Specialty",
        "Indicator",
        "N",
        "Average",
        "Lower CI",
        "Upper CI",
        "National Mean",
        "National Q1",
        "National Q3",
        "National Lower CI",
        "National Upper CI",
    ]
    (data / "national" / "nts_download.csv").write_text(",".join(nts) + "\n")
    staff = [
        "Organisation code",
        "People Promise element",
        "Score",
        "Benchmark group",
        "Best",
        "Average",
        "Worst",
        "Responses",
    ]
    staff_row = ["RHM", "We are a team", "7.1", "Acute trusts", "7.5", "6.9", "6.3", "5200"]
    (data / "national" / "NHS staff survey benchmarks.csv").write_text(
        "\n".join(",".join(r) for r in (staff, staff_row)) + "\n"
    )

    result = qv_cli("validate", str(data))

    assert result.returncode == 2, result.stdout + result.stderr
    report = result.stdout
    assert "Traceback" not in report + result.stderr
    assert (
        "national/FFT-Inpatient-May-2025.xlsx\n  sheet 'Trusts', row 2, column 'Percentage "
        "Positive': got '1.4'; expected a fraction between 0 and 1"
    ) in report
    assert "national/Latest_ratings.ods\n  file; expected a sheet named 'Providers'" in report
    assert "national/nts_download.csv\n  row 1, column 'Mean'; expected a column 'Mean'" in report
    assert (
        "NHS staff survey benchmarks.csv\n  file; expected the survey year in a Year column"
        in report
    )


@pytest.mark.slow
def test_reviews_build_the_same_pack_from_the_published_layout(tmp_path, qv_cli):
    """data/sample is the canonical layout of the default sample; regenerate it as published."""
    published = tmp_path / "published"
    assert qv_cli("sample-data", "--out", str(published), "--published-formats").returncode == 0
    pages, manifests = {}, {}
    for name, data in (("canonical", ROOT / "data" / "sample"), ("published", published)):
        out = tmp_path / f"out-{name}"
        result = qv_cli(
            "reviews", "--trust", "RHM", "--pack", PACK, "--data", str(data), "--out", str(out)
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        pages[name] = (out / "2025-26" / "RHM" / f"{PACK}.html").read_bytes()
        manifests[name] = json.loads((out / "2025-26" / "manifest.json").read_text())["run"]

    named = PUBLICATIONS.search(pages["published"]).group(0).decode()
    assert "CQC ratings, published 31 Mar 2026; FFT (inpatient, A&amp;E, maternity" in named
    assert "NHS Staff Survey 2022 to 2025; GMC NTS 2022 to 2025" in named
    assert not PUBLICATIONS.search(pages["canonical"])
    assert PUBLICATIONS.sub(b"", pages["published"]) == pages["canonical"]
    assert manifests["canonical"]["sources"] == []
    files = {e["file"]: e for e in manifests["published"]["sources"]}
    cqc = files["national/31_March_2026_Latest_ratings.xlsx"]
    assert (cqc["sheets"], cqc["period"], len(cqc["sha256"])) == (
        ["Providers", "Locations"],
        "2026-03-31",
        64,
    )
    assert files["national/fft/FFT-Inpatient-April-2022.xlsx"]["period"] == "2022-04"
