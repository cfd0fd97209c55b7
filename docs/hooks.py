"""MkDocs hooks: pages generated from the code at build time, so they cannot drift from it.

- ``data-dictionary.md``: every dataset and column from the pandera schemas in
  :mod:`qvlib.schemas` (file, required or optional, local or national, type, whether a cell may
  be empty, allowed values, ranges and patterns).
- ``changelog.md``: the repository's ``CHANGELOG.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files

from qvlib.schemas import DATASETS

REPO = Path(__file__).resolve().parents[1]

#: How pandera names a check -> words for a reader preparing a file.
_CHECKS = {
    "isin": lambda s: "one of: " + ", ".join(f"`{v}`" for v in s["allowed_values"]),
    "greater_than_or_equal_to": lambda s: f"at least {s['min_value']}",
    "less_than_or_equal_to": lambda s: f"at most {s['max_value']}",
    "in_range": lambda s: f"from {s['min_value']} to {s['max_value']}",
    "str_matches": lambda s: f"matches `{s['pattern']}`",
}
_TYPES = {
    "str": "text",
    "int64": "whole number",
    "float64": "number",
    "bool": "yes/no",
    "datetime64[ns]": "date",
}


def _rule(check) -> str:
    words = _CHECKS.get(check.name)
    return words(check.statistics) if words else check.name.replace("_", " ")


def data_dictionary() -> str:
    """The data dictionary page, in Markdown, from :data:`qvlib.schemas.DATASETS`."""
    lines = [
        "# Data dictionary",
        "",
        "Every file qv reads, and every column in it, generated from the schemas in "
        "`qvlib/schemas.py` each time the documentation is built. Column headers are matched "
        "without regard to case, spacing or punctuation (`Trust Code` is `trust_code`). Dates "
        "may be written dd/mm/yyyy or yyyy-mm-dd; numbers may carry thousands separators, `£` "
        "or `%`. Values that `parameters/region.yaml` lists (quality framework domains, "
        "Intensive Support Framework levels, visit type names) are checked against it too.",
        "",
        "| dataset | file | needed | whose data |",
        "|---|---|---|---|",
    ]
    for name, spec in DATASETS.items():
        needed = "required" if spec.required else "optional"
        whose = "one trust's (local)" if spec.local else "national, public"
        lines.append(f"| [{name}](#{name}) | `{spec.file}` | {needed} | {whose} |")
    for name, spec in DATASETS.items():
        schema = spec.schema.to_schema()
        # The model's docstring starts by naming its file, which the heading already shows.
        about = re.sub(r"^``[^`]+``(?: \(optional\))?: ", "", (spec.schema.__doc__ or "").strip())
        lines += ["", f"## {name}", "", f"`{spec.file}`: {about}"]
        lines += ["", "| column | type | empty cells | rule |", "|---|---|---|---|"]
        for column, definition in schema.columns.items():
            rules = [_rule(check) for check in definition.checks]
            if definition.unique:
                rules.append("unique")
            if definition.description:
                rules.append(definition.description)
            kind = _TYPES.get(str(definition.dtype), str(definition.dtype))
            empty = "allowed" if definition.nullable else "not allowed"
            lines.append(f"| `{column}` | {kind} | {empty} | {'; '.join(rules)} |")
    return "\n".join(lines) + "\n"


def on_files(files: Files, config) -> Files:
    """Add the generated pages to the site."""
    files.append(File.generated(config, "data-dictionary.md", content=data_dictionary()))
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "changelog.md", content=changelog))
    return files
