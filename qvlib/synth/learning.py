"""Learners, training posts, funding and exception reports of the synthetic trusts.

Numbers are calibrated to published figures where one exists (foundation
doctors per host acute trust, the grade mix of doctors in training, nursing students at a large
teaching trust, national tariffs, exception reports per trainee); every other value is an
assumption and says so.
"""

from __future__ import annotations

import numpy as np

from qvlib.synth._base import (
    CORE,
    F1,
    F2,
    GP,
    HIGHER,
    REGION_PLANTS,
    Env,
    Period,
    Plant,
    Table,
    TrustPlan,
    fy_label,
    rng_for,
)

#: Specialties hosting doctors in training by trust type, with the programme groups found there.
SPECIALTIES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "acute": [
        ("General Internal Medicine", (F1, F2, CORE, HIGHER)),
        ("General Surgery", (F1, CORE, HIGHER)),
        ("Emergency Medicine", (F2, CORE, HIGHER)),
        ("Anaesthetics", (CORE, HIGHER)),
        ("Paediatrics", (F2, HIGHER, GP)),
        ("Obstetrics and Gynaecology", (F2, HIGHER, GP)),
        ("Trauma and Orthopaedic Surgery", (F1, CORE, HIGHER)),
        ("Geriatric Medicine", (F1, CORE, HIGHER)),
        ("Intensive Care Medicine", (CORE, HIGHER)),
        ("Cardiology", (F1, HIGHER)),
    ],
    "mental health": [
        ("General Psychiatry", (F1, F2, CORE, HIGHER, GP)),
        ("Old Age Psychiatry", (F2, CORE, HIGHER)),
        ("Child and Adolescent Psychiatry", (CORE, HIGHER)),
        ("Forensic Psychiatry", (HIGHER,)),
        ("Psychiatry of Learning Disability", (HIGHER,)),
    ],
    "community": [
        ("Community Paediatrics", (HIGHER, GP)),
        ("Genito-urinary Medicine", (F2, HIGHER)),
        ("Palliative Medicine", (F2, HIGHER)),
    ],
    "ambulance": [],
}

#: Trainees per programme group in one environment at a mid-sized trust (assumption).
_ENV_TRAINEES = {F1: 8.0, F2: 6.0, CORE: 6.0, HIGHER: 7.0, GP: 4.0}

#: Non-medical placement learners: (profession group, programme, placement area, count at a
#: mid-sized trust of the type).  Assumption, except nursing students at a large teaching acute
#: trust (400+ at any time) and paramedic students (tens per cohort), which are published.
NON_MEDICAL: dict[str, list[tuple[str, str, str, float]]] = {
    "acute": [
        ("nursing", "Pre-registration nursing students", "Adult nursing", 270.0),
        ("nursing", "Nursing associate apprentices", "Adult nursing", 35.0),
        ("midwifery", "Pre-registration midwifery students", "Maternity", 45.0),
        ("allied health", "Physiotherapy students", "Therapies", 18.0),
        ("allied health", "Diagnostic radiography students", "Imaging", 16.0),
        ("pharmacy", "Foundation trainee pharmacists", "Pharmacy", 8.0),
        ("healthcare science", "Trainee clinical scientists", "Pathology", 5.0),
        ("dental", "Dental core trainees", "Oral and maxillofacial surgery", 4.0),
    ],
    "mental health": [
        ("nursing", "Pre-registration nursing students", "Mental health nursing", 140.0),
        ("nursing", "Nursing associate apprentices", "Mental health nursing", 20.0),
        ("allied health", "Occupational therapy students", "Therapies", 22.0),
        ("psychology", "Clinical psychology trainees", "Psychology", 12.0),
        ("pharmacy", "Foundation trainee pharmacists", "Pharmacy", 2.0),
    ],
    "community": [
        ("nursing", "Pre-registration nursing students", "Community nursing", 110.0),
        ("allied health", "Physiotherapy students", "Therapies", 20.0),
        ("allied health", "Podiatry students", "Podiatry", 10.0),
        ("allied health", "Speech and language therapy students", "Therapies", 9.0),
        ("other", "Healthcare support worker apprentices", "Community nursing", 15.0),
    ],
    "ambulance": [
        ("paramedic", "Paramedic students (BSc)", "Paramedic practice", 90.0),
        ("paramedic", "Apprentice paramedics", "Paramedic practice", 30.0),
        ("other", "Emergency care assistant trainees", "Paramedic practice", 25.0),
    ],
}

