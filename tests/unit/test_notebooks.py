"""Notebooks check their own parameters: an unknown or mistyped one fails the first cell.

The first tests call :func:`qvlib.notebooks.check_parameters` on namespaces as a parameters cell
leaves them; the others run notebooks as an analyst would, with papermill (a fixture notebook and
a real pack notebook) or cell by cell as JupyterLab does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient import NotebookClient
from papermill.exceptions import PapermillExecutionError

import qvlib as qv
from qvlib.errors import NotebookParameterError

REPO = Path(__file__).resolve().parents[2]
CHECKED = REPO / "tests" / "fixtures" / "notebooks" / "checked.ipynb"
DECLARED = {"trust_code": str, "review_year": str, "sites": list, "limit": float | None}


def namespace(**values) -> dict:
    """A namespace after the parameters cell: the defaults, then ``values`` on top."""
    defaults = {"trust_code": "AAA", "review_year": "2025/26", "sites": [], "limit": None}
    return {"__annotations__": dict(DECLARED), **defaults, **values}


def test_declared_parameters_of_the_declared_types_pass():
    qv.check_parameters(namespace(trust_code="RHW", sites=["Main"], limit=3))


def test_unknown_parameter_is_named_with_the_known_ones():
    with pytest.raises(NotebookParameterError) as caught:
        qv.check_parameters(namespace(trust="RHW"))
    message = str(caught.value)
    assert "unknown parameter 'trust'" in message
    assert "trust_code: str, review_year: str, sites: list, limit: float | None" in message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"review_year": 2025}, "parameter 'review_year' is 2025 (int), declared str"),
        ({"sites": "Main"}, "parameter 'sites' is 'Main' (str), declared list"),
        ({"limit": True}, "parameter 'limit' is True (bool), declared float | None"),
    ],
)
def test_mistyped_parameter_is_named_with_its_type(values, expected):
    with pytest.raises(NotebookParameterError) as caught:
        qv.check_parameters(namespace(**values))
    assert expected in str(caught.value)


def test_modules_private_and_ipython_names_are_not_parameters():
    ns = namespace(qv=qv, _private=1, In=[], Out={}, get_ipython=print, exit=None, quit=None)
    qv.check_parameters(ns)


def test_a_namespace_without_a_parameters_cell_is_an_error():
    with pytest.raises(NotebookParameterError, match="no typed parameters found"):
        qv.check_parameters({"trust_code": "RHM"})


def run_checked(**parameters) -> nbformat.NotebookNode:
    return papermill.execute_notebook(
        str(CHECKED), None, parameters=parameters, progress_bar=False, cwd=str(REPO)
    )


def test_papermill_with_good_parameters_runs_the_notebook():
    nb = run_checked(trust_code="RHW", sites=["Main"])
    assert nb.cells[-1].outputs[0]["text"] == "RHW 2025/26 ['Main']\n"


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"trust": "RHW"}, "unknown parameter 'trust'"),
        ({"review_year": 2025}, "parameter 'review_year' is 2025 (int), declared str"),
    ],
)
def test_papermill_with_a_bad_parameter_fails_at_the_check(parameters, expected):
    with pytest.raises(PapermillExecutionError) as caught:
        run_checked(**parameters)
    assert caught.value.ename == "NotebookParameterError"
    assert expected in caught.value.evalue
    assert "trust_code: str, review_year: str, sites: list" in caught.value.evalue


def test_rerunning_the_parameters_cell_in_jupyterlab_is_not_a_bad_parameter():
    """An analyst runs everything, edits the parameters cell and runs it and the next again:
    names the later cells defined are not parameters."""
    nb = nbformat.read(CHECKED, as_version=4)
    parameters, check = nb.cells[1], nb.cells[2]
    later = nbformat.v4.new_code_cell("review = 'computed by a later cell'")
    nb.cells = [parameters, check, later, parameters, check]
    NotebookClient(nb, resources={"metadata": {"path": str(REPO)}}).execute()
    assert all(out.output_type != "error" for cell in nb.cells for out in cell.outputs)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["-p", "trust", "RHW"], "unknown parameter 'trust'"),
        (["-p", "review_year", "2025"], "parameter 'review_year' is 2025 (int), declared str"),
    ],
)
def test_a_pack_notebook_run_by_papermill_refuses_a_bad_parameter(tmp_path, option, expected):
    notebook = REPO / "notebooks" / "desktop_review_dashboard.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), str(tmp_path / "out.ipynb"), *option],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert f"NotebookParameterError: {expected}" in result.stderr
    assert "trust_code: str, review_year: str, as_at: str, data: str" in result.stderr
