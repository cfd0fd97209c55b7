"""The synthetic national data in the layouts it is published in: ``qv sample-data
--published-formats``.

The same rows as the canonical CSV files, written as analysts download them, quirks included,
so that :mod:`qvlib.sources` reads them back into the same canonical frames:

- CQC latest ratings: ``national/<d>_<Month>_<YYYY>_Latest_ratings.xlsx`` (the ``.ods`` CQC
  publishes, exported as ``.xlsx``) with "Locations" and "Providers" sheets below a notice row,
  every published column, "Well Led" spelt without its hyphen in the Providers sheet, ``-`` in
  the Brand columns;
- FFT: ``national/fft/FFT-<Setting>-<Month>-<YYYY>.xlsx``, one per setting and month, with a
  Notes sheet, a titled "Trusts" sheet (an England row without a trust code, percentages stored
  0-1, ``*`` for a suppressed percentage and for an unpublished eligible count) and a Sites sheet;
- NHS Staff Survey: ``national/NHS_Staff_Survey_<YYYY>_benchmark_data.xlsx``, the year in the
  title and the file name only;
- GMC NTS: ``national/nts/GMC_NTS_<YYYY>_reporting_tool_extract.csv`` (UTF-8 with a BOM),
  trusts named rather than coded; ``local/survey_results.csv`` keeps the NETS rows;
- ODS: ``national/etr.csv`` (names in capitals, closed former codes) and ``national/succ.csv``.

Workbooks are written with openpyxl and made reproducible (fixed timestamps inside the zip), so
the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from qvlib.config import Parameters
from qvlib.synth._base import Period, Table

#: FFT settings as file names and titles write them.
FFT_NAMES = {
    "inpatient": ("Inpatient", "Inpatient"),
    "a&e": ("AE", "A&E"),
    "maternity": ("Maternity", "Maternity"),
    "outpatient": ("Outpatient", "Outpatient"),
    "community": ("Community", "Community"),
    "mental health": ("Mental-Health", "Mental Health"),
    "ambulance": ("Ambulance", "Ambulance"),
}
_FFT_ANSWERS = {
    "very_good": "Very Good",
    "good": "Good",
    "neither": "Neither Good nor Poor",
    "poor": "Poor",
    "very_poor": "Very Poor",
    "dont_know": "Don't Know",
}
#: Share of each mode of collection (assumption; the split is not read back).
_FFT_MODES = {"Mode - SMS": 0.6, "Mode - Online": 0.25, "Mode - Paper": 0.1}
_FFT_SMALL = 5  # percentages of fewer responses are suppressed, as FFT publishes them
_INSPECTION_CATEGORY = {
    "acute": "Acute hospital - NHS non-specialist",
    "mental health": "Mental health - community & hospital based",
    "community": "Community health - NHS & Independent",
    "ambulance": "Ambulance service",
}
_KEY_QUESTIONS = {
    "safe": "Safe",
    "effective": "Effective",
    "caring": "Caring",
    "responsive": "Responsive",
    "well-led": "Well-led",
    "overall": "Overall",
}
_LOCATION_COLUMNS = [
    "Location ID",
    "Location ODS Code",
    "Location Name",
    "Care Home?",
    "Location Type",
    "Location Primary Inspection Category",
    "Location Street Address",
    "Location Address Line 2",
    "Location City",
    "Location Post Code",
    "Location Local Authority",
    "Location Region",
    "Location NHS Region",
    "Location ONSPD CCG Code",
    "Location ONSPD CCG",
    "Location Commissioning CCG Code",
    "Location Commissioning CCG Name",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "Report Type",
    "Inherited Rating (Y/N)",
    "URL",
    "Provider ID",
    "Provider Name",
    "Brand ID",
    "Brand Name",
]
_PROVIDER_COLUMNS = [
    "Provider ID",
    "Provider ODS Code",
    "Provider Name",
    "Provider Type",
    "Provider Primary Inspection Category",
    "Provider Street Address",
    "Provider Address Line 2",
    "Provider City",
    "Provider Post Code",
    "Provider Local Authority",
    "Provider Region",
    "Provider NHS Region",
    "Service / Population Group",
    "Domain",
    "Latest Rating",
    "Publication Date",
    "Report Type",
    "Inherited Rating (Y/N)",
    "URL",
    "Brand ID",
    "Brand Name",
]
_STAFF_COLUMNS = {
    "org_code": "Organisation code",
    "name": "Organisation name",
    "benchmark_group": "Benchmarking group",
    "element": "People Promise element",
    "sub_score": "Sub-score",
    "score": "Score",
    "benchmark_best": "Best",
    "benchmark_average": "Average",
    "benchmark_worst": "Worst",
    "responses": "Responses",
}
_NTS_COLUMNS = {
    "trust_name": "Trust / Board",
    "site": "Site",
    "programme_group": "Programme Group",
    "specialty": "Post Specialty",
    "indicator": "Indicator",
    "score": "Mean",
    "n": "N",
    "sd": "SD",
    "ci_lower": "Lower CI",
    "ci_upper": "Upper CI",
    "benchmark_mean": "National Mean",
    "benchmark_q1": "National Q1",
    "benchmark_q3": "National Q3",
    "benchmark_ci_lower": "National Lower CI",
    "benchmark_ci_upper": "National Upper CI",
    "outcome": "Outcome",
}
_SYNTHETIC = "SYNTHETIC data generated by qv sample-data: no real organisation's figures."


def write_published(
    out: Path, tables: dict[str, Table], period: Period, params: Parameters
) -> None:
    """Write the national datasets of ``tables`` in their published layouts under ``out``.

    ``local/survey_results.csv`` (NETS rows only) is written here too, since its NTS rows go
    to the NTS extracts.
    """
    frames = {name: pd.DataFrame(table.cells(), dtype=object) for name, table in tables.items()}
    trusts = frames["trusts"].set_index("trust_code")
    stamp = f"{period.end}T00:00:00Z"
    national = out / "national"
    _write_cqc(national, frames["cqc_ratings"], trusts, period, stamp)
    _write_fft(national / "fft", frames["fft"], trusts, stamp)
    _write_staff_survey(national, frames["staff_survey"], trusts, stamp)
    survey = frames["survey_results"]
    _write_nts(national / "nts", survey[survey["survey"] == "NTS"], trusts)
    tables["survey_results"].write(out, keep=(survey["survey"] != "NTS").tolist())
    _write_ods(national, trusts, params)


# --------------------------------------------------------------------------- CQC


def _write_cqc(
    national: Path, cqc: pd.DataFrame, trusts: pd.DataFrame, period: Period, stamp: str
) -> None:
    day = pd.Timestamp(period.end)
    notice = (
        f"Latest CQC ratings as at {day.day} {day:%B %Y}. Each row is one location (or "
        f"provider), service or population group and key question. {_SYNTHETIC}"
    )
    providers = cqc[cqc["location_id"] == ""]
    locations = cqc[cqc["location_id"] != ""]
    location_rows = []
    for row in locations.itertuples(index=False):
        trust = trusts.loc[row.provider_id]
        sites = trust["sites"].split(";")
        site = sites.index(row.location_name) + 1 if row.location_name in sites else 0
        values = {
            "Location ID": row.location_id,
            "Location ODS Code": f"{row.provider_id}{site:02d}",
            "Location Name": row.location_name,
            "Care Home?": "N",
            "Location Type": "NHS Healthcare Organisation",
            "Location Primary Inspection Category": _INSPECTION_CATEGORY[trust["trust_type"]],
            "Provider ID": row.provider_id,
            "Provider Name": trust["trust_name"],
            "Report Type": "Location",
            "Inherited Rating (Y/N)": "N",
            "Brand ID": "-",
            "Brand Name": "-",
            **_rating(row, _KEY_QUESTIONS),
        }
        location_rows.append([values.get(column) for column in _LOCATION_COLUMNS])
    provider_rows = []
    for row in providers.itertuples(index=False):
        trust = trusts.loc[row.provider_id]
        values = {
            "Provider ID": row.provider_id,
            "Provider ODS Code": row.provider_id,
            "Provider Name": row.location_name,
            "Provider Type": "NHS Healthcare Organisation",
            "Provider Primary Inspection Category": _INSPECTION_CATEGORY[trust["trust_type"]],
            "Report Type": "Provider",
            "Inherited Rating (Y/N)": "N",
            "Brand ID": "-",
            "Brand Name": "-",
            **_rating(row, {**_KEY_QUESTIONS, "well-led": "Well Led"}),
        }
        provider_rows.append([values.get(column) for column in _PROVIDER_COLUMNS])
    sheets = {
        "Locations": [[notice], [], _LOCATION_COLUMNS, *location_rows],
        "Providers": [[notice], [], _PROVIDER_COLUMNS, *provider_rows],
    }
    name = f"{day.day:02d}_{day:%B}_{day.year}_Latest_ratings.xlsx"
    _write_workbook(national / name, sheets, stamp)


def _rating(row, key_questions: dict[str, str]) -> dict[str, object]:
    return {
        "Service / Population Group": row.service_group,
        "Domain": key_questions[row.key_question],
        "Latest Rating": row.rating.capitalize().replace("Not rated", "Not Rated"),
        "Publication Date": pd.Timestamp(row.publication_date).to_pydatetime(),
    }


# --------------------------------------------------------------------------- FFT


def _write_fft(folder: Path, fft: pd.DataFrame, trusts: pd.DataFrame, stamp: str) -> None:
    answers = list(_FFT_ANSWERS)
    for (setting, month), rows in fft.groupby(["setting", "period"], sort=False):
        file_name, title = FFT_NAMES[setting]
        first = pd.Timestamp(f"{month}-01")
        when = f"{first:%B %Y}"
        counts = rows[answers].map(_number).to_numpy(dtype=float)
        totals = rows["total_responses"].map(_number).to_numpy(dtype=float)
        header = [
            "ICB Code",
            "Trust Code",
            "Trust Name",
            "Total Responses",
            "Total Eligible",
            "Percentage Positive",
            "Percentage Negative",
            *_FFT_ANSWERS.values(),
            *_FFT_MODES,
        ]
        england = counts.sum(axis=0)
        trust_rows = [
            [
                None,
                None,
                "England (synthetic trusts)",
                int(totals.sum()),
                None,
                *_shares(england, totals.sum()),
                *england.astype(int).tolist(),
                *_modes(int(totals.sum())),
            ]
        ]
        for row, count, total in zip(rows.itertuples(index=False), counts, totals, strict=True):
            trust = trusts.loc[row.org_code]
            trust_rows.append(
                [
                    _icb_code(trust["icb"]),
                    row.org_code,
                    trust["trust_name"],
                    int(total),
                    _number(row.eligible) if row.eligible else "*",
                    *_shares(count, total),
                    *[_number(getattr(row, a)) for a in answers],
                    *_modes(int(total)),
                ]
            )
        sites = [
            [row.org_code, f"{row.org_code}{number:02d}", site, share]
            for row in rows.itertuples(index=False)
            for number, (site, share) in enumerate(
                _split(int(_number(row.total_responses)), trusts.loc[row.org_code, "sites"]), 1
            )
        ]
        sheets = {
            "Notes": [
                [f"Friends and Family Test: {title}, {when}"],
                ["Answers to 'Overall, how was your experience of our service?'"],
                [_SYNTHETIC],
            ],
            "Trusts": [[f"Friends and Family Test: {title} - {when}"], [], header, *trust_rows],
            "Sites": [["Trust Code", "Site Code", "Site Name", "Total Responses"], *sites],
        }
        _write_workbook(folder / f"FFT-{file_name}-{first:%B}-{first.year}.xlsx", sheets, stamp)


def _shares(counts: np.ndarray, total: float) -> list[object]:
    """Percentage positive and negative (0-1), or ``*`` for fewer than 5 responses."""
    if total < _FFT_SMALL:
        return ["*", "*"]
    return [
        round(float(counts[0] + counts[1]) / total, 4),
        round(float(counts[3] + counts[4]) / total, 4),
    ]


def _modes(total: int) -> list[int]:
    parts = [int(total * share) for share in _FFT_MODES.values()]
    return [total - sum(parts[1:]), *parts[1:]]


def _split(total: int, sites: str) -> Iterable[tuple[str, int]]:
    names = sites.split(";")
    share, rest = divmod(total, len(names))
    return [(name, share + (rest if i == 0 else 0)) for i, name in enumerate(names)]


def _icb_code(icb: str) -> str:
    """A made-up ICB code from the ICB's name (the synthetic data has names only)."""
    letters = re.sub(r"[^A-Z]", "", icb.upper().replace("NHS", "").replace("ICB", ""))
    return "Q" + (letters + "XX")[:2]


