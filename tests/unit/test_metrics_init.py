"""Tests for the qvlib.metrics package: its public interface and that metrics stay pure."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import qvlib as qv
from qvlib import metrics

OWN_MODULES = [
    "actions",
    "asat",
    "funding",
    "hotspots",
    "interventions",
    "lda",
    "national",
    "risks",
    "suppression",
    "surveys",
]
PACKAGE = Path(metrics.__file__).parent
# Calls that would read or write files, draw, print or depend on the day a pack is built.
FORBIDDEN = {
    "open",
    "print",
    "read_csv",
    "read_excel",
    "read_parquet",
    "to_csv",
    "to_parquet",
    "to_excel",
    "savefig",
    "today",
    "now",
    "load_region",
    "load_region_cached",
}


def test_public_functions_are_reexported_from_the_package():
    for name in (
        "calc_risks",
        "calc_interventions",
        "calc_nts_outcome",
        "suppress",
        "calc_fft",
        "calc_hotspots",
        "calc_action_tracker",
        "calc_spc",
        "spc_icons",
    ):
        assert callable(getattr(qv.metrics, name)), name
    assert set(metrics.__all__) <= set(dir(metrics))


@pytest.mark.parametrize("module", OWN_MODULES)
def test_metrics_modules_do_no_io_and_do_not_ask_for_today(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    assert not called & FORBIDDEN


@pytest.mark.parametrize("module", OWN_MODULES)
def test_public_functions_are_typed_and_documented(module):
    mod = getattr(metrics, module)
    assert mod.__doc__
    for name, func in inspect.getmembers(mod, inspect.isfunction):
        if name.startswith("_") or func.__module__ != mod.__name__:
            continue
        assert func.__doc__ and "Returns" in func.__doc__, name
        signature = inspect.signature(func)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for param in signature.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"
