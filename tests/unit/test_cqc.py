"""CQC information requests: the request file, period and scope, presentation, the bundle hook."""

from __future__ import annotations

import datetime as dt
import hashlib
import types
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from qvlib import cli, display
from qvlib.bundles import read_bundle, verify_bundle
from qvlib.cqc import (
    EXTRACTS,
    SUPPRESSED,
    CqcResponse,
    cqc_extracts,
    cqc_request,
    finalize_cqc_bundle,
    load_request,
    open_response,
)
from qvlib.errors import ConfigError, QvError
from qvlib.metrics.asat import published, quarter_end, year_end
from qvlib.reviews import open_review

ROOT = Path(__file__).resolve().parents[2]

DATA = "data/sample"
SAMPLE_REQUEST = ROOT / "data" / "sample" / "requests" / "cqc-rhm-2025.yaml"


@pytest.fixture(scope="module")
def review():
    return open_review("RHU", "2025/26", DATA)


@pytest.fixture(scope="module")
def rhm():
    return open_review("RHM", "2025/26", DATA, "2025-10-14")


def _request_file(tmp_path: Path, **changes) -> Path:
    """A copy of the sample request with top-level or dotted keys changed (None deletes)."""
    data = yaml.safe_load(SAMPLE_REQUEST.read_text())
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --------------------------------------------------------------------------- the request file


def test_the_sample_request_parses():
    request = load_request(SAMPLE_REQUEST)
    assert request.trust == "RHM"
    assert request.period.start == dt.date(2025, 4, 1) and request.period.end == dt.date(
        2025, 9, 30
    )
    assert request.scope.sites == ["Southampton General Hospital"]
    assert request.marking == "OFFICIAL-SENSITIVE"


def test_an_unknown_key_names_the_file_the_key_and_the_allowed_keys(tmp_path):
    path = _request_file(tmp_path, scope__site=["Southampton General Hospital"])
    with pytest.raises(ConfigError) as err:
        load_request(path)
    message = str(err.value)
    assert str(path) in message
    assert "scope.site" in message and "unknown key" in message
    assert "open_actions" in message and "sites" in message  # the allowed keys


def test_a_bad_date_names_the_key_and_the_value(tmp_path):
    path = _request_file(tmp_path, asked_on="29/09/2025")
    with pytest.raises(ConfigError, match=r"asked_on.*29/09/2025"):
        load_request(path)


def test_a_period_ending_before_it_starts_is_refused(tmp_path):
    path = _request_file(tmp_path, period__start="2025-09-30", period__end="2025-04-01")
    with pytest.raises(ConfigError, match=r"key 'period'.*end 2025-04-01 is before start"):
        load_request(path)


@pytest.mark.parametrize("missing", ["reference", "marking", "basis_for_sharing", "contact"])
def test_every_detail_a_response_needs_is_required(tmp_path, missing):
    with pytest.raises(ConfigError, match=f"key '{missing}': missing"):
        load_request(_request_file(tmp_path, **{missing: None}))


def test_a_bad_trust_code_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="not an ODS code"):
        load_request(_request_file(tmp_path, trust="Southampton"))


