"""Reading CSV files into cells: every record as the strict reader reads it, or a problem."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qvlib.csvfiles import MAX_CELL_CHARS, cell_fault, read_cells
from qvlib.errors import Problem


def _read(text: str) -> tuple[list[list[str]], list[Problem]] | Problem:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text(text, encoding="utf-8", newline="")
        read = read_cells(path, "data.csv", lambda header: True)
    if isinstance(read, Problem):
        return read
    table, problems = read
    return table.to_numpy().tolist(), problems


@given(st.text(alphabet='ab ,"\n\r', max_size=40))
@example('x,"a\nb,c,d\ne,f,g\n1,2,3\n4,5,6"\n')  # a balanced quote that swallows rows
@example('"a"b,c\n')
@example('a,"b\n')
def test_every_record_is_read_as_the_strict_reader_reads_it_or_the_file_is_refused(body):
    text = "h1,h2,h3\n" + body
    try:
        strict = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        strict = None

    read = _read(text)

    if strict is None:
        assert isinstance(read, Problem) and read.row is not None and "quote" in read.expected
        return
    assert not isinstance(read, Problem), read
    cells, problems = read
    assert cells == [(record + ["", "", ""])[:3] for record in strict]
    too_long = {n for n, record in enumerate(strict, 1) if any(c.strip() for c in record[3:])}
    assert {p.row for p in problems if "at most 3 cells" in p.expected} == too_long


def test_a_quoted_cell_holding_whole_rows_is_named_with_its_lines():
    text = 'h1,h2,h3\nx,"a\nb,c,d\ne,f,g",z\n1,2,3\n'
    cells, problems = _read(text)
    assert len(cells) == 3  # the header, the swallowing record, 1,2,3
    assert [(p.row, p.column) for p in problems] == [(2, "h2")]
    assert "opens on line 2 and closes on line 4, and its line 3 holds a whole row" in (
        problems[0].expected
    )


def test_line_breaks_in_a_quoted_cell_are_text():
    cells, problems = _read('h1,h2,h3\nx,"first line, more\nsecond line",z\n1,2,3\n')
    assert problems == []
    assert cells[1] == ["x", "first line, more\nsecond line", "z"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("plain text", None),
        ("Café £5 – done", None),
        ("#1 priority", None),
        ("x" * MAX_CELL_CHARS, None),
        ("x" * (MAX_CELL_CHARS + 1), "at most 32,767 characters"),
        ("a\x00b", "NUL"),
        ("Caf\udce9", "the byte 0xE9, which is not UTF-8 (in Windows-1252 it would be 'é')"),
        ("#N/A", "spreadsheet error #N/A"),
        ("#ref!", "spreadsheet error #ref!"),
    ],
)
def test_cell_fault_names_what_no_column_can_hold(text, words):
    fault = cell_fault(text)
    assert fault is None if words is None else words in fault
