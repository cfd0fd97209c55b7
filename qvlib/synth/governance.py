"""The synthetic risk register, visits and their actions, self-assessment, LDA and good practice.

Identifiers carry the trust code (``RHM-R003``, ``RHM-V002``) so they are unique across trusts
and stable whatever else is generated.  Visits link only to risks of their own trust, and every
visit action points at a generated visit.  Dates are relative to the end of the review year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qvlib.config import RegionConfig
from qvlib.synth import text
from qvlib.synth._base import (
    CORE,
    F1,
    F2,
    GP,
    HIGHER,
    Period,
    Table,
    TrustPlan,
    fy_label,
    pick,
    random_day,
    rng_for,
)
from qvlib.synth.learning import NON_MEDICAL

#: Risks per trust: (open, monitoring, closed) ranges, inclusive.  Acute trusts hold ~2-5 open
#: (derived from ~25 open in a region); other types fewer (assumption).
_RISK_COUNTS = {
    "acute": ((2, 5), (0, 2), (2, 5)),
    "mental health": ((1, 2), (0, 1), (1, 3)),
    "community": ((0, 1), (0, 1), (1, 2)),
    "ambulance": ((0, 2), (0, 1), (1, 2)),
}
_MEDICAL_SOURCES = {
    "NTS": 0.34,
    "director of medical education": 0.15,
    "head of school": 0.12,
    "exception reports": 0.12,
    "learner": 0.1,
    "visit": 0.08,
    "local quality processes": 0.09,
}
_OTHER_SOURCES = {"NETS": 0.4, "learner": 0.25, "local quality processes": 0.2, "visit": 0.15}
#: Likelihood and consequence 1-5 (assumption: most risks moderate or high, a few extreme).
_LIKELIHOOD = (0.1, 0.35, 0.35, 0.15, 0.05)
_CONSEQUENCE = (0.05, 0.35, 0.4, 0.15, 0.05)
#: How a programme group is named as a learner group in the register.
_LEARNERS = {
    F1: "F1 doctors",
    F2: "F2 doctors",
    CORE: "Core trainees",
    HIGHER: "Higher specialty trainees",
    GP: "GP trainees",
}
SIGNIFICANT, ENHANCED = "significant concerns register", "GMC enhanced monitoring"
_DAY = np.timedelta64(1, "D")


@dataclass
class Risk:
    """A generated risk, kept for linking visits."""

    risk_id: str
    site: str
    specialty: str
    theme: str
    band: str
    patient_safety: bool
    opened: np.datetime64
    closed: np.datetime64 | None


def _band(region: RegionConfig, score: int) -> str:
    return next(b.name for b in region.risk.bands if b.min <= score <= b.max)


def _places(trust: TrustPlan) -> list[tuple[str, str, str, bool]]:
    """(site, specialty, learner group, medical?) where a risk may be raised."""
    places = [(e.site, e.specialty, _LEARNERS[g], True) for e in trust.envs for g in e.trainees]
    for site in trust.sites:
        places += [(site, area, prog, False) for _, prog, area, _ in NON_MEDICAL[trust.type]]
    return places


def _fill(template: str, group: str, specialty: str, site: str, medical: bool) -> str:
    """A sentence from a template: learner groups and placement areas in lower case mid-sentence
    (specialty names and 'F1'/'GP' keep their capitals), first letter capitalised."""
    filled = template.format(
        group=group if group[:2].isupper() else group[0].lower() + group[1:],
        specialty=specialty if medical else specialty.lower(),
        site=site,
    )
    return filled[0].upper() + filled[1:]


def gen_risks(
    trust: TrustPlan,
    period: Period,
    region: RegionConfig,
    seed: int,
    table: Table,
    history: Table,
) -> list[Risk]:
    """The trust's education risk register (open, monitoring and closed risks) and the dated
    history of each risk's rating."""
    rng = rng_for(seed, trust.code, "risks")
    (o_lo, o_hi), (m_lo, m_hi), (c_lo, c_hi) = _RISK_COUNTS[trust.type]
    statuses = (
        ["open"] * int(rng.integers(o_lo, o_hi + 1))
        + ["monitoring"] * int(rng.integers(m_lo, m_hi + 1))
        + ["closed"] * int(rng.integers(c_lo, c_hi + 1))
    )
    places = _places(trust)
    drafts = []
    if trust.plant is not None:
        # The planted problem is one of the open risks: extreme when it touches patient safety
        # (a triggered visit), otherwise high (4 x 3).
        p = trust.plant
        place = (p.site, p.specialty, _LEARNERS[p.programme_group], True)
        consequence = 5 if p.patient_safety else 3
        drafts.append((place, p.theme, "NTS", "open", 4, consequence, p.patient_safety))
        if "open" in statuses:
            statuses.remove("open")
    themes, weights = list(text.THEME_WEIGHTS), list(text.THEME_WEIGHTS.values())
    for status in statuses:
        place = places[int(rng.integers(0, len(places)))]
        theme = pick(rng, themes, weights)
        sources = _MEDICAL_SOURCES if place[3] else _OTHER_SOURCES
        source = pick(rng, list(sources), list(sources.values()))
        likelihood = int(rng.choice(5, p=_LIKELIHOOD)) + 1
        consequence = int(rng.choice(5, p=_CONSEQUENCE)) + 1
        safety = theme == "patient safety" or (
            theme in ("supervision", "rota gaps", "workload") and rng.random() < 0.2
        )
        if theme == "patient safety":
            consequence = min(5, consequence + 1)
        drafts.append((place, theme, source, status, likelihood, consequence, safety))

    risks: list[Risk] = []
    rows = []
    for place, theme, source, status, likelihood, consequence, safety in drafts:
        site, specialty, group, medical = place
        band = _band(region, likelihood * consequence)
        if status == "closed":
            opened = random_day(rng, period.start, period.end - 240 * _DAY)
            closed = min(opened + int(rng.integers(90, 400)) * _DAY, period.end - 30 * _DAY)
            review_due = None
        else:
            opened = random_day(rng, period.end - 540 * _DAY, period.end - 45 * _DAY)
            closed = None
            # About a quarter of reviews are overdue at the end of the review year.
            review_due = period.end + int(rng.integers(-90, 120)) * _DAY
        domain_index, summaries = text.THEMES[theme]
        summary = _fill(pick(rng, summaries), group, specialty, site, medical)
        rows.append(
            dict(
                site=site,
                specialty=specialty,
                learner_group=group,
                domain=region.domains[domain_index],
                theme=theme,
                summary=summary,
                source=source,
                opened=opened,
                likelihood=likelihood,
                consequence=consequence,
                patient_safety=safety,
                status=status,
                closed=closed,
                owner=pick(rng, text.MEDICAL_OWNERS if medical else text.OTHER_OWNERS),
                review_due=review_due,
                isf_level=_isf_level(region, band, status, rng),
                escalated=_escalation(trust, band, safety, status, (specialty, theme), rng),
            )
        )
    rows.sort(key=lambda r: (r["opened"], r["summary"]))
    history_rng = rng_for(seed, trust.code, "risk_history")
    for number, row in enumerate(rows, start=1):
        risk_id = f"{trust.code}-R{number:03d}"
        table.add(risk_id=risk_id, trust_code=trust.code, **row)
        for entry in _rating_history(row, region, period, history_rng):
            history.add(risk_id=risk_id, **entry)
        risks.append(
            Risk(
                risk_id,
                row["site"],
                row["specialty"],
                row["theme"],
                _band(region, row["likelihood"] * row["consequence"]),
                row["patient_safety"],
                row["opened"],
                row["closed"],
            )
        )
    return risks


