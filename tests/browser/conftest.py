"""One headless Chromium per test session (Playwright, system browser), and where screenshots go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from .pages import ARGS, chromium_path

#: Screenshots of every pack kind, kept after the run for people to look at (gitignored).
ARTEFACTS = Path(__file__).resolve().parents[2] / "outputs" / "test-artefacts" / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(ARGS))
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """The screenshot folder, emptied of an earlier run's pictures."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("*.png"):
        old.unlink()
    return ARTEFACTS
