"""Scan loading figures: ``load_scan`` against pydicom's own reading, and the import time.

``scan_load_ms``: median ``load_scan`` of the 512 x 512 CT slice ``693_UNCR.dcm`` (pydicom-data);
``pydicom_load_ms``: ``dcmread`` + ``pixel_array`` + ``apply_modality_lut`` on the same file;
``scan_load_ratio``: their ratio (target <= 1.2, and ``scan_load_ms`` <= 30). Both are the
median of five interleaved rounds of 15 timed calls each;
``import_ms`` / ``import_cpu_ms``: ``import medcore.imaging`` timed (wall / CPU) inside a fresh
interpreter (median of 5).
"""
from __future__ import annotations

import statistics
from typing import Any

from medcore.benchmarks import import_ms, median_ms

SAMPLE = "693_UNCR.dcm"


def run(*, data: Any = None) -> dict[str, Any]:
    """Measure the figures above; ``data`` is unused (the sample comes from pydicom-data)."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut

    from medcore.imaging import load_scan

    path = get_testdata_file(SAMPLE, download=False)
    if path is None:
        return {"imaging_skipped": f"{SAMPLE} not found: pip install pydicom-data"}

    def with_pydicom():
        ds = pydicom.dcmread(path)
        return apply_modality_lut(ds.pixel_array, ds)

    # Interleaved rounds, so a change in the machine's load hits both sides alike.
    pydicom_rounds, scan_rounds = [], []
    for _ in range(5):
        pydicom_rounds.append(median_ms(with_pydicom, repeats=15, warmup=2))
        scan_rounds.append(median_ms(lambda: load_scan(path), repeats=15, warmup=2))
    pydicom_ms = round(statistics.median(pydicom_rounds), 3)
    scan_ms = round(statistics.median(scan_rounds), 3)
    import_wall, import_cpu = import_ms("medcore.imaging")
    return {
        "scan_load_ms": scan_ms,
        "pydicom_load_ms": pydicom_ms,
        "scan_load_ratio": round(scan_ms / pydicom_ms, 3),
        "import_ms": import_wall,
        "import_cpu_ms": import_cpu,
    }
