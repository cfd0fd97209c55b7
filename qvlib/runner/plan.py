"""Planning a run: which (trust, pack) jobs exist, what each one's fingerprint is, which are due.

A job's fingerprint is the SHA-256 of everything its output depends on: the notebook's bytes,
qvlib's source files (code and templates), the trust's and the region's parameters, the
fingerprint of the trust's data slice, the pack name (and environment), the run-wide parameters
injected into every notebook (the review year and the as-at date; not the snapshot's path, whose
content the data fingerprint covers), the commentary's SHA-256 and the qvlib version.  A job whose
output exists and whose fingerprint equals the one recorded in the previous manifest is up to date
and skipped.

Notebook parameters are checked here, before any kernel starts: every parameter the runner
injects must be declared in the notebook's ``parameters`` cell (papermill itself only warns).  Each
pack notebook checks again when it runs (:func:`qvlib.notebooks.check_parameters`), for runs
that do not go through qv.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import qvlib
from qvlib.commentary import Commentary, CommentaryError, DocumentControl
from qvlib.errors import NotebookParameterError
from qvlib.runner.inputs import sha256_file, sha256_json
from qvlib.runner.registry import INJECTED, SNAPSHOT_PARAMETER, PackKind

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
    (it is also the seed of the executed notebook's cell ids).  ``executed_as`` is the path the
    executed notebook records as its own when it is written elsewhere first (on a Dask worker).
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
    executed_as: Path | None = None

    @property
    def pack(self) -> str:
        """The pack kind's name."""
        return self.kind.name

    def written_paths(self) -> list[Path]:
        """The files the job writes: the pack and the executed notebook."""
        return [self.output, self.executed]


@dataclass(frozen=True)
class TrustInput:
    """What the planner needs to know about one trust."""

    code: str
    name: str
    parameters: dict[str, Any]
    data_fingerprint: str
    #: Pack name -> the environments it is built for (``slug, site, specialty, title``).
    environments: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def code_fingerprint(
    package_dir: Path = QVLIB_DIR, sha256: Callable[[Path], str] = sha256_file
) -> str:
    """SHA-256 of the software a pack is built by: every source file of qvlib (path and bytes,
    caches excluded) and the libraries (:func:`libraries_fingerprint`), since a library upgrade
    can change a pack's bytes.

    ``sha256`` hashes one file (a run passes its cache's, which skips unchanged files).
    """
    from qvlib.runner.inputs import tree_files

    return sha256_json(
        {
            "qvlib": [
                [p.relative_to(package_dir).as_posix(), sha256(p)] for p in tree_files(package_dir)
            ],
            "libraries": libraries_fingerprint(package_dir.parent / LOCK_FILE, sha256),
        }
    )


#: The pinned lock file ``make venv`` installs from, beside ``pyproject.toml``.
LOCK_FILE = "requirements.lock"


def libraries_fingerprint(lock: Path, sha256: Callable[[Path], str] = sha256_file) -> str:
    r"""SHA-256 of the libraries qv runs with: the lock file's, in a checkout; where qv was
    installed without one (a wheel), of the installed distributions' names and versions.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     lock = Path(folder) / LOCK_FILE
    ...     _ = lock.write_text("pandas==2.2.3\n")
    ...     pinned = libraries_fingerprint(lock)
    ...     _ = lock.write_text("pandas==2.3.0\n")
    ...     pinned != libraries_fingerprint(lock)
    True
    """
    if lock.is_file():
        return sha256(lock)
    from importlib.metadata import distributions

    return sha256_json(sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()))


