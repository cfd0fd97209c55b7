"""Published national formats, read as downloaded, into qv's canonical frames.

Analysts download national data themselves; qv takes the files as published, without hand
editing.  One module per publication:

- :mod:`~qvlib.sources.cqc_ratings`: CQC latest ratings (``.ods``, ``.xlsx``, ``.csv``) ->
  ``cqc_ratings``;
- :mod:`~qvlib.sources.fft`: Friends and Family Test monthly workbooks -> ``fft``;
- :mod:`~qvlib.sources.staff_survey`: NHS Staff Survey benchmark data -> ``staff_survey``;
- :mod:`~qvlib.sources.nts`: GMC NTS reporting-tool extracts -> the NTS rows of
  ``survey_results``;
- :mod:`~qvlib.sources.ods`: ODS ``etr.csv`` (trust names) and ``succ.csv`` (successors of
  closed codes), used while reading the others.

**Finding the files.**  Every ``.ods``, ``.xlsx``, ``.xlsm`` and ``.csv`` file under
``<data>/national/`` (subfolders included) other than the canonical CSV files is a published
file.  Its kind is told by its name (``..._Latest_ratings.ods`` or ``cqc``; ``fft`` or
``friends and family``; ``staff survey`` or ``nss``; ``nts``, ``national training survey`` or
``gmc``; ``etr.csv``; ``succ.csv``) or, failing that, by its shape (the sheets and columns
found).  A file of neither is a problem.  ``dataset.yaml`` may also name files, or state what
a file does not say itself, under ``sources``; each key is a kind, each value a path under the
data directory (a glob pattern is allowed), a list of them, or mappings with ``file`` and
``period`` (FFT month ``YYYY-MM``; CQC publication date ``YYYY-MM-DD`` or month; Staff Survey and
NTS year) and, for FFT, ``setting``::

    sources:
      cqc_ratings: national/CQC_ratings_Nov2025.ods
      fft:
        - national/fft/*.xlsx
        - {file: national/odd-name.xlsx, setting: inpatient, period: 2025-09}
      staff_survey: national/NSS24 benchmark data.xlsx
      nts: national/nts/*.csv
      ods_trusts: national/etr.csv
      ods_successors: national/succ.csv

Files named there are read as that kind; the other files are still found by name or shape.

**One layout per dataset.**  The canonical CSV (``national/fft.csv``, ``cqc_ratings.csv``,
``staff_survey.csv``) and published files of the same dataset must not both be present: that
is a problem naming both.  The NTS is the exception, since ``local/survey_results.csv`` also
holds NETS: NTS extracts replace that file's NTS rows for the years they cover
(:func:`qvlib.sources.nts.merge`).

**Reading.**  Sheets are read with pandas and python-calamine; headers are found below notice
rows and matched by normalised name, with each publication's known aliases; the rows are then
parsed and validated by the canonical loaders' rules (:func:`qvlib.loaders.parse_cells`), so
every problem names the file, sheet, row, column (as published), value and what was expected.

**Provenance.**  Each file read gives a record (publication, dataset, file, sheets, SHA-256,
the period found in it, rows, notes such as rows left out): :attr:`qvlib.datasets.Dataset.sources`
lists them, the run manifest stores them and :func:`describe_sources` words them for a pack's
header ("CQC ratings, published 3 Nov 2025; ...").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from qvlib import display
from qvlib.config import Parameters, RegionConfig
from qvlib.errors import Problem
from qvlib.metrics import asat
from qvlib.schemas import DATASETS, FFT_SETTINGS
from qvlib.sources import cqc_ratings, fft, nts, ods, staff_survey
from qvlib.sources._tables import (
    MONTH_NAMES,
    SUFFIXES,
    Context,
    SourceFile,
    Workbook,
    find_date,
    find_month,
    name_key,
)

__all__ = ["KINDS", "National", "describe_sources", "known_at", "period_span", "scan"]

NATIONAL_DIR = "national"


class Kind(NamedTuple):
    """One kind of published file: what it is called and what reads it."""

    label: str
    dataset: str | None  # the canonical dataset it gives (None: used while reading others)
    is_named: Callable[[str], bool]  # from the file name as words
    looks_like: Callable[[SourceFile, Workbook], bool]  # from the sheets and columns found
    period: str  # what dataset.yaml's ``period`` is for this kind


#: Every kind by its key in ``dataset.yaml`` ``sources``, in the order they are read.
KINDS: dict[str, Kind] = {
    "ods_trusts": Kind(
        ods.TRUSTS,
        None,
        lambda name: bool(ods.TRUSTS_NAME.search(name)),
        lambda file, book: ods.looks_like_trusts(book),
        "",
    ),
    "ods_successors": Kind(
        ods.SUCCESSORS,
        None,
        lambda name: bool(ods.SUCCESSORS_NAME.search(name)),
        lambda file, book: ods.looks_like_successors(book),
        "",
    ),
    "cqc_ratings": Kind(
        cqc_ratings.PUBLICATION,
        cqc_ratings.DATASET,
        lambda name: bool(cqc_ratings.NAME.search(name)),
        cqc_ratings.looks_like,
        "date",
    ),
    "fft": Kind(
        fft.PUBLICATION,
        fft.DATASET,
        lambda name: bool(fft.NAME.search(name)),
        fft.looks_like,
        "month",
    ),
    "staff_survey": Kind(
        staff_survey.PUBLICATION,
        staff_survey.DATASET,
        lambda name: bool(staff_survey.NAME.search(name)),
        staff_survey.looks_like,
        "year",
    ),
    "nts": Kind(
        nts.PUBLICATION,
        nts.DATASET,
        lambda name: bool(nts.NAME.search(name)),
        nts.looks_like,
        "year",
    ),
}
#: The kinds whose files replace a canonical national CSV, and their readers.
_READERS = {
    "cqc_ratings": cqc_ratings.read,
    "fft": fft.read,
    "staff_survey": staff_survey.read,
}
_CANONICAL = {spec.file for spec in DATASETS.values()}
_OPTIONS = {"file", "period", "setting"}


@dataclass
class National:
    """The published files under a data directory, by kind, and the problems finding them."""

    root: Path
    files: dict[str, list[SourceFile]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def covers(self, dataset: str) -> bool:
        """Whether published files give ``dataset`` instead of its canonical CSV."""
        return any(self.files.get(key) and KINDS[key].dataset == dataset for key in _READERS)

    def read_into(
        self, frames: dict[str, pd.DataFrame | None], params: Parameters
    ) -> tuple[list[Problem], list[dict[str, Any]]]:
        """Read every published file into ``frames`` (by dataset name).

        ``frames["trusts"]`` (local, already loaded) gives the names and codes that NTS rows are
        matched to; NTS rows are merged into ``frames["survey_results"]``.

        Returns
        -------
        (problems, records)
            Every problem, and one provenance record per file read.
        """
        successors, read = ods.read_successors(self.files.get("ods_successors", []), params)
        names, trusts_read = ods.read_trusts(self.files.get("ods_trusts", []))
        reads = [read, trusts_read]
        context = Context(params, successors, ods.trust_names(names, successors))
        trusts = frames.get("trusts")
        if trusts is not None:
            context.known = set(trusts["trust_code"])
            context.trust_codes |= {
                name_key(name): code
                for name, code in zip(trusts["trust_name"], trusts["trust_code"], strict=True)
            }
        for key, reader in _READERS.items():
            if self.files.get(key):
                read = reader(self.files[key], context)
                frames[KINDS[key].dataset] = read.frame
                reads.append(read)
        if self.files.get("nts"):
            read = nts.read(self.files["nts"], context)
            reads.append(read)
            local = frames.get("survey_results")
            if read.frame is not None and local is not None:
                frames["survey_results"], replaced = nts.merge(local, read.frame)
                _note_replaced(read.records, replaced)
        problems = [p for r in reads for p in r.problems]
        return problems, [entry for r in reads for entry in r.records]


def scan(root: Path, meta: dict[str, Any]) -> National:
    """Find the published files of the data directory ``root`` (see the module docstring)."""
    found = National(root)
    explicit = _mapped(root, meta.get("sources"), found)
    named = {file.path for files in explicit.values() for file in files}
    for key in KINDS:
        found.files[key] = list(explicit.get(key, []))
    for path in sorted((root / NATIONAL_DIR).rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not _candidate(path, rel) or path in named:
            continue
        file = SourceFile(path, rel)
        key = _kind_of(file)
        if key is None:
            found.problems.append(
                Problem(
                    file.shown,
                    None,
                    None,
                    None,
                    "a published file qv reads (CQC latest ratings, FFT workbook, NHS Staff "
                    "Survey benchmark data, GMC NTS extract, ODS etr.csv or succ.csv) or a "
                    "canonical CSV; name its kind in dataset.yaml (sources:) or move it out of "
                    f"{NATIONAL_DIR}/",
                )
            )
        else:
            found.files[key].append(file)
    for key in _READERS:
        kind, canonical = KINDS[key], root / DATASETS[KINDS[key].dataset].file
        if found.files[key] and canonical.exists():
            published = ", ".join(f.rel for f in found.files[key][:3])
            more = " ..." if len(found.files[key]) > 3 else ""
            found.problems.append(
                Problem(
                    str(canonical),
                    None,
                    None,
                    None,
                    f"either this file or the published {kind.label} files ({published}{more}), "
                    "not both: remove one",
                )
            )
    return found


def _candidate(path: Path, rel: str) -> bool:
    """A data file that is not canonical, hidden, or an office program's lock file."""
    hidden = any(part.startswith((".", "~$")) for part in Path(rel).parts)
    return (
        path.is_file() and path.suffix.lower() in SUFFIXES and not hidden and rel not in _CANONICAL
    )


