"""``qv reviews --request FILE``: the CQC request file's path reaches the bundle's job only, its
SHA-256 is in that job's fingerprint and in the manifest, and a bad request stops the run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from qvlib.commentary import DocumentControl
from qvlib.project import find_project
from qvlib.runner import RunOptions, default_packs, run_reviews
from qvlib.runner.engine import JobResult
from qvlib.runner.plan import TrustInput, plan_jobs
from qvlib.runner.record import entry_for
from qvlib.runner.run import REQUEST_PACK, _request_inputs

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_REQUEST = ROOT / "data" / "sample" / "requests" / "cqc-rhm-2025.yaml"
KINDS = [k for k in default_packs() if k.name in ("desktop-review-dashboard", REQUEST_PACK)]


def _plan(tmp_path: Path, pack_inputs=None):
    trusts = [TrustInput("RHM", "RHM trust", {"code": "RHM"}, "fp")]
    return {
        job.pack: job
        for job in plan_jobs(
            KINDS,
            trusts,
            region_name="Wessex",
            region_parameters={"r": 1},
            injected={"review_year": "2025/26", "as_at": "2025-10-14", "data": str(tmp_path)},
            year_dir=tmp_path / "2025-26",
            code_sha256="c",
            provenance={},
            synthetic=True,
            document=DocumentControl("Wessex quality team", "q@example.nhs.uk", "OFFICIAL"),
            pack_inputs=pack_inputs,
        )
    }


def _copy_request(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(SAMPLE_REQUEST.read_text())
    data.update(changes)
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_request_reaches_the_bundle_job_only_and_is_in_its_fingerprint(tmp_path):
    plain = _plan(tmp_path)
    asked = _plan(tmp_path, _request_inputs(SAMPLE_REQUEST, find_project()))
    bundle = asked[REQUEST_PACK]
    assert bundle.parameters["request"] == str(SAMPLE_REQUEST.resolve())
    assert bundle.inputs["request_file"]["sha256"] == (
        hashlib.sha256(SAMPLE_REQUEST.read_bytes()).hexdigest()
    )
    assert bundle.fingerprint != plain[REQUEST_PACK].fingerprint
    dashboard = asked["desktop-review-dashboard"]
    assert "request" not in dashboard.parameters and dashboard.inputs == {}
    assert dashboard.fingerprint == plain["desktop-review-dashboard"].fingerprint


def test_an_edited_request_file_changes_the_fingerprint(tmp_path):
    first = _copy_request(tmp_path)
    before = _plan(tmp_path, _request_inputs(first, find_project()))[REQUEST_PACK].fingerprint
    _copy_request(tmp_path, asked="Something else entirely.")
    after = _plan(tmp_path, _request_inputs(first, find_project()))[REQUEST_PACK].fingerprint
    assert after != before


def test_the_manifest_records_the_request_file_and_its_sha256(tmp_path):
    job = _plan(tmp_path, _request_inputs(SAMPLE_REQUEST, find_project()))[REQUEST_PACK]
    entry = entry_for(
        job,
        JobResult(key=job.key, status="failed", error="x"),
        year_dir=tmp_path / "2025-26",
        inputs={"snapshot": "snap"},
        commit=None,
        previous=None,
    )
    record = entry["inputs"]["request_file"]
    assert record["path"] == "data/sample/requests/cqc-rhm-2025.yaml"
    assert record["sha256"] == hashlib.sha256(SAMPLE_REQUEST.read_bytes()).hexdigest()
    assert entry["inputs"]["parameters"]["request"] == str(SAMPLE_REQUEST.resolve())


def _run(tmp_path, **overrides) -> int:
    settings = dict(out_dir=tmp_path / "out", jobs=1, progress_bar=False, as_at="2025-10-14")
    settings.update(overrides)
    return run_reviews(RunOptions(**settings))


def test_a_request_about_another_trust_than_the_runs_exits_2(tmp_path, capsys):
    code = _run(tmp_path, trusts=["RHU"], packs=[REQUEST_PACK], request=SAMPLE_REQUEST)
    err = capsys.readouterr().err
    assert code == 2
    assert "about trust RHM" in err and "--trust RHM" in err
    assert not (tmp_path / "out" / "2025-26").exists()


def test_a_request_without_the_bundle_pack_exits_2(tmp_path, capsys):
    code = _run(tmp_path, packs=["desktop-review-dashboard"], request=SAMPLE_REQUEST)
    assert code == 2
    assert f"add --pack {REQUEST_PACK}" in capsys.readouterr().err


@pytest.mark.parametrize("key, value", [("period", {"start": "2025-09-30", "end": "2025-04-01"})])
def test_a_bad_request_file_exits_2_before_anything_runs(tmp_path, capsys, key, value):
    path = _copy_request(tmp_path, **{key: value})
    assert _run(tmp_path, packs=[REQUEST_PACK], request=path) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "key 'period'" in err
    assert not (tmp_path / "out").exists()
