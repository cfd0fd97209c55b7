"""Statistical process control: XmR charts as NHS England's Making Data Count defines them.

:func:`calc_spc` follows the rules of the reference R package NHSRplotthedots: process limits
per segment from the mean and the (optionally screened) mean moving range, then four special
cause rules in priority order (a point outside the limits, a trend, two of three points close to
a limit, a run on one side of the mean), and a point type that says whether a signal is an
improvement, a concern or neutral. :func:`spc_icons` turns the last point into the variation and
assurance icons of a Making Data Count summary. Frames in, frames out: no I/O, no plotting.

Comparisons (on the mean, on a limit, a tie in a trend) treat values that differ by less than
``1e-12`` times the largest absolute value of the segment as equal, so that floating-point
rounding (e.g. a mean of 0.1, 0.1 and 0.1 that is not exactly 0.1) never decides a rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from qvlib.config import SpcSettings

logger = logging.getLogger(__name__)

Improvement = Literal["increase", "decrease", "neutral"]

#: Allowed improvement directions and the sign of the change each one calls an improvement.
IMPROVEMENT_SIGN: dict[str, int] = {"increase": 1, "decrease": -1, "neutral": 0}

#: Limits sit 2.66 mean moving ranges from the mean (3 / d2, with d2 = 1.128 for n = 2).
LIMIT_FACTOR = 2.66
#: Moving ranges at or above 3.267 x their mean (the upper range limit, D4) are screened out.
SCREEN_FACTOR = 3.267
#: A point is "close" to a limit beyond this fraction of the way from the mean to the limit.
CLOSE_FRACTION = 2 / 3
#: Special cause rules, highest priority first.
RULES = ("outside_limits", "trend", "two_in_three", "run")
#: Columns of the frame that :func:`calc_spc` returns, in order.
COLUMNS = (
    "x",
    "y",
    "segment",
    "mean",
    "lpl",
    "upl",
    "near_lpl",
    "near_upl",
    "moving_range",
    "moving_range_mean",
    *RULES,
    "special_cause",
    "rule",
    "relative_to_mean",
    "signal_direction",
    "point_type",
    "trial_limits",
    "target",
)

# what _calc_segment returns for each segment, and the dtype of each array
_SEGMENT_DTYPES = {
    "mean": "float64",
    "lpl": "float64",
    "upl": "float64",
    "near_lpl": "float64",
    "near_upl": "float64",
    "moving_range": "float64",
    "moving_range_mean": "float64",
    **dict.fromkeys(RULES, "bool"),
    "relative_to_mean": "int64",
    "trend_direction": "int64",
}

# relative tolerance of comparisons: see the module docstring
_REL_TOL = 1e-12

#: Each variation icon in words (``None``: no points to judge).
VARIATION_TEXT = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": (
        "Special cause variation of an improving nature where the measure is higher"
    ),
    "improvement_low": "Special cause variation of an improving nature where the measure is lower",
    "concern_high": "Special cause variation of a concerning nature where the measure is higher",
    "concern_low": "Special cause variation of a concerning nature where the measure is lower",
    "neutral_high": "Special cause variation of a neutral nature where the measure is higher",
    "neutral_low": "Special cause variation of a neutral nature where the measure is lower",
    None: "No variation icon: there are no data points",
}
#: Each assurance icon in words.
ASSURANCE_TEXT = {
    "consistent_pass": "The system is expected to consistently pass the target",
    "consistent_fail": "The system is expected to consistently fail the target",
    "inconsistent": "The system may achieve or fail the target, subject to random variation",
}


@dataclass(frozen=True)
class SpcIcons:
    """The Making Data Count summary of a chart: variation and assurance icons with their text.

    Attributes
    ----------
    variation : str or None
        One of ``common_cause``, ``improvement_high``, ``improvement_low``, ``concern_high``,
        ``concern_low``, ``neutral_high``, ``neutral_low``; ``None`` when there are no points.
    variation_text : str
        The variation icon in words.
    assurance : str or None
        ``consistent_pass``, ``consistent_fail``, ``inconsistent``, or ``None`` when there is no
        target, no improvement direction or no limits.
    assurance_text : str
        The assurance icon in words (or why there is none).
    trial_limits : bool
        The last segment has too few points for stable limits.
    trial_limits_text : str
        Says so when ``trial_limits`` is true; empty otherwise.
    """

    variation: str | None
    variation_text: str
    assurance: str | None
    assurance_text: str
    trial_limits: bool
    trial_limits_text: str


def calc_spc(
    data: pd.DataFrame,
    value: str = "y",
    x: str = "x",
    *,
    improvement: Improvement = "increase",
    target: float | None = None,
    rebase: list | None = None,
    settings: SpcSettings | None = None,
    run_length: int | None = None,
    screen_outliers: bool | None = None,
    baseline_points: int | None = None,
    min_points: int | None = None,
) -> pd.DataFrame:
    """Calculate an XmR chart with Making Data Count special cause rules.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per time point.
    value : str
        Column holding the measure.
    x : str
        Column holding the time (or any sortable) axis; rows are sorted by it (then by value,
        so that the result does not depend on the input's row order).
    improvement : {"increase", "decrease", "neutral"}
        Which direction of change is an improvement; ``neutral`` makes every signal neutral.
    target : float, optional
        Target value, copied into the ``target`` column (used by :func:`spc_icons`).
    rebase : list, optional
        x values at which a new segment starts (limits recalculated; no rule crosses a
        segment boundary). A value between two points starts the segment at the next point.
    settings : qvlib.config.SpcSettings, optional
        ``run_length``, ``screen_outliers``, ``min_points`` and ``baseline_points``; usually
        ``qv.region().spc``. Defaults to ``SpcSettings()``.
    run_length, screen_outliers, baseline_points, min_points : optional
        Override the field of the same name in ``settings`` (validated by the same model).

    Returns
    -------
    pandas.DataFrame
        One row per point with a value, sorted by x, with the columns in :data:`COLUMNS`:
        ``x``, ``y``, ``segment`` (0, 1, ...), ``mean``, ``lpl``/``upl`` (process limits),
        ``near_lpl``/``near_upl`` (two thirds of the way to the limits), ``moving_range``
        (NaN for the first point of a segment), ``moving_range_mean`` (after screening), one
        boolean column per rule in :data:`RULES`, ``special_cause``, ``rule`` (the
        highest-priority rule that flagged the point, or None), ``relative_to_mean`` (-1/0/1),
        ``signal_direction`` (the trend's direction for a trend, the side of the mean for other
        rules, 0 for common cause), ``point_type`` (``common_cause``,
        ``special_cause_improvement``, ``special_cause_concern``, ``special_cause_neutral``),
        ``trial_limits`` (the segment has fewer than ``min_points`` points) and ``target``.

    Notes
    -----
    Rows whose x or value is missing are dropped before anything is calculated: the points
    either side of a gap count as consecutive (as in the published charts, which plot the
    points that exist). A segment of one point has no moving range, so its limits are NaN and
    it can only be common cause. A constant baseline has a mean moving range of 0, so its
    limits equal its mean and nothing is screened.
    """
    if improvement not in IMPROVEMENT_SIGN:
        raise ValueError(
            f"improvement must be one of {', '.join(IMPROVEMENT_SIGN)}, not {improvement!r}"
        )
    for column in (x, value):
        if column not in data.columns:
            raise KeyError(f"column {column!r} not in the data; columns are {list(data.columns)}")
    opts = _settings(
        settings,
        run_length=run_length,
        screen_outliers=screen_outliers,
        baseline_points=baseline_points,
        min_points=min_points,
    )

    # keep the x column's dtype (dates, tz-aware times) so that rebase values compare with it
    frame = pd.DataFrame({"x": data[x], "y": data[value].astype("float64")}).reset_index(drop=True)
    dropped = int(frame.isna().any(axis=1).sum())
    if dropped:
        logger.debug("calc_spc: dropped %d rows with a missing x or value", dropped)
    frame = frame.dropna().sort_values(["x", "y"], kind="mergesort").reset_index(drop=True)

    segment = _segment_ids(frame["x"], rebase)
    bounds = np.flatnonzero(np.diff(segment)) + 1
    pieces = [
        _calc_segment(y, opts.run_length, opts.screen_outliers, opts.baseline_points)
        for y in np.split(frame["y"].to_numpy(), bounds)
        if y.size
    ]
    cols = {
        name: np.concatenate([p[name] for p in pieces] or [np.empty(0, dtype)])
        for name, dtype in _SEGMENT_DTYPES.items()
    }

    stacked = np.vstack([cols[rule] for rule in RULES])
    special = stacked.any(axis=0)
    first_rule = np.asarray(RULES, dtype=object)[stacked.argmax(axis=0)]
    # a trend's signal points the way the trend goes; every other rule's, to its side of the mean
    direction = np.where(
        cols["trend"] & ~cols["outside_limits"], cols["trend_direction"], cols["relative_to_mean"]
    )
    cols.update(
        x=frame["x"],
        y=frame["y"],
        segment=segment,
        special_cause=special,
        rule=np.where(special, first_rule, None),
        signal_direction=direction * special,
        point_type=_point_type(special, direction, IMPROVEMENT_SIGN[improvement]),
        trial_limits=np.bincount(segment)[segment] < opts.min_points,
        target=np.full(len(frame), np.nan if target is None else float(target)),
    )
    # one constructor call: adding columns one by one costs more than the calculation
    return pd.DataFrame({name: cols[name] for name in COLUMNS})


def spc_icons(
    result: pd.DataFrame,
    improvement: Improvement,
    target: float | None = None,
) -> SpcIcons:
    """Variation and assurance icons of a chart from its last point and last segment's limits.

    Parameters
    ----------
    result : pandas.DataFrame
        A frame returned by :func:`calc_spc`.
    improvement : {"increase", "decrease", "neutral"}
        Which direction of change is an improvement.
    target : float, optional
        Target value; defaults to the last point's ``target`` column.

    Returns
    -------
    SpcIcons
        ``variation`` from the last point's signal; ``assurance`` where higher is better:
        target above the upper limit = ``consistent_fail``, below the lower limit =
        ``consistent_pass``, otherwise ``inconsistent`` (mirrored where lower is better);
        ``None`` without a target, with a neutral direction, or without limits.
    """
    if improvement not in IMPROVEMENT_SIGN:
        raise ValueError(
            f"improvement must be one of {', '.join(IMPROVEMENT_SIGN)}, not {improvement!r}"
        )
    sign = IMPROVEMENT_SIGN[improvement]
    if result.empty:
        return SpcIcons(
            variation=None,
            variation_text=VARIATION_TEXT[None],
            assurance=None,
            assurance_text="No assurance icon: there are no data points",
            trial_limits=False,
            trial_limits_text="",
        )
    last = result.iloc[-1]
    variation = _variation(bool(last["special_cause"]), int(last["signal_direction"]), sign)

    if target is None and pd.notna(last["target"]):
        target = float(last["target"])
    assurance: str | None = None
    if target is None:
        assurance_text = "No assurance icon: there is no target"
    elif sign == 0:
        assurance_text = "No assurance icon: the measure has no improvement direction"
    elif not (np.isfinite(last["lpl"]) and np.isfinite(last["upl"])):
        assurance_text = "No assurance icon: the limits need at least two points"
    else:
        # multiplying by the direction turns "lower is better" into "higher is better"
        lower, upper = sorted((sign * last["lpl"], sign * last["upl"]))
        goal = sign * target
        if goal > upper:
            assurance = "consistent_fail"
        elif goal < lower:
            assurance = "consistent_pass"
        else:
            assurance = "inconsistent"
        assurance_text = ASSURANCE_TEXT[assurance]

    trial = bool(last["trial_limits"])
    n_last = int((result["segment"] == last["segment"]).sum())
    trial_text = (
        f"Trial limits: calculated from only {n_last} point{'s' if n_last != 1 else ''}; "
        "they may change as more data arrive"
        if trial
        else ""
    )
    return SpcIcons(
        variation=variation,
        variation_text=VARIATION_TEXT[variation],
        assurance=assurance,
        assurance_text=assurance_text,
        trial_limits=trial,
        trial_limits_text=trial_text,
    )


def _settings(settings: SpcSettings | None, **overrides: int | bool | None) -> SpcSettings:
    base = settings if settings is not None else SpcSettings()
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return base
    # rebuild rather than model_copy so that the overrides are validated like region.yaml
    return SpcSettings(**{**base.model_dump(), **given})


def _segment_ids(xs: pd.Series, rebase: list | None) -> np.ndarray:
    """Consecutive segment numbers (0, 1, ...) of sorted x values, a new one at each rebase."""
    if not rebase or xs.empty:
        return np.zeros(len(xs), "int64")
    breaks = pd.Series(rebase)
    if pd.api.types.is_datetime64_any_dtype(xs):
        breaks = pd.to_datetime(breaks)
    # number of breaks at or before each x: non-decreasing because xs is sorted
    raw = np.zeros(len(xs), "int64")
    for b in breaks:
        raw += (xs >= b).to_numpy()
    return np.unique(raw, return_inverse=True)[1].astype("int64")


def _long_runs(codes: np.ndarray, min_len: int) -> np.ndarray:
    """Flag elements in maximal runs of one repeated non-zero code at least ``min_len`` long."""
    n = codes.size
    if n == 0:
        return np.zeros(0, bool)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, n])
    long = (lengths >= min_len) & (codes[starts] != 0)
    return np.repeat(long, lengths)


def _sign(values: np.ndarray, tol: float) -> np.ndarray:
    return np.where(values > tol, 1, np.where(values < -tol, -1, 0)).astype("int64")


def _calc_segment(
    y: np.ndarray, run_length: int, screen: bool, baseline_points: int | None
) -> dict[str, np.ndarray]:
    """Limits and rule flags of one segment (no rule looks outside it)."""
    m = y.size
    tol = _REL_TOL * float(np.abs(y).max())
    base = y[:baseline_points] if baseline_points else y
    mean = base.mean()
    moving_range = np.r_[np.nan, np.abs(np.diff(y))]
    base_mr = moving_range[1 : base.size]
    mr_mean = base_mr.mean() if base_mr.size else np.nan
    if screen and mr_mean > tol:
        mr_mean = base_mr[base_mr < SCREEN_FACTOR * mr_mean - tol].mean()
    half = LIMIT_FACTOR * mr_mean
    near = CLOSE_FRACTION * half

    dev = y - mean
    rel = _sign(dev, tol)
    # NaN limits (a one-point segment) compare False: nothing is outside or close
    outside = np.abs(dev) > half + tol
    close = ~outside & (np.abs(dev) > near + tol)

    # trend: run_length points = run_length - 1 consecutive steps of one sign (0 = a tie)
    step = _sign(np.diff(y), tol)
    in_trend = _long_runs(step, run_length - 1)
    into = np.r_[False, in_trend]
    out_of = np.r_[in_trend, False]
    trend = into | out_of
    # a peak that ends one trend and starts the opposite keeps the direction of the first
    trend_direction = np.where(into, np.r_[0, step], np.where(out_of, np.r_[step, 0], 0))

    two_in_three = np.zeros(m, bool)
    if m >= 3:
        c = close.astype("int64")
        n_close = c[:-2] + c[1:-1] + c[2:]
        same_side = np.abs(rel[:-2] + rel[1:-1] + rel[2:]) == 3
        window = (n_close >= 2) & same_side
        two_in_three[:-2] |= window
        two_in_three[1:-1] |= window
        two_in_three[2:] |= window
        two_in_three &= close

    run = _long_runs(rel, run_length)
    full = np.full(m, 1.0)
    return {
        "mean": full * mean,
        "lpl": full * (mean - half),
        "upl": full * (mean + half),
        "near_lpl": full * (mean - near),
        "near_upl": full * (mean + near),
        "moving_range": moving_range,
        "moving_range_mean": full * mr_mean,
        "outside_limits": outside,
        "trend": trend,
        "two_in_three": two_in_three,
        "run": run,
        "relative_to_mean": rel,
        "trend_direction": trend_direction.astype("int64"),
    }


def _point_type(special: np.ndarray, direction: np.ndarray, sign: int) -> np.ndarray:
    if sign == 0:
        signal = np.full(special.shape, "special_cause_neutral", dtype=object)
    else:
        signal = np.where(
            direction == sign, "special_cause_improvement", "special_cause_concern"
        ).astype(object)
    return np.where(special, signal, "common_cause").astype(object)


def _variation(special: bool, direction: int, sign: int) -> str:
    if not special:
        return "common_cause"
    side = "high" if direction > 0 else "low"
    if sign == 0:
        return f"neutral_{side}"
    return f"{'improvement' if direction == sign else 'concern'}_{side}"
