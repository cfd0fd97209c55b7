"""The in-process floor: the packs' notebooks run with nothing around them.

Each of ``workers`` processes imports what the notebooks import, reads the data snapshot once
and then, for its share of the jobs, runs each notebook's code cells one after another in one
IPython shell (no kernel, no papermill, no fork, no isolation between notebooks), renders the
pack with qv's exporter and writes the pack and the executed notebook.  It is what any engine
has to do at least; ``qv reviews`` is measured against it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_client.session import Session

if TYPE_CHECKING:  # the floor's processes import pandas only once their kernel exists
    from qvlib.runner.plan import Job


class _DirectSession(Session):
    """Hands messages over as they are: no serialization, as no kernel is involved."""

    def send(self, stream, msg_or_type, content=None, parent=None, ident=None, **kw: Any):
        if isinstance(msg_or_type, dict):
            msg = msg_or_type
        else:
            msg = self.msg(msg_or_type, content=content, parent=parent)
        stream.put(msg)
        return msg


def _run_share(jobs: Sequence[Job], snapshot: str, import_path: list[str]) -> None:
    sys.path[:] = import_path
    from qvlib.runner.kernel import shared_kernel

    kernel = shared_kernel()  # pandas must see a kernel, as in every notebook
    kernel.session = _DirectSession(key=b"")
    for hook in (kernel.shell.displayhook, kernel.shell.display_pub):
        hook.session = kernel.session
    loop = asyncio.new_event_loop()
    with kernel.shell.builtin_trap:
        import nbformat
        from nbformat.v4 import output_from_msg

        from qvlib.packs import PackExporter
        from qvlib.reviews import load_cached
        from qvlib.runner.engine import render_job, write_atomic
        from qvlib.runner.registry import resolve

        exporter = PackExporter()
        load_cached(snapshot)
    for job in jobs:
        nb = nbformat.read(job.kind.notebook, as_version=4)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        injected = nbformat.v4.new_code_cell(
            "\n".join(f"{name} = {value!r}" for name, value in job.parameters.items())
        )
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(tagged[0] + 1, injected)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            outputs = []
            loop.run_until_complete(kernel.execute(cell.source))
            kernel.shell_channel.get_msg()
            while kernel.iopub.msg_ready():
                msg = kernel.iopub.get_msg()
                if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                    outputs.append(output_from_msg(msg))
            cell.outputs = outputs
        page = render_job(exporter, nb, job)
        write_atomic(job.executed, nbformat.writes(nb))
        if job.kind.finalize is None:
            write_atomic(job.output, page)
        else:
            resolve(job.kind.finalize)(nb, page, job)


def run_floor(jobs: Sequence[Job], snapshot: Path, workers: int) -> None:
    """Run ``jobs`` in ``workers`` fresh processes, each taking every ``workers``-th job."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_run_share, args=(jobs[i::workers], str(snapshot), sys.path))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"the floor's worker failed (exit code {process.exitcode})")
