"""Synthetic commentary beside the sample data, so ``make reviews`` shows the team's words.

Four files under ``commentary/<YYYY-YY>/`` of the review year (:mod:`qvlib.commentary`): a
final, signed-off annual review pack and a draft dashboard for the first trust of the region, a
draft triggered visit brief for Portsmouth's emergency department when the region has that trust,
and a draft region overview.  The words are generic and every figure is a live value, so the
text stays true of whatever data the seed gives.  Each file says it is sample commentary.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from qvlib.commentary import commentary_path
from qvlib.synth._base import Period, TrustPlan

_SAMPLE = "*Sample commentary, written for the synthetic data.*"

_ANNUAL = """\
---
status: final
version: 1
approved_by: Head of Quality, Wessex
approved_on: {approved_on}
as_at: {as_at}
---
## Executive summary

{sample}

As at {{{{ as_at }}}}, {{{{ trust.name }}}} has {{{{ open_risks.total }}}} open education and
training risks ({{{{ open_risks.extreme }}}} extreme, {{{{ open_risks.high }}}} high).  The GMC
National Training Survey {{{{ nts.year }}}} gave {{{{ nts.red }}}} red and {{{{ nts.green }}}}
green outcomes, and the CQC rates the trust {{{{ cqc.overall }}}} overall (published
{{{{ cqc.published }}}}).

The panel asks the trust to come to the meeting ready to discuss:

1. the hotspots named in this pack ({{{{ hotspots.count }}}}), and what has been done about each;
2. last year's commitments: {{{{ commitments.last_year_done }}}} of
   {{{{ commitments.last_year }}}} done, {{{{ commitments.last_year_overdue }}}} past their due
   date;
3. how the {{{{ funding.year }}}} education funding was used ({{{{ funding.utilisation }}}} of
   the allocation spent).

## Summary of education quality

The quality team's view is that learners are well supported where supervision is planned into
rotas, and least well where service pressure displaces teaching.  In the NHS Staff Survey
{{{{ staff_survey.year }}}}, elements above the benchmark group's average:
{{{{ staff_survey.above_average }}}} of {{{{ staff_survey.elements }}}}; below it:
{{{{ staff_survey.below_average }}}}.

## Use of education funding

The trust reported spending {{{{ funding.spent }}}} of {{{{ funding.allocated }}}} allocated in
{{{{ funding.year }}}}.  The panel would like to hear how the remainder is committed.

## Risks, interventions and visit actions

Open risks calling for a triggered visit: {{{{ interventions.triggered }}}}, of which visited:
{{{{ interventions.triggered_held }}}}.  Immediate mandatory requirements closed after their
deadline this year: {{{{ actions.immediate_closed_late }}}}; the panel will ask what the trust
has changed so that the next ones close in time.
"""

_DASHBOARD = """\
---
status: draft
version: 1
---
## Education and training risks

{sample}

The highest-scoring risks are discussed with the trust's director of medical education each
month.  Open risks past their review date: {{{{ open_risks.review_overdue }}}}; the quality
manager has asked the trust for updated ratings.

## Hotspots

The team will check whether these hotspots persist once the NTS {{{{ nts.year }}}} free-text
comments are available.
"""

_BRIEF = """\
---
status: draft
version: 1
---
## The concern

{sample}

The panel chair has spoken with the director of medical education, who confirms the rota gaps
described in the risk and expects two new consultants to start before the visit.

## Panel and session plan

The lay representative has asked for a separate session with nursing colleagues; the quality
manager will confirm a room once the date is set.
"""

_REGION = """\
---
status: draft
version: 1
---
## Executive summary

{sample}

As at {{{{ as_at }}}}, the {{{{ trusts }}}} trusts of {{{{ region.name }}}} hold
{{{{ open_risks.total }}}} open education and training risks ({{{{ open_risks.extreme }}}}
extreme) and {{{{ hotspots.count }}}} hotspots.  Visit actions past their due date across the
region: {{{{ actions.overdue }}}}.
"""

#: The trust with a signed-off annual pack and a draft dashboard (else the first trust).
_TRUST = "RHM"
#: The brief's environment (trust, file name) in the region's own data.
_BRIEF_FILE = ("RHU", "triggered-visit-brief-queen-alexandra-hospital-emergency-medicine.html")


def write_sample_commentary(out: Path, plans: list[TrustPlan], period: Period) -> None:
    """Write the sample commentary files under ``out/commentary/`` (see the module)."""
    as_at = dt.date(period.last_start + 1, 3, 31)
    approved_on = as_at + dt.timedelta(days=21)
    year = period.review_year
    codes = [plan.code for plan in plans]
    trust = _TRUST if _TRUST in codes else codes[0]
    files = {
        commentary_path(out, year, trust, "annual-review-pack.html"): _ANNUAL.format(
            sample=_SAMPLE, as_at=as_at, approved_on=approved_on
        ),
        commentary_path(out, year, trust, "desktop-review-dashboard.html"): _DASHBOARD.format(
            sample=_SAMPLE
        ),
        commentary_path(out, year, None, "region-overview.html"): _REGION.format(sample=_SAMPLE),
    }
    if _BRIEF_FILE[0] in codes:
        files[commentary_path(out, year, *_BRIEF_FILE)] = _BRIEF.format(sample=_SAMPLE)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
