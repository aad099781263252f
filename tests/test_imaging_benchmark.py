"""The imaging benchmark group runs and reports its figures (timings are not asserted here)."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_imaging_benchmark_reports_its_figures():
    from medcore.benchmarks.imaging import run

    figures = run()
    assert set(figures) == {"scan_load_ms", "pydicom_load_ms", "scan_load_ratio", "import_ms",
                            "import_cpu_ms"}
    assert all(value > 0 for value in figures.values())
    assert figures["scan_load_ratio"] == pytest.approx(
        figures["scan_load_ms"] / figures["pydicom_load_ms"], rel=0.01)