#: Doctors in training by grade at a mid-sized trust of each type.  Acute: ~55 F1 per host
#: trust (Wessex 367 F1 places over its acute trusts) and the grade mix of a trust with ~1,000
#: doctors in training (F1 11%, F2 11%, core 28%, specialty 45%).  Other types: assumption.
MEDICAL_GRADES: dict[str, dict[str, float]] = {
    "acute": {F1: 55.0, F2: 55.0, CORE: 140.0, HIGHER: 225.0, GP: 25.0},
    "mental health": {F1: 6.0, F2: 10.0, CORE: 25.0, HIGHER: 20.0, GP: 8.0},
    "community": {F2: 4.0, HIGHER: 10.0, GP: 6.0},
    "ambulance": {},
}
#: Learners' programme names in learners.csv for each programme group.
PROGRAMME_NAMES = {
    F1: "Foundation year 1",
    F2: "Foundation year 2",
    CORE: "Core training",
    HIGHER: "Specialty training",
    GP: "GP specialty training",
}
#: Undergraduate medical students on placement at a mid-sized acute trust (assumption).
_MEDICAL_STUDENTS = {"acute": 150.0, "mental health": 25.0, "community": 10.0, "ambulance": 0.0}
#: Share of headcount that is FTE: doctors in training are mostly full time; students are on
#: placement for part of the year (assumption).
_DOCTOR_FTE, _STUDENT_FTE = 0.92, 0.7
#: Learner numbers grow a little each year (assumption: ~3% a year).
_GROWTH = 0.03

#: National tariffs at their introduction (2019/20), GBP per FTE per year; a 2.5% a year uplift
#: (published uplifts were 2-3%) is applied from there.
_TARIFF_BASE_YEAR = 2019
_UPLIFT = 0.025
_UG_MEDICAL_TARIFF = 34_600.0
_NON_MEDICAL_TARIFF = 3_200.0
_PG_PLACEMENT_FEE = 12_400.0
#: Half of a resident doctor's basic salary, by grade (assumption from pay scales: ~£18-30k).
_SALARY_SUPPORT = {F1: 16_500.0, F2: 19_000.0, CORE: 22_000.0, HIGHER: 28_000.0, GP: 26_000.0}

#: Salary support for foundation trainee pharmacists (assumption: half the salary of two posts).
_PHARMACY_SALARY_SUPPORT = 2 * 0.5 * 34_000.0

#: Exception reports per trainee per quarter by grade (~0.15 overall, mostly F1).  The split
#: between grades and kinds is an assumption that reproduces the overall rate with the grade mix.
_EXCEPTION_RATE = {F1: 0.6, F2: 0.25, CORE: 0.12, HIGHER: 0.05, GP: 0.05}
_EXCEPTION_KINDS = (0.72, 0.23, 0.05)  # hours, education, safety (assumption)
_GRADE_LABEL = {F1: "F1", F2: "F2", CORE: "Core", HIGHER: "Specialty", GP: "GP"}


def build_envs(trust: TrustPlan, seed: int) -> None:
    """Fill ``trust.envs`` (site x specialty with trainees) and ``trust.plant``."""
    rng = rng_for(seed, trust.code, "envs")
    catalogue = SPECIALTIES[trust.type]
    if catalogue:
        for index, site in enumerate(trust.sites):
            wanted = round(3 + 2.5 * trust.size) if index == 0 else int(rng.integers(2, 4))
            if trust.type != "acute":
                wanted = 3 if index == 0 else 2
            chosen = sorted(rng.permutation(len(catalogue))[: min(wanted, len(catalogue))])
            for spec_index in chosen:
                specialty, groups = catalogue[spec_index]
                k = min(len(groups), int(rng.integers(1, 3)))
                picked = sorted(rng.choice(len(groups), size=k, replace=False))
                trainees = {
                    groups[g]: max(
                        2, round(_ENV_TRAINEES[groups[g]] * trust.size * rng.lognormal(0, 0.45))
                    )
                    for g in picked
                }
                trust.envs.append(Env(site, specialty, trainees))
    trust.plant = REGION_PLANTS.get(trust.code) or _synthetic_plant(trust, rng)
    if trust.plant is not None:
        _ensure_planted_env(trust, trust.plant)


