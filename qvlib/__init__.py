"""qv: reproducible education quality review packs for the trusts of an NHS region.

Interactive use mirrors what a pack notebook does::

    import qvlib as qv
    ds = qv.load("data/sample")     # every dataset, validated
    t = ds.trust("RHM")             # that trust's local data only, plus national data
    qv.metrics.calc_risk_scores(t.risks, qv.region())

Submodules are imported on first use so that ``qv --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {
    "briefs",
    "bundles",
    "charts",
    "cli",
    "config",
    "cqc",
    "datasets",
    "errors",
    "loaders",
    "metrics",
    "notebooks",
    "overview",
    "packs",
    "reviews",
    "runner",
    "schemas",
    "synth",
    "tables",
}
_FROM_DATASETS = {"load", "load_snapshot", "Dataset", "TrustData"}
_FROM_REVIEWS = {"open_review", "TrustReview"}
_FROM_NOTEBOOKS = {"check_parameters"}


def region():
    """The region settings from ``parameters/region.yaml`` (parsed once)."""
    from qvlib.config import load_region_cached

    return load_region_cached()


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"qvlib.{name}")
    if name in _FROM_DATASETS:
        return getattr(importlib.import_module("qvlib.datasets"), name)
    if name in _FROM_REVIEWS:
        return getattr(importlib.import_module("qvlib.reviews"), name)
    if name in _FROM_NOTEBOOKS:
        return getattr(importlib.import_module("qvlib.notebooks"), name)
    raise AttributeError(f"module 'qvlib' has no attribute {name!r}")


__all__ = sorted(
    _SUBMODULES | _FROM_DATASETS | _FROM_REVIEWS | _FROM_NOTEBOOKS | {"region", "__version__"}
)