def _rating_history(
    risk: dict, region: RegionConfig, period: Period, rng: np.random.Generator
) -> list[dict]:
    """Dated ratings of one risk, ending with its current rating (assumption: about half the
    risks were re-rated once: open ones after getting worse, closed ones after improving)."""
    current = {
        "likelihood": risk["likelihood"],
        "consequence": risk["consequence"],
        "isf_level": risk["isf_level"],
        "escalated": risk["escalated"],
    }
    opened = risk["opened"]
    last = (risk["closed"] if risk["closed"] is not None else period.end) - 10 * _DAY
    span = int((last - opened) / _DAY)
    if span < 60 or rng.random() < 0.5:
        return [{"date": opened, **current}]
    changed = opened + int(rng.integers(30, span)) * _DAY
    levels = region.risk.isf_levels
    level = levels.index(current["isf_level"]) if current["isf_level"] in levels else 0
    if risk["status"] == "closed":
        first = {**current, "likelihood": min(5, current["likelihood"] + 1)}
        first["isf_level"] = levels[min(len(levels) - 1, level + 1)]
    else:
        first = {**current, "likelihood": max(1, current["likelihood"] - 1), "escalated": None}
        first["isf_level"] = levels[max(0, level - 1)]
    return [{"date": opened, **first}, {"date": changed, **current}]


