"""The interactive API is discoverable: names in dir() and completion, short reprs, examples."""

from __future__ import annotations

import importlib
import inspect
import rlcompleter

import pytest

import qvlib as qv

#: Modules whose every public function and method carries an example that runs as a doctest.
DOCUMENTED = (
    "datasets",
    "loaders",
    "config",
    "errors",
    "packs",
    "bundles",
    "project",
    "notebooks",
    "display",
    "findings",
    "reviews",
    "overview",
    "briefs",
    "tables",
    "metrics.asat",
    "cache",
    "static_charts",
    "printing",
    "render",
)


def test_dir_lists_the_public_names_and_each_one_resolves():
    names = dir(qv)
    for name in ("load", "open_review", "check_parameters", "region", "Dataset", "TrustReview"):
        assert name in names
    assert not {"Any", "annotations", "importlib"} & set(names)
    for name in names:
        assert getattr(qv, name) is not None, name


def test_completion_offers_the_lazily_imported_names():
    completer = rlcompleter.Completer({"qv": qv})
    offered = {completer.complete("qv.lo", i) for i in range(4)} - {None}
    assert offered == {"qv.load(", "qv.load_snapshot(", "qv.loaders"}


def test_datasets_complete_on_a_dataset_and_a_trust():
    ds = qv.load("data/sample")
    assert {"risks", "fft", "trust", "trust_codes"} <= set(dir(ds))
    assert {"risks", "fft", "fingerprint"} <= set(dir(ds.trust("RHM")))


def test_reprs_are_one_short_line():
    review = qv.open_review("RHM", "2025/26", "data/sample")
    shown = {
        "review": repr(review),
        "region": repr(review.region),
        "dataset": repr(qv.load("data/sample")),
        "trust": repr(review.data),
    }
    assert shown == {
        "review": "TrustReview('RHM', 'University Hospital Southampton NHS Foundation Trust', "
        "'2025/26', as_at='2026-03-31')",
        "region": "RegionConfig(region='Wessex', review_year='2025/26', data_dir='data/sample')",
        "dataset": "Dataset('data/sample', 11 trusts, synthetic)",
        "trust": "TrustData('RHM', 'University Hospital Southampton NHS Foundation Trust')",
    }


def _public_callables(module):
    for name, member in vars(module).items():
        if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(member):
            yield name, member, None
        elif inspect.isclass(member):
            for attr, value in vars(member).items():
                if attr.startswith("_") or attr in ("model_config",):
                    continue
                target = getattr(value, "fget", None) or getattr(value, "func", None) or value
                if inspect.isfunction(target) or isinstance(value, staticmethod):
                    yield f"{name}.{attr}", inspect.unwrap(target), member


@pytest.mark.parametrize("module_name", DOCUMENTED)
def test_every_public_function_has_an_example(module_name):
    module = importlib.import_module(f"qvlib.{module_name}")
    missing = [
        name
        for name, function, owner in _public_callables(module)
        if ">>>" not in (function.__doc__ or "") and ">>>" not in ((owner and owner.__doc__) or "")
    ]
    assert not missing, f"qvlib.{module_name}: add an example (>>>) to {missing}"
