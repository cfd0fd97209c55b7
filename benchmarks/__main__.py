"""`make bench`: how fast `qv reviews` builds packs, against other ways of doing the same work,
measured in one run on this machine (so the ratios hold on any machine).

Measured on the sample region (11 trusts) and on a national-scale synthetic dataset (220 trusts,
``qv sample-data --trusts 220``):

- the naive loop: ``papermill`` then ``jupyter nbconvert --to html`` on the command line, one
  pack after another (dashboards and annual packs of the sample region);
- ``qv reviews`` cold (a new output folder) on the same packs, and on every pack kind;
- the in-process floor: the same notebooks' code run in one plain process per worker, plus the
  export (:mod:`benchmarks.floor`);
- ``qv reviews`` with nothing changed, and with one trust's data changed;
- every pack kind for 220 trusts, with the peak memory of each worker and notebook process.

Targets (exit code 1 when one is missed): cold qv at least 10x faster than the naive loop and at
most 2x the floor; nothing changed in at most 1 s (sample region and 220 trusts); one trust's
data changed rebuilds that trust's packs and the region overview only; 220 trusts, every pack
kind, in at most 3 minutes on 2 cores, at most 1.2x the CPU a pack of the 11-trust run takes,
and at most 600 MB in any worker or notebook process.  Two checks of the library come along:
reading the national snapshot is at least 2x faster than parsing the raw files, and SPC scales
linearly (100x the points in at most 300x the time).  ``--quick`` scales the work down (fewer
trusts, one repeat); its figures are indicative, not the targets' proof.

Results go to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from benchmarks.floor import run_floor
from qvlib.datasets import load
from qvlib.metrics.spc import calc_spc
from qvlib.runner import RunOptions
from qvlib.runner.run import planned_jobs

#: The repository the benchmarks are run in (they measure its sample region).
REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "latest.json"
SAMPLE = REPO / "data" / "sample"
YEAR_DIR = "2025-26"
NAIVE_PACKS = ("desktop-review-dashboard", "annual-review-pack")
MB = 1 << 20


@dataclass
class Measure:
    """Repeated measurements of one thing: seconds of wall time and of CPU, packs built."""

    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    packs: int = 0
    peak_rss_mb: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_per_pack(self) -> float:
        return statistics.median(self.cpu) / self.packs if self.packs else float("nan")

    def as_dict(self) -> dict:
        return {
            "wall_s": {"median": self.median, "min": min(self.wall), "max": max(self.wall)},
            "wall_samples_s": self.wall,
            "cpu_s_median": statistics.median(self.cpu) if self.cpu else None,
            "packs": self.packs,
            "wall_s_per_pack": self.median / self.packs if self.packs else None,
            "cpu_s_per_pack": self.cpu_per_pack if self.packs else None,
            "peak_rss_mb": self.peak_rss_mb,
        }


@dataclass
class Target:
    name: str
    value: str
    goal: str
    met: bool


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakMemory:
    """Samples the resident memory of the workers and notebook processes under a process."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                for process in self.root.children(recursive=True):
                    try:
                        self.peak = max(self.peak, process.memory_info().rss)
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def qv(*args: str, watch_memory: bool = False) -> tuple[float, float, float | None, str]:
    """Run ``qv`` as a user does; return wall seconds, CPU seconds, peak MB and its output."""
    cpu = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "qvlib", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = None
    if watch_memory:
        with PeakMemory(process.pid) as memory:
            output, _ = process.communicate()
        peak = memory.peak / MB
    else:
        output, _ = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"qv {' '.join(args)} failed (exit {process.returncode}):\n{output}")
    return wall, children_cpu() - cpu, peak, output


def built(out: Path) -> dict[tuple[str | None, str], str]:
    document = json.loads((out / YEAR_DIR / "manifest.json").read_text())
    return {(e["trust"], e["path"]): e["status"] for e in document["outputs"]}


@contextlib.contextmanager
def fresh_cache(tmp: Path, name: str) -> Iterator[None]:
    """qv's caches (chart pictures, notebook parameters) empty for what runs inside: a cold
    run draws every chart, as on a new machine."""
    before = os.environ["QV_CACHE_DIR"]
    os.environ["QV_CACHE_DIR"] = str(tmp / "caches" / name)
    try:
        yield
    finally:
        os.environ["QV_CACHE_DIR"] = before


def cold_cache_name(name: str, attempt: int) -> str:
    """The cache folder (under ``caches/``) of attempt ``attempt`` of the cold measure ``name``."""
    return f"{name}-{attempt}"