def _isf_level(region: RegionConfig, band: str, status: str, rng: np.random.Generator) -> str:
    """Intensive Support Framework level: higher for more serious open risks (assumption)."""
    levels = region.risk.isf_levels
    top = len(levels) - 1
    if status == "closed":
        return levels[0]
    step = {"low": 0, "moderate": int(rng.integers(0, 2)), "high": int(rng.integers(1, 3))}
    return levels[min(top, step.get(band, int(rng.integers(2, 4))))]


def _escalation(
    trust: TrustPlan,
    band: str,
    safety: bool,
    status: str,
    concern: tuple[str, str],
    rng: np.random.Generator,
) -> str | None:
    """Serious open concerns are escalated: long-running reds to GMC enhanced monitoring."""
    if status == "closed":
        return None
    plant = trust.plant
    if (
        plant is not None
        and concern == (plant.specialty, plant.theme)
        and len(plant.red_years) >= 3
    ):
        return ENHANCED
    if band == "extreme" and safety:
        return SIGNIFICANT
    if band in ("high", "extreme") and rng.random() < 0.15:
        return SIGNIFICANT
    return None


def gen_visits(
    trust: TrustPlan,
    risks: list[Risk],
    period: Period,
    region: RegionConfig,
    seed: int,
    visits: Table,
    actions: Table,
) -> list[tuple[str, np.datetime64]]:
    """Visits (annual reviews, triggered, learner/educator, desktop) and their actions; returns
    the annual reviews' ids and dates."""
    rng = rng_for(seed, trust.code, "visits")
    planned: list[dict] = []
    le_themes = [t.lower() for t in region.interventions.learner_educator_themes]
    for start in period.fy_starts:
        day = random_day(rng, np.datetime64(f"{start}-09-01"), np.datetime64(f"{start + 1}-02-28"))
        open_then = [r for r in risks if r.opened <= day and (r.closed is None or r.closed > day)]
        planned.append(
            dict(
                kind="aeqr",
                date=day,
                site=None,
                specialty=None,
                risks=open_then,
                panel=region.attendees.regional,
                theme=None,
            )
        )
        for _ in range(int(rng.integers(0, 2))):
            day = random_day(rng, np.datetime64(f"{start}-04-01"), np.datetime64(f"{start}-12-31"))
            # A desktop review monitors the lesser concerns open at the time.
            watched = [
                r
                for r in risks
                if r.band in ("low", "moderate")
                and r.opened <= day
                and (r.closed is None or r.closed > day)
            ]
            planned.append(
                dict(
                    kind="desktop",
                    date=day,
                    site=None,
                    specialty=None,
                    risks=watched[:3],
                    panel=list(text.DESKTOP_PANEL),
                    theme=None,
                )
            )
    for risk in risks:
        significant = risk.band in region.interventions.triggered_visit_bands or (
            risk.patient_safety
            and risk.band in region.interventions.triggered_visit_bands_with_patient_safety
        )
        if significant:
            kind, delay, panel = "triggered", (14, 45), region.briefs.triggered_visit.panel
        elif risk.theme.lower() in le_themes:
            kind, delay, panel = "learner_educator", (30, 90), list(text.LEARNER_EDUCATOR_PANEL)
        else:
            continue
        day = risk.opened + int(rng.integers(*delay)) * _DAY
        if day < period.end:
            planned.append(
                dict(
                    kind=kind,
                    date=day,
                    site=risk.site,
                    specialty=risk.specialty,
                    risks=[risk],
                    panel=panel,
                    theme=risk.theme,
                )
            )
    planned.sort(key=lambda v: (v["date"], v["kind"]))
    reviews = []
    for number, visit in enumerate(planned, start=1):
        visit_id = f"{trust.code}-V{number:03d}"
        if visit["kind"] == "aeqr":
            reviews.append((visit_id, visit["date"]))
        visits.add(
            visit_id=visit_id,
            trust_code=trust.code,
            visit_type=visit["kind"],
            date=visit["date"],
            site=visit["site"],
            specialty=visit["specialty"],
            linked_risk_ids=";".join(r.risk_id for r in visit["risks"]) or None,
            panel_roles=";".join(visit["panel"]),
            outcome_summary=text.VISIT_OUTCOMES[visit["kind"]],
        )
        _visit_actions(visit_id, visit, period, region, rng, actions)
    return reviews


