"""Tests for qvlib.metrics.suppression: small numbers never reach a table or chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from qvlib.config import SuppressionRule, load_region
from qvlib.metrics import suppression as sp

REGION = load_region()
FFT_RULE = SuppressionRule(threshold=5, secondary=True)


def test_rows_below_threshold_lose_their_values_and_count():
    frame = pd.DataFrame(
        {"n": [0, 2, 3, 10], "score": [1.0, 50.0, 60.0, 70.0], "label": list("abcd")}
    )
    out = sp.suppress(frame, "n", ["score"], SuppressionRule(threshold=3))
    assert out["suppressed"].tolist() == [True, True, False, False]
    assert out["score"].isna().tolist() == [True, True, False, False]
    assert out["n"].isna().tolist() == [True, True, False, False]
    assert out["label"].tolist() == list("abcd")  # other columns untouched
    assert frame["score"].notna().all()  # input not modified


def _fft(rows):
    return pd.DataFrame(rows, columns=["org_code", "period", "setting", "total_responses", "pct"])


def test_secondary_suppression_hides_the_next_smallest_row_of_a_lone_suppressed_row():
    frame = _fft(
        [
            ("A", "2025-04", "inpatient", 3, 90.0),  # primary
            ("A", "2025-04", "a&e", 20, 80.0),
            ("A", "2025-04", "maternity", 8, 70.0),  # next smallest: secondary
            ("B", "2025-04", "inpatient", 2, 90.0),  # two primaries: nothing to add
            ("B", "2025-04", "a&e", 4, 90.0),
            ("B", "2025-04", "maternity", 50, 90.0),
            ("A", "2025-05", "inpatient", 2, 90.0),  # alone in its group
            ("C", "2025-04", "inpatient", 5, 90.0),  # 5 is shown
            ("C", "2025-04", "a&e", 6, 90.0),
        ]
    )
    out = sp.suppress(frame, "total_responses", ["pct"], FFT_RULE, ["org_code", "period"])
    assert out["suppressed"].tolist() == [True, False, True, True, True, False, True, False, False]
    assert out["pct"].isna().tolist() == out["suppressed"].tolist()


def test_secondary_picks_the_first_row_when_the_smallest_counts_tie():
    frame = _fft([("A", "m", "x", 1, 1.0), ("A", "m", "y", 9, 1.0), ("A", "m", "z", 9, 1.0)])
    out = sp.suppress(frame, "total_responses", ["pct"], FFT_RULE, ["org_code", "period"])
    assert out["suppressed"].tolist() == [True, True, False]


def test_no_secondary_suppression_without_the_rule_or_groups():
    frame = _fft([("A", "m", "x", 1, 1.0), ("A", "m", "y", 9, 1.0)])
    primary_only = SuppressionRule(threshold=5)
    out = sp.suppress(frame, "total_responses", ["pct"], primary_only, ["org_code", "period"])
    assert out["suppressed"].tolist() == [True, False]
    assert sp.suppress(frame, "total_responses", ["pct"], FFT_RULE)["suppressed"].tolist() == [
        True,
        False,
    ]


def test_an_existing_suppressed_flag_is_kept():
    frame = pd.DataFrame({"n": [10, 10], "v": [1.0, 2.0], "suppressed": [True, False]})
    out = sp.suppress(frame, "n", ["v"], SuppressionRule(threshold=3))
    assert out["suppressed"].tolist() == [True, False]
    assert out["v"].isna().tolist() == [True, False]


def test_survey_wrapper_uses_each_surveys_threshold_from_settings():
    region = REGION.model_copy(
        update={
            "suppression": REGION.suppression.model_copy(
                update={"nets": SuppressionRule(threshold=10)}
            )
        }
    )
    frame = pd.DataFrame(
        {"survey": ["NTS", "NETS", "NTS", "NETS"], "n": [3, 3, 2, 10], "score": [1.0] * 4}
    )
    out = sp.suppress_survey(frame, region)
    assert out["suppressed"].tolist() == [False, True, True, False]
    assert list(out.index) == [0, 1, 2, 3]
    assert sp.suppress_survey(frame, REGION, survey="NTS")["suppressed"].tolist() == [
        False,
        False,
        True,
        False,
    ]


def test_fft_wrapper_threshold_comes_from_settings():
    frame = _fft([("A", "m", "x", 6, 1.0), ("A", "m", "y", 60, 1.0)])
    assert not sp.suppress_fft(frame, REGION)["suppressed"].any()
    stricter = REGION.model_copy(
        update={
            "suppression": REGION.suppression.model_copy(
                update={"fft": SuppressionRule(threshold=7, secondary=True)}
            )
        }
    )
    assert sp.suppress_fft(frame, stricter)["suppressed"].tolist() == [True, True]


_rows = st.lists(
    st.tuples(st.sampled_from("ABC"), st.sampled_from(["m1", "m2"]), st.integers(0, 30)),
    max_size=25,
)


@given(_rows, st.integers(1, 12), st.booleans())
def test_suppression_invariants(rows, threshold, secondary):
    frame = pd.DataFrame(rows, columns=["org", "month", "n"]).assign(value=1.0)
    rule = SuppressionRule(threshold=threshold, secondary=secondary)
    out = sp.suppress(frame, "n", ["value"], rule, ["org", "month"])
    # Never a value (or count) shown for a row whose count is below the threshold.
    small = frame["n"] < threshold
    assert out.loc[small, "value"].isna().all()
    assert out.loc[small, "n"].isna().all()
    assert (out["value"].isna() == out["suppressed"]).all()
    if secondary:
        per_group = out.groupby(["org", "month"])["suppressed"].agg(["sum", "size"])
        assert not ((per_group["size"] >= 2) & (per_group["sum"] == 1)).any()
    else:
        assert (out["suppressed"] == small).all()
    shown = out[~out["suppressed"]]
    assert np.array_equal(shown["n"].to_numpy(), frame.loc[shown.index, "n"].to_numpy())
