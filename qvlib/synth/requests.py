"""A synthetic CQC information request beside the sample data (``requests/*.yaml``).

The request asks about the first trust with a planted problem (so its response has something to
say): the planted environment's site, its specialty and one more specialty trained at that site,
over the first half of the review year, asking for requirements still open from earlier visits
too.  Names, references and addresses are made up (``example.org``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from qvlib.synth._base import Period, TrustPlan

#: Where the request goes under the dataset's directory.
REQUESTS_DIR = "requests"

_TEMPLATE = """\
# A SYNTHETIC CQC information request, for trying the response bundle on the sample data:
#   qv reviews --pack cqc-response-bundle --as-at {as_at} --request <this file>
# (for the bundled sample: --request data/sample/{relative})
# Every name, reference and address below is made up.
reference: CQC-INS-{start_year}-0417          # the CQC's reference for the request
trust: {trust}                            # ODS code of the trust the request is about
requester:                            # who asked
  name: A. Inspector
  role: Inspection manager
  organisation: Care Quality Commission
  email: inspector@example.org
asked_on: {asked_on}                  # YYYY-MM-DD
asked: >                              # what was asked, in the request's words
{asked}
scope:                                # empty lists: the whole trust
  sites: [{site}]
  specialties: [{specialties}]
  open_actions: true                  # also requirements still open from visits before the period
period:                               # first and last day the request covers
  start: {start}
  end: {end}
contact:                              # who answers questions about this response
  name: Regional quality manager
  organisation: NHS England Workforce, Training and Education, education quality team
  email: quality.team@example.org
basis_for_sharing: >
  Shared under the information-sharing agreement between NHS England and the Care Quality
  Commission, for the CQC's regulatory functions under the Health and Social Care Act 2008.
marking: OFFICIAL-SENSITIVE           # protective marking of the bundle
"""


def write_sample_request(out: Path, plans: list[TrustPlan], period: Period) -> Path | None:
    """Write ``requests/cqc-<trust>-<year>.yaml`` under ``out``; ``None`` when no trust has a
    planted problem to ask about."""
    trust = next((t for t in plans if t.plant is not None and t.envs), None)
    if trust is None:
        return None
    site = trust.plant.site
    here = sorted({env.specialty for env in trust.envs if env.site == site})
    others = [s for s in here if s != trust.plant.specialty]
    specialties = [trust.plant.specialty, *others[:1]]
    year = period.last_start
    name = f"cqc-{trust.code.lower()}-{year}.yaml"
    path = Path(out) / REQUESTS_DIR / name
    asked = (
        f"Ahead of our inspection of {' and '.join(s.lower() for s in specialties)} at {site}, "
        "please share what the regional education quality team holds on education and "
        f"training there since April {year}: concerns and risks, quality visits and their "
        "requirements, survey results and exception reports."
    )
    text = _TEMPLATE.format(
        as_at=f"{year}-10-14",
        relative=f"{REQUESTS_DIR}/{name}",
        asked=textwrap.fill(asked, width=96, initial_indent="  ", subsequent_indent="  "),
        start_year=year,
        trust=trust.code,
        asked_on=f"{year}-09-29",
        site=site,
        specialties=", ".join(specialties),
        start=f"{year}-04-01",
        end=f"{year}-09-30",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
