"""Shared pieces of the sample generator: random streams, the trust plan, periods and CSV writing.

Every random draw comes from a generator derived from ``(seed, name parts)`` through a
``numpy.random.SeedSequence`` whose entropy is the seed and the UTF-8 bytes of the name (for
example ``"RHM/risks"``) read as one integer.  A trust's data therefore depends only on the seed
and the trust's code, never on how many other trusts are generated or on their order.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qvlib.config import Parameters
from qvlib.schemas import DATASETS

#: Mix of trust types for synthetic (non-regional) trusts: roughly the national mix of NHS trusts
#: (assumption: about 60% acute, 20% mental health, 10% community, 10% ambulance).
SYNTHETIC_TYPE_MIX = {"acute": 0.6, "mental health": 0.2, "community": 0.1, "ambulance": 0.1}

#: Relative size (1.0 = a mid-sized trust of its type) and quality (latent, about -1.5 .. 1.5)
#: of the region's trusts.  Assumption: chosen to give a plausible spread (a large teaching
#: trust, small district general hospitals, one strong and one struggling trust), not taken from
#: any source.  A region trust not listed here is a mid-sized trust of average quality.
REGION_PROFILE: dict[str, tuple[float, float]] = {
    "RHM": (1.6, 0.6),
    "RHU": (1.3, -0.2),
    "R0D": (1.3, 0.1),
    "RN5": (1.0, -0.4),
    "RNZ": (0.6, 0.3),
    "RBD": (0.6, 1.3),
    "R1F": (0.5, -1.5),
    "RW1": (1.0, -0.3),
    "RDY": (0.9, 0.5),
    "R1C": (0.6, 0.2),
    "RYE": (1.0, -0.5),
}

#: Synthetic trusts are spread over this many made-up ICBs (England has 42).
SYNTHETIC_ICBS = 42

_SYNTHETIC_SITES = {
    "acute": ["General Hospital", "District Hospital", "Community Hospital"],
    "mental health": ["Mental Health Unit", "Community Mental Health Centre"],
    "community": ["Community Health Centre", "Community Hospital"],
    "ambulance": ["Emergency Operations Centre", "Ambulance Hub"],
}


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    """Return the random generator for one named stream, e.g. ``rng_for(seed, "RHM", "risks")``.

    Parameters
    ----------
    seed
        The dataset seed.
    *parts
        Names that identify the stream; the same names always give the same stream.
    """
    key = int.from_bytes("/".join(parts).encode("utf-8"), "big")
    return np.random.default_rng(np.random.SeedSequence([int(seed), key]))


@dataclass(frozen=True)
class Period:
    """The years the dataset covers, derived from the review year and the number of years."""

    review_year: str
    years: int

    @property
    def last_start(self) -> int:
        """Calendar year in which the review (financial) year starts, e.g. 2025 for 2025/26."""
        return int(self.review_year[:4])

    @property
    def fy_starts(self) -> list[int]:
        """Start years of the financial years covered, oldest first."""
        return list(range(self.last_start - self.years + 1, self.last_start + 1))

    @property
    def financial_years(self) -> list[str]:
        """The financial years covered, e.g. ``['2022/23', ..., '2025/26']``."""
        return [fy_label(start) for start in self.fy_starts]

    @property
    def survey_years(self) -> list[int]:
        """Calendar survey years (NTS, NETS, staff survey): the start year of each FY."""
        return self.fy_starts

    @property
    def start(self) -> np.datetime64:
        """First day covered (1 April of the first financial year)."""
        return np.datetime64(f"{self.fy_starts[0]}-04-01", "D")

    @property
    def end(self) -> np.datetime64:
        """Last day covered (31 March at the end of the review year); the data's 'as of' date."""
        return np.datetime64(f"{self.last_start + 1}-03-31", "D")

    @property
    def months(self) -> list[str]:
        """The ``years * 12`` calendar months up to March at the end of the review year."""
        first = np.datetime64(f"{self.fy_starts[0]}-04", "M")
        return [str(first + i) for i in range(self.years * 12)]


def fy_label(start: int) -> str:
    """Financial year label for the year starting in April of ``start``: 2024 -> '2024/25'."""
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass
class Env:
    """A clinical learning environment (site x specialty) and its trainees by programme group."""

    site: str
    specialty: str
    trainees: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plant:
    """A planted quality problem: red NTS outcomes at one environment, and the risk raised on it.

    ``red_years`` are offsets back from the latest survey year (0 = latest, 1 = the year before).
    """

    site: str
    specialty: str
    programme_group: str
    red_years: tuple[int, ...]
    indicators: tuple[str, ...]
    theme: str
    patient_safety: bool


F1, F2 = "Foundation F1", "Foundation F2"
CORE, HIGHER, GP = "Core training", "Higher specialty training", "GP specialty training"

#: Problems planted in the region's trusts so that the packs have something to find: persistent
#: reds (the same environment red in consecutive years) and one environment with several reds in
#: the latest year.
REGION_PLANTS: dict[str, Plant] = {
    "RHM": Plant(
        "Southampton General Hospital",
        "General Surgery",
        CORE,
        (1, 0),
        ("Clinical Supervision", "Workload", "Rota Design"),
        "rota gaps",
        True,
    ),
    "RHU": Plant(
        "Queen Alexandra Hospital",
        "Emergency Medicine",
        F2,
        (2, 1, 0),
        ("Supportive Environment", "Handover"),
        "workload",
        True,
    ),
    "RN5": Plant(
        "Basingstoke and North Hampshire Hospital",
        "Obstetrics and Gynaecology",
        HIGHER,
        (0,),
        ("Overall Satisfaction", "Clinical Supervision", "Supportive Environment", "Teamwork"),
        "undermining",
        False,
    ),
}


