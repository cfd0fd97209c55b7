"""The team's own words in a pack, its sign-off, and the pack's document controls.

The quality team writes commentary as Markdown, one file per pack, beside the data (it is as
sensitive as the data, so it stays out of git)::

    <data>/commentary/<YYYY-YY>/<ODS>/<pack file name>.md   (2025-26/RHM/annual-review-pack.md)
    <data>/commentary/<YYYY-YY>/region/region-overview.md

A brief's file takes the brief's file name (``triggered-visit-brief-<site>-<specialty>.md``).
The file opens with YAML front matter, the document's state (:class:`SignOff`), and continues
with ``## Heading`` sections, each placed in the pack under the pack heading of the same name;
an ``## Executive summary`` opens the pack.  Text may quote the review's figures by name,
``{{ open_risks.extreme }}`` or ``{{ funding.utilisation }}``, formatted as the tables format
them (``qv list`` prints the names).  A quote is all a file may hold of the template language:
no filters, calls, loops or conditions, and only the documented names, so a file can neither
run code nor reach anything but those figures.  Markdown is rendered by markdown-it with raw
HTML escaped, and links and images shown as the text typed (a pack fetches and follows
nothing).

:func:`read_commentary` parses a file, :func:`check_commentary` checks it against a pack's
headings and figure names (the runner does this before any notebook runs, so a mistake is an
exit 2 that names the file and line), and :func:`attach` renders it in the pack notebook, whose
executed copy then holds the words as issued.  :class:`DocumentControl` is what a pack says
about itself as a document: who issues it, its protective marking, its version and status, and
who approved it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qvlib import display
from qvlib.errors import QvError

#: Folder of the data directory that holds commentary.
COMMENTARY_DIR = "commentary"
#: Folder (in place of an ODS code) of commentary on region packs.
REGION_FOLDER = "region"
#: The section that opens a pack.
EXECUTIVE_SUMMARY = "Executive summary"
#: Mimetype of the rendered commentary in a pack notebook's output; the pack exporter places it.
MIMETYPE = "application/vnd.qv.commentary+json"

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def _line_number(problem: str) -> int:
    found = re.search(r":(\d+): ", problem)
    return int(found.group(1)) if found else 0


class CommentaryError(QvError):
    """A commentary file that cannot be used: every problem, each naming the file and line."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        self.problems.sort(key=_line_number)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in commentary:"
        super().__init__("\n  ".join([heading, *self.problems]))


class SignOff(BaseModel):
    """A commentary file's front matter: where the document stands.

    ``status: final`` needs ``approved_by``, ``approved_on`` and ``as_at`` (the as-at date of
    the pack that was approved); it cannot be approved before that date.

    >>> SignOff(status="final", version=2, approved_by="Head of Quality",
    ...         approved_on="2026-04-14", as_at="2026-03-31").version
    2
    >>> SignOff(status="final", version=1)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SignOff
    ...
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["draft", "final"] = "draft"
    version: int = Field(default=1, ge=1)
    approved_by: str | None = None
    approved_on: dt.date | None = None
    as_at: dt.date | None = None

    @model_validator(mode="after")
    def _final_is_signed(self) -> SignOff:
        if self.status == "final":
            missing = [k for k in ("approved_by", "approved_on", "as_at") if not getattr(self, k)]
            if missing:
                raise ValueError(
                    f"a final pack needs {', '.join(missing)} (who approved it, when, and the "
                    "as-at date of the pack they approved)"
                )
        if self.approved_on and self.as_at and self.approved_on < self.as_at:
            raise ValueError(
                f"approved_on {self.approved_on} is before as_at {self.as_at}: a pack is "
                "approved on or after the date it is as at"
            )
        return self


@dataclass(frozen=True)
class Section:
    """One ``## Heading`` of a commentary file: its heading, its Markdown, and where it is."""

    heading: str
    body: str
    line: int  #: the heading's line in the file (1-based); the body starts on the next line


