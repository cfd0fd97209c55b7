"""``qv reviews``: parameters, data, snapshot, plan, execute, record; and ``qv list``.

The order matters: nothing is built unless the parameters parse, every requested pack's
notebook declares the parameters it will be given, every commentary file checks and the data
validates.  Then the data is written once as a snapshot every notebook reads, jobs are planned
with their fingerprints, up-to-date ones are skipped, the rest run in parallel, and
``manifest.json`` and ``index.html`` record the outcome.  Exit codes: 0 every job built or up to
date, 1 some failed, 2 bad parameters, data, commentary or output folder (nothing built),
128 + the signal's number when stopped by SIGINT, SIGTERM or SIGHUP.

Work is done once per run, and only when its inputs changed (:mod:`qvlib.runner.inputs`): an
input file is read only when its size or time changed; the data is loaded, validated, hashed
per trust and written as a snapshot only when a data file, a parameters file or qvlib's code
changed; an environment-scope pack's selection is computed only for a trust whose data
fingerprint (or the year, the as-at date, the region's settings or qvlib's code) changed.  So a
run in which nothing changed reads a few file times and the previous manifest, and starts no
worker.

One run at a time writes into an output folder: a second one exits 2 naming the first.  A lock
left by a run that was killed is taken over.  When the run is stopped by a signal, its workers
and their notebook processes and kernels are stopped, half-written files removed, and the
manifest and index say which packs were not built.

Scope of the region overview: it covers the trusts of the run; with ``--trust`` it is built only
when asked for with ``--pack region-overview``.  Entries of the previous manifest outside the
run's selection (other trusts, other packs) are kept, so a partial run does not make the next
full run rebuild everything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

import qvlib
from qvlib import display
from qvlib.commentary import (
    EXECUTIVE_SUMMARY,
    REGION_FOLDER,
    Commentary,
    DocumentControl,
    check_commentary,
    commentary_path,
    pack_headings,
    read_commentary,
)
from qvlib.config import (
    Parameters,
    RegionConfig,
    check_coverage,
    check_review_year,
    default_data_dir,
    load_parameters,
    parse_as_at,
)
from qvlib.errors import DataValidationError, QvError
from qvlib.printing import chromium_path, print_pdfs
from qvlib.project import Project, find_project
from qvlib.runner.engine import (
    PREWARM_MODULES,
    SNAPSHOT_PRELOAD,
    JobResult,
    WorkerConfig,
    remove_partial_files,
    without_iri_grammar,
    write_atomic,
)
from qvlib.runner.executors import JobExecutor, make_executor
from qvlib.runner.inputs import InputsCache, sha256_json
from qvlib.runner.plan import (
    Job,
    NotebookParameter,
    TrustInput,
    check_notebook_parameters,
    code_fingerprint,
    is_up_to_date,
    notebook_parameters,
    plan_jobs,
)
from qvlib.runner.record import (
    NOT_BUILT,
    entry_for,
    git_commit,
    read_manifest,
    write_index,
    write_manifest,
)
from qvlib.runner.registry import INJECTED, SNAPSHOT_PARAMETER, PackKind, default_packs, resolve
from qvlib.runner.report import RunProgress, summary_table
from qvlib.runner.versions import decide_jobs, freeze
from qvlib.static_charts import prune_cache

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LOCK_FILE = ".qv-reviews.lock"
RUN_FILE = ".qv-reviews.run.json"
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TEMP_FILE_RE = re.compile(r"^\..+\.tmp(\.ipynb)?$")
_SCOPE_TEXT = {
    "trust": "one per trust",
    "environment": "one per clinical learning environment whose open risks call for it",
    "region": "one per run",
}


@dataclass
class RunOptions:
    """Everything ``qv reviews`` is asked to do.

    The first twelve fields are the command-line options.  ``project`` defaults to
    :func:`qvlib.project.find_project`'s; relative ``data_dir`` and ``out_dir`` are
    taken from it (the CLI passes absolute paths).  ``data_dir`` defaults to
    :func:`qvlib.config.default_data_dir`, ``out_dir`` to the project's ``outputs/``.  The
    rest are for programmatic use (tests, benchmarks): another pack registry (default: the
    project's :func:`~qvlib.runner.registry.default_packs`), HTML exporter (an import reference
    to a class with ``render(nb, *, title, trust_code, trust_name, review_year, as_at,
    provenance, synthetic, document) -> str``), modules workers import before forking, how
    workers read the snapshot before forking (an import reference called with its path, or
    ``None``), or forcing the progress bar on or off.
    """

    trusts: list[str] = field(default_factory=list)
    packs: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    out_dir: Path | None = None
    year: str | None = None
    as_at: str | None = None
    jobs: int | None = None
    force: bool = False
    pdf: bool = False
    scheduler: str | None = None
    engine: Literal["fork", "fresh"] = "fork"
    request: Path | None = None
    project: Project | None = None
    registry: Sequence[PackKind] | None = None
    exporter: str = "qvlib.packs:PackExporter"
    prewarm: tuple[str, ...] = PREWARM_MODULES
    preload: str | None = SNAPSHOT_PRELOAD
    progress_bar: bool | None = None


class RunStopped(Exception):
    """The run received SIGINT, SIGTERM or SIGHUP."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`RunStopped` (once: later ones are ignored
    while the run stops)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise RunStopped(signum)

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Deferred:
    stopped: RunStopped | None = None


