"""A loaded dataset: all files checked together, per-trust slices, snapshots, fingerprints."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qvlib import datasets
from qvlib.errors import DataValidationError, QvError
from qvlib.schemas import DATASETS, TRUST_COLUMN

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "loaders" / "valid"
TRUSTS = ["R0D", "RHM", "RW1"]
LOCAL = [name for name, spec in DATASETS.items() if spec.local]


@pytest.fixture(scope="module")
def ds() -> datasets.Dataset:
    return datasets.load(VALID)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A writable copy of the valid fixture directory."""
    return Path(shutil.copytree(VALID, tmp_path / "data"))


def edit(data_dir: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell of ``data_dir/file``; ``row`` as a spreadsheet shows it (header = 1)."""
    path = data_dir / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def append(data_dir: Path, file: str, line: str) -> None:
    with (data_dir / file).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def load_problems(path: Path) -> set[tuple[str, int | None, str | None]]:
    with pytest.raises(DataValidationError) as caught:
        datasets.load(path)
    return {(Path(p.file).name, p.row, p.column) for p in caught.value.problems}


# --------------------------------------------------------------------------- loading


def test_load_gives_every_dataset_with_metadata(ds):
    assert set(ds.tables) == set(DATASETS)
    assert ds.meta["synthetic"] is True
    assert ds.meta["name"] == "loaders-fixture"
    assert ds.trust_codes == TRUSTS
    assert len(ds.risks) == 3
    assert ds.risks is ds.tables["risks"]


def test_absent_optional_dataset_is_an_empty_frame_with_its_columns(ds):
    frame = ds.nhs_website_ratings
    assert len(frame) == 0
    assert list(frame.columns) == list(DATASETS["nhs_website_ratings"].schema.to_schema().columns)
    assert frame["stars"].dtype == "float64"


def test_relative_path_is_taken_from_the_project_folder(monkeypatch):
    monkeypatch.chdir(VALID.parents[3] / "notebooks")  # where a notebook's kernel runs
    loaded = datasets.load("tests/fixtures/loaders/valid")
    assert loaded.root == VALID


def test_load_without_a_path_reads_qv_data_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv(datasets.ENV_DATA, str(VALID))
    loaded = datasets.load()
    assert loaded.root == VALID and loaded.trust_codes == TRUSTS
    assert f"qv: loading {VALID} (QV_DATA)" in capsys.readouterr().err


def test_load_without_a_path_reads_data_dir_of_the_project(monkeypatch, capsys, tmp_path):
    """The same data as ``qv validate`` and ``qv reviews`` without --data."""
    shutil.copytree(VALID.parents[3] / "parameters", tmp_path / "parameters")
    region = tmp_path / "parameters" / "region.yaml"
    region.write_text(region.read_text().replace("data_dir: data/sample", f"data_dir: {VALID}"))
    monkeypatch.setenv("QV_PROJECT", str(tmp_path))
    monkeypatch.delenv(datasets.ENV_DATA, raising=False)
    assert datasets.load().root == VALID
    assert "(data_dir in parameters/region.yaml)" in capsys.readouterr().err
    report, ok = datasets.validate_dir()
    assert ok and report.startswith(f"{VALID}: no problems found")


def test_load_records_the_files_it_read(ds):
    assert ds.files[0] == "dataset.yaml"
    assert "local/risks.csv" in ds.files
    assert "national/nhs_website_ratings.csv" not in ds.files  # optional, absent: not read


def test_problems_of_every_file_and_across_files_are_reported_together(data_dir):
    edit(data_dir, "local/exception_reports.csv", 2, "hours_reports", "7.5")
    edit(data_dir, "national/fft.csv", 3, "period", "April")
    (data_dir / "local/programmes.csv").unlink()
    (data_dir / "local/good_practice.csv").write_text("")
    append(data_dir, "local/learners.csv", "RXX,2024/25,medical,Foundation,3,3.0")
    append(
        data_dir,
        "local/visit_actions.csv",
        "V-999,R1,recommendation,Delivering programmes and curricula,f,a,,o,2025-01-01,open,",
    )
    edit(data_dir, "local/visits.csv", 2, "linked_risk_ids", "R-001;R-404")
    edit(data_dir, "local/visits.csv", 4, "linked_risk_ids", "R-002")
    assert load_problems(data_dir) == {
        ("exception_reports.csv", 2, "hours_reports"),
        ("fft.csv", 3, "period"),
        ("programmes.csv", None, None),
        ("good_practice.csv", None, None),
        ("learners.csv", 6, "trust_code"),
        ("visit_actions.csv", 6, "visit_id"),
        ("visits.csv", 2, "linked_risk_ids"),
        ("visits.csv", 4, "linked_risk_ids"),
    }


def test_cross_file_messages_say_what_is_allowed(data_dir):
    append(data_dir, "local/learners.csv", "RXX,2024/25,medical,Foundation,3,3.0")
    edit(data_dir, "local/visits.csv", 4, "linked_risk_ids", "R-002")
    with pytest.raises(DataValidationError) as caught:
        datasets.load(data_dir)
    text = str(caught.value)
    assert "got 'RXX'; expected a trust listed in local/trusts.csv: R0D, RHM, RW1" in text
    assert "got 'R-002'; expected a risk of RW1; R-002 belongs to RHM" in text


def test_national_rows_of_organisations_outside_the_region_are_fine(ds):
    assert "RTH" in set(ds.fft["org_code"])
    assert "RTH" in set(ds.cqc_ratings["provider_id"])


@pytest.mark.parametrize(
    ("content", "column"),
    [
        (None, None),
        ("name: x\ndescription: y\nperiod: z\n", "synthetic"),
        ("name: x\ndescription: y\nperiod: z\nsynthetic: maybe\n", "synthetic"),
    ],
    ids=["missing", "no-synthetic", "synthetic-not-bool"],
)
def test_dataset_yaml_must_say_whether_data_is_synthetic(data_dir, content, column):
    meta = data_dir / "dataset.yaml"
    if content is None:
        meta.unlink()
    else:
        meta.write_text(content)
    assert load_problems(data_dir) == {("dataset.yaml", None, column)}


def test_missing_data_directory_is_a_problem_not_a_traceback(tmp_path):
    assert load_problems(tmp_path / "nowhere") == {("nowhere", None, None)}


# --------------------------------------------------------------------------- trust slices


@pytest.mark.parametrize("code", TRUSTS)
def test_trust_slice_holds_no_other_trusts_local_rows(ds, code):
    trust = ds.trust(code)
    others = [f"marker-{other}" for other in TRUSTS if other != code]
    for name in LOCAL:
        frame = trust.tables[name]
        text = frame.astype(str).to_csv()
        assert not any(marker in text for marker in others), name
        if name in TRUST_COLUMN:
            assert set(frame[TRUST_COLUMN[name]]) <= {code}


def test_trust_slice_has_the_trusts_own_rows_and_details(ds):
    trust = ds.trust("RHM")
    assert trust.code == "RHM"
    assert trust.name == "University Hospital Southampton NHS Foundation Trust"
    assert trust.trust_type == "acute"
    assert trust.sites == ["Southampton General Hospital", "Princess Anne Hospital"]
    assert trust.meta == ds.meta
    assert list(trust.risks["risk_id"]) == ["R-002"]
    assert list(trust.visit_actions["ref"]) == ["R1"]  # via its visit V-002
    assert list(trust.fft["org_code"]) == ["RHM"]
    assert list(trust.cqc_ratings["provider_id"]) == ["RHM"]
    assert list(trust.staff_survey["org_code"]) == ["RHM"]


def test_trust_frames_are_copies(ds):
    trust = ds.trust("R0D")
    trust.risks.loc[0, "summary"] = "changed"
    assert "changed" not in set(ds.risks["summary"])
    assert "changed" not in set(ds.trust("R0D").risks["summary"])


def test_unknown_trust_lists_the_known_codes(ds):
    with pytest.raises(QvError, match="known trust codes are R0D, RHM, RW1"):
        ds.trust("XYZ")


def test_former_codes_land_in_the_current_trust(data_dir):
    append(data_dir, "local/learners.csv", "RD3,2024/25,nursing,Adult nursing,20,19.0")
    append(data_dir, "local/learners.csv", "rdz,2024/25,midwifery,Midwifery,5,5.0")
    append(data_dir, "national/fft.csv", "RDZ,2025-03,inpatient,10,0,0,0,0,0,10,40")
    loaded = datasets.load(data_dir)
    trust = loaded.trust("RD3")  # asking by a former code gives the successor
    assert trust.code == "R0D"
    assert list(trust.learners["profession_group"]) == ["medical", "nursing", "midwifery"]
    assert list(trust.fft["period"]) == ["2025-04", "2025-03"]
    assert "RD3" not in set(loaded.learners["trust_code"])


# --------------------------------------------------------------------------- snapshots


def test_snapshot_round_trip(ds, tmp_path):
    path = ds.write_snapshot(tmp_path / "snapshots")
    assert path.parent == tmp_path / "snapshots"
    assert path.name == ds.content_hash()
    again = datasets.load(path)
    assert again.meta == ds.meta
    assert set(again.tables) == set(ds.tables)
    for name, frame in ds.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_exact=True)
    assert again.trust("RW1").fingerprint() == ds.trust("RW1").fingerprint()


def test_snapshot_is_reused_and_leaves_no_temporary_files(ds, tmp_path):
    first = ds.write_snapshot(tmp_path)
    stamp = (first / "meta.json").stat().st_mtime_ns
    second = ds.write_snapshot(tmp_path)
    assert second == first
    assert (first / "meta.json").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]


def test_changed_data_gives_a_different_snapshot(ds, data_dir, tmp_path):
    edit(data_dir, "local/risks.csv", 2, "summary", "Rota gaps, now worse")
    changed = datasets.load(data_dir)
    assert changed.write_snapshot(tmp_path) != ds.write_snapshot(tmp_path)


# --------------------------------------------------------------------------- fingerprints


def fingerprints(path: Path) -> dict[str, str]:
    loaded = datasets.load(path)
    return {code: loaded.trust(code).fingerprint() for code in loaded.trust_codes}


def test_fingerprint_changes_only_for_the_trust_whose_row_changed(data_dir):
    before = fingerprints(data_dir)
    edit(data_dir, "local/risks.csv", 3, "summary", "Undermining reported, resolved")
    after = fingerprints(data_dir)
    assert after["RHM"] != before["RHM"]
    assert after["R0D"] == before["R0D"]
    assert after["RW1"] == before["RW1"]


def test_fingerprint_follows_national_rows_and_visit_actions(data_dir):
    before = fingerprints(data_dir)
    edit(data_dir, "national/fft.csv", 4, "total_responses", "4")
    edit(data_dir, "local/visit_actions.csv", 2, "owner", "Chief Nurse")
    edit(data_dir, "national/fft.csv", 5, "good", "101")  # RTH: outside the region
    after = fingerprints(data_dir)
    assert after["RW1"] != before["RW1"]
    assert after["R0D"] != before["R0D"]
    assert after["RHM"] == before["RHM"]


def test_fingerprint_follows_the_regions_public_figures_but_not_others_local_data(data_dir):
    before = fingerprints(data_dir)
    edit(data_dir, "national/fft.csv", 2, "good", "40")  # R0D's % positive: a region figure
    after = fingerprints(data_dir)
    assert after["R0D"] != before["R0D"]
    # RHM and RW1 hold no R0D row, but their packs set their figures against the region's.
    assert after["RHM"] != before["RHM"]
    assert after["RW1"] != before["RW1"]


def test_region_benchmarks_hold_aggregates_only(ds):
    benchmarks = ds.trust("RHM").benchmarks
    assert benchmarks is ds.trust("R0D").benchmarks  # worked out once per dataset
    assert "trust_code" not in benchmarks.figures.columns
    assert "trust_code" not in benchmarks.cqc_overall.columns
    inpatient = benchmarks.lookup("fft.pct_positive", "inpatient", "2025-04")
    # By hand from the fixture: R0D (800 + 150) / 1000 = 95%, RHM (900 + 60) / 1000 = 96%; RW1
    # has no inpatient FFT and RTH is outside the region.
    assert inpatient["trusts"] == 2
    assert inpatient["median"] == pytest.approx(95.5)
    assert (inpatient["min"], inpatient["max"]) == (pytest.approx(95.0), pytest.approx(96.0))


def test_fingerprint_is_stable_across_loads(data_dir):
    assert fingerprints(data_dir) == fingerprints(data_dir)


# --------------------------------------------------------------------------- validate_dir


def test_validate_dir_summarises_clean_data():
    report, ok = datasets.validate_dir(VALID)
    assert ok
    assert "no problems found (synthetic data)" in report
    assert "21 datasets, 63 rows, 3 trusts: R0D, RHM, RW1" in report


def test_validate_dir_reports_problems(data_dir):
    edit(data_dir, "local/risks.csv", 2, "opened", "31/02/2024")
    report, ok = datasets.validate_dir(data_dir)
    assert not ok
    assert "row 2, column 'opened': got '31/02/2024'; expected a date that exists" in report


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("local/learners.csv", "trust_code"),
        ("local/visit_actions.csv", "visit_id"),
        ("local/visits.csv", "trust_code"),
    ],
)
def test_a_missing_key_column_is_reported_not_a_crash(data_dir, file, column):
    path = data_dir / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    drop = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:drop] + r[drop + 1 :] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    assert (Path(file).name, None, column) in load_problems(data_dir)


def test_fingerprint_of_a_slice_does_not_depend_on_how_it_was_cut(ds):
    trust = ds.trust("RHM")
    rebuilt = datasets.TrustData(
        "RHM",
        dict(ds.meta),
        {n: f.copy() for n, f in trust.tables.items()},
        benchmarks=trust.benchmarks,
    )
    assert rebuilt.fingerprint() == trust.fingerprint()
    alone = datasets.TrustData("RHM", dict(ds.meta), {n: f.copy() for n, f in trust.tables.items()})
    assert alone.fingerprint() != trust.fingerprint()


def test_a_snapshot_stores_the_region_benchmarks_once_for_every_notebook(ds, tmp_path):
    snapshot = ds.write_snapshot(tmp_path)
    again = datasets.load_snapshot(snapshot)
    pd.testing.assert_frame_equal(again.benchmarks.figures, ds.benchmarks.figures)
    pd.testing.assert_frame_equal(again.benchmarks.cqc_overall, ds.benchmarks.cqc_overall)
    assert again.trust("RHM").fingerprint() == ds.trust("RHM").fingerprint()
    # Worked out with other settings or code: not used, worked out again.
    meta = snapshot / "benchmarks.json"
    meta.write_text(meta.read_text().replace('"key": "', '"key": "stale'))
    stale = datasets.load_snapshot(snapshot)
    stale.tables["fft"] = stale.tables["fft"].iloc[0:0]
    assert stale.benchmarks.lookup("fft.pct_positive", "inpatient", "2025-04") is None
    ds.write_snapshot(tmp_path)  # a later run stores them afresh
    assert (
        datasets.load_snapshot(snapshot).benchmarks.lookup(
            "fft.pct_positive", "inpatient", "2025-04"
        )
        is not None
    )
