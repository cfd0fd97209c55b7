"""The loaded data: every dataset of a data directory, and one trust's slice of it.

``load(path)`` reads every file through :mod:`qvlib.loaders`, adds the checks that span files
(trust codes, visit and risk references) and reports every problem of every file in one
:class:`~qvlib.errors.DataValidationError`.  A :class:`Dataset` can be written once per run as a
content-addressed Parquet snapshot that notebooks read back without re-parsing the CSV files.
``Dataset.trust(code)`` gives a :class:`TrustData` holding only that trust's local rows (plus
its national rows), so a pack cannot show another trust's data by accident.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from qvlib.config import ROOT, Parameters, default_parameters, load_region
from qvlib.errors import DataValidationError, Problem, QvError, format_problems
from qvlib.loaders import dataset_file, read_dataset
from qvlib.schemas import DATASETS, TRUST_COLUMN

logger = logging.getLogger(__name__)

META_FILE = "dataset.yaml"
SNAPSHOT_META = "meta.json"
SNAPSHOT_FORMAT = 1
_META_KEYS = ("name", "description", "synthetic", "period")
_NO_ROWS = np.empty(0, dtype=np.intp)


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
    tables
        Dataset name -> frame; each is also an attribute (``t.risks``).  Frames are copies.
    """

    def __init__(self, code: str, meta: dict[str, Any], tables: dict[str, pd.DataFrame]):
        self.code = code
        self.meta = meta
        self.tables = tables
        row = tables["trusts"].iloc[0]
        self.name: str = row["trust_name"]
        self.trust_type: str = row["trust_type"]
        self.sites: list[str] = [s.strip() for s in row["sites"].split(";") if s.strip()]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"TrustData has no attribute {name!r}; datasets are {list(tables)}")

    def __repr__(self) -> str:
        return f"TrustData({self.code!r}, {self.name!r})"

    def fingerprint(self) -> str:
        """SHA-256 of this trust's slice of every dataset plus the dataset's metadata.

        It changes when any row this trust sees changes (including national rows about it) and
        not when only another trust's data changes.  It describes the data as loaded; a run
        computes every trust's at once with :meth:`Dataset.trust_fingerprints`.
        """
        return _digest(self.meta, self.tables, extra=self.code)


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
    """

    def __init__(self, root: Path, meta: dict[str, Any], tables: dict[str, pd.DataFrame]):
        self.root = Path(root)
        self.meta = meta
        self.tables = tables

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no attribute {name!r}; datasets are {list(tables)}")

    def __repr__(self) -> str:
        return f"Dataset({str(self.root)!r}, trusts={self.trust_codes})"

    @property
    def trust_codes(self) -> list[str]:
        """ODS codes of the trusts in ``local/trusts.csv``, sorted."""
        return sorted(self.tables["trusts"]["trust_code"])

    def trust(self, code: str) -> TrustData:
        """The data of trust ``code`` (a former code such as RD3 gives its successor).

        Raises
        ------
        QvError
            If the trust is not in ``local/trusts.csv``; the message lists the known codes.
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
        return TrustData(wanted, dict(self.meta), tables)

    def trust_names(self) -> dict[str, str]:
        """Trust code -> name, from ``local/trusts.csv``."""
        trusts = self.tables["trusts"]
        return dict(zip(trusts["trust_code"], trusts["trust_name"], strict=True))

    def trust_fingerprints(self) -> dict[str, str]:
        """Trust code -> :meth:`TrustData.fingerprint` of every trust, hashing each row once."""
        positions, hashes = self._positions, self._hashes
        found = {}
        for code in self.trust_codes:
            rows = {name: positions[name].get(code, _NO_ROWS) for name in self.tables}
            found[code] = _digest(
                self.meta,
                self.tables,
                extra=code,
                row_hashes={name: hashes[name][rows[name]] for name in self.tables},
            )
        return found

    @cached_property
    def _positions(self) -> dict[str, dict[str, np.ndarray]]:
        """Per dataset: trust code -> its row positions (computed once per dataset)."""
        visits = self.tables["visits"]
        visit_trust = dict(zip(visits["visit_id"], visits["trust_code"], strict=True))
        positions = {}
        for name, frame in self.tables.items():
            if name == "visit_actions":
                owner = frame["visit_id"].map(visit_trust)
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
        """SHA-256 of every table and the metadata: the snapshot's name."""
        return _digest(self.meta, self.tables, row_hashes=self._hashes)

    def write_snapshot(self, directory: str | Path) -> Path:
        """Write the data once as Parquet under ``directory/<content hash>/`` and return it.

        The snapshot is written to a temporary directory and renamed into place, so a reader
        never sees half a snapshot; an existing snapshot of the same content is reused.
        """
        directory = _resolve(directory)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / self.content_hash()
        if (target / SNAPSHOT_META).exists():
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
        return target


