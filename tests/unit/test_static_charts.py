"""Static charts: each chart's SVG drawn offline, the same bytes in any order, cached on disk."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qvlib import static_charts
from qvlib.errors import QvError
from qvlib.runner.svgserver import SvgServer


def _line(title: str, clip: bool = True) -> dict:
    """A line chart whose clipped mark makes vl-convert write a clip path with an ``id``."""
    return {
        "title": title,
        "data": {"values": [{"x": 1, "y": 2}, {"x": 5, "y": 9}]},
        "mark": {"type": "line", "clip": clip},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "scale": {"domain": [0, 3]}},
            "y": {"field": "y", "type": "quantitative", "title": "Reports"},
        },
    }


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QV_CACHE_DIR", str(tmp_path))
    return tmp_path / "chart-svg"


def test_a_chart_gives_the_same_bytes_whatever_was_drawn_before_it(cache):
    first = static_charts.static_svg(_line("A"))
    for path in cache.iterdir():
        path.unlink()
    static_charts.static_svg(_line("B"))  # moves vl-convert's own id counter on
    again = static_charts.static_svg(_line("A"))
    assert again == first
    ids = re.findall(r'\sid="([^"]+)"', first)
    assert ids and all(re.fullmatch(r"qv-[0-9a-f]{12}-\d+", i) for i in ids)
    for name in ids:  # every reference follows its renamed id
        assert f"url(#{name})" in first


def test_different_charts_never_share_an_id(cache):
    a = set(re.findall(r'\sid="([^"]+)"', static_charts.static_svg(_line("A"))))
    b = set(re.findall(r'\sid="([^"]+)"', static_charts.static_svg(_line("B"))))
    assert a and b and not a & b


def test_a_drawn_chart_is_read_back_from_the_cache_without_vl_convert(cache, monkeypatch):
    svg = static_charts.static_svg(_line("A"))
    [entry] = cache.iterdir()
    assert entry.read_text(encoding="utf-8") == svg and entry.suffix == ".svg"

    def refuse(*args, **kwargs):
        raise AssertionError("vl-convert was called for a cached chart")

    monkeypatch.setattr("vl_convert.vegalite_to_svg", refuse)
    assert static_charts.static_svg(_line("A")) == svg


def test_pictures_in_use_stay_cached_and_those_unused_for_months_go(cache):
    static_charts.static_svg(_line("used"))
    static_charts.static_svg(_line("replaced"))
    months_ago = time.time() - (static_charts.CACHE_DAYS + 1) * 86400
    for path in cache.iterdir():
        os.utime(path, (months_ago, months_ago))
    kept = static_charts.static_svg(_line("used"))  # read back: used now
    assert static_charts.prune_cache() == 1
    [left] = cache.iterdir()
    assert left.read_text(encoding="utf-8") == kept
    assert static_charts.prune_cache() == 0


def test_a_spec_vl_convert_cannot_draw_is_a_clear_error(cache):
    with pytest.raises(QvError, match=r"could not draw the chart 'Broken' as SVG"):
        static_charts.static_svg({"title": "Broken", "mark": "no-such-mark"})


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_only_drawing_starts_vl_convert_engine(tmp_path):
    """vl-convert's engine runs threads, so it must not start in a process that may still
    fork: importing qvlib (as the runner does) and asking the version start none."""
    code = (
        "import os\n"
        "threads = lambda: len(os.listdir('/proc/self/task'))\n"
        "import qvlib.charts, qvlib.packs, qvlib.static_charts as s\n"
        "imported = threads()\n"
        "s.vegalite_version()\n"
        "asked = threads()\n"
        "s.static_svg({'mark': 'point'})\n"
        "print(imported, asked, threads())\n"
    )
    env = {**os.environ, "QV_CACHE_DIR": str(tmp_path)}  # nothing cached: it has to draw
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    imported, asked, drawn = map(int, result.stdout.split())
    assert asked == imported
    assert drawn > asked


# --------------------------------------------------------------------------- a worker's server


@pytest.fixture
def server():
    started = SvgServer()
    assert started.wait_ready()
    yield started
    started.stop()


def test_the_chart_server_draws_the_bytes_a_notebook_draws_itself(cache, server, monkeypatch):
    here = static_charts.static_svg(_line("A"))
    for path in cache.iterdir():
        path.unlink()
    monkeypatch.setenv(static_charts.ENV_SERVER, server.address)

    def refuse(*args, **kwargs):
        raise AssertionError("the notebook's process drew a chart its server should draw")

    monkeypatch.setattr("vl_convert.vegalite_to_svg", refuse)
    assert static_charts.static_svg(_line("A")) == here


def test_a_spec_the_server_cannot_draw_is_the_same_clear_error(cache, server, monkeypatch):
    monkeypatch.setenv(static_charts.ENV_SERVER, server.address)
    with pytest.raises(QvError, match=r"could not draw the chart 'Broken' as SVG"):
        static_charts.static_svg({"title": "Broken", "mark": "no-such-mark"})
    assert static_charts.static_svg(_line("B")).startswith("<svg")  # and it draws on


def test_without_its_server_a_notebook_draws_its_charts_itself(cache, server, monkeypatch):
    monkeypatch.setenv(static_charts.ENV_SERVER, server.address)
    server.stop()
    assert not server.folder.exists()  # the socket went with it
    assert static_charts.static_svg(_line("A")).startswith("<svg")


def test_the_server_stops_when_its_worker_dies(tmp_path):
    code = (
        "import sys\n"
        "from qvlib.runner.svgserver import SvgServer\n"
        "s = SvgServer()\n"
        "assert s.wait_ready()\n"
        "print(s.process.pid, s.folder, flush=True)\n"
        "import os; os._exit(0)\n"  # dies without stopping it
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    pid, folder = result.stdout.split()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(int(pid)):
        time.sleep(0.05)
    assert not _alive(int(pid))
    assert not Path(folder).exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