def _kind_of(file: SourceFile) -> str | None:
    """The kind of a file: by its name, else by the sheets and columns found in it."""
    name = file.name_text
    for key, kind in KINDS.items():
        if kind.is_named(name):
            return key
    book = file.book
    if isinstance(book, Problem):
        return None
    return next((key for key, kind in KINDS.items() if kind.looks_like(file, book)), None)


def _mapped(root: Path, sources: Any, found: National) -> dict[str, list[SourceFile]]:
    """The files ``dataset.yaml`` names under ``sources``, by kind; problems for bad entries."""
    shown = str(root / "dataset.yaml")
    if sources is None:
        return {}
    if not isinstance(sources, dict):
        found.problems.append(
            Problem(shown, None, "sources", str(sources), f"a mapping with keys {list(KINDS)}")
        )
        return {}
    out: dict[str, list[SourceFile]] = {}
    for key, value in sources.items():
        where = f"sources.{key}"
        if key not in KINDS:
            found.problems.append(Problem(shown, None, where, None, f"one of {list(KINDS)}"))
            continue
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            options = entry if isinstance(entry, dict) else {"file": entry}
            problem = _check_options(options, KINDS[key])
            if problem:
                found.problems.append(Problem(shown, None, where, json.dumps(entry), problem))
                continue
            paths = sorted(p for p in root.glob(str(options["file"])) if p.is_file())
            if not paths:
                expected = f"a file under {root} (none matches this path)"
                found.problems.append(Problem(shown, None, where, str(options["file"]), expected))
            extra = {k: str(v) for k, v in options.items() if k != "file"}
            out.setdefault(key, []).extend(
                SourceFile(p, p.relative_to(root).as_posix(), extra) for p in paths
            )
    return out


