"""The runner: pack selection, notebook parameters, fingerprints, skipping, failures, records.

Runs use the stand-ins of ``runner_fixtures`` (tiny notebooks, a fake dataset, a plain
exporter), so they test the runner, not the packs.  Tests that run notebooks share one xdist
group: they run one after another on one worker.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from runner_fixtures import (
    BRIEF,
    BUNDLE,
    ECHO,
    FAILING,
    FIXTURES,
    REGION,
    FakeTrust,
    html_files,
    kind,
    make_project,
    manifest,
    options,
    select_fixture_places,
    set_values,
    statuses,
    temp_files,
)

from qvlib.commentary import DocumentControl
from qvlib.errors import DataValidationError, NotebookParameterError, Problem, QvError
from qvlib.project import find_project
from qvlib.runner import PackKind, default_packs, describe, run_reviews
from qvlib.runner import run as run_module
from qvlib.runner.engine import stable_cell_ids, write_atomic
from qvlib.runner.plan import (
    TrustInput,
    is_up_to_date,
    job_fingerprint,
    notebook_parameters,
    plan_jobs,
)
from qvlib.runner.record import write_index
from qvlib.runner.run import select_packs

kernels = pytest.mark.xdist_group("kernels")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return make_project(tmp_path, monkeypatch)


# --- checks made before anything runs ---------------------------------------------------------


def test_undeclared_parameter_is_rejected_before_any_kernel_starts(project, capsys):
    undeclared = kind("undeclared")
    code = run_reviews(options(project, [ECHO, undeclared]))
    err = capsys.readouterr().err
    assert code == 2
    assert "undeclared.ipynb" in err and "['data']" in err
    assert not project["out"].exists()


def test_notebook_without_parameters_cell_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "bare.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookParameterError, match="no cell tagged 'parameters'"):
        notebook_parameters(path)


def test_notebook_parameters_are_read_with_types_and_help():
    found = notebook_parameters(FIXTURES / "brief.ipynb")
    assert list(found) == [
        "trust_code",
        "review_year",
        "as_at",
        "data",
        "site",
        "specialty",
        "commentary",
    ]
    assert found["site"].type == "str"
    assert found["site"].default == '"Site r1"'
    assert found["site"].help == "site of the clinical learning environment"


def test_unknown_pack_is_an_error_listing_the_known_ones(project, capsys):
    assert run_reviews(options(project, [ECHO, FAILING], packs=["echoes"])) == 2
    err = capsys.readouterr().err
    assert "echoes" in err and "'echo'" in err and "'failing'" in err


def test_requested_pack_without_notebook_is_an_error_unrequested_is_skipped(caplog):
    ghost = PackKind(name="ghost", notebook=FIXTURES / "ghost.ipynb", title="Ghost")
    with pytest.raises(QvError, match="ghost.ipynb does not exist"):
        select_packs([ECHO, ghost], ["ghost"], trusts_filtered=False)
    assert select_packs([ECHO, ghost], [], trusts_filtered=False) == [ECHO]
    assert "ghost" in caplog.text


def test_pack_with_non_html_output_needs_a_finalize_hook():
    zipped = kind("echo", output="{pack}.zip")
    with pytest.raises(QvError, match="needs a finalize hook"):
        select_packs([zipped], ["echo"], trusts_filtered=False)
    assert select_packs([zipped], [], trusts_filtered=False) == []
    hooked = kind("echo", output="{pack}.zip", finalize="zipfile:ZipFile")
    assert select_packs([hooked], ["echo"], trusts_filtered=False) == [hooked]


def test_region_pack_is_left_out_of_a_trust_run_unless_requested():
    assert select_packs([ECHO, REGION], [], trusts_filtered=True) == [ECHO]
    assert select_packs([ECHO, REGION], [], trusts_filtered=False) == [ECHO, REGION]
    assert select_packs([ECHO, REGION], ["region"], trusts_filtered=True) == [REGION]


def test_registry_names_are_the_documented_pack_names():
    assert [k.name for k in default_packs()] == [
        "desktop-review-dashboard",
        "annual-review-pack",
        "cqc-response-bundle",
        "triggered-visit-brief",
        "learner-educator-visit-brief",
        "region-overview",
    ]
    by_name = {k.name: k for k in default_packs()}
    assert by_name["cqc-response-bundle"].output_name() == "cqc-response-bundle.zip"
    assert by_name["triggered-visit-brief"].output_name("a-b") == "triggered-visit-brief-a-b.html"
    assert by_name["region-overview"].scope == "region"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"year": "2025-26"}, "YYYY/YY"),
        ({"trusts": ["ZZZ"]}, "unknown trust(s) ['ZZZ']"),
        ({"jobs": 0}, "--jobs 0"),
    ],
)
def test_bad_options_exit_2_with_a_message(project, capsys, overrides, message):
    assert run_reviews(options(project, [ECHO], **overrides)) == 2
    assert message in capsys.readouterr().err
    assert not (project["out"] / "2025-26").exists()


def test_environment_names_that_cannot_name_a_file_are_rejected(project, capsys):
    set_values(project["data"], {"AAA": 1}, {"AAA": ["r1", "../../etc"]})
    assert run_reviews(options(project, [BRIEF])) == 2
    assert "['../../etc']" in capsys.readouterr().err


def test_invalid_data_prints_the_report_and_builds_nothing(project, monkeypatch, capsys):
    problem = Problem("local/risks.csv", 4, "likelihood", "9", "an integer 1-5")

    def bad_load(path, params):
        raise DataValidationError([problem])

    monkeypatch.setattr(run_module, "load_dataset", bad_load)
    assert run_reviews(options(project, [ECHO])) == 2
    err = capsys.readouterr().err
    assert "local/risks.csv" in err and "row 4" in err and "an integer 1-5" in err
    assert not project["out"].exists()


def test_describe_lists_trusts_packs_and_parameters(project):
    text = describe([ECHO, BRIEF, kind("ghost")], find_project(project["params"].parent))
    assert "AAA    AAA Hospitals NHS Trust" in text
    assert "brief: Brief, one per clinical learning environment whose open risks call" in text
    assert 'site: str = "Site r1"  # site of the clinical learning environment (set by qv)' in text
    assert "ghost.ipynb: not written yet" in text
    # What a commentary file of each pack may say.
    assert "commentary sections (## Heading): Executive summary" in text
    assert "Figures commentary may quote" in text
    assert "    funding.utilisation " in text and "(<band>: low, moderate, high, extreme;" in text


# --- planning and fingerprints ----------------------------------------------------------------


FINGERPRINT_INPUTS = dict(
    notebook_sha256="n",
    code_sha256="c",
    parameters={"trust": {"code": "AAA"}},
    data_fingerprint="d",
    pack="echo",
    environment=None,
    injected={"review_year": "2025/26", "as_at": "2026-03-31", "data": "/out/.snapshots/abc"},
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notebook_sha256", "n2"),
        ("code_sha256", "c2"),
        ("parameters", {"trust": {"code": "AAA", "sites": ["X"]}}),
        ("data_fingerprint", "d2"),
        ("pack", "other"),
        ("environment", "site-r1"),
        ("injected", {"review_year": "2026/27", "as_at": "2026-03-31", "data": "/s/abc"}),
        ("injected", {"review_year": "2025/26", "as_at": "2025-10-01", "data": "/s/abc"}),
        ("commentary_sha256", "e"),
    ],
)
def test_fingerprint_changes_with_each_input(field, value):
    base = job_fingerprint(**FINGERPRINT_INPUTS)
    assert job_fingerprint(**FINGERPRINT_INPUTS) == base
    assert job_fingerprint(**{**FINGERPRINT_INPUTS, field: value}) != base


def test_fingerprint_ignores_where_the_snapshot_lives():
    moved = {**FINGERPRINT_INPUTS["injected"], "data": "/elsewhere/.snapshots/abc"}
    assert job_fingerprint(**{**FINGERPRINT_INPUTS, "injected": moved}) == job_fingerprint(
        **FINGERPRINT_INPUTS
    )


def _places(*slugs: str) -> list[dict]:
    return select_fixture_places(FakeTrust("AAA", 0, list(slugs)), None, "2025/26", None)


def plan(tmp_path, kinds=(ECHO, BRIEF, REGION)):
    trusts = [
        TrustInput("AAA", "A trust", {"code": "AAA"}, "fa", {"brief": _places("r1", "r2")}),
        TrustInput("BBB", "B trust", {"code": "BBB"}, "fb", {"brief": []}),
    ]
    return plan_jobs(
        kinds,
        trusts,
        region_name="Wessex",
        region_parameters={"r": 1},
        injected={"review_year": "2025/26", "as_at": "2026-03-31", "data": str(tmp_path / "snap")},
        year_dir=tmp_path / "2025-26",
        code_sha256="c",
        provenance={"dataset": "x"},
        synthetic=True,
        document=DocumentControl("Wessex quality team", "q@example.nhs.uk", "OFFICIAL"),
    )


def test_plan_lays_out_outputs_and_injects_parameters(tmp_path):
    jobs = plan(tmp_path)
    year = tmp_path / "2025-26"
    assert [j.key for j in jobs] == [
        "AAA/echo",
        "BBB/echo",
        "AAA/brief-r1",
        "AAA/brief-r2",
        "region",
    ]
    by_key = {j.key: j for j in jobs}
    assert by_key["AAA/echo"].output == year / "AAA" / "echo.html"
    assert by_key["AAA/echo"].executed == year / "AAA" / "executed" / "echo.ipynb"
    assert by_key["AAA/brief-r2"].output == year / "AAA" / "brief-r2.html"
    assert by_key["AAA/brief-r2"].parameters == {
        "trust_code": "AAA",
        "review_year": "2025/26",
        "as_at": "2026-03-31",
        "data": str(tmp_path / "snap"),
        "site": "Site r2",
        "specialty": "Surgery",
        "commentary": "",
    }
    assert by_key["region"].output == year / "region.html"
    assert by_key["region"].parameters == {
        "review_year": "2025/26",
        "as_at": "2026-03-31",
        "data": str(tmp_path / "snap"),
        "commentary": "",
    }
    assert len({j.fingerprint for j in jobs}) == len(jobs)
    assert [j.fingerprint for j in plan(tmp_path)] == [j.fingerprint for j in jobs]


def test_up_to_date_needs_same_fingerprint_a_good_status_and_the_output(tmp_path):
    job = plan(tmp_path, [ECHO])[0]
    good = {"status": "built", "fingerprint": job.fingerprint}
    assert not is_up_to_date(job, good)  # output missing
    write_atomic(job.output, "<p>pack</p>")
    assert is_up_to_date(job, good)
    assert is_up_to_date(job, {**good, "status": "skipped"})
    assert not is_up_to_date(job, {**good, "status": "failed"})
    assert not is_up_to_date(job, {**good, "fingerprint": "other"})
    assert not is_up_to_date(job, None)


# --- writing ----------------------------------------------------------------------------------


def test_write_atomic_replaces_whole_files_and_leaves_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "a" / "pack.html"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("qvlib.runner.engine.os.replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "third")
    assert target.read_text() == "second"
    assert temp_files(tmp_path) == []


def test_cell_ids_derive_from_the_job_and_position():
    cells = [nbformat.v4.new_code_cell("1"), nbformat.v4.new_markdown_cell("m")]
    first = stable_cell_ids(nbformat.v4.new_notebook(cells=cells), "AAA/echo")
    ids = [c["id"] for c in first.cells]
    again = stable_cell_ids(nbformat.v4.new_notebook(cells=[dict(c) for c in cells]), "AAA/echo")
    assert [c["id"] for c in again.cells] == ids
    assert len(set(ids)) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    other = stable_cell_ids(nbformat.v4.new_notebook(cells=cells), "BBB/echo")
    assert [c["id"] for c in other.cells] != ids


def test_index_escapes_values_links_relatively_and_is_offline(tmp_path):
    entries = [
        {
            "key": "AAA/echo",
            "trust": "AAA",
            "trust_name": "<script>alert(1)</script>",
            "pack": "echo",
            "title": "Echo",
            "path": "AAA/echo.html",
            "status": "built",
        },
        {
            "key": "BBB/echo",
            "trust": "BBB",
            "trust_name": "B",
            "pack": "echo",
            "title": "Echo",
            "path": "BBB/echo.html",
            "status": "failed",
            "error": "ValueError: <b>bad</b>",
            "executed": "BBB/executed/echo.ipynb",
            "stale_output": True,
        },
        {
            "key": "region",
            "trust": None,
            "pack": "region",
            "title": "Region",
            "path": "region.html",
            "status": "skipped",
        },
    ]
    path = write_index(
        tmp_path,
        entries,
        review_year="2025/26",
        as_at=dt.date(2026, 3, 31),
        region="Wessex",
        synthetic=True,
    )
    text = path.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "&lt;b&gt;bad&lt;/b&gt;" in text
    assert 'href="AAA/echo.html"' in text and 'href="BBB/executed/echo.ipynb"' in text
    assert "previous output (out of date)" in text and "SYNTHETIC" in text
    assert "http" not in text and "//" not in text
    assert text.index("Region") < text.index("AAA")
    first = path.read_bytes()
    write_index(
        tmp_path,
        entries[::-1],
        review_year="2025/26",
        as_at=dt.date(2026, 3, 31),
        region="Wessex",
        synthetic=True,
    )
    assert path.read_bytes() == first


# --- runs that start kernels ------------------------------------------------------------------


@kernels
def test_failing_trust_skip_and_rebuild_only_what_changed(project, capsys):
    assert run_reviews(options(project, [ECHO, FAILING, BRIEF, REGION, BUNDLE])) == 1
    out = capsys.readouterr().out
    year = project["out"] / "2025-26"
    # The failing trust: annotated executed notebook kept, no HTML; every other pack built.
    assert not (year / "BBB" / "failing.html").exists()
    executed = nbformat.read(year / "BBB" / "executed" / "failing.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in executed.cells[0].metadata.get("tags", [])
    assert "planted failure for BBB" in json.dumps(executed.cells[-1].outputs)
    built = {p.relative_to(year).as_posix() for p in year.rglob("*.html")}
    assert built == {
        "AAA/echo.html",
        "BBB/echo.html",
        "CCC/echo.html",
        "AAA/failing.html",
        "CCC/failing.html",
        "AAA/brief-r1.html",
        "AAA/brief-r2.html",
        "region.html",
        "index.html",
    }
    assert "AAA 2025/26: 1" in (year / "AAA" / "echo.html").read_text()
    assert "AAA Site r2" in (year / "AAA" / "brief-r2.html").read_text()
    with zipfile.ZipFile(year / "CCC" / "bundle.zip") as archive:
        assert "CCC 2025/26: 3" in archive.read("summary.html").decode()
    entry = next(e for e in manifest(project)["outputs"] if e["key"] == "BBB/failing")
    assert entry["status"] == "failed" and "planted failure for BBB" in entry["error"]
    assert entry["executed"] == "BBB/executed/failing.ipynb"
    assert "failed  BBB/failing" in out  # the progress line
    assert re.search(r"BBB\s+│\s+failing\s+│\s+failed\s+│.*ValueError", out)  # the summary
    assert "planted failure for BBB" in out
    assert temp_files(project["out"]) == []
    echo = next(e for e in manifest(project)["outputs"] if e["key"] == "AAA/echo")
    page = (year / "AAA" / "echo.html").read_bytes()
    assert echo["output_sha256"] == hashlib.sha256(page).hexdigest()
    assert echo["inputs"]["parameters"]["trust_code"] == "AAA"
    assert echo["inputs"]["data_files"][0]["path"] == "values.json"

    # Unchanged re-run of the packs that built: nothing to do.
    before = {p: p.stat().st_mtime_ns for p in year.rglob("*.html") if p.name != "index.html"}
    assert run_reviews(options(project, [ECHO, BRIEF, REGION], packs=["echo", "brief"])) == 0
    assert statuses(project) == {  # failing and region were not selected: records kept
        "AAA/echo": "skipped",
        "BBB/echo": "skipped",
        "CCC/echo": "skipped",
        "AAA/failing": "built",
        "BBB/failing": "failed",
        "CCC/failing": "built",
        "AAA/brief-r1": "skipped",
        "AAA/brief-r2": "skipped",
        "region": "built",
        "AAA/bundle": "built",
        "BBB/bundle": "built",
        "CCC/bundle": "built",
    }
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())

    # Change AAA's data: only AAA's packs (and the region's) are rebuilt; the failure re-runs.
    set_values(project["data"], {"AAA": 10, "BBB": 2, "CCC": 3}, {"AAA": ["r2", "r1"]})
    assert run_reviews(options(project, [ECHO, FAILING, BRIEF, REGION, BUNDLE])) == 1
    assert statuses(project) == {
        "AAA/echo": "built",
        "BBB/echo": "skipped",
        "CCC/echo": "skipped",
        "AAA/failing": "built",
        "BBB/failing": "failed",
        "CCC/failing": "skipped",
        "AAA/brief-r1": "built",
        "AAA/brief-r2": "built",
        "region": "built",
        "AAA/bundle": "built",
        "BBB/bundle": "skipped",
        "CCC/bundle": "skipped",
    }
    assert "AAA 2025/26: 10" in (year / "AAA" / "echo.html").read_text()


@kernels
def test_one_worker_and_two_workers_build_the_same_bytes(project, tmp_path):
    assert run_reviews(options(project, [ECHO], out_dir=tmp_path / "one", jobs=1)) == 0
    assert run_reviews(options(project, [ECHO], out_dir=tmp_path / "two", jobs=2)) == 0
    one, two = html_files(tmp_path / "one"), html_files(tmp_path / "two")
    assert len(one) == 4 and set(one) == set(two)
    for name in one:
        diff = difflib.unified_diff(
            one[name].decode().splitlines(), two[name].decode().splitlines(), lineterm=""
        )
        assert one[name] == two[name], f"{name} differs:\n" + "\n".join(diff)
    assert temp_files(tmp_path) == []
    executed = [tmp_path / d / "2025-26/CCC/executed/echo.ipynb" for d in ("one", "two")]
    ids = [[c["id"] for c in nbformat.read(p, as_version=4).cells] for p in executed]
    assert ids[0] == ids[1]


@kernels
def test_a_job_whose_files_cannot_be_written_fails_alone_and_the_run_is_recorded(project):
    set_values(project["data"], {"AAA": 1, "BBB": 2}, {"AAA": ["r1", "r9"]})
    blocked = project["out"] / "2025-26" / "AAA" / "brief-r9.html"
    blocked.mkdir(parents=True)  # a folder where the pack's file should go
    assert run_reviews(options(project, [ECHO, BRIEF], jobs=2)) == 1
    found = {e["key"]: e for e in manifest(project)["outputs"]}
    assert found["AAA/brief-r9"]["status"] == "failed"
    assert "Is a directory" in found["AAA/brief-r9"]["error"]
    assert {k: e["status"] for k, e in found.items() if k != "AAA/brief-r9"} == {
        "AAA/echo": "built",
        "BBB/echo": "built",
        "AAA/brief-r1": "built",
    }
    assert "Is a directory" in (project["out"] / "2025-26" / "index.html").read_text()


@kernels
def test_a_commentary_file_is_checked_again_only_when_it_changes(project, monkeypatch, capsys):
    notes = project["data"] / "commentary" / "2025-26" / "AAA" / "echo.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("## Executive summary\nAll well at {{ trust.name }}.\n", encoding="utf-8")
    assert run_reviews(options(project, [ECHO], trusts=["AAA"])) == 0
    checks = []
    real = run_module.check_commentary
    monkeypatch.setattr(run_module, "check_commentary", lambda *a, **k: checks.append(a))
    assert run_reviews(options(project, [ECHO], trusts=["AAA"])) == 0
    assert checks == []  # unchanged: its earlier check stands
    notes.write_text("## No such heading\nText.\n", encoding="utf-8")
    monkeypatch.setattr(run_module, "check_commentary", real)
    assert run_reviews(options(project, [ECHO], trusts=["AAA"])) == 2
    assert "No such heading" in capsys.readouterr().err


def test_a_run_that_builds_removes_chart_pictures_unused_for_months(project, tmp_path, monkeypatch):
    monkeypatch.setenv("QV_CACHE_DIR", str(tmp_path / "cache"))
    pictures = tmp_path / "cache" / "chart-svg"
    pictures.mkdir(parents=True)
    for name in ("last-year.svg", "last-week.svg"):
        (pictures / name).write_text("<svg/>")
    os.utime(pictures / "last-year.svg", (time.time() - 365 * 86400,) * 2)
    os.utime(pictures / "last-week.svg", (time.time() - 7 * 86400,) * 2)
    assert run_reviews(options(project, [ECHO])) == 0
    assert sorted(p.name for p in pictures.iterdir()) == ["last-week.svg"]
