"""CQC information requests: scope, period, suppression and the bundle hook."""

import datetime as dt
import types

import nbformat
import pandas as pd
import pytest

from qvlib.bundles import read_bundle, verify_bundle
from qvlib.cqc import EXTRACTS, cqc_extracts, cqc_request, finalize_cqc_bundle
from qvlib.errors import QvError
from qvlib.reviews import open_review


@pytest.fixture(scope="module")
def review():
    return open_review("RHU", "2025/26", "data/sample")


def test_default_request_is_the_whole_review_year(review):
    request = cqc_request(review)
    assert (request.start, request.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert request.scope == "Whole trust"


def test_extracts_hold_only_the_trust_and_every_named_extract(review):
    extracts = cqc_extracts(review, cqc_request(review))
    assert list(extracts) == list(EXTRACTS)
    for name, frame in extracts.items():
        if "trust_code" in frame:
            assert set(frame["trust_code"]) <= {"RHU"}, name


def test_no_respondent_count_below_the_threshold(review):
    extracts = cqc_extracts(review, cqc_request(review, "2022-04-01", "2026-03-31"))
    threshold = review.region.suppression.nts.threshold
    for name in ("survey_outcomes", "nets"):
        counts = extracts[name]["n"].dropna()
        assert (counts >= threshold).all(), name


def test_site_scope_and_period_filter(review):
    site = review.data.sites[0]
    request = cqc_request(review, "2025-10-01", "2026-03-31", sites=[site])
    extracts = cqc_extracts(review, request)
    for name in ("open_risks", "visits", "survey_outcomes", "good_practice"):
        assert set(extracts[name]["site"]) <= {site}, name
    visit_days = pd.to_datetime(extracts["visits"]["date"]).dt.date
    assert visit_days.between(dt.date(2025, 10, 1), dt.date(2026, 3, 31)).all()


def test_unknown_site_lists_known_sites(review):
    with pytest.raises(QvError, match="Queen Alexandra Hospital"):
        cqc_request(review, sites=["Nowhere General"])


def test_bad_period_is_a_clear_error(review):
    with pytest.raises(QvError, match="YYYY-MM-DD"):
        cqc_request(review, period_start="31/03/2026")
    with pytest.raises(QvError, match="before"):
        cqc_request(review, "2026-01-01", "2025-01-01")


def test_finalize_uses_the_notebooks_own_parameters(tmp_path, review):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'trust_code: str = "RHM"  # x\nreview_year: str = "2025/26"  # x\n'
        'data: str = "data/sample"  # x\nperiod_start: str = ""  # x\nperiod_end: str = ""  # x\n'
        "sites: list = []  # x\nspecialties: list = []  # x"
    )
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell('trust_code = "RHU"\nperiod_start = "2025-10-01"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [params, injected]
    job = types.SimpleNamespace(
        output=tmp_path / "cqc-response-bundle.zip", provenance={"data_fingerprint": "abc"}
    )
    [path] = finalize_cqc_bundle(nb, "<html><body>summary</body></html>", job)
    assert verify_bundle(path) == []
    files = read_bundle(path)
    readme = files["README.txt"].decode()
    assert "RHU" in readme and "SYNTHETIC" in readme
    assert "1 Oct 2025 to 31 Mar 2026" in readme
    assert files["summary.html"] == b"<html><body>summary</body></html>"
    assert {f"extracts/{name}.csv" for name in EXTRACTS} <= set(files)
