"""Benchmark group ``dashboard`` (opt-in: ``python -m medcore bench --only dashboard --json``):
the dashboard's figures from a real ``streamlit run`` in Debian's Chromium.

The figures (``first_diagnosis_cold_s``, ``server_rss_mb_predictions``, ``server_rss_mb``,
``cold_start_s``...; see :mod:`bench.browser_figures`) come from ``python -m bench.browser_figures
--json``, run here as a subprocess from the checkout: the browser harness lives in the
repository's ``bench/`` folder, outside the library, because ``medcore`` never imports
Playwright. Without the checkout's ``bench/`` folder (an installed wheel), or without Chromium,
the group says so in ``dashboard_skipped``.
"""
from __future__ import annotations

from typing import Any

from medcore.benchmarks import checkout_bench

#: Longest a browser run may take (a fresh server, two diagnoses, every page) on a loaded machine.
TIMEOUT_S = 900


def run(*, data=None) -> dict[str, Any]:
    """Figures for ``python -m medcore bench --only dashboard --json``."""
    args = ("--data", str(data)) if data is not None else ()
    figures = checkout_bench("dashboard", "browser_figures", args=args, timeout_s=TIMEOUT_S)
    if "browser_skipped" in figures:
        return {"dashboard_skipped": figures["browser_skipped"]}
    return figures
