"""Synthetic national (public) data: Friends and Family Test, CQC ratings, NHS Staff Survey and
NHS website ratings, each shaped like its canonical dataset and calibrated to published
national figures.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from qvlib.schemas import FFT_SETTINGS as SETTING_ORDER
from qvlib.synth._base import Period, Table, TrustPlan, random_day, rng_for

#: FFT settings by trust type: (setting, responses a month at a mid-sized trust, % positive,
#: response-rate range or None when eligible is not published).  Inpatient ~1,350 a month at a
#: large acute trust (size 1.6) and ~94% positive; A&E 77-82%; maternity 88-93%; outpatients
#: 93-96%; community ~93%; mental health 81-88%; ambulance tens a month, 91-98% (NHS England
#: FFT data).  Response counts other than inpatient are assumptions.
FFT_SETTINGS: dict[str, list[tuple[str, float, float, tuple[float, float] | None]]] = {
    "acute": [
        ("inpatient", 850.0, 94.0, (0.25, 0.34)),
        ("a&e", 700.0, 79.5, (0.15, 0.19)),
        ("maternity", 110.0, 91.0, (0.2, 0.3)),
        ("outpatient", 1600.0, 94.5, None),
    ],
    "mental health": [
        ("mental health", 150.0, 85.0, None),
        ("community", 45.0, 93.0, None),
    ],
    "community": [
        ("community", 700.0, 93.0, None),
        ("outpatient", 90.0, 94.5, None),
    ],
    "ambulance": [("ambulance", 25.0, 94.0, None)],
}
#: Share of the non-positive answers: neither, poor, very poor, don't know (assumption; gives
#: ~3% negative for inpatients as published).
_OTHER_SHARES = (0.35, 0.2, 0.3, 0.15)
_VERY_GOOD_SHARE = 0.8  # of positive answers (assumption)
#: Series planted so that SPC finds something: a step down in one trust's A&E and a steady rise
#: in another's inpatient % positive (setting, kind, size in percentage points).
FFT_PLANTS = {"RHM": ("a&e", "step", -5.0), "RN5": ("inpatient", "trend", 0.6)}
_STEP_MONTHS, _TREND_MONTHS = 14, 9
_SMALL_SERIES = 60.0  # mean responses below which a few months have only 1-4 responses

CQC_SERVICE_GROUPS = {
    "acute": [
        "Urgent and emergency services",
        "Medical care (including older people's care)",
        "Surgery",
        "Maternity",
    ],
    "mental health": [
        "Acute wards for adults of working age and psychiatric intensive care units",
        "Community-based mental health services for adults of working age",
        "Wards for older people with mental health problems",
    ],
    "community": [
        "Community health services for adults",
        "Community health services for children and young people",
        "Community end of life care",
    ],
    "ambulance": [
        "Emergency and urgent care",
        "Emergency operations centre (EOC)",
        "Patient transport services",
    ],
}
_KEY_QUESTIONS = ["safe", "effective", "caring", "responsive", "well-led"]
#: Latent offsets per key question (safe weakest, caring strongest) and cut points between
#: inadequate / requires improvement / good / outstanding.  Assumption tuned so that about two
#: thirds of ratings are good and under a tenth outstanding, as CQC reports for acute core services.
_KQ_OFFSET = {"safe": -0.5, "effective": 0.05, "caring": 0.6, "responsive": -0.15, "well-led": -0.1}
_CUTS = (-2.1, -0.9, 1.3)
_RATINGS = ["inadequate", "requires improvement", "good", "outstanding"]
#: Trusts without a provider-level rating: a trust formed by merger in 2020 has none yet.
NO_PROVIDER_RATING = ("R0D",)

#: NHS Staff Survey: People Promise elements (in order) then engagement and morale, with their
#: sub-scores.
STAFF_ELEMENTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "We are compassionate and inclusive",
        (
            "Compassionate culture",
            "Compassionate leadership",
            "Diversity and equality",
            "Inclusion",
        ),
    ),
    ("We are recognised and rewarded", ()),
    ("We each have a voice that counts", ("Autonomy and control", "Raising concerns")),
    ("We are safe and healthy", ("Health and safety climate", "Burnout", "Negative experiences")),
    ("We are always learning", ("Development", "Appraisals")),
    ("We work flexibly", ("Support for work-life balance", "Flexible working")),
    ("We are a team", ("Team working", "Line management")),
    ("Staff engagement", ("Motivation", "Involvement", "Advocacy")),
    ("Morale", ("Thinking about leaving", "Work pressure", "Stressors")),
]
#: Benchmark group averages in 2022, element order as above.  Mental health: the published 2022
#: averages (published).  Acute 0.1-0.4 lower and ambulance lowest (published); the community
#: values and the exact acute and ambulance values are assumptions.
STAFF_AVERAGES = {
    "mental health": (7.5, 6.3, 7.0, 6.2, 5.6, 6.7, 7.1, 7.0, 6.0),
    "acute": (7.2, 5.9, 6.7, 5.9, 5.3, 6.2, 6.8, 6.8, 5.8),
    "community": (7.6, 6.4, 7.1, 6.4, 5.7, 6.9, 7.2, 7.1, 6.2),
    "ambulance": (6.8, 5.4, 6.3, 5.4, 4.8, 5.8, 6.3, 6.2, 5.3),
}
STAFF_GROUPS = {
    "acute": "Acute and acute & community trusts",
    "mental health": "Mental health & learning disability and mental health, learning "
    "disability & community trusts",
    "community": "Community trusts",
    "ambulance": "Ambulance trusts",
}
#: Change from 2022 by survey year (assumption: a small recovery after 2022).
_STAFF_YEAR_SHIFT = {2021: 0.05, 2022: 0.0, 2023: 0.1, 2024: 0.15}
_STAFF_FIRST_YEAR = 2021  # People Promise scores exist from the 2021 survey
_STAFF_RESPONSES = {
    "acute": 3200.0,
    "mental health": 1900.0,
    "community": 1300.0,
    "ambulance": 1700.0,
}


def gen_fft(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """Monthly FFT answer counts for each setting relevant to the trust's type."""
    rng = rng_for(seed, trust.code, "fft")
    months = period.months
    m = len(months)
    offset = 1.0 * trust.quality + rng.normal(0, 1.0)
    plant = FFT_PLANTS.get(trust.code)
    chunks = {}
    for setting, mean, positive_pct, rates in FFT_SETTINGS[trust.type]:
        level = mean * trust.size
        totals = rng.poisson(level * rng.lognormal(0, 0.08, size=m))
        pct = np.clip(positive_pct + offset + rng.normal(0, 0.6, size=m), 50, 99.5)
        exact = np.zeros(m, dtype=bool)
        if plant is not None and plant[0] == setting:
            if plant[1] == "step" and m > _STEP_MONTHS + 6:
                pct[m - _STEP_MONTHS :] += plant[2]
            elif plant[1] == "trend" and m > _TREND_MONTHS + 6:
                start = positive_pct + offset - 3.5
                pct[m - _TREND_MONTHS :] = start + plant[2] * np.arange(1, _TREND_MONTHS + 1)
                exact[m - _TREND_MONTHS :] = True
        if level < _SMALL_SERIES:
            few = rng.choice(m, size=2, replace=False)
            totals[few] = rng.integers(1, 5, size=2)
        p = np.clip(pct / 100, 0, 1)
        # Planted trend months are exact so that the rise is strict, as the SPC rule needs.
        positive = np.where(exact, np.round(totals * p), rng.binomial(totals, p)).astype(int)
        very_good = rng.binomial(positive, _VERY_GOOD_SHARE)
        others = rng.multinomial(totals - positive, _OTHER_SHARES)
        if rates is None:
            eligible = [None] * m
        else:
            eligible = np.round(totals / rng.uniform(*rates, size=m)).astype(float).tolist()
        chunks[setting] = {
            "org_code": trust.code,
            "period": months,
            "setting": setting,
            "very_good": very_good.astype(float).tolist(),
            "good": (positive - very_good).astype(float).tolist(),
            "neither": others[:, 0].astype(float).tolist(),
            "poor": others[:, 1].astype(float).tolist(),
            "very_poor": others[:, 2].astype(float).tolist(),
            "dont_know": others[:, 3].astype(float).tolist(),
            "total_responses": totals.tolist(),
            "eligible": eligible,
        }
    # Rows by setting in the schema's order, the order the published FFT files are read in.
    for setting in sorted(chunks, key=SETTING_ORDER.index):
        table.extend(chunks[setting])


