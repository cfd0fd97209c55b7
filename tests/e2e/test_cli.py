"""The ``qv`` command behaves as command-line tools do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_closed_pipe_ends_quietly_as_with_head():
    """``qv list | head``: the reader goes away before qv has written everything."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qvlib", "list"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # no reader left: qv's first write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE, as a shell reports `yes | head`
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_pdf_without_a_browser_stops_before_anything_is_built(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "qvlib", "reviews", "--trust", "RHM", "--pack"]
        + ["annual-review-pack", "--out", str(tmp_path), "--pdf"],
        cwd=REPO,
        env={**os.environ, "QV_CHROMIUM": str(tmp_path / "no-chromium")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 2
    assert "QV_CHROMIUM is" in result.stderr and "apt-get install chromium" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("*.html"))
