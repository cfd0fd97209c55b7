"""Tests for qvlib.metrics.summary: a trust's headline findings, worded and ordered."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest
from frames import (
    action_row,
    cqc_frame,
    funding_frame,
    lda_frame,
    learner_frame,
    nts_row,
    risk_row,
    staff_frame,
    visit_frame,
)

from qvlib.config import load_region
from qvlib.metrics.summary import Finding, calc_trust_summary

REGION = load_region()
AS_OF = dt.date(2025, 11, 1)
YEAR = "2025/26"
QAH, SMH = "Queen Alexandra Hospital", "St Mary's Hospital"


def _risk(*args, status="open", review_due=None, **fields):
    return risk_row(
        *args,
        status=status,
        summary="s",
        opened=pd.Timestamp("2025-05-01"),
        closed=pd.Timestamp("2025-06-01") if status == "closed" else pd.NaT,
        review_due=pd.Timestamp(review_due) if review_due else pd.NaT,
        **fields,
    )


def _nts(specialty, year, outcome):
    return nts_row(QAH, specialty, "Workload", year, outcome)


def _action(ref, kind, due):
    return action_row(ref, kind, due, visit_id="T1")


def _trust(**overrides) -> SimpleNamespace:
    data = {
        "code": "RHM",
        "name": "Portsmouth Hospitals University NHS Trust",
        "risks": pd.DataFrame(
            [
                _risk("R1", QAH, "Surgery", 5, 4),  # extreme: triggered visit, none arranged
                _risk("R2", SMH, "Paediatrics", 3, 4, theme="bullying"),  # high: learner/educator
                _risk("R3", SMH, "ENT", 2, 2, review_due="2025-10-01"),  # moderate, review late
                _risk("R4", SMH, "ENT", 5, 5, status="closed"),
            ]
        ),
        "visits": visit_frame(
            [
                (
                    "T1",
                    "RHM",
                    "triggered",
                    pd.Timestamp("2025-06-02"),
                    QAH,
                    "Medicine",
                    None,
                    None,
                    "",
                ),
                ("A1", "RHM", "aeqr", pd.Timestamp("2025-10-14"), None, None, None, None, ""),
            ]
        ),
        "visit_actions": pd.DataFrame(
            [
                _action("1", "immediate mandatory requirement", "2025-06-09"),
                _action("2", "immediate mandatory requirement", "2025-06-06"),
                _action("3", "recommendation", "2026-01-01"),
            ]
        ),
        "survey_results": pd.DataFrame(
            [
                _nts("Surgery", 2024, "red"),
                _nts("Surgery", 2025, "red"),
                _nts("Medicine", 2025, "green"),
            ]
        ),
        "funding": funding_frame([("RHM", YEAR, "placement tariff", "medical", 1000.0, 960.0)]),
        "learners": learner_frame([("RHM", YEAR, "medical", "Foundation", 10, 10.0)]),
        "lda_compliance": lda_frame(
            [("RHM", YEAR, f"Item {i}", "compliant", None) for i in range(11)]
            + [("RHM", YEAR, "Item 11", "partial", None)]
        ),
        "staff_survey": pd.concat(
            [
                staff_frame(
                    [
                        ("We are always learning", None, 5.2, 6.0, 5.6, 5.0, 500),
                        ("Morale", None, 5.0, 6.2, 5.8, 5.0, 500),
                        ("Staff engagement", None, 7.0, 7.2, 6.8, 6.5, 500),
                    ]
                ),
                staff_frame([("We are a team", None, 1.0, 7.2, 6.8, 6.5, 500)], org_code="R1F"),
            ],
            ignore_index=True,
        ),
        "cqc_ratings": cqc_frame(
            [
                ("RHM", None, "Trust", "Overall", "overall", "good", pd.Timestamp("2024-05-01")),
                (
                    "RHM",
                    None,
                    "Trust",
                    "Overall",
                    "safe",
                    "requires improvement",
                    pd.Timestamp("2024-05-01"),
                ),
            ]
        ),
        "good_practice": pd.DataFrame(
            [
                ("RHM", pd.Timestamp("2025-07-01"), QAH, "Surgery", "Teaching fellows", "visit"),
                ("RHM", pd.Timestamp("2024-07-01"), QAH, "Surgery", "Older", "visit"),
            ],
            columns=["trust_code", "date", "site", "specialty", "summary", "source"],
        ),
        "hotspots": None,
        "exception_reports": None,
    }
    data.update(overrides)
    return SimpleNamespace(**data)


def _texts(findings: list[Finding]) -> dict[str, tuple[str, str]]:
    return {f.key: (f.severity, f.text) for f in findings}


def test_headlines_are_worded_for_readers():
    found = _texts(calc_trust_summary(_trust(), REGION, AS_OF, YEAR))
    assert found["risks.open"] == ("concern", "3 open risks: 1 extreme, 1 high, 1 moderate")
    assert found["interventions.triggered"] == (
        "concern",
        "1 risk needs a triggered visit (1 not yet arranged)",
    )
    assert found["risks.review_overdue"] == ("watch", "1 open risk past its review date")
    assert found["hotspots"] == (
        "concern",
        f"2 hotspots: Surgery at {QAH}; Paediatrics at {SMH}",
    )
    assert found[f"nts.persistent_red.{QAH}.Surgery"] == (
        "concern",
        f"Red NTS outcomes in Surgery at {QAH} for 2 years (Workload)",
    )
    assert found["actions.immediate_overdue"] == (
        "concern",
        "2 immediate mandatory requirements overdue",
    )
    assert found["annual_review"] == (
        "positive",
        "Annual education quality review 2025/26: 14 October 2025 (A1)",
    )
    assert found["funding.utilisation"][1] == (
        "Funding utilisation 96% in 2025/26 (£960 spent of £1,000 allocated)"
    )
    assert found["lda"] == ("watch", "LDA: 11 of 12 items compliant")
    assert found["staff_survey.We are always learning"] == (
        "watch",
        "Staff survey: 'We are always learning' 0.4 below the benchmark average",
    )
    assert found["staff_survey.Morale"][0] == "concern"  # the worst in its group
    assert found["staff_survey.above"] == (
        "positive",
        "Staff survey 2024: 1 of 3 elements above the benchmark average",
    )
    assert found["cqc.overall"] == ("positive", "CQC overall rating: good (published May 2024)")
    assert found["cqc.safe"][0] == "watch"
    assert found["good_practice"] == ("positive", "1 example of good practice noted in 2025/26")
    assert "staff_survey.We are a team" not in found  # another trust's row


def test_findings_are_ordered_concern_watch_positive_then_by_section():
    findings = calc_trust_summary(_trust(), REGION, AS_OF, YEAR)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["concern", "watch", "positive"].index)
    concerns = [f.key for f in findings if f.severity == "concern"]
    assert concerns == [
        "risks.open",
        "interventions.triggered",
        "hotspots",
        f"nts.persistent_red.{QAH}.Surgery",
        "actions.immediate_overdue",
        "staff_survey.Morale",
    ]
    again = calc_trust_summary(_trust(), REGION, AS_OF, YEAR)
    assert [(f.key, f.text) for f in again] == [(f.key, f.text) for f in findings]


def test_each_finding_carries_the_rows_behind_it():
    findings = {f.key: f for f in calc_trust_summary(_trust(), REGION, AS_OF, YEAR)}
    assert findings["interventions.triggered"].rows["risk_id"].tolist() == ["R1"]
    assert sorted(findings["actions.immediate_overdue"].rows["ref"]) == ["1", "2"]


def test_missing_datasets_leave_their_sections_out():
    t = SimpleNamespace(code="RHM", name="x", risks=_trust().risks.iloc[3:4])
    found = _texts(calc_trust_summary(t, REGION, AS_OF, YEAR))
    assert found == {"risks.open": ("positive", "No open education risks")}


def test_finding_is_frozen_and_checks_its_severity():
    finding = Finding("k", "watch", "text")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.text = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="severity"):
        Finding("k", "bad", "text")  # type: ignore[arg-type]


def test_arranged_visits_and_a_trust_without_red_outcomes():
    trust = _trust(
        survey_results=pd.DataFrame([_nts("Surgery", 2025, "green")]),
        visits=pd.concat(
            [
                _trust().visits,
                visit_frame(
                    [
                        (
                            "T2",
                            "RHM",
                            "triggered",
                            pd.Timestamp("2025-07-01"),
                            None,
                            None,
                            "R1",
                            None,
                            "",
                        )
                    ]
                ),
            ]
        ),
    )
    found = _texts(calc_trust_summary(trust, REGION, AS_OF, YEAR))
    assert found["interventions.triggered"] == (
        "watch",
        "1 risk needs a triggered visit (arranged)",
    )
    assert found["nts.latest"] == (
        "positive",
        "NTS 2025: 0 red, 0 pink, 0 light green and 1 green outcomes",
    )
    assert not any(key.startswith("nts.persistent_red") for key in found)