def load(path: str | Path, *, params: Parameters | None = None) -> Dataset:
    """Load and validate every dataset under ``path`` (or read a snapshot written by qv).

    Parameters
    ----------
    path
        A data directory (``dataset.yaml``, ``local/``, ``national/``) or a snapshot directory
        from :meth:`Dataset.write_snapshot`.  A relative path is taken from the repository
        root, not the working directory.
    params
        Parameters supplying former trust codes, domains, ISF levels and visit type names;
        default: the repository's ``parameters/``.

    Raises
    ------
    DataValidationError
        Every problem in every file (file, row, column, value, expected), together.
    """
    root = _resolve(path)
    if (root / SNAPSHOT_META).is_file() and not (root / META_FILE).exists():
        return load_snapshot(root)
    if not root.is_dir():
        expected = "a data directory holding dataset.yaml, local/ and national/"
        raise DataValidationError([Problem(str(root), None, None, None, expected)])
    params = params or default_parameters()
    meta, problems = _read_meta(root / META_FILE)
    frames: dict[str, pd.DataFrame | None] = {}
    clean: set[str] = set()
    for name, spec in DATASETS.items():
        frame, found = read_dataset(
            name, root / dataset_file(name), params=params, required=spec.required
        )
        frames[name] = frame
        problems += found
        if not found:
            clean.add(name)
    problems += _cross_checks(root, frames, clean)
    if problems:
        raise DataValidationError(problems)
    tables = {name: frame.reset_index(drop=True) for name, frame in frames.items()}
    logger.info("loaded %s: %d rows", root, sum(len(f) for f in tables.values()))
    return Dataset(root, meta, tables)


def load_snapshot(path: str | Path) -> Dataset:
    """Read a snapshot written by :meth:`Dataset.write_snapshot` back into a :class:`Dataset`."""
    root = _resolve(path)
    try:
        info = json.loads((root / SNAPSHOT_META).read_text(encoding="utf-8"))
        tables = {name: _read_parquet(root / f"{name}.parquet") for name in info["datasets"]}
    except (OSError, ValueError, KeyError) as exc:
        raise QvError(f"{root}: not a readable qv snapshot ({exc}); rebuild it") from None
    return Dataset(root, info["meta"], tables)


def validate_dir(path: Path | None = None) -> tuple[str, bool]:
    """Check a data directory for ``qv validate``: a report and whether the data is clean.

    Parameters
    ----------
    path
        The data directory; ``None`` for ``data_dir`` in ``parameters/region.yaml``.

    Returns
    -------
    (report, ok)
        A short summary (datasets, rows, trusts) when clean, else every problem.
    """
    root = load_region().data_path() if path is None else _resolve(path)
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
    return "\n".join(lines), True


# --------------------------------------------------------------------------- helpers


def _resolve(path: str | Path) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() else ROOT / path


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
    if "visits" in clean and _has(frames["visit_actions"], "visit_id"):
        actions = frames["visit_actions"]
        orphan = actions.loc[~actions["visit_id"].isin(frames["visits"]["visit_id"]), "visit_id"]
        expected = f"the visit_id of a visit in {dataset_file('visits')}"
        problems += [
            Problem(shown["visit_actions"], int(row), "visit_id", visit, expected)
            for row, visit in orphan.items()
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


__all__ = ["Dataset", "TrustData", "load", "load_snapshot", "validate_dir"]
