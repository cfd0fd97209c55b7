"""The runner behind ``qv reviews`` and ``make reviews``: plan, execute and record pack builds.

- :mod:`~qvlib.runner.registry`: the pack kinds (notebook, title, scope, output, hooks).
- :mod:`~qvlib.runner.plan`: notebook parameters, fingerprints, jobs, what is up to date.
- :mod:`~qvlib.runner.engine`: papermill on a warm (reset) or fresh kernel, HTML, atomic writes.
- :mod:`~qvlib.runner.executors`: local worker processes (a Dask cluster later).
- :mod:`~qvlib.runner.record`: ``manifest.json`` and ``index.html``.
- :mod:`~qvlib.runner.report`: progress bar and summary table.
- :mod:`~qvlib.runner.run`: the flow of a run (:func:`run_reviews`) and ``qv list``
  (:func:`describe`).
"""

from qvlib.runner.registry import INJECTED, PackKind, default_packs
from qvlib.runner.run import RunOptions, describe, run_reviews

__all__ = ["INJECTED", "PackKind", "RunOptions", "default_packs", "describe", "run_reviews"]
