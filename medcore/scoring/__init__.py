"""Cohort scoring: a whole clinic's records, or a folder of scans, scored in one run.

``python -m medcore score NAME --input PATH --output PATH [--engine local|ray] [--address ADDR]``
(:func:`score`). The input is cut into chunks (:mod:`medcore.scoring.plan`: a byte range of a
CSV, a Parquet row group, an .xlsx or a visits file whole, a list of image files), each chunk is
read, checked and scored with the pages' own functions (:mod:`medcore.scoring.chunks`), and the
rows are appended to the output (:mod:`medcore.scoring.output`): one row per record, image or
patient, with its identifier (``row`` as the Upload page numbers rows, ``file`` for an image or
for a records file of a folder, ``id`` for a PBC patient; never anything read from inside a
DICOM), the outputs under the names of the page's download, ``model_version`` and ``warnings``.
Records and files that fail go to ``OUTPUT.errors.csv`` (:func:`errors_path`) with the row or
file and the message; they never stop the run.

Engines: ``local`` (default) scores the chunks one after the other in this process, memory that
of one chunk; ``ray`` (:mod:`medcore.scoring.ray_engine`, the optional ``cluster`` extra) ships
the same chunks to Ray workers, each of which loads the LiteRT model once.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from medcore import registry
from medcore.errors import MedcoreError
from medcore.registry import ModelKind
from medcore.scoring.output import TableWriter, check_output, errors_path
from medcore.scoring.plan import Plan, plan_images, plan_records

__all__ = ["score", "plan_input", "ScoreSummary", "errors_path", "ENGINES"]

#: The engines of ``--engine``.
ENGINES: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True)
class ScoreSummary:
    """What a run did: rows written, error rows, seconds, and the unit counted."""

    model: str
    engine: str
    scored: int
    skipped: int
    seconds: float
    unit: str
    output: str
    errors: str

    @property
    def per_second(self) -> float:
        """Rows (records, images or patients) scored per second."""
        return self.scored / self.seconds if self.seconds > 0 else float("nan")

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        return (f"{self.model}: scored {self.scored:,} {self.unit}, skipped {self.skipped:,} "
                f"(see {Path(self.errors).name}), {self.seconds:,.1f} s, "
                f"{self.per_second:,.0f} {self.unit}/s ({self.engine} engine)")


def plan_input(name: str, source: str | os.PathLike, **options) -> Plan:
    """The chunks of ``source`` for model ``name`` (see :mod:`medcore.scoring.plan`).

    Raises
    ------
    MedcoreError
        Unknown model, or an input that cannot be scored at all (missing, wrong kind, a
        records file without the schema's columns).
    """
    spec = registry.spec(name)
    if spec.kind is ModelKind.IMAGE_CLASSIFIER:
        return plan_images(source, **{k: v for k, v in options.items() if k == "chunk_files"})
    return plan_records(source, spec.schema,
                        whole=spec.kind is ModelKind.SEQUENCE_SURVIVAL,
                        **{k: v for k, v in options.items() if k == "chunk_rows"})


def score(name: str, source: str | os.PathLike, output: str | os.PathLike, *,
          engine: str = "local", address: str | None = None, workers: int = 2,
          models_dir: str | os.PathLike | None = None, progress: bool | None = None,
          **chunking) -> ScoreSummary:
    """Score every record, image or patient of ``source`` with model ``name`` into ``output``.

    Parameters
    ----------
    name : a registered model.
    source : records file or folder (tabular and survival models), visits file (``pbc_rnn``),
        folder or zip of DICOM/PNG/JPEG files (``pneumonia_cnn``).
    output : ``.parquet`` or ``.csv`` path; errors go to :func:`errors_path` of it.
    engine : ``"local"`` or ``"ray"``.
    address : with ``engine="ray"``, the address of a running Ray cluster (``ray://host:10001``
        or ``host:6379``); without it, a local Ray with ``workers`` workers starts and stops.
    progress : a progress bar on stderr (default: when stderr is a terminal).
    chunking : ``chunk_rows`` / ``chunk_files`` (see :mod:`medcore.scoring.plan`).

    Raises
    ------
    MedcoreError
        The input cannot be scored at all, the output's suffix is not ``.parquet``/``.csv``,
        Ray is not installed for ``engine="ray"``. Nothing is written then.
    """
    if engine not in ENGINES:
        raise MedcoreError(f"Unknown engine {engine!r}; expected one of {', '.join(ENGINES)}.")
    if address and engine != "ray":
        raise MedcoreError("--address names a Ray cluster; add --engine ray.")
    out = check_output(output)
    spec = registry.spec(name)
    registry.load_card(name, models_dir)                  # a missing model stops us now
    start = time.perf_counter()
    plan = plan_input(name, source, **chunking)
    unit = ("images" if spec.kind is ModelKind.IMAGE_CLASSIFIER else
            "patients" if spec.kind is ModelKind.SEQUENCE_SURVIVAL else "records")
    identifier = ("file" if unit == "images" else "id" if unit == "patients" else "row")
    integers = tuple(c.name for c in (spec.schema.columns if spec.schema else ())
                     if c.kind in ("int", "binary"))
    writer = TableWriter(out, integers=integers)
    folder = unit != "images" and Path(source).is_dir()
    errors = TableWriter(errors_path(out), kind="csv", columns=(
        ["file", "message"] if unit == "images" else
        ["file", "row", "message"] if folder else ["row", "message"]))
    done = False
    try:
        import pandas as pd

        if plan.unusable:
            errors.write(pd.DataFrame({"file": [f for f, _ in plan.unusable],
                                       "row": pd.array([None] * len(plan.unusable), "Int64"),
                                       "message": [m for _, m in plan.unusable]}))
        if engine == "local":
            results = _local(name, plan, models_dir)
        else:
            from medcore.scoring.ray_engine import run_ray

            results = run_ray(name, plan, address=address, workers=workers,
                              models_dir=models_dir)
        bar = _progress_bar(plan.total, "files" if unit == "images" else "rows", progress)
        try:
            for n, scored, failed in results:
                writer.write(scored)
                errors.write(failed)
                bar.update(n)
        finally:
            bar.close()
        done = True
    finally:
        writer.close(commit=done, empty_columns=[identifier])
        errors.close(commit=done, empty_columns=[])
    return ScoreSummary(name, engine, writer.rows, errors.rows, time.perf_counter() - start,
                        unit, str(out), str(errors_path(out)))


def _local(name: str, plan: Plan, models_dir):
    """``(records in the chunk, scored, errors)`` of each chunk, scored in this process."""
    from medcore.scoring.chunks import ChunkScorer

    scorer = ChunkScorer(name, models_dir)
    for chunk in plan.chunks:
        scored, failed = scorer(chunk)
        yield chunk.n, scored, failed


def _progress_bar(total: int, unit: str, enabled: bool | None):
    from tqdm import tqdm

    return tqdm(total=total or None, unit=f" {unit}", unit_scale=True, file=sys.stderr,
                disable=(not sys.stderr.isatty()) if enabled is None else not enabled,
                dynamic_ncols=True, smoothing=0.1)