@contextlib.contextmanager
def _deferred_signals() -> Iterator[_Deferred]:
    """While the manifest and index are written, a stop signal is noted, not raised."""
    late = _Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield late
        return

    def note(signum: int, _frame: Any) -> None:
        late.stopped = late.stopped or RunStopped(signum)

    previous = {number: signal.signal(number, note) for number in STOP_SIGNALS}
    try:
        yield late
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_parameters(review_year: str, as_at: date, snapshot: Path) -> dict[str, Any]:
    """The parameters injected into every notebook of a run (``RUN_PARAMETERS``), by name."""
    return {
        "review_year": review_year,
        "as_at": as_at.isoformat(),
        SNAPSHOT_PARAMETER: str(snapshot),
    }


def load_dataset(path: Path, params: Parameters):
    """Load and validate the data directory (:func:`qvlib.datasets.load`)."""
    from qvlib.datasets import load

    return load(path, params=params)


def select_packs(
    registry: Sequence[PackKind], requested: Sequence[str], trusts_filtered: bool
) -> list[PackKind]:
    """The pack kinds of a run, in registry order.

    Unrequested kinds that are not ready (no notebook yet, or no finalize hook for a non-HTML
    output) are skipped with a warning; the region
    overview is left out of a run restricted with ``--trust`` unless requested.

    Raises
    ------
    QvError
        For an unknown pack name (listing the known ones) or a requested pack that is not
        ready.
    """
    known = [kind.name for kind in registry]
    unknown = [name for name in requested if name not in known]
    if unknown:
        raise QvError(f"unknown pack(s) {unknown}; known packs are {known}")
    chosen = []
    for kind in registry:
        explicit = kind.name in requested
        if requested and not explicit:
            continue
        missing = kind.missing()
        if missing:
            if explicit:
                raise QvError(f"pack '{kind.name}' cannot be built: {missing}")
            log.warning("pack '%s' skipped: %s", kind.name, missing)
            continue
        if kind.scope == "region" and trusts_filtered and not explicit:
            continue
        chosen.append(kind)
    return chosen


def _review_year(options: RunOptions, params: Parameters) -> str:
    year = options.year or params.region.review_year
    try:
        return check_review_year(year)
    except ValueError as exc:
        raise QvError(f"--year: {exc}") from None


def _declared(kind: PackKind, cache: InputsCache) -> dict[str, NotebookParameter]:
    """The notebook's declared parameters, read (with papermill) only when it changed."""
    sha = cache.sha256(kind.notebook)
    known = cache.notebook(kind.notebook, sha)
    if known is not None:
        return {name: NotebookParameter(**value) for name, value in known.items()}
    declared = notebook_parameters(kind.notebook)
    cache.remember_notebook(kind.notebook, sha, {n: vars(p) for n, p in declared.items()})
    return declared


class _Data:
    """The run's data: what the cache knows of it, loaded only when something needs more."""

    def __init__(self, path: Path, params: Parameters, cache: InputsCache, state: str):
        self.path, self.params, self.cache, self.state = path, params, cache, state
        self._dataset = None
        self.info = cache.dataset(state)

    def dataset(self):
        """The loaded, validated dataset (loaded on first use)."""
        if self._dataset is None:
            self._dataset = load_dataset(self.path, self.params)
        return self._dataset

    def describe(self) -> dict[str, Any]:
        """Per trust its name and data fingerprint, the metadata and the snapshot's name."""
        if self.info is None:
            ds = self.dataset()
            names, fingerprints = ds.trust_names(), ds.trust_fingerprints()
            coverage = ds.coverage
            self.info = {
                "meta": json.loads(json.dumps(dict(ds.meta or {}), default=str)),
                "snapshot": ds.content_hash(),
                "trusts": {c: {"name": names[c], "fingerprint": fingerprints[c]} for c in names},
                "files": sorted(Path(name).as_posix() for name in ds.files),
                "sources": json.loads(json.dumps(list(ds.sources), default=str)),
                "coverage": [
                    coverage.start.isoformat() if coverage.start else None,
                    coverage.end.isoformat() if coverage.end else None,
                ],
            }
            self.cache.remember_dataset(self.state, self.info)
        return self.info

    def coverage(self) -> tuple[date | None, date | None]:
        """The first and last day of the data's period (:class:`qvlib.datasets.Coverage`)."""
        start, end = self.describe()["coverage"]
        return tuple(date.fromisoformat(d) if d else None for d in (start, end))

    def files(self) -> list[dict[str, str]]:
        """The files the data was read from, with their SHA-256 (for the manifest)."""
        return [
            {"path": name, "sha256": self.cache.sha256(self.path / name)}
            for name in self.describe()["files"]
        ]

    def snapshot(self, directory: Path) -> Path:
        """The snapshot of the data under ``directory``, written if it is not there."""
        path = directory / self.describe()["snapshot"]
        if not path.is_dir():
            path = Path(self.dataset().write_snapshot(directory))
        return path


