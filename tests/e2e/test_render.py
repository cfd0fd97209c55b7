"""`qv render`: an executed pack notebook back to the pack page `qv reviews` wrote."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_PROVENANCE = re.compile(r'<dl class="qv-provenance">.*?</dl>', re.S)


def _provenance(page: str) -> dict[str, str]:
    block = _PROVENANCE.search(page).group(0)
    return dict(re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", block, re.S))


@pytest.mark.parametrize(
    "built",
    [
        "RHM/desktop-review-dashboard.html",
        "RHM/annual-review-pack.html",
        "*/triggered-visit-brief-*.html",
        "region-overview.html",
    ],
)
def test_render_writes_the_page_qv_reviews_wrote_but_for_the_runs_provenance(
    built, sample_build, tmp_path, qv_cli
):
    page = sorted(sample_build.glob(built))[0]
    executed = page.parent / "executed" / page.with_suffix(".ipynb").name
    out = tmp_path / "rendered.html"
    result = qv_cli("render", str(executed), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {out}\n"
    rendered, original = out.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    assert _PROVENANCE.sub("", rendered) == _PROVENANCE.sub("", original)
    shown = _provenance(rendered)
    assert list(shown) == ["As at", "Dataset", "Software", "Rendered from"]
    assert shown["As at"] == _provenance(original)["As at"]
    # qv's executed notebooks hold no run time (same inputs, same bytes): the name says it all.
    assert shown["Rendered from"] == executed.name


def test_render_writes_beside_the_notebook_by_default(sample_build, tmp_path, qv_cli):
    executed = tmp_path / "desktop-review-dashboard.ipynb"
    executed.write_bytes(
        (sample_build / "RHM" / "executed" / "desktop-review-dashboard.ipynb").read_bytes()
    )
    result = qv_cli("render", str(executed))
    assert result.returncode == 0, result.stderr
    assert executed.with_suffix(".html").is_file()


def test_a_notebook_papermill_did_not_run_exits_2_saying_so(tmp_path, qv_cli):
    plain = tmp_path / "plain.ipynb"
    plain.write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        encoding="utf-8",
    )
    result = qv_cli("render", str(plain))
    assert result.returncode == 2
    assert "was not executed by papermill" in result.stderr and "Traceback" not in result.stderr


def test_gone_data_exits_2_naming_it_and_data_gives_it_back(sample_build, tmp_path, qv_cli):
    source = sample_build / "RHM" / "executed" / "annual-review-pack.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    snapshot = Path(nb["metadata"]["papermill"]["parameters"]["data"])
    nb["metadata"]["papermill"]["parameters"]["data"] = str(tmp_path / "gone")
    moved = tmp_path / "annual-review-pack.ipynb"
    moved.write_text(json.dumps(nb), encoding="utf-8")
    result = qv_cli("render", str(moved))
    assert result.returncode == 2
    assert f"read its data from {tmp_path / 'gone'}" in result.stderr
    assert "--data DIR" in result.stderr
    result = qv_cli("render", str(moved), "--data", str(snapshot))
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC DATA" in moved.with_suffix(".html").read_text(encoding="utf-8")


def _nbconvert(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    jupyter = Path(sys.executable).with_name("jupyter")
    return subprocess.run(
        [str(jupyter), "nbconvert", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_nbconvert_to_qv_pack_writes_what_qv_render_writes(sample_build, tmp_path, qv_cli):
    executed = tmp_path / "annual-review-pack.ipynb"
    executed.write_bytes((sample_build / "RHM" / "executed" / executed.name).read_bytes())
    result = qv_cli("render", str(executed), "-o", str(tmp_path / "by-qv.html"))
    assert result.returncode == 0, result.stderr
    result = _nbconvert("--to", "qv_pack", executed.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "annual-review-pack.html").read_bytes() == (
        tmp_path / "by-qv.html"
    ).read_bytes()


def test_plain_nbconvert_html_shows_every_chart_as_its_static_svg(sample_build, tmp_path):
    executed = sample_build / "RHM" / "executed" / "desktop-review-dashboard.ipynb"
    charts = executed.read_text(encoding="utf-8").count('"application/vnd.vegalite.v5+json"')
    assert charts > 0
    result = _nbconvert("--to", "html", "--stdout", str(executed), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('src="data:image/svg+xml;base64,') == charts
