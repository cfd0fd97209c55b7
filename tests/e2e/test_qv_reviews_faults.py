"""`qv reviews` when things go wrong around it: signals, a killed worker, two runs into one
folder, an output folder it cannot write.

Each test starts `qv reviews` as a user would (a subprocess, in a process group of its own) on a
small build of the sample data, waits until a notebook is executing, and then does what a
user, CI or the system does.  Processes are inspected with psutil.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), pytest.mark.xdist_group("faults")]

REPO = Path(__file__).resolve().parents[2]
YEAR_DIR = "2025-26"
DASHBOARD = "desktop-review-dashboard"


#: Every process a test started or suspended, so that none outlives a failing test.
_STARTED: list[psutil.Process] = []


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    yield
    found = []
    for process in _STARTED:
        try:
            found += [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    for process in found:
        try:
            process.resume()
            process.kill()
        except psutil.NoSuchProcess:
            continue
    _STARTED.clear()


def start(out: Path, *trusts: str, engine: str = "fork", env: dict | None = None):
    args = [sys.executable, "-m", "qvlib", "reviews", "--out", str(out), "--pack", DASHBOARD]
    for trust in trusts:
        args += ["--trust", trust]
    run = subprocess.Popen(
        [*args, "--jobs", "1", "--engine", engine],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    _STARTED.append(psutil.Process(run.pid))
    return run


def suspend(process: psutil.Process) -> None:
    _STARTED.append(process)
    process.suspend()


def running_notebook(run: subprocess.Popen) -> tuple[psutil.Process, psutil.Process]:
    """Wait until a worker of ``run`` executes a notebook: (worker, notebook process)."""
    main = psutil.Process(run.pid)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert run.poll() is None, run.communicate()
        for worker in main.children():
            # A worker starts its chart server first (until it has exec'd, it looks like the
            # worker, as a notebook process does): another child is then a notebook process.
            children = worker.children()
            if any(is_chart_server(child) for child in children):
                for child in children:
                    if not is_chart_server(child):
                        return worker, child
        time.sleep(0.01)
    raise AssertionError("no notebook started")


def is_chart_server(process: psutil.Process) -> bool:
    """Whether ``process`` is a worker's chart server (``qvlib.runner.svgserver``)."""
    try:
        return "qvlib.runner.svgserver" in process.cmdline()
    except psutil.Error:
        return False


def short_folder() -> Path:
    """A folder with a path short enough for the kernels' sockets."""
    return Path(tempfile.mkdtemp(prefix="qv-rt-", dir="/tmp"))


def wait_for_status(process: psutil.Process, status: str) -> bool:
    """Whether ``process`` reaches ``status`` within a few seconds (not if it ends first)."""
    for _ in range(300):
        try:
            if process.status() == status:
                return True
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.01)
    return False


def family(run: subprocess.Popen) -> list[psutil.Process]:
    main = psutil.Process(run.pid)
    return [main, *main.children(recursive=True)]


def assert_all_gone(processes: list[psutil.Process], within: float = 5.0) -> None:
    _, alive = psutil.wait_procs(processes, timeout=within)
    assert not alive, f"still running: {[(p.pid, p.cmdline()[:3]) for p in alive]}"


def manifest(out: Path) -> dict[str, dict]:
    document = json.loads((out / YEAR_DIR / "manifest.json").read_text())
    return {entry["key"]: entry for entry in document["outputs"]}


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if ".tmp" in p.name]


