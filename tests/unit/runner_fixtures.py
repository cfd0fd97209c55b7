"""Stand-ins for the runner's tests: tiny notebooks, a fake dataset, a plain exporter.

Runs use the notebooks under tests/fixtures/notebooks, a stand-in dataset (a ``values.json``
per data directory) and a plain nbconvert exporter, so they test the runner, not the packs.
Worker processes import the hooks named here (``runner_fixtures:...``).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from nbconvert import HTMLExporter

from qvlib.datasets import Coverage
from qvlib.project import find_project
from qvlib.runner import PackKind, RunOptions
from qvlib.runner import run as run_module
from qvlib.runner.engine import write_atomic
from qvlib.runner.plan import Job

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "notebooks"


class FakeTrust:
    def __init__(self, code: str, value: int, places: list[str]):
        self.code, self.value, self.places = code, value, places
        self.name = f"Trust {code}"

    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.code}={self.value}".encode()).hexdigest()


class FakeDataset:
    meta = {"name": "fixture data", "synthetic": True}
    coverage = Coverage(None, None, {})
    files = ("values.json",)
    sources: list = []

    def __init__(self, root: Path, document: dict):
        self.root = root
        self.values = document["values"]
        self.places = document.get("places", {})
        self.trust_codes = sorted(self.values)

    def trust(self, code: str) -> FakeTrust:
        return FakeTrust(code, self.values[code], self.places.get(code, []))

    def trust_names(self) -> dict[str, str]:
        return {code: self.trust(code).name for code in self.trust_codes}

    def trust_fingerprints(self) -> dict[str, str]:
        return {code: self.trust(code).fingerprint() for code in self.trust_codes}

    def content_hash(self) -> str:
        text = json.dumps(self.values, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def write_snapshot(self, directory: Path) -> Path:
        path = Path(directory) / self.content_hash()
        path.mkdir(parents=True, exist_ok=True)
        (path / "values.json").write_text(json.dumps(self.values, sort_keys=True))
        return path


#: The trusts whose environments :func:`select_fixture_places` was asked for, in order.
SELECTED: list[str] = []


def select_fixture_places(trust: FakeTrust, region, review_year: str, as_at) -> list[dict]:
    SELECTED.append(trust.code)
    return [
        {"slug": slug, "site": f"Site {slug}", "specialty": "Surgery", "title": slug}
        for slug in trust.places
    ]


def zip_finalizer(nb, html: str, job: Job) -> list[Path]:
    """A finalize hook like the CQC bundle's: the pack is a zip holding the summary page."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("summary.html", (2025, 1, 1, 0, 0, 0)), html)
        archive.writestr(zipfile.ZipInfo("cells.txt", (2025, 1, 1, 0, 0, 0)), str(len(nb.cells)))
    write_atomic(job.output, buffer.getvalue())
    return [job.output]


class PlainExporter:
    """What PackExporter does, minus the template: the notebook's outputs as HTML."""

    def __init__(self):
        self.exporter = HTMLExporter(template_name="basic", exclude_input=True)

    def render(
        self,
        nb,
        *,
        title,
        trust_code,
        trust_name,
        review_year,
        as_at,
        provenance,
        synthetic,
        document,
    ):
        body, _ = self.exporter.from_notebook_node(nb)
        heading = (
            f"{title} {trust_code} {trust_name} {review_year} {as_at} {provenance} {document.state}"
        )
        return f"<h1>{heading}</h1>{body}"


EXPORTER = f"{PlainExporter.__module__}:PlainExporter"


def kind(name: str, scope: str = "trust", **extra) -> PackKind:
    return PackKind(
        name=name, notebook=FIXTURES / f"{name}.ipynb", title=name.title(), scope=scope, **extra
    )


ECHO, LEAKY, FAILING = kind("echo"), kind("leaky"), kind("failing")
BRIEF = kind(
    "brief", "environment", output="{pack}-{slug}.html", select_environments=select_fixture_places
)
REGION = kind("region", "region")
BUNDLE = PackKind(
    name="bundle",
    notebook=FIXTURES / "echo.ipynb",
    title="Bundle",
    output="{pack}.zip",
    finalize=f"{__name__}:zip_finalizer",
)


def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Parameters for trusts AAA, BBB, CCC, a data directory, and an output directory."""
    params = tmp_path / "parameters"
    (params / "trusts").mkdir(parents=True)
    (params / "region.yaml").write_text((REPO / "parameters" / "region.yaml").read_text())
    for code in ("AAA", "BBB", "CCC"):
        (params / "trusts" / f"{code}.yaml").write_text(
            f"code: {code}\nname: {code} Hospitals NHS Trust\ntype: acute\nicb: Test ICB\n"
            "sites: [Main site]\n"
        )
    data = tmp_path / "data"
    data.mkdir()
    set_values(data, {"AAA": 1, "BBB": 2, "CCC": 3}, {"AAA": ["r2", "r1"]})
    monkeypatch.setattr(
        run_module,
        "load_dataset",
        lambda path, params: FakeDataset(
            Path(path), json.loads((Path(path) / "values.json").read_text())
        ),
    )
    # Other work may edit qvlib while a test runs; these tests are about data and notebooks.
    monkeypatch.setattr(run_module, "code_fingerprint", lambda **_: "fixed")
    return {"params": params, "data": data, "out": tmp_path / "out"}


def set_values(data: Path, values: dict, places: dict | None = None) -> None:
    (data / "values.json").write_text(json.dumps({"values": values, "places": places or {}}))


def options(project, registry, **overrides) -> RunOptions:
    """Options of a run of the stand-ins.  Their notebooks need little: workers import pandas
    only before forking (the engines' tests warm up as a real run does)."""
    settings = dict(
        data_dir=project["data"],
        out_dir=project["out"],
        registry=registry,
        jobs=1,
        project=find_project(project["params"].parent),
        exporter=EXPORTER,
        prewarm=("pandas",),
        preload=None,
        progress_bar=False,
    )
    settings.update(overrides)
    return RunOptions(**settings)


def manifest(project) -> dict:
    return json.loads((project["out"] / "2025-26" / "manifest.json").read_text())


def statuses(project) -> dict[str, str]:
    return {e["key"]: e["status"] for e in manifest(project)["outputs"]}


def html_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.html"))}


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if ".tmp" in p.name]
