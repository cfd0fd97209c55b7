"""Synthetic GMC National Training Survey (NTS) and NHS Education and Training Survey (NETS) rows.

NTS rows are by site x programme group x specialty x indicator with the national benchmark
(mean, quartiles, CI) and an outcome that follows the published rule, applied to the values as
written (rounded to 2 decimals).  Benchmarks are national: they come from their own random
stream per survey year, so they are the same whichever trusts are generated.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from qvlib.synth._base import (
    CORE,
    F1,
    F2,
    GP,
    HIGHER,
    Period,
    Table,
    TrustPlan,
    as_written,
    rng_for,
)
from qvlib.synth.learning import NON_MEDICAL

#: National mean of each NTS indicator.  Overall satisfaction (~80.5), clinical supervision
#: (~88), adequate experience (~82) and handover (~68, the lowest) follow published GMC
#: figures; the others are assumptions in the range GMC reports.
NTS_BASE = {
    "Overall Satisfaction": 80.5,
    "Clinical Supervision": 88.0,
    "Clinical Supervision out of hours": 85.0,
    "Reporting Systems": 71.0,
    "Handover": 68.0,
    "Induction": 82.0,
    "Teamwork": 74.0,
    "Supportive Environment": 72.0,
    "Workload": 47.0,
    "Educational Governance": 71.0,
    "Curriculum Coverage": 77.0,
    "Feedback": 75.0,
    "Local Teaching": 65.0,
    "Regional Teaching": 68.0,
    "Study Leave": 62.0,
    "Rota Design": 55.0,
    "Facilities": 74.0,
    "Adequate Experience": 82.0,
}
#: Offset of each programme group from the all-trainee mean (foundation ~78, core ~82, higher
#: specialty ~84 against ~80.5 overall, per GMC figures; GP is an assumption).
PG_OFFSET = {F1: -3.0, F2: -2.0, CORE: 1.5, HIGHER: 3.5, GP: 2.0}
_PGS = [F1, F2, CORE, HIGHER, GP]

#: NETS themes with the national % positive in 2023 (overall 85, supervision 88, induction 85,
#: learning opportunities 86; overall 87 in 2024); feedback and wellbeing are assumptions.
NETS_BASE = {
    "Overall experience": 85.0,
    "Supervision": 88.0,
    "Induction": 85.0,
    "Learning opportunities": 86.0,
    "Feedback": 82.0,
    "Wellbeing": 77.0,
}
#: Respondents per trust a year (~200 on average, more at teaching trusts: derived).
_NETS_RESPONDENTS = 200.0
_ALL_SITES, _ALL_SPECIALTIES = "All sites", "All specialties"
#: NETS publishes % positive and respondents only: no CI, benchmark or outcome.
_NO_BENCHMARK = (
    "ci_lower",
    "ci_upper",
    "benchmark_mean",
    "benchmark_q1",
    "benchmark_q3",
    "benchmark_ci_lower",
    "benchmark_ci_upper",
    "outcome",
)


def nts_indicators(year: int) -> list[str]:
    """The NTS indicators reported in ``year``; the list changes slightly between years.

    Assumption modelled on GMC practice: 'Rota Design' appears from 2023 and 'Reporting
    Systems' is retired after 2023.
    """
    return [
        name
        for name in NTS_BASE
        if not (name == "Rota Design" and year < 2023)
        and not (name == "Reporting Systems" and year >= 2024)
    ]


@lru_cache(maxsize=64)
def nts_benchmarks(seed: int, year: int) -> dict[tuple[str, str], tuple[float, ...]]:
    """National benchmark ``(mean, q1, q3, ci_lower, ci_upper)`` by (programme group, indicator)."""
    rng = rng_for(seed, "nts-benchmark", str(year))
    out: dict[tuple[str, str], tuple[float, ...]] = {}
    for group in _PGS:
        for indicator in NTS_BASE:
            mean = NTS_BASE[indicator] + PG_OFFSET[group] + rng.normal(0, 0.8)
            # Spread of results between posts (assumption): wider for the contested indicators.
            half_iqr = (7.0 if indicator in ("Workload", "Handover", "Rota Design") else 5.0) * (
                rng.uniform(0.85, 1.15)
            )
            ci = rng.uniform(0.3, 0.9)  # national n is large, so the benchmark CI is narrow
            values = (mean, mean - half_iqr, mean + half_iqr, mean - ci, mean + ci)
            out[group, indicator] = tuple(round(float(np.clip(v, 0, 100)), 2) for v in values)
    return out


def nts_outcomes(
    n: np.ndarray,
    score: np.ndarray,
    ci_lower: np.ndarray,
    ci_upper: np.ndarray,
    bench: np.ndarray,
    min_n: int = 3,
) -> np.ndarray:
    """The published NTS outcome of each result.

    red: mean below Q1 and its CI's upper limit below the benchmark CI's lower limit; pink: below
    Q1 with overlapping CIs; white: from Q1 to Q3; light green: above Q3, overlapping; green: above
    Q3 and its CI's lower limit above the benchmark CI's upper limit.  ``n`` below ``min_n``: not
    reported; ``n`` 0: no result.  ``bench`` columns: mean, Q1, Q3, CI lower, CI upper.
    """
    q1, q3, bench_lower, bench_upper = (bench[..., i] for i in range(1, 5))
    return np.select(
        [
            n == 0,
            n < min_n,
            (score < q1) & (ci_upper < bench_lower),
            score < q1,
            (score > q3) & (ci_lower > bench_upper),
            score > q3,
        ],
        ["no result", "not reported", "red", "pink", "green", "light green"],
        default="white",
    )


def gen_nts(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """NTS results by site x programme group x specialty x indicator for each survey year."""
    combos = [(env, group, n) for env in trust.envs for group, n in env.trainees.items()]
    if not combos:
        return
    rng = rng_for(seed, trust.code, "nts")
    count = len(combos)
    sites = np.array([env.site for env, _, _ in combos], dtype=object)
    specialties = np.array([env.specialty for env, _, _ in combos], dtype=object)
    groups = np.array([group for _, group, _ in combos], dtype=object)
    trainees = np.array([n for _, _, n in combos])
    plant = trust.plant
    planted = np.array(
        [
            plant is not None
            and (env.site, env.specialty, group)
            == (plant.site, plant.specialty, plant.programme_group)
            for env, group, _ in combos
        ]
    )
    latest = period.survey_years[-1]
    # Each post's quality drifts from year to year around the trust's level (assumption).
    level = 0.5 + 1.2 * trust.quality
    effect = rng.normal(level, 4.0, size=count)
    for year in period.survey_years:
        effect = level + 0.6 * (effect - level) + rng.normal(0, 3.2, size=count)
        indicators = nts_indicators(year)
        k = len(indicators)
        bench = nts_benchmarks(seed, year)
        b = np.array([[bench[group, ind] for ind in indicators] for group in groups])  # (C, k, 5)
        in_post = np.maximum(trainees + rng.integers(-1, 2, size=count), 1)
        base_n = rng.binomial(in_post, 0.93)  # ~93% of trainees respond
        # A few indicators are answered by fewer trainees (out of hours, regional teaching).
        fewer = np.isin(indicators, ["Clinical Supervision out of hours", "Regional Teaching"])
        n = np.maximum(base_n[:, None] - rng.integers(0, 3, size=(count, k)) * fewer, 0)
        red_year = planted & (plant is not None and latest - year in plant.red_years)
        score = b[..., 0] + (effect - 4.0 * red_year)[:, None] + rng.normal(0, 3.8, size=(count, k))
        half = 1.96 * rng.uniform(18, 24, size=(count, k)) / np.sqrt(np.maximum(n, 1))
        red = red_year[:, None] & np.isin(indicators, plant.indicators if plant else [])
        # Planted reds: below Q1 with a CI clear of the benchmark's.
        score = np.where(red, b[..., 1] - rng.uniform(6, 12, size=(count, k)), score)
        room = np.maximum(0.8 * (b[..., 3] - score), 1.0)
        half = np.where(red, np.minimum(half, room), half)
        score = as_written(np.clip(score, 0, 100))
        lower = as_written(np.clip(score - half, 0, 100))
        upper = as_written(np.clip(score + half, 0, 100))
        outcome = nts_outcomes(n, score, lower, upper, b).astype(object)
        reported = n >= 3
        # A minority of published rows lack the outcome; qv computes it.  Planted reds keep
        # theirs so the planted hotspots are visible whichever way outcomes are read.
        outcome[(rng.random(size=(count, k)) < 0.1) & ~red & reported] = None
        keep = base_n > 0  # a post with no respondent does not appear in the results
        rows = int(keep.sum()) * k

        def flat(values: np.ndarray, keep: np.ndarray = keep) -> np.ndarray:
            return values[keep].reshape(-1)

        table.extend(
            {
                "survey": ["NTS"] * rows,
                "year": year,
                "trust_code": trust.code,
                "site": np.repeat(sites[keep], k),
                "programme_group": np.repeat(groups[keep], k),
                "specialty": np.repeat(specialties[keep], k),
                "indicator": indicators * int(keep.sum()),
                "n": flat(n),
                "score": flat(np.where(reported, score, np.nan)),
                "ci_lower": flat(np.where(reported, lower, np.nan)),
                "ci_upper": flat(np.where(reported, upper, np.nan)),
                "benchmark_mean": flat(b[..., 0]),
                "benchmark_q1": flat(b[..., 1]),
                "benchmark_q3": flat(b[..., 2]),
                "benchmark_ci_lower": flat(b[..., 3]),
                "benchmark_ci_upper": flat(b[..., 4]),
                "outcome": flat(outcome),
            }
        )


def gen_nets(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """NETS % positive by learner group and theme for each survey year (trust level)."""
    rng = rng_for(seed, trust.code, "nets")
    groups: dict[str, float] = {}
    for group, _, _, count in NON_MEDICAL[trust.type]:
        label = group.capitalize()
        groups[label] = groups.get(label, 0.0) + count
    if trust.type == "acute":
        groups["Medical students"] = 150.0
    total = sum(groups.values())
    themes = list(NETS_BASE)
    trust_effect = 1.5 * trust.quality + rng.normal(0, 1.0)
    for year in period.survey_years:
        # National % positive rose by about 2 points from 2023 to 2024 (NHS England).
        year_shift = -1.0 if year <= 2023 else 1.0
        for label, count in groups.items():
            n = int(rng.poisson(_NETS_RESPONDENTS * trust.size * count / total))
            p = np.clip(
                np.array([NETS_BASE[t] for t in themes])
                + year_shift
                + trust_effect
                + rng.normal(0, 2.0, size=len(themes)),
                40,
                99,
            )
            positive = rng.binomial(n, p / 100)
            score = (
                np.round(100 * positive / max(n, 1), 1) if n >= 3 else np.full(len(themes), None)
            )
            table.extend(
                {
                    "survey": "NETS",
                    "year": year,
                    "trust_code": trust.code,
                    "site": _ALL_SITES,
                    "programme_group": label,
                    "specialty": _ALL_SPECIALTIES,
                    "indicator": themes,
                    "n": n,
                    "score": score,
                    **dict.fromkeys(_NO_BENCHMARK),
                }
            )
