"""Small builders of the input frames the metrics unit tests share.

Test modules import these as ``from frames import ...``: pytest puts ``tests/unit`` on
``sys.path`` because the folder has no ``__init__.py``.  Row builders return one dict with
every column in the order the loaders give it; keyword ``fields`` replace column values and
must name existing columns.
"""

from __future__ import annotations

import pandas as pd

from qvlib.config import load_region

DOMAIN = load_region().domains[0]
QAH = "Queen Alexandra Hospital"

VISIT_COLUMNS = [
    "visit_id",
    "trust_code",
    "visit_type",
    "date",
    "site",
    "specialty",
    "linked_risk_ids",
    "panel_roles",
    "outcome_summary",
]
STAFF_COLUMNS = [
    "org_code",
    "year",
    "element",
    "sub_score",
    "score",
    "benchmark_group",
    "benchmark_best",
    "benchmark_average",
    "benchmark_worst",
    "responses",
]
CQC_COLUMNS = [
    "provider_id",
    "location_id",
    "location_name",
    "service_group",
    "key_question",
    "rating",
    "publication_date",
]
FUNDING_COLUMNS = [
    "trust_code",
    "year",
    "stream",
    "profession_group",
    "allocated_gbp",
    "spent_gbp",
]
LEARNER_COLUMNS = ["trust_code", "year", "profession_group", "programme", "headcount", "fte"]
LDA_COLUMNS = ["trust_code", "year", "schedule_item", "status", "note"]


def _replace(row: dict, fields: dict) -> dict:
    unknown = set(fields) - set(row)
    if unknown:
        raise TypeError(f"not a column: {sorted(unknown)}")
    row.update(fields)
    return row


def risk_row(
    risk_id="R1", site=QAH, specialty="Surgery", likelihood=3, consequence=4, **fields
) -> dict:
    """One open education risk at RHM (opened 10 January 2025, no review date)."""
    row = {
        "risk_id": risk_id,
        "trust_code": "RHM",
        "site": site,
        "specialty": specialty,
        "learner_group": "medical",
        "domain": DOMAIN,
        "theme": "workload",
        "summary": "Rota gaps",
        "source": "NTS",
        "opened": pd.Timestamp("2025-01-10"),
        "likelihood": likelihood,
        "consequence": consequence,
        "patient_safety": False,
        "status": "open",
        "closed": pd.NaT,
        "owner": "DME",
        "review_due": pd.NaT,
        "isf_level": None,
        "escalated": None,
    }
    return _replace(row, fields)


def risk_frame(*overrides: dict) -> pd.DataFrame:
    """A risk register with one :func:`risk_row` per dict of column overrides."""
    return pd.DataFrame([risk_row(**fields) for fields in overrides])


def nts_row(
    site="QAH", specialty="Surgery", indicator="Workload", year=2025, outcome=None, **fields
) -> dict:
    """One NTS result at RHM: score 60 (CI 55-65) from 10 respondents.

    The benchmark is the same for every row: Q1 70, Q3 80, mean 75 with CI 74-76.  The
    programme group is the specialty unless ``programme_group`` is given.
    """
    row = {
        "survey": "NTS",
        "year": year,
        "trust_code": "RHM",
        "site": site,
        "programme_group": specialty,
        "specialty": specialty,
        "indicator": indicator,
        "n": 10,
        "score": 60.0,
        "ci_lower": 55.0,
        "ci_upper": 65.0,
        "benchmark_mean": 75.0,
        "benchmark_q1": 70.0,
        "benchmark_q3": 80.0,
        "benchmark_ci_lower": 74.0,
        "benchmark_ci_upper": 76.0,
        "outcome": outcome,
    }
    return _replace(row, fields)


def action_row(ref, kind, due, status="open", *, visit_id="V1") -> dict:
    """One visit action; a closed action was closed on its due date."""
    return {
        "visit_id": visit_id,
        "ref": ref,
        "kind": kind,
        "domain": DOMAIN,
        "finding": "f",
        "required_action": "a",
        "evidence": None,
        "owner": "DME",
        "due": pd.Timestamp(due),
        "status": status,
        "closed": pd.Timestamp(due) if status == "closed" else pd.NaT,
    }


def visit_frame(rows) -> pd.DataFrame:
    """Quality visits from tuples in :data:`VISIT_COLUMNS` order."""
    return pd.DataFrame(rows, columns=VISIT_COLUMNS)


def staff_frame(rows, *, org_code="RHM", year=2024) -> pd.DataFrame:
    """NHS Staff Survey results of one organisation and year in the "Acute" benchmark group.

    Each row is ``(element, sub_score, score, best, average, worst, responses)``.
    """
    return pd.DataFrame(
        [
            (org_code, year, element, sub, score, "Acute", best, avg, worst, responses)
            for element, sub, score, best, avg, worst, responses in rows
        ],
        columns=STAFF_COLUMNS,
    )


def cqc_frame(rows) -> pd.DataFrame:
    """CQC ratings from tuples in :data:`CQC_COLUMNS` order, publication dates parsed."""
    return pd.DataFrame(rows, columns=CQC_COLUMNS).assign(
        publication_date=lambda f: pd.to_datetime(f["publication_date"])
    )


def funding_frame(rows) -> pd.DataFrame:
    """Education funding from tuples in :data:`FUNDING_COLUMNS` order."""
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS)


def learner_frame(rows) -> pd.DataFrame:
    """Learner numbers from tuples in :data:`LEARNER_COLUMNS` order."""
    return pd.DataFrame(rows, columns=LEARNER_COLUMNS)


def lda_frame(rows) -> pd.DataFrame:
    """LDA schedule compliance from tuples in :data:`LDA_COLUMNS` order."""
    return pd.DataFrame(rows, columns=LDA_COLUMNS)
