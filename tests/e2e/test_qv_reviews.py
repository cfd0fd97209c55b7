"""`qv reviews` end to end on the bundled sample data: what a user of `make reviews` relies on."""

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from qvlib.config import load_parameters
from qvlib.runner import default_packs

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

YEAR_DIR = "2025-26"
TRUSTS = sorted(load_parameters().trusts)
TRUST_PACKS = (
    "desktop-review-dashboard.html",
    "annual-review-pack.html",
    "cqc-response-bundle.zip",
)


def _outputs(year_dir: Path) -> dict[str, bytes]:
    """Every pack (HTML and zip) under a year directory, by relative path."""
    return {
        str(p.relative_to(year_dir)): p.read_bytes()
        for p in sorted(year_dir.rglob("*"))
        if p.suffix in {".html", ".zip"} and p.name != "index.html"
    }


def _texts(path: Path) -> list[tuple[str, str]]:
    """(name, text) of a pack file, and of every member when it is a zip."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            return [(f"{path}:{n}", _decode(zf.read(n))) for n in zf.namelist()]
    return [(str(path), _decode(path.read_bytes()))]


def _decode(data: bytes) -> str:
    if data[:2] == b"PK":  # the workbook inside a bundle
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return data.decode("utf-8-sig", "replace")


def _manifest(year_dir: Path) -> list[dict]:
    data = json.loads((year_dir / "manifest.json").read_text())
    entries = data["outputs"] if isinstance(data, dict) and "outputs" in data else data
    return list(entries.values()) if isinstance(entries, dict) else entries


def _copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample", data)
    return data


def _edit_csv(path: Path, edit) -> None:
    """Rewrite a CSV, passing each row (a dict) through ``edit``."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, [edit(row) for row in reader]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_every_trust_gets_every_pack(sample_build):
    for code in TRUSTS:
        for name in TRUST_PACKS:
            assert (sample_build / code / name).is_file(), f"{code}/{name}"
        assert (sample_build / code / "executed" / "desktop-review-dashboard.ipynb").is_file()
    assert (sample_build / "region-overview.html").is_file()
    assert not any(p.name == "region-overview.html" for p in sample_build.glob("*/*"))
    index = (sample_build / "index.html").read_text()
    for path in _outputs(sample_build):
        assert path in index, f"index.html does not list {path}"
    entries = _manifest(sample_build)
    assert entries and all(e["status"] == "built" for e in entries)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["output_sha256"]) for e in entries)


def test_one_brief_per_environment_whose_risks_call_for_it(sample_build):
    import qvlib as qv
    from qvlib.briefs import brief_environments

    for code in TRUSTS:
        review = qv.open_review(code)
        for pack in ("triggered-visit-brief", "learner-educator-visit-brief"):
            built = sorted(
                p.stem.removeprefix(pack + "-")
                for p in (sample_build / code).glob(f"{pack}-*.html")
            )
            expected = [b["slug"] for b in brief_environments(review, pack)]
            assert built == expected, f"{code} {pack}"


def test_the_annual_pack_carries_last_years_commitments_and_each_headline_once(sample_build):
    page = (sample_build / "RHM" / "annual-review-pack.html").read_text()
    assert "Last year&#39;s commitments" in page or "Last year's commitments" in page
    assert "Agree a placement capacity plan" in page  # one of RHM-V004's commitments
    headlines = re.findall(r'<span class="qv-finding-text">(.*?)</span>', page)
    assert headlines and len(headlines) == len(set(headlines))


def test_no_external_resource_in_any_pack(sample_build):
    for path in [*sample_build.rglob("*.html"), *sample_build.rglob("*.zip")]:
        for name, text in _texts(path):
            if name.endswith(".html"):
                assert "http://" not in text and "https://" not in text, name