def selection_key(
    kind: PackKind,
    data_fingerprint: str,
    region: dict[str, Any],
    year: str,
    as_at: date,
    code: str,
) -> str:
    """What a brief selection depends on: the trust's data, the year and as-at date, the
    region's settings, the hook and qvlib's code."""
    hook = kind.select_environments
    if callable(hook):
        hook = f"{hook.__module__}:{hook.__qualname__}"
    return sha256_json(
        {
            "pack": kind.name,
            "hook": hook,
            "trust_data": data_fingerprint,
            "review_year": year,
            "as_at": as_at.isoformat(),
            "region": region,
            "code": code,
        }
    )


def _trust_inputs(
    data: _Data,
    params: Parameters,
    requested: Sequence[str],
    kinds: list[PackKind],
    year: str,
    as_at: date,
    code_sha: str,
) -> list[TrustInput]:
    info = data.describe()
    available = sorted(info["trusts"])
    if requested:
        codes = [params.code_map.get(code, code) for code in requested]
        unknown = [code for code in codes if code not in available]
        if unknown:
            raise QvError(f"unknown trust(s) {unknown}; the data has trusts {available}")
        codes = sorted(set(codes))
    else:
        codes = available
    missing = sorted(set(params.trusts) - set(available))
    if missing:
        log.warning("trust(s) %s have parameters but no data; no packs for them", missing)
    selecting = []
    for kind in kinds:
        if kind.scope != "environment":
            continue
        if kind.select_environments is None:
            log.warning("pack '%s' has no environment selector; no briefs planned", kind.name)
        else:
            selecting.append(kind)
    inputs = []
    region = params.region.model_dump(mode="json")
    for code in codes:
        fingerprint = info["trusts"][code]["fingerprint"]
        environments, trust_data = {}, None
        for kind in selecting:
            key = selection_key(kind, fingerprint, region, year, as_at, code_sha)
            places = data.cache.selection(key)
            if places is None:
                trust_data = trust_data or data.dataset().trust(code)
                selected = resolve(kind.select_environments)(trust_data, params.region, year, as_at)
                places = _environments(code, kind.name, selected)
                data.cache.remember_selection(key, code, places)
            environments[kind.name] = places
        config = params.trusts.get(code)
        inputs.append(
            TrustInput(
                code=code,
                name=config.name if config else info["trusts"][code]["name"],
                parameters=config.model_dump(mode="json") if config else {},
                data_fingerprint=fingerprint,
                environments=environments,
            )
        )
    return inputs


def _environments(trust: str, pack: str, selected) -> list[dict[str, str]]:
    """The environments a brief selector chose, sorted by slug; a slug must name a file.

    Raises
    ------
    QvError
        If a slug cannot name a file.
    """
    places = sorted((dict(p) for p in selected), key=lambda p: p["slug"])
    bad = [p["slug"] for p in places if not _SLUG_RE.match(p["slug"])]
    if bad:
        raise QvError(
            f"trust {trust}: environment name(s) {bad} selected for pack '{pack}' cannot name a "
            "file; they may hold lower-case letters, digits and '-' only"
        )
    return places


#: The pack that answers a CQC request, and the notebook parameter the request file's path goes to.
REQUEST_PACK, REQUEST_PARAMETER = "cqc-response-bundle", "request"


def _request(options: RunOptions, registry: Sequence[PackKind], cache: InputsCache):
    """The run's CQC request file, parsed and checked (``None`` without ``--request``).

    Raises
    ------
    QvError
        A request file that does not parse (naming the file and key), a run that does not build
        the CQC response bundle, or a bundle notebook that does not declare ``request``.
    """
    if options.request is None:
        return None
    from qvlib.cqc import load_request

    if options.packs and REQUEST_PACK not in options.packs:
        raise QvError(
            f"--request {options.request}: a request is answered by the '{REQUEST_PACK}' pack; "
            f"add --pack {REQUEST_PACK}"
        )
    request = load_request(options.request)
    kind = next((k for k in registry if k.name == REQUEST_PACK), None)
    if (
        kind is not None
        and kind.notebook.is_file()
        and REQUEST_PARAMETER not in _declared(kind, cache)
    ):
        raise QvError(
            f"{kind.notebook}: --request needs the notebook to declare "
            f'`{REQUEST_PARAMETER}: str = ""` in its parameters cell'
        )
    return request


