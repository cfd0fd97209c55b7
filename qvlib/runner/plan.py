"""Planning a run: which (trust, pack) jobs exist, what each one's fingerprint is, which are due.

A job's fingerprint is the SHA-256 of everything its output depends on: the notebook's bytes,
qvlib's source files (code and templates), the trust's and the region's parameters, the
fingerprint of the trust's data slice, the pack name (and environment), the review year, the as-at
date and the qvlib version.  A job whose output exists and whose fingerprint equals the one
recorded in the previous manifest is up to date and skipped.

Notebook parameters are checked here, before any kernel starts: every parameter the runner
injects must be declared in the notebook's ``parameters`` cell (papermill itself only warns).  Each
pack notebook checks again when it runs (:func:`qvlib.notebooks.check_parameters`), for runs
that do not go through qv.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import qvlib
from qvlib.commentary import Commentary, CommentaryError, DocumentControl
from qvlib.errors import NotebookParameterError
from qvlib.runner.registry import INJECTED, PackKind

QVLIB_DIR = Path(qvlib.__file__).resolve().parent


@dataclass(frozen=True)
class NotebookParameter:
    """One name declared in a notebook's ``parameters`` cell (``name: type = default  # help``)."""

    name: str
    type: str | None
    default: str
    help: str


@dataclass(frozen=True)
class Job:
    """One pack to build: everything a worker needs, and nothing that cannot be pickled.

    ``output`` and ``executed`` are absolute paths; ``key`` identifies the job across runs
    (it is also the seed of the executed notebook's cell ids).
    """

    key: str
    kind: PackKind
    trust_code: str | None
    trust_name: str
    environment: str | None
    review_year: str
    as_at: str
    parameters: dict[str, Any]
    output: Path
    executed: Path
    fingerprint: str
    title: str
    provenance: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False
    document: DocumentControl | None = None
    #: Inputs of this job beyond the run's (e.g. a CQC request file and its SHA-256), recorded
    #: in the manifest; they are part of :attr:`fingerprint`.
    inputs: dict[str, Any] = field(default_factory=dict)
    #: The pack's commentary (:mod:`qvlib.commentary`), if the team wrote one.
    commentary: Commentary | None = None
    #: The fingerprint of the inputs alone (:func:`with_document`); ``None`` until then.
    content_fingerprint: str | None = None
    #: Keep a frozen copy of the build as final version ``document.version``.
    freeze: bool = False

    @property
    def pack(self) -> str:
        """The pack kind's name."""
        return self.kind.name


@dataclass(frozen=True)
class TrustInput:
    """What the planner needs to know about one trust."""

    code: str
    name: str
    parameters: dict[str, Any]
    data_fingerprint: str
    #: Pack name -> the environments it is built for (``slug, site, specialty, title``).
    environments: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value: Any) -> str:
    """SHA-256 of a JSON document written with sorted keys (a stable digest of a structure)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_fingerprint(package_dir: Path = QVLIB_DIR) -> str:
    """SHA-256 over every source file of qvlib (path and bytes), caches excluded."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode("utf-8") + b"\0")
        digest.update(sha256_file(path).encode("ascii"))
    return digest.hexdigest()


