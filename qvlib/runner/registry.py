"""The pack registry: a declarative table of the pack kinds ``qv reviews`` can build.

Each :class:`PackKind` names its notebook, its title, its scope (one pack per trust, one per
risk that calls for it, or one per region) and two slots that other layers fill in:

- ``select_risks`` (risk scope): a function of a trust's data, the region settings and the
  review year, giving the ids of the open risks
  whose recommended intervention calls for this pack;
- ``finalize``: writes the final outputs from the executed notebook and its HTML (the CQC
  response bundle turns them into a .zip).  The default writes the HTML; a kind whose output
  is not ``.html`` is not ready to build until it has one.

Slots hold either a callable or an import reference ``"module:attribute"``.  ``finalize`` runs
in the worker processes, so a reference (or a module-level function) is what travels there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from qvlib.config import ROOT
from qvlib.errors import QvError

Scope = Literal["trust", "risk", "region"]

#: Where the pack notebooks live.
NOTEBOOKS_DIR = ROOT / "notebooks"

#: ``select_risks(trust_data, region, review_year) -> risk ids``; a callable or an import reference.
RiskSelector = Callable[[Any, Any, str], Iterable[str]] | str
#: ``finalize(executed_nb, html, job) -> written paths``; a callable or an import reference.
Finalizer = Callable[..., list[Path]] | str


@dataclass(frozen=True)
class PackKind:
    """One kind of pack: what notebook builds it and where its output goes.

    Attributes
    ----------
    name : str
        The ``--pack`` value and the output file's stem.
    notebook : Path
        The parameterised notebook that builds it.
    title : str
        Title shown in the pack's header and in ``index.html``.
    scope : {"trust", "risk", "region"}
        One pack per trust, per selected risk of a trust, or one for the region.
    output : str
        Output file name; ``{pack}`` and ``{risk_id}`` are filled in.
    select_risks : callable or str, optional
        Risk scope only: which of a trust's risks get a pack.  Without one, no risk packs are
        planned (with a warning).
    finalize : callable or str, optional
        Writes the final output(s); ``None`` writes the HTML to ``output``.
    """

    name: str
    notebook: Path
    title: str
    scope: Scope = "trust"
    output: str = "{pack}.html"
    select_risks: RiskSelector | None = None
    finalize: Finalizer | None = None

    def missing(self) -> str | None:
        """Why this kind cannot be built yet (no notebook, no finalize hook), or ``None``."""
        if not self.notebook.is_file():
            return f"its notebook {self.notebook} does not exist"
        if self.finalize is None and not self.output.endswith(".html"):
            return f"it writes {self.output_name('ID')!r}, which needs a finalize hook"
        return None

    def output_name(self, risk_id: str | None = None) -> str:
        """File name of one pack of this kind."""
        return self.output.format(pack=self.name, risk_id=risk_id or "")


PACKS: tuple[PackKind, ...] = (
    PackKind(
        name="desktop-review-dashboard",
        notebook=NOTEBOOKS_DIR / "desktop_review_dashboard.ipynb",
        title="Desktop review dashboard",
    ),
    PackKind(
        name="annual-review-pack",
        notebook=NOTEBOOKS_DIR / "annual_review_pack.ipynb",
        title="Annual education quality review",
    ),
    PackKind(
        name="cqc-response-bundle",
        notebook=NOTEBOOKS_DIR / "cqc_response_bundle.ipynb",
        title="CQC response bundle",
        output="{pack}.zip",
        finalize="qvlib.cqc:finalize_cqc_bundle",
    ),
    PackKind(
        name="triggered-visit-brief",
        notebook=NOTEBOOKS_DIR / "triggered_visit_brief.ipynb",
        title="Triggered visit brief",
        scope="risk",
        output="{pack}-{risk_id}.html",
        select_risks="qvlib.reviews:triggered_visit_risks",
    ),
    PackKind(
        name="learner-educator-visit-brief",
        notebook=NOTEBOOKS_DIR / "learner_educator_visit_brief.ipynb",
        title="Learner and educator visit brief",
        scope="risk",
        output="{pack}-{risk_id}.html",
        select_risks="qvlib.reviews:learner_educator_visit_risks",
    ),
    PackKind(
        name="region-overview",
        notebook=NOTEBOOKS_DIR / "region_overview.ipynb",
        title="Region overview",
        scope="region",
    ),
)

#: The notebook parameter that holds the path of the run's data snapshot.
SNAPSHOT_PARAMETER = "data"
#: Parameters injected into every notebook of a run, with the same value for every job
#: (``qvlib.runner.run.run_parameters`` gives their values); each is part of every job's
#: fingerprint but the snapshot's path, whose content the data fingerprint covers.
RUN_PARAMETERS: tuple[str, ...] = ("review_year", SNAPSHOT_PARAMETER)
#: Parameters the runner injects, by scope; every one must be declared by the notebook.
INJECTED: dict[str, tuple[str, ...]] = {
    "trust": ("trust_code", *RUN_PARAMETERS),
    "risk": ("trust_code", *RUN_PARAMETERS, "risk_id"),
    "region": RUN_PARAMETERS,
}


def resolve(ref: Callable | str) -> Callable:
    """Return the callable that ``ref`` names (``"package.module:attribute"``) or ``ref`` itself.

    Raises
    ------
    QvError
        If the module cannot be imported or has no such attribute.
    """
    if callable(ref):
        return ref
    module_name, _, attribute = ref.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise QvError(f"hook {ref!r} is not available: {exc}") from None
    if not callable(target):
        raise QvError(f"hook {ref!r} is not callable")
    return target