def _check_request_trusts(request, path: Path, codes: Sequence[str]) -> None:
    others = sorted(set(codes) - {request.trust})
    if others:
        raise QvError(
            f"--request {path}: the request is about trust {request.trust} (key 'trust'), but "
            f"the run also builds {others}; run it with --trust {request.trust}"
        )


def _request_inputs(path: Path, project: Project) -> dict[str, dict[str, dict]]:
    """What the request adds to the bundle's job: its path (injected) and SHA-256 (recorded)."""
    from qvlib.runner.inputs import sha256_file

    resolved = Path(path).resolve()
    return {
        REQUEST_PACK: {
            "parameters": {REQUEST_PARAMETER: str(resolved)},
            "inputs": {
                "request_file": {"path": project.display(resolved), "sha256": sha256_file(resolved)}
            },
        }
    }


def _period_text(start: date | None, end: date | None, as_at: date) -> str | None:
    """The data's period as a pack may show it, e.g. '1 Apr 2022 to 31 Mar 2024'.

    It ends at the as-at date when the data runs on beyond it: a pack as at a date does not
    say that later data exist.
    """
    if start is None or end is None:
        return None
    return f"{display.fmt_date(start)} to {display.fmt_date(min(end, as_at))}"


def _commentary_lookup(
    data_dir: Path, year: str, region: RegionConfig, cache: InputsCache, code_sha: str
) -> Callable[[PackKind, str | None, str], Commentary | None]:
    """Finds and checks each pack's commentary (:mod:`qvlib.commentary`) for the planner; a
    file that passed before, against the same notebook, settings and code, is not checked
    again."""
    headings: dict[str, list[str]] = {}
    settings = sha256_json(region.model_dump(mode="json"))

    def find(kind: PackKind, trust_code: str | None, output_name: str) -> Commentary | None:
        path = commentary_path(data_dir, year, trust_code, output_name)
        if not path.is_file():
            return None
        notes = read_commentary(path)
        key = sha256_json(
            [notes.sha256, kind.name, cache.sha256(kind.notebook), kind.scope, settings, code_sha]
        )
        if cache.checked(key):
            return notes
        if kind.name not in headings:
            headings[kind.name] = pack_headings(kind.notebook)
        from qvlib.findings import value_names

        names = value_names(region, overview=kind.scope == "region")
        check_commentary(notes, headings[kind.name], names, pack=kind.name)
        cache.remember_checked(key)
        return notes

    return find


def _print_pdfs(
    jobs: Sequence[Job], results: dict[str, JobResult], errors: Console
) -> dict[str, Path]:
    """Print the run's HTML packs to PDF: those built now, and those up to date with no PDF.

    A print that fails marks its job failed (the HTML stays built); the others are printed.
    """
    wanted = [
        j
        for j in jobs
        if j.output.suffix == ".html"
        and (
            results[j.key].status == "built"
            or (results[j.key].status == "skipped" and not j.output.with_suffix(".pdf").is_file())
        )
    ]
    try:  # one browser for the whole run
        return dict(
            zip([j.key for j in wanted], print_pdfs([j.output for j in wanted]), strict=True)
        )
    except QvError:
        pass  # find which, one by one
    printed: dict[str, Path] = {}
    for job in wanted:
        try:
            [printed[job.key]] = print_pdfs([job.output])
        except QvError as exc:
            errors.print(f"qv reviews: {job.key}: no PDF: {exc}", markup=False, highlight=False)
            results[job.key] = replace(results[job.key], status="failed", error=f"PDF: {exc}")
    return printed


def _unmatched_commentary(
    data_dir: Path,
    year: str,
    registry: Sequence[PackKind],
    kinds: Sequence[PackKind],
    trusts: Sequence[TrustInput],
    jobs: Sequence[Job],
) -> list[str]:
    """Commentary files of this run's trusts and packs that no pack of the run uses: a
    misspelt file name, or a brief for an environment that no longer needs a visit."""
    year_folder = commentary_path(data_dir, year, None, "pack.html").parent.parent
    if not year_folder.is_dir():
        return []
    used = {j.commentary.path.resolve() for j in jobs if j.commentary is not None}
    selected = {k.name for k in kinds}
    every = sorted((k.name for k in registry), key=len, reverse=True)
    folders = {t.code for t in trusts}
    if any(k.scope == "region" for k in kinds):
        folders.add(REGION_FOLDER)
    found = []
    for path in sorted(year_folder.glob("*/*.md")):
        if path.parent.name not in folders or path.resolve() in used:
            continue
        kind = next((n for n in every if path.stem == n or path.stem.startswith(f"{n}-")), None)
        if kind is not None and kind not in selected:
            continue  # for a pack this run does not build
        names = sorted(
            j.output.with_suffix(".md").name
            for j in jobs
            if (j.trust_code or REGION_FOLDER) == path.parent.name
        )
        found.append(
            f"commentary {path} is used by no pack of this run; files in that folder are "
            f"named after the packs: {', '.join(names) or 'none is built'}"
        )
    return found


