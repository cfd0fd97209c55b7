"""Shared test settings and the one build of every pack from the sample data."""

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]


# Property tests run on every `make test`; keep them quick and free of flaky deadlines.  The
# default profile, "ci", is derandomized: the same examples on every run and machine, so a
# fresh clone cannot fail by chance.  HYPOTHESIS_PROFILE=dev explores new random examples
# locally (add what it finds as an @example).
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def run_qv(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the ``qv`` command as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "qvlib", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=check,
        timeout=1800,
    )


@pytest.fixture(scope="session")
def qv_cli():
    """:func:`run_qv`, for tests that run the command line."""
    return run_qv


def _shared_dir(tmp_path_factory) -> Path:
    """A directory shared by every xdist worker of this session (and by nothing else)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _can_print() -> bool:
    """Whether this machine has a Chromium to print PDFs with; in CI it must have one."""
    from qvlib.errors import QvError
    from qvlib.printing import chromium_path

    try:
        chromium_path()
    except QvError:
        return bool(os.environ.get("CI"))
    return True


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """``qv reviews`` of every pack for every trust from data/sample, built once per session.

    Returns the year directory (``<out>/2025-26``).  Whichever worker gets here first builds;
    the others wait on the lock and reuse the result.  With a Chromium to print with (always in
    CI), it is ``make pdf``'s run: every HTML pack also has its PDF.
    """
    shared = _shared_dir(tmp_path_factory)
    out = shared / "sample-build"
    with open(shared / "sample-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = out / "exit-code"
        if not done.exists():
            pdf = ["--pdf"] if _can_print() else []
            result = run_qv("reviews", "--out", str(out), "--jobs", "2", *pdf)
            (out / "log.txt").write_text(result.stdout + result.stderr)
            done.write_text(str(result.returncode))
    code = int(done.read_text())
    assert code == 0, (out / "log.txt").read_text()[-5000:]
    return out / "2025-26"


_SESSION_START = time.time()


def pytest_terminal_summary(terminalreporter):
    """Say where this run's test artefacts (the browser tests' screenshots of every pack) are."""
    artefacts = REPO / "outputs" / "test-artefacts"
    files = [p for p in artefacts.rglob("*") if p.is_file()] if artefacts.is_dir() else []
    new = [p for p in files if p.stat().st_mtime >= _SESSION_START]
    if new:
        terminalreporter.write_line(f"test artefacts: {len(new)} files under {artefacts}")
