"""Tests for qvlib.bundles: the CQC response bundle zip (docs/packs.md, "CQC response bundle")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qvlib import bundles
from qvlib.bundles import (
    BundleReadme,
    describe_suppression,
    make_sheet_names,
    read_bundle,
    verify_bundle,
    write_bundle,
)
from qvlib.config import load_region

NHS_BLUE = "005EB8"


def _readme(**overrides) -> BundleReadme:
    fields = {
        "trust_code": "RHM",
        "trust_name": "University Hospital Southampton NHS Foundation Trust",
        "review_year": "2025/26",
        "period_start": dt.date(2025, 4, 1),
        "period_end": dt.date(2026, 3, 31),
        "sources": {"survey_results": "ab" * 32, "risks": "snapshot-1f2e3d"},
        "extract_descriptions": {"nts": "GMC NTS results by specialty"},
        "suppression_rule": "NTS results from fewer than 3 respondents are suppressed.",
        "synthetic": False,
    }
    fields.update(overrides)
    return BundleReadme(**fields)


def _nts() -> pd.DataFrame:
    """Three NTS rows; the second was suppressed upstream (n and score removed)."""
    return pd.DataFrame(
        {
            "trust_code": ["RHM", "RHM", "RHM"],
            "specialty": ["Cardiology", "Paediatrics", "Café & Bar"],
            "n": [12, np.nan, 7],
            "score": [71.25, np.nan, np.nan],
            "surveyed": pd.to_datetime(["2025-04-01", "2025-05-02", "2025-12-31"]),
            "suppressed": [False, True, False],
        }
    )


def _write(tmp_path: Path, name: str = "out", **kwargs) -> Path:
    path = tmp_path / name / bundles.BUNDLE_FILENAME
    kwargs.setdefault("summary_html", "<!doctype html><title>Summary</title><p>Summary</p>")
    kwargs.setdefault("extracts", {"nts": _nts()})
    kwargs.setdefault("readme", _readme())
    write_bundle(path, **kwargs)
    return path


def _sheet_rows(workbook_bytes: bytes, title: str) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes))[title]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv_rows(data: bytes) -> list[list[str]]:
    frame = pd.read_csv(
        io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False, header=None
    )
    return frame.to_numpy().tolist()


def test_bundle_holds_readme_summary_extracts_workbook_and_sums_in_that_order(tmp_path):
    extracts = {"nts": _nts(), "actions": pd.DataFrame({"ref": ["A1"]})}
    descriptions = {"nts": "NTS results", "actions": "Open visit actions"}
    path = _write(tmp_path, extracts=extracts, readme=_readme(extract_descriptions=descriptions))

    assert list(read_bundle(path)) == [
        "README.txt",
        "summary.html",
        "extracts/nts.csv",
        "extracts/actions.csv",
        "extracts.xlsx",
        "SHA256SUMS",
    ]
    summary = read_bundle(path)["summary.html"].decode("utf-8")
    assert summary == "<!doctype html><title>Summary</title><p>Summary</p>"


def test_csv_and_workbook_hold_the_same_rows(tmp_path):
    files = read_bundle(_write(tmp_path))

    header = ["trust_code", "specialty", "n", "score", "surveyed", "suppressed"]
    # By hand: n is a count made float by its missing value, so it is written whole; the
    # suppressed row shows "*" in its missing cells; the third row's missing score is blank;
    # dates read as in every pack (14 Oct 2025) and true/false as Yes and No.
    assert _csv_rows(files["extracts/nts.csv"]) == [
        header,
        ["RHM", "Cardiology", "12", "71.25", "1 Apr 2025", "No"],
        ["RHM", "Paediatrics", "*", "*", "2 May 2025", "Yes"],
        ["RHM", "Café & Bar", "7", "", "31 Dec 2025", "No"],
    ]
    assert _sheet_rows(files["extracts.xlsx"], "nts") == [
        header,
        ["RHM", "Cardiology", 12, 71.25, dt.datetime(2025, 4, 1), "No"],
        ["RHM", "Paediatrics", "*", "*", dt.datetime(2025, 5, 2), "Yes"],
        ["RHM", "Café & Bar", 7, None, dt.datetime(2025, 12, 31), "No"],
    ]


def test_csv_is_utf8_with_bom_and_crlf_line_ends(tmp_path):
    data = read_bundle(_write(tmp_path))["extracts/nts.csv"]

    assert data.startswith(b"\xef\xbb\xbf")
    assert "Café".encode() in data
    assert data.count(b"\r\n") == 4
    assert data.count(b"\n") == 4  # no bare LF line ends


def test_datetimes_with_a_time_keep_it_and_a_named_index_becomes_columns(tmp_path):
    frame = pd.DataFrame(
        {"opened": pd.to_datetime(["2025-06-03 14:30", None])},
        index=pd.Index(["R-1", "R-2"], name="risk_id"),
    )
    files = read_bundle(_write(tmp_path, extracts={"nts": frame}, readme=_readme()))

    assert _csv_rows(files["extracts/nts.csv"]) == [
        ["risk_id", "opened"],
        ["R-1", "3 Jun 2025 14:30"],
        ["R-2", ""],
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(files["extracts.xlsx"]))["nts"]
    assert sheet["B2"].value == dt.datetime(2025, 6, 3, 14, 30)
    assert sheet["B2"].number_format == "d mmm yyyy hh:mm"


def test_sha256sums_lists_every_other_file_and_verifies(tmp_path):
    files = read_bundle(_write(tmp_path))
    lines = files["SHA256SUMS"].decode("ascii").splitlines()

    expected = [
        f"{hashlib.sha256(files[name]).hexdigest()}  {name}"
        for name in ("README.txt", "summary.html", "extracts/nts.csv", "extracts.xlsx")
    ]
    assert lines == expected
    assert verify_bundle(tmp_path / "out" / bundles.BUNDLE_FILENAME) == []


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum is not installed")
def test_sha256sums_verifies_with_sha256sum_after_unzipping(tmp_path):
    path = _write(tmp_path)
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(unzipped)

    result = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"],
        cwd=unzipped,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == 4


def _rezip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_verify_bundle_reports_a_changed_an_unlisted_and_a_missing_file(tmp_path):
    path = _write(tmp_path)
    files = read_bundle(path)
    files["extracts/nts.csv"] = files["extracts/nts.csv"].replace(b"71.25", b"91.25")
    files["extracts/extra.csv"] = b"a\r\n"
    del files["summary.html"]
    _rezip(path, files)

    problems = verify_bundle(path)

    assert len(problems) == 3
    assert any("extracts/nts.csv" in p and "differs" in p for p in problems)
    assert any("extracts/extra.csv" in p and "not listed" in p for p in problems)
    assert any("summary.html" in p and "not in the zip" in p for p in problems)


def test_verify_bundle_reports_missing_sums_and_unreadable_zip(tmp_path):
    path = _write(tmp_path)
    files = read_bundle(path)
    del files["SHA256SUMS"]
    _rezip(path, files)
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"hello")

    assert verify_bundle(path) == ["SHA256SUMS: missing, so nothing can be verified"]
    assert len(verify_bundle(not_zip)) == 1
    assert "cannot read the zip" in verify_bundle(not_zip)[0]


def test_two_builds_seconds_apart_are_byte_identical(tmp_path):
    first = _write(tmp_path, "first")
    # Zip entry times have a two-second resolution; wait past it so a clock leak would show.
    time.sleep(2.1)
    second = _write(tmp_path, "second")

    assert first.read_bytes() == second.read_bytes()
    workbook = read_bundle(first)["extracts.xlsx"]
    with zipfile.ZipFile(io.BytesIO(workbook)) as inner:
        assert {info.date_time for info in inner.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = inner.read("docProps/core.xml").decode()
    assert str(dt.date.today().year) not in core


def test_returned_digest_is_the_sha256_of_the_zip(tmp_path):
    path = tmp_path / "b.zip"
    digest = write_bundle(path, summary_html="<p>s</p>", extracts={"nts": _nts()}, readme=_readme())

    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_zip_entries_have_fixed_date_permissions_and_compression(tmp_path):
    with zipfile.ZipFile(_write(tmp_path)) as archive:
        infos = archive.infolist()

    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_text_that_looks_like_a_formula_is_not_a_formula(tmp_path):
    frame = pd.DataFrame(
        {
            "=cmd": ["=1+1", "+44 23 8077 7222", "-2+3", "@SUM(A1)", "safe - text", "\tx"],
            "n": [1, -2, 3, 4, 5, 6],
        }
    )
    files = read_bundle(_write(tmp_path, extracts={"nts": frame}))

    # OWASP: a leading apostrophe stops the spreadsheet evaluating the cell.
    assert _csv_rows(files["extracts/nts.csv"]) == [
        ["'=cmd", "n"],
        ["'=1+1", "1"],
        ["'+44 23 8077 7222", "-2"],
        ["'-2+3", "3"],
        ["'@SUM(A1)", "4"],
        ["safe - text", "5"],
        ["'\tx", "6"],
    ]
    workbook = files["extracts.xlsx"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["nts"]
    column_a = [sheet.cell(row=r, column=1) for r in range(1, 8)]
    assert [c.value for c in column_a] == [
        "=cmd", "=1+1", "+44 23 8077 7222", "-2+3", "@SUM(A1)", "safe - text", "\tx"
    ]  # fmt: skip
    assert all(c.data_type == "s" for c in column_a)
    assert [c.quotePrefix for c in column_a] == [True, True, True, True, True, False, True]
    assert sheet["B3"].value == -2  # a negative number stays a number
    with zipfile.ZipFile(io.BytesIO(workbook)) as inner:
        assert b"<f>" not in inner.read("xl/worksheets/sheet1.xml")


@settings(max_examples=25)  # each example writes a whole bundle
@given(
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=["Cc", "Cs"], include_characters="\t\n"
        )
    )
)
@example(" ")  # a lone whitespace-only cell once lost its row: readers skip blank-looking lines
@example(" \t ")
def test_any_text_reaches_csv_and_sheet_unchanged_but_for_the_formula_guard(text):
    with tempfile.TemporaryDirectory() as folder:
        files = read_bundle(_write(Path(folder), extracts={"nts": pd.DataFrame({"t": [text]})}))
    csv_value = _csv_rows(files["extracts/nts.csv"])[1][0]
    sheet_value = _sheet_rows(files["extracts.xlsx"], "nts")[1][0]

    guarded = text.startswith(("=", "+", "-", "@", "\t"))
    assert csv_value == ("'" + text if guarded else text)
    assert (sheet_value or "") == text


def test_suppressed_cells_show_the_marker_and_nothing_else_changes(tmp_path):
    frame = pd.DataFrame(
        {
            "indicator": ["Overall satisfaction", None],
            "n": pd.array([None, None], dtype="Int64"),
            "suppressed": [True, False],
        }
    )
    files = read_bundle(_write(tmp_path, extracts={"nts": frame}, marker="[c]"))

    # The suppressed row's missing count shows the marker; its indicator is kept. The second
    # row is not suppressed, so its missing cells stay empty rather than look suppressed.
    assert _csv_rows(files["extracts/nts.csv"])[1:] == [
        ["Overall satisfaction", "[c]", "Yes"],
        ["", "", "No"],
    ]
    assert _sheet_rows(files["extracts.xlsx"], "nts")[1:] == [
        ["Overall satisfaction", "[c]", "Yes"],
        [None, None, "No"],
    ]
    assert 'shown as "[c]"' in files["README.txt"].decode()


def test_a_suppressed_column_that_is_not_true_false_is_refused(tmp_path):
    frame = pd.DataFrame({"n": [1], "suppressed": ["no"]})

    with pytest.raises(ValueError, match="must be True/False"):
        _write(tmp_path, extracts={"nts": frame})


def test_sheet_names_follow_excel_rules():
    names = make_sheet_names(
        [
            "survey results: 2024/25 [draft]?",
            "a" * 40,
            "A" * 40,
            "history",
            "'quoted'",
            "",
            "nts",
            "NTS",
        ]
    )

    assert names == [
        "survey results_ 2024_25 _draft_",  # 32 characters cut to 31
        "a" * 31,
        "A" * 27 + " (2)",
        "history_",
        "quoted",
        "Sheet",
        "nts",
        "NTS (2)",
    ]


@given(st.lists(st.text(max_size=40), max_size=8))
def test_sheet_names_are_always_valid_and_distinct(wanted):
    names = make_sheet_names(wanted)

    assert len(names) == len(wanted)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert 1 <= len(name.encode("utf-16-le")) // 2 <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
        assert name.casefold() != "history"


def test_long_extract_names_get_sheets_named_in_the_readme(tmp_path):
    long_name = "guardian_of_safe_working_exception_reports"
    extracts = {long_name: pd.DataFrame({"x": [1]})}
    readme = _readme(extract_descriptions={long_name: "Exception reports by quarter"})
    files = read_bundle(_write(tmp_path, extracts=extracts, readme=readme))

    sheet = long_name[:31]
    assert openpyxl.load_workbook(io.BytesIO(files["extracts.xlsx"])).sheetnames == [sheet]
    readme_words = " ".join(files["README.txt"].decode().split())
    assert f'sheet "{sheet}" holds {long_name}' in readme_words


def test_workbook_header_is_styled_frozen_and_columns_fit_content(tmp_path):
    frame = _nts()
    frame["note"] = ["x" * 200, "short", ""]
    files = read_bundle(_write(tmp_path, extracts={"nts": frame}))
    sheet = openpyxl.load_workbook(io.BytesIO(files["extracts.xlsx"]))["nts"]

    for cell in sheet[1]:
        assert cell.font.bold
        assert cell.font.color.rgb.endswith("FFFFFF")
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb.endswith(NHS_BLUE)
    assert sheet.freeze_panes == "A2"
    assert sheet["E2"].number_format == "d mmm yyyy"
    widths = {letter: dim.width for letter, dim in sheet.column_dimensions.items()}
    assert widths["B"] == len("Paediatrics") + 2
    assert widths["C"] == 8  # the narrowest column still shows a heading
    assert widths["G"] == 60  # 200 characters of text are capped


def test_readme_describes_trust_period_scope_sources_files_and_checking(tmp_path):
    readme = _readme(sites=["Princess Anne Hospital"], specialties=["Obstetrics"])
    text = read_bundle(_write(tmp_path, readme=readme))["README.txt"].decode()

    assert "University Hospital Southampton NHS Foundation Trust (ODS code RHM)" in text
    assert "2025/26" in text
    assert "1 Apr 2025 to 31 Mar 2026" in text
    assert "sites: Princess Anne Hospital; specialties: Obstetrics" in text
    assert "survey_results: " + "ab" * 32 in text
    assert "risks: snapshot-1f2e3d" in text
    assert "GMC NTS results by specialty (3 rows)" in text
    for name in ("README.txt", "summary.html", "extracts/nts.csv", "extracts.xlsx", "SHA256SUMS"):
        assert name in text
    assert "NTS results from fewer than 3 respondents are suppressed." in text
    assert "sha256sum -c SHA256SUMS" in text
    assert "UTF-8 with a byte order mark" in text
    assert "SYNTHETIC" not in text
    assert max(len(line) for line in text.splitlines()) <= 90


def test_a_suppressed_flag_with_another_heading_is_honoured(tmp_path):
    frame = pd.DataFrame({"Respondents": pd.array([None, 5], dtype="Int64"), "Flag": [True, False]})
    files = read_bundle(_write(tmp_path, extracts={"nts": frame}, suppressed_column="Flag"))

    assert _csv_rows(files["extracts/nts.csv"]) == [
        ["Respondents", "Flag"],
        ["*", "Yes"],
        ["5", "No"],
    ]
    assert '"Flag" = Yes' in files["README.txt"].decode()


def test_readme_carries_the_request_its_marking_and_notes(tmp_path):
    readme = _readme(
        request=(("Reference", "CQC-1"), ("What was asked", "All visits " * 20)),
        marking="OFFICIAL-SENSITIVE",
        notes=("Statuses are as at 30 Sep 2025.",),
    )
    text = read_bundle(_write(tmp_path, readme=readme))["README.txt"].decode()
    lines = text.splitlines()

    assert lines[0] == "OFFICIAL-SENSITIVE" and lines[-1] == "OFFICIAL-SENSITIVE"
    assert "- Reference: CQC-1" in text
    assert "- Statuses are as at 30 Sep 2025." in text
    assert max(len(line) for line in lines) <= 90
    with pytest.raises(ValueError, match="marking"):
        _readme(marking="OFFICIAL\nSENSITIVE")


def test_readme_says_synthetic_first_when_the_data_is_synthetic(tmp_path):
    text = read_bundle(_write(tmp_path, readme=_readme(synthetic=True)))["README.txt"].decode()

    assert "SYNTHETIC DATA" in text.splitlines()[1]
    assert "whole trust" in text


def test_describe_suppression_names_each_threshold_from_region_settings():
    text = describe_suppression(load_region().suppression)

    assert "NTS): fewer than 3 respondents" in text
    assert "NHS Staff Survey: fewer than 11 respondents" in text
    assert "(FFT): fewer than 5 responses, and the next-smallest row" in text
    assert "NETS): fewer than 3 respondents;" in text  # no secondary suppression for NETS


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot convert")


def test_a_failure_while_converting_leaves_the_old_bundle_and_no_temp_file(tmp_path):
    path = _write(tmp_path)
    before = path.read_bytes()
    broken = pd.DataFrame({"x": [_Unprintable()]})

    with pytest.raises(RuntimeError, match="cannot convert"):
        write_bundle(path, summary_html="<p/>", extracts={"nts": broken}, readme=_readme())

    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [bundles.BUNDLE_FILENAME]


def test_a_failure_while_writing_leaves_no_zip_and_no_temp_file(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bundles.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path)

    assert list((tmp_path / "out").iterdir()) == []


def test_other_trusts_rows_are_refused(tmp_path):
    frame = _nts()
    frame.loc[2, "trust_code"] = "R0D"

    with pytest.raises(ValueError, match=r"other trusts \['R0D'\]"):
        _write(tmp_path, extracts={"nts": frame})
    assert not (tmp_path / "out" / bundles.BUNDLE_FILENAME).exists()


@pytest.mark.parametrize(
    ("extracts", "descriptions", "message"),
    [
        ({"../nts": pd.DataFrame()}, {"../nts": "x"}, "cannot be file names"),
        ({"nts": pd.DataFrame(), "NTS": pd.DataFrame()}, {"nts": "x", "NTS": "y"}, "in case"),
        ({"nts": pd.DataFrame()}, {}, r"missing \['nts'\]"),
        ({"nts": pd.DataFrame()}, {"nts": "x", "ffy": "y"}, r"not an extract \['ffy'\]"),
        ({}, {}, "at least one extract"),
        ({"nts": pd.DataFrame({"r": [np.inf]})}, {"nts": "x"}, "infinite"),
    ],
)
def test_bad_extracts_are_refused_with_the_reason(tmp_path, extracts, descriptions, message):
    with pytest.raises(ValueError, match=message):
        _write(tmp_path, extracts=extracts, readme=_readme(extract_descriptions=descriptions))


def test_readme_fields_must_be_single_lines_and_period_ordered():
    with pytest.raises(ValueError, match="one non-empty line"):
        _readme(extract_descriptions={"nts": "two\nlines"})
    with pytest.raises(ValueError, match="before period_start"):
        _readme(period_start=dt.date(2026, 4, 1))
