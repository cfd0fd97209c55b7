"""The runner behind ``qv reviews`` and ``make reviews``: plan, execute and record pack builds.

- :mod:`~qvlib.runner.registry`: the pack kinds (notebook, title, scope, output, hooks).
- :mod:`~qvlib.runner.inputs`: what earlier runs learnt (file hashes, data state, selections).
- :mod:`~qvlib.runner.plan`: notebook parameters, fingerprints, jobs, what is up to date.
- :mod:`~qvlib.runner.engine`: one job: papermill (forked in-process kernel or a fresh
  kernel), HTML, atomic writes.
- :mod:`~qvlib.runner.kernel`: the in-process kernel papermill runs notebooks on in a fork.
- :mod:`~qvlib.runner.worker`: worker processes that fork a process per job.
- :mod:`~qvlib.runner.executors`: local worker processes, or a Dask cluster.
- :mod:`~qvlib.runner.record`: ``manifest.json`` and ``index.html``.
- :mod:`~qvlib.runner.report`: progress bar and summary table.
- :mod:`~qvlib.runner.run`: the flow of a run (:func:`run_reviews`) and ``qv list``
  (:func:`describe`).
"""

from typing import Any

from qvlib.runner.registry import INJECTED, PackKind, default_packs

#: Names from :mod:`~qvlib.runner.run`, imported on first use: a worker process imports
#: :mod:`~qvlib.runner.kernel` before pandas, and the flow of a run imports pandas.
_FROM_RUN = ("RunOptions", "describe", "run_reviews")

__all__ = ["INJECTED", "PackKind", "default_packs", *_FROM_RUN]


def __getattr__(name: str) -> Any:
    if name in _FROM_RUN:
        from qvlib.runner import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
