"""How every figure, date and code reads: one formatter and one vocabulary for every output.

Tables (:mod:`qvlib.tables`), charts (:mod:`qvlib.charts`), headline findings
(:mod:`qvlib.findings`), commentary's live values and the CQC extracts all format through here,
so a figure reads the same wherever it appears:

- money in pounds with thousands separators (``£1,234,567``), whole pounds;
- percentages to one decimal place (``95.6%``); a change between two percentages is computed
  from the rounded figures shown and given in points (``+4.2 pts``);
- counts with thousands separators; survey scores at the precision they are published (GMC NTS
  0-100 to one decimal place, NHS Staff Survey 0-10 to two);
- dates as ``14 Oct 2025``, months as ``Oct 2025``, years as labels (``2025``, ``2025/26``),
  ages in years and months (``3 years 2 months``);
- codes as words people use: visit types, professions, FFT settings, funding streams, action
  kinds, statuses, bands, NTS outcomes and CQC ratings (:data:`VOCABULARY`).

Frames keep their codes (the rules need them); display code calls :func:`labelled` or
:func:`label` at the last moment.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where a value may be one of its own: ``qv reviews`` formats the dates of
# its index and document controls without loading it (a run with nothing to do stays fast).

#: What a missing value shows as.
MISSING = "–"
#: Decimal places of a percentage, everywhere.
PCT_DECIMALS = 1


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA.

    >>> import pandas as pd
    >>> is_missing(float("nan")), is_missing(pd.NaT), is_missing(0)
    (True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if "numpy" not in sys.modules:  # no NaT, NA or numpy NaN exists before numpy is imported
        return False
    import pandas as pd

    if value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: Month abbreviations, spelled out here because strftime's ``%b`` follows the machine's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(value: Any) -> str:
    """A date as ``14 Oct 2025`` (``–`` when missing).

    >>> fmt_date("2025-10-14"), fmt_date(None)
    ('14 Oct 2025', '–')
    """
    if is_missing(value):
        return MISSING
    stamp = value if isinstance(value, dt.date) else _iso_date(value)  # Timestamps are dates
    if stamp is None:
        import pandas as pd

        stamp = pd.Timestamp(value)
    return f"{stamp.day} {MONTHS[stamp.month - 1]} {stamp.year}"


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def fmt_month(value: Any) -> str:
    """A month (``2025-10`` or any date in it) as ``Oct 2025``.

    >>> fmt_month("2025-10")
    'Oct 2025'
    """
    if is_missing(value):
        return MISSING
    import pandas as pd

    text = str(value)
    stamp = pd.Timestamp(text + "-01") if len(text) == 7 else pd.Timestamp(value)
    return f"{MONTHS[stamp.month - 1]} {stamp.year}"


def fmt_money(value: Any) -> str:
    """Pounds with thousands separators, no pence: ``£1,234,567`` (``-£1,200`` below zero).

    >>> fmt_money(1234567.4), fmt_money(-1200)
    ('£1,234,567', '-£1,200')
    """
    if is_missing(value):
        return MISSING
    number = round(float(value))
    return f"-£{-number:,.0f}" if number < 0 else f"£{number:,.0f}"


def fmt_pct(value: Any) -> str:
    """A percentage (0-100) to one decimal place: ``95.6%``.

    >>> fmt_pct(95.56)
    '95.6%'
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):.{PCT_DECIMALS}f}%"


def fmt_points(value: Any) -> str:
    """A change in percentage points, signed: ``+4.2 pts``.

    >>> fmt_points(4.2), fmt_points(-0.5)
    ('+4.2 pts', '-0.5 pts')
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):+.{PCT_DECIMALS}f} pts"


def fmt_count(value: Any) -> str:
    """A whole number with thousands separators: ``1,234``.

    >>> fmt_count(1234.0)
    '1,234'
    """
    if is_missing(value):
        return MISSING
    return f"{round(float(value)):,d}"


def fmt_number(value: Any, decimals: int = 1) -> str:
    """A number to ``decimals`` places with thousands separators.

    >>> fmt_number(1234.56, 1)
    '1,234.6'
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{decimals}f}"