def notebook_parameters(notebook: Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, in the order of its ``parameters`` cell.

    Raises
    ------
    NotebookParameterError
        If the notebook has no cell tagged ``parameters``.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    if not any("parameters" in cell.get("metadata", {}).get("tags", []) for cell in cells):
        raise NotebookParameterError(
            f"{notebook}: no cell tagged 'parameters'; tag the cell of typed defaults "
            "(e.g. trust_code: str = \"RHM\"  # ODS code) with 'parameters'"
        )
    from papermill import inspect_notebook

    found = {}
    for name, param in inspect_notebook(str(notebook)).items():
        type_name = param["inferred_type_name"]
        found[name] = NotebookParameter(
            name, None if type_name == "None" else type_name, param["default"], param["help"]
        )
    return found


def check_notebook_parameters(
    kind: PackKind, declared: Mapping[str, NotebookParameter] | None = None
) -> None:
    """Check that ``kind``'s notebook declares every parameter the runner injects.

    ``declared`` is the notebook's :func:`notebook_parameters` when known already.

    Raises
    ------
    NotebookParameterError
        Naming the notebook, the undeclared parameter(s) and the declared ones.
    """
    if declared is None:
        declared = notebook_parameters(kind.notebook)
    missing = [name for name in INJECTED[kind.scope] if name not in declared]
    if missing:
        raise NotebookParameterError(
            f"{kind.notebook}: pack '{kind.name}' is given parameter(s) {missing} that its "
            f"'parameters' cell does not declare (it declares {sorted(declared)}); add e.g. "
            f"`{missing[0]}: str = ...  # help` to that cell"
        )


def job_fingerprint(
    *,
    notebook_sha256: str,
    code_sha256: str,
    parameters: Mapping[str, Any],
    data_fingerprint: str,
    pack: str,
    environment: str | None,
    injected: Mapping[str, Any],
    commentary_sha256: str | None = None,
) -> str:
    """The fingerprint of one job's inputs: changes whenever anything its output depends on
    changes, except the document state (:func:`with_document`).

    ``injected`` are the run-wide parameters injected into the notebook; the snapshot's path is
    left out (its content is ``data_fingerprint``), so moving the output folder rebuilds nothing.
    """
    return sha256_json(
        {
            "commentary": commentary_sha256,
            "notebook": notebook_sha256,
            "code": code_sha256,
            "parameters": parameters,
            "data": data_fingerprint,
            "pack": pack,
            "environment": environment,
            "injected": {k: v for k, v in injected.items() if k != SNAPSHOT_PARAMETER},
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
    injected: Mapping[str, Any],
    year_dir: Path,
    code_sha256: str,
    provenance: dict[str, Any],
    synthetic: bool,
    document: DocumentControl,
    pack_inputs: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    commentary_for: Callable[[PackKind, str | None, str], Commentary | None] | None = None,
    sha256: Callable[[Path], str] = sha256_file,
) -> list[Job]:
    """Every job of a run, in a deterministic order (pack kind order, then trust, then environment).

    Parameters
    ----------
    kinds : iterable of PackKind
        The selected pack kinds, in registry order.
    trusts : iterable of TrustInput
        The selected trusts (sorted by code); a region pack covers these.
    region_name, region_parameters : str, dict
        The region's name and its settings (part of every fingerprint).
    injected : mapping
        The run-wide notebook parameters (:data:`~qvlib.runner.registry.RUN_PARAMETERS`:
        ``review_year``, ``as_at``, ``data``, the snapshot the notebooks read); the trust code,
        environment and commentary are added per job.
    year_dir : Path
        ``<out>/<YYYY-YY>``: trust packs go to ``<ODS>/``, region packs to the folder itself.
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

    sha256 : callable
        Hashes a notebook file (a run passes its cache's).

    Raises
    ------
    CommentaryError
        Every problem of every commentary file of the run, at once.
    """
    trusts = list(trusts)
    review_year = str(injected["review_year"])
    jobs: list[Job] = []
    problems: list[str] = []
    # Parameters enter fingerprints as digests, each computed once.
    region_sha = sha256_json(region_parameters)
    trust_sha = {t.code: sha256_json(t.parameters) for t in trusts}

    def commentary_of(kind: PackKind, code: str | None, name: str) -> Commentary | None:
        if commentary_for is None:
            return None
        try:
            return commentary_for(kind, code, name)
        except CommentaryError as exc:
            problems.extend(exc.problems)
            return None

    def job(
        kind: PackKind,
        trust: TrustInput | None,
        place: Mapping[str, str] | None,
        extra: Mapping[str, Mapping[str, Any]],
    ) -> Job:
        slug = place["slug"] if place else None
        name = kind.output_name(slug)
        stem = name.rsplit(".", 1)[0]
        params: dict[str, Any] = {"region": region_sha}
        if trust is None:
            data_fp = sha256_json({t.code: t.data_fingerprint for t in trusts})
            params["trusts"] = trust_sha
            folder, key = year_dir, kind.name
        else:
            data_fp = trust.data_fingerprint
            params["trust"] = trust_sha[trust.code]
            folder, key = year_dir / trust.code, f"{trust.code}/{stem}"
        if extra:
            params["pack_inputs"] = extra
        notes = commentary_of(kind, trust.code if trust else None, name)
        parameters = {
            **({"trust_code": trust.code} if trust else {}),
            **injected,
            **extra.get("parameters", {}),
            "commentary": _path(notes),
        }
        if place is not None:
            parameters.update(site=place["site"], specialty=place["specialty"])
        return Job(
            key=key,
            kind=kind,
            trust_code=trust.code if trust else None,
            trust_name=trust.name if trust else region_name,
            environment=slug,
            review_year=review_year,
            as_at=str(injected["as_at"]),
            parameters=parameters,
            output=folder / name,
            executed=folder / "executed" / f"{stem}.ipynb",
            fingerprint=job_fingerprint(
                notebook_sha256=sha256(kind.notebook),
                code_sha256=code_sha256,
                parameters=params,
                data_fingerprint=data_fp,
                pack=kind.name,
                environment=slug,
                injected=injected,
                commentary_sha256=notes.sha256 if notes else None,
            ),
            title=f"{kind.title}: {place['title']}" if place else kind.title,
            provenance={**provenance, "data_fingerprint": data_fp[:16]},
            synthetic=synthetic,
            document=document,
            inputs=dict(extra.get("inputs", {})),
            commentary=notes,
        )

    for kind in kinds:
        if kind.scope == "region":
            jobs.append(job(kind, None, None, {}))
            continue
        extra = (pack_inputs or {}).get(kind.name, {})
        for trust in trusts:
            places: list[dict[str, str] | None] = (
                list(trust.environments.get(kind.name, []))
                if kind.scope == "environment"
                else [None]
            )
            jobs.extend(job(kind, trust, place, extra) for place in places)
    if problems:
        raise CommentaryError(problems)
    return jobs


def _path(commentary: Commentary | None) -> str:
    return str(commentary.path.resolve()) if commentary else ""


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; ``False`` for a path the system cannot even look up
    (e.g. a name too long for the file system)."""
    try:
        return path.is_file()
    except OSError:
        return False


def is_up_to_date(job: Job, previous: Mapping[str, Any] | None) -> bool:
    """Whether ``job`` can be skipped: built before with the same fingerprint, output present."""
    return (
        previous is not None
        and previous.get("status") in ("built", "skipped")
        and previous.get("fingerprint") == job.fingerprint
        and is_file(job.output)
    )
