"""``python -m medcore report NAME (--scan FILE | --records FILE --row N | --records VISITS
--patient ID) --out REPORT.pdf|REPORT.html``: the pages' patient report without a browser.

The input is read as the Upload page reads it (``load_scan``, ``load_records`` against the
model's schema), so a bad file gets the same :class:`~medcore.errors.MedcoreError` message; the
command then exits with status 2 and writes nothing (the report is written to a temporary file
renamed when complete).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from medcore import registry
from medcore.errors import DataValidationError, MedcoreError
from medcore.registry import ModelKind


def add_parser(sub: Any, names: list[str]) -> None:
    """The ``report`` sub-command of ``python -m medcore``."""
    report = sub.add_parser("report", help="a patient report (PDF or HTML) for one input",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_argument("model", choices=names)
    given = report.add_mutually_exclusive_group(required=True)
    given.add_argument("--scan", type=Path, help="a DICOM, PNG or JPEG file (image models)")
    given.add_argument("--records", type=Path,
                       help="a records CSV or .xlsx in the model's schema (other models)")
    report.add_argument("--row", type=int, default=None,
                        help="which record of --records (1 = the first data row)")
    report.add_argument("--patient", default=None,
                        help="the patient id whose visits to use (visit-sequence models)")
    report.add_argument("--out", type=Path, required=True,
                        help="REPORT.pdf or REPORT.html (the extension chooses the format)")
    report.add_argument("--no-explanation", action="store_true",
                        help="leave out the SHAP explanation (no TensorFlow)")
    report.set_defaults(func=run)


def _input(args: argparse.Namespace) -> Any:
    """What the model's page would hold, read from the files named on the command line."""
    spec = registry.spec(args.model)
    if spec.kind is ModelKind.IMAGE_CLASSIFIER:
        if args.scan is None:
            raise MedcoreError(f"{args.model} reads a scan; give --scan FILE (DICOM, PNG or "
                               "JPEG), not --records.")
        from medcore.imaging import load_scan

        return load_scan(args.scan)
    if args.records is None:
        raise MedcoreError(f"{args.model} reads patient records; give --records FILE, not "
                           "--scan.")
    from medcore.records import load_records

    records = load_records(args.records, spec.schema)
    if spec.kind is ModelKind.SEQUENCE_SURVIVAL:
        if args.patient is None:
            raise MedcoreError(f"{args.model} reads one patient's visits; give --patient ID "
                               "(a value of the file's id column).")
        visits = records[records["id"].astype(str) == str(args.patient)]
        if visits.empty:
            raise DataValidationError(
                f"No visit of patient {args.patient!r} in {os.fspath(args.records)!r} "
                f"({records['id'].nunique()} patients); give an id from its id column.")
        return visits
    if args.row is None or not 1 <= args.row <= len(records):
        raise DataValidationError(
            f"--row {args.row}; expected a record number from 1 to {len(records)} (1 = the "
            f"first data row of {os.fspath(args.records)!r}).")
    return records.iloc[[args.row - 1]].reset_index(drop=True)


def run(args: argparse.Namespace) -> int:
    from medcore.report import build_report, format_of, write_report

    format_of(args.out)                       # a wrong extension fails before any work
    report = build_report(args.model, _input(args), explain=not args.no_explanation,
                          origin="command line")
    written = write_report(report, args.out)
    print(f"{written} ({written.stat().st_size:,} bytes)")
    return 0
