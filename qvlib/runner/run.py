"""``qv reviews``: parameters, data, snapshot, plan, execute, record; and ``qv list``.

The order matters: nothing is built unless the parameters parse, every requested pack's
notebook declares the parameters it will be given, and the data validates.  Then the data is
written once as a snapshot every notebook reads, jobs are planned with their fingerprints,
up-to-date ones are skipped, the rest run in parallel, and ``manifest.json`` and ``index.html``
record the outcome.  Exit codes: 0 every job built or up to date, 1 some failed, 2 bad
parameters or data (nothing built).

Scope of the region overview: it covers the trusts of the run; with ``--trust`` it is built only
when asked for with ``--pack region-overview``.  Entries of the previous manifest outside the
run's selection (other trusts, other packs) are kept, so a partial run does not make the next
full run rebuild everything.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

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
from qvlib.config import Parameters, RegionConfig, check_review_year, load_parameters
from qvlib.errors import DataValidationError, QvError
from qvlib.findings import REGION_VALUE_DOCS, VALUE_DOCS, value_key, value_names
from qvlib.printing import chromium_path, print_pdfs
from qvlib.project import Project, find_project
from qvlib.runner.engine import PREWARM_MODULES, JobResult, WorkerConfig
from qvlib.runner.executors import make_executor
from qvlib.runner.plan import (
    Job,
    TrustInput,
    check_notebook_parameters,
    code_fingerprint,
    is_up_to_date,
    notebook_parameters,
    plan_jobs,
)
from qvlib.runner.record import (
    data_files,
    entry_for,
    git_commit,
    read_manifest,
    write_index,
    write_manifest,
)
from qvlib.runner.registry import INJECTED, PackKind, default_packs, resolve
from qvlib.runner.report import RunProgress, summary_table
from qvlib.runner.versions import decide_jobs, freeze
from qvlib.schemas import NTS_OUTCOMES
from qvlib.sources import describe_sources, known_at

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
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
    :func:`qvlib.datasets.default_data_dir`, ``out_dir`` to the project's ``outputs/``.  The
    rest are for programmatic use (tests, benchmarks): another pack registry (default: the
    project's :func:`~qvlib.runner.registry.default_packs`), HTML exporter (an import reference
    to a class with ``render(nb, *, title, trust_code, trust_name, review_year, as_at,
    provenance, synthetic, document) -> str``), warm-up imports, or forcing the progress bar on
    or off.
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
    engine: Literal["warm", "fresh"] = "warm"
    request: Path | None = None
    project: Project | None = None
    registry: Sequence[PackKind] | None = None
    exporter: str = "qvlib.packs:PackExporter"
    prewarm: tuple[str, ...] = PREWARM_MODULES
    progress_bar: bool | None = None


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


def _trust_inputs(
    ds,
    params: Parameters,
    requested: Sequence[str],
    kinds: list[PackKind],
    year: str,
    as_at: date,
):
    available = list(ds.trust_codes)
    if requested:
        codes = [params.code_map.get(code, code) for code in requested]
        unknown = [code for code in codes if code not in available]
        if unknown:
            raise QvError(f"unknown trust(s) {unknown}; the data has trusts {sorted(available)}")
        codes = sorted(set(codes))
    else:
        codes = sorted(available)
    missing = sorted(set(params.trusts) - set(available))
    if missing:
        log.warning("trust(s) %s have parameters but no data; no packs for them", missing)
    selectors = {}
    for kind in kinds:
        if kind.scope != "environment":
            continue
        if kind.select_environments is None:
            log.warning("pack '%s' has no environment selector; no briefs planned", kind.name)
        else:
            selectors[kind.name] = resolve(kind.select_environments)
    inputs = []
    for code in codes:
        trust = ds.trust(code)
        config = params.trusts.get(code)
        inputs.append(
            TrustInput(
                code=code,
                name=config.name if config else str(getattr(trust, "name", code)),
                parameters=config.model_dump(mode="json") if config else {},
                data_fingerprint=trust.fingerprint(),
                environments={
                    name: _environments(code, name, select(trust, params.region, year, as_at))
                    for name, select in selectors.items()
                },
            )
        )
    return inputs


def _environments(trust: str, pack: str, selected) -> list[dict[str, str]]:
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


def _request(options: RunOptions, registry: Sequence[PackKind]):
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
    if kind is not None and kind.notebook.is_file():
        declared = notebook_parameters(kind.notebook)
        if REQUEST_PARAMETER not in declared:
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
    from qvlib.runner.plan import sha256_file

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
    data_dir: Path, year: str, region: RegionConfig
) -> Callable[[PackKind, str | None, str], Commentary | None]:
    """Finds and checks each pack's commentary (:mod:`qvlib.commentary`) for the planner."""
    headings: dict[str, list[str]] = {}

    def find(kind: PackKind, trust_code: str | None, output_name: str) -> Commentary | None:
        path = commentary_path(data_dir, year, trust_code, output_name)
        if not path.is_file():
            return None
        notes = read_commentary(path)
        if kind.name not in headings:
            headings[kind.name] = pack_headings(kind.notebook)
        names = value_names(region, overview=kind.scope == "region")
        check_commentary(notes, headings[kind.name], names, pack=kind.name)
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


