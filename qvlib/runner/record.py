"""The record of a run: ``manifest.json`` (what was built from what) and ``index.html``.

The manifest lists every output of the review year, one per line: trust, pack, path, status
(built, skipped, failed, or cancelled: not built because the run was stopped), fingerprint,
inputs (data files and their SHA-256, the notebook and its SHA-256, the injected parameters),
qvlib version, git commit, duration, the output's SHA-256 and, for a failure or a
cancellation, the reason.  Times
live here and nowhere else.  A skipped output keeps the record of the run that built it.  A job
that failed or was cancelled keeps the previous good output on disk (a link to it still works)
but is recorded as not built, with ``stale_output`` set when such a file exists, and is rebuilt
by the next run whatever its fingerprint.

``index.html`` lists every trust and every pack with its status and a relative link.  It is
offline (inline CSS, no external URL), escapes every value and carries no date, so an unchanged
run rewrites the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import qvlib
from qvlib import display
from qvlib.commentary import DocumentControl
from qvlib.project import current_project
from qvlib.runner.engine import JobResult, write_atomic
from qvlib.runner.inputs import sha256_file
from qvlib.runner.plan import Job, is_file

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
INDEX = "index.html"
#: Statuses of jobs that did not produce their output in this run.
NOT_BUILT = ("failed", "cancelled")


def git_commit(root: Path) -> str | None:
    """``git rev-parse HEAD`` of the repository at ``root``, or ``None`` outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def read_manifest(year_dir: Path) -> dict[str, dict[str, Any]]:
    """Entries of the previous run's manifest by job key; empty if there is none or it is bad."""
    path = year_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        outputs = json.loads(path.read_text(encoding="utf-8"))["outputs"]
        return {entry["key"]: entry for entry in outputs}
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s is unreadable (%s); every pack will be rebuilt", path, exc)
        return {}


def entry_for(
    job: Job,
    result: JobResult,
    *,
    year_dir: Path,
    inputs: Mapping[str, Any],
    commit: str | None,
    previous: Mapping[str, Any] | None,
    versions: list[dict[str, Any]] | None = None,
    pdf: Path | None = None,
    sha256: Callable[[Path], str] = sha256_file,
) -> dict[str, Any]:
    """The manifest entry of one planned job after this run.

    ``versions`` are the pack's frozen final versions (:mod:`qvlib.runner.versions`); a
    skipped job keeps its previous entry, versions included.  ``pdf`` is the PDF printed of
    the pack in this run (``qv reviews --pdf``), recorded with its SHA-256.
    """
    printed = None
    if pdf is not None:
        printed = {"path": Path(pdf).relative_to(year_dir).as_posix(), "sha256": sha256_file(pdf)}
    if result.status == "skipped" and previous is not None:
        return {**previous, "status": "skipped", **({"pdf": printed} if printed else {})}

    def rel(path: str | Path) -> str:
        return Path(path).relative_to(year_dir).as_posix()

    entry: dict[str, Any] = {
        "key": job.key,
        "trust": job.trust_code,
        "trust_name": job.trust_name,
        "pack": job.pack,
        "environment": job.environment,
        "as_at": job.as_at,
        "title": job.title,
        "path": rel(job.output),
        "status": result.status,
        "fingerprint": job.fingerprint,
        "inputs": {
            **inputs,
            **job.inputs,
            "notebook": {
                "path": current_project().display(job.kind.notebook),
                "sha256": sha256(job.kind.notebook),
            },
            "parameters": job.parameters,
        },
        "qvlib_version": qvlib.__version__,
        "git_commit": commit,
        "started": result.started,
        "finished": result.finished,
        "duration_seconds": result.seconds,
        "outputs": [rel(p) for p in result.outputs],
        "output_sha256": result.output_sha256,
        "executed": rel(result.executed) if result.executed else None,
        "error": result.error,
        "content_fingerprint": job.content_fingerprint,
        "document": _document(job.document),
        "commentary": None
        if job.commentary is None
        else {
            "path": current_project().display(job.commentary.path),
            "sha256": job.commentary.sha256,
        },
        "versions": list(versions or []),
        "pdf": printed,
    }
    if result.status in NOT_BUILT:
        entry["stale_output"] = is_file(job.output)
    return entry