@dataclass
class TrustPlan:
    """One trust to generate: identity plus latent size and quality that keep its data coherent."""

    code: str
    name: str
    type: str
    icb: str
    sites: list[str]
    size: float
    quality: float
    envs: list[Env] = field(default_factory=list)
    plant: Plant | None = None


def plan_trusts(params: Parameters, count: int | None, seed: int) -> list[TrustPlan]:
    """The trusts to generate: the region's first, then synthetic ``X0001``... up to ``count``."""
    regional = [
        TrustPlan(
            code=t.code,
            name=t.name,
            type=t.type,
            icb=t.icb,
            sites=list(t.sites),
            size=REGION_PROFILE.get(t.code, (1.0, 0.0))[0],
            quality=REGION_PROFILE.get(t.code, (1.0, 0.0))[1],
        )
        for t in params.trusts.values()
    ]
    if count is None:
        return regional
    plans = regional[:count]
    for number in range(1, count - len(plans) + 1):
        plans.append(_synthetic_trust(number, seed))
    return plans


def _synthetic_trust(number: int, seed: int) -> TrustPlan:
    code = f"X{number:04d}"
    rng = rng_for(seed, code, "identity")
    kinds = list(SYNTHETIC_TYPE_MIX)
    kind = kinds[int(rng.choice(len(kinds), p=list(SYNTHETIC_TYPE_MIX.values())))]
    names = _SYNTHETIC_SITES[kind]
    n_sites = int(rng.integers(1, len(names) + 1))
    return TrustPlan(
        code=code,
        name=f"Synthetic {kind.title()} NHS Trust {number:04d}",
        type=kind,
        icb=f"Synthetic ICB {(number - 1) % SYNTHETIC_ICBS + 1:02d}",
        sites=[f"{code} {name}" for name in names[:n_sites]],
        size=float(np.clip(rng.lognormal(0.0, 0.35), 0.4, 2.0)),
        quality=float(np.clip(rng.normal(0.0, 0.6), -1.5, 1.5)),
    )


class Table:
    """Rows of one dataset collected column by column, written in the schema's column order."""

    def __init__(self, name: str, decimals: dict[str, int] | None = None) -> None:
        self.name = name
        self.schema = DATASETS[name].schema.to_schema()
        self.columns: dict[str, list] = {col: [] for col in self.schema.columns}
        self.decimals = decimals or {}

    def add(self, **row: object) -> None:
        """Append one row; every schema column must be given."""
        for col, values in self.columns.items():
            values.append(row[col])

    def extend(self, cols: dict[str, Sequence | np.ndarray | object]) -> None:
        """Append many rows; each value is a sequence of equal length or a scalar to repeat."""
        lengths = [len(v) for v in cols.values() if isinstance(v, list | np.ndarray)]
        n = lengths[0] if lengths else 0
        for col, values in self.columns.items():
            value = cols[col]
            values.extend(list(value) if isinstance(value, list | np.ndarray) else [value] * n)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def cells(self) -> dict[str, list[str]]:
        """Each column's cells as the canonical CSV writes them (numbers rounded, ISO dates)."""
        return {
            col: _format(values, str(self.schema.columns[col].dtype), self.decimals.get(col))
            for col, values in self.columns.items()
        }

    def write(self, root: Path, keep: Sequence[bool] | None = None) -> None:
        """Write the dataset's CSV under ``root`` (UTF-8, ``\\n``, canonical formats).

        ``keep`` selects the rows to write (default: all).
        """
        path = root / DATASETS[self.name].file
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = zip(*self.cells().values(), strict=True)
        if keep is not None:
            rows = (row for row, wanted in zip(rows, keep, strict=True) if wanted)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")  # quotes only cells that need it
            writer.writerow(self.columns)
            writer.writerows(rows)


def _format(values: list, dtype: str, decimals: int | None) -> list[str]:
    """Format one column the canonical way: plain numbers, ISO dates, yes/no, empty if missing."""
    if dtype == "bool":
        return ["" if v is None else ("yes" if v else "no") for v in values]
    if dtype.startswith("int"):
        return [str(int(v)) for v in values]
    if dtype.startswith("float"):
        spec = f".{2 if decimals is None else decimals}f"
        return ["" if v is None or math.isnan(v) else format(float(v), spec) for v in values]
    if dtype.startswith("datetime"):
        days = np.array([np.datetime64("NaT") if v is None else v for v in values], "M8[D]")
        return [("" if text == "NaT" else text) for text in days.astype(str).tolist()]
    return ["" if v is None else str(v) for v in values]


def as_written(values: np.ndarray, decimals: int = 2) -> np.ndarray:
    """``values`` rounded to ``decimals``: exactly the numbers a reader parses back from the CSV.

    ``np.round`` returns the double nearest to ``k / 10**decimals``; the file holds that value
    formatted to ``decimals`` places, i.e. the decimal ``k / 10**decimals``, which parses back to
    the same double.  Rules applied to written numbers (the NTS outcome) therefore see the
    numbers a reader sees.
    """
    return np.round(np.asarray(values, dtype=float), decimals)


def pick(rng: np.random.Generator, options: Sequence, p: Sequence[float] | None = None):
    """One element of ``options`` (a list, not a set, so the draw is reproducible)."""
    if p is None:
        return options[int(rng.integers(0, len(options)))]
    cumulative = np.cumsum(p)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return options[min(index, len(options) - 1)]


def random_day(rng: np.random.Generator, start: np.datetime64, end: np.datetime64) -> np.datetime64:
    """A day drawn uniformly between ``start`` and ``end`` inclusive."""
    span = int((end - start).astype(int))
    return start + np.timedelta64(int(rng.integers(0, max(span, 0) + 1)), "D")
