"""``qv reviews --scheduler``: the same jobs on a Dask cluster give the files of a local run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from distributed import LocalCluster
from runner_fixtures import BUNDLE, ECHO, FAILING, REGION, make_project, options

from qvlib.runner import executors, run_reviews

pytestmark = [pytest.mark.xdist_group("kernels"), pytest.mark.timeout(300)]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return make_project(tmp_path, monkeypatch)


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.suffix in {".html", ".ipynb", ".zip"}
    }


def outcome(root: Path) -> dict[str, tuple]:
    document = json.loads((root / "2025-26" / "manifest.json").read_text())
    return {
        e["key"]: (e["status"], e["output_sha256"], e["error"], e["outputs"], e["executed"])
        for e in document["outputs"]
    }


def test_a_dask_run_writes_the_files_and_records_of_a_local_run(project, tmp_path):
    kinds = [ECHO, FAILING, REGION, BUNDLE]
    with LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:
        on_dask = options(project, kinds, scheduler=cluster.scheduler_address)
        assert run_reviews(on_dask) == 1  # BBB's failing notebook fails, on Dask as locally
    shutil.move(project["out"], tmp_path / "dask")
    assert run_reviews(options(project, kinds, jobs=2)) == 1
    dask, local = files(tmp_path / "dask"), files(project["out"])
    assert len(dask) == 20 and set(dask) == set(local)  # 10 notebooks, 9 packs, the index
    for path, data in dask.items():
        assert data == local[path], f"{path} differs between a Dask run and a local run"
    assert outcome(tmp_path / "dask") == outcome(project["out"])


def test_a_scheduler_that_does_not_answer_is_exit_2(project, monkeypatch, capsys):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    assert run_reviews(options(project, [ECHO], scheduler="tcp://127.0.0.1:9")) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answers there" in err
    assert "dask scheduler" in err
    assert not (project["out"] / "2025-26").exists()
