"""Planning a run: which (trust, pack) jobs exist, what each one's fingerprint is, which are due.

A job's fingerprint is the SHA-256 of everything its output depends on: the notebook's bytes,
qvlib's source files (code and templates), the trust's and the region's parameters, the
fingerprint of the trust's data slice, the pack name (and risk id), the run-wide parameters
injected into every notebook (the review year; not the snapshot's path, whose content the data
fingerprint covers) and the qvlib version.  A job whose output exists and whose fingerprint
equals the one recorded in the previous manifest is up to date and skipped.

Notebook parameters are checked here, before any kernel starts: every parameter the runner
injects must be declared in the notebook's ``parameters`` cell (papermill itself only warns).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qvlib
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
    risk_id: str | None
    review_year: str
    parameters: dict[str, Any]
    output: Path
    executed: Path
    fingerprint: str
    title: str
    provenance: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False
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
    risk_ids: dict[str, list[str]] = field(default_factory=dict)


def code_fingerprint(
    package_dir: Path = QVLIB_DIR, sha256: Callable[[Path], str] = sha256_file
) -> str:
    """SHA-256 over every source file of qvlib (path and bytes), caches excluded.

    ``sha256`` hashes one file (a run passes its cache's, which skips unchanged files).
    """
    from qvlib.runner.inputs import tree_files

    return sha256_json(
        [[p.relative_to(package_dir).as_posix(), sha256(p)] for p in tree_files(package_dir)]
    )


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
    risk_id: str | None,
    injected: Mapping[str, Any],
) -> str:
    """The fingerprint of one job: changes whenever anything its output depends on changes.

    ``injected`` are the run-wide parameters injected into the notebook; the snapshot's path is
    left out (its content is ``data_fingerprint``), so moving the output folder rebuilds nothing.
    """
    return sha256_json(
        {
            "notebook": notebook_sha256,
            "code": code_sha256,
            "parameters": parameters,
            "data": data_fingerprint,
            "pack": pack,
            "risk_id": risk_id,
            "injected": {k: v for k, v in injected.items() if k != SNAPSHOT_PARAMETER},
            "qvlib": qvlib.__version__,
        }
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
    sha256: Callable[[Path], str] = sha256_file,
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
    injected : mapping
        The run-wide notebook parameters (:data:`~qvlib.runner.registry.RUN_PARAMETERS`:
        ``review_year``, ``data``, the snapshot the notebooks read); the trust code and risk
        id are added per job.
    year_dir : Path
        ``<out>/<YYYY-YY>``: trust packs go to ``<ODS>/``, region packs to the folder itself.
    code_sha256 : str
        :func:`code_fingerprint` of qvlib.
    provenance : dict
        Run-wide provenance shown in each pack's header (the data fingerprint is added).
    synthetic : bool
        Whether the data is synthetic (packs show a banner).
    sha256 : callable
        Hashes a notebook file.
    """
    trusts = list(trusts)
    review_year = str(injected["review_year"])
    jobs: list[Job] = []
    # Parameters enter fingerprints as digests, each computed once.
    region_sha = sha256_json(region_parameters)
    trust_sha = {t.code: sha256_json(t.parameters) for t in trusts}

    def job(kind: PackKind, key: str, trust: TrustInput | None, risk_id: str | None, **kw) -> Job:
        params = {"region": region_sha}
        if trust is None:
            data_fp = sha256_json({t.code: t.data_fingerprint for t in trusts})
            params["trusts"] = trust_sha
        else:
            data_fp = trust.data_fingerprint
            params["trust"] = trust_sha[trust.code]
        parameters = {**({"trust_code": trust.code} if trust else {}), **injected}
        if risk_id is not None:
            parameters["risk_id"] = risk_id
        return Job(
            key=key,
            kind=kind,
            trust_code=trust.code if trust else None,
            trust_name=trust.name if trust else region_name,
            risk_id=risk_id,
            review_year=review_year,
            parameters=parameters,
            fingerprint=job_fingerprint(
                notebook_sha256=sha256(kind.notebook),
                code_sha256=code_sha256,
                parameters=params,
                data_fingerprint=data_fp,
                pack=kind.name,
                risk_id=risk_id,
                injected=injected,
            ),
            title=f"{kind.title}: {risk_id}" if risk_id else kind.title,
            provenance={**provenance, "data_fingerprint": data_fp[:16]},
            synthetic=synthetic,
            **kw,
        )

    for kind in kinds:
        if kind.scope == "region":
            jobs.append(
                job(
                    kind,
                    kind.name,
                    None,
                    None,
                    output=year_dir / kind.output_name(),
                    executed=year_dir / "executed" / f"{kind.name}.ipynb",
                )
            )
            continue
        for trust in trusts:
            risk_ids: list[str | None] = (
                list(trust.risk_ids.get(kind.name, [])) if kind.scope == "risk" else [None]
            )
            for risk_id in risk_ids:
                name = kind.output_name(risk_id)
                stem = name.rsplit(".", 1)[0]
                jobs.append(
                    job(
                        kind,
                        f"{trust.code}/{stem}",
                        trust,
                        risk_id,
                        output=year_dir / trust.code / name,
                        executed=year_dir / trust.code / "executed" / f"{stem}.ipynb",
                    )
                )
    return jobs


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
