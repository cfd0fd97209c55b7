"""Visit briefs: what a review panel reads before visiting one clinical learning environment.

A clinical learning environment is one trust x site x specialty.  :func:`open_brief` picks it
(from a risk, or a site and specialty "on request") and returns a :class:`VisitBrief` whose
attributes are what the triggered-visit and learner/educator visit brief notebooks show: the
concern, the environment's survey history (suppressed), earlier visits and their actions, good
practice nearby, the suggested panel, the questions by quality framework domain, and for a
learner/educator visit the learners affected, the format options and the anonymity rules.

This module composes :class:`qvlib.reviews.TrustReview` and :mod:`qvlib.metrics`; it reads no
file and draws nothing.  Every threshold comes from ``parameters/region.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from qvlib import display, metrics
from qvlib.errors import QvError
from qvlib.reviews import TrustReview
from qvlib.schemas import NTS_OUTCOMES, split_list
from qvlib.schemas import GoodPracticeSchema as G
from qvlib.schemas import ProgrammeSchema as P
from qvlib.schemas import RiskSchema as R
from qvlib.schemas import SurveyResultSchema as S
from qvlib.schemas import VisitSchema as V

#: Site or specialty values that mean "the whole trust" in survey rows (NETS is trust-wide).
TRUST_WIDE = frozenset({"", "all", "all sites", "all specialties", "trust-wide", "trust wide"})

#: Readable names of the canonical visit types.
VISIT_TYPE_LABELS = {
    "triggered": "Triggered visit",
    "learner_educator": "Learner/educator visit",
    "aeqr": "Annual education quality review",
    "desktop": "Desktop review",
}

DROP_IN, GROUP = "drop-in clinic", "group meeting"
MODES = ("face-to-face", "virtual")

_NOT_REPORTED = "not reported"
_BELOW_BENCHMARK = ("red", "pink")


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
        r"quality",
        "Prepares the evidence, records the findings and tracks the requirements that follow.",
    ),
    _Role(
        r"educator|supervisor|tutor",
        "Brings the educators' view of supervision, teaching and time for training.",
    ),
)
# The quality framework asks for a lay member and an external expert on a triggered visit.
_REQUIRED_PANEL = (
    (r"\blay\b", "Lay representative"),
    (r"external", "External specialty expert"),
)


@dataclass(frozen=True)
class Environment:
    """One clinical learning environment: trust x site x specialty."""

    trust_code: str
    site: str
    specialty: str

    def __str__(self) -> str:
        return f"{self.specialty} at {self.site} ({self.trust_code})"


@dataclass
class VisitBrief:
    """What a panel needs before a triggered or learner/educator visit to one environment.

    Build one with :func:`open_brief`.  Frames are computed on first use; dates are judged at
    ``review.as_at`` so a brief built twice says the same.

    Attributes
    ----------
    review : TrustReview
        The trust's review the brief is drawn from.
    environment : Environment
        The clinical learning environment visited.
    risk_id : str
        The risk the brief was asked for; ``""`` for a brief on request.
    """

    review: TrustReview
    environment: Environment
    risk_id: str = ""

    @property
    def site(self) -> str:
        return self.environment.site

    @property
    def specialty(self) -> str:
        return self.environment.specialty

    # The concern ---------------------------------------------------------------------------
    @cached_property
    def concern(self) -> pd.DataFrame:
        """The environment's risks: the one asked for (whatever its status) and every open one.

        Columns: ``risk_id, summary, learner_group, domain, theme, source, opened, status,
        owner, review_due, review_overdue, likelihood, consequence, score, band,
        patient_safety, isf_level, escalated, intervention, reason, covering_visit_id``.
        The risk asked for comes first, then the rest by score (highest first).  A risk with no
        recommended intervention (closed) says so; an empty ``escalated`` reads
        "not escalated".
        """
        risks = self.review.risks
        here = risks[_at(risks, self.environment)]
        chosen = here[(here[R.risk_id] == self.risk_id) | here["is_open"]]
        recommended = self.review.interventions[
            ["risk_id", "intervention", "reason", "covering_visit_id"]
        ]
        out = chosen.merge(recommended, on=R.risk_id, how="left")
        out["intervention"] = out["intervention"].fillna("none: the risk is closed")
        out[R.escalated] = out[R.escalated].fillna("not escalated")
        out["_first"] = out[R.risk_id] != self.risk_id
        out = out.sort_values(["_first", "score", R.risk_id], ascending=[True, False, True])
        columns = [
            R.risk_id,
            R.summary,
            R.learner_group,
            R.domain,
            R.theme,
            R.source,
            R.opened,
            R.status,
            R.owner,
            R.review_due,
            "review_overdue",
            R.likelihood,
            R.consequence,
            "score",
            "band",
            R.patient_safety,
            R.isf_level,
            R.escalated,
            "intervention",
            "reason",
            "covering_visit_id",
        ]
        return out[columns].reset_index(drop=True)

    @cached_property
    def lead_risk(self) -> pd.Series | None:
        """The risk the brief is about: the one asked for, else the environment's highest."""
        return self.concern.iloc[0] if not self.concern.empty else None

    @cached_property
    def other_risks(self) -> pd.DataFrame:
        """The environment's other open risks: :attr:`concern` without the lead risk."""
        return self.concern.iloc[1:].reset_index(drop=True)

    @cached_property
    def overview(self) -> pd.DataFrame:
        """The environment and its lead risk as ``item, detail`` rows, for the brief's top."""
        env = self.environment
        rows = [
            ("Trust", f"{self.review.name} ({env.trust_code})"),
            ("Site", env.site),
            ("Specialty", env.specialty),
            ("Learners in post", self._learners_text()),
        ]
        risk = self.lead_risk
        if risk is None:
            rows.append(("Open risks here", "None recorded: brief prepared on request"))
        else:
            rows += [
                ("Risk", f"{risk[R.risk_id]}: {risk[R.summary]}"),
                ("Learner group", risk[R.learner_group]),
                ("Quality framework domain", risk[R.domain]),
                (
                    "Rating",
                    f"{str(risk['band']).capitalize()}, score {int(risk['score'])} "
                    f"(likelihood {int(risk[R.likelihood])} x consequence "
                    f"{int(risk[R.consequence])})",
                ),
                ("Patient-safety impact", "Yes" if risk[R.patient_safety] else "No"),
                ("Recommended intervention", str(risk["intervention"]).capitalize()),
                ("Why", risk["reason"]),
                ("Intensive Support Framework level", risk[R.isf_level]),
                ("Escalated", risk[R.escalated]),
                ("Risk owner", risk[R.owner]),
                ("Review due", _review_due(risk)),
            ]
            others = len(self.concern) - 1
            if others:
                rows.append(("Other open risks here", f"{others} (listed below)"))
            else:
                rows.append(("Other open risks here", "None"))
        return pd.DataFrame(rows, columns=["item", "detail"])

    def _learners_text(self) -> str:
        posts = self.posts
        if posts.empty:
            return "No training posts recorded here"
        return (
            f"{int(posts[P.learners_in_post].sum())} in {int(posts[P.posts].sum())} posts "
            f"({len(posts)} programme{'s' if len(posts) != 1 else ''})"
        )

    # Surveys -------------------------------------------------------------------------------
    @cached_property
    def nts_history(self) -> pd.DataFrame:
        """GMC NTS results for the environment, every year, small numbers suppressed.

        Rows built from fewer respondents than ``suppression.nts.threshold`` have ``n``,
        ``score`` and the confidence interval blanked, ``suppressed`` true, and their outcome
        shown as "not reported" (a colour is a result too).  Columns: ``year, site, specialty,
        programme_group, indicator, n, score, ci_lower, ci_upper, benchmark_mean,
        outcome_final, suppressed``; by year, then programme group in data order.
        """
        nts = self.review.nts
        here = nts[_at(nts, self.environment)]
        shown = metrics.suppress_survey(here, self.review.region, "NTS")
        shown["outcome_final"] = shown["outcome_final"].where(~shown["suppressed"], _NOT_REPORTED)
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
        shown = shown.sort_values([S.year, S.programme_group], kind="stable")
        return shown[columns].reset_index(drop=True)

    @cached_property
    def nts_grid(self) -> pd.DataFrame:
        """:attr:`nts_history` shaped for :func:`qvlib.charts.chart_nts_heatmap`.

        The heatmap draws one row per ``specialty``; within one environment the rows that
        differ are the programme groups, so ``specialty`` holds the programme group here.
        """
        grid = self.nts_history.copy()
        grid["specialty"] = grid[S.programme_group]
        return grid

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
        """The NETS learner groups shown: those of the professions with posts here.

        NETS is published for the trust as a whole, by learner group; a group matches a
        profession when its name starts with the profession's (``Medical students`` for
        ``medical``).  With no posts recorded here, every group is shown.
        """
        nets = self._nets_rows()
        groups = sorted(nets[S.programme_group].unique())
        professions = [p.casefold() for p in self.posts[P.profession_group].unique()]
        matched = [g for g in groups if any(g.casefold().startswith(p) for p in professions)]
        return matched or groups

    @cached_property
    def nets(self) -> pd.DataFrame:
        """NETS % positive by year and theme for :attr:`nets_groups`, suppressed.

        Rows are for this site or the whole trust; see
        :func:`qvlib.metrics.calc_nets_positive` for the weighting and suppression.
        """
        rows = self._nets_rows()
        rows = rows[rows[S.programme_group].isin(self.nets_groups)]
        return metrics.calc_nets_positive(rows, self.review.region)

    def _nets_rows(self) -> pd.DataFrame:
        results = self.review.known_table("survey_results")
        nets = results[results[S.survey] == "NETS"]
        site_ok = (nets[S.site] == self.site) | _trust_wide(nets[S.site])
        specialty_ok = (nets[S.specialty] == self.specialty) | _trust_wide(nets[S.specialty])
        return nets[site_ok & specialty_ok]

    # Visits and actions --------------------------------------------------------------------
    @cached_property
    def visits(self) -> pd.DataFrame:
        """Visits held by the as-at date at this environment or linked to any of its risks.

        Columns: the visit's own plus ``visit_label`` (readable type) and ``why_listed``
        ("at this environment" or "linked to <risk ids>"); newest first.
        """
        visits = self.review.known_table("visits")
        risk_ids = set(self.review.risks.loc[_at(self.review.risks, self.environment), R.risk_id])
        linked = visits[V.linked_risk_ids].map(lambda v: sorted(split_list(v) & risk_ids))
        here = _at(visits, self.environment)
        chosen = visits[here | linked.map(bool)].copy()
        chosen["visit_label"] = chosen[V.visit_type].map(VISIT_TYPE_LABELS)
        chosen["why_listed"] = [
            "at this environment" if at else f"linked to {', '.join(ids)}"
            for at, ids in zip(here[chosen.index], linked[chosen.index], strict=True)
        ]
        chosen["panel"] = chosen[V.panel_roles].map(
            lambda v: ", ".join(p.strip() for p in v.split(";")) if isinstance(v, str) else v
        )
        return chosen.sort_values([V.date, V.visit_id], ascending=False).reset_index(drop=True)

    @cached_property
    def actions(self) -> pd.DataFrame:
        """Requirements and recommendations from :attr:`visits`: open first, then by due date.

        Columns as :attr:`qvlib.reviews.TrustReview.actions` (``status``, ``overdue``,
        ``days_overdue``, ``is_immediate``, ...) plus ``needs_attention``: still open and
        either overdue or an immediate mandatory requirement.
        """
        actions = self.review.actions
        chosen = actions[actions[V.visit_id].isin(self.visits[V.visit_id])].copy()
        chosen["needs_attention"] = (chosen["status"] != "closed") & (
            chosen["overdue"] | chosen["is_immediate"]
        )
        chosen["_closed"] = chosen["status"] == "closed"
        chosen = chosen.sort_values(["_closed", "due", V.visit_id, "ref"])
        return chosen.drop(columns="_closed").reset_index(drop=True)

    # Good practice ------------------------------------------------------------------------
    @cached_property
    def good_practice(self) -> pd.DataFrame:
        """Good practice by the as-at date at the same site or in the same specialty.

        A ``match`` column says which ("this environment", "same specialty", "same site");
        closest first, then newest.
        """
        practice = self.review.known_table("good_practice")
        same_site = practice[G.site] == self.site
        same_specialty = practice[G.specialty] == self.specialty
        chosen = practice[same_site | same_specialty].copy()
        rank = same_site[chosen.index] & same_specialty[chosen.index]
        chosen["_rank"] = (~rank).astype(int) + (~same_specialty[chosen.index]).astype(int)
        labels = {0: "this environment", 1: "same specialty", 2: "same site"}
        chosen["match"] = chosen["_rank"].map(labels)
        chosen = chosen.sort_values(["_rank", G.date], ascending=[True, False])
        return chosen.drop(columns="_rank").reset_index(drop=True)

    # Panel and questions ------------------------------------------------------------------
    @cached_property
    def panel(self) -> pd.DataFrame:
        """The suggested review panel: ``role, why``.

        Roles come from ``triggered_visit_panel`` in region.yaml, in order.  The quality
        framework asks for a lay representative and an external specialty expert; if the
        setting lacks either, it is added with a note saying so.
        """
        roles = list(self.review.region.triggered_visit_panel)
        rows = [(role, _panel_why(role, self.specialty)) for role in roles]
        for pattern, role in _REQUIRED_PANEL:
            if not any(re.search(pattern, r, re.IGNORECASE) for r in roles):
                note = " (Added: the quality framework asks for one; it is not in region.yaml.)"
                rows.append((role, _panel_why(role, self.specialty) + note))
        return pd.DataFrame(rows, columns=["role", "why"])

    @cached_property
    def checklist(self) -> pd.DataFrame:
        """Questions for the panel by quality framework domain, domains in configured order.

        Columns ``ref`` ("1.2": domain 1, question 2), ``domain``, ``question`` and ``focus``
        (the domain of one of the concern's risks).  Domains with no configured question are
        left out.
        """
        region = self.review.region
        focus = set(self.concern[R.domain])
        rows = []
        for number, domain in enumerate(region.domains, start=1):
            for index, question in enumerate(region.visit_questions.get(domain, []), start=1):
                rows.append((f"{number}.{index}", domain, question, domain in focus))
        return pd.DataFrame(rows, columns=["ref", "domain", "question", "focus"])

    # Learner/educator visits --------------------------------------------------------------
    @cached_property
    def posts(self) -> pd.DataFrame:
        """Training programmes at the environment: posts and learners in post."""
        programmes = self.review.data.programmes
        here = programmes[_at(programmes, self.environment)]
        columns = [P.profession_group, P.programme, P.posts, P.learners_in_post]
        return here[columns].reset_index(drop=True)

    @cached_property
    def learners_in_post(self) -> int:
        """Learners in post at the environment (0 when no programme is recorded)."""
        return int(self.posts[P.learners_in_post].sum())

    @cached_property
    def learner_groups(self) -> pd.DataFrame:
        """Who the visit should hear: the concern's learner groups, then the posts here.

        Columns ``group``, ``source`` (the risk ids naming the group, or "training
        programmes"), ``posts`` and ``learners_in_post`` (blank for a group named in a risk).
        """
        rows = []
        for group, risks in self.concern.groupby(R.learner_group, sort=False)[R.risk_id]:
            rows.append((group, f"named in {', '.join(risks)}", None, None))
        for post in self.posts.itertuples(index=False):
            rows.append(
                (
                    f"{post.programme} ({post.profession_group})",
                    "training programmes",
                    post.posts,
                    post.learners_in_post,
                )
            )
        frame = pd.DataFrame(rows, columns=["group", "source", "posts", "learners_in_post"])
        return frame.astype({"posts": "Int64", "learners_in_post": "Int64"})

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
            {t for t in self.concern[R.theme].dropna() if t.strip().casefold() in sensitive}
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
        """Format options for meeting learners: ``format, mode, advice, recommended, why``.

        Drop-in clinic or group meeting, each face-to-face or virtual.  A drop-in clinic is
        recommended when a risk's theme is one of ``interventions.learner_educator_themes``
        or fewer than ``small_group_below`` learners are in post; otherwise a group meeting.
        The configured ``mode`` is recommended; the same format in the other mode is offered
        alongside.
        """
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
    def anonymity_rules(self) -> pd.DataFrame:
        """Rules that keep learners anonymous, from the configured thresholds: ``rule, basis``."""
        suppression = self.review.region.suppression
        nts, nets = suppression.nts.threshold, suppression.nets.threshold
        if nts == nets:
            figures = f"No figure built from fewer than {nts} respondents is reported."
        else:
            figures = (
                f"No figure built from fewer than {nts} respondents (GMC NTS) or {nets} "
                "respondents (NETS) is reported."
            )
        smallest = min(nts, nets)
        rows = [
            (figures, "suppression thresholds in region.yaml"),
            (
                f"A suppressed figure is shown as '{suppression.marker}', never as a number.",
                "suppression marker in region.yaml",
            ),
            (
                "No free text that could identify a learner is quoted; findings are themed.",
                "visit reporting practice",
            ),
            (
                f"A point raised by fewer than {smallest} learners is reported only within a "
                "theme, never against a session, grade or rota.",
                "smallest suppression threshold in region.yaml",
            ),
            (
                "Learners and educators are met separately; no trust manager or supervisor "
                "attends a learner session.",
                "visit reporting practice",
            ),
            (
                "Attendance and notes stay with the quality team and are not shared with the "
                "trust.",
                "visit reporting practice",
            ),
        ]
        if not self.posts.empty and self.learners_in_post < smallest:
            rows.append(
                (
                    f"Only {self.learners_in_post} learners are in post here, fewer than "
                    f"{smallest}: findings are reported with the trust's other learners, not "
                    "for this environment alone.",
                    "learners in post against the smallest suppression threshold",
                )
            )
        return pd.DataFrame(rows, columns=["rule", "basis"])


