"""The team's own words in a pack, and the pack's document controls.

:class:`DocumentControl` is what a pack says about itself as a document: who issues it, its
protective marking, its version and status, and who approved it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from qvlib import display


@dataclass(frozen=True)
class DocumentControl:
    """Who issues a pack, how it is marked and where it stands: its document controls.

    Shown in the pack's header and footer and on every printed page.  ``organisation``,
    ``contact`` and ``marking`` come from region.yaml (``organisation`` and ``document``); the
    status, version and sign-off from the pack's commentary (:mod:`qvlib.commentary`).

    Examples
    --------
    >>> doc = DocumentControl("Wessex quality team", "quality@example.nhs.uk", "OFFICIAL",
    ...                       status="final", version=2, approved_by="Head of Quality",
    ...                       approved_on=dt.date(2025, 10, 20))
    >>> doc.state
    'Version 2, final: approved by Head of Quality on 20 Oct 2025'
    >>> DocumentControl("Wessex quality team", "quality@example.nhs.uk", "OFFICIAL").state
    'Version 1, DRAFT: not approved'
    """

    organisation: str
    contact: str
    marking: str
    status: Literal["draft", "final"] = "draft"
    version: int = 1
    approved_by: str | None = None
    approved_on: dt.date | None = None

    @classmethod
    def from_region(cls, region: Any, **state: Any) -> DocumentControl:
        """The region's identity and marking (``organisation``, ``document``), with ``state``."""
        return cls(region.organisation, region.document.contact, region.document.marking, **state)

    @property
    def draft(self) -> bool:
        """Whether the pack is a draft (it then carries a DRAFT mark on screen and in print)."""
        return self.status != "final"

    @property
    def state(self) -> str:
        """One line: version, status and sign-off."""
        if self.draft:
            return f"Version {self.version}, DRAFT: not approved"
        when = display.fmt_date(self.approved_on) if self.approved_on else "an unrecorded date"
        return f"Version {self.version}, final: approved by {self.approved_by} on {when}"
