"""`qv reviews --year/--as-at` end to end: packs true at their date, and years the data lacks."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import pytest

from qvlib import display
from qvlib.reviews import open_review

pytestmark = pytest.mark.slow

_MONTHS = "|".join(display.MONTHS)
_DATE = re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b")
_MONTH = re.compile(rf"(?<!\d )\b({_MONTHS}) (\d{{4}})\b")
_FINANCIAL_YEAR = re.compile(r"\b(20\d\d)/(\d\d)\b")
_TAG = re.compile(r"<[^>]+>")


def _visible_text(html: str) -> str:
    """The words a reader sees: scripts, styles and tags dropped."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return _TAG.sub(" ", html)


@pytest.fixture(scope="module")
def past_year(tmp_path_factory, qv_cli) -> Path:
    out = tmp_path_factory.mktemp("past") / "out"
    result = qv_cli(
        "reviews",
        "--year",
        "2023/24",
        "--trust",
        "RHM",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--pack",
        "desktop-review-dashboard",
        "--pack",
        "annual-review-pack",
        "--pack",
        "cqc-response-bundle",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "2023-24"


def test_a_past_years_packs_show_nothing_published_or_happening_after_it(past_year):
    as_at = dt.date(2024, 3, 31)
    review = open_review("RHM", "2023/24", "data/sample")
    # Due dates of open actions and commitments lie ahead by nature: they may be later.
    open_commitments = review.commitments[review.commitments["status"] != "closed"]
    due_dates = {
        display.fmt_date(d) for d in [*review.open_actions["due"], *open_commitments["due"]]
    }
    texts = {
        name: _visible_text((past_year / "RHM" / name).read_text())
        for name in ("desktop-review-dashboard.html", "annual-review-pack.html")
    }
    with zipfile.ZipFile(past_year / "RHM" / "cqc-response-bundle.zip") as bundle:
        for member in bundle.namelist():
            if member.endswith((".html", ".csv", ".txt")):
                texts[member] = _visible_text(bundle.read(member).decode("utf-8-sig"))
    for name in ("desktop-review-dashboard.html", "annual-review-pack.html"):
        assert "2023/24 · as at 31 Mar 2024" in texts[name]
    for name, text in texts.items():
        for day, month, year in _DATE.findall(text):
            shown = dt.date(int(year), display.MONTHS.index(month) + 1, int(day))
            words = f"{day} {month} {year}"
            assert shown <= as_at or words in due_dates, (name, words)
        for month, year in _MONTH.findall(text):
            assert dt.date(int(year), display.MONTHS.index(month) + 1, 1) <= as_at, (
                name,
                month,
                year,
            )
        for start, _ in _FINANCIAL_YEAR.findall(text):
            assert int(start) <= 2023, (name, start)
        later = [y for y in re.findall(r"\b(20\d\d)\b", text) if int(y) > 2024]
        allowed = {d.rsplit(" ", 1)[1] for d in due_dates}
        assert set(later) <= allowed, (name, sorted(set(later)))
    manifest = json.loads((past_year / "manifest.json").read_text())
    assert manifest["run"]["as_at"] == "2024-03-31"
    assert {e["as_at"] for e in manifest["outputs"]} == {"2024-03-31"}
    assert "As at 31 Mar 2024" in (past_year / "index.html").read_text()


@pytest.mark.parametrize("year", ["1900/01", "2099/00"])
def test_a_review_year_the_data_does_not_cover_exits_2_naming_its_period(tmp_path, qv_cli, year):
    result = qv_cli("reviews", "--year", year, "--trust", "RHM", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "1 Apr 2022 to 31 Mar 2026" in result.stderr
    assert not list(tmp_path.rglob("*.html"))


def test_a_bad_as_at_date_exits_2(tmp_path, qv_cli):
    result = qv_cli("reviews", "--as-at", "14/10/2025", "--trust", "RHM", "--out", str(tmp_path))
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