def test_unchanged_rerun_skips_everything(sample_build, tmp_path, qv_cli):
    out = tmp_path / "out"
    shutil.copytree(sample_build.parent, out)
    before = _outputs(out / YEAR_DIR)
    result = qv_cli("reviews", "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert {e["status"] for e in _manifest(out / YEAR_DIR)} == {"skipped"}
    assert _outputs(out / YEAR_DIR) == before


def test_jobs_1_and_fresh_kernels_give_the_same_bytes(sample_build, tmp_path, qv_cli):
    serial = tmp_path / "serial"
    result = qv_cli(
        "reviews", "--out", str(serial), "--jobs", "1", "--trust", "RHU", "--trust", "RN5"
    )
    assert result.returncode == 0, result.stderr
    built = _outputs(serial / YEAR_DIR)
    assert len(built) >= 6
    reference = _outputs(sample_build)
    for path, data in built.items():
        assert data == reference[path], f"{path} differs between --jobs 2 and --jobs 1"


def test_fresh_kernels_give_the_bytes_of_the_fork_engine_for_every_pack_kind(
    sample_build, tmp_path, qv_cli
):
    # RHU has every kind of trust pack, briefs of both kinds included; then the region's.
    fresh = tmp_path / "fresh"
    for selection in (["--trust", "RHU"], ["--pack", "region-overview"]):
        result = qv_cli("reviews", "--out", str(fresh), "--engine", "fresh", *selection)
        assert result.returncode == 0, result.stderr

    def files(out: Path) -> dict[str, bytes]:
        # Executed notebooks record where they were written and the snapshot's path.
        return {
            str(p.relative_to(out / YEAR_DIR)): p.read_bytes().replace(str(out).encode(), b"OUT")
            for p in sorted((out / YEAR_DIR).rglob("*"))
            if p.suffix in {".html", ".zip", ".ipynb"} and p.name != "index.html"
        }

    built, reference = files(fresh), files(sample_build.parent)
    names = [kind.name for kind in default_packs()]
    kinds = {next(n for n in names if Path(path).stem.startswith(n)) for path in built}
    assert kinds == set(names)
    for path, data in built.items():
        assert data == reference[path], f"{path} differs between the fork and fresh engines"


def test_changing_one_trusts_rows_rebuilds_only_that_trust(sample_build, tmp_path, qv_cli):
    data = _copy_data(tmp_path)

    def edit(row):
        if row["trust_code"] == "RNZ" and row["year"] == "2025/26":
            row["note"] = (row["note"] or "") + " Checked again."
        return row

    _edit_csv(data / "local" / "lda_compliance.csv", edit)
    out = tmp_path / "out"
    shutil.copytree(sample_build.parent, out)
    result = qv_cli("reviews", "--out", str(out), "--data", str(data), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    built = {
        (e.get("trust"), e["pack"]) for e in _manifest(out / YEAR_DIR) if e["status"] == "built"
    }
    assert {trust for trust, _ in built} <= {"RNZ", None, "region"}
    assert ("RNZ", "desktop-review-dashboard") in built


def test_bad_data_stops_before_anything_is_built(tmp_path, qv_cli):
    data = _copy_data(tmp_path)
    _edit_csv(data / "local" / "risks.csv", lambda row: {**row, "likelihood": "9"})
    out = tmp_path / "out"
    result = qv_cli("reviews", "--out", str(out), "--data", str(data))
    assert result.returncode == 2
    assert "risks.csv" in result.stdout + result.stderr
    assert "likelihood" in result.stdout + result.stderr
    assert not list(out.rglob("*.html"))


@pytest.fixture(scope="module")
def planted_build(tmp_path_factory, qv_cli):
    """Every trust's local free text carries a marker naming the trust; RHM's open risks a
    ``<script>``.  Built once for the privacy and escaping tests."""
    tmp = tmp_path_factory.mktemp("planted")
    data = _copy_data(tmp)
    text_columns = {
        "risks.csv": "summary",
        "good_practice.csv": "summary",
        "visits.csv": "outcome_summary",
        "lda_compliance.csv": "note",
        "self_assessment.csv": "summary",
    }
    for file, column in text_columns.items():

        def plant(row, column=column, file=file):
            row[column] = f"{row[column]} QVMARK{row['trust_code']}"
            if file == "risks.csv" and row["trust_code"] == "RHM" and row["status"] != "closed":
                row[column] += " <script>alert('x')</script>"
            return row

        _edit_csv(data / "local" / file, plant)
    out = tmp / "out"
    result = qv_cli("reviews", "--out", str(out), "--data", str(data), "--jobs", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / YEAR_DIR


def test_no_pack_holds_another_trusts_local_data(planted_build):
    for code in TRUSTS:
        folder = planted_build / code
        texts = [t for p in folder.rglob("*") if p.is_file() for t in _texts(p)]
        assert any(f"QVMARK{code}" in text for _, text in texts), f"{code}'s own data missing"
        for other in TRUSTS:
            if other != code:
                leaks = [name for name, text in texts if f"QVMARK{other}" in text]
                assert not leaks, f"{other}'s data in {leaks}"


def test_script_in_a_risk_summary_shows_as_text(planted_build):
    html = (planted_build / "RHM" / "desktop-review-dashboard.html").read_text()
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html