def test_qv_reviews_with_a_bad_request_exits_2_naming_file_and_key(tmp_path, capsys):
    path = _request_file(tmp_path, refrence="typo")
    code = cli.main(
        ["reviews", "--pack", "cqc-response-bundle", "--request", str(path), "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and "refrence" in err
    assert not list(tmp_path.rglob("*.zip"))


def test_a_request_is_answered_only_for_its_own_trust(tmp_path, review):
    with pytest.raises(QvError, match="about trust RHM, not RHU"):
        cqc_request(review, SAMPLE_REQUEST)


def test_a_request_naming_an_unknown_site_lists_the_known_ones(tmp_path, rhm):
    path = _request_file(tmp_path, scope__sites=["Nowhere General"])
    with pytest.raises(QvError, match="Princess Anne Hospital"):
        cqc_request(rhm, path)


# --------------------------------------------------------------------------- without a request


def test_without_a_request_the_bundle_says_so_and_covers_the_year_to_the_as_at_date(rhm):
    response = open_response(rhm, "")
    assert (response.request.start, response.request.end) == (
        dt.date(2025, 4, 1),
        dt.date(2025, 10, 14),
    )
    assert response.request.scope == "Whole trust"
    table = dict(response.request_table.itertuples(index=False, name=None))
    assert table["Request"].startswith("None: this bundle was built without a CQC request")
    assert "Reference" not in table and "Protective marking" not in table
    assert response.readme.marking is None


def test_default_request_is_the_whole_review_year(review):
    request = cqc_request(review)
    assert (request.start, request.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert request.scope == "Whole trust"


# --------------------------------------------------------------------------- period and scope


def _requests():
    """Requests with a period and one site and specialty, for several trusts and periods."""
    cases = [("RHM", "2025/26", "2025-10-14", SAMPLE_REQUEST, None)]
    for code, year, as_at, start, end, open_actions in (
        ("RHM", "2025/26", "2025-10-14", "2025-04-01", "2025-09-30", False),
        ("RHU", "2024/25", "2025-03-31", "2024-04-01", "2025-03-31", True),
        ("R0D", "2024/25", "2025-03-31", "2024-01-01", "2024-12-31", True),
        ("RN5", "2025/26", "2026-01-31", "2025-05-15", "2025-12-20", False),
    ):
        cases.append((code, year, as_at, None, (start, end, open_actions)))
    return cases


def _scope_of(review):
    """A site and specialty with a visit in the trust's data (so the cut has rows to drop)."""
    visits = review.data.tables["visits"].dropna(subset=["site", "specialty"])
    row = visits.sort_values("visit_id").iloc[0]
    return [row["site"]], [row["specialty"]]


@pytest.mark.parametrize("code, year, as_at, file, period", _requests())
def test_the_extracts_hold_nothing_outside_the_requested_period_and_scope(
    code, year, as_at, file, period
):
    review = open_review(code, year, DATA, as_at)
    if file is not None:
        request = cqc_request(review, file)
    else:
        sites, specialties = _scope_of(review)
        start, end, open_actions = period
        request = cqc_request(
            review,
            period_start=start,
            period_end=end,
            sites=sites,
            specialties=specialties,
            open_actions=open_actions,
        )
    response = CqcResponse(review, request)
    raw = response.raw
    start, end = pd.Timestamp(request.start), pd.Timestamp(request.end)
    at = pd.Timestamp(response.judged_at)
    sites, specialties = set(request.sites), set(request.specialties)

    def in_scope(frame):
        assert set(frame["site"]) <= sites and set(frame["specialty"]) <= specialties

    def in_period(dates):
        days = pd.to_datetime(dates)
        assert ((days >= start) & (days <= end)).all(), sorted(days)

    # Risks: in scope, opened by the end of the period and open then.
    risks = raw["open_risks"]
    in_scope(risks)
    assert (pd.to_datetime(risks["opened"]) <= at).all()
    assert set(risks["risk_id"]) <= set(response.at_end.open_risks["risk_id"])
    # Visits and their findings: held in the period, in scope.
    in_scope(raw["visits"])
    in_period(raw["visits"]["date"])
    held = set(raw["visits"]["visit_id"])
    assert set(raw["visit_findings"]["visit_id"]) <= held
    # Requirements: of those visits, or (only when asked) still open from an earlier one.
    actions = raw["visit_actions"]
    earlier = actions.get("from_earlier_visit", pd.Series(False, index=actions.index))
    assert actions.loc[~earlier, "visit_id"].isin(held).all()
    if not request.open_actions:
        assert not earlier.any()
    late = actions[earlier]
    in_scope(late)
    assert (late["status"] != "closed").all()
    assert (pd.to_datetime(late["visit_date"]) < start).all()
    in_period(actions.loc[~earlier, "visit_date"])
    in_period(actions["closed"].dropna())
    # Hotspots, surveys, guardian returns, LDA and good practice.
    in_scope(raw["hotspots"])
    nts = raw["survey_outcomes"]
    in_scope(nts)
    in_period(published(nts["year"], "NTS", review.region))
    assert set(nts["outcome_final"]) <= {"red", "green"}
    assert raw["nets"].empty and raw["lda_compliance"].empty  # reported for the whole trust only
    assert raw["guardian"].empty  # returns have no site
    practice = raw["good_practice"]
    in_scope(practice)
    in_period(practice["date"])
    # And every date the bundle shows, bar due dates and when a risk was opened or an earlier
    # visit held, falls in the period.
    for name, frame in response.extracts.items():
        for column in frame.columns:
            if column in ("Due", "Opened") or not pd.api.types.is_datetime64_any_dtype(
                frame[column]
            ):
                continue
            dates = frame[column]
            if name == "visit_actions" and column == "Visit date":
                dates = dates[~earlier.to_numpy()]
            in_period(dates.dropna())


def test_an_open_action_from_an_earlier_visit_is_in_only_when_asked_for():
    # R0D has actions open at 14 Oct 2025 from visits before April 2025 (the bundle used to add
    # every open action, whatever the period).
    review = open_review("R0D", "2025/26", DATA, "2025-10-14")
    earlier = review.open_actions[
        pd.to_datetime(review.open_actions["visit_date"]) < pd.Timestamp("2025-04-01")
    ]
    assert len(earlier)
    plain = cqc_extracts(review, cqc_request(review))["visit_actions"]
    assert not plain["visit_id"].isin(earlier["visit_id"]).any()
    assert "from_earlier_visit" not in plain
    asked = cqc_extracts(review, cqc_request(review, open_actions=True))["visit_actions"]
    marked = asked[asked["from_earlier_visit"]]
    assert sorted(zip(marked["visit_id"], marked["ref"], strict=True)) == sorted(
        zip(earlier["visit_id"], earlier["ref"], strict=True)
    )


def test_a_whole_trust_request_gets_trust_level_items_of_the_period():
    review = open_review("RHM", "2024/25", DATA, "2025-03-31")
    raw = CqcResponse(review, cqc_request(review)).raw
    region = review.region
    assert not raw["nets"].empty
    days = published(raw["nets"]["year"], "NETS", region)
    assert ((days >= "2024-04-01") & (days <= "2025-03-31")).all()
    assert not raw["lda_compliance"].empty and set(raw["lda_compliance"]["year"]) == {"2024/25"}
    assert (year_end(raw["lda_compliance"]["year"]) <= "2025-03-31").all()
    quarters = raw["guardian"]["quarter"]
    assert set(quarters) == {f"2024/25 Q{n}" for n in range(1, 5)}
    assert (quarter_end(quarters) <= "2025-03-31").all()


def test_the_position_is_judged_at_the_end_of_the_period(rhm):
    response = CqcResponse(
        rhm, cqc_request(rhm, period_start="2025-04-01", period_end="2025-07-31")
    )
    assert response.judged_at == dt.date(2025, 7, 31)
    assert response.at_end.as_at == dt.date(2025, 7, 31)
    # RHM-R007 was opened in July and RHM-V005 held in August: the visit is not in the bundle.
    assert "RHM-V005" not in set(response.raw["visits"]["visit_id"])
    later = pd.to_datetime(response.raw["visit_actions"]["closed"]).dropna()
    assert (later <= pd.Timestamp("2025-07-31")).all()


# --------------------------------------------------------------------------- presentation


def test_extracts_read_as_a_reader_sees_them(rhm):
    response = open_response(rhm, SAMPLE_REQUEST)
    assert list(response.extracts) == list(EXTRACTS)
    for name, frame in response.extracts.items():
        for column in frame.columns:
            assert "_" not in column and not column[:1].islower(), (name, column)
    actions = response.extracts["visit_actions"]
    assert set(actions["Kind"]) <= {
        display.label("code", k)
        for k in ("immediate mandatory requirement", "mandatory requirement", "recommendation")
    }
    assert set(response.extracts["visits"]["Type"]) <= set(
        display.VOCABULARY["visit_type"].values()
    )
    nts = response.extracts["survey_outcomes"]
    assert set(nts["Outcome"]) <= {"Red", "Green"}
    raw = response.raw["survey_outcomes"]
    # Rounded as shown: an NTS score to one place, the same figure the summary shows.
    assert (nts["Score (0-100)"] == raw["score"].round(1)).all()
    assert (nts["Score (0-100)"] * 10 % 1 == 0).all()


def test_counts_below_the_threshold_never_appear(review):
    extracts = cqc_extracts(
        review, cqc_request(review, period_start="2022-04-01", period_end="2026-03-31")
    )
    threshold = review.region.suppression.nts.threshold
    for name in ("survey_outcomes", "nets"):
        counts = extracts[name]["n"].dropna()
        assert (counts >= threshold).all(), name


def test_extracts_hold_only_the_trust(review):
    extracts = cqc_extracts(review, cqc_request(review))
    for name, frame in extracts.items():
        if "trust_code" in frame:
            assert set(frame["trust_code"]) <= {"RHU"}, name


# --------------------------------------------------------------------------- the summary


def test_the_summary_answers_the_request_and_does_not_rate_the_trust(rhm):
    response = open_response(rhm, SAMPLE_REQUEST)
    table = dict(response.request_table.itertuples(index=False, name=None))
    request = load_request(SAMPLE_REQUEST)
    assert table["Reference"] == request.reference
    assert table["Asked on"] == "29 Sep 2025"
    assert table["Period"] == "1 Apr 2025 to 30 Sep 2025"
    assert request.requester.name in table["Requested by"]
    assert table["Protective marking"] == "OFFICIAL-SENSITIVE"
    assert "OFFICIAL-SENSITIVE" in str(response.show_marking())
    rows = response.contents.set_index("file")["rows"]
    for name, frame in response.extracts.items():
        assert rows[f"extracts/{name}.csv"] == len(frame)
    words = " ".join([*response.evidence, *response.notes, *table.values()]).lower()
    assert "cqc rating" not in words and "outstanding" not in words and "positive" not in words


def test_the_evidence_counts_come_from_the_extracts(rhm):
    response = open_response(rhm, SAMPLE_REQUEST)
    raw = response.raw
    assert response.evidence[0].startswith(display.plural(len(raw["open_risks"]), "open risk"))
    assert response.evidence[1].startswith(display.plural(len(raw["visits"]), "visit"))
    red = int((raw["survey_outcomes"]["outcome_final"] == "red").sum())
    assert any(f"{red} red" in line for line in response.evidence)


# --------------------------------------------------------------------------- the bundle


def _notebook(**injected) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'trust_code: str = "RHM"  # x\nreview_year: str = "2025/26"  # x\n'
        'as_at: str = ""  # x\ndata: str = "data/sample"  # x\nrequest: str = ""  # x'
    )
    params.metadata["tags"] = ["parameters"]
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in injected.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells = [params, cell]
    return nb


def _job(path: Path):
    return types.SimpleNamespace(output=path, provenance={"data_fingerprint": "abc"})


def test_finalize_answers_the_injected_request(tmp_path):
    nb = _notebook(trust_code="RHM", as_at="2025-10-14", request=str(SAMPLE_REQUEST))
    [path] = finalize_cqc_bundle(nb, "<html><body>summary</body></html>", _job(tmp_path / "a.zip"))
    assert verify_bundle(path) == []
    files = read_bundle(path)
    readme = files["README.txt"].decode()
    assert readme.splitlines()[0] == "OFFICIAL-SENSITIVE"
    assert "CQC-INS-2025-0417" in readme and "1 Apr 2025 to 30 Sep 2025" in readme
    assert hashlib.sha256(SAMPLE_REQUEST.read_bytes()).hexdigest() in readme
    assert files["summary.html"] == b"<html><body>summary</body></html>"
    assert {f"extracts/{name}.csv" for name in EXTRACTS} <= set(files)
    header = files["extracts/visit_actions.csv"].decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Visit,Visit date,Ref,Kind,Required action")
    assert f",{SUPPRESSED}" in files["extracts/survey_outcomes.csv"].decode("utf-8-sig")


def test_finalize_without_a_request_uses_no_made_up_reference(tmp_path):
    nb = _notebook(trust_code="RHU")
    [path] = finalize_cqc_bundle(nb, "<html></html>", _job(tmp_path / "b.zip"))
    readme = read_bundle(path)["README.txt"].decode()
    assert "built without a CQC request" in readme
    assert "Reference:" not in readme and "RHU" in readme and "SYNTHETIC" in readme


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    nb = _notebook(trust_code="RHM", as_at="2025-10-14", request=str(SAMPLE_REQUEST))
    [first] = finalize_cqc_bundle(nb, "<html></html>", _job(tmp_path / "1.zip"))
    [second] = finalize_cqc_bundle(nb, "<html></html>", _job(tmp_path / "2.zip"))
    assert first.read_bytes() == second.read_bytes()
