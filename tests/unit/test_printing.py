"""The PDF printer's errors: they say what is missing and how to get it (no browser needed)."""

from __future__ import annotations

import os
import stat

import pytest

from qvlib import printing
from qvlib.errors import QvError


@pytest.fixture
def no_chromium(tmp_path, monkeypatch):
    """A PATH holding no browser, and no QV_CHROMIUM."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("QV_CHROMIUM", raising=False)


def test_missing_chromium_is_a_clear_error_naming_how_to_install_it(no_chromium, tmp_path):
    page = tmp_path / "pack.html"
    page.write_text("<h1>Pack</h1>", encoding="utf-8")
    with pytest.raises(QvError) as caught:
        printing.print_pdfs([page])
    message = str(caught.value)
    assert "printing packs to PDF needs Chromium, and none was found" in message
    assert "chromium, chromium-browser, google-chrome" in message
    assert "apt-get install chromium fonts-liberation" in message and "QV_CHROMIUM" in message
    assert not page.with_suffix(".pdf").exists()


def test_qv_chromium_names_the_browser_and_must_be_an_executable(
    no_chromium, tmp_path, monkeypatch
):
    browser = tmp_path / "my-chromium"
    browser.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setenv("QV_CHROMIUM", str(browser))
    with pytest.raises(QvError, match=r"QV_CHROMIUM is .*my-chromium, which is not an executable"):
        printing.chromium_path()
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    assert printing.chromium_path() == str(browser)


def test_chromium_is_found_on_the_path(no_chromium, tmp_path):
    browser = tmp_path / "chromium-browser"
    browser.write_text("#!/bin/sh\n", encoding="utf-8")
    browser.chmod(0o755)
    assert printing.chromium_path() == os.fspath(browser)


def test_a_missing_pack_is_named_before_any_browser_starts(no_chromium, tmp_path):
    with pytest.raises(QvError, match=r"cannot print .*no-such-pack.html: there is no such file"):
        printing.print_pdfs([tmp_path / "no-such-pack.html"])


def test_nothing_to_print_needs_no_browser(no_chromium):
    assert printing.print_pdfs([]) == []


def test_a_browser_that_cannot_start_is_a_clear_error(no_chromium, tmp_path, monkeypatch):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'missing libnss3.so' >&2\nexit 127\n", encoding="utf-8")
    broken.chmod(0o755)
    page = tmp_path / "pack.html"
    page.write_text("<h1>Pack</h1>", encoding="utf-8")
    with pytest.raises(QvError, match=r"could not start Chromium \(.*chromium\) to print packs"):
        printing.print_pdfs([page])
    assert not page.with_suffix(".pdf").exists()
