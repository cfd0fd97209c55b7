"""Small-number suppression: the one mechanism every table and chart's data goes through.

A cell built from fewer respondents than a rule's threshold is never shown as a number: its
values (and its count) become NaN and the row is flagged ``suppressed``; the tables module shows
such cells as ``region.suppression.marker``.  With secondary suppression, a group holding exactly
one primarily suppressed row (whose value could be worked back from the group's total) also has
its next-smallest row suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qvlib.config import RegionConfig, SuppressionRule
from qvlib.schemas import FFT_ANSWERS
from qvlib.schemas import FftSchema as F
from qvlib.schemas import SurveyResultSchema as S

SURVEY_VALUE_COLUMNS = (S.score, S.ci_lower, S.ci_upper)
FFT_VALUE_COLUMNS = (*FFT_ANSWERS, "pct_positive", "pct_negative")


def suppress(
    frame: pd.DataFrame,
    count_col: str,
    value_cols: Sequence[str],
    rule: SuppressionRule,
    group_cols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank the values of rows built from too few respondents.

    Parameters
    ----------
    frame
        Any frame with a count column.
    count_col
        The number of respondents (or responses) each row is built from.
    value_cols
        Columns to blank in a suppressed row (the count is always blanked too); columns not in
        the frame are ignored.
    rule
        Threshold (a count below it is suppressed, zero included) and whether to apply
        secondary suppression.
    group_cols
        Rows that add up to a published total (e.g. settings of one organisation and month).
        With ``rule.secondary``, a group of two or more rows with exactly one primarily
        suppressed row also has its smallest other row suppressed (the first in frame order on a
        tie).

    Returns
    -------
    pandas.DataFrame
        A copy with the suppressed cells NaN (``count_col`` becomes float) and a boolean
        ``suppressed`` column (ORed with any existing one, so rules can be chained).
    """
    out = frame.copy()
    counts = pd.to_numeric(out[count_col], errors="coerce")
    flagged = (counts < rule.threshold).fillna(False).to_numpy(dtype=bool)
    if rule.secondary and group_cols:
        flagged = flagged | _secondary(out, counts, flagged, list(group_cols))
    if "suppressed" in out.columns:
        flagged = flagged | out["suppressed"].fillna(False).to_numpy(dtype=bool)
    columns = [count_col, *(c for c in value_cols if c in out.columns and c != count_col)]
    for col in columns:
        if not pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype("float64") if _numeric(out[col]) else out[col].astype(object)
        out.loc[flagged, col] = np.nan
    out["suppressed"] = flagged
    return out


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _secondary(
    frame: pd.DataFrame, counts: pd.Series, primary: np.ndarray, group_cols: list[str]
) -> np.ndarray:
    extra = np.zeros(len(frame), dtype=bool)
    # An unknown count cannot be ranked; it is never chosen as the smallest.
    order = counts.fillna(np.inf).to_numpy(dtype=float)
    keys = [frame[c].to_numpy() for c in group_cols]
    for _, idx in pd.Series(np.arange(len(frame))).groupby(keys, dropna=False, sort=False):
        pos = idx.to_numpy()
        if len(pos) >= 2 and primary[pos].sum() == 1:
            candidates = pos[~primary[pos]]
            smallest = candidates[np.argmin(order[candidates])]  # first on a tie
            extra[smallest] = True
    return extra


def suppress_survey(
    frame: pd.DataFrame,
    region: RegionConfig,
    survey: str | None = None,
    count_col: str = S.n,
    value_cols: Sequence[str] = SURVEY_VALUE_COLUMNS,
) -> pd.DataFrame:
    """Suppress survey results with the NTS or NETS rule of ``region.suppression``.

    Parameters
    ----------
    frame
        Survey rows (``SurveyResultSchema`` columns or a summary of them).
    region
        Parsed region settings.
    survey
        ``"NTS"`` or ``"NETS"``; ``None`` takes each row's ``survey`` column.
    count_col, value_cols
        Respondents column and the columns to blank.

    Returns
    -------
    pandas.DataFrame
        See :func:`suppress`.
    """
    rules = {"NTS": region.suppression.nts, "NETS": region.suppression.nets}
    if survey is not None:
        return suppress(frame, count_col, value_cols, rules[survey])
    parts = [
        suppress(part, count_col, value_cols, rules[name])
        for name, part in frame.groupby(S.survey, sort=False)
    ]
    if not parts:
        return suppress(frame, count_col, value_cols, region.suppression.nts)
    return pd.concat(parts).loc[frame.index]


def suppress_fft(
    frame: pd.DataFrame,
    region: RegionConfig,
    count_col: str = F.total_responses,
    value_cols: Sequence[str] = FFT_VALUE_COLUMNS,
    group_cols: Sequence[str] = (F.org_code, F.period),
) -> pd.DataFrame:
    """Suppress Friends and Family Test rows with ``region.suppression.fft``.

    Defaults: responses below the threshold blank the answer counts and percentages, and the
    next-smallest setting of the same organisation and month is suppressed with them.

    Parameters
    ----------
    frame
        FFT rows (``FftSchema`` columns, optionally with ``pct_positive``/``pct_negative``).
    region
        Parsed region settings.
    count_col, value_cols, group_cols
        See :func:`suppress`.

    Returns
    -------
    pandas.DataFrame
        See :func:`suppress`.
    """
    return suppress(frame, count_col, value_cols, region.suppression.fft, group_cols)
