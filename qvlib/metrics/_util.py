"""Small helpers the metrics modules share: financial years, "today", consecutive-year runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from qvlib.config import review_year_bounds


def fy_bounds(year: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a financial year written ``YYYY/YY`` (1 April to 31 March)."""
    start, end = review_year_bounds(year)
    return pd.Timestamp(start), pd.Timestamp(end)


def fy_of(date: pd.Timestamp | dt.date) -> str:
    """The financial year (``YYYY/YY``) a date falls in."""
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def next_year(year: str | int) -> str | int:
    """The year after ``year``: ``2026`` for ``2025``, ``'2026/27'`` for ``'2025/26'``."""
    if isinstance(year, str):
        _, end = fy_bounds(year)
        return fy_of(end + pd.Timedelta(days=1))
    return int(year) + 1


def previous_year(year: str) -> str:
    """The financial year before ``year``: ``'2024/25'`` for ``'2025/26'``."""
    start, _ = fy_bounds(year)
    return fy_of(start - pd.Timedelta(days=1))


def timestamp(as_at: dt.date) -> pd.Timestamp:
    """``as_at`` as a midnight timestamp, comparable with the datetime columns of the data."""
    return pd.Timestamp(as_at).normalize()


def latest_run(flags: Iterable[bool]) -> tuple[int, int]:
    """Length and end position of the latest run of ``True`` in ``flags`` (``(0, -1)`` if none)."""
    best_len, best_end, current = 0, -1, 0
    for i, flag in enumerate(flags):
        current = current + 1 if flag else 0
        if current:
            best_len, best_end = current, i
    return best_len, best_end
