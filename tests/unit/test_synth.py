"""Tests of the synthetic sample generator (``qv sample-data``) and the committed data/sample."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from qvlib.cli import main
from qvlib.datasets import load
from qvlib.errors import QvError
from qvlib.schemas import DATASETS, KEY_COLUMNS
from qvlib.synth import write_sample_data
from qvlib.synth.surveys import nts_outcomes

REPO = Path(__file__).resolve().parents[2]

COMMITTED = REPO / "data" / "sample"
GENERATED = [name for name in DATASETS if name != "hotspots"]


def read_canonical(root: Path, name: str) -> pd.DataFrame:
    """Read one canonical CSV into the dtypes its schema declares (yes/no, ISO dates, numbers)."""
    schema_cls = DATASETS[name].schema
    schema = schema_cls.to_schema()
    raw = pd.read_csv(root / DATASETS[name].file, dtype=str, keep_default_na=False, na_values=[""])
    assert list(raw.columns) == list(schema.columns), f"{name}: columns not in schema order"
    out = {}
    for col, spec in schema.columns.items():
        kind, values = str(spec.dtype), raw[col]
        if kind == "bool":
            assert values.isin(["yes", "no"]).all(), f"{name}.{col}: booleans must be yes/no"
            out[col] = values.eq("yes")
        elif kind.startswith("int"):
            out[col] = values.astype("int64")
        elif kind.startswith("float"):
            out[col] = values.astype("float64")
        elif kind.startswith("datetime"):
            out[col] = pd.to_datetime(values, format="%Y-%m-%d")
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default dataset, generated through the command line as a user would."""
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample-data", "--out", str(out)]) == 0
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_regenerating_with_committed_seed_reproduces_committed_sample_byte_for_byte(sample):
    committed, regenerated = _files(COMMITTED), _files(sample)
    assert sorted(regenerated) == sorted(committed)
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert changed == [], f"regenerate data/sample: {changed} differ from the generator's output"


