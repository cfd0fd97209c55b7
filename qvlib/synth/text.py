"""Wording for the synthetic register, visits and self-assessments.

Summaries follow the common concerns found in recent regional education quality reviews:
variable induction, poor access to seniors for F1s, too few supervisors or no protected
supervisor time, workload blocking teaching, undermining and low psychological safety, unsuitable
tasks for F1s, IT and desk access, placement capacity and rota gaps.  Placeholders: ``{group}``
(learner group), ``{specialty}`` and ``{site}``.  People are named by role, never by name.
"""

from __future__ import annotations

#: Theme -> (index into region.yaml ``domains``, risk summaries).  The domain indices follow the
#: NHS England Education Quality Framework order configured in region.yaml.
THEMES: dict[str, tuple[int, tuple[str, ...]]] = {
    "induction": (
        2,
        (
            "Variable departmental induction for {group} in {specialty}; rota, IT log-ins and "
            "bleep not ready on the first day.",
            "{group} starting out of cycle in {specialty} receive no local induction.",
        ),
    ),
    "supervision": (
        3,
        (
            "Too few named clinical supervisors for {group} in {specialty}; supervisors report "
            "no protected time in job plans.",
            "Poor access to senior support for {group} out of hours in {specialty} at {site}.",
        ),
    ),
    "workload": (
        0,
        (
            "Workload in {specialty} stops {group} attending teaching and curricular clinics.",
            "{group} in {specialty} routinely stay beyond rostered hours to finish ward work.",
        ),
    ),
    "undermining": (
        0,
        (
            "{group} in {specialty} describe undermining behaviour and low psychological safety "
            "when raising concerns.",
            "Learners report feeling belittled during handover in {specialty} at {site}.",
        ),
    ),
    "bullying": (
        0,
        (
            "Reports of bullying of {group} by senior staff in {specialty}; learners reluctant "
            "to raise concerns.",
        ),
    ),
    "rota gaps": (
        5,
        (
            "Persistent rota gaps in {specialty} leave {group} covering the work of absent "
            "colleagues at night.",
            "Unfilled posts in {specialty} at {site} mean {group} are moved between wards "
            "at short notice.",
        ),
    ),
    "IT and facilities": (
        1,
        (
            "Too few computers and no desk space for {group} in {specialty} at {site}.",
            "Slow access to clinical systems delays {group} in {specialty}; no rest facilities "
            "overnight.",
        ),
    ),
    "placement capacity": (
        4,
        (
            "Placement capacity in {specialty} at {site} cannot meet planned {group} numbers.",
            "{group} in {specialty} cannot complete required competences within the placement.",
        ),
    ),
    "patient safety": (
        0,
        (
            "{group} in {specialty} asked to undertake tasks beyond their competence without "
            "senior review.",
            "{group} cross-covering {specialty} wards at night with no senior on site.",
        ),
    ),
}
#: How often each theme is raised (assumption).
THEME_WEIGHTS = {
    "induction": 0.14,
    "supervision": 0.18,
    "workload": 0.16,
    "undermining": 0.09,
    "bullying": 0.05,
    "rota gaps": 0.14,
    "IT and facilities": 0.09,
    "placement capacity": 0.08,
    "patient safety": 0.07,
}

