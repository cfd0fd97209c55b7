"""`qv reviews --request FILE` end to end: the bundle answers the request, the manifest records
the file, an unchanged re-run skips the bundle and an edited request rebuilds it."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.slow

REQUEST = ROOT / "data" / "sample" / "requests" / "cqc-rhm-2025.yaml"


def _run(qv_cli, out: Path, request: Path):
    return qv_cli(
        "reviews",
        "--pack",
        "cqc-response-bundle",
        "--as-at",
        "2025-10-14",
        "--request",
        str(request),
        "--out",
        str(out),
        "--jobs",
        "1",
    )


def _entry(out: Path) -> dict:
    manifest = json.loads((out / "2025-26" / "manifest.json").read_text())
    [entry] = [e for e in manifest["outputs"] if e["pack"] == "cqc-response-bundle"]
    return entry


def test_a_request_builds_its_trusts_bundle_and_is_recorded(tmp_path, qv_cli):
    request = tmp_path / "request.yaml"
    shutil.copy(REQUEST, request)
    out = tmp_path / "out"
    first = _run(qv_cli, out, request)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert [p.name for p in (out / "2025-26").iterdir() if p.is_dir()] == ["RHM"]
    with zipfile.ZipFile(out / "2025-26" / "RHM" / "cqc-response-bundle.zip") as bundle:
        readme = bundle.read("README.txt").decode()
        summary = bundle.read("summary.html").decode()
    assert readme.startswith("OFFICIAL-SENSITIVE") and "CQC-INS-2025-0417" in readme
    assert "CQC-INS-2025-0417" in summary and "OFFICIAL-SENSITIVE" in summary
    assert "CQC overall rating" not in summary
    entry = _entry(out)
    digest = hashlib.sha256(request.read_bytes()).hexdigest()
    assert entry["inputs"]["request_file"]["sha256"] == digest
    assert entry["inputs"]["parameters"]["request"] == str(request.resolve())

    again = _run(qv_cli, out, request)
    assert again.returncode == 0 and _entry(out)["status"] == "skipped"

    request.write_text(request.read_text().replace("CQC-INS-2025-0417", "CQC-INS-2025-0418"))
    edited = _run(qv_cli, out, request)
    assert edited.returncode == 0 and _entry(out)["status"] == "built"
    with zipfile.ZipFile(out / "2025-26" / "RHM" / "cqc-response-bundle.zip") as bundle:
        assert "CQC-INS-2025-0418" in bundle.read("README.txt").decode()