def test_committed_sample_is_small_and_declared_synthetic():
    total = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert total < 5_000_000
    meta = yaml.safe_load((COMMITTED / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["seed"] == 20251
    assert meta["period"]["start"] == "2022-04-01"
    assert meta["period"]["end"] == "2026-03-31"
    assert {"name", "description", "generator"} <= set(meta)


def test_a_different_seed_gives_different_data(sample, tmp_path):
    write_sample_data(tmp_path, seed=7)
    same, other = _files(sample), _files(tmp_path)
    # Trusts (from parameters) are the same; the invented values are not.
    assert same["local/trusts.csv"] == other["local/trusts.csv"]
    for name in ("local/survey_results.csv", "local/risks.csv", "national/fft.csv"):
        assert same[name] != other[name], name


@pytest.mark.parametrize("name", GENERATED)
def test_every_generated_dataset_validates_against_its_schema_and_key(sample, name):
    frame = read_canonical(sample, name)
    assert len(frame) > 0
    DATASETS[name].schema.validate(frame, lazy=True)
    assert not frame.duplicated(list(KEY_COLUMNS[name])).any()


def test_files_are_utf8_with_unix_newlines_iso_dates_and_no_bom(sample):
    for path in sample.rglob("*.csv"):
        data = path.read_bytes()
        assert b"\r" not in data, path
        assert not data.startswith(b"\xef\xbb\xbf"), path
        data.decode("utf-8")
    visits = pd.read_csv(sample / "local/visits.csv", dtype=str)
    assert visits["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_loader_accepts_the_committed_sample():
    from qvlib.datasets import load

    ds = load(COMMITTED)
    assert ds.meta["synthetic"] is True
    assert len(ds.trusts) == 11


def test_default_trusts_are_the_regions_eleven(sample):
    trusts = read_canonical(sample, "trusts")
    assert len(trusts) == 11
    row = trusts.set_index("trust_code").loc["RHM"]
    assert row["trust_type"] == "acute"
    assert row["sites"] == "Southampton General Hospital;Princess Anne Hospital"
    assert set(trusts["trust_type"]) == {"acute", "mental health", "community", "ambulance"}


def test_periods_follow_the_review_year(sample):
    learners = read_canonical(sample, "learners")
    assert sorted(learners["year"].unique()) == ["2022/23", "2023/24", "2024/25", "2025/26"]
    fft = read_canonical(sample, "fft")
    months = sorted(fft["period"].unique())
    assert (months[0], months[-1], len(months)) == ("2022-04", "2026-03", 48)
    surveys = read_canonical(sample, "survey_results")
    assert sorted(surveys["year"].unique()) == [2022, 2023, 2024, 2025]
    quarters = read_canonical(sample, "exception_reports")["quarter"]
    assert quarters.min() == "2022/23 Q1" and quarters.max() == "2025/26 Q4"


def _outcome_by_rule(row) -> str:
    """The published NTS rule, written out from its text."""
    if row.n == 0:
        return "no result"
    if row.n < 3:
        return "not reported"
    if row.score < row.benchmark_q1:
        return "red" if row.ci_upper < row.benchmark_ci_lower else "pink"
    if row.score > row.benchmark_q3:
        return "green" if row.ci_lower > row.benchmark_ci_upper else "light green"
    return "white"


def test_every_published_nts_outcome_follows_the_rule(sample):
    results = read_canonical(sample, "survey_results")
    nts = results[results["survey"] == "NTS"]
    published = nts[nts["outcome"].notna()]
    wrong = [
        (row.Index, row.outcome, _outcome_by_rule(row))
        for row in published.itertuples()
        if row.outcome != _outcome_by_rule(row)
    ]
    assert wrong == []
    # Every outcome occurs, and a minority of rows leave the outcome for qv to compute.
    assert {"red", "pink", "white", "light green", "green", "not reported"} <= set(
        published["outcome"]
    )
    assert 0.02 < nts["outcome"].isna().mean() < 0.2
    # Rows with n < 3 show no score or CI.
    small = nts[nts["n"] < 3]
    assert len(small) > 0 and small[["score", "ci_lower", "ci_upper"]].isna().all().all()


def test_nets_rows_have_percent_positive_and_no_benchmark(sample):
    results = read_canonical(sample, "survey_results")
    nets = results[results["survey"] == "NETS"]
    assert len(nets) > 0
    assert nets[["benchmark_mean", "benchmark_q1", "outcome"]].isna().all().all()
    # Groups with many respondents sit near the national ~85% positive.
    assert nets.loc[nets["n"] >= 50, "score"].between(60, 100).all()
    assert nets.loc[nets["n"] < 3, "score"].isna().all()


def test_planted_hotspots_show_as_red_outcomes(sample):
    results = read_canonical(sample, "survey_results")
    red = results[(results["survey"] == "NTS") & (results["outcome"] == "red")]
    surgery = red[(red["trust_code"] == "RHM") & (red["specialty"] == "General Surgery")]
    assert {2024, 2025} <= set(surgery["year"])  # red in consecutive years
    obstetrics = red[
        (red["trust_code"] == "RN5")
        & (red["site"] == "Basingstoke and North Hampshire Hospital")
        & (red["specialty"] == "Obstetrics and Gynaecology")
        & (red["year"] == 2025)
    ]
    assert len(obstetrics) >= 3  # several reds in the latest year


def test_ids_are_unique_and_cross_references_resolve(sample):
    risks = read_canonical(sample, "risks")
    visits = read_canonical(sample, "visits")
    actions = read_canonical(sample, "visit_actions")
    assert risks["risk_id"].is_unique and visits["visit_id"].is_unique
    assert set(actions["visit_id"]) <= set(visits["visit_id"])
    assert not actions.duplicated(["visit_id", "ref"]).any()
    owner = dict(zip(risks["risk_id"], risks["trust_code"], strict=True))
    for visit in visits.itertuples():
        for risk_id in (visit.linked_risk_ids or "").split(";"):
            if risk_id:
                assert owner[risk_id] == visit.trust_code, (visit.visit_id, risk_id)
    assert set(visits["visit_type"]) == {"triggered", "learner_educator", "aeqr", "desktop"}
    # One annual review per trust per financial year.
    aeqr = visits[visits["visit_type"] == "aeqr"]
    assert len(aeqr) == 11 * 4


def test_immediate_mandatory_requirements_are_due_within_five_working_days(sample):
    visits = read_canonical(sample, "visits").set_index("visit_id")
    actions = read_canonical(sample, "visit_actions")
    imr = actions[actions["kind"] == "immediate mandatory requirement"]
    assert len(imr) > 0
    visited = visits.loc[imr["visit_id"], "date"].to_numpy().astype("datetime64[D]")
    due = imr["due"].to_numpy().astype("datetime64[D]")
    assert (np.busday_count(visited, due) == 5).all()
    # Some actions are overdue and still open at the end of the review year.
    late = actions[(actions["status"] != "closed") & (actions["due"] < "2026-03-31")]
    assert len(late) > 0


def test_register_has_a_realistic_mix(sample):
    risks = read_canonical(sample, "risks")
    open_acute = risks[(risks["status"] == "open")].merge(
        read_canonical(sample, "trusts"), on="trust_code"
    )
    per_trust = open_acute[open_acute["trust_type"] == "acute"].groupby("trust_code").size()
    assert per_trust.between(1, 6).all()
    assert set(risks["status"]) == {"open", "monitoring", "closed"}
    assert risks["patient_safety"].any() and not risks["patient_safety"].all()
    assert {"significant concerns register", "GMC enhanced monitoring"} <= set(
        risks["escalated"].dropna()
    )
    assert (risks["closed"].notna() == (risks["status"] == "closed")).all()


def test_fft_is_calibrated_to_the_reference(sample):
    fft = read_canonical(sample, "fft")
    fft["positive"] = (fft["very_good"] + fft["good"]) / fft["total_responses"]
    counts = fft[["very_good", "good", "neither", "poor", "very_poor", "dont_know"]].sum(axis=1)
    assert (counts == fft["total_responses"]).all()
    rhm = fft[fft["org_code"] == "RHM"].groupby("setting")
    assert 1100 < rhm["total_responses"].mean()["inpatient"] < 1600
    assert 0.92 < rhm["positive"].mean()["inpatient"] < 0.96
    ambulance = fft[fft["setting"] == "ambulance"]["total_responses"]
    assert ambulance.median() < 100 and ambulance.min() <= 4


def test_cqc_has_one_trust_without_a_provider_rating(sample):
    cqc = read_canonical(sample, "cqc_ratings")
    provider = cqc[cqc["location_id"].isna()]
    assert set(cqc["provider_id"]) - set(provider["provider_id"]) == {"R0D"}
    overall = provider[provider["key_question"] == "overall"]["rating"]
    assert {"outstanding", "inadequate"} <= set(overall)


def test_staff_survey_scores_lie_within_the_benchmark_range(sample):
    staff = read_canonical(sample, "staff_survey")
    assert (staff["score"] <= staff["benchmark_best"]).all()
    assert (staff["score"] >= staff["benchmark_worst"]).all()
    elements = staff[staff["sub_score"].isna()]["element"].unique()
    assert len(elements) == 9  # seven People Promise elements, engagement and morale


def test_funding_is_mostly_used(sample):
    funding = read_canonical(sample, "funding")
    use = funding["spent_gbp"] / funding["allocated_gbp"]
    assert use.between(0.85, 1.02).mean() > 0.8
    assert (use < 0.85).any()  # a few under-spent lines


def test_national_scale_has_220_trusts(tmp_path):
    write_sample_data(tmp_path, trusts=220, years=2)
    trusts = read_canonical(tmp_path, "trusts")
    assert trusts["trust_code"].nunique() == 220
    assert trusts["trust_code"].iloc[11] == "X0001"
    assert 0.45 < (trusts["trust_type"] == "acute").mean() < 0.75
    assert sorted(read_canonical(tmp_path, "survey_results")["year"].unique()) == [2024, 2025]


def _rows(root: Path, code: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in GENERATED:
        frame = pd.read_csv(root / DATASETS[name].file, dtype=str)
        column = {
            "visit_actions": "visit_id",
            "meeting_attendees": "visit_id",
            "risk_history": "risk_id",
        }.get(name)
        if column:
            out[name] = frame[frame[column].str.startswith(f"{code}-")].reset_index(drop=True)
        else:
            key = {
                "fft": "org_code",
                "nhs_website_ratings": "org_code",
                "staff_survey": "org_code",
                "cqc_ratings": "provider_id",
            }.get(name, "trust_code")
            out[name] = frame[frame[key] == code].reset_index(drop=True)
    return out


def test_a_trusts_data_does_not_depend_on_how_many_trusts_are_generated(tmp_path):
    write_sample_data(tmp_path / "few", trusts=12, years=2)
    write_sample_data(tmp_path / "more", trusts=14, years=2)
    for code in ("RHM", "X0001"):
        few, more = _rows(tmp_path / "few", code), _rows(tmp_path / "more", code)
        for name in GENERATED:
            pd.testing.assert_frame_equal(few[name], more[name], obj=f"{code} {name}")
    assert len(_rows(tmp_path / "few", "RHM")["survey_results"]) > 0


def test_bad_arguments_are_reported(tmp_path):
    with pytest.raises(QvError, match="years"):
        write_sample_data(tmp_path, years=0)
    with pytest.raises(QvError, match="trusts"):
        write_sample_data(tmp_path, trusts=0)


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize(
    "meta",
    ["name: real\nsynthetic: false\n", "name: real\n", "synthetic: [\n", None],
    ids=["synthetic-false", "no-synthetic-key", "unreadable", "no-dataset-yaml"],
)
def test_sample_data_never_writes_into_a_folder_not_marked_synthetic(tmp_path, capsys, meta, force):
    root = tmp_path / "data"
    (root / "local").mkdir(parents=True)
    (root / "local" / "risks.csv").write_text("REAL RISKS\n")
    if meta is not None:
        (root / "dataset.yaml").write_text(meta)
    before = _files(root)

    assert main(["sample-data", "--out", str(root), *(["--force"] if force else [])]) == 2

    assert "may hold real data; qv sample-data never writes there" in capsys.readouterr().err
    assert _files(root) == before


def test_sample_data_replaces_a_synthetic_dataset_only_with_force(tmp_path, capsys):
    root = tmp_path / "data"
    args = ["sample-data", "--out", str(root), "--trusts", "1", "--years", "1"]
    assert main(args) == 0  # a new folder
    (root / "local" / "risks.csv").write_text("EDITED\n")

    assert main(args) == 2
    assert "already holds a synthetic dataset; add --force" in capsys.readouterr().err
    assert (root / "local" / "risks.csv").read_text() == "EDITED\n"

    assert main([*args, "--force"]) == 0
    assert (root / "local" / "risks.csv").read_text().startswith("risk_id,")


_score = st.floats(0, 100, allow_nan=False)


@given(
    n=st.integers(0, 40),
    score=_score,
    half=st.floats(0, 30),
    mean=_score,
    spread=st.floats(0, 20),
    bench_half=st.floats(0, 3),
)
def test_outcome_function_matches_the_rule_for_any_result(n, score, half, mean, spread, bench_half):
    q1, q3 = mean - spread, mean + spread
    bench = np.array([[mean, q1, q3, mean - bench_half, mean + bench_half]])
    got = nts_outcomes(
        np.array([n]), np.array([score]), np.array([score - half]), np.array([score + half]), bench
    )[0]
    row = pd.Series(
        {
            "n": n,
            "score": score,
            "ci_lower": score - half,
            "ci_upper": score + half,
            "benchmark_q1": q1,
            "benchmark_q3": q3,
            "benchmark_ci_lower": mean - bench_half,
            "benchmark_ci_upper": mean + bench_half,
        }
    )
    assert got == _outcome_by_rule(row)


def test_outcome_worked_examples():
    # Benchmark mean 80, Q1 75, Q3 85, benchmark CI 79-81.
    bench = np.array([[80.0, 75.0, 85.0, 79.0, 81.0]] * 6)
    n = np.array([10, 10, 10, 10, 10, 2])
    score = np.array([70.0, 70.0, 80.0, 90.0, 90.0, 10.0])
    lower = np.array([65.0, 60.0, 75.0, 80.0, 82.0, 0.0])
    upper = np.array([78.0, 80.0, 85.0, 95.0, 98.0, 30.0])
    got = nts_outcomes(n, score, lower, upper, bench).tolist()
    assert got == ["red", "pink", "white", "light green", "green", "not reported"]


def test_role_titles_not_personal_names(sample):
    risks = read_canonical(sample, "risks")
    actions = read_canonical(sample, "visit_actions")
    owners = set(risks["owner"]) | set(actions["owner"])
    title = re.compile(r"(Director|Lead|Nurse|Manager|Guardian|Head)")
    assert all(title.search(owner) for owner in owners), owners


# --------------------------------------------------------------------------- published layouts


@pytest.fixture(scope="module")
def both_layouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two years of the region's data in the canonical and in the published layouts."""
    out = tmp_path_factory.mktemp("layouts")
    canonical, published = out / "canonical", out / "published"
    assert main(["sample-data", "--out", str(canonical), "--years", "2"]) == 0
    args = ["sample-data", "--out", str(published), "--years", "2", "--published-formats"]
    assert main(args) == 0
    return canonical, published


def test_published_layout_loads_into_the_same_frames_as_the_canonical_layout(both_layouts):
    canonical, published = (load(root) for root in both_layouts)

    assert canonical.meta == published.meta
    for name in DATASETS:
        pd.testing.assert_frame_equal(canonical.tables[name], published.tables[name], obj=name)
    assert canonical.content_hash() == published.content_hash()
    assert canonical.sources == []
    read = {(e["publication"], e["file"].rsplit("/", 1)[-1]) for e in published.sources}
    assert ("CQC ratings", "31_March_2026_Latest_ratings.xlsx") in read
    assert ("FFT A&E", "FFT-AE-April-2024.xlsx") in read
    assert ("GMC NTS", "GMC_NTS_2025_reporting_tool_extract.csv") in read
    assert ("NHS Staff Survey", "NHS_Staff_Survey_2024_benchmark_data.xlsx") in read
    assert {"ODS trusts", "ODS successors"} <= {p for p, _ in read}


def test_published_layout_has_no_canonical_national_csv_and_keeps_nets_locally(both_layouts):
    _, published = both_layouts
    national = {p.name for p in (published / "national").iterdir()}
    assert not national & {"fft.csv", "cqc_ratings.csv", "staff_survey.csv"}
    surveys = pd.read_csv(published / "local" / "survey_results.csv")
    assert set(surveys["survey"]) == {"NETS"}


def test_published_layout_is_reproducible_byte_for_byte(tmp_path):
    for run in ("first", "second"):
        write_sample_data(tmp_path / run, trusts=1, years=1, published_formats=True)
    assert _files(tmp_path / "first") == _files(tmp_path / "second")
