"""qv: reproducible education quality review packs for the trusts of an NHS region.

Interactive use mirrors what a pack notebook does::

    import qvlib as qv
    ds = qv.load()                  # the project's data (data_dir in region.yaml), validated
    t = ds.trust("RHM")             # that trust's local data only, plus national data
    review = qv.open_review("RHM")  # everything a pack shows about the trust, named

``dir(qv)`` and tab completion list the public names; submodules and their names are imported
on first use, so that ``qv --help`` stays fast.
"""

from __future__ import annotations

import importlib as _importlib

#: The one place qv's version is written (pyproject.toml reads it from here).
__version__ = "0.2.0"

_SUBMODULES = (
    "briefs",
    "bundles",
    "charts",
    "cli",
    "commentary",
    "config",
    "cqc",
    "datasets",
    "errors",
    "loaders",
    "metrics",
    "notebooks",
    "overview",
    "packs",
    "project",
    "reviews",
    "runner",
    "schemas",
    "synth",
    "tables",
)
#: Names re-exported from a submodule -> that submodule.
_NAMES = {
    "Dataset": "qvlib.datasets",
    "TrustData": "qvlib.datasets",
    "load": "qvlib.datasets",
    "load_snapshot": "qvlib.datasets",
    "TrustReview": "qvlib.reviews",
    "open_review": "qvlib.reviews",
    "check_parameters": "qvlib.notebooks",
    "current_project": "qvlib.project",
}


def region():
    """The current project's region settings (``parameters/region.yaml``, parsed once).

    >>> region().review_year
    '2025/26'
    """
    from qvlib.config import load_region_cached

    return load_region_cached()


def __getattr__(name: str):
    if name in _SUBMODULES:
        return _importlib.import_module(f"qvlib.{name}")
    if name in _NAMES:
        return getattr(_importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'qvlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, for ``dir(qv)`` and tab completion (most are imported on first use)."""
    return __all__


__all__ = sorted({*_SUBMODULES, *_NAMES, "region", "__version__"})