@pytest.mark.parametrize(
    ("signum", "to_group", "engine"),
    [
        (signal.SIGTERM, False, "fork"),  # timeout, docker stop, CI cancellation
        (signal.SIGHUP, False, "fork"),  # the terminal closed
        (signal.SIGINT, True, "fresh"),  # Ctrl-C: the whole foreground group, kernels running
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT-fresh-kernels"],
)
def test_a_stop_signal_stops_everything_and_records_what_was_not_built(
    tmp_path, signum, to_group, engine
):
    out, runtime = tmp_path / "out", short_folder()
    run = start(out, "RHM", "RHU", engine=engine, env={"JUPYTER_RUNTIME_DIR": str(runtime)})
    running_notebook(run)
    processes = family(run)
    if to_group:
        os.killpg(run.pid, signum)
    else:
        run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signum, err
    assert "Traceback" not in err and "Task exception" not in err, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert_all_gone(processes)
    entries = manifest(out)
    assert set(entries) == {f"RHM/{DASHBOARD}", f"RHU/{DASHBOARD}"}
    assert "cancelled" in {e["status"] for e in entries.values()}
    assert "not built" in (out / YEAR_DIR / "index.html").read_text()
    assert temp_files(out) == []
    assert not list(runtime.iterdir())  # kernel connection files and sockets
    runtime.rmdir()


def test_after_sigkill_of_the_run_nothing_outlives_it_and_the_next_run_takes_over(tmp_path):
    out, runtime = tmp_path / "out", short_folder()
    run = start(out, "RHM", "RHU", engine="fresh", env={"JUPYTER_RUNTIME_DIR": str(runtime)})
    running_notebook(run)
    processes = family(run)
    run.kill()
    run.communicate()
    assert_all_gone(processes)  # workers, notebook processes and kernels noticed
    shutil.rmtree(runtime, ignore_errors=True)
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    time.sleep(2)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == written

    again = start(out, "RHM", "RHU")
    stdout, err = again.communicate(timeout=180)
    assert again.returncode == 0, stdout + err
    assert "did not finish" in err and "taken over" in err
    assert {e["status"] for e in manifest(out).values()} == {"built"}


def test_a_killed_worker_fails_only_its_own_job(tmp_path):
    out = tmp_path / "out"
    run = start(out, "RHM", "RHU", "RN5")
    while True:  # stop a notebook process, so that its job is certainly the one in flight
        worker, notebook = running_notebook(run)
        suspend(notebook)
        if wait_for_status(notebook, psutil.STATUS_STOPPED):
            break
    worker.kill()
    worker.wait(10)
    notebook.resume()  # it then notices its worker is gone and exits
    assert_all_gone([notebook])
    stdout, err = run.communicate(timeout=180)
    assert run.returncode == 1, stdout + err
    statuses = {key: entry["status"] for key, entry in manifest(out).items()}
    assert sorted(statuses.values()) == ["built", "built", "failed"]
    failed = next(e for e in manifest(out).values() if e["status"] == "failed")
    assert "worker process running it died (killed by SIGKILL)" in failed["error"]


def test_a_second_run_into_the_same_folder_exits_2_naming_the_first(tmp_path, qv_cli):
    out = tmp_path / "out"
    first = start(out, "RHM", "RHU")
    _, notebook = running_notebook(first)
    suspend(notebook)  # the first run certainly holds the folder while the second starts
    try:
        second = qv_cli("reviews", "--out", str(out), "--trust", "RHM", "--pack", DASHBOARD)
    finally:
        notebook.resume()
    assert second.returncode == 2
    assert f"another qv reviews (pid {first.pid}" in second.stderr
    assert str(out) in second.stderr and "Traceback" not in second.stderr
    stdout, err = first.communicate(timeout=180)
    assert first.returncode == 0, stdout + err
    assert {e["status"] for e in manifest(out).values()} == {"built"}


def test_an_unwritable_output_folder_is_exit_2_naming_it(tmp_path, qv_cli):
    if os.geteuid() == 0:  # permissions do not stop root: a file system that refuses folders
        target = Path("/sys/qv-reviews-out")
    else:
        readonly = tmp_path / "readonly"
        readonly.mkdir()
        readonly.chmod(0o555)
        target = readonly / "out"
    result = qv_cli("reviews", "--out", str(target), "--trust", "RHM", "--pack", DASHBOARD)
    assert result.returncode == 2
    assert f"--out {target}: cannot write there" in result.stderr
    assert "Traceback" not in result.stderr