def gen_meetings(
    trust: TrustPlan,
    reviews: list[tuple[str, np.datetime64]],
    period: Period,
    region: RegionConfig,
    seed: int,
    commitments: Table,
    attendees: Table,
) -> None:
    """Who attended each annual review (made-up names) and what it agreed, with progress."""
    rng = rng_for(seed, trust.code, "meetings")
    # One person per role, the same at every meeting; the region's people are the same at
    # every trust's review, and nobody holds two roles.
    everyone = [f"{first} {family}" for first in text.FIRST_NAMES for family in text.FAMILY_NAMES]
    regional = region.attendees.regional
    people = rng_for(seed, "region", "people").choice(everyone, size=len(regional), replace=False)
    others = [name for name in everyone if name not in set(people)]
    people = [*people, *rng.choice(others, size=len(region.attendees.trust), replace=False)]
    for visit_id, day in reviews:
        sides = [("region", r) for r in regional]
        sides += [("trust", r) for r in region.attendees.trust]
        away = set(rng.choice(len(sides), size=int(rng.integers(0, 3)), replace=False).tolist())
        for index, (side, role) in enumerate(sides):
            name = str(people[index])
            attendance = "apologies" if index in away else "attended"
            attendees.add(
                visit_id=visit_id, organisation=side, role=role, name=name, attendance=attendance
            )
        agreed = rng.choice(len(text.COMMITMENTS), size=int(rng.integers(3, 5)), replace=False)
        for number, item in enumerate(sorted(agreed.tolist()), start=1):
            due = day + int(rng.integers(120, 300)) * _DAY
            # Most commitments are done, some late; some run on past the data's end.
            if due + 60 * _DAY > period.end or rng.random() < 0.2:
                status, closed, progress = (
                    pick(rng, ["open", "in progress"]),
                    None,
                    None if rng.random() < 0.5 else "Plan agreed; work under way.",
                )
            else:
                closed = due + int(rng.integers(-60, 45)) * _DAY
                status, progress = "closed", "Done; evidence reviewed at the education committee."
            commitments.add(
                trust_code=trust.code,
                visit_id=visit_id,
                ref=f"C{number}",
                commitment=text.COMMITMENTS[item],
                owner=pick(rng, text.ACTION_OWNERS),
                due=due,
                status=status,
                closed=closed,
                progress=progress,
            )


#: Actions per visit type: kind -> (min, max) count (assumption).
_ACTION_MIX = {
    "triggered": {
        "immediate mandatory requirement": (1, 1),
        "mandatory requirement": (2, 3),
        "recommendation": (1, 2),
        "notable practice": (0, 1),
    },
    "learner_educator": {
        "mandatory requirement": (1, 3),
        "recommendation": (1, 2),
        "notable practice": (0, 1),
    },
    "aeqr": {"mandatory requirement": (0, 1), "recommendation": (1, 3), "notable practice": (1, 2)},
    "desktop": {"recommendation": (0, 1)},
}
_REF = {
    "immediate mandatory requirement": "IMR",
    "mandatory requirement": "MR",
    "recommendation": "R",
    "notable practice": "NP",
}
#: Days from the visit to the due date, by kind (assumption; immediate: working days from config).
_DUE = {
    "mandatory requirement": (60, 120),
    "recommendation": (90, 180),
    "notable practice": (30, 60),
}


