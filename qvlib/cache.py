"""Where qv keeps what it builds once and reuses, and how it writes files that others read.

:func:`cache_dir` holds content-addressed artefacts whose name says everything they depend on
(the Vega JavaScript bundle of :mod:`qvlib.packs`, the static chart pictures of
:mod:`qvlib.static_charts`), so a cache entry is never stale and deleting the folder only costs
time.  :func:`write_atomic` writes through a temporary file and a rename, so a reader (another
worker, a kernel, a person opening a PDF) never sees half a file.

This module imports nothing heavy: Jupyter kernels use it for every chart.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """Directory for qv's caches (the Vega JavaScript bundle, static chart pictures).

    ``$QV_CACHE_DIR`` when set; inside the virtual environment when running in one (so that
    rebuilding the venv clears it); else ``~/.cache/qv``.

    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"QV_CACHE_DIR": "/srv/cache/qv"}):
    ...     cache_dir()
    PosixPath('/srv/cache/qv')
    """
    if os.environ.get("QV_CACHE_DIR"):
        return Path(os.environ["QV_CACHE_DIR"])
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "var" / "cache" / "qv"
    return Path.home() / ".cache" / "qv"


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The folder is created if needed; the file gets the usual permissions (``0o644`` under the
    common umask), and ``str`` is written as UTF-8.  A reader sees the old file or the new one,
    never a part; a failure leaves no temporary file behind.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "sub" / "note.txt"
    ...     write_atomic(target, "as at 31 Mar 2026")
    ...     target.read_text(), [p.name for p in target.parent.iterdir()]
    ('as at 31 Mar 2026', ['note.txt'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode() -> int:
    # mkstemp creates files readable by the owner only; outputs get the usual umask-based mode.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: Mode of the files qv writes: what the umask gives a new file (mkstemp alone gives 0o600).
FILE_MODE = _file_mode()