def _synthetic_plant(trust: TrustPlan, rng: np.random.Generator) -> Plant | None:
    """Some synthetic trusts get a planted problem too (assumption: 15% of those with trainees)."""
    if not trust.code.startswith("X") or not trust.envs or rng.random() > 0.15:
        return None
    env = trust.envs[int(rng.integers(0, len(trust.envs)))]
    group = next(iter(env.trainees))
    if rng.random() < 0.5:
        return Plant(
            env.site, env.specialty, group, (1, 0), ("Workload", "Handover"), "workload", True
        )
    indicators = ("Overall Satisfaction", "Supportive Environment", "Teamwork", "Induction")
    return Plant(env.site, env.specialty, group, (0,), indicators, "bullying", False)


def _ensure_planted_env(trust: TrustPlan, plant: Plant) -> None:
    """The planted environment exists with enough trainees for a result to be reported."""
    env = next(
        (e for e in trust.envs if (e.site, e.specialty) == (plant.site, plant.specialty)), None
    )
    if env is None:
        env = Env(plant.site, plant.specialty, {})
        trust.envs.append(env)
    env.trainees[plant.programme_group] = max(env.trainees.get(plant.programme_group, 0), 9)


def gen_learners(trust: TrustPlan, period: Period, seed: int, table: Table) -> dict[str, int]:
    """Learners by profession group and programme for each financial year; returns each
    programme's headcount in the latest year (the training posts are drawn within it)."""
    rng = rng_for(seed, trust.code, "learners")
    rows = [("medical", PROGRAMME_NAMES[g], n) for g, n in MEDICAL_GRADES[trust.type].items()]
    if _MEDICAL_STUDENTS[trust.type]:
        rows.append(("medical", "Medical students (undergraduate)", _MEDICAL_STUDENTS[trust.type]))
    rows += [(group, programme, n) for group, programme, _, n in NON_MEDICAL[trust.type]]
    # Every trainee in a post at the trust's clinical learning environments is on the return.
    in_posts: dict[str, int] = {}
    for env in trust.envs:
        for grade, trainees in env.trainees.items():
            name = PROGRAMME_NAMES[grade]
            in_posts[name] = in_posts.get(name, 0) + trainees
    latest: dict[str, int] = {}
    for offset, start in enumerate(period.fy_starts):
        growth = (1 + _GROWTH) ** (offset - len(period.fy_starts) + 1)
        for group, programme, base in rows:
            headcount = max(
                int(rng.poisson(base * trust.size * growth)), in_posts.get(programme, 0)
            )
            share = (
                _DOCTOR_FTE if group == "medical" and "students" not in programme else _STUDENT_FTE
            )
            fte = round(headcount * share * rng.uniform(0.95, 1.02), 1)
            latest[programme] = headcount
            table.add(
                trust_code=trust.code,
                year=fy_label(start),
                profession_group=group,
                programme=programme,
                headcount=headcount,
                fte=fte,
            )
    return latest


def gen_programmes(trust: TrustPlan, seed: int, table: Table, headcounts: dict[str, int]) -> None:
    """Training posts and learners in post by site and specialty (the latest position).

    Non-medical learners in post at the trust's sites are a share of the programme's latest
    headcount in the learner return (assumption: 70-90% are placed at the environments the team
    monitors), so the two counts never contradict each other.
    """
    rng = rng_for(seed, trust.code, "programmes")
    for env in trust.envs:
        for group, trainees in env.trainees.items():
            posts = max(trainees, round(trainees * rng.uniform(1.0, 1.25)))
            table.add(
                trust_code=trust.code,
                site=env.site,
                profession_group="medical",
                programme=PROGRAMME_NAMES[group],
                specialty=env.specialty,
                posts=posts,
                learners_in_post=trainees,
            )
    sites = len(trust.sites)
    shares = [0.6] + [0.4 / (sites - 1)] * (sites - 1) if sites > 1 else [1.0]
    for index, site in enumerate(trust.sites):
        for group, programme, area, _ in NON_MEDICAL[trust.type]:
            placed = headcounts.get(programme, 0) * rng.uniform(0.7, 0.9)
            filled = int(placed * shares[index])
            # Some placement capacity goes unfilled (assumption: 0-15%).
            posts = max(1, round(filled * rng.uniform(1.0, 1.15)))
            table.add(
                trust_code=trust.code,
                site=site,
                profession_group=group,
                programme=programme,
                specialty=area,
                posts=posts,
                learners_in_post=filled,
            )


