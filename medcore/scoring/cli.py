"""``python -m medcore score``: the subcommand's arguments and its run (one registration in
``medcore.__main__``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub, names: list[str]) -> argparse.ArgumentParser:
    """Register ``score`` on the ``python -m medcore`` subparsers ``sub``."""
    from medcore.scoring import ENGINES

    score = sub.add_parser(
        "score", help="score a whole file or folder of records or scans (cohort scoring)",
        description="Score every record, scan or patient of --input with model NAME into "
                    "--output (.parquet or .csv): one row each with its identifier, the "
                    "outputs named as on the pages' downloads, model_version and warnings. "
                    "Rows and files that fail go to a CSV beside it (scores.parquet -> "
                    "scores.errors.csv) with the row or file and the message; they never stop "
                    "the run. An input that cannot be scored at all exits 2 and writes nothing.")
    score.add_argument("model", choices=names, metavar="NAME",
                       help=f"the model: {', '.join(names)}")
    score.add_argument("--input", required=True, type=Path,
                       help="records: a CSV, .xlsx or Parquet file, or a folder of them "
                            "(pbc_rnn: a visits file); pneumonia_cnn: a folder (recursive) or a "
                            ".zip of DICOM/PNG/JPEG files")
    score.add_argument("--output", required=True, type=Path,
                       help="the scores, .parquet or .csv (by suffix)")
    score.add_argument("--engine", choices=ENGINES, default="local",
                       help="local (default): this process, in chunks; ray: Ray Data workers "
                            "(pip install -r requirements-cluster.txt)")
    score.add_argument("--address", default=None,
                       help="with --engine ray: a running Ray cluster (e.g. ray://head:10001); "
                            "without it a local Ray with --workers workers starts")
    score.add_argument("--workers", type=int, default=2,
                       help="Ray workers of a local Ray (default 2), or on the cluster")
    score.add_argument("--models-dir", type=Path, default=None)
    score.add_argument("--no-progress", action="store_true", help="no progress bar")
    score.set_defaults(func=run)
    return score


def run(args: argparse.Namespace) -> int:
    """Run ``score``; the one-line summary goes to stderr, the exit code is 0."""
    from medcore.scoring import score

    summary = score(args.model, args.input, args.output, engine=args.engine,
                    address=args.address, workers=args.workers, models_dir=args.models_dir,
                    progress=False if args.no_progress else None)
    print(summary.line(), file=sys.stderr)
    return 0