@dataclass(frozen=True)
class Commentary:
    """A parsed commentary file.

    Attributes
    ----------
    path
        The file.
    sha256
        SHA-256 of its bytes (in the job fingerprint and the manifest).
    sign_off
        Its front matter.
    sections
        Its sections, in the file's order.
    """

    path: Path
    sha256: str
    sign_off: SignOff
    sections: tuple[Section, ...]

    @property
    def headings(self) -> list[str]:
        """The section headings, in order."""
        return [s.heading for s in self.sections]

    @property
    def has_executive_summary(self) -> bool:
        """Whether the file has a non-empty ``## Executive summary``."""
        return any(
            _key(s.heading) == _key(EXECUTIVE_SUMMARY) and s.body.strip() for s in self.sections
        )


def commentary_path(
    data_dir: str | Path, review_year: str, trust_code: str | None, output_name: str
) -> Path:
    """Where the commentary on one pack lives.

    Parameters
    ----------
    data_dir
        The data directory (not a snapshot).
    review_year
        ``YYYY/YY``.
    trust_code
        The trust's ODS code; ``None`` for a region pack.
    output_name
        The pack's file name (``annual-review-pack.html``, a brief's own name); its extension
        becomes ``.md``.

    >>> commentary_path("data/sample", "2025/26", "RHM", "annual-review-pack.html").as_posix()
    'data/sample/commentary/2025-26/RHM/annual-review-pack.md'
    >>> commentary_path("data/sample", "2025/26", None, "region-overview.html").as_posix()
    'data/sample/commentary/2025-26/region/region-overview.md'
    """
    folder = trust_code or REGION_FOLDER
    stem = Path(output_name).stem
    return Path(data_dir) / COMMENTARY_DIR / review_year.replace("/", "-") / folder / f"{stem}.md"


