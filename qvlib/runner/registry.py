"""The pack registry: a declarative table of the pack kinds ``qv reviews`` can build.

Each :class:`PackKind` names its notebook, its title, its scope (one pack per trust, one per
clinical learning environment that calls for it, or one per region) and two slots that other
layers fill in:

- ``select_environments`` (environment scope): a function of a trust's data, the region
  settings, the review year and the as-at date, giving the clinical learning environments
  whose open risks call for this pack;
- ``finalize``: writes the final outputs from the executed notebook and its HTML (the CQC
  response bundle turns them into a .zip).  The default writes the HTML; a kind whose output
  is not ``.html`` is not ready to build until it has one.

Slots hold either a callable or an import reference ``"module:attribute"``.  ``finalize`` runs
in the worker processes, so a reference (or a module-level function) is what travels there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from qvlib.errors import QvError
from qvlib.project import Project, current_project

Scope = Literal["trust", "environment", "region"]

#: ``select_environments(trust_data, region, review_year, as_at) -> [{"slug", "site",
#: "specialty", "title"}, ...]``; a callable or an import reference.
EnvironmentSelector = Callable[[Any, Any, str, Any], Iterable[Mapping[str, str]]] | str
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
    scope : {"trust", "environment", "region"}
        One pack per trust, per selected clinical learning environment of a trust, or one for
        the region.
    output : str
        Output file name; ``{pack}`` and ``{slug}`` (the environment's) are filled in.
    select_environments : callable or str, optional
        Environment scope only: which of a trust's environments get a pack.  Without one, no
        such packs are planned (with a warning).
    finalize : callable or str, optional
        Writes the final output(s); ``None`` writes the HTML to ``output``.
    """

    name: str
    notebook: Path
    title: str
    scope: Scope = "trust"
    output: str = "{pack}.html"
    select_environments: EnvironmentSelector | None = None
    finalize: Finalizer | None = None

    def missing(self) -> str | None:
        """Why this kind cannot be built yet (no notebook, no finalize hook), or ``None``."""
        if not self.notebook.is_file():
            return f"its notebook {self.notebook} does not exist"
        if self.finalize is None and not self.output.endswith(".html"):
            return f"it writes {self.output_name('ID')!r}, which needs a finalize hook"
        return None

    def output_name(self, slug: str | None = None) -> str:
        """File name of one pack of this kind (``slug`` names an environment)."""
        return self.output.format(pack=self.name, slug=slug or "")


def default_packs(project: Project | None = None) -> tuple[PackKind, ...]:
    """The pack kinds qv builds, with their notebooks found in ``project`` (default: the
    current project; a project's own copy of a notebook wins over the one qv ships).

    Examples
    --------
    >>> [kind.name for kind in default_packs()][:3]
    ['desktop-review-dashboard', 'annual-review-pack', 'cqc-response-bundle']
    >>> default_packs()[0].notebook.name
    'desktop_review_dashboard.ipynb'
    """
    notebook = (project or current_project()).notebook
    return (
        PackKind(
            name="desktop-review-dashboard",
            notebook=notebook("desktop_review_dashboard.ipynb"),
            title="Desktop review dashboard",
        ),
        PackKind(
            name="annual-review-pack",
            notebook=notebook("annual_review_pack.ipynb"),
            title="Annual education quality review",
        ),
        PackKind(
            name="cqc-response-bundle",
            notebook=notebook("cqc_response_bundle.ipynb"),
            title="CQC response bundle",
            output="{pack}.zip",
            finalize="qvlib.cqc:finalize_cqc_bundle",
        ),
        PackKind(
            name="triggered-visit-brief",
            notebook=notebook("triggered_visit_brief.ipynb"),
            title="Triggered visit brief",
            scope="environment",
            output="{pack}-{slug}.html",
            select_environments="qvlib.briefs:triggered_visit_briefs",
        ),
        PackKind(
            name="learner-educator-visit-brief",
            notebook=notebook("learner_educator_visit_brief.ipynb"),
            title="Learner and educator visit brief",
            scope="environment",
            output="{pack}-{slug}.html",
            select_environments="qvlib.briefs:learner_educator_visit_briefs",
        ),
        PackKind(
            name="region-overview",
            notebook=notebook("region_overview.ipynb"),
            title="Region overview",
            scope="region",
        ),
    )


#: The notebook parameter that holds the path of the run's data snapshot.
SNAPSHOT_PARAMETER = "data"
#: Parameters injected into every notebook of a run, with the same value for every job
#: (``qvlib.runner.run.run_parameters`` gives their values); each is part of every job's
#: fingerprint but the snapshot's path, whose content the data fingerprint covers.
RUN_PARAMETERS: tuple[str, ...] = ("review_year", "as_at", SNAPSHOT_PARAMETER)
#: Parameters the runner injects, by scope; every one must be declared by the notebook.
INJECTED: dict[str, tuple[str, ...]] = {
    "trust": ("trust_code", *RUN_PARAMETERS, "commentary"),
    "environment": ("trust_code", *RUN_PARAMETERS, "site", "specialty", "commentary"),
    "region": (*RUN_PARAMETERS, "commentary"),
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