def run_reviews(options: RunOptions) -> int:
    """Build every out-of-date (trust, pack) of the run; return the exit code (0, 1 or 2).

    The run's workers and kernels work on the same project as the run (``QV_PROJECT``).
    """
    errors = Console(stderr=True, soft_wrap=True)
    try:
        project = options.project or find_project()
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    with project.exported():
        return _run(options, project, errors)


def _run(options: RunOptions, project: Project, errors: Console) -> int:
    from qvlib.reviews import check_coverage, parse_as_at

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a CI log: keep each summary row on one line
    started = datetime.now(UTC).isoformat(timespec="seconds")
    data_dir, source = (
        (project.path(options.data_dir), "--data") if options.data_dir else (None, "")
    )
    try:
        params = load_parameters(project.parameters_dir)
        year = _review_year(options, params)
        registry = default_packs(project) if options.registry is None else options.registry
        request = _request(options, registry)
        # A request is about one trust: without --trust, the run builds that trust only.
        wanted = list(options.trusts) or ([request.trust] if request is not None else [])
        kinds = select_packs(registry, options.packs, bool(wanted))
        for kind in kinds:
            check_notebook_parameters(kind)
        if options.pdf:
            chromium_path()  # no browser: say so now, before anything is built
        if options.jobs is not None and options.jobs < 1:
            raise QvError(f"--jobs {options.jobs}: give a number of workers of 1 or more")
        config = WorkerConfig(
            engine=options.engine, exporter=options.exporter, prewarm=options.prewarm
        )
        executor = make_executor(options.jobs or os.cpu_count() or 1, config, options.scheduler)
        if data_dir is None:
            from qvlib.datasets import default_data_dir

            data_dir, source = default_data_dir()
        console.print(f"data: {data_dir} ({source})", markup=False, highlight=False)
        as_at = parse_as_at(options.as_at, year, date.today())
        ds = load_dataset(data_dir, params)
        for warning in check_coverage(ds.coverage.start, ds.coverage.end, year, as_at):
            errors.print(f"qv reviews: warning: {warning}", markup=False, highlight=False)
        trusts = _trust_inputs(ds, params, wanted, kinds, year, as_at)
        if request is not None:
            _check_request_trusts(request, options.request, [t.code for t in trusts])
    except DataValidationError as exc:
        errors.print(
            f"qv reviews: the data in {data_dir} has problems; nothing was built.", markup=False
        )
        errors.print(str(exc), markup=False, highlight=False)
        return EXIT_BAD_INPUT
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        return EXIT_BAD_INPUT

    out_dir = project.path(options.out_dir) if options.out_dir else project.outputs_dir
    year_dir = out_dir / year.replace("/", "-")
    snapshot = Path(ds.write_snapshot(out_dir / ".snapshots"))
    meta = dict(getattr(ds, "meta", {}) or {})
    synthetic = bool(meta.get("synthetic", False))
    published = list(getattr(ds, "sources", []))
    provenance = {
        "as at": display.fmt_date(as_at),
        "dataset": meta.get("name", data_dir.name),
        "data period": _period_text(ds.coverage.start, ds.coverage.end, as_at),
        "national publications": describe_sources(known_at(published, as_at, params.region)),
        "software": f"qv {qvlib.__version__}",
    }
    identity = DocumentControl.from_region(params.region)
    try:
        jobs = plan_jobs(
            kinds,
            trusts,
            region_name=params.region.region,
            region_parameters=params.region.model_dump(mode="json"),
            review_year=year,
            as_at=as_at.isoformat(),
            year_dir=year_dir,
            snapshot=snapshot,
            code_sha256=code_fingerprint(),
            provenance={k: v for k, v in provenance.items() if v is not None},
            synthetic=synthetic,
            document=identity,
            pack_inputs=_request_inputs(options.request, project) if request is not None else None,
            commentary_for=_commentary_lookup(data_dir, year, params.region),
        )
    except QvError as exc:
        errors.print(f"qv reviews: {exc}", markup=False, highlight=False)
        errors.print("qv reviews: nothing was built.", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    for warning in _unmatched_commentary(data_dir, year, registry, kinds, trusts, jobs):
        errors.print(f"qv reviews: warning: {warning}", markup=False, highlight=False)
    previous = read_manifest(year_dir)
    identities = {
        j.key: replace(identity, marking=request.marking)
        for j in jobs
        if request is not None and request.marking and j.pack == REQUEST_PACK
    }
    jobs, version_notes = decide_jobs(
        jobs, previous, year_dir, as_at, {j.key: identities.get(j.key, identity) for j in jobs}
    )
    skipped = {j.key for j in jobs if not options.force and is_up_to_date(j, previous.get(j.key))}
    due = [j for j in jobs if j.key not in skipped]
    results: dict[str, JobResult] = {key: JobResult(key=key, status="skipped") for key in skipped}

    prepare = getattr(resolve(options.exporter), "prepare", None)
    if due and prepare is not None:
        prepare()  # shared caches built once here, not by every worker at once
    by_key = {j.key: j for j in jobs}
    with executor, RunProgress(console, len(jobs), len(skipped), options.progress_bar) as bar:
        for result in executor.run(due):
            results[result.key] = result
            bar.advance(by_key[result.key], result)

    versions = {
        j.key: list((previous.get(j.key) or {}).get("versions", []))
        if results[j.key].status != "skipped"
        else None
        for j in jobs
    }
    pdfs = _print_pdfs(jobs, results, errors) if options.pdf else {}
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
    inputs = {"data_files": data_files(ds.root, ds.files), "snapshot": snapshot.name}
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
        )
        for j in jobs
    ]
    selected_packs = {k.name for k in kinds}
    selected_trusts = {t.code for t in trusts}
    planned = {j.key for j in jobs}
    entries += [
        e
        for key, e in previous.items()
        if key not in planned
        and not (e.get("pack") in selected_packs and e.get("trust") in selected_trusts | {None})
    ]
    write_manifest(
        year_dir,
        entries,
        run={
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_dir": project.display(data_dir),
            "snapshot": snapshot.name,
            "sources": published,
            "review_year": year,
            "as_at": as_at.isoformat(),
            "engine": options.engine,
            "qvlib_version": qvlib.__version__,
            "git_commit": commit,
        },
    )
    write_index(
        year_dir,
        entries,
        review_year=year,
        as_at=as_at,
        region=params.region.region,
        synthetic=synthetic,
    )
    console.print(summary_table([(j, results[j.key]) for j in jobs], year_dir))
    for note in version_notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    failed = [j.key for j in jobs if results[j.key].status == "failed"]
    console.print(
        f"{len(jobs) - len(skipped) - len(failed)} built, {len(failed)} failed, "
        f"{len(skipped)} up to date; index: {year_dir / 'index.html'}",
        markup=False,
        highlight=False,
    )
    return EXIT_FAILED if failed else EXIT_OK


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
        lines += _figure_lines("trust packs and briefs", VALUE_DOCS, params.region)
        lines += _figure_lines("the region overview", REGION_VALUE_DOCS, params.region)
    return "\n".join(lines)


#: Where commentary files go, in words (``qv list``).
COMMENTARY_LAYOUT = "files in <data>/commentary/<YYYY-YY>/<ODS or region>/<pack file>.md"


def _figure_lines(what: str, docs: dict[str, str], region: RegionConfig) -> list[str]:
    lines = [f"  {what}:"]
    for name, description in docs.items():
        lines.append(f"    {name:<34} {description}")
    bands = ", ".join(value_key(b) for b in region.risk.band_names())
    outcomes = ", ".join(value_key(o) for o in NTS_OUTCOMES)
    lines.append(f"    (<band>: {bands}; <outcome>: {outcomes})")
    return lines