def read_commentary(path: str | Path) -> Commentary:
    """Parse a commentary file: front matter and ``## Heading`` sections.

    Raises
    ------
    CommentaryError
        For a file that is not UTF-8, front matter that is not valid YAML or not a valid
        :class:`SignOff`, text before the first ``## Heading``, a ``#`` heading, or a heading
        given twice; each problem names the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "annual-review-pack.md"
    >>> _ = path.write_text("---\\nstatus: draft\\nversion: 2\\n---\\n"
    ...                     "## Executive summary\\n{{ open_risks.total }} open risks.\\n")
    >>> c = read_commentary(path)
    >>> c.sign_off.version, c.headings, c.sections[0].line
    (2, ['Executive summary'], 5)
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise CommentaryError(
            [f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"]
        ) from None
    problems: list[str] = []
    front = _FRONT_MATTER_RE.match(text)
    body_start = 1
    fields: Any = {}
    if front:
        try:
            fields = yaml.safe_load(front.group(1) or "") or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
            line = 2 + mark.line if mark else 1
            parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
            what = " ".join(filter(None, parts)) or str(exc)
            problems.append(f"{path}:{line}: the front matter is not valid YAML ({what})")
        body_start = 1 + front.group(0).count("\n")
        text = text[front.end() :]
    if not isinstance(fields, dict):
        problems.append(f"{path}:2: the front matter must be 'key: value' lines")
        fields = {}
    try:
        sign_off = SignOff(**fields)
    except ValidationError as exc:
        sign_off = SignOff()
        front_text = front.group(1) or "" if front else ""
        for error in exc.errors():
            key = ".".join(map(str, error["loc"]))
            line = _front_line(front_text, key or "status")
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key; the keys are {', '.join(SignOff.model_fields)}"
            problems.append(f"{path}:{line}: {key or 'front matter'}: {message}")
    sections, section_problems = _sections(path, text, body_start)
    problems += section_problems
    if problems:
        raise CommentaryError(problems)
    return Commentary(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        sign_off=sign_off,
        sections=tuple(sections),
    )


def _front_line(front_text: str, key: str) -> int:
    """The file line of ``key:`` in the front matter (which starts on line 2), else line 1."""
    for number, line in enumerate(front_text.split("\n"), start=2):
        if line.split(":", 1)[0].strip() == key:
            return number
    return 1


def _scan(text: str):
    """Each line of Markdown text with its heading match (``None`` inside code blocks)."""
    fence: str | None = None
    for index, line in enumerate(text.split("\n")):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence and stripped.startswith(fence) else (fence or stripped[:3])
            yield index, line, None
            continue
        yield index, line, None if fence else _HEADING_RE.match(line)


def _sections(path: Path, text: str, first_line: int) -> tuple[list[Section], list[str]]:
    sections: list[Section] = []
    problems: list[str] = []
    heading: tuple[str, int] | None = None
    lines: list[str] = []

    def close() -> None:
        if heading is not None:
            # Leading blank lines stay: a quote's line in the body is its line in the file.
            sections.append(Section(heading[0], "\n".join(lines).rstrip("\n") + "\n", heading[1]))

    for index, line, match in _scan(text):
        number = first_line + index
        if match and len(match.group(1)) <= 2:
            if len(match.group(1)) == 1:
                problems.append(
                    f"{path}:{number}: '# {match.group(2)}': sections are '## Heading'; use "
                    "'###' for a heading inside a section"
                )
                continue
            close()
            heading, lines = (match.group(2), number), []
            if any(_key(s.heading) == _key(heading[0]) for s in sections):
                problems.append(f"{path}:{number}: section '{heading[0]}' is given twice")
            continue
        if heading is None:
            if line.strip():
                problems.append(
                    f"{path}:{number}: text before the first '## Heading'; every paragraph "
                    "belongs to a section of the pack (e.g. '## Executive summary')"
                )
            continue
        lines.append(line)
    close()
    return sections, problems


def headings(markdown: str) -> list[str]:
    """The ``##`` headings of Markdown text, outside code blocks.

    >>> headings("# Pack\\n## Risks\\nText\\n```\\n## not one\\n```\\n## Hotspots ##\\n")
    ['Risks', 'Hotspots']
    """
    return [m.group(2) for _, _, m in _scan(markdown) if m and len(m.group(1)) == 2]


def pack_headings(notebook: str | Path) -> list[str]:
    """The ``##`` headings of a pack notebook's Markdown cells: the sections commentary may
    write to (with ``Executive summary``).

    >>> pack_headings("notebooks/annual_review_pack.ipynb")[:2]
    ['Agenda and attendees', "Last year's commitments"]
    """
    # Read as JSON (a notebook's format), not with nbformat: its validator takes a second to
    # import, and a run that builds nothing must not pay for it.
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    found = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            found += headings("".join(source) if isinstance(source, list) else source)
    return found


def same_heading(a: str, b: str) -> bool:
    """Whether two headings name the same section (case, spacing, curly apostrophes aside).

    >>> same_heading("Last year\u2019s  commitments", "last year's commitments")
    True
    """
    return _key(a) == _key(b)


def _key(heading: str) -> str:
    """A heading as compared: case, spacing and curly apostrophes do not matter."""
    return " ".join(heading.replace("\u2019", "'").casefold().split())


def check_commentary(
    commentary: Commentary, headings: Iterable[str], names: Iterable[str], *, pack: str
) -> None:
    """Check a commentary file against the pack it is for.

    Parameters
    ----------
    commentary
        The parsed file.
    headings
        The pack's ``##`` headings (:func:`qvlib.notebooks.headings` of its notebook);
        ``Executive summary`` is always allowed.
    names
        The figures the text may quote (:func:`qvlib.findings.value_names`).
    pack
        The pack kind's name, for messages.

    Raises
    ------
    CommentaryError
        Every unknown heading (with the known ones), every quote of an unknown figure (with
        the known names), and any other template code; a final file without an executive
        summary.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "desktop-review-dashboard.md"
    >>> _ = path.write_text("## Hotspot\\n{{ hotspots.count }} hotspots.\\n")
    >>> check_commentary(read_commentary(path), ["Hotspots"], ["hotspots.count"],
    ...                  pack="desktop-review-dashboard")
    Traceback (most recent call last):
    ...
    qvlib.commentary.CommentaryError: 1 problem in commentary:
      ...md:1: no section 'Hotspot' in desktop-review-dashboard; its sections: ..., Hotspots
    """
    known = [EXECUTIVE_SUMMARY, *headings]
    keys = {_key(h) for h in known}
    allowed = set(names)
    problems: list[str] = []
    for section in commentary.sections:
        if _key(section.heading) not in keys:
            problems.append(
                f"{commentary.path}:{section.line}: no section '{section.heading}' in {pack}; "
                f"its sections: {', '.join(known)}"
            )
        for name, line in _placeholders(commentary.path, section, problems):
            if name not in allowed:
                problems.append(_unknown_figure(commentary.path, line, name, allowed))
    if commentary.sign_off.status == "final" and not commentary.has_executive_summary:
        problems.append(
            f"{commentary.path}:2: status: final, but there is no '## {EXECUTIVE_SUMMARY}': "
            "a pack is issued with the team's summary; write one, or set status: draft"
        )
    if problems:
        raise CommentaryError(problems)


def _unknown_figure(path: Path, line: int, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"{path}:{line}: '{{{{ {name} }}}}' is not a figure of the review{hint}; the figures "
        f"(qv list): {', '.join(known)}"
    )


@cache
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def _placeholders(path: Path, section: Section, problems: list[str]) -> list[tuple[str, int]]:
    """The figures a section quotes (dotted name, file line); anything else is a problem."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _environment().parse(section.body)
    except TemplateSyntaxError as exc:
        problems.append(f"{path}:{section.line + (exc.lineno or 1)}: {exc.message}")
        return []
    found: list[tuple[str, int]] = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            problems.append(
                f"{path}:{section.line + node.lineno}: only figures in double braces are "
                "allowed ({{ name }}); '{%' statements are not"
            )
            continue
        for item in node.nodes:
            if isinstance(item, nodes.TemplateData):
                continue
            name = _dotted(item)
            if name is None:
                problems.append(
                    f"{path}:{section.line + item.lineno}: only a figure's name may stand in "
                    "double braces ({{ open_risks.extreme }}), not filters, calls or arithmetic"
                )
            else:
                found.append((name, section.line + item.lineno))
    return found


