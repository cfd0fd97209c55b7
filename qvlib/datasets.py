"""The loaded data: every dataset of a data directory, and one trust's slice of it.

``load(path)`` reads every file through :mod:`qvlib.loaders` (national files as published
through :mod:`qvlib.sources`), adds the checks that span files (trust codes, visit and risk
references) and reports every problem of every file in one
:class:`~qvlib.errors.DataValidationError`.  A :class:`Dataset` can be written once per run as a
content-addressed Parquet snapshot that notebooks read back without re-parsing the CSV files.
``Dataset.trust(code)`` gives a :class:`TrustData` holding only that trust's local rows (plus
its national rows), so a pack cannot show another trust's data by accident.

Which data: ``load()`` without a path reads the data directory the command line uses too
(:func:`default_data_dir`: ``QV_DATA``, else ``data_dir`` in the project's ``region.yaml``) and
says which it read.  A relative path is taken from the project folder (:mod:`qvlib.project`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from qvlib import sources
from qvlib.config import ENV_DATA, Parameters, default_data_dir, default_parameters
from qvlib.errors import DataValidationError, Problem, QvError, format_problems
from qvlib.loaders import dataset_file, latest_date, read_dataset
from qvlib.metrics.benchmarks import RegionBenchmarks, calc_region_benchmarks
from qvlib.project import current_project
from qvlib.schemas import DATASETS, TRUST_COLUMN

logger = logging.getLogger(__name__)

#: Environment variable naming the data directory (wins over ``data_dir`` in region.yaml).
META_FILE = "dataset.yaml"
SNAPSHOT_META = "meta.json"
SNAPSHOT_FORMAT = 1
_META_KEYS = ("name", "description", "synthetic", "period")
_NO_ROWS = np.empty(0, dtype=np.intp)


#: Datasets reported by year: dataset -> (year column, filter column and value or None).
_YEARLY = {
    "NTS": ("survey_results", "year", ("survey", "NTS")),
    "NETS": ("survey_results", "year", ("survey", "NETS")),
    "staff_survey": ("staff_survey", "year", None),
    "learners": ("learners", "year", None),
    "funding": ("funding", "year", None),
    "lda_compliance": ("lda_compliance", "year", None),
    "self_assessment": ("self_assessment", "year", None),
}


@dataclass(frozen=True)
class Coverage:
    """What a dataset covers.

    Attributes
    ----------
    start, end
        First and last day of the data's period: ``period`` in ``dataset.yaml``, else the
        financial years of its annual returns (``None`` when neither says).
    years
        For each survey (``"NTS"``, ``"NETS"``, ``"staff_survey"``) and annual return
        (``"learners"``, ``"funding"``, ``"lda_compliance"``, ``"self_assessment"``): the years the
        data holds, sorted (survey years as integers, financial years as ``YYYY/YY``).
    """

    start: dt.date | None
    end: dt.date | None
    years: dict[str, tuple]

    @classmethod
    def of(cls, meta: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Coverage:
        """The coverage of ``tables`` (with ``dataset.yaml`` as ``meta``)."""
        years: dict[str, tuple] = {}
        for key, (name, column, only) in _YEARLY.items():
            frame = tables.get(name)
            if frame is None or column not in frame:
                years[key] = ()
                continue
            if only is not None:
                frame = frame[frame[only[0]] == only[1]]
            years[key] = tuple(sorted(frame[column].dropna().unique().tolist()))
        period = meta.get("period") if isinstance(meta.get("period"), dict) else {}
        start, end = period.get("start"), period.get("end")
        if start and end:
            return cls(dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end)), years)
        annual = sorted({y for k in ("funding", "learners") for y in years[k]})
        if not annual:
            return cls(None, None, years)
        first, last = int(annual[0][:4]), int(annual[-1][:4])
        return cls(dt.date(first, 4, 1), dt.date(last + 1, 3, 31), years)


class TrustData:
    """One trust's data: its local rows of every dataset, and its rows of national data.

    Attributes
    ----------
    code, name, trust_type
        From ``local/trusts.csv``.
    sites
        The trust's site names, in file order.
    meta
        The dataset's ``dataset.yaml`` (``synthetic`` says whether the data is made up).
    coverage
        What the whole dataset (every trust) covers: its period and the years of each survey
        and annual return, so that every trust's review picks the same latest year.
    tables
        Dataset name -> frame; each is also an attribute (``t.risks``).  Frames are copies.
    benchmarks
        The region's aggregates of public figures (median, range, trusts per CQC rating;
        :class:`qvlib.metrics.benchmarks.RegionBenchmarks`), or ``None`` for a trust's data
        made on its own: no other trust's rows.

    Examples
    --------
    >>> t = load("data/sample").trust("RHM")
    >>> t
    TrustData('RHM', 'University Hospital Southampton NHS Foundation Trust')
    >>> sorted(t.risks["trust_code"].unique())
    ['RHM']
    """

    def __init__(
        self,
        code: str,
        meta: dict[str, Any],
        tables: dict[str, pd.DataFrame],
        row_hashes: dict[str, np.ndarray] | None = None,
        coverage: Coverage | None = None,
        benchmarks: RegionBenchmarks | None = None,
    ):
        self.code = code
        self.meta = meta
        self.tables = tables
        self._row_hashes = row_hashes
        self.coverage = coverage or Coverage.of(meta, tables)
        self.benchmarks = benchmarks
        row = tables["trusts"].iloc[0]
        self.name: str = row["trust_name"]
        self.trust_type: str = row["trust_type"]
        self.sites: list[str] = [s.strip() for s in row["sites"].split(";") if s.strip()]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"TrustData has no attribute {name!r}; datasets are {list(tables)}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.__dict__.get("tables", {})})

    def __repr__(self) -> str:
        return f"TrustData({self.code!r}, {self.name!r})"

    def fingerprint(self) -> str:
        """SHA-256 of this trust's slice of every dataset plus the dataset's metadata.

        It changes when any row this trust sees changes (including national rows about it) or
        the region's aggregates of public figures change (:attr:`benchmarks`), and not when
        only another trust's local data changes.  It describes the data as loaded.

        >>> ds = load("data/sample")
        >>> ds.trust("RHM").fingerprint() == ds.trust("RHM").fingerprint()
        True
        >>> ds.trust("RHM").fingerprint() == ds.trust("RHU").fingerprint()
        False
        """
        extra = self.code
        if self.benchmarks is not None:
            extra += "\0region benchmarks " + self.benchmarks.fingerprint()
        return _digest(self.meta, self.tables, extra=extra, row_hashes=self._row_hashes)


class Dataset:
    """Every dataset of one data directory, validated.

    Attributes
    ----------
    root
        The directory the data was read from (a data directory or a snapshot).
    meta
        ``dataset.yaml`` as a dict; ``meta["synthetic"]`` is a bool.
    tables
        Dataset name -> frame (every name in :data:`qvlib.schemas.DATASETS`; an absent
        optional dataset is an empty frame with the canonical columns).  Each is also an
        attribute: ``ds.risks``.
    sources
        One record per published national file read (see :mod:`qvlib.sources`): a dict with
        ``publication``, ``dataset``, ``file`` (under ``root``), ``sheets``, ``sha256``,
        ``period`` (as found in the file), ``rows`` and, when there is something to say,
        ``notes``.  Empty for a canonical layout, and for a snapshot (which holds data only).
    files
        The files the data was read from, relative to ``root`` (what a run's manifest hashes).

    Examples
    --------
    >>> ds = load("data/sample")
    >>> ds
    Dataset('data/sample', 11 trusts, synthetic)
    >>> ds.risks.columns[:3].tolist()
    ['risk_id', 'trust_code', 'site']
    """

    def __init__(
        self,
        root: Path,
        meta: dict[str, Any],
        tables: dict[str, pd.DataFrame],
        sources: list[dict[str, Any]] | None = None,
        files: tuple[str, ...] = (),
    ):
        self.root = Path(root)
        self.meta = meta
        self.tables = tables
        self.sources = list(sources or [])
        self.files = tuple(files)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no attribute {name!r}; datasets are {list(tables)}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.__dict__.get("tables", {})})

    def __repr__(self) -> str:
        kind = "synthetic" if self.meta.get("synthetic") else "real"
        count = len(self.trust_codes)
        try:
            where = current_project().display(self.root)
        except QvError:  # a repr must not fail: QV_PROJECT may have changed since loading
            where = str(self.root)
        return f"Dataset({where!r}, {count} trust{'s' if count != 1 else ''}, {kind})"

    @property
    def trust_codes(self) -> list[str]:
        """ODS codes of the trusts in ``local/trusts.csv``, sorted.

        >>> load("data/sample").trust_codes[:4]
        ['R0D', 'R1C', 'R1F', 'RBD']
        """
        return sorted(self.tables["trusts"]["trust_code"])

    def trust(self, code: str) -> TrustData:
        """The data of trust ``code`` (a former code such as RD3 gives its successor).

        Raises
        ------
        QvError
            If the trust is not in ``local/trusts.csv``; the message lists the known codes.

        Examples
        --------
        >>> load("data/sample").trust("RD3").code  # RD3 became R0D on 1 October 2020
        'R0D'
        """
        wanted = str(code).strip().upper()
        wanted = default_parameters().code_map.get(wanted, wanted)
        if wanted not in self.trust_codes:
            raise QvError(
                f"trust {code!r} is not in {dataset_file('trusts')} of {self.root}; "
                f"known trust codes are {', '.join(self.trust_codes)}"
            )
        positions = self._positions
        tables = {}
        for name, frame in self.tables.items():
            rows = positions[name].get(wanted, _NO_ROWS)
            tables[name] = frame.take(rows).reset_index(drop=True)
        # Row hashes are handed on only when a run has worked them out (for every trust's
        # fingerprint); a notebook reading one trust does not hash the whole region.
        hashes = self.__dict__.get("_hashes")
        trust_hashes = (
            {name: hashes[name][positions[name].get(wanted, _NO_ROWS)] for name in hashes}
            if hashes is not None
            else None
        )
        return TrustData(
            wanted, dict(self.meta), tables, trust_hashes, self.coverage, self.benchmarks
        )

    @cached_property
    def benchmarks(self) -> RegionBenchmarks:
        """The region's aggregates of public figures: what each trust's pack may set its own
        figures against.

        Worked out once per run: the run's snapshot stores them (:meth:`write_snapshot`), and a
        notebook reading the snapshot reads them back, unless the region's suppression rules
        or the code that works them out have changed since, when they are worked out again.
        """
        region = default_parameters().region
        stored = _stored_benchmarks(self.root, region)
        return stored if stored is not None else calc_region_benchmarks(self.tables, region)

    @cached_property
    def coverage(self) -> Coverage:
        """The period the data covers and the years of each survey and annual return."""
        return Coverage.of(self.meta, self.tables)

    def trust_names(self) -> dict[str, str]:
        """Trust code -> name, from ``local/trusts.csv``."""
        trusts = self.tables["trusts"]
        return dict(zip(trusts["trust_code"], trusts["trust_name"], strict=True))

    def trust_fingerprints(self) -> dict[str, str]:
        """Trust code -> :meth:`TrustData.fingerprint` of every trust, hashing each row once."""
        positions, hashes = self._positions, self._hashes
        region = "\0region benchmarks " + self.benchmarks.fingerprint()
        found = {}
        for code in self.trust_codes:
            rows = {name: positions[name].get(code, _NO_ROWS) for name in self.tables}
            found[code] = _digest(
                self.meta,
                self.tables,
                extra=code + region,
                row_hashes={name: hashes[name][rows[name]] for name in self.tables},
            )
        return found

    @cached_property
    def _positions(self) -> dict[str, dict[str, np.ndarray]]:
        """Per dataset: trust code -> its row positions (computed once per dataset)."""
        # Datasets whose rows belong to a trust through another dataset: (its column, owner).
        through = {
            "visit_actions": ("visit_id", self.tables["visits"].set_index("visit_id")),
            "meeting_attendees": ("visit_id", self.tables["visits"].set_index("visit_id")),
            "risk_history": ("risk_id", self.tables["risks"].set_index("risk_id")),
        }
        positions = {}
        for name, frame in self.tables.items():
            if name in through:
                column, owners = through[name]
                owner = frame[column].map(owners["trust_code"])
            else:
                owner = frame[TRUST_COLUMN[name]]
            positions[name] = {
                code: np.asarray(rows, dtype=np.intp)
                for code, rows in owner.groupby(owner.to_numpy(), sort=False).indices.items()
            }
        return positions

    @cached_property
    def _hashes(self) -> dict[str, np.ndarray]:
        """Per dataset: the hash of every row (computed once, for fingerprints)."""
        return {name: _row_hashes(frame) for name, frame in self.tables.items()}

    def content_hash(self) -> str:
        """SHA-256 of every table and the metadata: the snapshot's name.

        >>> len(load("data/sample").content_hash())
        64
        """
        return _digest(self.meta, self.tables, row_hashes=self._hashes)

    def write_snapshot(self, directory: str | Path) -> Path:
        """Write the data once as Parquet under ``directory/<content hash>/`` and return it.

        The snapshot is written to a temporary directory and renamed into place, so a reader
        never sees half a snapshot; an existing snapshot of the same content is reused.  A
        relative ``directory`` is taken from the project folder.

        >>> import tempfile
        >>> ds = load("data/sample")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     ds.write_snapshot(folder).name == ds.content_hash()
        True
        """
        directory = current_project().path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / self.content_hash()
        if (target / SNAPSHOT_META).exists():
            _store_benchmarks(target, self.benchmarks)
            return target
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name[:12]}-", dir=directory))
        try:
            for name, frame in self.tables.items():
                frame.to_parquet(temp / f"{name}.parquet", index=False)
            meta = {"format": SNAPSHOT_FORMAT, "meta": self.meta, "datasets": list(self.tables)}
            (temp / SNAPSHOT_META).write_text(json.dumps(meta, indent=2, sort_keys=True))
            os.rename(temp, target)
        except OSError:
            if not (target / SNAPSHOT_META).exists():
                raise
            # Another process wrote the same snapshot first: its content is ours.
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        _store_benchmarks(target, self.benchmarks)
        return target


def load(path: str | Path | None = None, *, params: Parameters | None = None) -> Dataset:
    """Load and validate every dataset under ``path`` (or read a snapshot written by qv).

    Parameters
    ----------
    path
        A data directory (``dataset.yaml``, ``local/``, ``national/``) or a snapshot directory
        from :meth:`Dataset.write_snapshot`.  A relative path is taken from the project folder
        (:mod:`qvlib.project`), not the working directory.  ``None``: the data the command line
        uses (:func:`default_data_dir`); which one is printed to stderr, since the caller did
        not say.  National data may be canonical CSV files or files as published
        (:mod:`qvlib.sources`); ``Dataset.sources`` records the published ones read.
    params
        Parameters supplying former trust codes, domains, ISF levels and visit type names;
        default: the project's ``parameters/``.

    Returns
    -------
    Dataset
        Every dataset as a validated frame.

    Raises
    ------
    DataValidationError
        Every problem in every file (file, row, column, value, expected), together.

    Examples
    --------
    >>> ds = load("data/sample")
    >>> ds.trust_codes[:3]
    ['R0D', 'R1C', 'R1F']
    >>> load("no/such/folder")
    Traceback (most recent call last):
    ...
    qvlib.errors.DataValidationError: 1 problem in 1 file:
    ...
    """
    if path is None:
        root, source = default_data_dir()
        # The caller did not name the data: say which was read, wherever qv is used from.
        print(f"qv: loading {root} ({source})", file=sys.stderr)
    else:
        root = current_project().path(path)
    if (root / SNAPSHOT_META).is_file() and not (root / META_FILE).exists():
        return load_snapshot(root)
    if not root.is_dir():
        expected = "a data directory holding dataset.yaml, local/ and national/"
        raise DataValidationError([Problem(str(root), None, None, None, expected)])
    params = params or default_parameters()
    meta, problems = _read_meta(root / META_FILE)
    latest = latest_date(Coverage.of(meta, {}).end)
    national = sources.scan(root, meta)
    problems += national.problems
    frames: dict[str, pd.DataFrame | None] = {}
    clean: set[str] = set()
    for name, spec in DATASETS.items():
        if national.covers(name):
            continue
        frame, found = read_dataset(
            name, root / dataset_file(name), params=params, required=spec.required, latest=latest
        )
        frames[name] = frame
        problems += found
        if not found:
            clean.add(name)
    problems += _cross_checks(root, frames, clean)
    published_problems, records = national.read_into(frames, params)
    problems += published_problems
    if problems:
        raise DataValidationError(problems)
    tables = {name: frames[name].reset_index(drop=True) for name in DATASETS}
    files = [META_FILE] + [
        dataset_file(name)
        for name in DATASETS
        if not national.covers(name) and (root / dataset_file(name)).is_file()
    ]
    files += [record["file"] for record in records]
    logger.info("loaded %s: %d rows", root, sum(len(f) for f in tables.values()))
    return Dataset(root, meta, tables, records, tuple(files))


def load_snapshot(path: str | Path) -> Dataset:
    """Read a snapshot written by :meth:`Dataset.write_snapshot` back into a :class:`Dataset`.

    Examples
    --------
    >>> import tempfile
    >>> ds = load("data/sample")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     again = load_snapshot(ds.write_snapshot(folder))
    ...     again.content_hash() == ds.content_hash()
    True
    """
    root = current_project().path(path)
    try:
        info = json.loads((root / SNAPSHOT_META).read_text(encoding="utf-8"))
        tables = {name: _read_parquet(root / f"{name}.parquet") for name in info["datasets"]}
    except (OSError, ValueError, KeyError) as exc:
        raise QvError(f"{root}: not a readable qv snapshot ({exc}); rebuild it") from None
    files = (SNAPSHOT_META, *(f"{name}.parquet" for name in info["datasets"]))
    return Dataset(root, info["meta"], tables, files)


def validate_dir(path: Path | None = None) -> tuple[str, bool]:
    """Check a data directory for ``qv validate``: a report and whether the data is clean.

    Parameters
    ----------
    path
        The data directory (relative: from the project folder); ``None`` for
        :func:`default_data_dir`.

    Returns
    -------
    (report, ok)
        A short summary (datasets, rows, trusts) when clean, else every problem.

    Examples
    --------
    >>> report, ok = validate_dir("data/sample")
    >>> ok
    True
    >>> print(report.splitlines()[0])
    /.../data/sample: no problems found (synthetic data)
    """
    root = default_data_dir()[0] if path is None else current_project().path(path)
    try:
        ds = load(root)
    except DataValidationError as exc:
        return format_problems(exc.problems), False
    lines = [
        f"{root}: no problems found" + (" (synthetic data)" if ds.meta.get("synthetic") else ""),
        f"{len(ds.tables)} datasets, {sum(len(f) for f in ds.tables.values()):,} rows, "
        f"{len(ds.trust_codes)} trusts: {', '.join(ds.trust_codes)}",
    ]
    width = max(len(name) for name in ds.tables)
    for name, frame in ds.tables.items():
        absent = not DATASETS[name].required and not (root / dataset_file(name)).exists()
        note = "  (optional; no file)" if absent else ""
        lines.append(f"  {name:<{width}}  {len(frame):>8,}{note}")
    by_publication: dict[str, list[dict[str, Any]]] = {}
    for entry in ds.sources:
        by_publication.setdefault(entry["publication"], []).append(entry)
    if by_publication:
        lines.append(f"published files read ({len(ds.sources)}):")
    for publication, entries in by_publication.items():
        files = entries[0]["file"] if len(entries) == 1 else f"{len(entries)} files"
        span = sources.period_span(entries)
        span = f", {span}" if span else ""
        rows = sum(e["rows"] for e in entries)
        lines.append(f"  {publication}: {files}{span}, {rows:,} rows")
        lines += [f"    {e['file']}: {note}" for e in entries for note in e.get("notes", [])]
    return "\n".join(lines), True


# --------------------------------------------------------------------------- helpers

_BENCHMARKS = {"figures": "benchmarks.parquet", "cqc_overall": "benchmarks_cqc.parquet"}
_BENCHMARKS_META = "benchmarks.json"
#: The code that works the region's benchmarks out: stored ones are used only while it is the same.
_BENCHMARK_SOURCES = ("benchmarks.py", "national.py", "surveys.py", "suppression.py")


def _benchmarks_key(region) -> str:
    """What stored benchmarks were worked out with: the suppression rules and the code."""
    sha = hashlib.sha256(
        json.dumps(region.suppression.model_dump(mode="json"), sort_keys=True).encode()
    )
    package = Path(__file__).resolve().parent / "metrics"
    for name in _BENCHMARK_SOURCES:
        sha.update((package / name).read_bytes())
    return sha.hexdigest()


def _store_benchmarks(target: Path, benchmarks: RegionBenchmarks) -> None:
    """Write the region's benchmarks into a snapshot (each file atomically, the key last)."""
    key = _benchmarks_key(default_parameters().region)
    meta_path = target / _BENCHMARKS_META
    try:
        if json.loads(meta_path.read_text(encoding="utf-8")).get("key") == key:
            return
    except (OSError, ValueError):
        pass
    for field, name in _BENCHMARKS.items():
        temp = target / f".{name}.{os.getpid()}.tmp"
        getattr(benchmarks, field).to_parquet(temp, index=False)
        os.replace(temp, target / name)
    temp = target / f".{_BENCHMARKS_META}.{os.getpid()}.tmp"
    temp.write_text(json.dumps({"key": key, "trusts": benchmarks.trusts}), encoding="utf-8")
    os.replace(temp, meta_path)


def _stored_benchmarks(root: Path, region) -> RegionBenchmarks | None:
    """A snapshot's stored benchmarks, if worked out with these settings and this code."""
    try:
        meta = json.loads((root / _BENCHMARKS_META).read_text(encoding="utf-8"))
        if meta.get("key") != _benchmarks_key(region):
            return None
        frames = {field: pd.read_parquet(root / name) for field, name in _BENCHMARKS.items()}
    except (OSError, ValueError):
        return None
    return RegionBenchmarks(trusts=int(meta["trusts"]), **frames)


def _read_meta(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """``dataset.yaml`` as a JSON-safe dict, with problems for missing or bad keys."""
    shown = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return {}, [
            Problem(
                shown,
                None,
                None,
                None,
                f"this file, with keys {', '.join(_META_KEYS)}; it is missing",
            )
        ]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return {}, [Problem(shown, None, None, None, f"a readable YAML file ({exc})")]
    if not isinstance(data, dict):
        return {}, [Problem(shown, None, None, None, "a mapping of keys to values")]
    problems = [
        Problem(shown, None, key, None, "this key") for key in _META_KEYS if key not in data
    ]
    if "synthetic" in data and not isinstance(data["synthetic"], bool):
        problems.append(Problem(shown, None, "synthetic", str(data["synthetic"]), "true or false"))
    # Dates and other YAML scalars become strings so that the snapshot's meta.json round-trips.
    return json.loads(json.dumps(data, default=str)), problems


def _cross_checks(
    root: Path, frames: dict[str, pd.DataFrame | None], clean: set[str]
) -> list[Problem]:
    """Checks spanning files.

    A check runs only when the file it compares against loaded cleanly (else its rows with
    problems would look missing) and the file it checks has the columns it reads.
    """
    problems: list[Problem] = []
    shown = {name: str(root / dataset_file(name)) for name in DATASETS}
    if "trusts" in clean:
        known = set(frames["trusts"]["trust_code"])
        expected = f"a trust listed in {dataset_file('trusts')}: {', '.join(sorted(known))}"
        for name, spec in DATASETS.items():
            column = TRUST_COLUMN.get(name)
            # National files cover every organisation; those outside the region are not used.
            if name == "trusts" or not spec.local:
                continue
            if not _has(frames[name], column):
                continue
            frame = frames[name]
            unknown = frame.loc[~frame[column].isin(known), column]
            problems += [
                Problem(shown[name], int(row), column, code, expected)
                for row, code in unknown.items()
            ]
    expected = f"the visit_id of a visit in {dataset_file('visits')}"
    for name in ("visit_actions", "commitments", "meeting_attendees"):
        if "visits" in clean and _has(frames[name], "visit_id"):
            frame = frames[name]
            orphan = frame.loc[~frame["visit_id"].isin(frames["visits"]["visit_id"]), "visit_id"]
            problems += [
                Problem(shown[name], int(row), "visit_id", visit, expected)
                for row, visit in orphan.items()
            ]
    if "risks" in clean and _has(frames["risk_history"], "risk_id"):
        history = frames["risk_history"]
        orphan = history.loc[~history["risk_id"].isin(frames["risks"]["risk_id"]), "risk_id"]
        expected = f"the risk_id of a risk in {dataset_file('risks')}"
        problems += [
            Problem(shown["risk_history"], int(row), "risk_id", risk, expected)
            for row, risk in orphan.items()
        ]
    if "risks" in clean and _has(frames["visits"], "trust_code", "linked_risk_ids"):
        problems += _check_linked_risks(frames["visits"], frames["risks"], shown["visits"])
    return problems


def _has(frame: pd.DataFrame | None, *columns: str | None) -> bool:
    return frame is not None and all(column in frame.columns for column in columns)


def _check_linked_risks(visits: pd.DataFrame, risks: pd.DataFrame, shown: str) -> list[Problem]:
    """Every linked risk id is a risk of the same trust as the visit."""
    owner = dict(zip(risks["risk_id"], risks["trust_code"], strict=True))
    links = visits["linked_risk_ids"].dropna().str.split(";").explode().str.strip()
    links = links[links != ""]
    problems = []
    for row, risk_id in links.items():
        trust = visits.at[row, "trust_code"]
        if risk_id not in owner:
            expected = f"risk ids from {dataset_file('risks')}, separated by ';'"
        elif owner[risk_id] != trust:
            expected = f"a risk of {trust}; {risk_id} belongs to {owner[risk_id]}"
        else:
            continue
        problems.append(Problem(shown, int(row), "linked_risk_ids", risk_id, expected))
    return problems


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, from its values only (not its position)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _digest(
    meta: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    extra: str = "",
    row_hashes: dict[str, np.ndarray] | None = None,
) -> str:
    """SHA-256 over metadata and tables in name order: names, columns, dtypes, row hashes."""
    sha = hashlib.sha256()
    sha.update(json.dumps(meta, sort_keys=True, default=str).encode())
    sha.update(extra.encode())
    for name in sorted(tables):
        frame = tables[name]
        header = [name, list(map(str, frame.columns)), [str(t) for t in frame.dtypes]]
        sha.update(json.dumps(header).encode())
        rows = row_hashes[name] if row_hashes is not None else _row_hashes(frame)
        sha.update(rows.tobytes())
    return sha.hexdigest()


def _read_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for column in frame.columns:
        if frame[column].dtype == object:
            # Parquet gives None for a missing text cell; the loaders use NaN.
            frame[column] = frame[column].where(frame[column].notna(), np.nan)
    return frame


__all__ = [
    "Dataset",
    "TrustData",
    "ENV_DATA",
    "default_data_dir",
    "load",
    "load_snapshot",
    "validate_dir",
]
