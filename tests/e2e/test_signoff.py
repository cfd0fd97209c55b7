"""Commentary, sign-off and versions end to end: ``qv reviews`` on a copy of the sample data."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from qvlib.reviews import open_review

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ANNUAL = "annual-review-pack"
AS_AT = "2026-03-31"


def _build(qv_cli, data: Path, out: Path, *extra: str):
    return qv_cli(
        "reviews",
        "--data",
        str(data),
        "--out",
        str(out),
        "--trust",
        "RHM",
        "--pack",
        ANNUAL,
        "--as-at",
        AS_AT,
        "--jobs",
        "1",
        *extra,
    )


def _manifest(year: Path) -> dict:
    entries = json.loads((year / "manifest.json").read_text())["outputs"]
    return {e["key"]: e for e in entries}


@pytest.fixture(scope="module")
def signed(tmp_path_factory, qv_cli):
    """The sample data with its final annual pack for RHM, built once; then its data changed
    and built again."""
    root = tmp_path_factory.mktemp("signoff")
    data = root / "data"
    shutil.copytree(REPO / "data" / "sample", data)
    out = root / "out"
    first = _build(qv_cli, data, out)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    year = out / "2025-26"
    frozen = (year / "RHM" / f"{ANNUAL}.v1.html").read_bytes()
    page = (year / "RHM" / f"{ANNUAL}.html").read_text()
    manifest = _manifest(year)
    # A funding return corrected after sign-off.
    funding = data / "local" / "funding.csv"
    lines = funding.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("RHM,2025/26"))
    cells = lines[row].split(",")
    cells[-1] = str(int(float(cells[-1])) + 1000)
    lines[row] = ",".join(cells)
    funding.write_text("\n".join(lines) + "\n")
    second = _build(qv_cli, data, out)
    third = _build(qv_cli, data, out, "--force")
    return {
        "data": data,
        "year": year,
        "first_page": page,
        "first_manifest": manifest,
        "frozen": frozen,
        "second": second,
        "third": third,
    }


def test_a_final_pack_shows_its_approver_and_the_teams_words_with_live_figures(signed):
    page = signed["first_page"]
    assert "FINAL</span> Version 1, approved by Head of Quality, Wessex on 21 Apr 2026" in page
    assert 'class="qv-draft-mark"' not in page
    review = open_review("RHM", "2025/26", signed["data"], as_at=AS_AT)
    total = review.values["open_risks.total"]
    utilisation = review.values["funding.utilisation"]
    assert f"has {total} open education and\ntraining risks" in page
    assert f"({utilisation} of\nthe allocation spent)" in page
    # The executive summary opens the pack, before the first section of the notebook.
    assert page.index("Executive summary</h2>") < page.index("Agenda and attendees</h2>")


def test_the_manifest_records_the_commentary_its_hash_and_the_version(signed):
    entry = signed["first_manifest"][f"RHM/{ANNUAL}"]
    path = signed["data"] / "commentary" / "2025-26" / "RHM" / f"{ANNUAL}.md"
    assert entry["commentary"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["document"] == {
        "status": "final",
        "version": 1,
        "approved_by": "Head of Quality, Wessex",
        "approved_on": "2026-04-21",
        "marking": "OFFICIAL-SENSITIVE",
    }
    [version] = entry["versions"]
    assert version["files"] == [f"RHM/{ANNUAL}.v1.html"] and version["status"] == "final"
    frozen = signed["year"] / "RHM" / f"{ANNUAL}.v1.html"
    assert frozen.read_text() == signed["first_page"]


def test_changed_data_after_sign_off_leaves_the_final_and_builds_the_next_draft(signed):
    second = signed["second"]
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "final version 1 is out of date (its inputs changed): built version 2 as a draft" in (
        second.stdout
    )
    year = signed["year"]
    assert (year / "RHM" / f"{ANNUAL}.v1.html").read_bytes() == signed["frozen"]
    current = (year / "RHM" / f"{ANNUAL}.html").read_text()
    assert "DRAFT</span> Version 2, not approved for issue" in current
    entry = _manifest(year)[f"RHM/{ANNUAL}"]
    assert entry["document"]["status"] == "draft" and entry["document"]["version"] == 2
    assert [v["version"] for v in entry["versions"]] == [1]
    index = (year / "index.html").read_text()
    assert "Draft v2" in index and f'href="RHM/{ANNUAL}.v1.html"' in index


def test_force_does_not_touch_a_frozen_final(signed):
    third = signed["third"]
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert (signed["year"] / "RHM" / f"{ANNUAL}.v1.html").read_bytes() == signed["frozen"]
    assert not (signed["year"] / "RHM" / f"{ANNUAL}.v2.html").exists()


def _commentary_run(qv_cli, tmp_path, text: str):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample", data)
    path = data / "commentary" / "2025-26" / "RHM" / f"{ANNUAL}.md"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path, _build(qv_cli, data, tmp_path / "out")


def test_an_unknown_heading_or_figure_stops_the_run_naming_file_and_line(qv_cli, tmp_path):
    path, result = _commentary_run(
        qv_cli,
        tmp_path,
        """
        ## Executive summary
        Fine: {{ open_risks.total }}.

        ## Trust updates
        We have {{ funding.utilisaton }} used.
        """,
    )
    assert result.returncode == 2
    assert f"{path}:4: no section 'Trust updates' in annual-review-pack" in result.stderr
    assert f"{path}:5: '{{{{ funding.utilisaton }}}}' is not a figure" in result.stderr
    assert "did you mean funding.utilisation?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "2025-26" / "RHM" / f"{ANNUAL}.html").exists()


def test_raw_html_in_commentary_is_shown_as_text(qv_cli, tmp_path):
    _, result = _commentary_run(
        qv_cli,
        tmp_path,
        """
        ## Trust update
        <script>alert("x")</script> <img src=x onerror=alert(1)>
        """,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = (tmp_path / "out" / "2025-26" / "RHM" / f"{ANNUAL}.html").read_text()
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;' in page
    assert "<img src=x" not in page and '<script>alert("x")' not in page
    assert "Draft: the quality team has not yet written the executive summary" in page