def _check_options(options: dict[str, Any], kind: Kind) -> str | None:
    """What is wrong with one entry of ``sources`` (``None`` if nothing)."""
    unknown = sorted(set(options) - _OPTIONS)
    path = options.get("file")
    if unknown or not isinstance(path, str) or not path:
        return "a path under the data directory, or a mapping with file: and period: / setting:"
    if Path(path).is_absolute() or ".." in Path(path).parts:
        return "a path under the data directory (relative, without '..')"
    period, setting = options.get("period"), options.get("setting")
    if period is not None and not _period_ok(str(period), kind.period):
        return {
            "month": "period: a month written YYYY-MM",
            "date": "period: a date written YYYY-MM-DD (or a month YYYY-MM)",
            "year": "period: a year written YYYY",
        }.get(kind.period, "no period: this kind of file has none")
    if setting is not None and (kind.label != fft.PUBLICATION or setting not in FFT_SETTINGS):
        return f"setting: one of {FFT_SETTINGS} (FFT files only)"
    return None


def _period_ok(text: str, what: str) -> bool:
    if what == "year":
        return text.isdigit() and len(text) == 4
    if what == "month":
        return find_month([text]) == text
    if what == "date":
        day = find_date([text])
        return find_month([text]) == text or (day is not None and f"{day:%Y-%m-%d}" == text)
    return False


def _note_replaced(records: Sequence[dict[str, Any]], replaced: dict[int, int]) -> None:
    """Note on each NTS record how many local NTS rows its years replaced."""
    for entry in records:
        first, _, last = (entry["period"] or "").partition(" to ")
        years = [y for y in replaced if first and int(first) <= y <= int(last or first)]
        counts = [f"{replaced[y]} in {y}" for y in years if replaced[y]]
        if counts:
            entry.setdefault("notes", []).append(
                "replaces the NTS rows of local/survey_results.csv for its years: "
                + ", ".join(counts)
            )