def notebook_parameters(notebook: Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, in the order of its ``parameters`` cell.

    Raises
    ------
    NotebookParameterError
        If the notebook has no cell tagged ``parameters``.
    """
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    # papermill's loader, not nbformat's: it gives every cell the ``tags`` list papermill expects.
    nb = load_notebook_node(str(notebook))
    tagged = any("parameters" in cell.metadata.get("tags", []) for cell in nb.cells)
    if not tagged:
        raise NotebookParameterError(
            f"{notebook}: no cell tagged 'parameters'; tag the cell of typed defaults "
            "(e.g. trust_code: str = \"RHM\"  # ODS code) with 'parameters'"
        )
    found = {}
    for param in _infer_parameters(nb):
        type_name = None if param.inferred_type_name == "None" else param.inferred_type_name
        found[param.name] = NotebookParameter(param.name, type_name, param.default, param.help)
    return found


def check_notebook_parameters(kind: PackKind) -> dict[str, NotebookParameter]:
    """Check that ``kind``'s notebook declares every parameter the runner injects.

    Raises
    ------
    NotebookParameterError
        Naming the notebook, the undeclared parameter(s) and the declared ones.
    """
    declared = notebook_parameters(kind.notebook)
    missing = [name for name in INJECTED[kind.scope] if name not in declared]
    if missing:
        raise NotebookParameterError(
            f"{kind.notebook}: pack '{kind.name}' is given parameter(s) {missing} that its "
            f"'parameters' cell does not declare (it declares {sorted(declared)}); add e.g. "
            f"`{missing[0]}: str = ...  # help` to that cell"
        )
    return declared


def job_fingerprint(
    *,
    notebook_sha256: str,
    code_sha256: str,
    parameters: Mapping[str, Any],
    data_fingerprint: str,
    pack: str,
    environment: str | None,
    review_year: str,
    as_at: str,
    commentary_sha256: str | None = None,
) -> str:
    """The fingerprint of one job's inputs: changes whenever anything its output depends on
    changes, except the document state (:func:`with_document`)."""
    return sha256_json(
        {
            "commentary": commentary_sha256,
            "notebook": notebook_sha256,
            "code": code_sha256,
            "parameters": parameters,
            "data": data_fingerprint,
            "pack": pack,
            "environment": environment,
            "review_year": review_year,
            "as_at": as_at,
            "qvlib": qvlib.__version__,
        }
    )


def with_document(job: Job, document: DocumentControl, freeze: bool) -> Job:
    """``job`` building ``document``'s version and status: its fingerprint then covers the
    state too (a final build differs from a draft of the same inputs), and
    :attr:`Job.content_fingerprint` keeps the inputs' fingerprint alone."""
    content = job.content_fingerprint or job.fingerprint
    state = {
        "content": content,
        "status": document.status,
        "version": document.version,
        "approved_by": document.approved_by,
        "approved_on": str(document.approved_on) if document.approved_on else None,
    }
    return replace(
        job,
        document=document,
        freeze=freeze,
        content_fingerprint=content,
        fingerprint=sha256_json(state),
    )


def plan_jobs(
    kinds: Iterable[PackKind],
    trusts: Iterable[TrustInput],
    *,
    region_name: str,
    region_parameters: dict[str, Any],
    review_year: str,
    as_at: str,
    year_dir: Path,
    snapshot: Path,
    code_sha256: str,
    provenance: dict[str, Any],
    synthetic: bool,
    document: DocumentControl,
    pack_inputs: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    commentary_for: Callable[[PackKind, str | None, str], Commentary | None] | None = None,
) -> list[Job]:
    """Every job of a run, in a deterministic order (pack kind order, then trust, then risk).

    Parameters
    ----------
    kinds : iterable of PackKind
        The selected pack kinds, in registry order.
    trusts : iterable of TrustInput
        The selected trusts (sorted by code); a region pack covers these.
    region_name, region_parameters : str, dict
        The region's name and its settings (part of every fingerprint).
    review_year : str
        ``YYYY/YY``.
    as_at : str
        ``YYYY-MM-DD``: the date every pack is as at (injected as ``as_at``).
    year_dir : Path
        ``<out>/<YYYY-YY>``: trust packs go to ``<ODS>/``, region packs to the folder itself.
    snapshot : Path
        The data snapshot the notebooks read (injected as ``data``).
    code_sha256 : str
        :func:`code_fingerprint` of qvlib.
    provenance : dict
        Run-wide provenance shown in each pack's header (the data fingerprint is added).
    synthetic : bool
        Whether the data is synthetic (packs show a banner).
    document : DocumentControl
        The region's identity and marking, and the packs' status (a draft by default).
    pack_inputs : dict, optional
        Per pack name: ``parameters`` to inject into its trust jobs beyond the usual ones
        (e.g. ``request``, a CQC request file's path) and ``inputs`` to record in the manifest
        (e.g. that file's SHA-256); both are part of those jobs' fingerprints.
    commentary_for : callable, optional
        ``(kind, trust_code, output_name) -> Commentary | None``: the checked commentary of one
        pack (:mod:`qvlib.commentary`); its path is injected as ``commentary`` and its SHA-256
        is part of the fingerprint.

    Raises
    ------
    CommentaryError
        Every problem of every commentary file of the run, at once.
    """
    trusts = list(trusts)
    jobs: list[Job] = []
    problems: list[str] = []

    def commentary_of(kind: PackKind, code: str | None, name: str) -> Commentary | None:
        if commentary_for is None:
            return None
        try:
            return commentary_for(kind, code, name)
        except CommentaryError as exc:
            problems.extend(exc.problems)
            return None

    for kind in kinds:
        nb_sha = sha256_file(kind.notebook)
        common = {"review_year": review_year, "as_at": as_at, "data": str(snapshot)}
        if kind.scope == "region":
            notes = commentary_of(kind, None, kind.output_name())
            data_fp = sha256_json({t.code: t.data_fingerprint for t in trusts})
            params = {"region": region_parameters, "trusts": {t.code: t.parameters for t in trusts}}
            jobs.append(
                Job(
                    key=kind.name,
                    kind=kind,
                    trust_code=None,
                    trust_name=region_name,
                    environment=None,
                    review_year=review_year,
                    as_at=as_at,
                    parameters={**common, "commentary": _path(notes)},
                    output=year_dir / kind.output_name(),
                    executed=year_dir / "executed" / f"{kind.name}.ipynb",
                    fingerprint=job_fingerprint(
                        notebook_sha256=nb_sha,
                        code_sha256=code_sha256,
                        parameters=params,
                        data_fingerprint=data_fp,
                        pack=kind.name,
                        environment=None,
                        review_year=review_year,
                        as_at=as_at,
                        commentary_sha256=notes.sha256 if notes else None,
                    ),
                    title=kind.title,
                    provenance={**provenance, "data_fingerprint": data_fp[:16]},
                    synthetic=synthetic,
                    document=document,
                    commentary=notes,
                )
            )
            continue
        extra = (pack_inputs or {}).get(kind.name, {})
        for trust in trusts:
            places: list[dict[str, str] | None] = (
                list(trust.environments.get(kind.name, []))
                if kind.scope == "environment"
                else [None]
            )
            params = {"region": region_parameters, "trust": trust.parameters}
            if extra:
                params["pack_inputs"] = extra
            for place in places:
                injected = {"trust_code": trust.code, **common, **extra.get("parameters", {})}
                slug = place["slug"] if place else None
                name = kind.output_name(slug)
                stem = name.rsplit(".", 1)[0]
                notes = commentary_of(kind, trust.code, name)
                injected["commentary"] = _path(notes)
                if place is not None:
                    injected.update(site=place["site"], specialty=place["specialty"])
                jobs.append(
                    Job(
                        key=f"{trust.code}/{stem}",
                        kind=kind,
                        trust_code=trust.code,
                        trust_name=trust.name,
                        environment=slug,
                        review_year=review_year,
                        as_at=as_at,
                        parameters=injected,
                        output=year_dir / trust.code / name,
                        executed=year_dir / trust.code / "executed" / f"{stem}.ipynb",
                        fingerprint=job_fingerprint(
                            notebook_sha256=nb_sha,
                            code_sha256=code_sha256,
                            parameters=params,
                            data_fingerprint=trust.data_fingerprint,
                            pack=kind.name,
                            environment=slug,
                            review_year=review_year,
                            as_at=as_at,
                            commentary_sha256=notes.sha256 if notes else None,
                        ),
                        title=f"{kind.title}: {place['title']}" if place else kind.title,
                        provenance={**provenance, "data_fingerprint": trust.data_fingerprint[:16]},
                        synthetic=synthetic,
                        document=document,
                        inputs=dict(extra.get("inputs", {})),
                        commentary=notes,
                    )
                )
    if problems:
        raise CommentaryError(problems)
    return jobs


def _path(commentary: Commentary | None) -> str:
    return str(commentary.path.resolve()) if commentary else ""


def is_up_to_date(job: Job, previous: Mapping[str, Any] | None) -> bool:
    """Whether ``job`` can be skipped: built before with the same fingerprint, output present."""
    return (
        previous is not None
        and previous.get("status") in ("built", "skipped")
        and previous.get("fingerprint") == job.fingerprint
        and job.output.is_file()
    )