@contextlib.contextmanager
def _one_run_at_a_time(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's lock; exit 2 when another run holds it or the folder is
    unwritable.  A lock left by a killed run is free again and is taken over."""
    from filelock import FileLock, Timeout

    run_file = out_dir / RUN_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(out_dir / LOCK_FILE, timeout=0)
        lock.acquire()
    except Timeout:
        raise QvError(
            f"another qv reviews{_describe_run(run_file)} is writing into {out_dir}; wait for "
            "it to finish, or give another --out"
        ) from None
    except OSError as exc:
        raise QvError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
    try:
        if run_file.exists():
            log.warning(
                "a run into %s did not finish%s; its lock is taken over",
                out_dir,
                _describe_run(run_file),
            )
        started = datetime.now(UTC).isoformat(timespec="seconds")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        try:
            write_atomic(run_file, json.dumps(info) + "\n")
        except OSError as exc:
            raise QvError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
        yield
        run_file.unlink(missing_ok=True)
    finally:
        lock.release()


def _describe_run(run_file: Path) -> str:
    try:
        info = json.loads(run_file.read_text(encoding="utf-8"))
        return f" (pid {info['pid']} on {info['host']}, started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _remove_temp_files(year_dir: Path) -> None:
    """Remove what interrupted atomic writes left in the year's folder (this run holds it)."""
    if year_dir.is_dir():
        for path in year_dir.rglob(".*.tmp*"):
            if _TEMP_FILE_RE.match(path.name):
                path.unlink(missing_ok=True)


def run_reviews(options: RunOptions) -> int:
    """Build every out-of-date (trust, pack) of the run; return the exit code (0, 1, 2 or
    128 + signal).

    The run's workers and kernels work on the same project as the run (``QV_PROJECT``).
    """
    without_iri_grammar()
    errors = Console(stderr=True, soft_wrap=True)
    try:
        project = options.project or find_project()
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    with project.exported(), _stop_on_signals():
        try:
            return _run(options, project, errors)
        except RunStopped as exc:
            errors.print(f"qv reviews: stopped by {exc}; nothing was built", markup=False)
            return 128 + exc.signum


class _BadData(QvError):
    """The data of a run does not validate."""

    def __init__(self, data_dir: Path, error: DataValidationError):
        super().__init__(f"the data in {data_dir} has problems; nothing was built.\n{error}")


@dataclass
class _Plan:
    """What a run is asked to build, from what."""

    project: Project
    params: Parameters
    year: str
    as_at: date
    registry: Sequence[PackKind]
    kinds: list[PackKind]
    trusts: list[TrustInput]
    data: _Data
    data_source: str
    code_sha: str
    out_dir: Path
    request: Any = None

    @property
    def year_dir(self) -> Path:
        """``<out>/<YYYY-YY>``: the review year's folder."""
        return self.out_dir / self.year.replace("/", "-")


def _plan(
    options: RunOptions,
    project: Project,
    cache: InputsCache,
    loading: Callable[[], None] | None = None,
) -> _Plan:
    """Parameters, packs, notebooks, data and trusts of a run: checked, nothing written.

    ``loading`` is called when the data has to be loaded (it changed since the last run).

    Raises
    ------
    QvError
        Bad parameters, options, notebooks or data.
    """
    params = load_parameters(project.parameters_dir)
    year = _review_year(options, params)
    registry = default_packs(project) if options.registry is None else options.registry
    request = _request(options, registry, cache)
    # A request is about one trust: without --trust, the run builds that trust only.
    wanted = list(options.trusts) or ([request.trust] if request is not None else [])
    kinds = select_packs(registry, options.packs, bool(wanted))
    for kind in kinds:
        check_notebook_parameters(kind, _declared(kind, cache))
    if options.pdf:
        chromium_path()  # no browser: say so now, before anything is built
    if options.jobs is not None and options.jobs < 1:
        raise QvError(f"--jobs {options.jobs}: give a number of workers of 1 or more")
    if options.data_dir:
        data_dir, source = project.path(options.data_dir), "--data"
    else:
        data_dir, source = default_data_dir()
    as_at = parse_as_at(options.as_at, year, date.today())
    code_sha = code_fingerprint(sha256=cache.sha256)
    state = sha256_json(
        {
            "data": cache.tree(data_dir) if data_dir.is_dir() else str(data_dir),
            "parameters": cache.tree(project.parameters_dir),
            "code": code_sha,
            "qvlib": qvlib.__version__,
        }
    )
    data = _Data(data_dir, params, cache, state)
    if data.info is None and loading is not None:
        loading()
    try:
        trusts = _trust_inputs(data, params, wanted, kinds, year, as_at, code_sha)
    except DataValidationError as exc:
        raise _BadData(data_dir, exc) from None
    if request is not None:
        _check_request_trusts(request, options.request, [t.code for t in trusts])
    out_dir = project.path(options.out_dir) if options.out_dir else project.outputs_dir
    return _Plan(
        project=project,
        params=params,
        year=year,
        as_at=as_at,
        registry=registry,
        kinds=kinds,
        trusts=trusts,
        data=data,
        data_source=source,
        code_sha=code_sha,
        out_dir=out_dir,
        request=request,
    )


def _jobs(options: RunOptions, plan: _Plan) -> list[Job]:
    """Every job of the run, with its fingerprint and commentary.

    Raises
    ------
    QvError
        A commentary file that does not check (every problem of every file at once).
    """
    info = plan.data.describe()
    meta, region = info["meta"], plan.params.region
    publications = None
    if info["sources"]:  # national files read as published (none in qv's own layout)
        from qvlib.sources import describe_sources, known_at

        publications = describe_sources(known_at(info["sources"], plan.as_at, region))
    start, end = plan.data.coverage()
    provenance = {
        "as at": display.fmt_date(plan.as_at),
        "dataset": meta.get("name", plan.data.path.name),
        "data period": _period_text(start, end, plan.as_at),
        "national publications": publications,
        "software": f"qv {qvlib.__version__}",
    }
    snapshot = plan.out_dir / ".snapshots" / info["snapshot"]
    return plan_jobs(
        plan.kinds,
        plan.trusts,
        region_name=region.region,
        region_parameters=region.model_dump(mode="json"),
        injected=run_parameters(plan.year, plan.as_at, snapshot),
        year_dir=plan.year_dir,
        code_sha256=plan.code_sha,
        provenance={k: v for k, v in provenance.items() if v is not None},
        synthetic=bool(meta.get("synthetic", False)),
        document=DocumentControl.from_region(region),
        pack_inputs=(
            _request_inputs(options.request, plan.project) if plan.request is not None else None
        ),
        commentary_for=_commentary_lookup(
            plan.data.path, plan.year, region, plan.data.cache, plan.code_sha
        ),
        sha256=plan.data.cache.sha256,
    )


def planned_jobs(options: RunOptions) -> list[Job]:
    """The jobs ``qv reviews`` plans for ``options``, up to date or not; nothing is written.

    Raises
    ------
    QvError
        As :func:`run_reviews` reports them.
    """
    project = options.project or find_project()
    with project.exported():
        out_dir = project.path(options.out_dir) if options.out_dir else project.outputs_dir
        cache = InputsCache(out_dir)
        return _jobs(options, _plan(options, project, cache))


def _prepare_exporter(exporter: str) -> None:
    """Build what every page of ``exporter`` shares (its ``prepare``, if it has one)."""
    prepare = getattr(resolve(exporter), "prepare", None)
    if prepare is not None:
        prepare()


def _run(options: RunOptions, project: Project, errors: Console) -> int:
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a CI log: keep each summary row on one line
    started = datetime.now(UTC).isoformat(timespec="seconds")
    out_dir = project.path(options.out_dir) if options.out_dir else project.outputs_dir
    cache = InputsCache(out_dir)
    plan = None
    config = WorkerConfig(
        engine=options.engine,
        exporter=options.exporter,
        prewarm=options.prewarm,
        preload=options.preload,
    )
    executor: JobExecutor | None = None
    preparing: Future[None] | None = None

    def workers() -> JobExecutor:
        """The run's executor, made on first need (a run with nothing to build makes none)."""
        nonlocal executor
        if executor is None:
            workers_wanted = options.jobs or os.cpu_count() or 1
            executor = make_executor(workers_wanted, config, options.scheduler)
        return executor

    def start_workers() -> None:
        # Changed data will almost surely mean packs to build: local workers start importing
        # what notebooks need, and the exporter's shared caches are built, while this process
        # loads and checks the data.
        nonlocal preparing
        if not options.scheduler:
            workers().start()
        preparing = background.submit(_prepare_exporter, options.exporter)

    def prepared() -> None:
        # Shared caches are built once here, not by every worker at once.
        if preparing is None:
            _prepare_exporter(options.exporter)
        else:
            preparing.result()

    def warn(text: str) -> None:
        errors.print(f"qv reviews: warning: {text}", markup=False, highlight=False)

    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qv-prepare")
    try:
        if options.scheduler:
            workers()  # a scheduler that does not answer: say so before anything is loaded
        plan = _plan(options, project, cache, start_workers)
        console.print(f"data: {plan.data.path} ({plan.data_source})", markup=False, highlight=False)
        for warning in check_coverage(*plan.data.coverage(), plan.year, plan.as_at):
            warn(warning)
        try:
            jobs = _jobs(options, plan)
        except QvError as exc:
            raise QvError(f"{exc}\nqv reviews: nothing was built.") from None
        for warning in _unmatched_commentary(
            plan.data.path, plan.year, plan.registry, plan.kinds, plan.trusts, jobs
        ):
            warn(warning)
        with _one_run_at_a_time(out_dir):
            return _build(options, console, errors, plan, jobs, started, workers, prepared)
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    finally:
        background.shutdown(wait=True)
        if executor is not None:
            executor.close(abort=True)
        if out_dir.is_dir():
            cache.save(t.code for t in (plan.trusts if plan else []))


def _build(
    options: RunOptions,
    console: Console,
    errors: Console,
    plan: _Plan,
    jobs: list[Job],
    started: str,
    workers: Callable[[], JobExecutor],
    prepared: Callable[[], None],
) -> int:
    year_dir = plan.year_dir
    snapshots = plan.out_dir / ".snapshots"
    data = plan.data
    previous = read_manifest(year_dir)
    identity = DocumentControl.from_region(plan.params.region)
    request = plan.request
    identities = {
        j.key: replace(identity, marking=request.marking)
        for j in jobs
        if request is not None and request.marking and j.pack == REQUEST_PACK
    }
    jobs, version_notes = decide_jobs(
        jobs, previous, year_dir, plan.as_at, {j.key: identities.get(j.key, identity) for j in jobs}
    )
    skipped = {j.key for j in jobs if not options.force and is_up_to_date(j, previous.get(j.key))}
    due = [j for j in jobs if j.key not in skipped]
    results: dict[str, JobResult] = {key: JobResult(key=key, status="skipped") for key in skipped}
    stopped: RunStopped | None = None
    if due:
        try:
            try:
                snapshot = data.snapshot(snapshots)
            except OSError as exc:
                raise QvError(f"could not write the snapshot into {snapshots} ({exc})") from None
            prepared()
            executor = workers()
            executor.config = replace(executor.config, snapshot=str(snapshot))
            by_key = {j.key: j for j in jobs}
            # The region overview reads every trust: the longest job starts first, not last.
            queue = sorted(due, key=lambda j: j.kind.scope != "region")
            with RunProgress(console, len(jobs), len(skipped), options.progress_bar) as bar:
                for result in executor.run(queue):
                    results[result.key] = result
                    bar.advance(by_key[result.key], result)
            executor.close()  # idle workers stop their chart servers and exit
        except RunStopped as exc:
            workers().close(abort=True)
            stopped = exc
    for job in due:
        if job.key not in results:
            reason = f"not built: the run was stopped by {stopped}" if stopped else "not built"
            results[job.key] = JobResult(key=job.key, status="cancelled", error=reason)
            remove_partial_files(job.written_paths())
    versions = {
        j.key: list((previous.get(j.key) or {}).get("versions", []))
        if results[j.key].status != "skipped"
        else None
        for j in jobs
    }
    if due and not stopped:
        prune_cache()  # chart pictures of data long replaced
    pdfs = _print_pdfs(jobs, results, errors) if options.pdf and not stopped else {}
    for job in jobs:  # a PDF of an earlier build would contradict the pack beside it
        if results[job.key].status == "built" and job.key not in pdfs:
            job.output.with_suffix(".pdf").unlink(missing_ok=True)
    for job in jobs:
        result = results[job.key]
        if job.freeze and result.status == "built":
            outputs = [*result.outputs, *([pdfs[job.key]] if job.key in pdfs else [])]
            try:
                versions[job.key].append(freeze(job, outputs, year_dir).record())
            except OSError as exc:
                results[job.key] = replace(
                    result, status="failed", error=f"could not keep the final version: {exc}"
                )
    with _deferred_signals() as late:
        if stopped or any(r.status in NOT_BUILT for r in results.values()):
            _remove_temp_files(year_dir)
        _record(options, plan, jobs, results, previous, started, versions, pdfs)
    stopped = stopped or late.stopped
    table = summary_table([(j, results[j.key]) for j in jobs if j.key not in skipped], year_dir)
    if table.row_count:
        console.print(table)
    for note in version_notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    failed = [j.key for j in jobs if results[j.key].status == "failed"]
    cancelled = [j.key for j in jobs if results[j.key].status == "cancelled"]
    built = len(jobs) - len(skipped) - len(failed) - len(cancelled)
    summary = f"{built} built, {len(failed)} failed, {len(skipped)} up to date"
    if cancelled:
        summary += f", {len(cancelled)} not built"
    console.print(f"{summary}; index: {year_dir / 'index.html'}", markup=False, highlight=False)
    if stopped:
        errors.print(f"qv reviews: stopped by {stopped}", markup=False)
        return 128 + stopped.signum
    return EXIT_FAILED if failed else EXIT_OK


def _record(
    options: RunOptions,
    plan: _Plan,
    jobs: list[Job],
    results: dict[str, JobResult],
    previous: dict[str, dict[str, Any]],
    started: str,
    versions: dict[str, list[dict[str, Any]] | None],
    pdfs: dict[str, Path],
) -> None:
    """Write ``manifest.json`` and ``index.html`` of the review year."""
    data, year, year_dir, project = plan.data, plan.year, plan.year_dir, plan.project
    info = data.describe()
    inputs = {"data_files": data.files(), "snapshot": info["snapshot"]}
    commit = None if project.packaged else git_commit(project.root)
    entries = [
        entry_for(
            j,
            results[j.key],
            year_dir=year_dir,
            inputs=inputs,
            commit=commit,
            previous=previous.get(j.key),
            versions=versions[j.key],
            pdf=pdfs.get(j.key),
            sha256=data.cache.sha256,
        )
        for j in jobs
    ]
    selected_packs = {k.name for k in plan.kinds}
    selected_trusts = {t.code for t in plan.trusts}
    planned = {j.key for j in jobs}
    entries += [
        e
        for key, e in previous.items()
        if key not in planned
        and not (e.get("pack") in selected_packs and e.get("trust") in selected_trusts | {None})
    ]
    synthetic = bool(info["meta"].get("synthetic", False))
    try:
        write_manifest(
            year_dir,
            entries,
            run={
                "started": started,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_dir": project.display(data.path),
                "snapshot": info["snapshot"],
                "sources": info["sources"],
                "review_year": year,
                "as_at": plan.as_at.isoformat(),
                "engine": options.engine if not options.scheduler else f"{options.engine} on Dask",
                "qvlib_version": qvlib.__version__,
                "git_commit": commit,
            },
        )
        write_index(
            year_dir,
            entries,
            review_year=year,
            as_at=plan.as_at,
            region=plan.params.region.region,
            synthetic=synthetic,
        )
    except OSError as exc:
        raise QvError(
            f"could not write the manifest and index into {year_dir} ({exc}); the packs "
            "built are in place but unrecorded: the next run rebuilds them"
        ) from None


def describe(registry: Sequence[PackKind] | None = None, project: Project | None = None) -> str:
    """Text for ``qv list``: the project, its trusts, pack kinds, and each notebook's declared
    parameters (``project`` defaults to the current one, ``registry`` to its packs)."""
    project = project or find_project()
    registry = default_packs(project) if registry is None else registry
    lines = [f"Project: {project.root} (found by {project.found_by})"]
    params = None
    try:
        params = load_parameters(project.parameters_dir)
    except QvError as exc:
        lines += ["Trusts: parameters do not load:", str(exc)]
    else:
        lines.append(f"Trusts ({params.region.region}, review year {params.region.review_year}):")
        lines += [f"  {code:<6} {t.name}" for code, t in params.trusts.items()]
    lines += ["", "Packs (qv reviews --pack NAME):"]
    for kind in registry:
        lines.append(f"  {kind.name}: {kind.title}, {_SCOPE_TEXT[kind.scope]}")
        if not kind.notebook.is_file():
            lines.append(f"      notebook {project.display(kind.notebook)}: not written yet")
            continue
        if kind.missing():
            lines.append(f"      not ready: {kind.missing()}")
        lines.append(f"      notebook {project.display(kind.notebook)}; parameters:")
        try:
            declared = notebook_parameters(kind.notebook)
        except QvError as exc:
            lines.append(f"      {exc}")
            continue
        for p in declared.values():
            typed = f"{p.name}: {p.type}" if p.type else p.name
            injected = " (set by qv)" if p.name in INJECTED[kind.scope] else ""
            help_text = f"  # {p.help}" if p.help else ""
            lines.append(f"        {typed} = {p.default}{help_text}{injected}")
        sections = [EXECUTIVE_SUMMARY, *pack_headings(kind.notebook)]
        lines.append(f"      commentary sections (## Heading): {'; '.join(sections)}")
    if params is not None:
        lines += ["", f"Figures commentary may quote ({{{{ name }}}}; {COMMENTARY_LAYOUT}):"]
        from qvlib.findings import REGION_VALUE_DOCS, VALUE_DOCS

        lines += _figure_lines("trust packs and briefs", VALUE_DOCS, params.region)
        lines += _figure_lines("the region overview", REGION_VALUE_DOCS, params.region)
    return "\n".join(lines)


#: Where commentary files go, in words (``qv list``).
COMMENTARY_LAYOUT = "files in <data>/commentary/<YYYY-YY>/<ODS or region>/<pack file>.md"


def _figure_lines(what: str, docs: dict[str, str], region: RegionConfig) -> list[str]:
    lines = [f"  {what}:"]
    for name, description in docs.items():
        lines.append(f"    {name:<34} {description}")
    from qvlib.findings import value_key
    from qvlib.schemas import NTS_OUTCOMES

    bands = ", ".join(value_key(b) for b in region.risk.band_names())
    outcomes = ", ".join(value_key(o) for o in NTS_OUTCOMES)
    lines.append(f"    (<band>: {bands}; <outcome>: {outcomes})")
    return lines