# --------------------------------------------------------------------------- staff survey


def _write_staff_survey(
    national: Path, staff: pd.DataFrame, trusts: pd.DataFrame, stamp: str
) -> None:
    numbers = ("score", "benchmark_best", "benchmark_average", "benchmark_worst", "responses")
    for year, rows in staff.groupby("year", sort=True):
        data = rows.assign(name=rows["org_code"].map(trusts["trust_name"]))
        body = [
            [
                _number(v) if c in numbers else (v or None)
                for c, v in zip(_STAFF_COLUMNS, r, strict=True)
            ]
            for r in data[list(_STAFF_COLUMNS)].itertuples(index=False)
        ]
        title = (
            f"NHS Staff Survey {year}: People Promise elements, staff engagement and morale, "
            "by organisation, with the scores of its benchmarking group"
        )
        sheets = {
            "Notes": [[title], [_SYNTHETIC]],
            "Data": [[title], [], list(_STAFF_COLUMNS.values()), *body],
        }
        _write_workbook(national / f"NHS_Staff_Survey_{year}_benchmark_data.xlsx", sheets, stamp)


# --------------------------------------------------------------------------- NTS


def _write_nts(folder: Path, nts: pd.DataFrame, trusts: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for year, rows in nts.groupby("year", sort=True):
        data = rows.assign(
            trust_name=rows["trust_code"].map(trusts["trust_name"]),
            sd=[_sd(r) for r in rows.itertuples(index=False)],
            outcome=rows["outcome"].str.capitalize(),
        )
        path = folder / f"GMC_NTS_{year}_reporting_tool_extract.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(_NTS_COLUMNS.values())
            writer.writerows(data[list(_NTS_COLUMNS)].itertuples(index=False))


def _sd(row) -> str:
    """The standard deviation the interval implies (an extra column the reader skips)."""
    if not row.ci_lower or not row.ci_upper:
        return ""
    half = (float(row.ci_upper) - float(row.ci_lower)) / 2
    return f"{half / 1.96 * np.sqrt(int(row.n)):.2f}"


# --------------------------------------------------------------------------- ODS


def _write_ods(national: Path, trusts: pd.DataFrame, params: Parameters) -> None:
    """``etr.csv`` with every trust (and closed former codes) and ``succ.csv``."""
    rows = [_etr_row(code, str(t["trust_name"]).upper(), "") for code, t in trusts.iterrows()]
    successors = []
    for code, trust in params.trusts.items():
        if code not in trusts.index:
            continue
        for old in trust.former_codes:
            rows.append(_etr_row(old, f"FORMER NHS TRUST {old}", "20200930"))
            successors.append([old, code, "R", "", ""])
    _write_csv(national / "etr.csv", sorted(rows))
    _write_csv(national / "succ.csv", successors)


def _etr_row(code: str, name: str, closed: str) -> list[str]:
    """One ``etr.csv`` row: code, name, grouping, geography, 5 address lines, postcode, dates."""
    return [code, name, "", "", "", "", "", "", "", "", "20000401", closed, *[""] * 15]


def _write_csv(path: Path, rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


# --------------------------------------------------------------------------- helpers


def _number(text: str) -> int | float | None:
    """A canonical cell as the number it holds: ``"803"`` -> 803, ``"7.35"`` -> 7.35."""
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _write_workbook(path: Path, sheets: dict[str, list[list[object]]], stamp: str) -> None:
    """An ``.xlsx`` file of ``sheets`` (rows of cells) whose bytes depend on nothing else."""
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_reproducible(buffer.getvalue(), stamp))


def _reproducible(data: bytes, stamp: str) -> bytes:
    """A zip's bytes with every timestamp (file times, document dates) set to ``stamp``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.encode(), body)
            entry = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            target.writestr(entry, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
