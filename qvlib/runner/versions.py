"""Versions of a pack: drafts, final versions frozen beside the current one, and which is which.

A pack's current build is always at its own name (``annual-review-pack.html``).  When the
pack's commentary says ``status: final`` with ``version: N``, the run builds it as final and
also keeps a frozen copy of every output of the job at ``<name>.vN.<ext>``
(``annual-review-pack.v1.html``, ``cqc-response-bundle.v1.zip``).  ``qv reviews`` never writes
a frozen file again, not even with ``--force``.

Whether a final version still holds is decided by its *content fingerprint*: every input of the
job (notebook, code, parameters, data slice, commentary file, environment) but not the document
state itself.  When the inputs change after version N was frozen, the run builds version N+1 as
a draft, reports that final version N is out of date, and leaves version N's files as they
are.  The team then reviews the draft and signs off version N+1 in the commentary file.

Versions are recorded in the manifest (``versions``: number, status, files, content
fingerprint, approver and date) and carried from run to run; a frozen file found on disk with
no record (a lost manifest) still counts, as a version whose inputs are unknown.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qvlib.commentary import DocumentControl, SignOff

if TYPE_CHECKING:
    from qvlib.runner.plan import Job

_FROZEN_RE = re.compile(r"^(?P<stem>.+)\.v(?P<version>[1-9][0-9]*)$")


@dataclass(frozen=True)
class Final:
    """A frozen final version of one pack."""

    version: int
    content: str | None  #: content fingerprint; ``None`` for a frozen file with no record
    files: tuple[str, ...]  #: its files, relative to the review year's folder
    approved_by: str | None = None
    approved_on: dt.date | None = None

    def record(self) -> dict[str, Any]:
        """The manifest's record of this version."""
        return {
            "version": self.version,
            "status": "final",
            "content_fingerprint": self.content,
            "files": list(self.files),
            "approved_by": self.approved_by,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Final:
        """The version a manifest record describes (see :meth:`record`)."""
        approved_on = record.get("approved_on")
        return cls(
            version=int(record["version"]),
            content=record.get("content_fingerprint"),
            files=tuple(record.get("files", ())),
            approved_by=record.get("approved_by"),
            approved_on=dt.date.fromisoformat(approved_on) if approved_on else None,
        )


@dataclass(frozen=True)
class Decision:
    """What one run builds of a pack: its document state, and whether it freezes a version."""

    document: DocumentControl
    freeze: bool  #: keep a frozen copy of this build as final version ``document.version``
    note: str | None = None  #: for the run's report, e.g. that a final version is out of date


def frozen_name(path: Path, version: int) -> Path:
    """The frozen copy of ``path`` at ``version``.

    >>> frozen_name(Path("RHM/annual-review-pack.html"), 2).as_posix()
    'RHM/annual-review-pack.v2.html'
    >>> frozen_name(Path("RHM/cqc-response-bundle.zip"), 1).name
    'cqc-response-bundle.v1.zip'
    """
    return path.with_name(f"{path.stem}.v{version}{path.suffix}")


def _names_in(folder: Path) -> list[str]:
    """The names of the files in ``folder`` (none if it does not exist)."""
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def finals_of(
    outputs: Iterable[Path],
    year_dir: Path,
    records: Iterable[Mapping[str, Any]],
    names_in: Callable[[Path], Iterable[str]] = _names_in,
) -> list[Final]:
    """The frozen versions of a pack: from the manifest's records, and from files on disk.

    Parameters
    ----------
    outputs
        The job's output paths (its current build).
    year_dir
        The review year's folder (records hold paths relative to it).
    records
        The ``versions`` of the pack's previous manifest entry.
    names_in
        Lists a folder's file names (a run deciding every pack lists each folder once).

    Examples
    --------
    >>> import tempfile
    >>> year = Path(tempfile.mkdtemp())
    >>> (year / "RHM").mkdir()
    >>> _ = (year / "RHM" / "annual-review-pack.v1.html").write_text("v1")
    >>> [f.version for f in finals_of([year / "RHM" / "annual-review-pack.html"], year, [])]
    [1]
    """
    known = {int(r["version"]): Final.from_record(r) for r in records if r.get("status") == "final"}
    for output in outputs:
        for name in names_in(output.parent):
            if not (name.startswith(f"{output.stem}.v") and name.endswith(output.suffix)):
                continue
            match = _FROZEN_RE.match(name[: -len(output.suffix) or None])
            if match and match.group("stem") == output.stem:
                version = int(match.group("version"))
                if version not in known:
                    relative = (output.parent / name).relative_to(year_dir).as_posix()
                    known[version] = Final(version, None, (relative,))
    return [known[v] for v in sorted(known)]


def decide(
    sign_off: SignOff | None,
    finals: list[Final],
    content: str,
    as_at: dt.date,
    identity: DocumentControl,
) -> Decision:
    """The document state of a pack's build in this run.

    Parameters
    ----------
    sign_off
        The front matter of the pack's commentary; ``None`` without a commentary file.
    finals
        Its frozen versions (:func:`finals_of`).
    content
        The job's content fingerprint (every input but the document state).
    as_at
        The run's as-at date.
    identity
        Issuer, contact and marking (:meth:`DocumentControl.from_region`).

    Examples
    --------
    >>> identity = DocumentControl("Wessex quality team", "q@example.nhs.uk", "OFFICIAL")
    >>> final = SignOff(status="final", version=1, approved_by="HoQ",
    ...                 approved_on="2026-04-21", as_at="2026-03-31")
    >>> when = dt.date(2026, 3, 31)
    >>> decide(final, [], "abc", when, identity).document.state
    'Version 1, final: approved by HoQ on 21 Apr 2026'
    >>> frozen = [Final(1, "abc", ("RHM/annual-review-pack.v1.html",))]
    >>> decide(final, frozen, "abc", when, identity).freeze
    False
    >>> changed = decide(final, frozen, "def", when, identity)
    >>> changed.document.state, changed.freeze
    ('Version 2, DRAFT: not approved', False)
    >>> changed.note
    'final version 1 is out of date (its inputs changed): built version 2 as a draft'
    """
    latest = max((f.version for f in finals), default=0)
    by_version = {f.version: f for f in finals}

    def draft(version: int, note: str | None = None) -> Decision:
        return Decision(
            DocumentControl(
                identity.organisation, identity.contact, identity.marking, "draft", version
            ),
            freeze=False,
            note=note,
        )

    if sign_off is None:
        return draft(latest + 1)
    if sign_off.status == "draft":
        return draft(max(sign_off.version, latest + 1))
    version = sign_off.version
    signed = DocumentControl(
        identity.organisation,
        identity.contact,
        identity.marking,
        "final",
        version,
        sign_off.approved_by,
        sign_off.approved_on,
    )
    if sign_off.as_at != as_at:
        return draft(
            version if version > latest else latest + 1,
            f"final version {version} was approved as at {sign_off.as_at}; this run is as at "
            f"{as_at}: built as a draft",
        )
    frozen = by_version.get(version)
    if frozen is not None:
        if frozen.content == content:
            return Decision(signed, freeze=False)
        why = "its inputs changed" if frozen.content else "no record of its inputs"
        return draft(
            latest + 1,
            f"final version {version} is out of date ({why}): built version {latest + 1} as a "
            "draft",
        )
    if version < latest:
        return draft(
            latest + 1,
            f"the commentary says final version {version}, but version {latest} is already "
            f"final: built version {latest + 1} as a draft (set version: {latest + 1} to sign "
            "it off)",
        )
    return Decision(signed, freeze=True)


def decide_jobs(
    jobs: Iterable[Job],
    previous: Mapping[str, Mapping[str, Any]],
    year_dir: Path,
    as_at: dt.date,
    identity: Mapping[str, DocumentControl] | DocumentControl,
) -> tuple[list[Job], list[str]]:
    """Each job with the document state it builds (:func:`decide`), and the notes to report.

    ``identity`` is the region's issuer, contact and marking, or a mapping of job key to one
    where a job has its own (a CQC request's marking).
    """
    from qvlib.runner.plan import with_document

    decided, notes = [], []
    names_in = cache(_names_in)
    for job in jobs:
        records = (previous.get(job.key) or {}).get("versions", [])
        finals = finals_of([job.output], year_dir, records, names_in)
        own = identity.get(job.key) if isinstance(identity, Mapping) else identity
        sign_off = job.commentary.sign_off if job.commentary else None
        decision = decide(sign_off, finals, job.fingerprint, as_at, own)
        if decision.note:
            notes.append(f"{job.key}: {decision.note}")
        decided.append(with_document(job, decision.document, decision.freeze))
    return decided, notes


def freeze(job: Job, outputs: Iterable[Path], year_dir: Path) -> Final:
    """Keep read-only copies of a final build's outputs as its frozen version.

    Raises
    ------
    FileExistsError
        If a frozen file is already there: a frozen version is never written twice.
    """
    document = job.document
    files = []
    for output in outputs:
        target = frozen_name(Path(output), document.version)
        with open(target, "xb") as out, open(output, "rb") as source:
            shutil.copyfileobj(source, out)
        os.chmod(target, 0o444)
        files.append(target.relative_to(year_dir).as_posix())
    return Final(
        document.version,
        job.content_fingerprint,
        tuple(files),
        document.approved_by,
        document.approved_on,
    )
