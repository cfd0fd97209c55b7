"""Problems read well: file, sheet, row, column, value and what was expected."""

from __future__ import annotations

from qvlib.errors import Problem, format_problems


def test_a_problem_in_a_sheet_reads_with_the_sheet_named():
    problem = Problem("data/national/x.xlsx", 6, "Very Good", "lots", "a number", sheet="Trusts")
    whole = Problem("data/national/x.xlsx", None, None, None, "a sheet named 'Trusts'")

    assert str(problem) == (
        "data/national/x.xlsx, sheet 'Trusts', row 6, column 'Very Good': got 'lots'; "
        "expected a number"
    )
    assert format_problems([whole, problem]).splitlines()[3:] == [
        "  file; expected a sheet named 'Trusts'",
        "  sheet 'Trusts', row 6, column 'Very Good': got 'lots'; expected a number",
    ]