def _rate(z: float) -> str:
    return _RATINGS[int(np.searchsorted(_CUTS, z))]


def _overall(ratings: list[str]) -> str:
    """Overall rating from the five key questions (a simplification of CQC's aggregation)."""
    count = {r: ratings.count(r) for r in _RATINGS}
    if count["inadequate"] >= 2:
        return "inadequate"
    if count["inadequate"] or count["requires improvement"] >= 2:
        return "requires improvement"
    if count["outstanding"] >= 2 and not count["requires improvement"]:
        return "outstanding"
    return "good"


def gen_cqc(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """Latest CQC ratings in the long shape: provider and locations x key question."""
    rng = rng_for(seed, trust.code, "cqc")
    earliest = np.datetime64("2017-01-01")
    rated_provider = trust.code not in NO_PROVIDER_RATING and not (
        trust.code.startswith("X") and rng.random() < 0.03
    )
    if rated_provider:
        ratings = [
            _rate(1.4 * trust.quality + _KQ_OFFSET[kq] + rng.normal(0, 0.35))
            for kq in _KEY_QUESTIONS
        ]
        day = random_day(rng, np.datetime64("2019-01-01"), period.end - 60 * np.timedelta64(1, "D"))
        _cqc_rows(table, trust.code, None, trust.name, "Overall", ratings, day)
    groups = CQC_SERVICE_GROUPS[trust.type]
    for index, site in enumerate(trust.sites):
        location_id = f"1-{int(rng.integers(100_000_000, 1_000_000_000))}"
        place = 0.8 * trust.quality + rng.normal(0, 0.4)
        inspected = random_day(rng, earliest, period.end - 30 * np.timedelta64(1, "D"))
        services = groups if index == 0 else [g for g in groups if rng.random() < 0.6]
        for group in ["Overall", *services]:
            ratings = [_rate(place + _KQ_OFFSET[kq] + rng.normal(0, 0.6)) for kq in _KEY_QUESTIONS]
            day = inspected
            if group != "Overall" and rng.random() < 0.4:
                # Core services not re-inspected keep the date of an earlier inspection.
                day = max(
                    earliest, inspected - int(rng.integers(365, 1100)) * np.timedelta64(1, "D")
                )
            _cqc_rows(table, trust.code, location_id, site, group, ratings, day)


def _cqc_rows(
    table: Table,
    provider: str,
    location_id: str | None,
    name: str,
    group: str,
    ratings: list[str],
    day: np.datetime64,
) -> None:
    for key_question, rating in zip(
        [*_KEY_QUESTIONS, "overall"], [*ratings, _overall(ratings)], strict=True
    ):
        table.add(
            provider_id=provider,
            location_id=location_id,
            location_name=name,
            service_group=group,
            key_question=key_question,
            rating=rating,
            publication_date=day,
        )


@lru_cache(maxsize=256)
def _staff_benchmarks(seed: int, kind: str, year: int) -> tuple[tuple, np.ndarray]:
    """National benchmark for a group and year: (element, sub-score) pairs and an array of
    best / average / worst, one row per pair, rounded as published."""
    rng = rng_for(seed, "staff-benchmark", kind, str(year))
    shift = _STAFF_YEAR_SHIFT.get(year, 0.15)
    keys, values = [], []
    for (element, subs), average in zip(STAFF_ELEMENTS, STAFF_AVERAGES[kind], strict=True):
        for sub in (None, *subs):
            avg = average + shift + (0.0 if sub is None else rng.normal(0, 0.35))
            keys.append((element, sub))
            values.append((avg + rng.uniform(0.35, 0.6), avg, avg - rng.uniform(0.45, 0.8)))
    table = np.round(np.clip(np.array(values), 0, 10), 2)
    table.flags.writeable = False
    return tuple(keys), table


def gen_staff_survey(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """People Promise elements, engagement and morale (with sub-scores) against the benchmark."""
    rng = rng_for(seed, trust.code, "staff_survey")
    years = [y for y in period.survey_years if y >= _STAFF_FIRST_YEAR]
    rows = sum(1 + len(subs) for _, subs in STAFF_ELEMENTS)
    # A trust's strengths and weaknesses persist from year to year (assumption).
    persistent = 0.18 * trust.quality + rng.normal(0, 0.12, size=rows)
    for year in years:
        keys, bench = _staff_benchmarks(seed, trust.type, year)
        best, avg, worst = bench.T
        score = np.clip(avg + persistent + rng.normal(0, 0.06, size=rows), worst, best)
        table.extend(
            {
                "org_code": trust.code,
                "year": year,
                "element": [element for element, _ in keys],
                "sub_score": [sub for _, sub in keys],
                "score": np.round(score, 2),
                "benchmark_group": STAFF_GROUPS[trust.type],
                "benchmark_best": best,
                "benchmark_average": avg,
                "benchmark_worst": worst,
                "responses": int(rng.poisson(_STAFF_RESPONSES[trust.type] * trust.size)),
            }
        )


def site_code(trust: TrustPlan, index: int) -> str:
    """The (made-up) ODS site code of the trust's ``index``-th site, counting from 1."""
    return f"{trust.code}{index:02d}"


def gen_website_ratings(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """NHS website star ratings per site, as at March of each financial year."""
    rng = rng_for(seed, trust.code, "nhs_website_ratings")
    for index, _ in enumerate(trust.sites, start=1):
        site_level = 3.6 + 0.35 * trust.quality + rng.normal(0, 0.3)
        for start in period.fy_starts:
            table.add(
                org_code=trust.code,
                site_code=site_code(trust, index),
                stars=round(float(np.clip(site_level + rng.normal(0, 0.15), 1, 5)), 1),
                ratings=int(rng.poisson(90 * trust.size)) + 1,
                period=f"{start + 1}-03",
            )
