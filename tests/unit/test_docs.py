"""The documentation: the data dictionary is generated from the schemas; pointers stay inside.

The site itself is built with ``mkdocs build --strict`` by ``make docs`` (part of ``make test``),
which fails on a broken link or anchor.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from qvlib.schemas import DATASETS

REPO = Path(__file__).resolve().parents[2]


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_dictionary_has_every_dataset_and_column_of_the_schemas():
    page = _hooks().data_dictionary()
    for name, spec in DATASETS.items():
        assert f"## {name}\n\n`{spec.file}`: " in page
        for column in spec.schema.to_schema().columns:
            assert f"| `{column}` |" in page, f"{name}.{column}"


def test_data_dictionary_states_types_empties_and_rules():
    page = _hooks().data_dictionary()
    assert "| `likelihood` | whole number | not allowed | at least 1; at most 5 |" in page
    assert "| `closed` | date | allowed |  |" in page
    assert "| `trust_type` | text | not allowed | one of: `acute`, `mental health`" in page
    hotspots = "| [hotspots](#hotspots) | `local/hotspots.csv` | optional | one trust's (local) |"
    assert hotspots in page


def test_code_and_docs_point_into_the_repository_not_to_a_design_file_outside_it():
    outside = "DESIGN" + ".md"
    files = [
        path
        for folder in ("qvlib", "tests", "docs", "notebooks", "benchmarks")
        for path in (REPO / folder).rglob("*")
        if path.suffix in {".py", ".md", ".ipynb", ".yaml", ".cfg"}
    ]
    files += [REPO / "README.md", REPO / "Makefile", REPO / "mkdocs.yml"]
    assert not [p.relative_to(REPO) for p in files if outside in p.read_text(encoding="utf-8")]
