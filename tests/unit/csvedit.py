"""Small helpers the loader tests share to write CSV files and change one cell.

Test modules import these as ``from csvedit import ...``: pytest puts ``tests/unit`` on
``sys.path`` because the folder has no ``__init__.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path


def set_cell(text: str, row: int, column: str, value: str) -> str:
    """Replace one cell; ``row`` as a spreadsheet shows it (header = 1)."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv", encoding="utf-8") -> Path:
    """Write ``text`` (or bytes) to ``tmp_path/name`` exactly, line ends untouched."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding, newline="")
    return path
