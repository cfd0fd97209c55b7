"""Visit briefs: what a review panel reads before visiting one clinical learning environment.

A clinical learning environment is one trust x site x specialty.  There is one brief per
environment and intervention: it covers every open risk there that calls for a triggered visit
(or for a learner and educator visit), so two risks about one emergency department give one
brief.  A brief knows the environment's history: whether this is a first visit or a
**follow-up** (what the last visit of the same kind required, what is done, what is overdue or
was closed late), and every earlier visit there with its outcome.

:func:`open_brief` returns a :class:`VisitBrief` whose attributes the two brief notebooks show:
the concern and its urgency (timeline), the escalation position, the multi-professional learners
at the environment and the educators to hear, the department's guardian of safe working
exception reports, survey history, the panel, the session plan, questions from the question
bank (``parameters/question_bank.yaml``, by the concern's theme and domain), and for a learner and
educator visit the format, how learners are invited, how anonymity is kept and what happens on a
serious disclosure.  :func:`environments` is the runner's selection of briefs.

This module composes :class:`qvlib.reviews.TrustReview`; it reads no file and draws nothing.
Every figure is as at the review's date, and every threshold comes from ``parameters/``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from qvlib import display, metrics
from qvlib.errors import QvError
from qvlib.metrics.interventions import INTERVENTIONS, LEARNER_EDUCATOR, TRIGGERED, VISIT_TYPE
from qvlib.reviews import TrustReview
from qvlib.schemas import NTS_OUTCOMES, split_list
from qvlib.schemas import GoodPracticeSchema as G
from qvlib.schemas import ProgrammeSchema as P
from qvlib.schemas import RiskSchema as R
from qvlib.schemas import SurveyResultSchema as S
from qvlib.schemas import VisitSchema as V

#: Site or specialty values that mean "the whole trust" in survey rows (NETS is trust-wide).
TRUST_WIDE = frozenset({"", "all", "all sites", "all specialties", "trust-wide", "trust wide"})

#: The pack name of each intervention's brief.
BRIEF_PACKS = {
    TRIGGERED: "triggered-visit-brief",
    LEARNER_EDUCATOR: "learner-educator-visit-brief",
}

DROP_IN, GROUP = "drop-in clinic", "group meeting"
MODES = ("face-to-face", "virtual")
AUDIENCES = ("learners", "educators", "leaders")
_AUDIENCE_LABELS = {
    "learners": "Learners",
    "educators": "Educators and supervisors",
    "leaders": "Senior leaders",
}
_BELOW_BENCHMARK = ("red", "pink")
#: Longest environment slug in a file name; longer ones are cut and given a short hash.
SLUG_MAX = 80


@dataclass(frozen=True)
class _Role:
    pattern: str
    why: str


# Why each panel member is there, matched on the role's wording (roles are a setting).
_PANEL_ROLES = (
    _Role(
        r"chair|senior regional|postgraduate dean|head of school",
        "Chairs the panel; agrees the findings, the requirements and the risk's rating and "
        "Intensive Support Framework level with the trust.",
    ),
    _Role(
        r"external|specialty expert",
        "Brings an independent view of what good {specialty} training looks like elsewhere, "
        "and tests the trust's explanations against it.",
    ),
    _Role(
        r"\blay\b",
        "Brings an independent, public view; checks that learners are heard fairly and that "
        "the findings follow from the evidence.",
    ),
    _Role(
        r"learner|trainee|student",
        "Helps learners speak openly and checks the panel's findings against learners' experience.",
    ),
    _Role(
        r"educator|supervisor|tutor",
        "Brings the educators' view of supervision, teaching and time for training.",
    ),
    _Role(
        r"quality",
        "Prepares the evidence, records the findings and tracks the requirements that follow.",
    ),
)
# The quality framework asks for a lay member and an external expert on a triggered visit.
_REQUIRED_PANEL = {
    TRIGGERED: ((r"\blay\b", "Lay representative"), (r"external", "External specialty expert")),
    LEARNER_EDUCATOR: ((r"\blay\b", "Lay representative"),),
}


def slugify(text: str) -> str:
    """``text`` as lower-case words joined by hyphens.

    >>> slugify("A&E, Queen Alexandra Hospital")
    'a-e-queen-alexandra-hospital'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


@dataclass(frozen=True)
class Environment:
    """One clinical learning environment: trust x site x specialty.

    >>> env = Environment("RHU", "Queen Alexandra Hospital", "Emergency Medicine")
    >>> str(env)
    'Emergency Medicine at Queen Alexandra Hospital (RHU)'
    >>> env.slug
    'queen-alexandra-hospital-emergency-medicine'
    """

    trust_code: str
    site: str
    specialty: str

    def __str__(self) -> str:
        return f"{self.specialty} at {self.site} ({self.trust_code})"

    @property
    def slug(self) -> str:
        """A readable, file-safe name: site then specialty, e.g.
        ``southampton-general-hospital-general-surgery`` (cut, with a short hash, if long)."""
        slug = f"{slugify(self.site)}-{slugify(self.specialty)}"
        if len(slug) <= SLUG_MAX:
            return slug
        digest = hashlib.sha256(f"{self.site}\n{self.specialty}".encode()).hexdigest()[:8]
        return f"{slug[: SLUG_MAX - 9].rstrip('-')}-{digest}"


