"""Deterministic synthetic data in the canonical layout: ``qv sample-data`` and ``data/sample``.

:func:`write_sample_data` writes every dataset of :mod:`qvlib.schemas` (one CSV per dataset at
its ``DATASETS`` file) plus ``dataset.yaml``, and a synthetic CQC request under ``requests/``
(:mod:`qvlib.synth.requests`).  The same seed gives the same bytes, and one trust's
data does not depend on how many trusts are generated (see :mod:`qvlib.synth._base`).  Values are
calibrated to public figures (GMC National Training Survey, NHS England NETS and Friends and
Family Test, NHS Staff Survey, CQC, national education tariffs); values with no source are
marked as assumptions where they are set.  The data is clearly synthetic: ``dataset.yaml`` says
``synthetic: true`` and people appear only as role titles.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from qvlib.config import RegionConfig, load_parameters
from qvlib.errors import QvError
from qvlib.synth import governance, learning, national, surveys
from qvlib.synth._base import Period, Table, TrustPlan, plan_trusts
from qvlib.synth.requests import write_sample_request

__all__ = ["GENERATOR_VERSION", "write_sample_data"]

#: Bumped whenever the generator's output for a given seed changes.
GENERATOR_VERSION = "3"

log = logging.getLogger(__name__)

#: Decimal places written for float columns that are not the default 2.
_DECIMALS = {
    "learners": {"fte": 1},
    "funding": {"allocated_gbp": 0, "spent_gbp": 0},
    "exception_reports": {"fines_gbp": 0},
    "fft": {
        k: 0 for k in ("very_good", "good", "neither", "poor", "very_poor", "dont_know", "eligible")
    },
    "nhs_website_ratings": {"stars": 1},
}
#: Datasets generated, in the order they are written (``hotspots`` is derived, not generated).
_GENERATED = (
    "trusts",
    "learners",
    "funding",
    "programmes",
    "risks",
    "risk_history",
    "sites",
    "exception_reports",
    "self_assessment",
    "lda_compliance",
    "survey_results",
    "good_practice",
    "visits",
    "visit_actions",
    "fft",
    "nhs_website_ratings",
    "cqc_ratings",
    "staff_survey",
)


def write_sample_data(
    out: Path, trusts: int | None = None, years: int = 4, seed: int = 20251
) -> None:
    """Write a synthetic dataset in the canonical layout under ``out``.

    Parameters
    ----------
    out
        Directory to write (created if missing); existing files of the same names are replaced.
    trusts
        ``None`` for the region's trusts (``parameters/trusts/*.yaml``); a number N for the
        region's trusts first, then synthetic trusts ``X0001``... up to N in all (``220`` gives a
        national-scale dataset).
    years
        Financial years of history ending with the review year in ``parameters/region.yaml``;
        survey years are the calendar years in which those financial years start.
    seed
        Random seed; the same seed gives byte-identical files.

    Raises
    ------
    QvError
        If ``trusts`` or ``years`` is below 1.
    """
    if years < 1:
        raise QvError(f"--years must be at least 1, not {years}")
    if trusts is not None and trusts < 1:
        raise QvError(f"--trusts must be at least 1, not {trusts}")
    params = load_parameters()
    region = params.region
    period = Period(region.review_year, years)
    plans = plan_trusts(params, trusts, seed)
    tables = {name: Table(name, _DECIMALS.get(name)) for name in _GENERATED}
    for trust in plans:
        _generate_trust(trust, period, region, seed, tables)
    out = Path(out)
    for table in tables.values():
        table.write(out)
    _write_manifest(out, plans, period, seed, trusts)
    write_sample_request(out, plans, period)
    log.info("wrote %d trusts, %d years of synthetic data to %s", len(plans), years, out)


def _generate_trust(
    trust: TrustPlan, period: Period, region: RegionConfig, seed: int, tables: dict[str, Table]
) -> None:
    """Every dataset's rows for one trust, each from the trust's own random streams."""
    learning.build_envs(trust, seed)
    tables["trusts"].add(
        trust_code=trust.code,
        trust_name=trust.name,
        trust_type=trust.type,
        icb=trust.icb,
        sites=";".join(trust.sites),
    )
    for index, site in enumerate(trust.sites, start=1):
        tables["sites"].add(
            trust_code=trust.code, site_code=national.site_code(trust, index), site_name=site
        )
    headcounts = learning.gen_learners(trust, period, seed, tables["learners"])
    learning.gen_funding(trust, period, seed, tables["funding"])
    learning.gen_programmes(trust, seed, tables["programmes"], headcounts)
    learning.gen_exception_reports(trust, period, seed, tables["exception_reports"])
    risks = governance.gen_risks(
        trust, period, region, seed, tables["risks"], tables["risk_history"]
    )
    governance.gen_visits(
        trust, risks, period, region, seed, tables["visits"], tables["visit_actions"]
    )
    governance.gen_self_assessment(trust, period, region, seed, tables["self_assessment"])
    governance.gen_lda(trust, period, seed, tables["lda_compliance"])
    governance.gen_good_practice(trust, period, seed, tables["good_practice"])
    surveys.gen_nts(trust, period, seed, tables["survey_results"])
    surveys.gen_nets(trust, period, seed, tables["survey_results"])
    national.gen_fft(trust, period, seed, tables["fft"])
    national.gen_website_ratings(trust, period, seed, tables["nhs_website_ratings"])
    national.gen_cqc(trust, period, seed, tables["cqc_ratings"])
    national.gen_staff_survey(trust, period, seed, tables["staff_survey"])


def _write_manifest(
    out: Path, plans: list[TrustPlan], period: Period, seed: int, trusts: int | None
) -> None:
    """``dataset.yaml``: what the data is, that it is synthetic, and how to regenerate it."""
    meta = {
        "name": "qv synthetic sample",
        "description": (
            "SYNTHETIC data generated by `qv sample-data`; no real trust's figures. Trust codes, "
            "names and sites are real for the region's trusts so packs read naturally, but every "
            "value is invented and people appear only as role titles."
        ),
        "synthetic": True,
        "period": {
            "start": str(period.start),
            "end": str(period.end),
            "financial_years": period.financial_years,
            "survey_years": period.survey_years,
        },
        "review_year": period.review_year,
        "trusts": len(plans),
        "seed": seed,
        "generator": {"name": "qvlib.synth", "version": GENERATOR_VERSION},
        "command": f"qv sample-data --out DIR --years {period.years} --seed {seed}"
        + ("" if trusts is None else f" --trusts {trusts}"),
    }
    text = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    (out / "dataset.yaml").write_text(text, encoding="utf-8", newline="\n")
