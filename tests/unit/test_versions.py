"""Which version and status a pack's build has, and when a final version is frozen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qvlib.commentary import DocumentControl, SignOff
from qvlib.runner.versions import Final, decide, finals_of, frozen_name

IDENTITY = DocumentControl("Wessex quality team", "q@example.nhs.uk", "OFFICIAL-SENSITIVE")
AS_AT = dt.date(2026, 3, 31)


def final(version: int, as_at: dt.date = AS_AT) -> SignOff:
    return SignOff(
        status="final",
        version=version,
        approved_by="Head of Quality",
        approved_on=as_at + dt.timedelta(days=21),
        as_at=as_at,
    )


def frozen(version: int, content: str | None = "inputs") -> Final:
    return Final(version, content, (f"RHM/annual-review-pack.v{version}.html",))


@pytest.mark.parametrize(
    ("sign_off", "finals", "content", "expected", "freeze", "note"),
    [
        # No commentary, or a draft: a draft, after any final version.
        (None, [], "inputs", ("draft", 1), False, None),
        (None, [frozen(1)], "inputs", ("draft", 2), False, None),
        (SignOff(version=3), [], "inputs", ("draft", 3), False, None),
        (SignOff(version=1), [frozen(1)], "inputs", ("draft", 2), False, None),
        # Signed off for the first time: final, frozen.
        (final(1), [], "inputs", ("final", 1), True, None),
        (final(2), [frozen(1)], "changed", ("final", 2), True, None),
        # Signed off and nothing changed: final, already frozen.
        (final(1), [frozen(1)], "inputs", ("final", 1), False, None),
        # Signed off, then the inputs changed: the next version, as a draft.
        (final(1), [frozen(1)], "changed", ("draft", 2), False, "out of date"),
        (final(1), [frozen(1, None)], "inputs", ("draft", 2), False, "no record of its inputs"),
        # Signed off for another as-at date: a draft.
        (final(1, dt.date(2025, 10, 14)), [], "inputs", ("draft", 1), False, "approved as at"),
        (final(1, dt.date(2025, 10, 14)), [frozen(1)], "x", ("draft", 2), False, "approved as at"),
        # A version older than one already final.
        (final(1), [frozen(2)], "inputs", ("draft", 3), False, "already final"),
    ],
)
def test_the_document_state_of_a_build(sign_off, finals, content, expected, freeze, note):
    decision = decide(sign_off, finals, content, AS_AT, IDENTITY)
    assert (decision.document.status, decision.document.version) == expected
    assert decision.freeze is freeze
    if note is None:
        assert decision.note is None
    else:
        assert note in decision.note
    assert decision.document.marking == "OFFICIAL-SENSITIVE"
    if decision.document.status == "final":
        assert decision.document.approved_by == "Head of Quality"


def test_frozen_versions_come_from_the_record_and_from_files_without_one(tmp_path):
    year = tmp_path / "2025-26"
    (year / "RHM").mkdir(parents=True)
    output = year / "RHM" / "annual-review-pack.html"
    for name in ("annual-review-pack.v2.html", "annual-review-pack.v10.html", "other.v3.html"):
        (year / "RHM" / name).write_text("x")
    (year / "RHM" / "annual-review-pack-x.v4.html").write_text("another pack's version")
    record = frozen(2, "inputs").record()
    found = finals_of([output], year, [record])
    assert [(f.version, f.content) for f in found] == [(2, "inputs"), (10, None)]
    assert found[1].files == ("RHM/annual-review-pack.v10.html",)
    assert Final.from_record(record) == frozen(2, "inputs")


def test_a_frozen_copy_sits_beside_the_current_build():
    path = Path("RHM/desktop-review-dashboard.html")
    assert frozen_name(path, 3) == Path("RHM/desktop-review-dashboard.v3.html")
