"""Make targets describe themselves; `make help` is the default goal."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


TARGETS = {
    "reviews",
    "dashboards",
    "annual",
    "cqc",
    "lab",
    "test",
    "bench",
    "clean",
    "help",
    "validate",
}


def test_make_help_is_default_and_lists_every_target():
    out = subprocess.run(["make", "-s"], cwd=REPO, capture_output=True, text=True, check=True)
    listed = set(re.findall(r"make (\S+)", out.stdout))
    assert listed >= TARGETS
    makefile = (REPO / "Makefile").read_text()
    declared = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    assert declared - {"venv"} <= listed | {"venv"}


def test_qv_help_describes_every_command():
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "qvlib", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("reviews", "validate", "sample-data", "list"):
        assert command in out
