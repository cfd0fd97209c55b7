"""Make targets describe themselves; `make help` is the default goal."""

import re
import subprocess

from qvlib.config import ROOT

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
    out = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True, check=True)
    listed = set(re.findall(r"make (\S+)", out.stdout))
    assert listed >= TARGETS
    makefile = (ROOT / "Makefile").read_text()
    declared = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    assert declared - {"venv"} <= listed | {"venv"}


def test_qv_help_describes_every_command():
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "qvlib", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("reviews", "validate", "sample-data", "list"):
        assert command in out
