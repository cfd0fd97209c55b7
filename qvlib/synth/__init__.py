"""Deterministic synthetic data in the canonical layout: ``qv sample-data`` and ``data/sample``.

:func:`write_sample_data` writes every dataset of :mod:`qvlib.schemas` (one CSV per dataset at
its ``DATASETS`` file) plus ``dataset.yaml``, sample commentary
(:mod:`qvlib.synth.commentary`) and a synthetic CQC request under ``requests/``
(:mod:`qvlib.synth.requests`); with ``published_formats`` the national data is
written as it is published instead (:mod:`qvlib.synth.published`).  The same seed gives the
same bytes, and one trust's data does not depend on how many trusts are generated (see
:mod:`qvlib.synth._base`).  Values are calibrated to public figures (GMC National Training
Survey, NHS England NETS and Friends and Family Test, NHS Staff Survey, CQC, national education
tariffs); values with no source are marked as assumptions where they are set.  The data is
clearly synthetic: ``dataset.yaml`` says ``synthetic: true`` and people appear only as role
titles.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from qvlib.config import RegionConfig, load_parameters
from qvlib.errors import QvError
from qvlib.synth import governance, learning, national, surveys
from qvlib.synth._base import Period, Table, TrustPlan, plan_trusts
from qvlib.synth.commentary import write_sample_commentary
from qvlib.synth.published import write_published
from qvlib.synth.requests import write_sample_request

__all__ = ["GENERATOR_VERSION", "write_sample_data"]

#: Bumped whenever the generator's output for a given seed changes.
GENERATOR_VERSION = "4"

log = logging.getLogger(__name__)

#: Datasets written by :func:`~qvlib.synth.published.write_published` with --published-formats.
PUBLISHED = ("fft", "cqc_ratings", "staff_survey", "survey_results")
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
    "commitments",
    "meeting_attendees",
    "fft",
    "nhs_website_ratings",
    "cqc_ratings",
    "staff_survey",
)


def write_sample_data(
    out: Path,
    trusts: int | None = None,
    years: int = 4,
    seed: int = 20251,
    published_formats: bool = False,
    force: bool = False,
) -> None:
    """Write a synthetic dataset under ``out``, in the canonical layout by default.

    Parameters
    ----------
    out
        Directory to write, created if missing.  A folder that already holds files is written
        only with ``force``, and only if its ``dataset.yaml`` says ``synthetic: true``: files
        there of the same names are then replaced.  Other folders may hold real data and are
        never written, whatever ``force`` says.
    trusts
        ``None`` for the region's trusts (``parameters/trusts/*.yaml``); a number N for the
        region's trusts first, then synthetic trusts ``X0001``... up to N in all (``220`` gives a
        national-scale dataset).
    years
        Financial years of history ending with the review year in ``parameters/region.yaml``;
        survey years are the calendar years in which those financial years start.
    seed
        Random seed; the same seed gives byte-identical files.
    published_formats
        Write the national data (CQC ratings, FFT, NHS Staff Survey, GMC NTS, plus ODS trust
        and successor lists) as it is published, not as canonical CSV files (see
        :mod:`qvlib.synth.published`); the same data loads either way.
    force
        Replace an earlier synthetic dataset in ``out``.

    Raises
    ------
    QvError
        If ``trusts`` or ``years`` is below 1, or ``out`` may not be written (see above).
    """
    if years < 1:
        raise QvError(f"--years must be at least 1, not {years}")
    if trusts is not None and trusts < 1:
        raise QvError(f"--trusts must be at least 1, not {trusts}")
    out = Path(out)
    _check_out(out, force)
    params = load_parameters()
    region = params.region
    period = Period(region.review_year, years)
    plans = plan_trusts(params, trusts, seed)
    tables = {name: Table(name, _DECIMALS.get(name)) for name in _GENERATED}
    for trust in plans:
        _generate_trust(trust, period, region, seed, tables)
    for name, table in tables.items():
        if not (published_formats and name in PUBLISHED):
            table.write(out)
    if published_formats:
        write_published(out, tables, period, params)
    write_sample_commentary(out, plans, period)
    write_sample_request(out, plans, period)
    _write_manifest(out, plans, period, seed, trusts, published_formats)
    log.info("wrote %d trusts, %d years of synthetic data to %s", len(plans), years, out)


def _check_out(out: Path, force: bool) -> None:
    """Refuse to write where real data may be, and over earlier sample data without ``force``."""
    if out.exists() and not out.is_dir():
        raise QvError(f"--out {out}: this is a file; give a folder to write the dataset in")
    if not out.exists() or not any(out.iterdir()):
        return
    meta = out / "dataset.yaml"
    try:
        synthetic = yaml.safe_load(meta.read_text(encoding="utf-8")).get("synthetic") is True
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        synthetic = False
    if not synthetic:
        raise QvError(
            f"--out {out}: this folder is not empty and has no dataset.yaml saying "
            "'synthetic: true', so it may hold real data; qv sample-data never writes there, "
            "not even with --force.  Give an empty or new folder."
        )
    if not force:
        raise QvError(
            f"--out {out}: this folder already holds a synthetic dataset; add --force to "
            "replace it, or give an empty or new folder"
        )


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
    reviews = governance.gen_visits(
        trust, risks, period, region, seed, tables["visits"], tables["visit_actions"]
    )
    governance.gen_meetings(
        trust, reviews, period, region, seed, tables["commitments"], tables["meeting_attendees"]
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
    out: Path,
    plans: list[TrustPlan],
    period: Period,
    seed: int,
    trusts: int | None,
    published_formats: bool,
) -> None:
    """``dataset.yaml``: what the data is, that it is synthetic, and how to regenerate it.

    The published layout says so in a comment only: its data, and so its metadata, are the
    same as the canonical layout's.
    """
    meta = {
        "name": "qv synthetic sample",
        "description": (
            "SYNTHETIC data generated by `qv sample-data`; no real trust's figures. Trust codes, "
            "names and sites are real for the region's trusts so packs read naturally, but every "
            "value is invented; people appear as role titles, and meeting attendees under "
            "obviously made-up names (Alex Example, Sam Sample, ...)."
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
    if published_formats:
        flag = f"{meta['command']} --published-formats"
        text = f"# National data in its published layouts: {flag}\n{text}"
    (out / "dataset.yaml").write_text(text, encoding="utf-8", newline="\n")