def _visit_actions(
    visit_id: str,
    visit: dict,
    period: Period,
    region: RegionConfig,
    rng: np.random.Generator,
    actions: Table,
) -> None:
    themes = list(text.THEME_WEIGHTS)
    for kind, (lo, hi) in _ACTION_MIX[visit["kind"]].items():
        for k in range(1, int(rng.integers(lo, hi + 1)) + 1):
            theme = visit["theme"] or pick(rng, themes)
            if kind == "immediate mandatory requirement":
                days = region.immediate_requirement_working_days
                due = np.busday_offset(visit["date"], days, roll="forward")
            else:
                due = visit["date"] + int(rng.integers(*_DUE[kind])) * _DAY
            status, closed = _action_status(due, visit["date"], period, rng)
            if kind == "notable practice":
                finding = pick(rng, text.NOTABLE_PRACTICE)
                required = "Share the practice across the trust and with the region."
            else:
                finding, required = text.FINDINGS[theme], text.ACTIONS[theme]
            evidence = {
                "closed": "Action plan, audit results and learner feedback received and reviewed.",
                "in progress": "Action plan received; audit results awaited.",
            }.get(status)
            actions.add(
                visit_id=visit_id,
                ref=f"{_REF[kind]}{k}",
                kind=kind,
                domain=region.domains[text.THEMES[theme][0]],
                finding=finding,
                required_action=required,
                evidence=evidence,
                owner=pick(rng, text.ACTION_OWNERS),
                due=due,
                status=status,
                closed=closed,
            )


def _action_status(
    due: np.datetime64, visited: np.datetime64, period: Period, rng: np.random.Generator
) -> tuple[str, np.datetime64 | None]:
    """Most actions due before the end of the year are closed; some are overdue and still open."""
    if due <= period.end and rng.random() < 0.88:
        closed = min(due + int(rng.integers(-20, 15)) * _DAY, period.end)
        return "closed", max(closed, visited + _DAY)
    return ("open" if rng.random() < 0.5 else "in progress"), None


def gen_self_assessment(
    trust: TrustPlan, period: Period, region: RegionConfig, seed: int, table: Table
) -> None:
    """The trust's yearly self-rating against each quality framework domain."""
    rng = rng_for(seed, trust.code, "self_assessment")
    meets = float(np.clip(0.7 + 0.12 * trust.quality, 0.4, 0.92))
    probs = [meets, (1 - meets) * 0.8, (1 - meets) * 0.2]
    for start in period.fy_starts:
        for domain in region.domains:
            rating = pick(rng, list(text.SELF_ASSESSMENT), probs)
            table.add(
                trust_code=trust.code,
                year=fy_label(start),
                domain=domain,
                self_rating=rating,
                summary=text.SELF_ASSESSMENT[rating],
            )


def gen_lda(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """LDA schedule items (10-15 per trust) with their yearly compliance."""
    rng = rng_for(seed, trust.code, "lda")
    count = int(rng.integers(10, len(text.LDA_ITEMS) + 1))
    items = [text.LDA_ITEMS[i] for i in sorted(rng.permutation(len(text.LDA_ITEMS))[:count])]
    for start in period.fy_starts:
        for item in items:
            status = pick(rng, ["compliant", "partial", "not compliant"], [0.82, 0.14, 0.04])
            table.add(
                trust_code=trust.code,
                year=fy_label(start),
                schedule_item=item,
                status=status,
                note=text.LDA_NOTES.get(status),
            )


def gen_good_practice(trust: TrustPlan, period: Period, seed: int, table: Table) -> None:
    """Good practice noted in the trust over the period (2-5 items)."""
    rng = rng_for(seed, trust.code, "good_practice")
    places = _places(trust)
    items = []
    for _ in range(int(rng.integers(2, 6))):
        site, specialty, group, medical = places[int(rng.integers(0, len(places)))]
        summary = _fill(pick(rng, text.GOOD_PRACTICE), group, specialty, site, medical)
        items.append(
            dict(
                trust_code=trust.code,
                date=random_day(rng, period.start, period.end),
                site=site,
                specialty=specialty,
                summary=summary,
                source=pick(rng, text.GOOD_PRACTICE_SOURCES),
            )
        )
    for item in sorted(items, key=lambda i: (i["date"], i["summary"])):
        table.add(**item)
