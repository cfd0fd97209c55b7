"""``qv reviews``: parameters, data, snapshot, plan, execute, record; and ``qv list``.

The order matters: nothing is built unless the parameters parse, every requested pack's
notebook declares the parameters it will be given, and the data validates.  Then the data is
written once as a snapshot every notebook reads, jobs are planned with their fingerprints,
up-to-date ones are skipped, the rest run in parallel, and ``manifest.json`` and ``index.html``
record the outcome.  Exit codes: 0 every job built or up to date, 1 some failed, 2 bad
parameters, data or output folder (nothing built), 128 + the signal's number when stopped by
SIGINT, SIGTERM or SIGHUP.

Work is done once per run, and only when its inputs changed (:mod:`qvlib.runner.inputs`): an
input file is read only when its size or time changed; the data is loaded, validated, hashed
per trust and written as a snapshot only when a data file, a parameters file or qvlib's code
changed; a risk-scope pack's selection is computed only for a trust whose data fingerprint (or
the year, the region's settings or qvlib's code) changed.  So a run in which nothing changed
reads a few file times and the previous manifest, and starts no worker.

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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

import qvlib
from qvlib.config import PARAMETERS_DIR, ROOT, Parameters, check_review_year, load_parameters
from qvlib.errors import DataValidationError, QvError
from qvlib.runner.engine import (
    PREWARM_MODULES,
    SNAPSHOT_PRELOAD,
    JobResult,
    WorkerConfig,
    remove_partial_files,
    write_atomic,
)
from qvlib.runner.executors import JobExecutor, make_executor
from qvlib.runner.inputs import InputsCache, sha256_json
from qvlib.runner.plan import (
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
    display_path,
    entry_for,
    git_commit,
    read_manifest,
    write_index,
    write_manifest,
)
from qvlib.runner.registry import INJECTED, PACKS, SNAPSHOT_PARAMETER, PackKind, resolve
from qvlib.runner.report import RunProgress, summary_table

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LOCK_FILE = ".qv-reviews.lock"
RUN_FILE = ".qv-reviews.run.json"
_RISK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TEMP_FILE_RE = re.compile(r"^\..+\.tmp(\.ipynb)?$")
_SCOPE_TEXT = {
    "trust": "one per trust",
    "risk": "one per open risk that calls for it",
    "region": "one per run",
}


@dataclass
class RunOptions:
    """Everything ``qv reviews`` is asked to do.

    The first nine fields are the command-line options.  The rest are for programmatic use
    (tests, benchmarks): another pack registry, parameters directory, HTML exporter (an import
    reference to a class with ``render(nb, *, title, trust_code, trust_name, review_year,
    provenance, synthetic) -> str``), modules workers import before forking, how workers read
    the snapshot before forking (an import reference called with its path, or ``None``), or
    forcing the progress bar on or off.
    """

    trusts: list[str] = field(default_factory=list)
    packs: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    out_dir: Path = ROOT / "outputs"
    year: str | None = None
    jobs: int | None = None
    force: bool = False
    scheduler: str | None = None
    engine: Literal["fork", "fresh"] = "fork"
    registry: Sequence[PackKind] = PACKS
    parameters_dir: Path | None = None
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


def _out_dir(options: RunOptions) -> Path:
    """The output folder as an absolute path: notebooks run in their own folder, and every
    path a job writes or a notebook reads must not depend on the working folder."""
    return Path(options.out_dir).absolute()


def run_parameters(review_year: str, snapshot: Path) -> dict[str, Any]:
    """The parameters injected into every notebook of a run (``RUN_PARAMETERS``), by name."""
    return {"review_year": review_year, SNAPSHOT_PARAMETER: str(snapshot)}


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
            self.info = {
                "meta": dict(getattr(ds, "meta", {}) or {}),
                "snapshot": ds.content_hash(),
                "trusts": {c: {"name": names[c], "fingerprint": fingerprints[c]} for c in names},
            }
            self.cache.remember_dataset(self.state, self.info)
        return self.info

    def snapshot(self, directory: Path) -> Path:
        """The snapshot of the data under ``directory``, written if it is not there."""
        path = directory / self.describe()["snapshot"]
        if not path.is_dir():
            path = Path(self.dataset().write_snapshot(directory))
        return path


def select_risks(kind: PackKind, trust_data: Any, params: Parameters, year: str) -> list[str]:
    """The one call of a risk-scope pack's selector hook: the ids it selects for one trust.

    Raises
    ------
    QvError
        If a selected id cannot name a file.
    """
    selected = resolve(kind.select_risks)(trust_data, params.region, year)
    ids = sorted({str(r) for r in selected})
    bad = [r for r in ids if not _RISK_ID_RE.match(r)]
    if bad:
        raise QvError(
            f"trust {trust_data.code}: risk id(s) {bad} selected for pack '{kind.name}' cannot "
            "name a file; risk ids may hold letters, digits, '.', '_' and '-' only "
            "(fix the risk register)"
        )
    return ids


def selection_key(
    kind: PackKind, data_fingerprint: str, region: dict[str, Any], year: str, code: str
) -> str:
    """What a selection depends on: the trust's data, the year, the region, the hook, the code."""
    hook = kind.select_risks
    if callable(hook):
        hook = f"{hook.__module__}:{hook.__qualname__}"
    return sha256_json(
        {
            "pack": kind.name,
            "hook": hook,
            "trust_data": data_fingerprint,
            "review_year": year,
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
        if kind.scope != "risk":
            continue
        if kind.select_risks is None:
            log.warning("pack '%s' has no risk selector yet; no briefs planned", kind.name)
        else:
            selecting.append(kind)
    inputs = []
    region = params.region.model_dump(mode="json")
    for code in codes:
        fingerprint = info["trusts"][code]["fingerprint"]
        risk_ids, trust_data = {}, None
        for kind in selecting:
            key = selection_key(kind, fingerprint, region, year, code_sha)
            ids = data.cache.selection(key)
            if ids is None:
                trust_data = trust_data or data.dataset().trust(code)
                ids = select_risks(kind, trust_data, params, year)
                data.cache.remember_selection(key, code, ids)
            risk_ids[kind.name] = ids
        config = params.trusts.get(code)
        inputs.append(
            TrustInput(
                code=code,
                name=config.name if config else info["trusts"][code]["name"],
                parameters=config.model_dump(mode="json") if config else {},
                data_fingerprint=fingerprint,
                risk_ids=risk_ids,
            )
        )
    return inputs


def _period_text(period: Any) -> str | None:
    """``dataset.yaml``'s period as words, e.g. '1 April 2022 to 31 March 2026'."""
    if not isinstance(period, dict) or not {"start", "end"} <= set(period):
        return None if period is None else str(period)
    days = [date.fromisoformat(str(period[key])) for key in ("start", "end")]
    return " to ".join(f"{day.day} {day:%B %Y}" for day in days)


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
    128 + signal)."""
    errors = Console(stderr=True, soft_wrap=True)
    with _stop_on_signals():
        try:
            return _run(options, errors)
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

    params: Parameters
    year: str
    kinds: list[PackKind]
    trusts: list[TrustInput]
    data: _Data
    code_sha: str


def _plan(
    options: RunOptions, cache: InputsCache, loading: Callable[[], None] | None = None
) -> _Plan:
    """Parameters, packs, notebooks, data and trusts of a run: checked, nothing written.

    ``loading`` is called when the data has to be loaded (it changed since the last run).

    Raises
    ------
    QvError
        Bad parameters, options, notebooks or data.
    """
    params = load_parameters(options.parameters_dir)
    year = _review_year(options, params)
    kinds = select_packs(options.registry, options.packs, bool(options.trusts))
    for kind in kinds:
        check_notebook_parameters(kind, _declared(kind, cache))
    if options.jobs is not None and options.jobs < 1:
        raise QvError(f"--jobs {options.jobs}: give a number of workers of 1 or more")
    data_dir = Path(options.data_dir).absolute() if options.data_dir else params.region.data_path()
    code_sha = code_fingerprint(sha256=cache.sha256)
    state = sha256_json(
        {
            "data": cache.tree(data_dir),
            "parameters": cache.tree(Path(options.parameters_dir or PARAMETERS_DIR)),
            "code": code_sha,
            "qvlib": qvlib.__version__,
        }
    )
    data = _Data(data_dir, params, cache, state)
    if data.info is None and loading is not None:
        loading()
    try:
        trusts = _trust_inputs(data, params, options.trusts, kinds, year, code_sha)
    except DataValidationError as exc:
        raise _BadData(data_dir, exc) from None
    return _Plan(params, year, kinds, trusts, data, code_sha)


def _jobs(options: RunOptions, plan: _Plan) -> list:
    """Every job of the run, with its fingerprint."""
    info = plan.data.describe()
    meta = info["meta"]
    provenance = {
        "dataset": meta.get("name", plan.data.path.name),
        "data period": _period_text(meta.get("period")),
        "software": f"qv {qvlib.__version__}",
    }
    out_dir = _out_dir(options)
    return plan_jobs(
        plan.kinds,
        plan.trusts,
        region_name=plan.params.region.region,
        region_parameters=plan.params.region.model_dump(mode="json"),
        injected=run_parameters(plan.year, out_dir / ".snapshots" / info["snapshot"]),
        year_dir=out_dir / plan.year.replace("/", "-"),
        code_sha256=plan.code_sha,
        provenance={k: v for k, v in provenance.items() if v is not None},
        synthetic=bool(meta.get("synthetic", False)),
        sha256=plan.data.cache.sha256,
    )


def planned_jobs(options: RunOptions) -> list:
    """The jobs ``qv reviews`` plans for ``options``, up to date or not; nothing is written.

    Raises
    ------
    QvError
        As :func:`run_reviews` reports them.
    """
    cache = InputsCache(_out_dir(options))
    return _jobs(options, _plan(options, cache))


def _run(options: RunOptions, errors: Console) -> int:
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a CI log: keep each summary row on one line
    started = datetime.now(UTC).isoformat(timespec="seconds")
    out_dir = _out_dir(options)
    cache = InputsCache(out_dir)
    plan = None
    config = WorkerConfig(
        engine=options.engine,
        exporter=options.exporter,
        prewarm=options.prewarm,
        preload=options.preload,
    )
    executor: JobExecutor | None = None

    def workers() -> JobExecutor:
        """The run's executor, made on first need (a run with nothing to build makes none)."""
        nonlocal executor
        if executor is None:
            workers_wanted = options.jobs or os.cpu_count() or 1
            executor = make_executor(workers_wanted, config, options.scheduler)
        return executor

    def start_workers() -> None:
        # Changed data will almost surely mean packs to build: local workers start importing
        # what notebooks need while this process loads and checks the data.
        if not options.scheduler:
            workers().start()

    try:
        plan = _plan(options, cache, start_workers)
        with _one_run_at_a_time(out_dir):
            return _build(options, console, errors, plan, started, workers)
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    finally:
        if executor is not None:
            executor.close(abort=True)
        if out_dir.is_dir():
            cache.save(t.code for t in (plan.trusts if plan else []))


def _build(
    options: RunOptions,
    console: Console,
    errors: Console,
    plan: _Plan,
    started: str,
    workers: Callable[[], JobExecutor],
) -> int:
    out_dir = _out_dir(options)
    year_dir = out_dir / plan.year.replace("/", "-")
    snapshots = out_dir / ".snapshots"
    data = plan.data
    snapshot = snapshots / data.describe()["snapshot"]
    jobs = _jobs(options, plan)
    previous = read_manifest(year_dir)
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
            prepare = getattr(resolve(options.exporter), "prepare", None)
            if prepare is not None:
                prepare()  # shared caches built once here, not by every worker at once
            executor = workers()
            executor.config = replace(executor.config, snapshot=str(snapshot))
            by_key = {j.key: j for j in jobs}
            with RunProgress(console, len(jobs), len(skipped), options.progress_bar) as bar:
                for result in executor.run(due):
                    results[result.key] = result
                    bar.advance(by_key[result.key], result)
        except RunStopped as exc:
            workers().close(abort=True)
            stopped = exc
    for job in due:
        if job.key not in results:
            reason = f"not built: the run was stopped by {stopped}" if stopped else "not built"
            results[job.key] = JobResult(key=job.key, status="cancelled", error=reason)
            remove_partial_files(job.written_paths())
    with _deferred_signals() as late:
        if stopped or any(r.status in NOT_BUILT for r in results.values()):
            _remove_temp_files(year_dir)
        _record(options, plan, jobs, results, previous, started)
    stopped = stopped or late.stopped
    table = summary_table([(j, results[j.key]) for j in jobs if j.key not in skipped], year_dir)
    if table.row_count:
        console.print(table)
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
    jobs: list,
    results: dict[str, JobResult],
    previous: dict[str, dict[str, Any]],
    started: str,
) -> None:
    """Write ``manifest.json`` and ``index.html`` of the review year."""
    data, year = plan.data, plan.year
    year_dir = _out_dir(options) / year.replace("/", "-")
    snapshot = data.describe()["snapshot"]
    inputs = {"data_files": data.cache.tree(data.path), "snapshot": snapshot}
    commit = git_commit()
    entries = [
        entry_for(
            j,
            results[j.key],
            year_dir=year_dir,
            inputs=inputs,
            commit=commit,
            previous=previous.get(j.key),
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
    synthetic = bool(data.describe()["meta"].get("synthetic", False))
    try:
        write_manifest(
            year_dir,
            entries,
            run={
                "started": started,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_dir": display_path(data.path),
                "snapshot": snapshot,
                "review_year": year,
                "engine": options.engine if not options.scheduler else f"{options.engine} on Dask",
                "qvlib_version": qvlib.__version__,
                "git_commit": commit,
            },
        )
        write_index(
            year_dir,
            entries,
            review_year=year,
            region=plan.params.region.region,
            synthetic=synthetic,
        )
    except OSError as exc:
        raise QvError(
            f"could not write the manifest and index into {year_dir} ({exc}); the packs "
            "built are in place but unrecorded: the next run rebuilds them"
        ) from None


def describe(registry: Sequence[PackKind] = PACKS, parameters_dir: Path | None = None) -> str:
    """Text for ``qv list``: trusts, pack kinds, and each notebook's declared parameters."""
    lines = []
    try:
        params = load_parameters(parameters_dir)
    except QvError as exc:
        lines += ["Trusts: parameters do not load:", str(exc)]
    else:
        lines.append(f"Trusts ({params.region.region}, review year {params.region.review_year}):")
        lines += [f"  {code:<6} {t.name}" for code, t in params.trusts.items()]
    lines += ["", "Packs (qv reviews --pack NAME):"]
    for kind in registry:
        lines.append(f"  {kind.name}: {kind.title}, {_SCOPE_TEXT[kind.scope]}")
        if not kind.notebook.is_file():
            lines.append(f"      notebook {display_path(kind.notebook)}: not written yet")
            continue
        if kind.missing():
            lines.append(f"      not ready: {kind.missing()}")
        lines.append(f"      notebook {display_path(kind.notebook)}; parameters:")
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
    return "\n".join(lines)