def _document(document: DocumentControl | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {
        "status": document.status,
        "version": document.version,
        "approved_by": document.approved_by,
        "approved_on": document.approved_on.isoformat() if document.approved_on else None,
        "marking": document.marking,
    }


def write_manifest(
    year_dir: Path, entries: Iterable[Mapping[str, Any]], run: Mapping[str, Any]
) -> Path:
    """Write ``manifest.json`` atomically: one output per line (entries ordered by trust, pack,
    path; keys sorted), so that it stays quick to write for a national run and easy to grep."""
    ordered = sorted(entries, key=lambda e: (e.get("trust") or "", e["pack"], e["path"]))

    def line(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    outputs = ",\n".join(f"    {line(entry)}" for entry in ordered)
    text = f'{{\n  "outputs": [\n{outputs}\n  ],\n  "run": {line(dict(run))}\n}}\n'
    path = year_dir / MANIFEST
    write_atomic(path, text)
    return path


_CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 2rem; color: #212b32; }
h1 { color: #005eb8; } table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #d8dde0; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f0f4f5; } .failed, .cancelled { color: #d5281b; font-weight: bold; }
.banner { background: #ffeb3b; padding: 0.5rem; font-weight: bold; }
.draft { background: #ffb81c; padding: 0 0.3rem; font-weight: bold; }
.final { color: #007f3b; font-weight: bold; }
"""


def _link(href: str | None, text: str) -> str:
    if not href:
        return html.escape(text)
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'


def _row(entry: Mapping[str, Any]) -> str:
    status = entry["status"]
    if status in NOT_BUILT:
        links = [_link(entry.get("executed"), "executed notebook")] if entry.get("executed") else []
        if entry.get("stale_output"):
            links.append(_link(entry["path"], "previous output (out of date)"))
        detail = html.escape(entry.get("error") or "")
        if links:
            detail += f"<br>{' · '.join(links)}"
    else:
        detail = _link(entry["path"], entry["path"])
    css = f' class="{status}"' if status in NOT_BUILT else ""
    shown = "not built" if status == "cancelled" else status
    return (
        f"<tr><td>{html.escape(entry.get('title') or entry['pack'])}</td>"
        f"<td{css}>{html.escape(shown)}</td><td>{_document_cell(entry)}</td>"
        f"<td>{detail}</td></tr>"
    )


def _document_cell(entry: Mapping[str, Any]) -> str:
    """The pack's version and status, and links to its frozen final versions."""
    document = entry.get("document")
    parts = []
    if document:
        if document["status"] == "final":
            when = display.fmt_date(document.get("approved_on"))
            parts.append(
                f'<span class="final">Final v{document["version"]}</span>, approved by '
                f"{html.escape(str(document.get('approved_by')))} on {html.escape(when)}"
            )
        else:
            parts.append(f'<span class="draft">Draft v{document["version"]}</span>')
    frozen = [
        _link(record["files"][0] if record.get("files") else None, f"v{record['version']} final")
        for record in sorted(entry.get("versions") or [], key=lambda r: r["version"])
    ]
    if frozen:
        parts.append("versions: " + ", ".join(frozen))
    return "<br>".join(parts)


def write_index(
    year_dir: Path,
    entries: Iterable[Mapping[str, Any]],
    *,
    review_year: str,
    as_at: dt.date,
    region: str,
    synthetic: bool,
) -> Path:
    """Write ``index.html``: every trust, every pack, its status and a relative link."""
    by_trust: dict[str | None, list[Mapping[str, Any]]] = {}
    for entry in sorted(entries, key=lambda e: (e.get("trust") or "", e["pack"], e["path"])):
        by_trust.setdefault(entry.get("trust"), []).append(entry)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(region)} education quality packs {html.escape(review_year)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(region)}: education quality packs, {html.escape(review_year)}</h1>",
        f'<p class="as-at">As at {html.escape(display.fmt_date(as_at))}</p>',
    ]
    if synthetic:
        parts.append('<p class="banner">Built from SYNTHETIC data: not for decisions.</p>')
    counts = {
        s: sum(len([e for e in v if e["status"] == s]) for v in by_trust.values())
        for s in ("built", "skipped", "failed", "cancelled")
    }
    words = {"cancelled": "not built (the run was stopped)"}
    shown = [
        f"{n} {html.escape(words.get(s, s))}" for s, n in counts.items() if n or s != "cancelled"
    ]
    parts.append("<p>" + ", ".join(shown) + "</p>")
    header = "<tr><th>Pack</th><th>Build</th><th>Document</th><th>Output</th></tr>"
    for trust, items in by_trust.items():
        if trust is None:
            heading = "Region"
        else:
            name = items[0].get("trust_name") or ""
            heading = f"{trust} {name}".strip()
        rows = "".join(_row(e) for e in items)
        parts.append(f"<h2>{html.escape(heading)}</h2><table>{header}{rows}</table>")
    parts.append("</body></html>\n")
    path = year_dir / INDEX
    write_atomic(path, "\n".join(parts))
    return path