def _dotted(node: Any) -> str | None:
    from jinja2 import nodes

    parts: list[str] = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return ".".join([node.name, *reversed(parts)])
    return None


def _escape_markdown(text: str) -> str:
    """A figure as literal Markdown text (``*`` or ``_`` in a name stays a character)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": v}`` as ``{"a": {"b": v}}`` for the template (values formatted, escaped)."""
    tree: dict[str, Any] = {}
    for name, value in values.items():
        *parents, leaf = name.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _escape_markdown(str(value))
    return tree


@cache
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    # Links and images would be followed or fetched; show them as the text typed.
    return md.disable(["link", "image", "autolink"])


def render_sections(commentary: Commentary, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each section as ``(heading, html)``, figures quoted from ``values`` (name -> figure).

    Raises
    ------
    CommentaryError
        For a quote of a name ``values`` does not have, or any other template code.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "annual-review-pack.md"
    >>> _ = path.write_text("## Executive summary\\n**{{ open_risks.extreme }}** extreme "
    ...                     "risks <script>x</script>\\n")
    >>> [(heading, html)] = render_sections(read_commentary(path), {"open_risks.extreme": 1})
    >>> html
    '<p><strong>1</strong> extreme risks &lt;script&gt;x&lt;/script&gt;</p>\\n'
    """
    problems: list[str] = []
    for section in commentary.sections:
        for name, line in _placeholders(commentary.path, section, problems):
            if name not in values:
                problems.append(_unknown_figure(commentary.path, line, name, values))
    if problems:
        raise CommentaryError(problems)
    context = _nest(values)
    environment = _environment()
    return [
        (s.heading, _markdown().render(environment.from_string(s.body).render(context)))
        for s in commentary.sections
    ]


class CommentaryOutput:
    """What :func:`attach` displays: the rendered sections for the pack exporter to place, and
    a readable copy for whoever runs the notebook."""

    def __init__(self, path: Path | None, sign_off: SignOff | None, sections, sha256: str | None):
        self.path = path
        self.sign_off = sign_off
        self.sections = list(sections)
        self.sha256 = sha256

    def payload(self) -> dict[str, Any]:
        """The JSON the pack exporter reads (``MIMETYPE``)."""
        return {
            "file": self.path.name if self.path else None,
            "sha256": self.sha256,
            "sign_off": self.sign_off.model_dump(mode="json") if self.sign_off else None,
            "sections": [{"heading": h, "html": body} for h, body in self.sections],
        }

    def __repr__(self) -> str:
        label = self.path.name if self.path else "none"
        return f"<CommentaryOutput {label}: {len(self.sections)} section(s)>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        if not self.sections:
            readable = "<p><em>No commentary for this pack.</em></p>"
        else:
            readable = "".join(f"<h3>{html.escape(h)}</h3>{body}" for h, body in self.sections)
        label = html.escape(self.path.name) if self.path else "none"
        readable = (
            f'<details class="qv-commentary-source"><summary>Commentary ({label}): placed '
            f"in the pack under the matching headings</summary>{readable}</details>"
        )
        # text/plain too: IPython would otherwise add the default repr, a memory address.
        return {MIMETYPE: self.payload(), "text/html": readable, "text/plain": repr(self)}


def attach(source: Any, path: str | Path | None) -> CommentaryOutput:
    """Render a pack's commentary for the pack: call it once in the pack notebook.

    Parameters
    ----------
    source
        The review the pack shows (:class:`qvlib.reviews.TrustReview` or
        :class:`qvlib.overview.RegionOverview`): its ``values`` are the figures the text may
        quote.
    path
        The commentary file (injected by ``qv reviews`` as ``commentary``); empty or ``None``
        when the pack has none.  A draft pack then says that no commentary has been written.

    Returns
    -------
    CommentaryOutput
        Displayed as the rendered sections, which the pack exporter places under the pack's
        headings (the executive summary opens the pack).

    Examples
    --------
    >>> from qvlib.reviews import open_review
    >>> review = open_review("RHM", "2025/26", "data/sample", as_at="2026-03-31")
    >>> path = "data/sample/commentary/2025-26/RHM/annual-review-pack.md"
    >>> shown = attach(review, path)
    >>> shown.sign_off.status, [h for h, _ in shown.sections][:2]
    ('final', ['Executive summary', 'Summary of education quality'])
    >>> attach(review, "").sections
    []
    """
    if not path:
        return CommentaryOutput(None, None, [], None)
    commentary = read_commentary(path)
    return CommentaryOutput(
        commentary.path,
        commentary.sign_off,
        render_sections(commentary, source.values),
        commentary.sha256,
    )


def recorded_state(payload: Mapping[str, Any] | None, as_at: dt.date) -> dict[str, Any]:
    """The document state the commentary in an executed notebook gives a pack built as at
    ``as_at`` (for ``qv render``, which has no record of earlier versions): its sign-off when
    final for that date, else a draft of its version.

    >>> final = {"sign_off": {"status": "final", "version": 2, "approved_by": "HoQ",
    ...                       "approved_on": "2026-04-21", "as_at": "2026-03-31"}}
    >>> recorded_state(final, dt.date(2026, 3, 31))["status"]
    'final'
    >>> recorded_state(final, dt.date(2025, 10, 14))
    {'status': 'draft', 'version': 2}
    >>> recorded_state(None, dt.date(2025, 10, 14))
    {'status': 'draft', 'version': 1}
    """
    fields = (payload or {}).get("sign_off")
    if not fields:
        return {"status": "draft", "version": 1}
    sign_off = SignOff(**fields)
    if sign_off.status == "final" and sign_off.as_at == as_at:
        return {
            "status": "final",
            "version": sign_off.version,
            "approved_by": sign_off.approved_by,
            "approved_on": sign_off.approved_on,
        }
    return {"status": "draft", "version": sign_off.version}


@dataclass(frozen=True)
class DocumentControl:
    """Who issues a pack, how it is marked and where it stands: its document controls.

    Shown in the pack's header and footer and on every printed page.  ``organisation``,
    ``contact`` and ``marking`` come from region.yaml (``organisation`` and ``document``); the
    status, version and sign-off from the pack's commentary (:class:`SignOff`) and its earlier
    final versions.

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
