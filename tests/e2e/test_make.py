"""Make targets describe themselves; `make help` is the default goal."""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


TARGETS = {
    "reviews",
    "dashboards",
    "annual",
    "cqc",
    "briefs",
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


def make_dry_run(*args: str) -> str:
    """The commands ``make`` would run, without running them (also when run by ``make test``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def qv_command(*args: str) -> str:
    """The ``qv reviews`` line of a make target's dry run."""
    return next(line for line in make_dry_run(*args).splitlines() if "/qv reviews" in line)


def test_make_help_points_to_qv_list():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    assert ".venv/bin/qv list" in out.stdout
    assert "FORCE=1" in out.stdout


def test_force_1_rebuilds_and_briefs_builds_both_brief_kinds():
    command = qv_command("briefs", "TRUST=RHM", "FORCE=1")
    assert command.split()[1:] == [
        "reviews", "--out", "outputs", "--trust", "RHM", "--force",
        "--pack", "triggered-visit-brief", "--pack", "learner-educator-visit-brief",
    ]  # fmt: skip
    assert "--force" not in qv_command("reviews", "TRUST=RHM")


def test_without_data_make_leaves_the_choice_to_qv():
    """QV_DATA or data_dir in region.yaml, as for qv itself; DATA=dir overrides."""
    assert "--data" not in qv_command("dashboards")
    assert "--data /srv/real" in qv_command("dashboards", "DATA=/srv/real")


def test_first_set_up_says_what_it_is_doing():
    # -W: as if the lock had just changed, so the set-up recipe is due.
    steps = make_dry_run("venv", "-W", "requirements.lock")
    assert "qv: setting up .venv from requirements.lock" in steps
    assert "--quiet" not in next(
        line for line in steps.splitlines() if "-r requirements.lock" in line
    )


def test_qv_help_describes_every_command():
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "qvlib", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("reviews", "render", "validate", "sample-data", "list"):
        assert command in out
