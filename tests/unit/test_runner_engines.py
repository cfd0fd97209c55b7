"""The engines: each notebook starts from a state no other notebook touched, and the default
(fork) engine writes the bytes papermill's own engine, a fresh kernel per notebook, writes.

Workers import pandas, altair and qvlib before forking (the default warm-up), so a leak through
any of them would show.  Tests run notebooks, so they share one xdist group.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import runner_fixtures
from runner_fixtures import ECHO, FAILING, LEAKY, kind, make_project

import qvlib
from qvlib.runner import run_reviews
from qvlib.runner.engine import PREWARM_MODULES

pytestmark = [pytest.mark.xdist_group("kernels"), pytest.mark.timeout(300)]

KERNELISH, CHARTED, PROBE = kind("kernelish"), kind("charted"), kind("probe")


def options(project, registry, **overrides):
    """As a real run: workers import pandas, altair and qvlib before forking."""
    return runner_fixtures.options(project, registry, prewarm=PREWARM_MODULES, **overrides)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return make_project(tmp_path, monkeypatch)


def short_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="qv-rt-", dir="/tmp"))


def page(project, trust: str, pack: str) -> str:
    return (project["out"] / "2025-26" / trust / f"{pack}.html").read_text()


def outputs(root: Path) -> dict[str, bytes]:
    """Every pack and executed notebook under ``root``, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.suffix in {".html", ".ipynb", ".zip"} and p.name != "index.html"
    }


def test_no_notebook_sees_what_an_earlier_one_changed(project):
    # One worker runs the leaky notebook for AAA and BBB, then echo for both.
    assert run_reviews(options(project, [LEAKY, ECHO], trusts=["AAA", "BBB"], jobs=1)) == 0
    for trust in ("AAA", "BBB"):
        echo = page(project, trust, "echo")
        assert "leaks [] cwd notebooks env None" in echo  # globals, working folder, environment
        assert "max_rows 60 theme default" in echo  # pandas options, altair theme
        # a module attribute, a qvlib global
        assert f"json attribute None qvlib {qvlib.__version__}" in echo
        assert "sys.path leak False root handlers 0" in echo
        assert "UserWarning: echo warning" in echo  # warning filters
    assert "altair_state" not in page(project, "AAA", "leaky")


def test_fork_engine_writes_the_bytes_of_fresh_kernels(project, tmp_path, monkeypatch, capfd):
    runtime = short_folder()  # a socket's path must be short
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    kinds = [KERNELISH, LEAKY, ECHO, FAILING, CHARTED, PROBE]
    two = {"trusts": ["AAA", "BBB"], "jobs": 2}
    assert run_reviews(options(project, kinds, **two)) == 1  # failing and kernelish fail
    fork = tmp_path / "fork"
    shutil.move(project["out"], fork)
    assert run_reviews(options(project, kinds, engine="fresh", **two)) == 1
    built, reference = outputs(fork), outputs(project["out"])
    assert len(built) == 21  # 12 executed notebooks, 9 packs (kernelish and BBB/failing fail)
    assert set(built) == set(reference)
    for path, data in built.items():
        assert data == reference[path], f"{path} differs between the fork and fresh engines"
    executed = json.loads(built["2025-26/AAA/executed/kernelish.ipynb"])
    assert executed["cells"][0]["metadata"]["tags"] == ["papermill-error-cell-tag"]
    assert executed["cells"][-2]["outputs"][0]["evalue"] == "planted for AAA"
    assert "altair_state=nhs/qv" in built["2025-26/AAA/charted.html"].decode()
    assert "altair_state=default/default" in built["2025-26/AAA/probe.html"].decode()
    # Kernels talk over IPC sockets: no TCP warning, and no connection file left behind.
    assert "without encryption" not in capfd.readouterr().err
    assert not list(runtime.iterdir())
    runtime.rmdir()


def test_kernels_talk_over_ipc_sockets(project):
    transport = kind("transport")
    assert run_reviews(options(project, [transport], trusts=["AAA"], engine="fresh")) == 0
    assert "transport ipc" in page(project, "AAA", "transport")


@pytest.mark.parametrize("engine", ["fork", "fresh"])
def test_input_raises_as_in_a_kernel(project, capsys, engine):
    asks = kind("asks")
    assert run_reviews(options(project, [asks], trusts=["AAA"], engine=engine)) == 1
    assert (
        "raised StdinNotImplementedError: raw_input was called, but this frontend does not "
        "support input requests" in capsys.readouterr().out
    )


def test_each_notebook_draws_its_own_random_numbers(project):
    randomness = kind("randomness")
    assert run_reviews(options(project, [randomness], jobs=1)) == 0
    draws = {page(project, t, "randomness").split("draws ")[1][:20] for t in ("AAA", "BBB", "CCC")}
    assert len(draws) == 3


def test_output_of_subprocesses_lands_in_the_notebook(project):
    # A kernel forwards what is written to its stdout descriptor from another thread, after the
    # cell at times; the fork engine captures it with the cell, every time.
    assert run_reviews(options(project, [kind("shell")], trusts=["AAA"])) == 0
    assert "from a subprocess" in page(project, "AAA", "shell")


def _python(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_run_with_nothing_to_build_does_not_import_pandas():
    # A no-op must stay under a second: pandas and numpy alone take about 0.3 s to import.
    loaded = _python(
        "import sys, qvlib.runner.run\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'altair', 'nbformat') if m in sys.modules))"
    )
    assert loaded == "[]"


def test_runs_do_without_the_iri_grammar_and_still_validate_charts():
    out = _python(
        "import sys\n"
        "from qvlib.runner.engine import without_iri_grammar\n"
        "without_iri_grammar()\n"
        "import altair as alt, jsonschema, nbformat\n"
        "checkers = jsonschema.FormatChecker().checkers\n"
        "print(sys.modules['rfc3987_syntax'] is None, 'iri' in checkers)\n"
        "try:\n"
        "    alt.Chart().mark_point(color=3).to_dict()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    assert out.splitlines() == ["True False", "SchemaValidationError"]
