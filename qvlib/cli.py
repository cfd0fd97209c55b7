"""The ``qv`` command line: ``reviews``, ``validate``, ``sample-data`` and ``list``.

The CLI only parses arguments, configures logging and turns :class:`~qvlib.errors.QvError`
into a message and an exit code; the work happens in the library.  Exit codes: 0 success,
1 some packs failed, 2 bad parameters or data (nothing was built).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from qvlib.config import ROOT
from qvlib.errors import QvError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qv",
        description="Reproducible education quality review packs for the trusts of a region.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    reviews = sub.add_parser(
        "reviews",
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
        type=Path,
        metavar="DIR",
        help="data directory (default: data_dir in parameters/region.yaml)",
    )
    reviews.add_argument(
        "--out",
        type=Path,
        default=ROOT / "outputs",
        metavar="DIR",
        help="output directory (default: outputs/)",
    )
    reviews.add_argument(
        "--year",
        metavar="YYYY/YY",
        help="review year (default: review_year in parameters/region.yaml)",
    )
    reviews.add_argument(
        "--jobs", type=int, metavar="N", help="parallel workers (default: number of cores)"
    )
    reviews.add_argument("--force", action="store_true", help="rebuild packs that are up to date")
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

    validate = sub.add_parser(
        "validate",
        help="check a data directory and report every problem (exit 2 if any)",
        description="Load every dataset, report every problem in every file (file, row, "
        "column, value, expected) and exit 2 if there is any, 0 if the data is clean.",
    )
    validate.add_argument(
        "data",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="data directory (default: data_dir in parameters/region.yaml)",
    )

    sample = sub.add_parser(
        "sample-data",
        help="generate a deterministic synthetic dataset",
        description="Write a synthetic dataset in the canonical layout.  The same seed gives "
        "the same bytes.  --trusts 220 gives a national-scale dataset for benchmarks.",
    )
    sample.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write")
    sample.add_argument(
        "--trusts", type=int, metavar="N", help="number of trusts (default: the region's trusts)"
    )
    sample.add_argument(
        "--years", type=int, default=4, metavar="N", help="years of history (default: 4)"
    )
    sample.add_argument(
        "--seed", type=int, default=20251, metavar="S", help="random seed (default: 20251)"
    )

    sub.add_parser(
        "list",
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
        return _dispatch(args)
    except QvError as exc:
        print(f"qv {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("qv: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from qvlib.datasets import validate_dir

        report, ok = validate_dir(args.data)
        print(report)
        return EXIT_OK if ok else EXIT_BAD_INPUT
    if args.command == "sample-data":
        from qvlib.synth import write_sample_data

        write_sample_data(args.out, trusts=args.trusts, years=args.years, seed=args.seed)
        print(f"wrote synthetic dataset to {args.out}")
        return EXIT_OK
    if args.command == "list":
        from qvlib.runner import describe

        print(describe())
        return EXIT_OK
    from qvlib.runner import RunOptions, run_reviews

    options = RunOptions(
        trusts=args.trust or [],
        packs=args.pack or [],
        data_dir=args.data,
        out_dir=args.out,
        year=args.year,
        jobs=args.jobs,
        force=args.force,
        scheduler=args.scheduler,
        engine=args.engine,
    )
    return run_reviews(options)
