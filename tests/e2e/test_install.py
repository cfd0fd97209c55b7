"""A real install: build the wheel, install it (not editable) into a fresh venv, and build one
trust's dashboard from another folder, with a project folder of the user's own.

The fresh venv reuses the packages of the test's own venv (pinned by the lock) through a
``.pth`` file, because nothing can be downloaded here, and their data files (nbconvert's
templates, the kernel spec) through ``JUPYTER_PATH``; qv itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: What the wheel is built from (copied, so the build leaves nothing in the working tree).
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "qvlib", "notebooks", "parameters")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    (tmp / "src").mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp / "src" / name, ignore=IGNORED)
        else:
            shutil.copy2(source, tmp / "src" / name)
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, "src", cwd=tmp)
    (built,) = tmp.glob("qv-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new venv holding the wheel; the lock's packages come from this venv via a .pth file."""
    target = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", target, cwd=target.parent)
    python = target / "bin" / "python"
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=target
        ).stdout.strip()
    )
    (site / "_qv_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--ignore-installed", "--disable-pip-version-check", wheel, cwd=target,
    )  # fmt: skip
    return target


def test_wheel_holds_every_file_of_qvlib_and_the_defaults(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    source = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "qvlib").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    missing = sorted(source - names)
    assert not missing, f"not in the wheel (add the package to pyproject.toml): {missing}"
    defaults = [*(REPO / "notebooks").glob("*.ipynb"), *(REPO / "parameters").rglob("*.yaml")]
    for path in defaults:
        assert f"qvlib/defaults/{path.relative_to(REPO).as_posix()}" in names


def test_installed_qv_builds_a_dashboard_for_a_project_from_another_folder(venv, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "parameters", project / "parameters")
    rhm = project / "parameters" / "trusts" / "RHM.yaml"
    rhm.write_text(rhm.read_text().replace("University Hospital Southampton", "Project Test"))
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(REPO / "data" / "sample", elsewhere / "sample")
    qv = venv / "bin" / "qv"
    env = {k: v for k, v in os.environ.items() if k not in ("QV_PROJECT", "QV_DATA")}
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")

    listed = run(qv, "list", cwd=elsewhere, env=env).stdout
    assert f"Project: {venv}" in listed and "qvlib/defaults" in listed  # the wheel's defaults

    run(
        qv, "reviews", "--project", project, "--trust", "RHM",
        "--pack", "desktop-review-dashboard", "--data", "sample", "--out", "out", "--jobs", "1",
        cwd=elsewhere, env=env,
    )  # fmt: skip

    year = elsewhere / "out" / "2025-26"
    page = (year / "RHM" / "desktop-review-dashboard.html").read_text()
    assert "Project Test" in page  # the project's parameters, not the packaged ones
    manifest = json.loads((year / "manifest.json").read_text())
    (entry,) = manifest["outputs"]
    notebook = Path(entry["inputs"]["notebook"]["path"])
    assert notebook.is_relative_to(venv) and notebook.name == "desktop_review_dashboard.ipynb"
    assert manifest["run"]["data_dir"] == str((elsewhere / "sample").resolve())
