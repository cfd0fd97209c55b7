"""One formatter and one vocabulary: how every figure, date and code reads in every output."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from qvlib import display
from qvlib.tables import show_table


@pytest.mark.parametrize(
    "value, kind, text",
    [
        (39119535.6, "money", "£39,119,536"),
        (-1200, "money", "-£1,200"),
        (95.514876, "pct", "95.5%"),
        (4.2, "points", "+4.2 pts"),
        (1234, "count", "1,234"),
        (2025, "year", "2025"),
        ("2025/26", "year", "2025/26"),
        (6.8312, "score10", "6.83"),
        (-0.118, "gap10", "-0.12"),
        (3.49, "change_pct", "+3.5%"),
        (pd.Timestamp("2025-10-14"), "date", "14 Oct 2025"),
        (dt.date(2025, 4, 1), "date", "1 Apr 2025"),
        ("2026-03", "month", "Mar 2026"),
        (38, "age", "3 years 2 months"),
        (12, "age", "1 year"),
        (1, "age", "1 month"),
        (0, "age", "less than a month"),
        ("requires improvement", "rating", "Requires improvement"),
        (np.nan, "money", "–"),
        (None, "date", "–"),
    ],
)
def test_each_named_format(value, kind, text):
    assert display.fmt(value, kind) == text


def test_a_change_is_worked_out_from_the_rounded_figures_shown():
    # 91.44% and 95.56% show as 91.4% and 95.6%: the change shown is +4.2 pts, which adds up.
    assert display.fmt_change(91.44, 95.56, "pct") == "+4.2 pts"
    assert display.change_as_shown(91.44, 95.56, "pct") == pytest.approx(4.2)
    assert display.fmt_change(1000.4, 2000.6, "money") == "+£1,001"
    assert display.fmt_change(None, 3, "count") == "–"


def test_codes_read_as_words():
    assert display.label("fft_setting", "a&e") == "A&E"
    assert display.label("profession", "allied health") == "Allied health professions"
    assert display.label("visit_type", "aeqr") == "Annual education quality review"
    assert display.label("code", "requires improvement") == "Requires improvement"
    assert display.label("code", "General Surgery") == "General Surgery"


def test_tables_show_codes_as_words_and_keep_categorical_order():
    frame = pd.DataFrame(
        {
            "visit_type": ["aeqr", "learner_educator"],
            "setting": ["a&e", "inpatient"],
            "band": pd.Categorical(["low", "extreme"], categories=["low", "extreme"], ordered=True),
        }
    )
    page = show_table(frame, caption="t")._repr_html_()
    for word in (
        "Annual education quality review",
        "Learner and educator visit",
        "A&amp;E",
        "Inpatient",
        "Low",
        "Extreme",
    ):
        assert word in page
    assert ">aeqr<" not in page and ">a&amp;e<" not in page


def test_a_briefs_format_options_read_as_words():
    frame = pd.DataFrame(
        {"format": ["drop-in clinic"], "mode": ["virtual"], "advice": ["offer alongside"]}
    )
    page = show_table(frame, caption="Format options")._repr_html_()
    assert "<td>Drop-in clinic</td><td>Virtual</td><td>Offer alongside</td>" in page


def test_unknown_format_names_are_refused_with_the_known_ones():
    with pytest.raises(Exception, match="named formats"):
        show_table(pd.DataFrame({"a": [1]}), caption="t", formats={"a": "{:.0f}%"})
