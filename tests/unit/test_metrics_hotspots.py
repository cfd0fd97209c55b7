"""Tests for qvlib.metrics.hotspots: clinical learning environments meeting the hotspot rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from frames import nts_row, risk_row

from qvlib.config import load_region
from qvlib.metrics.hotspots import calc_hotspots
from qvlib.metrics.risks import calc_risks
from qvlib.metrics.surveys import calc_nts_outcome

REGION = load_region()
QAH, SMH = "Queen Alexandra Hospital", "St Mary's Hospital"
NTS = calc_nts_outcome(
    pd.DataFrame(
        [
            nts_row(QAH, "Surgery", "Workload", 2024, "red"),
            nts_row(QAH, "Surgery", "Induction", 2025, "red"),
            nts_row(QAH, "Medicine", "Workload", 2024, "white"),
            *[
                nts_row(QAH, "Medicine", ind, 2025, "red")
                for ind in ("Workload", "Induction", "Rota")
            ],
            *[nts_row(QAH, "Paediatrics", ind, 2025, "red") for ind in ("Workload", "Induction")],
            nts_row(SMH, "ENT", "Workload", 2023, "red"),
            nts_row(SMH, "ENT", "Workload", 2024, "red"),
            nts_row(SMH, "ENT", "Workload", 2025, "white"),
        ]
    ),
    REGION,
)


def _risk(*args, status="open"):
    return risk_row(*args, status=status, summary="s", opened=pd.Timestamp("2025-01-01"))


RISKS = calc_risks(
    pd.DataFrame(
        [
            _risk("R7", SMH, "Radiology", 3, 4),  # open high
            _risk("R8", SMH, "Dermatology", 2, 3),  # open moderate: not a hotspot
            _risk("R9", SMH, "Urology", 5, 5, status="closed"),  # closed
        ]
    ),
    REGION,
    dt.date(2025, 6, 1),
)
MANUAL = pd.DataFrame(
    [("RHM", QAH, "Surgery", "Rota concerns raised by the DME")],
    columns=["trust_code", "site", "specialty", "reason"],
)


def test_hotspots_and_their_reasons():
    out = calc_hotspots(NTS, RISKS, REGION, MANUAL)
    assert out[["site", "specialty"]].values.tolist() == [
        [QAH, "Medicine"],
        [QAH, "Surgery"],
        [SMH, "Radiology"],
    ]
    reasons = out.set_index("specialty")["reasons"]
    assert reasons["Medicine"] == ["3 red NTS outcomes in 2025"]
    assert reasons["Surgery"] == [
        "Red NTS outcomes in 2 consecutive years (2024-2025): Induction; Workload",
        "Listed by the quality team: Rota concerns raised by the DME",
    ]
    assert reasons["Radiology"] == ["Open high risk R7 (score 12)"]
    assert out.set_index("specialty").loc["Surgery", "reason"] == "; ".join(reasons["Surgery"])


def test_a_red_run_that_has_since_ended_is_not_a_hotspot():
    out = calc_hotspots(NTS, RISKS, REGION)
    assert "ENT" not in out["specialty"].tolist()  # red 2023-2024, white in the latest year


def test_reds_in_latest_year_threshold_comes_from_settings():
    region = REGION.model_copy(
        update={"hotspots": REGION.hotspots.model_copy(update={"reds_in_latest_year": 2})}
    )
    out = calc_hotspots(NTS, RISKS, region)
    assert "Paediatrics" in out["specialty"].tolist()
    assert "Paediatrics" not in calc_hotspots(NTS, RISKS, REGION)["specialty"].tolist()


def test_risk_bands_and_run_length_come_from_settings():
    settings = REGION.hotspots.model_copy(
        update={"risk_bands": ["moderate"], "consecutive_red_years": 3}
    )
    out = calc_hotspots(NTS, RISKS, REGION.model_copy(update={"hotspots": settings}))
    assert out["specialty"].tolist() == ["Medicine", "Dermatology"]


def test_no_data_no_hotspots():
    out = calc_hotspots(NTS.iloc[0:0], RISKS.iloc[0:0], REGION)
    assert out.empty and list(out.columns) == [
        "trust_code",
        "site",
        "specialty",
        "reasons",
        "reason",
    ]