def measure_qv(
    name: str,
    repeats: int,
    args_for: Callable[[int], list[str]],
    cold: Path | None = None,
    **kw,
) -> Measure:
    """``repeats`` runs of ``qv``; with ``cold`` (the work folder), each with empty caches."""
    result = Measure(name)
    for attempt in range(repeats):
        caches = (
            fresh_cache(cold, cold_cache_name(name, attempt)) if cold else contextlib.nullcontext()
        )
        with caches:
            wall, cpu, peak, output = qv(*args_for(attempt), **kw)
        result.wall.append(wall)
        result.cpu.append(cpu)
        if peak is not None:
            result.peak_rss_mb = max(result.peak_rss_mb or 0, peak)
        result.packs = built_count(output)
    return result


def built_count(output: str) -> int:
    """The number of packs a run built, from its last line ("N built, ...")."""
    return int(output.rsplit(" built,", 1)[0].split()[-1])


def naive_loop(jobs, tmp: Path) -> Measure:
    """papermill and jupyter nbconvert on the command line, one pack after the other.

    Each sample is one pack (the loop runs once: it is slow).
    """
    bin_dir = Path(sys.executable).parent
    result = Measure("papermill + nbconvert CLI, one pack after another (a pack)", packs=1)
    cpu = children_cpu()
    for job in jobs:
        executed = tmp / "naive" / f"{job.key.replace('/', '-')}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        params = [arg for name, value in job.parameters.items() for arg in ("-p", name, value)]
        start = time.perf_counter()
        for command in (
            [bin_dir / "papermill", job.kind.notebook, executed, *params, "--no-progress-bar"],
            [bin_dir / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
        ):
            subprocess.run(command, check=True, capture_output=True, cwd=job.kind.notebook.parent)
        result.wall.append(time.perf_counter() - start)
    result.cpu = [(children_cpu() - cpu) / len(jobs)]
    return result


def floor(jobs, snapshot: Path, tmp: Path, workers: int) -> Measure:
    """One run of the in-process floor on ``jobs`` (writing into a folder of its own)."""
    result = Measure("in-process floor", packs=len(jobs))
    out = tmp / "floor"
    moved = [
        replace(job, output=out / f"{i}{job.output.suffix}", executed=out / f"{i}.ipynb")
        for i, job in enumerate(jobs)
    ]
    cpu, start = children_cpu(), time.perf_counter()
    run_floor(moved, snapshot, workers)
    result.wall.append(time.perf_counter() - start)
    result.cpu.append(children_cpu() - cpu)
    return result


#: Draws the charts on stdin (a JSON list of Vega-Lite specs) after one warm-up chart; prints
#: the CPU seconds a chart took (the JavaScript engine's threads included).
_DRAW_CHARTS = """
import json, sys, time, vl_convert
specs = json.load(sys.stdin)
vl_convert.vegalite_to_svg(specs[0], vl_version=sys.argv[1] or None)
start = time.process_time()
for spec in specs:
    vl_convert.vegalite_to_svg(spec, vl_version=sys.argv[1] or None)
print((time.process_time() - start) / len(specs))
"""


def chart_pictures(out: Path, cache: Path, sample: int = 60) -> dict:
    """The static chart pictures of a run: how many it drew (its chart cache started empty)
    and about how much CPU they took (``sample`` of its charts drawn again in a new process)."""
    from qvlib.static_charts import vegalite_version

    specs = []
    for executed in sorted(out.rglob("executed/*.ipynb")):
        for cell in json.loads(executed.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                specs += [v for k, v in output.get("data", {}).items() if "vegalite" in k]
    chosen = specs[:: max(1, len(specs) // sample)][:sample]
    drawn = len(list((cache / "chart-svg").glob("*.svg")))
    per_chart = float(
        subprocess.run(
            [sys.executable, "-c", _DRAW_CHARTS, vegalite_version() or ""],
            input=json.dumps(chosen),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return {"drawn": drawn, "cpu_s_per_chart": per_chart, "cpu_s": drawn * per_chart}


def change_one_trust(data: Path, trust: str) -> None:
    """Append a sentence to one of ``trust``'s LDA notes (a change a user makes every day)."""
    path = data / "local" / "lda_compliance.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    edited = next(row for row in rows if row["trust_code"] == trust)
    edited["note"] = (edited["note"] or "") + " Checked again."
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def snapshot_speedup(data: Path, tmp: Path) -> float:
    """How much faster reading a snapshot is than parsing and validating the raw files."""
    snapshot = load(data).write_snapshot(tmp / "snapshots")
    return _timed(lambda: load(data)) / _timed(lambda: load(snapshot))


def spc_scaling() -> float:
    """Time of an XmR chart of 100,000 points over one of 1,000 (linear: about 100)."""
    rng = np.random.default_rng(1)

    def series(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": np.arange(n), "y": rng.normal(90, 2, n)})

    small, large = series(1_000), series(100_000)
    t_small = min(_timed(lambda: calc_spc(small, rebase=[500])) for _ in range(5))
    t_large = min(_timed(lambda: calc_spc(large, rebase=[50_000])) for _ in range(3))
    return t_large / t_small


def machine() -> dict:
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / (1 << 30), 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="scaled down: indicative figures")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    national_trusts = 30 if args.quick else 220
    naive_trusts = 2 if args.quick else 11
    workers = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="qv-bench-", dir=REPO / "outputs"))
    measures: dict[str, Measure] = {}
    checks: list[Target] = []
    info = {"machine": machine(), "quick": args.quick, "workers": workers}
    print(f"qv benchmarks in {tmp} ({'quick' if args.quick else 'full'}, {workers} workers)")
    # qv's caches live in the work folder: the benchmarks neither use nor fill the user's.
    user_cache = os.environ.get("QV_CACHE_DIR")
    os.environ["QV_CACHE_DIR"] = str(tmp / "caches" / "shared")
    try:
        # -- the sample region -----------------------------------------------------------------
        def step(text: str) -> None:
            print(f"  {text} ...", flush=True)

        # qv and the floor take turns, so that both meet the same load from other programs.
        step("qv cold and the in-process floor, dashboards and annual packs, in turns")
        two_kinds = [arg for pack in NAIVE_PACKS for arg in ("--pack", pack)]
        cold = Measure("qv reviews, cold (dashboards + annual packs)")
        floor_runs = Measure("in-process floor (plain process per worker, same export)")
        for attempt in range(repeats):
            out = tmp / f"cold-{attempt}"
            with fresh_cache(tmp, f"cold-{attempt}"):
                wall, cpu, _, output = qv("reviews", "--out", str(out), *two_kinds)
            cold.wall.append(wall)
            cold.cpu.append(cpu)
            cold.packs = built_count(output)
            jobs = planned_jobs(RunOptions(out_dir=out, packs=list(NAIVE_PACKS)))
            with fresh_cache(tmp, f"floor-{attempt}"):
                one = floor(jobs, Path(jobs[0].parameters["data"]), tmp, workers)
            floor_runs.wall += one.wall
            floor_runs.cpu += one.cpu
            floor_runs.packs = one.packs
        measures["qv_cold"], measures["floor"] = cold, floor_runs
        step("qv cold, every pack kind")
        measures["qv_cold_all"] = measure_qv(
            "qv reviews, cold (every pack kind)",
            repeats,
            lambda n: ["reviews", "--out", str(tmp / f"all-{n}")],
            cold=tmp,
        )
        step(f"naive loop ({naive_trusts} trusts)")
        chosen = sorted({j.trust_code for j in jobs})[:naive_trusts]
        with fresh_cache(tmp, "naive"):
            measures["naive"] = naive_loop([j for j in jobs if j.trust_code in chosen], tmp)
        step("qv with nothing changed")
        measures["noop"] = measure_qv(
            "qv reviews, nothing changed (sample region)",
            5,
            lambda n: ["reviews", "--out", str(tmp / "all-0")],
        )
        step("qv with one trust's data changed")
        data = tmp / "data"
        shutil.copytree(SAMPLE, data)
        out = tmp / "changed"
        qv("reviews", "--data", str(data), "--out", str(out))
        change_one_trust(data, "RNZ")
        measures["one_changed"] = measure_qv(
            "qv reviews, one trust's data changed",
            1,
            lambda n: ["reviews", "--data", str(data), "--out", str(out)],
        )
        rebuilt = sorted(
            f"{trust or 'region'}/{path}" for (trust, path), s in built(out).items() if s == "built"
        )
        info["one_changed_rebuilt"] = rebuilt

        # -- national scale ----------------------------------------------------------------------
        step(f"sample data for {national_trusts} trusts")
        national = tmp / "national"
        qv("sample-data", "--out", str(national), "--trusts", str(national_trusts))
        step(f"qv cold, {national_trusts} trusts, every pack kind")
        national_name = f"qv reviews, cold, {national_trusts} trusts (every pack kind)"
        measures["national"] = measure_qv(
            national_name,
            1,
            lambda n: ["reviews", "--data", str(national), "--out", str(tmp / "national-out")],
            cold=tmp,
            watch_memory=True,
        )
        info["national_chart_pictures"] = chart_pictures(
            tmp / "national-out",
            tmp / "caches" / cold_cache_name(national_name, 0),
        )
        measures["national_noop"] = measure_qv(
            f"qv reviews, nothing changed ({national_trusts} trusts)",
            5,
            lambda n: ["reviews", "--data", str(national), "--out", str(tmp / "national-out")],
        )
        step("library checks: snapshot reading, SPC scaling")
        info["snapshot_speedup"] = snapshot_speedup(national, tmp)
        info["spc_100x_points_time_ratio"] = spc_scaling()
    finally:
        if user_cache is None:
            os.environ.pop("QV_CACHE_DIR", None)
        else:
            os.environ["QV_CACHE_DIR"] = user_cache
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    cold, floor_m, naive = measures["qv_cold"], measures["floor"], measures["naive"]
    naive_per_pack = naive.median
    cold_per_pack = cold.median / cold.packs
    speedup = naive_per_pack / cold_per_pack
    over_floor = cold.median / floor_m.median
    nat = measures["national"]
    cost_ratio = nat.cpu_per_pack / measures["qv_cold_all"].cpu_per_pack
    changed_ok = all(
        item.startswith(("RNZ/", "region/")) for item in info["one_changed_rebuilt"]
    ) and any(item.startswith("RNZ/") for item in info["one_changed_rebuilt"])
    checks = [
        Target("naive/qv (per pack)", f"{speedup:.1f}x", ">= 10x", speedup >= 10),
        Target("qv/floor", f"{over_floor:.2f}x", "<= 2x", over_floor <= 2),
        Target(
            "nothing changed, sample region",
            f"{measures['noop'].median:.2f} s",
            "<= 1 s",
            measures["noop"].median <= 1,
        ),
        Target(
            f"nothing changed, {national_trusts} trusts",
            f"{measures['national_noop'].median:.2f} s",
            "<= 1 s",
            measures["national_noop"].median <= 1,
        ),
        Target(
            "one trust changed: rebuilt",
            ", ".join(sorted({i.split("/")[0] for i in info["one_changed_rebuilt"]})),
            "that trust and the region overview only",
            changed_ok,
        ),
        Target(
            f"{national_trusts} trusts, every pack kind",
            f"{nat.median:.0f} s",
            "<= 180 s",
            nat.median <= 180,
        ),
        Target(
            "CPU a pack, national / sample region",
            f"{cost_ratio:.2f}x",
            "<= 1.2x",
            cost_ratio <= 1.2,
        ),
        Target(
            "peak memory of a worker or notebook process",
            f"{nat.peak_rss_mb:.0f} MB",
            "<= 600 MB",
            nat.peak_rss_mb <= 600,
        ),
        Target(
            f"snapshot read vs raw parse ({national_trusts} trusts)",
            f"{info['snapshot_speedup']:.1f}x",
            ">= 2x",
            info["snapshot_speedup"] >= 2,
        ),
        Target(
            "SPC, 100x the points",
            f"{info['spc_100x_points_time_ratio']:.0f}x the time",
            "<= 300x (linear)",
            info["spc_100x_points_time_ratio"] <= 300,
        ),
    ]
    header = f"{'measure':58} {'median':>9} {'min':>8} {'max':>8} {'packs':>6} {'s/pack':>7}"
    print(f"\n{header} {'CPU/pack':>8}")
    for m in measures.values():
        print(
            f"{m.name:58} {m.median:8.2f}s {min(m.wall):7.2f}s {max(m.wall):7.2f}s "
            f"{m.packs:6d} {m.median / m.packs if m.packs else 0:6.2f}s "
            f"{m.cpu_per_pack if m.packs else 0:7.2f}s"
        )
    pictures = info["national_chart_pictures"]
    print(
        f"\n{national_trusts} trusts: {pictures['drawn']} chart pictures drawn, about "
        f"{pictures['cpu_s_per_chart'] * 1000:.0f} ms of CPU each: {pictures['cpu_s']:.0f} "
        f"CPU-s of the run's {nat.cpu[0]:.0f}"
    )
    print(f"\n{'target':48} {'measured':>12}  goal")
    for t in checks:
        print(f"{t.name:48} {t.value:>12}  {t.goal}: {'met' if t.met else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        **info,
        "measures": {key: m.as_dict() for key, m in measures.items()},
        "naive_s_per_pack": {"median": naive_per_pack},
        "targets": [t.__dict__ for t in checks],
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0 if all(t.met for t in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