def _at(frame: pd.DataFrame, env: Environment) -> pd.Series:
    return (frame["site"] == env.site) & (frame["specialty"] == env.specialty)


def _trust_wide(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.casefold().isin(TRUST_WIDE)


def environments(review: TrustReview, intervention: str) -> list[Environment]:
    """The environments with an open risk calling for ``intervention``, sorted by site and
    specialty: one brief each.

    >>> from qvlib.reviews import open_review
    >>> [e.slug for e in environments(open_review("RHU", "2025/26", "data/sample"),
    ...                               "triggered visit")]
    ['queen-alexandra-hospital-emergency-medicine']
    """
    if intervention not in BRIEF_PACKS:
        raise QvError(f"no brief for {intervention!r}; briefs are for {list(BRIEF_PACKS)}")
    chosen = review.interventions[review.interventions["intervention"] == intervention]
    pairs = sorted(set(zip(chosen[R.site], chosen[R.specialty], strict=True)))
    return [Environment(review.code, site, specialty) for site, specialty in pairs]


@dataclass
class VisitBrief:
    """What a panel needs before a triggered or a learner and educator visit to one environment.

    Build one with :func:`open_brief`.  Frames are computed on first use, as at the review's
    date.

    Attributes
    ----------
    review : TrustReview
        The trust's review the brief is drawn from.
    environment : Environment
        The clinical learning environment visited.
    intervention : str
        ``"triggered visit"`` or ``"learner/educator visit"``.

    Examples
    --------
    >>> from qvlib.reviews import open_review
    >>> review = open_review("RHU", "2025/26", "data/sample")
    >>> brief = open_brief(review, "triggered visit", "Queen Alexandra Hospital",
    ...                    "Emergency Medicine")
    >>> brief.risks["risk_id"].tolist(), brief.is_follow_up
    (['RHU-R003', 'RHU-R006'], True)
    >>> brief.themes
    ['workload', 'supervision']
    >>> brief.escalation.set_index("item").loc["GMC enhanced monitoring", "position"]
    'under enhanced monitoring'
    >>> brief.questions["audience"].iloc[0]
    'Learners'
    """

    review: TrustReview
    environment: Environment
    intervention: str

    def __repr__(self) -> str:
        return f"VisitBrief({self.intervention!r}, {str(self.environment)!r})"

    @property
    def site(self) -> str:
        """The environment's site."""
        return self.environment.site

    @property
    def specialty(self) -> str:
        """The environment's specialty."""
        return self.environment.specialty

    @property
    def visit_type(self) -> str:
        """The canonical visit type of the intervention (``triggered``, ``learner_educator``)."""
        return VISIT_TYPE[self.intervention]

    @property
    def settings(self):
        """The brief's settings (``briefs.triggered_visit`` or ``briefs.learner_educator_visit``
        in region.yaml)."""
        briefs = self.review.region.briefs
        return (
            briefs.triggered_visit
            if self.intervention == TRIGGERED
            else (briefs.learner_educator_visit)
        )

    # The concern ---------------------------------------------------------------------------
    @cached_property
    def _here(self) -> pd.DataFrame:
        """Every open risk at the environment with its intervention, highest score first."""
        interventions = self.review.interventions
        here = interventions[_at(interventions, self.environment)]
        risks = self.review.risks.set_index(R.risk_id)
        extra = [
            R.learner_group,
            R.domain,
            R.source,
            R.opened,
            R.status,
            R.owner,
            R.review_due,
            "review_overdue",
            R.likelihood,
            R.consequence,
            R.escalated,
            "rating_source",
        ]
        out = here.join(risks[extra], on=R.risk_id)
        out[R.escalated] = out[R.escalated].fillna("not escalated")
        return out.sort_values(["score", R.risk_id], ascending=[False, True]).reset_index(drop=True)

    @cached_property
    def risks(self) -> pd.DataFrame:
        """The open risks at the environment that call for this brief's intervention, highest
        score first: the risks the visit is about.

        Columns: those of :attr:`qvlib.reviews.TrustReview.interventions` plus ``learner_group,
        domain, source, opened, status, owner, review_due, review_overdue, likelihood,
        consequence, escalated, rating_source``.
        """
        return self._here[self._here["intervention"] == self.intervention].reset_index(drop=True)

    @cached_property
    def other_risks(self) -> pd.DataFrame:
        """Other open risks at the environment (which call for another intervention)."""
        return self._here[self._here["intervention"] != self.intervention].reset_index(drop=True)

    @cached_property
    def lead_risk(self) -> pd.Series | None:
        """The highest-scoring of :attr:`risks` (``None`` for a brief on request)."""
        return self.risks.iloc[0] if len(self.risks) else None

    @cached_property
    def themes(self) -> list[str]:
        """The themes of the brief's risks, in order of first appearance (highest score first)."""
        return list(dict.fromkeys(self.risks[R.theme].dropna()))

    @cached_property
    def overview(self) -> pd.DataFrame:
        """The environment and its concern as ``item, detail`` rows, for the brief's top."""
        env = self.environment
        rows = [
            ("Trust", f"{self.review.name} ({env.trust_code})"),
            ("Clinical learning environment", f"{env.specialty} at {env.site}"),
            ("Visit", "Follow-up visit" if self.is_follow_up else "First visit of this kind"),
            ("Learners in post", self._learners_text()),
        ]
        if self.lead_risk is None:
            rows.append(("Open risks", "None calling for this visit: brief prepared on request"))
        else:
            ids = ", ".join(self.risks[R.risk_id])
            rows += [
                (
                    "Risks the visit is about",
                    f"{display.plural(len(self.risks), 'open risk')}: {ids}",
                ),
                ("Highest rating", _rating(self.lead_risk)),
                ("Why this visit", self.lead_risk["reason"]),
                ("Patient-safety impact", "Yes" if self.risks[R.patient_safety].any() else "No"),
            ]
        rows.append(("As at", display.fmt_date(self.review.as_at)))
        return pd.DataFrame(rows, columns=["item", "detail"])

    def _learners_text(self) -> str:
        posts = self.posts
        if posts.empty:
            return "No training posts recorded here"
        return (
            f"{int(posts[P.learners_in_post].sum())} in {int(posts[P.posts].sum())} posts "
            f"({display.plural(len(posts), 'programme')})"
        )

    # History -------------------------------------------------------------------------------
    @cached_property
    def history(self) -> pd.DataFrame:
        """Every visit held by the as-at date at the environment or linked to its risks, newest
        first: the visit's columns plus ``visit_label`` (readable type), ``why_listed`` and
        ``panel`` (roles, comma-separated)."""
        visits = self.review.visits
        risk_ids = set(self._here[R.risk_id]) | set(
            self.review.risks.loc[_at(self.review.risks, self.environment), R.risk_id]
        )
        linked = visits[V.linked_risk_ids].map(lambda v: sorted(split_list(v) & risk_ids))
        here = _at(visits, self.environment)
        chosen = visits[here | linked.map(bool)].copy()
        chosen["visit_label"] = [display.label("visit_type", t) for t in chosen[V.visit_type]]
        chosen["why_listed"] = [
            "at this environment" if at else f"linked to {', '.join(ids)}"
            for at, ids in zip(here[chosen.index], linked[chosen.index], strict=True)
        ]
        chosen["panel"] = chosen[V.panel_roles].map(
            lambda v: ", ".join(p.strip() for p in v.split(";")) if isinstance(v, str) else v
        )
        return chosen.sort_values([V.date, V.visit_id], ascending=False).reset_index(drop=True)

    @cached_property
    def previous(self) -> pd.Series | None:
        """The latest earlier visit of this brief's kind to the environment (``None`` if none)."""
        same = self.history[self.history[V.visit_type] == self.visit_type]
        return same.iloc[0] if len(same) else None

    @property
    def is_follow_up(self) -> bool:
        """Whether a visit of this kind has already been held here: this one follows it up."""
        return self.previous is not None

    @cached_property
    def actions(self) -> pd.DataFrame:
        """Requirements and recommendations of :attr:`history` with their RAG status at the
        as-at date: open first, then by due date (columns of
        :attr:`qvlib.reviews.TrustReview.actions`)."""
        actions = self.review.actions
        chosen = actions[actions[V.visit_id].isin(self.history[V.visit_id])].copy()
        chosen["_closed"] = ~chosen["is_open"]
        chosen = chosen.sort_values(["_closed", "due", V.visit_id, "ref"])
        return chosen.drop(columns="_closed").reset_index(drop=True)

    @cached_property
    def follow_up(self) -> pd.DataFrame:
        """What the previous visit of this kind required and where each stands: its
        requirements and recommendations with ``rag`` (red, amber, green, closed, closed late)
        and the evidence accepted.  Empty for a first visit."""
        if self.previous is None:
            return self.actions.iloc[0:0]
        return self.actions[self.actions[V.visit_id] == self.previous[V.visit_id]].reset_index(
            drop=True
        )

    @cached_property
    def follow_up_summary(self) -> str:
        """The follow-up position in one sentence (or why this is a first visit)."""
        if self.previous is None:
            return (
                f"No {display.label('intervention', self.intervention).lower()} has been held "
                "at this environment before: this is a first visit."
            )
        prev = self.previous
        done = self.follow_up
        counts = done["rag"].value_counts()
        parts = [f"{n} {rag}" for rag, n in counts.items()]
        found = display.plural(
            len(done), "requirement or recommendation", "requirements and recommendations"
        )
        return (
            f"Follow-up of {prev[V.visit_id]} ({display.fmt_date(prev[V.date])}): {found}"
            f" ({', '.join(parts) if parts else 'none recorded'}). Outcome then: "
            f"{prev[V.outcome_summary]}"
        )

    # Urgency -------------------------------------------------------------------------------
    @cached_property
    def trigger_date(self) -> pd.Timestamp | None:
        """When the environment's concern called for this visit: the earliest day one of
        :attr:`risks` was rated so (from the risk history where the data has one, else the day
        the risk opened); after a previous visit of this kind, the day after that visit at the
        earliest."""
        if self.lead_risk is None:
            return None
        history = self.review.known_table("risk_history")
        dates = []
        for risk in self.risks.itertuples():
            entries = history[history["risk_id"] == risk.risk_id]
            first = pd.Timestamp(risk.opened)
            for entry in entries.sort_values("date").itertuples():
                score = int(entry.likelihood) * int(entry.consequence)
                band = metrics.calc_risk_band(score, self.review.region)
                kind, _ = metrics.recommend_intervention(
                    band, score, risk.patient_safety, risk.theme, self.review.region
                )
                if kind == self.intervention:
                    first = pd.Timestamp(entry.date)
                    break
            dates.append(first)
        trigger = min(dates)
        if self.previous is not None:
            trigger = max(trigger, pd.Timestamp(self.previous[V.date]) + pd.Timedelta(days=1))
        return trigger

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """The visit's timeline: ``step, date, status``.

        A first visit: the day the concern called for it (:attr:`trigger_date`) and the date to
        hold it by (``target_working_days`` later).  A follow-up: the previous visit, each of
        its requirements' due dates with where they stand (closed, closed late, open,
        overdue), and the date to follow up by (the last of those due dates).  Then, for
        either, immediate mandatory requirements within ``immediate_requirement_working_days``
        of the visit and the report within ``report_working_days`` (working days, bank holidays
        excluded).
        """
        region = self.review.region
        when = pd.Timestamp(self.review.as_at)
        rows = []
        target = None
        if self.previous is not None:
            prev = self.previous
            label = display.label("visit_type", self.visit_type)
            rows.append((f"Previous {label.lower()} ({prev[V.visit_id]})", prev[V.date], "held"))
            for action in self.follow_up.itertuples():
                rows.append(
                    (
                        f"{action.ref} ({action.kind}) due",
                        action.due,
                        display.label("rag", action.rag),
                    )
                )
            if len(self.follow_up):
                target = self.follow_up["due"].max()
            step = "Follow up by (the last requirement's due date)"
        elif self.trigger_date is not None:
            rows.append(("Concern calls for this visit", self.trigger_date, "raised"))
            step = f"Hold the visit by ({self.settings.target_working_days} working days)"
        if target is None and self.trigger_date is not None:
            holidays = region.calendar.closed_days(when.year - 2, when.year + 2)
            target = _working_days_after(
                self.trigger_date, self.settings.target_working_days, holidays
            )
        if target is not None:
            rows.append((step, target, "overdue" if target < when else "due"))
        days = region.immediate_requirement_working_days
        rows.append(
            (
                f"Immediate mandatory requirements: within {days} working days of the visit",
                pd.NaT,
                "after the visit",
            )
        )
        rows.append(
            (
                f"Report to the trust: within {self.settings.report_working_days} working days "
                "of the visit",
                pd.NaT,
                "after the visit",
            )
        )
        return pd.DataFrame(rows, columns=["step", "date", "status"])

    # Escalation ----------------------------------------------------------------------------
    @cached_property
    def escalation(self) -> pd.DataFrame:
        """Where the concern stands in escalation: ``item, position`` rows (Intensive Support
        Framework level, significant concerns register, GMC enhanced monitoring, board)."""
        risks = self.risks if len(self.risks) else self._here
        levels = self.review.region.risk.isf_levels
        present = [lvl for lvl in risks[R.isf_level].dropna() if lvl in levels]
        top = max(present, key=levels.index) if present else None
        escalated = set(risks[R.escalated].dropna())
        register = "significant concerns register" in escalated
        gmc = "GMC enhanced monitoring" in escalated
        board = register or gmc or (top is not None and levels.index(top) >= 2)
        rows = [
            ("Intensive Support Framework level", top or "not set"),
            ("Significant concerns register", "on the register" if register else "not on it"),
            ("GMC enhanced monitoring", "under enhanced monitoring" if gmc else "not under it"),
            (
                "Trust board",
                "the concern should be reported to the trust board and the region's quality "
                "committee"
                if board
                else "reported through the trust's education governance",
            ),
        ]
        return pd.DataFrame(rows, columns=["item", "position"])

    # Learners and educators ---------------------------------------------------------------
    @cached_property
    def posts(self) -> pd.DataFrame:
        """Training programmes at the environment: ``profession_group, programme, posts,
        learners_in_post`` (as currently recorded)."""
        programmes = self.review.known_table("programmes")
        here = programmes[_at(programmes, self.environment)]
        columns = [P.profession_group, P.programme, P.posts, P.learners_in_post]
        return here[columns].reset_index(drop=True)

    @cached_property
    def learners_in_post(self) -> int:
        """Learners in post at the environment (0 when no programme is recorded)."""
        return int(self.posts[P.learners_in_post].sum())

    @cached_property
    def learners(self) -> pd.DataFrame:
        """Every learner group at the environment, multi-professional: ``profession_group,
        programme, posts, learners_in_post, named_in`` (risks naming the group).  Groups named
        in a risk but with no recorded post are listed too, once each."""
        posts = self.posts.assign(named_in="")
        named = self._here.groupby(R.learner_group, sort=False)[R.risk_id].agg(", ".join)
        rows = []
        programmes = set(posts[P.programme])
        for group, ids in named.items():
            match = (
                posts[P.programme]
                .str.casefold()
                .str.contains(re.escape(group.split(" ")[0].casefold()))
            )
            if match.any():
                posts.loc[match, "named_in"] = ids
            elif group not in programmes:
                rows.append(
                    {
                        P.profession_group: None,
                        P.programme: group,
                        P.posts: None,
                        P.learners_in_post: None,
                        "named_in": ids,
                    }
                )
        frame = pd.concat([posts, pd.DataFrame(rows, columns=posts.columns)], ignore_index=True)
        return frame.astype({P.posts: "Int64", P.learners_in_post: "Int64"})

    @cached_property
    def educators(self) -> pd.DataFrame:
        """Who to hear for the educators' view: ``role, why``, from the professions at the
        environment."""
        rows = [
            (
                "Clinical and educational supervisors in " + self.specialty,
                "They supervise the learners day to day and set their learning.",
            ),
        ]
        professions = set(self.posts[P.profession_group])
        if "medical" in professions or not professions:
            rows += [
                (
                    "College tutor or training programme director",
                    "Responsible for the specialty's training programme locally.",
                ),
                (
                    "Director of medical education",
                    "Accountable for postgraduate medical education at the trust.",
                ),
            ]
        if professions - {"medical", "dental"}:
            rows.append(
                (
                    "Practice education lead",
                    "Responsible for non-medical learners' placements and their support.",
                )
            )
        return pd.DataFrame(rows, columns=["role", "why"])

    @cached_property
    def guardian(self) -> pd.DataFrame:
        """The department's guardian of safe working exception reports per quarter known at the
        as-at date (the returns are by specialty for the whole trust): ``quarter,
        hours_reports, education_reports, safety_reports``; the last four quarters."""
        reports = self.review.known_table("exception_reports")
        own = reports[reports["specialty"] == self.specialty]
        columns = ["hours_reports", "education_reports", "safety_reports"]
        by_quarter = own.groupby("quarter", as_index=False)[columns].sum()
        return by_quarter.sort_values("quarter").tail(4).reset_index(drop=True)

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts_history(self) -> pd.DataFrame:
        """GMC NTS results for the environment, every year published by the as-at date,
        suppressed as in the review (``n``, score and interval blank below the threshold).
        Columns: ``year, site, specialty, programme_group, indicator, n, score, ci_lower,
        ci_upper, benchmark_mean, outcome_final, suppressed``."""
        nts = self.review.nts
        here = nts[_at(nts, self.environment)]
        columns = [
            S.year,
            S.site,
            S.specialty,
            S.programme_group,
            S.indicator,
            S.n,
            S.score,
            S.ci_lower,
            S.ci_upper,
            S.benchmark_mean,
            "outcome_final",
            "suppressed",
        ]
        return here.sort_values([S.year, S.programme_group], kind="stable")[columns].reset_index(
            drop=True
        )

    @cached_property
    def nts_counts(self) -> pd.DataFrame:
        """Number of the environment's NTS results of each outcome, per year."""
        if self.nts_history.empty:
            return pd.DataFrame(columns=[S.year, *NTS_OUTCOMES, "total"])
        return metrics.calc_outcome_counts(self.nts_history, by=(S.year,))

    @cached_property
    def nts_below_benchmark(self) -> pd.DataFrame:
        """The environment's red and pink NTS results, latest year first."""
        below = self.nts_history[self.nts_history["outcome_final"].isin(_BELOW_BENCHMARK)]
        return below.sort_values(S.year, ascending=False, kind="stable").reset_index(drop=True)

    @cached_property
    def nets_groups(self) -> list[str]:
        """The NETS learner groups shown: those of the professions with posts here (NETS is
        published for the whole trust by learner group)."""
        nets = self._nets_rows()
        groups = sorted(nets[S.programme_group].unique())
        professions = [p.casefold() for p in self.posts[P.profession_group].unique()]
        matched = [g for g in groups if any(g.casefold().startswith(p) for p in professions)]
        return matched or groups

    @cached_property
    def nets(self) -> pd.DataFrame:
        """NETS % positive by year and theme for :attr:`nets_groups`, suppressed."""
        rows = self._nets_rows()
        rows = rows[rows[S.programme_group].isin(self.nets_groups)]
        return metrics.calc_nets_positive(rows, self.review.region)

    def _nets_rows(self) -> pd.DataFrame:
        results = self.review.known_table("survey_results")
        nets = results[results[S.survey] == "NETS"]
        site_ok = (nets[S.site] == self.site) | _trust_wide(nets[S.site])
        specialty_ok = (nets[S.specialty] == self.specialty) | _trust_wide(nets[S.specialty])
        return nets[site_ok & specialty_ok]

    # Good practice ------------------------------------------------------------------------
    @cached_property
    def good_practice(self) -> pd.DataFrame:
        """Good practice by the as-at date at the same site or in the same specialty, with
        ``match`` ("this environment", "same specialty", "same site"); closest, then newest."""
        practice = self.review.known_table("good_practice")
        same_site = practice[G.site] == self.site
        same_specialty = practice[G.specialty] == self.specialty
        chosen = practice[same_site | same_specialty].copy()
        both = same_site[chosen.index] & same_specialty[chosen.index]
        chosen["_rank"] = (~both).astype(int) + (~same_specialty[chosen.index]).astype(int)
        labels = {0: "this environment", 1: "same specialty", 2: "same site"}
        chosen["match"] = chosen["_rank"].map(labels)
        chosen = chosen.sort_values(["_rank", G.date], ascending=[True, False])
        return chosen.drop(columns="_rank").reset_index(drop=True)

    # Panel, sessions and questions ---------------------------------------------------------
    @cached_property
    def panel(self) -> pd.DataFrame:
        """The suggested review panel: ``role, why`` (roles from the brief's settings; a
        required member missing from them is added, with a note)."""
        roles = list(self.settings.panel)
        rows = [(role, _panel_why(role, self.specialty)) for role in roles]
        for pattern, role in _REQUIRED_PANEL[self.intervention]:
            if not any(re.search(pattern, r, re.IGNORECASE) for r in roles):
                note = " (Added: the quality framework asks for one; it is not in region.yaml.)"
                rows.append((role, _panel_why(role, self.specialty) + note))
        return pd.DataFrame(rows, columns=["role", "why"])

    @cached_property
    def session_plan(self) -> pd.DataFrame:
        """The triggered visit's sessions: ``session, who, minutes, purpose``; the learners'
        session names the learner groups at the environment."""
        groups = [g for g in self.learners[P.programme].dropna()]
        learners = ", ".join(groups) if groups else "learners at the environment"
        who = {
            "Learners": learners,
            "Educators and supervisors": ", ".join(self.educators["role"]),
            "Senior leaders": "Medical director, director of medical education, chief nurse, "
            f"clinical director for {self.specialty}",
            "Panel discussion": "Panel only",
            "Feedback to the executive": "Chief executive (or deputy) and the senior leaders",
        }
        rows = [
            (s.session, who.get(s.session, ""), s.minutes, s.purpose)
            for s in self.review.region.briefs.triggered_visit.sessions
        ]
        return pd.DataFrame(rows, columns=["session", "who", "minutes", "purpose"])

    @cached_property
    def questions(self) -> pd.DataFrame:
        """Questions for the panel: ``ref, audience, source, question``, first those of the
        concern's themes (by audience: learners, educators, senior leaders), then those of its
        quality framework domains, from ``parameters/question_bank.yaml``."""
        bank = self.review.region.question_bank
        rows = []
        for audience in AUDIENCES:
            for theme in self.themes:
                for question in bank.themes.get(theme, {}).get(audience, []):
                    rows.append((_AUDIENCE_LABELS[audience], f"theme: {theme}", question))
        domains = list(dict.fromkeys(self.risks[R.domain])) or list(bank.domains)
        for domain in domains:
            for question in bank.domains.get(domain, []):
                rows.append(("Anyone", f"domain: {domain}", question))
        frame = pd.DataFrame(rows, columns=["audience", "source", "question"])
        frame.insert(0, "ref", [f"Q{i}" for i in range(1, len(frame) + 1)])
        return frame

    # Learner and educator visits -----------------------------------------------------------
    @cached_property
    def recommended_format(self) -> str:
        """The recommended format and mode, e.g. "drop-in clinic, face-to-face"."""
        return f"{self._recommended[0]}, {self.review.region.learner_educator_formats.mode}"

    @cached_property
    def _recommended(self) -> tuple[str, str]:
        """The recommended format and why, from the concern's themes and the group's size."""
        settings = self.review.region.learner_educator_formats
        listed = self.review.region.interventions.learner_educator_themes
        sensitive = {t.strip().casefold() for t in listed}
        themes = sorted(
            {t for t in self._here[R.theme].dropna() if t.strip().casefold() in sensitive}
        )
        reasons = []
        if themes:
            reasons.append(f"the concern is about {' and '.join(themes)}")
        learners = self.learners_in_post
        if not self.posts.empty and learners < settings.small_group_below:
            reasons.append(
                f"the group is small ({learners} learners in post, fewer than "
                f"{settings.small_group_below})"
            )
        if reasons:
            because = " and ".join(reasons)
            return DROP_IN, (
                f"{because[0].upper()}{because[1:]}, so learners should be able to speak "
                "individually and in confidence."
            )
        return GROUP, (
            "The concern is not a sensitive one and the group is large enough for "
            "learners to speak without being identified; a group hears more learners in the time."
        )

    @cached_property
    def formats(self) -> pd.DataFrame:
        """Format options for meeting learners: ``format, mode, advice, recommended, why``."""
        recommended, reason = self._recommended
        mode = self.review.region.learner_educator_formats.mode
        general = {
            (DROP_IN, "face-to-face"): "Learners come one at a time to a private room on site; "
            "the most confidential way to raise a concern about colleagues.",
            (DROP_IN, "virtual"): "One-to-one video slots, easy to reach from nights, leave or "
            "another site; learners can join without being seen arriving.",
            (GROUP, "face-to-face"): "Hears many learners at once and lets them build on each "
            "other's points; suits shared concerns such as rotas, teaching or induction.",
            (GROUP, "virtual"): "Easy to join across sites and shifts, but harder to read the "
            "room and to keep what is said confidential.",
        }
        rows = []
        for fmt in (DROP_IN, GROUP):
            for option in MODES:
                if fmt == recommended and option == mode:
                    advice, why = "recommended", f"{reason} {general[fmt, option]}"
                elif fmt == recommended:
                    advice, why = "offer alongside", general[fmt, option]
                else:
                    advice, why = "alternative", general[fmt, option]
                rows.append((fmt, option, advice, advice == "recommended", why))
        return pd.DataFrame(rows, columns=["format", "mode", "advice", "recommended", "why"])

    @cached_property
    def anonymity(self) -> pd.DataFrame:
        """How anonymity is kept and what happens on a serious disclosure, in plain words:
        ``promise, detail``."""
        suppression = self.review.region.suppression
        smallest = min(suppression.nts.threshold, suppression.nets.threshold)
        rows = [
            (
                "Nobody is named",
                "What learners and educators say is written up as themes. No name, grade, rota or "
                "shift that could point to a person appears in the report.",
            ),
            (
                "Small groups are not reported on their own",
                f"A point raised by fewer than {smallest} people is reported only together with "
                "other points, never as a finding about one session or group.",
            ),
            (
                "Figures never identify anyone",
                f"Survey figures from fewer than {smallest} respondents are shown as "
                f"'{suppression.marker}', never as a number.",
            ),
            (
                "Learners and managers are heard apart",
                "No supervisor or manager of the learners attends a learner session.",
            ),
            (
                "Notes stay with the quality team",
                "Attendance lists and notes are not shared with the trust.",
            ),
            (
                "If someone discloses something serious",
                self.review.region.briefs.learner_educator_visit.disclosure,
            ),
        ]
        if not self.posts.empty and self.learners_in_post < smallest:
            rows.append(
                (
                    "This group is very small",
                    f"Only {self.learners_in_post} learners are in post here: findings are "
                    "reported with the trust's other learners, not for this environment "
                    "alone.",
                )
            )
        return pd.DataFrame(rows, columns=["promise", "detail"])

    @property
    def invitation(self) -> str:
        """How learners and educators are invited (``briefs.learner_educator_visit``)."""
        return self.review.region.briefs.learner_educator_visit.invitation


def _rating(risk: pd.Series) -> str:
    return (
        f"{risk[R.risk_id]}: {display.label('code', str(risk['band']))}, score "
        f"{int(risk['score'])} (likelihood {int(risk[R.likelihood])} x consequence "
        f"{int(risk[R.consequence])})"
    )


def _panel_why(role: str, specialty: str) -> str:
    for known in _PANEL_ROLES:
        if re.search(known.pattern, role, re.IGNORECASE):
            return known.why.format(specialty=specialty)
    return "Named in the region's panel for this kind of visit."


def _working_days_after(start: pd.Timestamp, days: int, holidays) -> pd.Timestamp:
    closed = np.array([pd.Timestamp(h).date() for h in holidays], dtype="datetime64[D]")
    day = np.datetime64(pd.Timestamp(start).date(), "D")
    return pd.Timestamp(np.busday_offset(day, days, roll="backward", holidays=closed))


def open_brief(review: TrustReview, intervention: str, site: str, specialty: str) -> VisitBrief:
    """The brief for one clinical learning environment of ``review``'s trust.

    Parameters
    ----------
    review
        The trust's review (``qv.open_review(trust_code, review_year, data, as_at)``).
    intervention
        ``"triggered visit"`` or ``"learner/educator visit"``.
    site, specialty
        The environment, matched ignoring case and surrounding spaces.  An environment with no
        open risk calling for the visit gives a brief on request.

    Raises
    ------
    QvError
        For an unknown intervention, or an environment the trust's data does not name (the
        message lists the known ones).

    Examples
    --------
    >>> from qvlib.reviews import open_review
    >>> review = open_review("RHU", "2025/26", "data/sample", as_at="2025-10-14")
    >>> brief = open_brief(review, "triggered visit", " queen alexandra hospital ",
    ...                    "emergency medicine")
    >>> str(brief.environment)
    'Emergency Medicine at Queen Alexandra Hospital (RHU)'
    """
    if intervention not in BRIEF_PACKS:
        raise QvError(f"intervention {intervention!r}: briefs are for {list(INTERVENTIONS[:2])}")
    known = _known_environments(review)
    lookup = {(s.casefold(), p.casefold()): (s, p) for s, p in known}
    match = lookup.get((site.strip().casefold(), specialty.strip().casefold()))
    if match is None:
        valid = "; ".join(f"{p} at {s}" for s, p in known) or "none"
        raise QvError(
            f"trust {review.code} has no clinical learning environment {specialty!r} at "
            f"{site!r}; known environments (specialty at site): {valid}"
        )
    return VisitBrief(review, Environment(review.code, *match), intervention)


def _known_environments(review: TrustReview) -> list[tuple[str, str]]:
    """Every site x specialty the trust's data names (trust-wide survey rows excluded)."""
    names = ("risks", "programmes", "good_practice", "visits")
    frames = [review.known_table(name) for name in names]
    surveys = review.known_table("survey_results")
    frames.append(surveys[surveys[S.survey] == "NTS"])
    pairs: set[tuple[str, str]] = set()
    for frame in frames:
        both = frame[["site", "specialty"]].dropna()
        both = both[~_trust_wide(both["site"]) & ~_trust_wide(both["specialty"])]
        pairs.update(both.itertuples(index=False, name=None))
    return sorted(pairs)


def brief_environments(review: TrustReview, pack: str) -> list[dict]:
    """The briefs of kind ``pack`` a trust needs, as ``{"slug", "site", "specialty",
    "title"}`` items sorted by slug (slugs made unique).

    >>> from qvlib.reviews import open_review
    >>> review = open_review("R0D", "2025/26", "data/sample")
    >>> [b["title"] for b in brief_environments(review, "learner-educator-visit-brief")]
    ['Maternity at Royal Bournemouth Hospital']
    """
    intervention = next(k for k, name in BRIEF_PACKS.items() if name == pack)
    out, used = [], set()
    for env in environments(review, intervention):
        slug, n = env.slug, 2
        while slug in used:
            slug, n = f"{env.slug}-{n}", n + 1
        used.add(slug)
        out.append(
            {
                "slug": slug,
                "site": env.site,
                "specialty": env.specialty,
                "title": f"{env.specialty} at {env.site}",
            }
        )
    return sorted(out, key=lambda item: item["slug"])


def triggered_visit_briefs(trust_data, region, review_year: str, as_at) -> list[dict]:
    """Runner hook: the triggered-visit briefs of a trust (see :func:`brief_environments`).

    >>> from qvlib.reviews import load_cached
    >>> from qvlib.config import load_region
    >>> import datetime
    >>> data = load_cached("data/sample").trust("RHU")
    >>> [b["slug"] for b in triggered_visit_briefs(data, load_region(), "2025/26",
    ...                                            datetime.date(2026, 3, 31))]
    ['queen-alexandra-hospital-emergency-medicine']
    """
    review = _review_of(trust_data, region, review_year, as_at)
    return brief_environments(review, BRIEF_PACKS[TRIGGERED])


def learner_educator_visit_briefs(trust_data, region, review_year: str, as_at) -> list[dict]:
    """Runner hook: the learner and educator visit briefs of a trust.

    >>> from qvlib.reviews import load_cached
    >>> from qvlib.config import load_region
    >>> import datetime
    >>> data = load_cached("data/sample").trust("R0D")
    >>> [b["slug"] for b in learner_educator_visit_briefs(data, load_region(), "2025/26",
    ...                                                   datetime.date(2026, 3, 31))]
    ['royal-bournemouth-hospital-maternity']
    """
    review = _review_of(trust_data, region, review_year, as_at)
    return brief_environments(review, BRIEF_PACKS[LEARNER_EDUCATOR])


#: The last review the hooks built, with what it was built from (kept alive, compared by
#: identity): the runner asks both hooks about one trust in turn.
_LAST_REVIEW: list[tuple[Any, Any, str, Any, TrustReview]] = []


def _review_of(trust_data, region, review_year: str, as_at) -> TrustReview:
    """The trust's review for the brief hooks, built once for both."""
    if _LAST_REVIEW:
        data, config, year, when, review = _LAST_REVIEW[0]
        if data is trust_data and config is region and (year, when) == (review_year, as_at):
            return review
    review = TrustReview(trust_data, region, review_year, as_at)
    _LAST_REVIEW[:] = [(trust_data, region, review_year, as_at, review)]
    return review