#: Required actions by theme, for visit actions.
ACTIONS = {
    "induction": "Provide a departmental induction, with working IT access and rota, for every "
    "learner before their first shift, and audit attendance.",
    "supervision": "Name a clinical supervisor for every learner and give supervisors protected "
    "time in job plans.",
    "workload": "Release learners to attend protected teaching and curricular clinics, and monitor "
    "attendance.",
    "undermining": "Agree and share a plan to improve the learning culture, including how learners "
    "can raise concerns safely.",
    "bullying": "Investigate the reports of bullying and set out the support offered to learners.",
    "rota gaps": "Fill rota gaps so that learners are not left covering unsafe staffing levels, "
    "and report vacancies to the education board.",
    "IT and facilities": "Provide enough computers, desk space and rest facilities for learners.",
    "placement capacity": "Match learner numbers to placement capacity and supervisor numbers.",
    "patient safety": "Ensure learners work within their competence with senior review available "
    "at all times.",
}
FINDINGS = {
    "induction": "Learners did not receive a departmental induction.",
    "supervision": "Learners could not always identify or reach a senior clinician.",
    "workload": "Learners regularly miss teaching because of ward workload.",
    "undermining": "Learners described undermining behaviour and were reluctant to speak up.",
    "bullying": "The panel heard consistent accounts of bullying by senior staff.",
    "rota gaps": "Rota gaps leave learners covering several wards overnight.",
    "IT and facilities": "Learners lack computers and space to work.",
    "placement capacity": "Learner numbers exceed the supervision available.",
    "patient safety": "Learners are asked to perform tasks beyond their competence.",
}
NOTABLE_PRACTICE = (
    "Learner forum chaired by the director of medical education acts on feedback within a month.",
    "Simulation programme for new starters rated highly by every learner group.",
    "Protected weekly teaching bleep-free for all foundation doctors.",
    "Supervisors meet learners in the first week and agree a learning plan.",
)
GOOD_PRACTICE = (
    "Peer-led teaching programme run by {group} in {specialty}.",
    "Structured handover with a named senior at every shift change in {specialty}.",
    "Protected teaching time honoured for {group} in {specialty}.",
    "Welcome pack and buddy scheme for {group} joining {specialty} at {site}.",
    "Regular learner forums in {specialty} with actions fed back to learners.",
    "Simulation training for {group} in {specialty}, co-designed with learners.",
)
GOOD_PRACTICE_SOURCES = (
    "NTS green outcome",
    "visit",
    "NETS",
    "learner feedback",
    "self-assessment",
)

VISIT_OUTCOMES = {
    "triggered": "Panel confirmed the concern; immediate mandatory requirement issued and "
    "improvement plan agreed.",
    "learner_educator": "Panel met learners and educators; concerns partly confirmed; mandatory "
    "requirements set.",
    "aeqr": "Annual education quality review held with the trust's senior leaders; priorities "
    "for the year agreed.",
    "desktop": "Desktop review of survey results, risks and action plans; continue monitoring.",
}
LEARNER_EDUCATOR_PANEL = (
    "Senior regional lead (chair)",
    "Learner representative",
    "Educator representative",
    "Lay representative",
)
DESKTOP_PANEL = ("Quality manager", "Head of Quality")

MEDICAL_OWNERS = (
    "Director of Medical Education",
    "Foundation Training Programme Director",
    "Clinical Director",
    "Medical Director",
)
OTHER_OWNERS = ("Practice Education Lead", "Chief Nurse", "Head of Learning and Development")
ACTION_OWNERS = (
    "Director of Medical Education",
    "Medical Director",
    "Chief Nurse",
    "Clinical Director",
    "Medical Education Manager",
    "Guardian of Safe Working Hours",
)

SELF_ASSESSMENT = {
    "meets": "Evidence in place across the trust; monitored through the education committee.",
    "partially meets": "Evidence in place in most departments; improvement plan under way.",
    "does not meet": "Gaps identified; recovery plan agreed with the regional quality team.",
}

#: LDA schedule items (assumption: modelled on the NHS Education Contract schedules).
LDA_ITEMS = (
    "Education and training governance",
    "Named education leads in post",
    "Placement capacity plan",
    "Learner induction",
    "Supervisor time in job plans",
    "Study leave",
    "Library and knowledge services",
    "Simulation and clinical skills facilities",
    "Learner wellbeing support",
    "Learner and workforce data returns",
    "Education funding transparency report",
    "Quality framework self-assessment",
    "Response to survey results",
    "Raising concerns process for learners",
    "Guardian of safe working hours reports to board",
)
LDA_NOTES = {
    "partial": "Partly in place; completion expected by the end of the next quarter.",
    "not compliant": "Not in place; escalated to the education board with a recovery plan.",
}

#: What an annual review agrees for the year ahead (assumption: drawn from common themes of
#: recent reviews).
COMMITMENTS = (
    "Fill the rota gaps that keep learners from protected teaching, and report progress to the "
    "education committee each quarter.",
    "Give every clinical supervisor protected time for supervision in their job plan.",
    "Run a departmental induction with working IT access for every learner before their first "
    "shift.",
    "Agree a placement capacity plan with the universities for the next intake.",
    "Act on the latest National Training Survey results in the specialties with red outcomes.",
    "Set up a learner forum, chaired by the director of medical education, that reports to the "
    "board.",
    "Improve rest facilities for learners working nights.",
    "Bring learner wellbeing support into every department's induction.",
)
#: Made-up first and family names for the sample's meeting attendees (obviously fictional).
FIRST_NAMES = ("Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Jamie", "Morgan", "Kim", "Lee")
FAMILY_NAMES = ("Example", "Sample", "Placeholder", "Testwell", "Demo", "Mockford")
