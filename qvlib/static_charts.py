"""Static charts: the SVG picture of a Vega-Lite spec, drawn offline with vl-convert and cached.

Every chart a notebook displays carries, beside its Vega-Lite JSON, this picture
(:func:`qvlib.charts.pack_renderer`), so a pack shows every chart without JavaScript (an
e-mailed pack in a locked-down viewer, print, the PDF printer) and plain ``jupyter nbconvert
--to html`` shows it too.  It is drawn with the same Vega-Lite version as the live chart
(:func:`vegalite_version`).

vl-convert draws in a JavaScript engine that starts on its first call in a process (about half a
second of CPU) and then takes tens of milliseconds per chart.  Its engine runs threads, so it
must never start in a process that later forks.  A notebook that ``qv reviews`` runs sends its
charts to its worker's chart server (:mod:`qvlib.runner.svgserver`, named by ``QV_SVG_SERVER``),
whose engine started once for all the worker's notebooks; anywhere else (JupyterLab, papermill
on its own) charts are drawn in the notebook's kernel, which forks nothing.  Pictures are cached
on disk under ``cache_dir()/chart-svg/``, named by the SHA-256 of the spec, the vl-convert
version and the Vega-Lite version, so a re-run with the same data reads them back without
starting the engine; ``qv reviews`` removes those unused for :data:`CACHE_DAYS` days
(:func:`prune_cache`).

vl-convert numbers the ``id`` of clip paths and gradients with a counter that lives as long as
the process, so the same chart drawn after others would get other ids.  :func:`static_svg`
renames them after the chart's own hash (``qv-<hash>-1``, ...): the same spec gives the same
bytes whatever was drawn before it, and two different charts inlined in one page never share
an id.  Text is measured with the fonts vl-convert finds on the machine (Liberation Sans
stands in for Arial on Linux), so another machine may lay out labels a pixel apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from qvlib.cache import cache_dir, write_atomic
from qvlib.errors import QvError

#: Names the chart server of the worker running this notebook (:mod:`qvlib.runner.svgserver`).
ENV_SERVER = "QV_SVG_SERVER"
#: Days a chart picture stays in the cache unused (see :func:`prune_cache`).
CACHE_DAYS = 90
#: Bump when the post-processing below changes, so old cache entries are not reused.
_SVG_FORMAT = 1
_ID_RE = re.compile(r'\sid="([^"]+)"')


@cache
def vegalite_version() -> str | None:
    """Vega-Lite ``major.minor`` of the installed altair, if vl-convert has it (else ``None``:
    vl-convert's newest).  Packs draw their live charts with the same version.

    >>> vegalite_version()
    '6.4'
    """
    import altair as alt
    import vl_convert

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vl_convert.get_vegalite_versions() else None


def _key(spec: Mapping[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    versions = (
        f"vlc={importlib.metadata.version('vl-convert-python')};"
        f"vl={vegalite_version()};f={_SVG_FORMAT}\n"
    )
    return hashlib.sha256((versions + text).encode("utf-8")).hexdigest()


def _stable_ids(svg: str, prefix: str) -> str:
    """Rename every ``id`` (and each reference to it) ``<prefix>-1``, ``-2``... in order."""
    names = {old: f"{prefix}-{n}" for n, old in enumerate(dict.fromkeys(_ID_RE.findall(svg)), 1)}
    if not names:
        return svg
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    pattern = re.compile(rf'(\sid="|url\(#|href="#)({alternatives})(?=[")])')
    return pattern.sub(lambda m: m.group(1) + names[m.group(2)], svg)


def static_svg(spec: Mapping[str, Any]) -> str:
    """The chart ``spec`` (Vega-Lite JSON, as a dict) drawn as SVG, from the cache if there.

    Deterministic: the same spec gives the same text, in any process and in any order.  The
    SVG is a standalone document (with its ``xmlns``); :mod:`qvlib.packs` inlines it in packs.

    Raises
    ------
    QvError
        If vl-convert cannot draw the spec (the message names the chart and the reason).

    Examples
    --------
    >>> spec = {"mark": "bar", "data": {"values": [{"n": 3}]},
    ...         "encoding": {"x": {"field": "n", "type": "quantitative", "title": "Open risks"}}}
    >>> svg = static_svg(spec)
    >>> svg.startswith("<svg"), ">Open risks</text>" in svg, static_svg(spec) == svg
    (True, True, True)
    """
    key = _key(spec)
    path = _cache_folder() / f"{key}.svg"
    try:
        svg = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    else:
        with contextlib.suppress(OSError):  # a read-only cache is still a cache
            os.utime(path)  # used now: kept by prune_cache
        return svg
    try:
        svg = _draw(spec)
    except Exception as exc:  # vl-convert raises ValueError, but any failure means the same
        title = spec.get("title", "untitled")
        raise QvError(
            f"vl-convert could not draw the chart {title!r} as SVG: {exc}. The live chart "
            "would fail too: check the chart's spec (qvlib.charts builds valid ones)."
        ) from None
    svg = _stable_ids(svg, f"qv-{key[:12]}")
    write_atomic(path, svg)
    return svg


def _cache_folder() -> Path:
    return cache_dir() / "chart-svg"


def prune_cache(unused_days: int = CACHE_DAYS) -> int:
    """Remove the chart pictures no notebook has drawn or read for ``unused_days`` days.

    A picture's modification time is when it was last drawn or read, so a cache used run
    after run keeps what the runs use and drops pictures of data long replaced, instead of
    growing with every new month's data.  Returns the number removed.

    >>> import tempfile, time
    >>> from unittest import mock
    >>> with tempfile.TemporaryDirectory() as folder, mock.patch.dict(
    ...     "os.environ", {"QV_CACHE_DIR": folder}
    ... ):
    ...     (Path(folder) / "chart-svg").mkdir()
    ...     old, recent = (Path(folder) / "chart-svg" / f"{n}.svg" for n in ("old", "recent"))
    ...     _ = old.write_text("<svg/>"), recent.write_text("<svg/>")
    ...     os.utime(old, (time.time() - 91 * 86400,) * 2)
    ...     prune_cache(), sorted(p.name for p in (Path(folder) / "chart-svg").iterdir())
    (1, ['recent.svg'])
    """
    cutoff = time.time() - unused_days * 86400
    removed = 0
    try:
        entries = list(os.scandir(_cache_folder()))
    except FileNotFoundError:
        return 0
    for entry in entries:
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if entry.name.endswith(".svg") and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
    return removed


def _draw(spec: Mapping[str, Any]) -> str:
    """Draw ``spec`` with vl-convert: on the chart server of this notebook's worker when there
    is one (:mod:`qvlib.runner.svgserver`; its engine is started already), else here."""
    address = os.environ.get(ENV_SERVER)
    if address:
        from qvlib.runner.svgserver import draw

        try:
            return draw(address, dict(spec), vegalite_version())
        except (OSError, EOFError):
            pass  # the server is gone: draw here, as without one
    import vl_convert

    return vl_convert.vegalite_to_svg(dict(spec), vl_version=vegalite_version())