def fmt_signed(value: Any, decimals: int = 2) -> str:
    """A signed difference, e.g. a staff survey gap ``+0.12`` or a count change ``+3``.

    >>> fmt_signed(0.123), fmt_signed(3, 0)
    ('+0.12', '+3')
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):+,.{decimals}f}"


def fmt_year(value: Any) -> str:
    """A year as a label: ``2025`` (never ``2,025``) or ``2025/26``.

    >>> fmt_year(2025.0), fmt_year("2025/26")
    ('2025', '2025/26')
    """
    if is_missing(value):
        return MISSING
    if isinstance(value, Real) and float(value).is_integer():
        return str(int(value))
    return str(value)


def fmt_age(months: Any) -> str:
    """An age in whole months as words: ``3 years 2 months``, ``1 year``, ``5 months``,
    ``less than a month``.

    >>> fmt_age(38), fmt_age(12), fmt_age(0)
    ('3 years 2 months', '1 year', 'less than a month')
    """
    if is_missing(months):
        return MISSING
    total = int(months)
    if total < 1:
        return "less than a month"
    years, rest = divmod(total, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


#: Every named format: the ``formats`` of :func:`qvlib.tables.show_table` take these names.
FORMATS: dict[str, Callable[[Any], str]] = {
    "date": fmt_date,
    "month": fmt_month,
    "money": fmt_money,
    "pct": fmt_pct,
    "points": fmt_points,
    "count": fmt_count,
    "number": lambda v: fmt_number(v, 1),
    "score100": lambda v: fmt_number(v, 1),  # GMC NTS mean, 0-100
    "score10": lambda v: fmt_number(v, 2),  # NHS Staff Survey, 0-10
    "gap10": lambda v: fmt_signed(v, 2),
    "change": lambda v: fmt_signed(v, 0),
    "change_pct": lambda v: MISSING if is_missing(v) else f"{float(v):+.{PCT_DECIMALS}f}%",
    "year": fmt_year,
    "text": lambda v: MISSING if is_missing(v) else str(v),
    "age": fmt_age,  # whole months: "3 years 2 months"
    "rating": lambda v: MISSING if is_missing(v) else str(label("code", v)),  # CQC "Good"
}
#: Decimal places each numeric format rounds to (what "as shown" means for a change).
_SHOWN_DECIMALS = {
    "money": 0,
    "pct": PCT_DECIMALS,
    "count": 0,
    "number": 1,
    "score100": 1,
    "score10": 2,
}


def fmt(value: Any, kind: str) -> str:
    """``value`` formatted as ``kind`` (a key of :data:`FORMATS`).

    >>> fmt(39119535.6, "money"), fmt(6.8312, "score10")
    ('£39,119,536', '6.83')
    """
    try:
        return FORMATS[kind](value)
    except KeyError:
        raise KeyError(f"unknown format {kind!r}; formats are {sorted(FORMATS)}") from None


def as_shown(value: Any, kind: str) -> float | None:
    """``value`` rounded as :func:`fmt` shows it (``None`` when missing).

    >>> as_shown(91.44, "pct"), as_shown(None, "pct")
    (91.4, None)
    """
    if is_missing(value):
        return None
    return round(float(value), _SHOWN_DECIMALS.get(kind, 0))


def change_as_shown(previous: Any, current: Any, kind: str) -> float | None:
    """The change between two figures as a reader would work it out from the figures shown.

    >>> change_as_shown(91.44, 95.56, "pct")  # 95.6 - 91.4
    4.2
    """
    before, after = as_shown(previous, kind), as_shown(current, kind)
    if before is None or after is None:
        return None
    return round(after - before, _SHOWN_DECIMALS.get(kind, 0))


def fmt_change(previous: Any, current: Any, kind: str) -> str:
    """The change from ``previous`` to ``current``, from the rounded figures, in its unit:
    points for percentages, pounds for money, a signed number otherwise.

    >>> fmt_change(91.44, 95.56, "pct"), fmt_change(1000, 1500.4, "money")
    ('+4.2 pts', '+£500')
    >>> fmt_change(3, 1, "count")
    '-2'
    """
    change = change_as_shown(previous, current, kind)
    if change is None:
        return MISSING
    if kind == "pct":
        return fmt_points(change)
    if kind == "money":
        return ("+" if change >= 0 else "-") + fmt_money(abs(change))
    return fmt_signed(change, _SHOWN_DECIMALS.get(kind, 0))


def fmt_auto(value: Any, whole: bool = False) -> str:
    """A value of no named format: Yes/No, dates, whole numbers with separators, else one
    decimal place (``whole`` says a float column holds whole numbers only).

    >>> fmt_auto(True), fmt_auto(12345), fmt_auto(2.345), fmt_auto(3.0, whole=True)
    ('Yes', '12,345', '2.3', '3')
    """
    if is_missing(value):
        return MISSING
    import numpy as np
    import pandas as pd

    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
        return fmt_date(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        number = float(value)
        if math.isinf(number):
            return MISSING
        return f"{number:,.0f}" if whole else f"{number:,.1f}"
    return str(value)


# --------------------------------------------------------------------------- vocabulary

#: Words for codes, by vocabulary.  A code not listed reads in sentence case ("general surgery"
#: stays as the data has it if it has capitals; "partial" becomes "Partial").
VOCABULARY: dict[str, dict[str, str]] = {
    "visit_type": {
        "triggered": "Triggered visit",
        "learner_educator": "Learner and educator visit",
        "aeqr": "Annual education quality review",
        "desktop": "Desktop review",
    },
    "profession": {
        "medical": "Medical",
        "dental": "Dental",
        "nursing": "Nursing",
        "midwifery": "Midwifery",
        "allied health": "Allied health professions",
        "pharmacy": "Pharmacy",
        "healthcare science": "Healthcare science",
        "paramedic": "Paramedic",
        "psychology": "Psychology",
        "other": "Other",
    },
    "fft_setting": {
        "a&e": "A&E",
        "inpatient": "Inpatient",
        "maternity": "Maternity",
        "outpatient": "Outpatient",
        "community": "Community",
        "mental health": "Mental health",
        "ambulance": "Ambulance",
    },
    "key_question": {"well-led": "Well-led"},
    "rag": {
        "red": "Red",
        "amber": "Amber",
        "green": "Green",
        "closed": "Closed",
        "closed late": "Closed late",
        "notable practice": "Notable practice",
    },
    "intervention": {
        "triggered visit": "Triggered visit",
        "learner/educator visit": "Learner and educator visit",
        "desktop review": "Desktop review",
    },
}
#: Columns whose values are codes of a vocabulary (sentence case when not in it).
COLUMN_VOCABULARY: dict[str, str] = {
    "visit_type": "visit_type",
    "profession_group": "profession",
    "profession": "profession",
    "setting": "fft_setting",
    "stream": "code",
    "kind": "code",
    "band": "code",
    "outcome_final": "code",
    "outcome": "code",
    "key_question": "key_question",
    "rating": "code",
    "status": "code",
    "intervention": "intervention",
    "position": "code",
    "self_rating": "code",
    "level": "code",
    "rag": "rag",
    "format": "code",
    "mode": "code",
    "advice": "code",
    "attendance": "code",
}


def label(vocabulary: str, value: Any) -> Any:
    """The word for one code: from :data:`VOCABULARY`, else the code in sentence case.

    Missing values are returned as they are.

    >>> label("fft_setting", "a&e"), label("visit_type", "aeqr"), label("code", "partial")
    ('A&E', 'Annual education quality review', 'Partial')
    """
    if is_missing(value) or not isinstance(value, str):
        return value
    known = VOCABULARY.get(vocabulary, {})
    if value in known:
        return known[value]
    return value[:1].upper() + value[1:] if value[:1].islower() else value


def labelled(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the codes of its known columns as words.

    Parameters
    ----------
    frame
        Any frame.
    columns
        Columns to label (default: every column of :data:`COLUMN_VOCABULARY` in the frame).
        Ordered categoricals keep their order with labelled categories.

    Examples
    --------
    >>> import pandas as pd
    >>> labelled(pd.DataFrame({"setting": ["a&e"], "visit_type": ["aeqr"]})).iloc[0].tolist()
    ['A&E', 'Annual education quality review']
    """
    import pandas as pd

    wanted = [c for c in (columns or COLUMN_VOCABULARY) if c in frame.columns]
    if not wanted:
        return frame
    out = frame.copy()
    for column in wanted:
        vocabulary = COLUMN_VOCABULARY.get(column, "code")
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.cat.rename_categories(
                {c: label(vocabulary, c) for c in values.cat.categories}
            )
        elif values.dtype == object:
            out[column] = values.map(lambda v, voc=vocabulary: label(voc, v))
    return out


def labels_for(vocabulary: str, values: Iterable[str]) -> list[str]:
    """:func:`label` of each of ``values``, in order (e.g. a chart's colour domain).

    >>> labels_for("code", ["red", "light green"])
    ['Red', 'Light green']
    """
    return [label(vocabulary, v) for v in values]


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``"1 risk"``, ``"3 risks"``: the count with separators and the word.

    >>> plural(1, "risk"), plural(3, "risk"), plural(2, "activity", "activities")
    ('1 risk', '3 risks', '2 activities')
    """
    return f"{fmt_count(count)} {word if count == 1 else (plural_form or word + 's')}"


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``"a, b and c"``.

    >>> join_words(["a", "b", "c"])
    'a, b and c'
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def describe_counts(counts: Mapping[str, int], order: Iterable[str]) -> str:
    """``"2 extreme, 1 high"``: the non-zero counts in ``order``.

    >>> describe_counts({"high": 1, "low": 0, "extreme": 2}, ["extreme", "high", "low"])
    '2 extreme, 1 high'
    """
    return ", ".join(f"{fmt_count(counts[k])} {k}" for k in order if counts.get(k))
