"""Paths typed on the command line mean what they say: relative to the folder qv is run from.

Each test runs ``qv`` from a temporary folder outside the repository with relative paths; the
data there differs from the repository's ``data/sample``, so reading the wrong folder shows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "tests" / "fixtures" / "loaders" / "valid"


def qv(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qvlib", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_validate_reads_a_relative_folder_from_the_current_folder(tmp_path):
    shutil.copytree(VALID, tmp_path / "data")
    result = qv("validate", "data", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{(tmp_path / 'data').resolve()}: no problems found" in result.stdout
    assert "3 trusts: R0D, RHM, RW1" in result.stdout


def test_missing_relative_folder_is_named_as_the_user_typed_it_from_here(tmp_path):
    result = qv("validate", "nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert str((tmp_path / "nowhere").resolve()) in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_reviews_reads_data_and_writes_outputs_relative_to_the_current_folder(tmp_path):
    data = tmp_path / "mydata"
    shutil.copytree(REPO / "data" / "sample", data)
    notes = data / "local" / "learners.csv"
    notes.write_text(notes.read_text() + "\n")  # same rows, other bytes than the repository's
    (data / "notes.txt").write_text("not a dataset: qv does not read it\n")

    result = qv(
        "reviews", "--data", "mydata", "--out", "out", "--trust", "RHM",
        "--pack", "desktop-review-dashboard", "--jobs", "1", cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path / "out"
    assert (out / "2025-26" / "RHM" / "desktop-review-dashboard.html").is_file()
    manifest = json.loads((out / "2025-26" / "manifest.json").read_text())
    assert manifest["run"]["data_dir"] == str(data.resolve())
    snapshot = out / ".snapshots" / manifest["run"]["snapshot"]
    assert (snapshot / "meta.json").is_file()  # the snapshot lives under the output folder
    read = manifest["outputs"][0]["inputs"]["data_files"]
    paths = [f["path"] for f in read]
    assert "dataset.yaml" in paths and "local/learners.csv" in paths
    assert "notes.txt" not in paths  # only the files actually read
    for entry in read:
        assert entry["sha256"] == hashlib.sha256((data / entry["path"]).read_bytes()).hexdigest()
