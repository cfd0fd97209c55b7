"""What a run already knows from earlier runs: file hashes, the data's state, brief selections.

Deciding that nothing changed must not cost a full read of the data.  The cache lives in
``<out>/.qv-cache/inputs.json`` and holds:

- ``files``: for every input file hashed before, its size, modification time and SHA-256.  A
  file whose size and time are unchanged is not read again (as ``git status`` does; a file
  written within two seconds of being hashed is hashed again, since a second change in the
  same clock tick would leave its time unchanged);
- ``datasets``: for the state of the inputs a dataset was loaded from (the SHA-256 of every
  data file and parameters file, and qvlib's code), what the run learnt from it: each trust's
  name and data fingerprint, the metadata and the name of the snapshot it wrote;
- ``selections``: the brief selections of the environment-scope packs, by (trust data fingerprint,
  review year, region parameters, pack, qvlib code);
- ``commentary``: the commentary files that passed their checks, by (file, notebook, region
  settings, qvlib code), so an unchanged file is not checked again;
A notebook's declared parameters depend on its bytes only, so they are kept for every output
folder at once, in ``notebook-parameters.json`` under :func:`qvlib.cache.cache_dir` (by the
notebook's path, with its SHA-256): a run into a new folder does not read them with papermill
again.

Everything in these caches can be recomputed: a missing or unreadable cache only makes a run
slower.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qvlib.cache import cache_dir, write_atomic

log = logging.getLogger(__name__)

CACHE_DIR = ".qv-cache"
_FORMAT = 1
_RACY_NS = 2_000_000_000


def sha256_json(value: Any) -> str:
    """SHA-256 of a JSON document written with sorted keys (a stable digest of a structure)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_files(root: Path) -> list[Path]:
    """Every file under ``root`` except hidden ones and Python caches, sorted."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel):
            continue
        if path.suffix != ".pyc" and path.is_file():
            found.append(path)
    return found


class InputsCache:
    """The cache of one output folder; :meth:`save` writes what this run used."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / CACHE_DIR / "inputs.json"
        self.notebooks_path = cache_dir() / "notebook-parameters.json"
        self._data = _read(self.path)
        self._known_notebooks = _read(self.notebooks_path).get("notebooks", {})
        self._memo: dict[Path, str] = {}
        self._files: dict[str, list[Any]] = {}
        self._selections: dict[str, Any] = {}
        self._notebooks: dict[str, Any] = {}
        self._datasets: dict[str, Any] = {}
        self._checked: set[str] = set()

    # -- file hashes -----------------------------------------------------------------------------

    def sha256(self, path: Path) -> str:
        """SHA-256 of ``path``, read only when its size or modification time changed (and
        looked up once per run)."""
        if path in self._memo:
            return self._memo[path]
        key = str(Path(path).resolve())
        stat = os.stat(key)
        known = self._data.get("files", {}).get(key)
        if (
            known is not None
            and known[0] == stat.st_size
            and known[1] == stat.st_mtime_ns
            and known[3] - stat.st_mtime_ns > _RACY_NS
        ):
            digest = known[2]
            checked = known[3]
        else:
            digest = sha256_file(Path(key))
            checked = time.time_ns()
        self._files[key] = [stat.st_size, stat.st_mtime_ns, digest, checked]
        self._memo[path] = digest
        return digest

    def tree(self, root: Path) -> list[dict[str, str]]:
        """Every file under ``root`` (see :func:`tree_files`) with its SHA-256, by path."""
        return [
            {"path": path.relative_to(root).as_posix(), "sha256": self.sha256(path)}
            for path in tree_files(root)
        ]

    # -- what earlier runs learnt ----------------------------------------------------------------

    def dataset(self, state: str) -> dict[str, Any] | None:
        """What a run learnt from the data in ``state`` (see :meth:`remember_dataset`)."""
        found = self._data.get("datasets", {}).get(state)
        if found is not None:
            self._datasets[state] = found
        return found

    def remember_dataset(self, state: str, info: dict[str, Any]) -> None:
        """Keep ``info`` about the data in ``state`` (only the latest state is kept)."""
        self._datasets = {state: info}

    def selection(self, key: str) -> list[str] | None:
        """A brief selection computed before, by :func:`sha256_json` of its inputs."""
        found = self._data.get("selections", {}).get(key)
        if found is None:
            return None
        self._selections[key] = found
        return list(found["ids"])

    def remember_selection(self, key: str, trust: str, ids: Iterable[str]) -> None:
        self._selections[key] = {"trust": trust, "ids": list(ids)}

    def checked(self, key: str) -> bool:
        """Whether a commentary file passed its checks before, by :func:`sha256_json` of what
        the checks read (the file, the pack's notebook, the region's settings, qvlib's code)."""
        if key in self._data.get("commentary", []):
            self._checked.add(key)
            return True
        return False

    def remember_checked(self, key: str) -> None:
        self._checked.add(key)

    def notebook(self, path: Path, sha256: str) -> dict[str, Any] | None:
        """The declared parameters of the notebook at ``path``, if its bytes are unchanged."""
        found = self._known_notebooks.get(str(path))
        if found is None or found["sha256"] != sha256:
            return None
        return found["parameters"]

    def remember_notebook(self, path: Path, sha256: str, parameters: dict[str, Any]) -> None:
        self._notebooks[str(path)] = {"sha256": sha256, "parameters": parameters}

    def save(self, trusts: Iterable[str] = ()) -> None:
        """Write what this run used, keeping the selections of trusts not in ``trusts``.

        A cache that cannot be written is not an error: the next run recomputes.
        """
        covered = set(trusts)
        selections = {
            key: value
            for key, value in self._data.get("selections", {}).items()
            if isinstance(value, dict) and value.get("trust") not in covered
        }
        selections.update(self._selections)
        files = {**self._data.get("files", {}), **self._files}
        document = {
            "format": _FORMAT,
            "files": {k: v for k, v in files.items() if os.path.exists(k)},
            "datasets": self._datasets or self._data.get("datasets", {}),
            "selections": selections,
            "commentary": sorted(self._checked),
        }
        _write(self.path, document)
        if self._notebooks:
            known = {**self._known_notebooks, **self._notebooks}
            _write(self.notebooks_path, {"format": _FORMAT, "notebooks": known})


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else {}


def _write(path: Path, document: dict[str, Any]) -> None:
    try:
        write_atomic(path, json.dumps(document, sort_keys=True) + "\n")
    except OSError as exc:
        log.warning("could not write %s (%s); the next run recomputes what it held", path, exc)
