"""``qv render``: an executed pack notebook to the pack HTML ``qv reviews`` writes (and its PDF).

A notebook run by papermill (by ``qv reviews``, or by hand) records what it ran and how: its
``metadata.papermill`` names the pack notebook (``input_path``: the pack kind, so the title) and
the parameters it was given; its ``parameters`` cell gives the defaults of the others; its start
time is the "today" an empty ``as_at`` meant.  From these :func:`pack_details` works out the
header :class:`qvlib.packs.PackExporter` needs: title, trust, review year, as-at date, document
controls (from the project's ``parameters/``, as ``qv reviews`` does) and, by opening the data
the notebook read, whether it was synthetic and the dataset's name.

What a notebook cannot tell: the provenance ``qv reviews`` adds from the run as a whole (the
data period, the national publications known at the as-at date, the trust's data fingerprint;
``manifest.json`` keeps them).  A rendered pack shows the as-at date, the dataset, the software
and the notebook it was rendered from instead, so its header differs from the built pack's in
those lines only.  A CQC response bundle renders as its summary page (the zip is made by ``qv
reviews``).

:class:`QvPackExporter` offers the same to nbconvert: ``jupyter nbconvert --to qv_pack
EXECUTED.ipynb`` (registered as an ``nbconvert.exporters`` entry point).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import Exporter
from traitlets import Unicode, default

import qvlib
from qvlib import display
from qvlib.cache import write_atomic
from qvlib.commentary import DocumentControl, recorded_state
from qvlib.errors import DataValidationError, QvError
from qvlib.packs import commentary_payload


def pack_details(notebook: str | Path, *, data: str | Path | None = None) -> dict[str, Any]:
    """The keyword arguments of :meth:`qvlib.packs.PackExporter.render` for an executed pack
    notebook, from what the notebook records (see the module's docstring).

    Parameters
    ----------
    notebook
        The executed notebook.  Its file name (``desktop-review-dashboard.ipynb``) names the
        pack kind when its metadata does not.
    data
        The data folder or snapshot the notebook read, when the one its ``data`` parameter names
        is not there any more.

    Raises
    ------
    QvError
        If the notebook cannot be read, was not run by papermill, is not a pack notebook, or
        its data is gone.

    Examples
    --------
    >>> import tempfile
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.metadata["papermill"] = {
    ...     "input_path": "notebooks/annual_review_pack.ipynb",
    ...     "parameters": {"trust_code": "RHM", "review_year": "2025/26",
    ...                    "as_at": "2025-10-14", "data": "data/sample"}}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     nbformat.write(nb, Path(folder) / "annual-review-pack.ipynb")
    ...     details = pack_details(Path(folder) / "annual-review-pack.ipynb")
    >>> details["title"], details["trust_name"]
    ('Annual education quality review', 'University Hospital Southampton NHS Foundation Trust')
    >>> details["as_at"], details["synthetic"], details["provenance"]["rendered from"]
    ('2025-10-14', True, 'annual-review-pack.ipynb')
    """
    import papermill

    from qvlib.config import load_parameters
    from qvlib.datasets import load
    from qvlib.reviews import parse_as_at
    from qvlib.runner.registry import default_packs

    path = Path(notebook)
    nb = _read(path)
    recorded = nb.metadata.get("papermill")
    if not recorded:
        raise QvError(
            f"{path} was not executed by papermill (it has no papermill metadata), so it does "
            "not say which pack it is or what it was given: run it with `qv reviews` or papermill"
        )
    source = Path(recorded.get("input_path") or path.name).name
    kinds = default_packs()
    kind = next((k for k in kinds if k.notebook.name == source), None) or next(
        (k for k in kinds if path.stem.startswith(k.name)), None
    )
    if kind is None:
        known = ", ".join(k.notebook.name for k in kinds)
        raise QvError(f"{path} ran {source}, which is not a pack notebook (those are {known})")
    defaults = {
        name: ast.literal_eval(found["default"])
        for name, found in papermill.inspect_notebook(str(path)).items()
    }
    values = {**defaults, **recorded.get("parameters", {})}
    started = recorded.get("start_time")
    ran_on = dt.datetime.fromisoformat(started).date() if started else None
    if not values.get("as_at") and ran_on is None:
        raise QvError(f"{path} has no as_at parameter and no start time: it cannot be dated")
    review_year = str(values.get("review_year", ""))
    as_at = parse_as_at(values.get("as_at"), review_year, ran_on or dt.date.min)
    params = load_parameters()
    folder = data if data is not None else (values.get("data") or None)
    try:
        dataset = load(folder)
    except DataValidationError as exc:
        raise QvError(
            f"{path} read its data from {folder or 'the default data folder'}, which cannot be "
            f"read now ({str(exc).splitlines()[0]}); give the data it ran on with --data DIR (a "
            "data folder, or the snapshot under <out>/.snapshots/ that qv reviews made)"
        ) from None
    code = str(values.get("trust_code", "")) if kind.scope != "region" else ""
    if code:
        trust = params.trusts.get(code)
        trust_name = trust.name if trust else dataset.trust(code).name
    else:
        trust_name = params.region.region
    title = kind.title
    if kind.scope == "environment":
        title = f"{kind.title}: {values.get('specialty')} at {values.get('site')}"
    rendered_from = path.name + (f", executed {display.fmt_date(ran_on)}" if ran_on else "")
    return {
        "title": title,
        "trust_code": code,
        "trust_name": trust_name,
        "review_year": review_year,
        "as_at": as_at.isoformat(),
        "provenance": {
            "as at": display.fmt_date(as_at),
            "dataset": dataset.meta.get("name", Path(dataset.root).name),
            "software": f"qv {qvlib.__version__}",
            "rendered from": rendered_from,
        },
        "synthetic": bool(dataset.meta.get("synthetic", False)),
        # Sign-off as the notebook's commentary recorded it: qv render knows no earlier versions.
        "document": DocumentControl.from_region(
            params.region, **recorded_state(commentary_payload(nb), as_at)
        ),
    }


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:
        raise QvError(f"cannot read the notebook {path}: {exc}") from None


def render_notebook(
    notebook: str | Path,
    out: str | Path | None = None,
    *,
    pdf: bool = False,
    data: str | Path | None = None,
) -> list[Path]:
    """Write the pack HTML of an executed pack notebook (and, with ``pdf``, its PDF beside it).

    Parameters
    ----------
    notebook
        An executed pack notebook, e.g. ``outputs/2025-26/RHM/executed/annual-review-pack.ipynb``.
    out
        The HTML file to write; by default the notebook's path with ``.html``.
    pdf
        Also print the page to a PDF beside ``out`` (:func:`qvlib.printing.print_pdfs`).
    data
        The data the notebook read, if the folder or snapshot it names is gone.

    Returns
    -------
    list of Path
        The HTML file, then the PDF if asked for.

    Raises
    ------
    QvError
        If the notebook cannot be read or is not an executed pack notebook (see
        :func:`pack_details`), or printing fails.

    Examples
    --------
    >>> import tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Headlines")])
    >>> nb.metadata["papermill"] = {
    ...     "input_path": "notebooks/desktop_review_dashboard.ipynb",
    ...     "parameters": {"trust_code": "RHM", "review_year": "2025/26",
    ...                    "as_at": "2026-03-31", "data": "data/sample"}}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     executed = Path(folder) / "desktop-review-dashboard.ipynb"
    ...     nbformat.write(nb, executed)
    ...     [page] = render_notebook(executed)
    ...     page.name, "Headlines</h2>" in page.read_text(encoding="utf-8")
    ('desktop-review-dashboard.html', True)
    """
    from qvlib.packs import PackExporter

    path = Path(notebook)
    details = pack_details(path, data=data)
    nb = _read(path)
    target = Path(out) if out is not None else path.with_suffix(".html")
    write_atomic(target, PackExporter().render(nb, **details))
    if not pdf:
        return [target]
    from qvlib.printing import print_pdfs

    return [target, *print_pdfs([target])]


class QvPackExporter(Exporter):
    """nbconvert's ``qv_pack`` format: ``jupyter nbconvert --to qv_pack EXECUTED.ipynb`` writes
    the page ``qv render`` writes (``EXECUTED.html``).  ``--QvPackExporter.data=DIR`` names the
    data the notebook read if the folder or snapshot it names is gone.

    Examples
    --------
    >>> from nbconvert.exporters import get_exporter
    >>> get_exporter("qv_pack") is QvPackExporter, QvPackExporter().file_extension
    (True, '.html')
    """

    output_mimetype = "text/html"
    data = Unicode("", help="the data the notebook read, if the one it names is gone").tag(
        config=True
    )

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".html"

    def from_notebook_node(
        self, nb: nbformat.NotebookNode, resources: dict | None = None, **kw: Any
    ) -> tuple[str, dict]:
        """The pack page of ``nb``, whose file nbconvert names in ``resources``."""
        from qvlib.packs import PackExporter

        resources = self._init_resources(resources)
        where = resources.get("metadata", {})
        if not where.get("name"):
            raise QvError("the qv_pack format needs the notebook's file: convert a file")
        path = Path(where.get("path") or ".") / f"{where['name']}.ipynb"
        details = pack_details(path, data=self.data or None)
        return PackExporter().render(nb, **details), resources