def open_brief(
    review: TrustReview, risk_id: str = "", site: str = "", specialty: str = ""
) -> VisitBrief:
    """The visit brief for one clinical learning environment of ``review``'s trust.

    Parameters
    ----------
    review
        The trust's review (``qv.open_review(trust_code, review_year, data)``).
    risk_id
        The risk the visit is about; its site and specialty are the environment.  ``""`` for
        a brief on request for any environment: then give ``site`` and ``specialty``.
    site, specialty
        The environment; ``""`` takes the risk's.  Matched ignoring case and surrounding
        spaces; with a risk they must be the risk's.

    Returns
    -------
    VisitBrief

    Raises
    ------
    QvError
        If the risk is not one of the trust's (the message lists them), the environment is not
        known for the trust (the message lists the known ones), site and specialty are missing
        without a risk, or they contradict the risk's.
    """
    trust = review.code
    site, specialty, risk_id = site.strip(), specialty.strip(), risk_id.strip()
    known = _environments(review)
    if risk_id:
        risks = review.risks
        found = risks[risks[R.risk_id] == risk_id]
        if found.empty:
            valid = ", ".join(sorted(risks[R.risk_id])) or "none"
            raise QvError(
                f"risk_id {risk_id!r} is not a risk of trust {trust}; its risks are: {valid}"
            )
        risk = found.iloc[0]
        for name, given, own in (
            ("site", site, risk[R.site]),
            ("specialty", specialty, risk[R.specialty]),
        ):
            if given and given.casefold() != own.casefold():
                raise QvError(
                    f"{name} {given!r} does not match risk {risk_id}'s {name} {own!r}; leave "
                    f"{name} empty to use the risk's, or leave risk_id empty for a brief on "
                    "request"
                )
        return VisitBrief(review, Environment(trust, risk[R.site], risk[R.specialty]), risk_id)
    if not site or not specialty:
        raise QvError(
            f"give a risk_id, or both site and specialty for a brief on request (trust {trust}); "
            f"got site={site!r}, specialty={specialty!r}"
        )
    lookup = {(s.casefold(), p.casefold()): (s, p) for s, p in known}
    match = lookup.get((site.casefold(), specialty.casefold()))
    if match is None:
        valid = "; ".join(f"{p} at {s}" for s, p in known) or "none"
        raise QvError(
            f"trust {trust} has no clinical learning environment {specialty!r} at {site!r}; "
            f"known environments (specialty at site): {valid}"
        )
    return VisitBrief(review, Environment(trust, *match))


