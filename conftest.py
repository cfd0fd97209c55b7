"""Doctests of qvlib run as an analyst at a Python prompt in the repository would type them.

Examples say ``qv.load("data/sample")``: relative paths are taken from the project folder, so
each doctest runs in the repository with no ``QV_PROJECT`` or ``QV_DATA`` from the caller's
shell.  ``make test`` collects them with ``--doctest-modules qvlib``.
"""

from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

REPO = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctests_run_in_the_repository(request, monkeypatch):
    if isinstance(request.node, DoctestItem):
        monkeypatch.chdir(REPO)
        monkeypatch.delenv("QV_PROJECT", raising=False)
        monkeypatch.delenv("QV_DATA", raising=False)
