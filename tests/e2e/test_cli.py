"""The ``qv`` command behaves as command-line tools do."""

from __future__ import annotations

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