def _environments(review: TrustReview) -> list[tuple[str, str]]:
    """Every site x specialty the trust's data names, sorted (survey rows for the whole trust
    excluded)."""
    data = review.data
    frames = [data.risks, data.programmes, data.good_practice, data.visits]
    frames.append(data.survey_results[data.survey_results[S.survey] == "NTS"])
    pairs: set[tuple[str, str]] = set()
    for frame in frames:
        both = frame[["site", "specialty"]].dropna()
        both = both[~_trust_wide(both["site"]) & ~_trust_wide(both["specialty"])]
        pairs.update(both.itertuples(index=False, name=None))
    return sorted(pairs)


def _at(frame: pd.DataFrame, env: Environment) -> pd.Series:
    return (frame["site"] == env.site) & (frame["specialty"] == env.specialty)


def _trust_wide(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.casefold().isin(TRUST_WIDE)


def _panel_why(role: str, specialty: str) -> str:
    for known in _PANEL_ROLES:
        if re.search(known.pattern, role, re.IGNORECASE):
            return known.why.format(specialty=specialty)
    return "Named in the region's triggered visit panel."


def _review_due(risk: pd.Series) -> str:
    due = risk[R.review_due]
    if pd.isna(due):
        return "not set"
    return display.fmt_date(due) + (" (overdue)" if risk["review_overdue"] else "")
