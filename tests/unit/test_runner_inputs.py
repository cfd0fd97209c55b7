"""What a run remembers: an unchanged run reads no data and starts no worker; a changed trust
is the only one whose briefs are selected again; unchanged files are not read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import runner_fixtures
from runner_fixtures import BRIEF, ECHO, REGION, make_project, options, set_values, statuses

from qvlib.runner import executors, inputs, run_reviews
from qvlib.runner import run as run_module
from qvlib.runner.inputs import InputsCache

kernels = pytest.mark.xdist_group("kernels")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    runner_fixtures.SELECTED.clear()
    return make_project(tmp_path, monkeypatch)


@kernels
def test_an_unchanged_run_reads_no_data_selects_nothing_and_starts_no_worker(project, monkeypatch):
    assert run_reviews(options(project, [ECHO, BRIEF, REGION])) == 0
    assert runner_fixtures.SELECTED == ["AAA", "BBB", "CCC"]

    def refuse(*args, **kwargs):
        raise AssertionError("an unchanged run must not do this")

    monkeypatch.setattr(run_module, "load_dataset", refuse)
    monkeypatch.setattr(executors.LocalExecutor, "__init__", refuse)
    assert run_reviews(options(project, [ECHO, BRIEF, REGION])) == 0
    assert set(statuses(project).values()) == {"skipped"}
    assert runner_fixtures.SELECTED == ["AAA", "BBB", "CCC"]


@kernels
def test_a_changed_trust_is_the_only_one_selected_again_and_rebuilt(project):
    assert run_reviews(options(project, [ECHO, BRIEF, REGION])) == 0
    set_values(project["data"], {"AAA": 1, "BBB": 20, "CCC": 3}, {"AAA": ["R2", "R1"]})
    runner_fixtures.SELECTED.clear()
    assert run_reviews(options(project, [ECHO, BRIEF, REGION])) == 0
    assert runner_fixtures.SELECTED == ["BBB"]
    rebuilt = {key for key, status in statuses(project).items() if status == "built"}
    assert rebuilt == {"BBB/echo", "region"}


def test_a_file_is_read_again_only_when_its_size_or_time_changed(tmp_path, monkeypatch):
    path = tmp_path / "risks.csv"
    path.write_text("id,trust\nR1,AAA\n")
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    first = InputsCache(tmp_path)
    digest = first.sha256(path)
    first.save()

    def read(_path):
        raise AssertionError("read again")

    monkeypatch.setattr(inputs, "sha256_file", read)
    assert InputsCache(tmp_path).sha256(path) == digest
    path.write_text("id,trust\nR2,AAA\n")  # same size, new time
    monkeypatch.undo()
    assert InputsCache(tmp_path).sha256(path) != digest


def test_a_file_changed_in_the_second_it_was_read_is_read_again(tmp_path):
    path = tmp_path / "risks.csv"
    path.write_text("id,trust\nR1,AAA\n")
    cache = InputsCache(tmp_path)
    digest = cache.sha256(path)
    cache.save()
    stamp = path.stat()
    path.write_text("id,trust\nR2,AAA\n")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size and time
    assert InputsCache(tmp_path).sha256(path) != digest


def test_notebook_parameters_are_cached_where_the_vega_bundle_is(tmp_path):
    from qvlib.packs import cache_dir

    assert InputsCache(tmp_path).notebooks_path.parent == cache_dir()