# --------------------------------------------------------------------------- provenance


def describe_sources(records: Sequence[dict[str, Any]]) -> str | None:
    """The publications read, in words for a pack's header; ``None`` when there are none.

    For example ``"CQC ratings, published 3 Nov 2025; FFT (inpatient, A&E), Apr 2025 to Mar
    2026; NHS Staff Survey 2021 to 2024; GMC NTS 2022 to 2025; ODS trusts, ODS successors"``.
    """
    by_dataset: dict[str | None, list[dict[str, Any]]] = {}
    for entry in records:
        by_dataset.setdefault(entry["dataset"], []).append(entry)
    parts = []
    for entry in by_dataset.get(cqc_ratings.DATASET, []):
        when = _when(entry["period"])
        parts.append(f"{entry['publication']}, published {when}" if when else entry["publication"])
    if fft.DATASET in by_dataset:
        entries = by_dataset[fft.DATASET]
        order = {f"{fft.PUBLICATION} {fft.setting_label(s)}": i for i, s in enumerate(FFT_SETTINGS)}
        settings = sorted({e["publication"] for e in entries}, key=lambda p: order.get(p, 99))
        labels = ", ".join(s.removeprefix(f"{fft.PUBLICATION} ") for s in settings)
        when = period_span(entries, _when) or "(period not stated)"
        parts.append(f"{fft.PUBLICATION} ({labels}), {when}")
    for dataset, label in (
        (staff_survey.DATASET, staff_survey.PUBLICATION),
        (nts.DATASET, nts.PUBLICATION),
    ):
        if dataset in by_dataset:
            parts.append(f"{label} {period_span(by_dataset[dataset]) or '(year not stated)'}")
    if None in by_dataset:
        parts.append(", ".join(dict.fromkeys(e["publication"] for e in by_dataset[None])))
    return "; ".join(parts) or None


def known_at(
    records: Sequence[dict[str, Any]], as_at: dt.date, region: RegionConfig
) -> list[dict[str, Any]]:
    """The publications of ``records`` a review as at ``as_at`` may name.

    Monthly FFT files once published (the month plus ``publication.fft_days_after_month``),
    staff survey and NTS files once their year's results were published; a CQC ratings file
    dated after ``as_at`` is named only as "CQC ratings as published by <as_at>" (the pack shows
    the ratings in it that were published by then).  Records without a period are kept.
    """
    when = pd.Timestamp(as_at)
    kept = []
    for entry in records:
        period, dataset = entry.get("period"), entry.get("dataset")
        if not period:
            kept.append(entry)
            continue
        last = period.split(" to ")[-1]
        if dataset == fft.DATASET:
            lag = pd.Timedelta(days=region.publication.fft_days_after_month)
            if asat.month_end(pd.Series([last[:7]])).iloc[0] + lag <= when:
                kept.append(entry)
        elif dataset in (staff_survey.DATASET, nts.DATASET):
            survey = "staff_survey" if dataset == staff_survey.DATASET else "NTS"
            if region.publication.survey(survey).date(int(last[:4])) <= as_at:
                kept.append(entry)
        elif dataset == cqc_ratings.DATASET and pd.Timestamp(last) > when:
            shown = f"{entry['publication']} as published by {display.fmt_date(as_at)}"
            kept.append({**entry, "publication": shown, "period": None})
        else:
            kept.append(entry)
    return kept


def period_span(
    entries: Sequence[dict[str, Any]], show: Callable[[str], str | None] = str
) -> str | None:
    """From the earliest to the latest period of ``entries`` ('2022-04 to 2026-03'), each
    written by ``show``; ``None`` when no entry states a period."""
    periods = sorted(end for e in entries if e["period"] for end in e["period"].split(" to "))
    if not periods:
        return None
    first, last = show(periods[0]), show(periods[-1])
    return first if first == last else f"{first} to {last}"


def _when(period: str | None) -> str | None:
    """'2025-11-03' as '3 Nov 2025', '2025-11' as 'Nov 2025'."""
    if not period:
        return None
    parts = [int(p) for p in period.split("-")]
    month = MONTH_NAMES[parts[1] - 1][:3]
    return f"{parts[2]} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"
