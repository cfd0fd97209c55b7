"""Checks a pack notebook makes on itself when it runs: its parameters are the ones it declares.

papermill only warns about a parameter the notebook does not declare (``-p trust RHW`` instead of
``-p trust_code RHW`` builds the default trust's pack) and injects whatever type the command line
gave (``-p review_year 2025`` is an ``int``).  Every pack notebook therefore calls
:func:`check_parameters` first, in the cell after its ``parameters`` cell::

    import qvlib as qv
    qv.check_parameters(globals())

IPython records the parameters cell's annotations (``trust_code: str = "RHM"``) in the
namespace's ``__annotations__``; papermill's ``injected-parameters`` cell assigns without
annotations.  The names given are those assigned by the cells run since the parameters cell
(papermill's injected cell, or nothing when an analyst re-runs the parameters cell in
JupyterLab); outside IPython, every public name of the namespace that is not a module.
``qv reviews`` makes the same check before any kernel starts (:mod:`qvlib.runner.plan`).
"""

from __future__ import annotations

import ast
import types
import typing
from collections.abc import Mapping
from typing import Any

from qvlib.errors import NotebookParameterError

#: Names IPython puts into a user namespace when it has no record of its own (see
#: ``InteractiveShell.user_ns_hidden``).
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def check_parameters(namespace: Mapping[str, Any]) -> None:
    """Fail unless every parameter given is declared and has its declared type.

    Parameters
    ----------
    namespace
        The notebook's ``globals()``, after its ``parameters`` cell (and any cell papermill
        injected) ran.

    Raises
    ------
    NotebookParameterError
        Naming each unknown or mistyped parameter, with the notebook's parameters and their
        types.

    Examples
    --------
    A namespace as a parameters cell ``trust_code: str = "RHM"`` leaves it, after
    ``papermill -p trust RHW -p review_year 2025``:

    >>> namespace = {"__annotations__": {"trust_code": str, "review_year": str},
    ...              "trust_code": "RHM", "review_year": 2025, "trust": "RHW"}
    >>> check_parameters(namespace)
    Traceback (most recent call last):
    ...
    qvlib.errors.NotebookParameterError: unknown parameter 'trust'; parameter 'review_year' ...
    >>> namespace.pop("trust"); namespace["review_year"] = "2025/26"
    'RHW'
    >>> check_parameters(namespace)
    """
    declared: dict[str, Any] = dict(namespace.get("__annotations__") or {})
    if not declared:
        raise NotebookParameterError(
            "no typed parameters found: run the notebook's 'parameters' cell (typed defaults "
            'such as trust_code: str = "RHM") before qv.check_parameters(globals())'
        )
    problems = [f"unknown parameter {name!r}" for name in _given(namespace) if name not in declared]
    for name, kind in declared.items():
        if name in namespace and not _is_a(namespace[name], kind):
            value = namespace[name]
            problems.append(
                f"parameter {name!r} is {value!r} ({type(value).__name__}), declared "
                f"{_type_name(kind)} ({_hint(name, kind, value)})"
            )
    if problems:
        known = ", ".join(f"{name}: {_type_name(kind)}" for name, kind in declared.items())
        raise NotebookParameterError(
            f"{'; '.join(problems)}. This notebook's parameters are {known}"
        )


def _given(namespace: Mapping[str, Any]) -> list[str]:
    """Names given to the notebook: assigned since its parameters cell ran, where IPython's
    input history says so; else every public name that is not a module or IPython's own."""
    history = namespace.get("In")
    if isinstance(history, list) and history:
        since = _assigned_since_parameters(history[:-1], set(namespace["__annotations__"]))
        if since is not None:
            return since
    return sorted(
        name
        for name, value in namespace.items()
        if not name.startswith("_")
        and name not in _IPYTHON_NAMES
        and not isinstance(value, types.ModuleType)
    )


def _assigned_since_parameters(cells: list[str], declared: set[str]) -> list[str] | None:
    """Names assigned by the cells after the last one that declared ``declared``; ``None`` if
    no such cell is in the history."""
    assigned: list[str] = []
    for source in reversed(cells):
        try:
            body = ast.parse(source).body
        except SyntaxError:  # IPython's own syntax (magics) that was not transformed
            continue
        annotated = {
            node.target.id
            for node in body
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        }
        if annotated and annotated <= declared:
            return sorted(set(assigned))
        assigned += [
            target.id
            for node in body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        ]
    return None


def _is_a(value: Any, kind: Any) -> bool:
    """Whether ``value`` fits the annotation ``kind`` (unknown kinds of annotation fit)."""
    if kind is Any:
        return True
    if kind is None or kind is type(None):
        return value is None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return any(_is_a(value, option) for option in typing.get_args(kind))
    if origin is not None:
        kind = origin  # list[str] -> list: the container is what a command line gets wrong
    if not isinstance(kind, type):
        return True
    if isinstance(value, bool) and kind is not bool:
        return False  # True is an int to Python, not to a reader
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


def _type_name(kind: Any) -> str:
    return kind.__name__ if isinstance(kind, type) else str(kind).replace("typing.", "")


def _hint(name: str, kind: Any, value: Any) -> str:
    """How to give the parameter its declared type on papermill's command line."""
    if kind is str:
        return f"pass text: papermill -y \"{name}: '{value}'\""
    return f'pass a {_type_name(kind)} as YAML: papermill -y "{name}: ..."'


__all__ = ["check_parameters"]
