"""What a run shows while it works and when it ends: a progress bar and a summary table.

On a terminal, a rich progress bar counts packs built, failed and skipped, with the time left.
Elsewhere (CI logs, pipes) it prints one plain line per finished job instead.  The summary
table at the end has one row per job that ran (or was not run because the run was stopped):
trust, pack, status, seconds, and the output or the first line of the error; up-to-date packs
are counted, not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from qvlib.runner.engine import JobResult
from qvlib.runner.plan import Job


class RunProgress:
    """Counts of built / failed / skipped jobs, shown as a bar on a terminal or as log lines."""

    def __init__(self, console: Console, total: int, skipped: int, bar: bool | None = None):
        self.console = console
        self.counts = {"built": 0, "failed": 0, "skipped": skipped, "cancelled": 0}
        self.bar = console.is_terminal if bar is None else bar
        self._progress: Progress | None = None
        self._task = None
        self.total = total

    def _describe(self) -> str:
        c = self.counts
        return f"[green]{c['built']} built[/] [red]{c['failed']} failed[/] {c['skipped']} skipped"

    def __enter__(self) -> RunProgress:
        if self.bar:
            self._progress = Progress(
                TextColumn("packs"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                self._describe(), total=self.total, completed=self.counts["skipped"]
            )
        elif self.counts["skipped"]:
            self.console.print(f"skipped {self.counts['skipped']} up-to-date pack(s)")
        return self

    def advance(self, job: Job, result: JobResult) -> None:
        """Record one finished job."""
        self.counts[result.status] += 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=self._describe())
        else:
            tail = f"  {result.error}" if result.error else ""
            self.console.print(
                f"{result.status:<7} {job.key}  {result.seconds:.1f}s{tail}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc_info)


def summary_table(rows: Iterable[tuple[Job, JobResult]], year_dir: Path) -> Table:
    """One row per job: trust, pack, status, seconds, output path or first line of the error.

    A run passes the jobs it ran; up-to-date ones are counted in the line below the table.
    """
    table = Table(title="qv reviews", show_lines=False)
    for column in ("trust", "pack", "status", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    table.add_column("output / error", overflow="fold")
    style = {"built": "green", "failed": "bold red", "skipped": "dim", "cancelled": "red"}
    for job, result in rows:
        if result.error:
            detail = result.error.splitlines()[0]
        else:
            detail = job.output.relative_to(year_dir).as_posix()
        pack = job.pack if job.environment is None else f"{job.pack} {job.environment}"
        # Text, not markup: error messages contain brackets ("In [3]") that markup would eat.
        table.add_row(
            Text(job.trust_code or "region"),
            Text(pack),
            Text(result.status, style=style[result.status]),
            f"{result.seconds:.1f}",
            Text(detail),
        )
    return table