def gen_funding(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """Funding allocated and spent by stream and profession group for each financial year."""
    rng = rng_for(seed, trust.code, "funding")
    grades = MEDICAL_GRADES[trust.type]
    placements: dict[str, float] = {}
    for group, _, _, base in NON_MEDICAL[trust.type]:
        placements[group] = placements.get(group, 0.0) + base * _STUDENT_FTE * _NON_MEDICAL_TARIFF
    # Undergraduate medical placements; postgraduate placement fees also go to "medical".
    medical_placement = (
        _MEDICAL_STUDENTS[trust.type] * _STUDENT_FTE * _UG_MEDICAL_TARIFF
        + sum(grades.values()) * _DOCTOR_FTE * _PG_PLACEMENT_FEE
    )
    if medical_placement:
        placements = {"medical": medical_placement, **placements}
    salary = {}
    if grades:
        salary["medical"] = sum(n * _DOCTOR_FTE * _SALARY_SUPPORT[g] for g, n in grades.items())
    if any(group == "pharmacy" for group, *_ in NON_MEDICAL[trust.type]):
        salary["pharmacy"] = _PHARMACY_SALARY_SUPPORT
    main_group = next(iter(placements))
    lines = [("placement tariff", g, v) for g, v in placements.items()]
    lines += [("salary support", g, v) for g, v in salary.items()]
    # Infrastructure (libraries, simulation, education centres) and other: assumptions.
    lines.append(("education infrastructure", main_group, 450_000.0))
    lines.append(("other", "other", 120_000.0))
    for offset, start in enumerate(period.fy_starts):
        growth = (1 + _GROWTH) ** (offset - len(period.fy_starts) + 1)
        uplift = (1 + _UPLIFT) ** (start - _TARIFF_BASE_YEAR)
        for stream, group, base in lines:
            allocated = round(base * trust.size * growth * uplift * rng.uniform(0.93, 1.07))
            # Utilisation mostly 85-102%; about one line in twelve is clearly under-spent.
            if rng.random() < 1 / 12:
                use = rng.uniform(0.55, 0.8)
            else:
                use = float(np.clip(rng.normal(0.95, 0.035), 0.85, 1.02))
            table.add(
                trust_code=trust.code,
                year=fy_label(start),
                stream=stream,
                profession_group=group,
                allocated_gbp=float(allocated),
                spent_gbp=float(round(allocated * use)),
            )


def gen_exception_reports(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """Guardian of safe working hours returns: reports per quarter, grade and specialty."""
    grades = MEDICAL_GRADES[trust.type]
    specialties = list(dict.fromkeys(env.specialty for env in trust.envs))
    if not grades or not specialties:
        return
    rng = rng_for(seed, trust.code, "exception_reports")
    quarters = [f"{fy_label(start)} Q{q}" for start in period.fy_starts for q in range(1, 5)]
    planted = trust.plant.specialty if trust.plant else None
    for grade, count in grades.items():
        # A grade's reports come from the specialties where that grade works.
        where = [
            s
            for s in specialties
            if any(e.specialty == s and grade in e.trainees for e in trust.envs)
        ] or specialties
        weights = rng.dirichlet(np.full(len(where), 2.0))
        if planted in where:
            # The planted problem shows up in the guardian's returns too.
            weights[where.index(planted)] *= 2.5
        expected = np.outer(
            np.ones(len(quarters)),
            count * trust.size * _EXCEPTION_RATE[grade] * weights / weights.sum(),
        )
        totals = rng.poisson(expected)
        kinds = rng.multinomial(totals, _EXCEPTION_KINDS)
        breaches = rng.binomial(kinds[..., 0], 0.08)
        # Guardian fines for breaches of rest rules (assumption: ~£150-£600 each).
        fines = np.round(breaches * rng.uniform(150, 600, size=breaches.shape))
        for qi, quarter in enumerate(quarters):
            table.extend(
                {
                    "trust_code": trust.code,
                    "quarter": quarter,
                    "grade": _GRADE_LABEL[grade],
                    "specialty": where,
                    "hours_reports": kinds[qi, :, 0].tolist(),
                    "education_reports": kinds[qi, :, 1].tolist(),
                    "safety_reports": kinds[qi, :, 2].tolist(),
                    "fines_gbp": fines[qi].tolist(),
                }
            )
