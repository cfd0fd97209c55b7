"""`qv validate DIR`: a report of every problem in every file, exit 2; clean data exits 0."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


VALID = REPO / "tests" / "fixtures" / "loaders" / "valid"


def qv_validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qvlib", "validate", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "data"))


def test_clean_directory_exits_0_with_a_summary():
    result = qv_validate(str(VALID))
    assert result.returncode == 0, result.stderr
    assert "no problems found (synthetic data)" in result.stdout
    assert "3 trusts: R0D, RHM, RW1" in result.stdout


def test_every_broken_file_is_reported_in_one_run(data_dir):
    local, national = data_dir / "local", data_dir / "national"
    risks = (local / "risks.csv").read_text().replace("2024-05-01", "31/02/2024")
    (local / "risks.csv").write_text(risks)
    learners = (local / "learners.csv").read_text().replace("headcount", "heads", 1)
    (local / "learners.csv").write_text(learners)
    (local / "good_practice.csv").write_text("")
    (local / "funding.csv").unlink()
    (local / "visits.csv").unlink()
    (local / "visits.csv").mkdir()
    (national / "fft.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00binary workbook")

    result = qv_validate(str(data_dir))

    assert result.returncode == 2
    report = result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "6 files" in report
    assert "local/risks.csv\n  row 2, column 'opened': got '31/02/2024'" in report
    assert "column 'headcount'; expected a column 'headcount'; the headers found are" in report
    assert "local/good_practice.csv\n  file; expected a header row and data rows" in report
    assert "local/funding.csv\n  file; expected this file; it is missing" in report
    assert "local/visits.csv\n  file; expected a CSV file, but this is a directory" in report
    assert "national/fft.csv\n  file; expected a CSV text file, but this is a binary file" in report


def test_missing_directory_exits_2_without_a_traceback(tmp_path):
    result = qv_validate(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "nowhere" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
