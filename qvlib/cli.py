"""The ``qv`` command line: ``reviews``, ``render``, ``validate``, ``sample-data`` and ``list``.

The CLI only parses arguments, configures logging and turns :class:`~qvlib.errors.QvError`
into a message and an exit code; the work happens in the library.  Exit codes: 0 success,
1 some packs failed, 2 bad parameters or data (nothing was built).

Paths typed on the command line (``--data``, ``--out``, ``--project``, ``qv validate DIR``,
``qv render NOTEBOOK -o OUT``) are
taken from the current folder, as in every command-line tool, and made absolute here; the
project (:mod:`qvlib.project`) is found once and handed to everything the command starts.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from qvlib.errors import QvError
from qvlib.project import Project, find_project

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: Exit code after the reader of our output went away (``qv list | head``), as for SIGPIPE.
EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE


def _from_cwd(value: str) -> Path:
    """A path typed by the user, made absolute from the current folder."""
    return Path(value).expanduser().resolve()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qv",
        description="Reproducible education quality review packs for the trusts of a region.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project",
        type=_from_cwd,
        metavar="DIR",
        help="project folder holding parameters/region.yaml (default: $QV_PROJECT, else the "
        "current folder or the nearest one above it that has one, else qv's defaults)",
    )

    reviews = sub.add_parser(
        "reviews",
        parents=[common],
        help="build packs for every trust (dashboards, annual packs, CQC bundles, visit briefs)",
        description="Validate parameters and data, then build every (trust, pack) that is out "
        "of date.  Exit 0 when every pack was built, 1 when any failed, 2 on bad input.",
    )
    reviews.add_argument(
        "--trust", action="append", metavar="CODE", help="only this trust (ODS code); repeatable"
    )
    reviews.add_argument(
        "--pack",
        action="append",
        metavar="NAME",
        help="only this pack kind; repeatable (see `qv list`)",
    )
    reviews.add_argument(
        "--data",
        type=_from_cwd,
        metavar="DIR",
        help="data directory (default: $QV_DATA, else data_dir in parameters/region.yaml)",
    )
    reviews.add_argument(
        "--out",
        type=_from_cwd,
        metavar="DIR",
        help="output directory (default: the project's outputs/)",
    )
    reviews.add_argument(
        "--year",
        metavar="YYYY/YY",
        help="review year (default: review_year in parameters/region.yaml)",
    )
    reviews.add_argument(
        "--as-at",
        metavar="YYYY-MM-DD",
        help="the date packs are as at: nothing published or happening after it is shown "
        "(default: today, or the review year's last day once that year has ended)",
    )
    reviews.add_argument(
        "--jobs", type=int, metavar="N", help="parallel workers (default: number of cores)"
    )
    reviews.add_argument(
        "--request",
        type=Path,
        metavar="FILE",
        help="a CQC request file (YAML) for the cqc-response-bundle pack: the bundle answers it "
        "(its trust only; see data/sample/requests/)",
    )
    reviews.add_argument("--force", action="store_true", help="rebuild packs that are up to date")
    reviews.add_argument(
        "--pdf",
        action="store_true",
        help="also print each HTML pack to an A4 PDF beside it (headless Chromium)",
    )
    reviews.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run jobs on a Dask cluster at ADDRESS instead of local processes",
    )
    reviews.add_argument(
        "--engine",
        choices=["fork", "fresh"],
        default="fork",
        help="fork: each notebook in a fresh fork of a worker that imported pandas, altair and "
        "qvlib once (default); fresh: papermill's own kernel per notebook (the reference)",
    )

    render = sub.add_parser(
        "render",
        parents=[common],
        help="write the pack HTML (and PDF) of an executed pack notebook",
        description="Write the pack page qv reviews would write for a pack notebook executed by "
        "qv reviews or papermill: title, trust, as-at date and parameters come from the "
        "notebook, document controls from the project's parameters.  The header's provenance "
        "shows the as-at date, dataset, software and notebook (not the run's data period and "
        "publications, which the notebook does not record).",
    )
    render.add_argument(
        "notebook", type=_from_cwd, metavar="EXECUTED.ipynb", help="an executed pack notebook"
    )
    render.add_argument(
        "-o",
        "--out",
        type=_from_cwd,
        metavar="OUT",
        help="the HTML file to write (default: the notebook's path with .html)",
    )
    render.add_argument(
        "--pdf", action="store_true", help="also print it to a PDF beside the HTML (Chromium)"
    )
    render.add_argument(
        "--data",
        type=_from_cwd,
        metavar="DIR",
        help="the data the notebook read, if the folder or snapshot it names is gone",
    )

    validate = sub.add_parser(
        "validate",
        parents=[common],
        help="check a data directory and report every problem (exit 2 if any)",
        description="Load every dataset, report every problem in every file (file, row, "
        "column, value, expected) and exit 2 if there is any, 0 if the data is clean.",
    )
    validate.add_argument(
        "data",
        nargs="?",
        type=_from_cwd,
        metavar="DIR",
        help="data directory (default: $QV_DATA, else data_dir in parameters/region.yaml)",
    )

    sample = sub.add_parser(
        "sample-data",
        parents=[common],
        help="generate a deterministic synthetic dataset",
        description="Write a synthetic dataset in the canonical layout (national data as "
        "published with --published-formats).  The same seed gives the same bytes.  "
        "--trusts 220 gives a national-scale dataset for benchmarks.",
    )
    sample.add_argument(
        "--out", type=_from_cwd, required=True, metavar="DIR", help="directory to write"
    )
    sample.add_argument(
        "--trusts", type=int, metavar="N", help="number of trusts (default: the region's trusts)"
    )
    sample.add_argument(
        "--years", type=int, default=4, metavar="N", help="years of history (default: 4)"
    )
    sample.add_argument(
        "--seed", type=int, default=20251, metavar="S", help="random seed (default: 20251)"
    )
    sample.add_argument(
        "--published-formats",
        action="store_true",
        help="write the national data (CQC, FFT, Staff Survey, NTS, ODS) as it is published, "
        "not as canonical CSV files; it loads into the same data",
    )
    sample.add_argument(
        "--force",
        action="store_true",
        help="replace the synthetic dataset already in DIR (never data not marked synthetic)",
    )

    sub.add_parser(
        "list",
        parents=[common],
        help="list trusts, pack kinds and each notebook's parameters",
        description="List the trusts in parameters/, the pack kinds and the parameters each "
        "pack notebook declares.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``qv`` and ``python -m qvlib``; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        project = find_project(args.project)
        with project.exported():
            code = _dispatch(args, project)
        sys.stdout.flush()  # a closed pipe is noticed here, not in the interpreter's exit
        return code
    except QvError as exc:
        print(f"qv {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("qv: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (``qv list | head``): end quietly, as Unix tools do.  What
        # is still buffered goes nowhere, so the interpreter's exit does not fail on it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLOSED_PIPE


def _dispatch(args: argparse.Namespace, project: Project) -> int:
    if args.command == "validate":
        from qvlib.datasets import validate_dir

        report, ok = validate_dir(args.data)
        print(report)
        return EXIT_OK if ok else EXIT_BAD_INPUT
    if args.command == "sample-data":
        from qvlib.synth import write_sample_data

        write_sample_data(
            args.out,
            trusts=args.trusts,
            years=args.years,
            seed=args.seed,
            published_formats=args.published_formats,
            force=args.force,
        )
        print(f"wrote synthetic dataset to {args.out}")
        return EXIT_OK
    if args.command == "render":
        from qvlib.render import render_notebook

        for path in render_notebook(args.notebook, args.out, pdf=args.pdf, data=args.data):
            print(f"wrote {path}")
        return EXIT_OK
    if args.command == "list":
        from qvlib.runner import describe

        print(describe(project=project))
        return EXIT_OK
    from qvlib.runner import RunOptions, run_reviews

    options = RunOptions(
        trusts=args.trust or [],
        packs=args.pack or [],
        data_dir=args.data,
        out_dir=args.out,
        project=project,
        year=args.year,
        as_at=args.as_at,
        jobs=args.jobs,
        force=args.force,
        pdf=args.pdf,
        request=args.request,
        scheduler=args.scheduler,
        engine=args.engine,
    )
    return run_reviews(options)
