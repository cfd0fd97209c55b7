"""`make bench`: each benchmark measures two ways of doing the same work in one run and checks
the ratio against its target, so results do not depend on how fast the machine is.

Targets:
- warm engine: building dashboards on one warm kernel per worker is at least 2x faster than
  papermill's fresh kernel per notebook;
- incremental: re-running with nothing changed takes at most 20% of a full build;
- snapshot: at national scale (220 trusts), reading the Parquet snapshot is at least 2x faster
  than parsing and validating the raw CSV files;
- SPC: an XmR chart of 100x the points costs at most 300x the time (it scales linearly; a
  rule checked point by point against every other would cost 10,000x).

Exit code 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qvlib.datasets import load
from qvlib.metrics.spc import calc_spc
from qvlib.project import current_project
from qvlib.runner import RunOptions, run_reviews
from qvlib.synth import write_sample_data


@dataclass
class Result:
    name: str
    baseline: str
    baseline_s: float
    candidate: str
    candidate_s: float
    target: str
    met: bool

    @property
    def ratio(self) -> float:
        return self.baseline_s / self.candidate_s if self.candidate_s else float("inf")


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _build(
    out: Path,
    *,
    engine: str = "warm",
    trusts: list[str] | None = None,
    jobs: int = 1,
    force: bool = False,
) -> None:
    code = run_reviews(
        RunOptions(
            trusts=trusts or [],
            packs=["desktop-review-dashboard"],
            out_dir=out,
            jobs=jobs,
            engine=engine,
            force=force,
            progress_bar=False,
        )
    )
    if code != 0:
        raise SystemExit(f"benchmark build failed with exit code {code}")


def bench_engine(tmp: Path) -> Result:
    trusts = ["RHM", "RHU", "RN5", "R0D"]
    fresh = _timed(lambda: _build(tmp / "fresh", engine="fresh", trusts=trusts))
    warm = _timed(lambda: _build(tmp / "warm", engine="warm", trusts=trusts))
    ratio = fresh / warm
    return Result(
        "warm engine (4 dashboards, 1 worker)",
        "fresh kernels",
        fresh,
        "warm kernel",
        warm,
        ">= 2x",
        ratio >= 2,
    )


def bench_incremental(tmp: Path) -> Result:
    out = tmp / "incremental"
    full = _timed(lambda: _build(out, jobs=2))
    again = _timed(lambda: _build(out, jobs=2))
    return Result(
        "incremental re-run (11 dashboards)",
        "full build",
        full,
        "nothing changed",
        again,
        "<= 20% of the build",
        again <= 0.2 * full,
    )


def bench_snapshot(tmp: Path) -> Result:
    data = tmp / "national"
    write_sample_data(data, trusts=220, years=2)
    ds = load(data)
    snapshot = ds.write_snapshot(tmp / "snapshots")
    raw = _timed(lambda: load(data))
    snap = _timed(lambda: load(snapshot))
    return Result(
        "load 220 trusts", "parse raw CSV", raw, "read snapshot", snap, ">= 2x", raw >= 2 * snap
    )


def bench_spc(_: Path) -> Result:
    rng = np.random.default_rng(1)

    def series(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": np.arange(n), "y": rng.normal(90, 2, n)})

    small, large = series(1_000), series(100_000)
    t_small = min(_timed(lambda: calc_spc(small, rebase=[500])) for _ in range(5))
    t_large = min(_timed(lambda: calc_spc(large, rebase=[50_000])) for _ in range(3))
    return Result(
        "SPC: 100x the points",
        "100,000 points",
        t_large,
        "1,000 points",
        t_small,
        "<= 300x the time (linear)",
        t_large <= 300 * t_small,
    )


BENCHMARKS = {
    "engine": bench_engine,
    "incremental": bench_incremental,
    "snapshot": bench_snapshot,
    "spc": bench_spc,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    tmp = Path(tempfile.mkdtemp(prefix="qv-bench-", dir=current_project().outputs_dir))
    results = []
    try:
        for name in names:
            print(f"running {name} ...", flush=True)
            results.append(BENCHMARKS[name](tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'benchmark':38} {'baseline':>20} {'candidate':>20} {'ratio':>7}  target")
    for r in results:
        print(
            f"{r.name:38} {r.baseline:>12} {r.baseline_s:6.2f}s {r.candidate:>12} "
            f"{r.candidate_s:6.2f}s {r.ratio:6.1f}x  {r.target}: "
            f"{'met' if r.met else 'MISSED'}"
        )
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
