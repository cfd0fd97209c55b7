"""Which project qv works on: --project, QV_PROJECT, the current folder (or above), the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qvlib import datasets
from qvlib.config import default_parameters
from qvlib.errors import ConfigError
from qvlib.project import ENV_PROJECT, current_project, defaults_root, find_project

REPO = Path(__file__).resolve().parents[2]


def make_project(folder: Path, region_name: str = "Testshire") -> Path:
    """A project folder: the committed parameters with another region name."""
    (folder / "parameters" / "trusts").mkdir(parents=True)
    region = (REPO / "parameters" / "region.yaml").read_text()
    (folder / "parameters" / "region.yaml").write_text(
        region.replace("region: Wessex", f"region: {region_name}", 1)
    )
    rhm = REPO / "parameters" / "trusts" / "RHM.yaml"
    (folder / "parameters" / "trusts" / "RHM.yaml").write_text(rhm.read_text())
    return folder


@pytest.fixture(autouse=True)
def no_project_variable(monkeypatch):
    monkeypatch.delenv(ENV_PROJECT, raising=False)


def test_explicit_folder_wins_over_the_variable_and_the_current_folder(tmp_path, monkeypatch):
    mine, theirs = make_project(tmp_path / "mine"), make_project(tmp_path / "theirs")
    monkeypatch.setenv(ENV_PROJECT, str(theirs))
    monkeypatch.chdir(theirs)
    project = find_project(mine)
    assert (project.root, project.found_by) == (mine.resolve(), "--project")


def test_variable_wins_over_the_current_folder(tmp_path, monkeypatch):
    theirs = make_project(tmp_path / "theirs")
    monkeypatch.setenv(ENV_PROJECT, str(theirs))
    monkeypatch.chdir(REPO)
    assert find_project().root == theirs.resolve()
    assert default_parameters().region.region == "Testshire"


@pytest.mark.parametrize("given", ["explicit", "variable"])
def test_a_named_folder_without_parameters_is_an_error(tmp_path, monkeypatch, given):
    if given == "variable":
        monkeypatch.setenv(ENV_PROJECT, str(tmp_path))
    with pytest.raises(ConfigError, match=r"no parameters/region\.yaml there"):
        find_project(tmp_path if given == "explicit" else None)


def test_current_folder_or_the_nearest_one_above_it(tmp_path, monkeypatch):
    project = make_project(tmp_path / "quality")
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")  # where JupyterLab starts a notebook's kernel
    found = current_project()
    assert (found.root, found.found_by) == (project.resolve(), "current folder")
    assert found.outputs_dir == project.resolve() / "outputs"


def test_outside_any_project_the_defaults_are_used_and_outputs_stay_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = current_project()
    assert project.packaged and project.root == defaults_root()
    assert (project.parameters_dir / "region.yaml").is_file()
    assert project.outputs_dir == tmp_path.resolve() / "outputs"  # never inside the package


def test_a_projects_own_notebook_wins_over_the_shipped_one(tmp_path):
    project = find_project(make_project(tmp_path))
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "annual_review_pack.ipynb").write_text("{}")
    assert project.notebook("annual_review_pack.ipynb").parent == tmp_path / "notebooks"
    shipped = project.notebook("desktop_review_dashboard.ipynb")
    assert shipped == defaults_root() / "notebooks" / "desktop_review_dashboard.ipynb"
    assert shipped.is_file()


def test_exported_project_reaches_child_processes_and_is_restored(tmp_path):
    project = find_project(make_project(tmp_path))
    with project.exported():
        assert os.environ[ENV_PROJECT] == str(project.root)
    assert ENV_PROJECT not in os.environ


def test_relative_paths_are_taken_from_the_project_and_data_dir_follows_it(tmp_path, monkeypatch):
    project = make_project(tmp_path / "quality")
    region = project / "parameters" / "region.yaml"
    region.write_text(region.read_text().replace("data_dir: data/sample", "data_dir: store"))
    monkeypatch.setenv(ENV_PROJECT, str(project))
    monkeypatch.delenv(datasets.ENV_DATA, raising=False)
    path, source = datasets.default_data_dir()
    assert path == project.resolve() / "store"
    assert source == "data_dir in parameters/region.yaml"
    monkeypatch.setenv(datasets.ENV_DATA, "elsewhere")
    monkeypatch.chdir(tmp_path)
    assert datasets.default_data_dir() == ((tmp_path / "elsewhere").resolve(), "QV_DATA")
