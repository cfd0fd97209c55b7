"""Notebooks stay thin: a typed parameters cell, no definitions, no path hacks, no outputs."""

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: Committed with its outputs, which nbval compares (make test): the one exception.
TUTORIAL = REPO / "notebooks" / "tutorial.ipynb"
PACK_NOTEBOOKS = [nb for nb in NOTEBOOKS if nb != TUTORIAL]


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return nb, [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert {p.stem for p in PACK_NOTEBOOKS} >= {"desktop_review_dashboard", "annual_review_pack"}


@pytest.mark.parametrize("path", PACK_NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    _, cells = _code_cells(path)
    assert all(not c.outputs and c.execution_count is None for c in cells)


def test_the_tutorial_is_committed_with_every_output_and_exempt_from_stripping():
    _, cells = _code_cells(TUTORIAL)
    assert all(c.outputs and c.execution_count for c in cells), "run `make tutorial`"
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    strip = next(h for h in hooks if h["id"] == "nbstripout")
    assert re.fullmatch(strip["exclude"], "notebooks/tutorial.ipynb")
    assert not any(
        re.fullmatch(strip["exclude"], p.relative_to(REPO).as_posix()) for p in PACK_NOTEBOOKS
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_definitions_path_edits_or_warning_filters(path):
    _, cells = _code_cells(path)
    for cell in cells:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef), (
                f"{path.name}: define functions in qvlib, not in a notebook"
            )
        assert "sys.path" not in cell.source, f"{path.name}: no sys.path edits"
        assert not re.search(r"warnings\.(filterwarnings|simplefilter)", cell.source), (
            f"{path.name}: no blanket warning filters"
        )


@pytest.mark.parametrize("path", PACK_NOTEBOOKS, ids=lambda p: p.name)
def test_one_typed_parameters_cell_with_help(path):
    _, cells = _code_cells(path)
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    assignments = [n for n in tree.body if isinstance(n, ast.AnnAssign)]
    assert assignments and len(assignments) == len(tree.body), "only typed assignments"
    names = {a.target.id for a in assignments}
    if path.stem == "region_overview":
        # The region pack covers every trust: the runner injects only these.
        assert names == {"review_year", "as_at", "data", "commentary"}
    else:
        assert {"trust_code", "review_year", "as_at", "data", "commentary"} <= names
    for line in tagged[0].source.splitlines():
        if ":" in line and "=" in line:
            assert "#" in line, f"{path.name}: parameter without a help comment: {line}"


@pytest.mark.parametrize("path", PACK_NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_checked_first_after_the_parameters_cell(path):
    """papermill run directly only warns about an unknown parameter: the notebook must fail."""
    _, cells = _code_cells(path)
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    statements = ast.parse(cells[index + 1].source).body
    assert ast.unparse(statements[0]) == "import qvlib as qv"
    assert ast.unparse(statements[1]) == "qv.check_parameters(globals())"
