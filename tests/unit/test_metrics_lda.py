"""Tests for qvlib.metrics.lda: LDA schedule compliance counts and the non-compliant list."""

from __future__ import annotations

import pytest
from frames import lda_frame

from qvlib.metrics.lda import calc_lda_compliance, calc_lda_non_compliant

LDA = lda_frame(
    [("RHM", "2025/26", f"Item {i:02d}", "compliant", None) for i in range(1, 12)]
    + [
        ("RHM", "2025/26", "Item 12", "partial", "Induction late"),
        ("RHM", "2024/25", "Item B", "partial", None),
        ("RHM", "2024/25", "Item C", "not compliant", None),
        ("RHM", "2024/25", "Item A", "compliant", None),
    ]
)


def test_compliance_lists_all_three_statuses_with_counts_and_shares():
    out = calc_lda_compliance(LDA, "2025/26")
    assert out["status"].tolist() == ["compliant", "partial", "not compliant"]
    assert out["count"].tolist() == [11, 1, 0]
    assert out["pct"].tolist() == pytest.approx([11 / 12 * 100, 1 / 12 * 100, 0.0])


def test_year_without_items_is_empty():
    out = calc_lda_compliance(LDA, "2023/24")
    assert out.empty
    assert list(out.columns) == ["trust_code", "status", "count", "pct"]


def test_non_compliant_items_not_compliant_first_then_partial():
    out = calc_lda_non_compliant(LDA, "2024/25")
    assert out["schedule_item"].tolist() == ["Item C", "Item B"]
    assert calc_lda_non_compliant(LDA, "2025/26")["schedule_item"].tolist() == ["Item 12"]
